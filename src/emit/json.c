#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "emit/emit_impl.h"
#include "util/buf.h"
#include "util/timefmt.h"
#include "util/utf8.h"

#define JSON_TEXT_MAX 4096

static const char *close_direction(enum close_dir d)
{
	switch (d) {
	case CLOSE_DIR_RECEIVED:
		return "received";
	case CLOSE_DIR_SENT:
		return "sent";
	default:
		return "unknown";
	}
}

#define ADD(b, lit) buf_add((b), (lit), sizeof(lit) - 1)

/* A string member of a finding: ',' unless first, the key, the value. */
static int member(struct buf *b, const char *key, const char *s, size_t n, size_t limit)
{
	return buf_addf(b, "%s\"%s\":", b->len > 1 ? "," : "", key) < 0 ||
	       emit_json_quote_text(b, s, n, limit) < 0 ? -1 : 0;
}

static int str_member(struct buf *b, const char *key, const char *s)
{
	return member(b, key, s, s ? strlen(s) : 0, (size_t)-1);
}

static int json_close(struct buf *b, const struct close_trace *c)
{
	size_t rlen = 0;

	if (!c->present)
		return ADD(b, ",\"close\":null");
	while (rlen < sizeof c->reason && c->reason[rlen])
		rlen++;
	if (buf_addf(b, ",\"close\":{\"code\":%d,\"reason\":", c->code) < 0 ||
	    emit_json_quote_text(b, c->reason, rlen, rlen) < 0 ||
	    buf_addf(b, ",\"direction\":\"%s\",\"clean\":%s", close_direction(c->direction),
		     c->clean < 0 ? "null" : c->clean ? "true" : "false") < 0)
		return -1;
	if (c->elapsed_ms < 0 ? ADD(b, ",\"elapsed_ms\":null") < 0
			      : buf_addf(b, ",\"elapsed_ms\":%" JSON_INTEGER_FORMAT,
					 (json_int_t)c->elapsed_ms) < 0)
		return -1;
	return c->http_status ? buf_addf(b, ",\"http_status\":%d}", c->http_status)
			      : ADD(b, ",\"http_status\":null}");
}

/*
 * One finding, one line, written here rather than built in jansson and
 * dumped (which cost more than finding it): the members of the compact
 * object jansson would write, in the same order and bytes (strings by
 * emit_json_quote_text, the captures object by jansson itself). The
 * record's text is its longest member, up to JSON_TEXT_MAX bytes.
 */
static int json_finding(struct emitter *e, const struct finding *f)
{
	const struct rule_desc *r = f->rule;
	const struct event *ev = f->ev;
	struct buf *b = &e->b;
	json_t *caps;
	char ts[40];
	int rc;

	buf_reset(b);
	if (buf_addc(b, '{') < 0 || str_member(b, "source", emit_source(f)) < 0 ||
	    buf_addf(b, ",\"line\":%" JSON_INTEGER_FORMAT, (json_int_t)ev->line) < 0 ||
	    str_member(b, "rule", r->id) < 0 || str_member(b, "category", r->category) < 0 ||
	    str_member(b, "role", rule_role_name(r->role)) < 0 ||
	    str_member(b, "severity", rule_level_name(r->level)) < 0 ||
	    str_member(b, "message", emit_message(f)) < 0 || ADD(b, ",\"captures\":") < 0)
		goto oom;
	if (!(caps = emit_json_captures(f)))
		goto oom;
	rc = emit_json_dump(b, caps);
	json_decref(caps);
	if (rc < 0)
		return -1;
	/* RFC 3339 in UTC with microseconds, or null outside years 0000-9999 */
	if (!ev->has_ts || timefmt_rfc3339(ev->ts_us, ts, sizeof ts) < 0
		    ? ADD(b, ",\"timestamp\":null") < 0
		    : str_member(b, "timestamp", ts) < 0)
		goto oom;
	if (json_close(b, &ev->close) < 0 ||
	    member(b, "text", ev->text, ev->text ? ev->text_len : 0, JSON_TEXT_MAX) < 0 ||
	    ADD(b, "}\n") < 0)
		goto oom;
	return emit_json_flush(e->out, b);
oom:
	errno = ENOMEM;
	return -1;
}

const struct emitter_ops emit_json_ops = { NULL, json_finding, NULL, NULL };
