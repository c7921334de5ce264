#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "emit/emit_impl.h"
#include "util/buf.h"
#include "util/timefmt.h"
#include "util/utf8.h"

#define JSON_TEXT_MAX 4096

/* RFC 3339 in UTC with microseconds, or null outside years 0000-9999. */
static json_t *json_timestamp(const struct event *ev)
{
	char s[40];

	if (!ev->has_ts || timefmt_rfc3339(ev->ts_us, s, sizeof s) < 0)
		return json_null();
	return json_string(s);
}

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

static json_t *json_close(const struct close_trace *c)
{
	size_t rlen = 0;

	if (!c->present)
		return json_null();
	while (rlen < sizeof c->reason && c->reason[rlen])
		rlen++;
	return json_pack("{s:i, s:o, s:s, s:o, s:o, s:o}",
			 "code", c->code,
			 "reason", utf8_json_stringn(c->reason, rlen, rlen),
			 "direction", close_direction(c->direction),
			 "clean", c->clean < 0 ? json_null() : json_boolean(c->clean),
			 "elapsed_ms", c->elapsed_ms < 0 ? json_null()
							 : json_integer(c->elapsed_ms),
			 "http_status", c->http_status ? json_integer(c->http_status)
						       : json_null());
}

/* The record's text as the finding's last member, up to JSON_TEXT_MAX
 * bytes: quoted here when it is valid UTF-8 (the common case, and the
 * longest member: jansson's dump read it a code point at a time), else
 * through utf8_json_stringn, which mends it. */
static int json_text(struct buf *b, const struct event *ev)
{
	size_t n = ev->text_len < JSON_TEXT_MAX ? ev->text_len : JSON_TEXT_MAX;
	json_t *v;
	int rc;

	if (!ev->text)
		return buf_add(b, "null", 4);
	if (utf8_valid((const unsigned char *)ev->text, n))
		return emit_json_quote(b, ev->text, n);
	if (!(v = utf8_json_stringn(ev->text, ev->text_len, JSON_TEXT_MAX)))
		return -1;
	rc = emit_json_quote(b, json_string_value(v), json_string_length(v));
	json_decref(v);
	return rc;
}

static int json_finding(struct emitter *e, const struct finding *f)
{
	const struct rule_desc *r = f->rule;
	const struct event *ev = f->ev;
	json_t *o;
	int rc;

	/* json_pack's "o" steals, also on failure, and fails on a NULL
	 * value, so one allocation failure anywhere fails the whole pack
	 * without leaking the rest. */
	o = json_pack("{s:o, s:I, s:o, s:o, s:s, s:s, s:o, s:o, s:o, s:o}",
		      "source", utf8_json_string(emit_source(f)),
		      "line", (json_int_t)ev->line,
		      "rule", utf8_json_string(r->id),
		      "category", utf8_json_string(r->category),
		      "role", rule_role_name(r->role),
		      "severity", rule_level_name(r->level),
		      "message", utf8_json_string(emit_message(f)),
		      "captures", emit_json_captures(f),
		      "timestamp", json_timestamp(ev),
		      "close", json_close(&ev->close));
	if (!o)
		return -1;
	buf_reset(&e->b);
	/* the object with its last member, "text", added before its '}' */
	rc = emit_json_dump(&e->b, o);
	json_decref(o);
	if (rc < 0)
		return -1;
	e->b.len--;
	if (buf_add(&e->b, ",\"text\":", 8) < 0 || json_text(&e->b, ev) < 0 ||
	    buf_add(&e->b, "}\n", 2) < 0) {
		errno = ENOMEM;
		return -1;
	}
	return emit_json_flush(e->out, &e->b);
}

const struct emitter_ops emit_json_ops = { NULL, json_finding, NULL, NULL };
