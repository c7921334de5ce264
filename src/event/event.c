#include "event/event.h"

#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>

#include "util/jpool.h"

static const char *const sev_names[] = {
	"DEFAULT", "DEBUG", "INFO", "NOTICE", "WARNING",
	"ERROR", "CRITICAL", "ALERT", "EMERGENCY",
};

const char *event_sev_name(enum sev s)
{
	return (unsigned)s < sizeof sev_names / sizeof *sev_names ? sev_names[s] : "DEFAULT";
}

int sev_parse(const char *s, size_t n)
{
	static const struct { const char *name; enum sev sev; } alias[] = {
		{ "WARN", SEV_WARNING }, { "FATAL", SEV_CRITICAL },
		{ "EXCEPTION", SEV_ERROR }, { "ERR", SEV_ERROR },
		{ "TRACE", SEV_DEBUG }, { "CRIT", SEV_CRITICAL },
		{ "EMERG", SEV_EMERGENCY }, { "INFORMATION", SEV_INFO },
	};
	size_t i;

	for (i = 0; i < sizeof sev_names / sizeof *sev_names; i++)
		if (strlen(sev_names[i]) == n && strncasecmp(s, sev_names[i], n) == 0)
			return (int)i;
	for (i = 0; i < sizeof alias / sizeof *alias; i++)
		if (strlen(alias[i].name) == n && strncasecmp(s, alias[i].name, n) == 0)
			return (int)alias[i].sev;
	return -1;
}

/* Every record's event is cleared: of its 616 bytes, the revision's 128
 * and the close reason's 256 are text whose first byte is enough. The
 * close follows the revision, and the text the close, nothing between. */
_Static_assert(offsetof(struct event, close) - offsetof(struct event, revision) <
		       sizeof ((struct event *)0)->revision + 8 &&
	       offsetof(struct event, text) - offsetof(struct event, close) <
		       sizeof(struct close_trace) + 8,
	       "event_init clears around revision and close");
void event_init(struct event *ev)
{
	memset(ev, 0, offsetof(struct event, revision));
	ev->revision[0] = '\0';
	close_trace_reset(&ev->close);
	memset(&ev->text, 0, sizeof *ev - offsetof(struct event, text));
	ev->msg = "";
	ev->store.max = BUF_DEFAULT_MAX;
}

void event_clear(struct event *ev)
{
	struct buf keep;

	if (!ev)
		return;
	json_decref(ev->entry);
	keep = ev->store;
	event_init(ev);
	/* keep the storage: events are reused record after record */
	buf_reset(&keep);
	ev->store = keep;
}

/*
 * Keys may themselves contain dots ("logging.googleapis.com/trace"), so at
 * each level try every dot as the split point, shortest key first.
 */
static json_t *lookup(json_t *obj, const char *path, size_t n)
{
	size_t i;

	if (!json_is_object(obj))
		return NULL;
	for (i = 0; i <= n; i++) {
		json_t *v;

		if (i < n && path[i] != '.')
			continue;
		v = json_object_getn(obj, path, i);
		if (!v)
			continue;
		if (i == n)
			return v;
		v = lookup(v, path + i + 1, n - i - 1);
		if (v)
			return v;
	}
	return NULL;
}

static int put_json(json_t *v, struct buf *out)
{
	char *s;
	int rc;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return buf_add(out, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		return buf_addf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL:
		return buf_addf(out, "%.17g", json_real_value(v));
	case JSON_TRUE:
		return buf_adds(out, "true");
	case JSON_FALSE:
		return buf_adds(out, "false");
	case JSON_NULL:
		return buf_adds(out, "null");
	default:
		s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
		if (!s)
			return -1;
		rc = buf_adds(out, s);
		jpool_str_free(s);
		return rc;
	}
}

static int put_str(const char *s, struct buf *out)
{
	if (!s)
		return 0;
	buf_adds(out, s);
	return 1;
}

int event_field(const struct event *ev, const char *path, struct buf *out)
{
	size_t n = strlen(path);
	json_t *v = NULL;

	if (ev->payload)
		v = lookup(ev->payload, path, n);
	if (!v && ev->entry && ev->entry != ev->payload)
		v = lookup(ev->entry, path, n);
	if (v)
		return put_json(v, out) == 0;

	if (!strcmp(path, "severity"))
		return put_str(event_sev_name(ev->sev), out);
	if (!strcmp(path, "message"))
		return buf_add(out, ev->msg, ev->msg_len) == 0;
	if (!strcmp(path, "trace"))
		return put_str(ev->trace, out);
	if (!strcmp(path, "span") || !strcmp(path, "spanId"))
		return put_str(ev->span, out);
	if (!strcmp(path, "instance"))
		return put_str(ev->instance, out);
	if (!strcmp(path, "connection_id") || !strcmp(path, "connection"))
		return put_str(ev->conn, out);
	if (!strcmp(path, "user_id") || !strcmp(path, "user"))
		return put_str(ev->user, out);
	if (!strcmp(path, "source"))
		return put_str(ev->source, out);
	if (ev->close.present) {
		if (!strcmp(path, "close.code") && ev->close.code)
			return buf_addf(out, "%d", ev->close.code) == 0;
		if (!strcmp(path, "close.reason"))
			return put_str(ev->close.reason, out);
		if (!strcmp(path, "close.elapsed_ms") && ev->close.elapsed_ms >= 0)
			return buf_addf(out, "%ld", ev->close.elapsed_ms) == 0;
		if (!strcmp(path, "close.http_status") && ev->close.http_status)
			return buf_addf(out, "%d", ev->close.http_status) == 0;
		if (!strcmp(path, "close.direction") && ev->close.direction)
			return put_str(ev->close.direction == CLOSE_DIR_RECEIVED ?
				       "received" : "sent", out);
		if (!strcmp(path, "close.clean") && ev->close.clean >= 0)
			return put_str(ev->close.clean ? "true" : "false", out);
		if (!strcmp(path, "close.client"))
			return put_str(ev->close.client, out);
	}
	return 0;
}

int event_copy(struct event *dst, const struct event *src)
{
	const char *const from[] = { src->source, src->msg, src->text, src->trace,
				     src->span, src->instance, src->conn, src->user,
				     src->stream };
	const size_t len[] = { src->source ? strlen(src->source) : 0, src->msg_len,
			       src->text_len, 0, 0, 0, 0, 0, 0 };
	size_t off[9], i;
	struct buf store;

	event_clear(dst);
	store = dst->store;
	for (i = 0; i < 9; i++) {
		size_t n = i < 3 ? len[i] : (from[i] ? strlen(from[i]) : 0);

		off[i] = store.len;
		if (from[i] && (buf_add(&store, from[i], n) < 0 || buf_addc(&store, '\0') < 0)) {
			dst->store = store;
			return -1;
		}
	}
	*dst = *src;
	dst->store = store;
	if (dst->entry)
		json_incref(dst->entry);
	dst->source = src->source ? store.p + off[0] : NULL;
	dst->msg = store.p + off[1];
	dst->text = src->text ? store.p + off[2] : NULL;
	dst->trace = src->trace ? store.p + off[3] : NULL;
	dst->span = src->span ? store.p + off[4] : NULL;
	dst->instance = src->instance ? store.p + off[5] : NULL;
	dst->conn = src->conn ? store.p + off[6] : NULL;
	dst->user = src->user ? store.p + off[7] : NULL;
	dst->stream = src->stream ? store.p + off[8] : NULL;
	if (!src->msg)
		dst->msg = "";
	return 0;
}

void event_free(struct event *ev)
{
	if (!ev)
		return;
	event_clear(ev);
	buf_free(&ev->store);
}
