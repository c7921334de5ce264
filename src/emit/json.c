#include <inttypes.h>
#include <stdio.h>

#include "emit/emit_impl.h"

#define JSON_TEXT_MAX 4096

/* Days since 1970-01-01 to a civil date (proleptic Gregorian), so that
 * timestamps do not depend on the width of time_t or on gmtime. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	yoe = z - era * 146097;
	yoe = (yoe - yoe / 1460 + yoe / 36524 - yoe / 146096) / 365;
	*y = yoe + era * 400;
	doy = (z - era * 146097) - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	if (*m <= 2)
		(*y)++;
}

/* RFC 3339 in UTC with microseconds, or null outside years 0000-9999. */
static json_t *json_timestamp(const struct event *ev)
{
	int64_t sec, us, days, rem, y;
	unsigned mo, d;
	char s[40];

	if (!ev->has_ts)
		return json_null();
	/* Floor division: -1 us is 1969-12-31T23:59:59.999999Z. */
	sec = ev->ts_us / 1000000;
	us = ev->ts_us % 1000000;
	if (us < 0) {
		us += 1000000;
		sec--;
	}
	days = sec / 86400;
	rem = sec % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &mo, &d);
	if (y < 0 || y > 9999)
		return json_null();
	snprintf(s, sizeof s, "%04d-%02u-%02uT%02d:%02d:%02d.%06dZ", (int)y, mo, d,
		 (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), (int)us);
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

static json_t *json_close(const struct ws_close *c)
{
	size_t rlen = 0;

	if (!c->present)
		return json_null();
	while (rlen < sizeof c->reason && c->reason[rlen])
		rlen++;
	return json_pack("{s:i, s:o, s:s, s:o, s:o, s:o}",
			 "code", c->code,
			 "reason", emit_json_stringn(c->reason, rlen, rlen),
			 "direction", close_direction(c->direction),
			 "clean", c->clean < 0 ? json_null() : json_boolean(c->clean),
			 "elapsed_ms", c->elapsed_ms < 0 ? json_null()
							 : json_integer(c->elapsed_ms),
			 "http_status", c->http_status ? json_integer(c->http_status)
						       : json_null());
}

static int json_finding(struct emitter *e, const struct finding *f)
{
	const struct rule *r = f->rule;
	const struct event *ev = f->ev;
	json_t *o;
	int rc;

	/* json_pack's "o" steals, also on failure, and fails on a NULL
	 * value, so one allocation failure anywhere fails the whole pack
	 * without leaking the rest. */
	o = json_pack("{s:o, s:I, s:o, s:o, s:s, s:s, s:o, s:o, s:o, s:o, s:o}",
		      "source", emit_json_string(emit_source(f)),
		      "line", (json_int_t)ev->line,
		      "rule", emit_json_string(r->id),
		      "category", emit_json_string(r->category),
		      "role", emit_role_name(r->role),
		      "severity", emit_level_name(r->level),
		      "message", emit_json_string(emit_message(f)),
		      "captures", emit_json_captures(f),
		      "timestamp", json_timestamp(ev),
		      "close", json_close(&ev->close),
		      "text", ev->text ? emit_json_stringn(ev->text, ev->text_len,
							   JSON_TEXT_MAX)
				       : json_null());
	if (!o)
		return -1;
	rc = emit_json_write(e->out, o);
	json_decref(o);
	if (rc < 0 || fputc('\n', e->out) == EOF)
		return -1;
	return 0;
}

const struct emitter_ops emit_json_ops = { NULL, json_finding, NULL };
