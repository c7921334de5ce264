#include "event/event.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "read/frame.h"
#include "read/lineprefix.h"
#include "event/unwrap.h"
#include "util/diag.h"
#include "util/jpool.h"
#include "util/timeparse.h"

/*
 * Records -> events. Every input shape ends up in the same struct event so
 * rules never see a format. Strings are either borrowed from ev->entry
 * (which the event owns) or copied into ev->store; while the store grows it
 * may move, so store-resident fields are remembered as offsets and turned
 * into pointers once, at the end.
 */

enum nf {
	NF_MSG, NF_TEXT, NF_TRACE, NF_SPAN, NF_INSTANCE, NF_CONN, NF_USER, NF_STREAM,
	NF_COUNT,
};

struct norm {
	struct event *ev;
	const char *ptr[NF_COUNT];   /* borrowed pointer, or NULL */
	size_t off[NF_COUNT];        /* offset into ev->store when in_store */
	size_t len[NF_COUNT];
	unsigned in_store;           /* bit per field */
	unsigned set;                /* bit per field */
	int level_in_msg;            /* a collector's line: its own level counts */
	int oom;                     /* the store hit its limit: keep what fits */
};

/* Only keys at most this far into a text message are looked for. */
#define KEY_SCAN_MAX ((size_t)64 << 10)

static int nf_isset(const struct norm *n, enum nf f)
{
	return (n->set >> f) & 1u;
}

static void nf_borrow(struct norm *n, enum nf f, const char *s, size_t len)
{
	n->ptr[f] = s;
	n->len[f] = len;
	n->set |= 1u << f;
	n->in_store &= ~(1u << f);
}

/* Copy into the store (NUL-terminated) and remember the offset. */
static int nf_copy(struct norm *n, enum nf f, const char *s, size_t len)
{
	struct buf *b = &n->ev->store;
	size_t off = b->len;

	if (buf_add(b, s, len) < 0 || buf_addc(b, '\0') < 0) {
		b->len = off;
		if (b->p)
			b->p[off] = '\0';
		n->oom = 1;
		return -1;
	}
	n->off[f] = off;
	n->len[f] = len;
	n->set |= 1u << f;
	n->in_store |= 1u << f;
	return 0;
}

/* A field that is a substring of one already in the store (text -> msg). */
static void nf_sub(struct norm *n, enum nf f, enum nf of, size_t skip, size_t len)
{
	n->off[f] = n->off[of] + skip;
	n->len[f] = len;
	n->set |= 1u << f;
	n->in_store |= 1u << f;
}

static void nf_resolve(struct norm *n)
{
	struct event *ev = n->ev;
	const char *v[NF_COUNT];
	int f;

	for (f = 0; f < NF_COUNT; f++) {
		if (!nf_isset(n, f))
			v[f] = NULL;
		else if ((n->in_store >> f) & 1u)
			v[f] = ev->store.p + n->off[f];
		else
			v[f] = n->ptr[f];
	}
	if (v[NF_MSG]) {
		ev->msg = v[NF_MSG];
		ev->msg_len = n->len[NF_MSG];
	}
	if (v[NF_TEXT]) {
		ev->text = v[NF_TEXT];
		ev->text_len = n->len[NF_TEXT];
	}
	ev->trace = v[NF_TRACE];
	ev->span = v[NF_SPAN];
	ev->instance = v[NF_INSTANCE];
	ev->conn = v[NF_CONN];
	ev->user = v[NF_USER];
	ev->stream = v[NF_STREAM];
}


/* RFC 3339 and the like: see timeparse_rfc3339. */
static size_t parse_ts(const char *s, size_t n, int64_t *us)
{
	return timeparse_rfc3339(s, n, us);
}

size_t event_time_parse(const char *s, size_t n, int64_t *us)
{
	return parse_ts(s, n, us);
}

/* A timestamp given as a JSON value: RFC 3339 string, epoch number (s, ms,
 * us or ns by magnitude), or {"seconds":S,"nanos":N}. */
static int json_ts(json_t *v, int64_t *us)
{
	double x;

	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t n = json_string_length(v), i;

		if (parse_ts(s, n, us) > 0)
			return 1;
		/* epoch digits in a string: journald's __REALTIME_TIMESTAMP (us),
		 * OTLP's timeUnixNano (ns) */
		for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (!n || i != n || n > 19)
			return 0;
		x = strtod(s, NULL);
		goto epoch;
	}
	if (json_is_number(v)) {
		x = json_number_value(v);
epoch:
		if (x < 0 || x > 9.2e18)
			return 0;
		if (x < 1e11)
			*us = (int64_t)(x * 1e6);
		else if (x < 1e14)
			*us = (int64_t)(x * 1e3);
		else if (x < 1e17)
			*us = (int64_t)x;
		else
			*us = (int64_t)(x / 1e3);
		return 1;
	}
	if (json_is_object(v)) {
		json_t *s = json_object_get(v, "seconds");
		json_t *ns = json_object_get(v, "nanos");

		if (!json_is_integer(s))
			return 0;
		*us = (int64_t)json_integer_value(s) * 1000000 +
		      (json_is_integer(ns) ? (int64_t)json_integer_value(ns) / 1000 : 0);
		return 1;
	}
	return 0;
}


static int json_sev(json_t *v, int pino)
{
	if (json_is_string(v))
		return sev_parse(json_string_value(v), json_string_length(v));
	if (json_is_integer(v)) {
		json_int_t x = json_integer_value(v);

		/* pino/bunyan levels: 10 trace .. 60 fatal */
		if (pino && x > 0 && x < 100)
			return x >= 60 ? SEV_CRITICAL : x >= 50 ? SEV_ERROR :
			       x >= 40 ? SEV_WARNING : x >= 30 ? SEV_INFO : SEV_DEBUG;
		/* Cloud Logging's numeric LogSeverity: 100 DEBUG .. 800 EMERGENCY */
		if (x >= 100 && x <= 800 && x % 100 == 0)
			return (int)(x / 100);
		if (x == 0)
			return SEV_DEFAULT;
	}
	return -1;
}


static json_t *first_key(json_t *obj, const char *const *keys)
{
	json_t *v;

	if (!json_is_object(obj))
		return NULL;
	for (; *keys; keys++)
		if ((v = json_object_get(obj, *keys)) && !json_is_null(v))
			return v;
	return NULL;
}

static json_t *first_string(json_t *obj, const char *const *keys)
{
	json_t *v;

	if (!json_is_object(obj))
		return NULL;
	for (; *keys; keys++)
		if ((v = json_object_get(obj, *keys)) && json_is_string(v))
			return v;
	return NULL;
}

/* Keep the trace ID only, so "projects/P/traces/ID" (LogEntry.trace),
 * Cloud Run's "logging.googleapis.com/trace" and a bare ID correlate. */
void event_trace_id(const char **s, size_t *n)
{
	const char *p = *s, *end = *s + *n, *q;

	for (q = p; q + 8 <= end; q++)
		if (memcmp(q, "/traces/", 8) == 0)
			p = q + 8;
	*n = (size_t)(end - p);
	*s = p;
}

/* A string or number as a correlation key. Strings are borrowed from the
 * tree; numbers are written into the store. */
static void set_key(struct norm *n, enum nf f, json_t *v)
{
	char tmp[32];
	const char *s;
	size_t len;

	if (nf_isset(n, f) || !v)
		return;
	if (json_is_string(v)) {
		s = json_string_value(v);
		len = json_string_length(v);
		if (f == NF_TRACE)
			event_trace_id(&s, &len);
		if (len)
			nf_borrow(n, f, s, len);
	} else if (json_is_integer(v)) {
		int k = snprintf(tmp, sizeof tmp, "%" JSON_INTEGER_FORMAT, json_integer_value(v));

		if (k > 0)
			nf_copy(n, f, tmp, (size_t)k);
	}
}

static const char *const keys_conn[] = {
	"connection_id", "connectionId", "conn_id", "connId", NULL,
};
static const char *const keys_user[] = { "user_id", "userId", NULL };
static const char *const keys_msg[] = {
	"message", "msg", "error", "event", "err", NULL,
};
static const char *const keys_trace[] = {
	"logging.googleapis.com/trace", "trace", "trace_id", "traceId", NULL,
};
static const char *const keys_span[] = {
	"logging.googleapis.com/spanId", "spanId", "span_id", NULL,
};
static const char *const keys_instance[] = {
	"instanceId", "instance_id", "instance", NULL,
};
static const char *const keys_sev[] = {
	"severity", "level", "levelname", "lvl", "log.level", NULL,
};
static const char *const keys_time[] = {
	"timestamp", "time", "ts", "@timestamp", "asctime", "datetime", NULL,
};


static int is_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

static int value_end(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' ||
	       c == ';' || c == ')' || c == ']' || c == '}' || c == '>' ||
	       c == '"' || c == '\'' || c == '&';
}

static const struct {
	const char *key;
	enum nf field;
} text_key_names[] = {
	{ "connection_id", NF_CONN }, { "connectionId", NF_CONN },
	{ "conn_id", NF_CONN }, { "user_id", NF_USER }, { "userId", NF_USER },
	{ "trace", NF_TRACE }, { "trace_id", NF_TRACE }, { "traceId", NF_TRACE },
	{ "span_id", NF_SPAN }, { "spanId", NF_SPAN },
	{ "instance", NF_INSTANCE }, { "instance_id", NF_INSTANCE },
	{ "instanceId", NF_INSTANCE },
};

struct key_hit {
	enum nf field;
	size_t off, len;   /* the value, relative to the scanned text */
};

/*
 * "connection_id=abc", "trace=projects/p/traces/T", "user_id='u1'", and the
 * quoted-key forms a logged dict or JSON text shows ('conn_id': 'x',
 * "user_id": "u"). A bare "key: value" is not taken: prose ("stack trace:
 * ...") would match. Only finds (the text may live in the store, which
 * copying would move); returns the number of hits, at most one per field.
 */
static size_t text_keys_scan(unsigned found, const char *s, size_t len, struct key_hit *hit)
{
	size_t i, k, nhit = 0;

	if (len > KEY_SCAN_MAX)
		len = KEY_SCAN_MAX;
	for (i = 1; i < len; i++) {
		size_t kend, vstart, vend, klen;
		int quoted_key = 0;
		char q = 0;

		if (s[i] == '=') {
			kend = i;
		} else if (s[i] == ':' && (s[i - 1] == '"' || s[i - 1] == '\'')) {
			kend = i - 1;
			quoted_key = 1;
		} else {
			continue;
		}
		for (k = 0; k < sizeof text_key_names / sizeof *text_key_names; k++) {
			enum nf f = text_key_names[k].field;
			size_t kstart;

			klen = strlen(text_key_names[k].key);
			if (((found >> f) & 1u) || kend < klen)
				continue;
			kstart = kend - klen;
			if (memcmp(s + kstart, text_key_names[k].key, klen) != 0)
				continue;
			if (quoted_key) {
				if (kstart == 0 || s[kstart - 1] != s[kend])
					continue;
				kstart--;
			}
			if (kstart > 0 && (is_word(s[kstart - 1]) || s[kstart - 1] == '.'))
				continue;
			vstart = i + 1;
			while (quoted_key && vstart < len && s[vstart] == ' ')
				vstart++;
			if (vstart < len && (s[vstart] == '"' || s[vstart] == '\''))
				q = s[vstart++];
			for (vend = vstart; vend < len; vend++)
				if (q ? s[vend] == q : value_end(s[vend]))
					break;
			if (vend > vstart &&
			    !(vend - vstart == 4 && !memcmp(s + vstart, "None", 4)) &&
			    !(vend - vstart == 4 && !memcmp(s + vstart, "null", 4))) {
				const char *v = s + vstart;
				size_t vl = vend - vstart;

				if (f == NF_TRACE)
					event_trace_id(&v, &vl);
				if (vl) {
					hit[nhit].field = f;
					hit[nhit].off = (size_t)(v - s);
					hit[nhit].len = vl;
					nhit++;
					found |= 1u << f;
				}
			}
			break;
		}
	}
	return nhit;
}


static size_t skip_blank(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

static size_t word_len(const char *s, size_t n, size_t i)
{
	size_t j = i;

	while (j < n && ((s[j] >= 'A' && s[j] <= 'Z') || (s[j] >= 'a' && s[j] <= 'z')))
		j++;
	return j - i;
}

static int all_upper(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return 0;
	return 1;
}

static int all_lower(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < 'a' || s[i] > 'z')
			return 0;
	return 1;
}

/* A Python logger name: "netra_backend.app.routes.websocket", "root". */
static size_t logger_name_len(const char *s, size_t n, size_t i)
{
	size_t j = i;

	while (j < n && (is_word(s[j]) || s[j] == '.' || s[j] == '-'))
		j++;
	return j - i;
}

/*
 * Severity at s[i]: "ERROR", "[ERROR]", "ERROR:", "<ERROR>", "[error]", and
 * after a timestamp "error<TAB>"; a message may start with "Error: ...".
 * Returns the severity and sets *next past it and the separator that
 * follows; -1 when there is none.
 */
static int text_sev(const char *s, size_t n, size_t i, int any_case, size_t *next)
{
	size_t wl, j;
	char close = 0;
	int sev;

	if (i < n && (s[i] == '[' || s[i] == '<')) {
		close = s[i] == '[' ? ']' : '>';
		i++;
	}
	wl = word_len(s, n, i);
	if (wl < 3 || wl > 11)
		return -1;
	/* Python's levelname is upper case; zap's console encoder writes
	 * "error" then a tab. A capitalized word is prose ("Error: ..."),
	 * unless bracketed. */
	if (!close && !all_upper(s + i, wl) &&
	    !(any_case && all_lower(s + i, wl) && i + wl < n && s[i + wl] == '\t'))
		return -1;
	sev = sev_parse(s + i, wl);
	if (sev < 0)
		return -1;
	j = i + wl;
	if (close) {
		if (j >= n || s[j] != close)
			return -1;
		j++;
		if (j < n && s[j] == ':')
			j++;
	} else if (j < n && s[j] == ':') {
		j++;
		/* "ERROR:netra_backend.app.routes.websocket:WebSocket error: ..." */
		if (j < n && s[j] != ' ' && s[j] != '\t') {
			size_t ln = logger_name_len(s, n, j);

			if (ln && j + ln < n && s[j + ln] == ':')
				j += ln + 1;
		}
	} else if (j < n && s[j] != ' ' && s[j] != '\t' && s[j] != '|') {
		return -1;
	}
	*next = j;
	return sev;
}

/* Skip the separators between prefix fields: spaces, tabs, "|", " - ". */
static size_t skip_sep(const char *s, size_t n, size_t i)
{
	for (;;) {
		i = skip_blank(s, n, i);
		if (i < n && s[i] == '|') {
			i++;
			continue;
		}
		if (i + 1 < n && s[i] == '-' && (s[i + 1] == ' ' || s[i + 1] == '\t')) {
			i++;
			continue;
		}
		return i;
	}
}

/*
 * Parse a text record's first line: timestamp, severity, and what is left
 * is the message. Returns the message's offset into s.
 */
static size_t text_prefix(struct event *ev, const char *s, size_t n)
{
	size_t eol, i = 0, t, j;
	int64_t us;
	int sev, bracket = 0;

	for (eol = 0; eol < n && s[eol] != '\n'; eol++)
		;
	if (eol && s[0] == '[' && (t = parse_ts(s + 1, eol - 1, &us)) && 1 + t < eol &&
	    s[1 + t] == ']')
		bracket = 1;
	else
		t = parse_ts(s, eol, &us);
	if (t) {
		ev->has_ts = 1;
		ev->ts_us = us;
		t += bracket ? 2 : 0;
		/* "TS   File ..." (kubectl --timestamps, docker -t): one space
		 * is the separator, the rest is the line's own indentation;
		 * "TS<TAB><TAB>line": gcloud's value() with no severity */
		i = skip_sep(s, eol, t);
		sev = text_sev(s, eol, i, 1, &j);
		if (sev < 0 && t + 1 < eol && s[t] == ' ' && (s[t + 1] == ' ' || s[t + 1] == '\t'))
			return t + 1;
		if (sev < 0 && t + 1 < eol && s[t] == '\t' && s[t + 1] == '\t')
			return t + 2;
		if (sev < 0) {
			/* "ts - logger.name - LEVEL - message" */
			size_t ln = logger_name_len(s, eol, i);

			if (ln && i + ln + 3 < eol && !memcmp(s + i + ln, " - ", 3)) {
				size_t k = i + ln + 3;

				sev = text_sev(s, eol, k, 1, &j);
			}
		}
		if (sev >= 0) {
			ev->sev = sev;
			/* "TS<TAB>SEVERITY<TAB>  line": the tab separates */
			if (j < eol && s[j] == '\t')
				return j + 1;
			i = skip_sep(s, eol, j);
		}
		return i;
	}
	/* "[ERROR] CONNECTION CLOSED after 0.063s" from an indented script */
	i = skip_blank(s, eol, 0);
	sev = text_sev(s, eol, i, 0, &j);
	if (sev < 0 || (s[i] != '[' && s[i] != '<' && i > 0))
		return 0;
	ev->sev = sev;
	j = skip_sep(s, eol, j);
	/* a record that is only "ERROR" keeps its word as the message */
	return j < eol || eol < n ? j : 0;
}



/* The current year, for a syslog time in an input with no dated record
 * before it. */
static int this_year(void)
{
	time_t now = time(NULL);

	return timeparse_year((int64_t)now * 1000000);
}

/* "-- Logs begin at Mon 2025-09-08 04:30:00 UTC, end at ... --" and
 * "-- Journal begins at ...": journalctl's header dates what follows. */
static int journal_header(struct event *ev, const char *s, size_t n)
{
	static const char *const keys[] = { "Logs begin at ", "Journal begins at ", NULL };
	const char *const *k;
	size_t i;
	int64_t us;

	if (n < 20 || memcmp(s, "-- ", 3))
		return 0;
	for (k = keys; *k; k++) {
		size_t kl = strlen(*k);

		if (n < 3 + kl || memcmp(s + 3, *k, kl))
			continue;
		i = 3 + kl;
		while (i < n && s[i] != ' ')
			i++;   /* the weekday */
		if (i < n && timeparse_rfc3339(s + i + 1, n - i - 1, &us)) {
			ev->has_ts = 1;
			ev->ts_us = us;
			return 1;
		}
	}
	return 0;
}

/* An access log's time, inside its first line: common/combined log
 * format '10.0.0.5 - - [08/Sep/2025:04:33:03 +0000] "GET /ws ..."'. */
static void access_log_time(struct event *ev, const char *s, size_t n)
{
	size_t i, lim = n < 256 ? n : 256;
	int64_t us;

	for (i = 0; i + 1 < lim && s[i] != '\n'; i++)
		if (s[i] == '[' && s[i + 1] >= '0' && s[i + 1] <= '9' &&
		    timeparse_clf(s + i + 1, n - i - 1, &us)) {
			ev->has_ts = 1;
			ev->ts_us = us;
			return;
		}
}

/* A runtime's or collector's prefix on a text record's first line
 * (lineprefix.h): its time, level, instance and stream; returns where
 * the application's line starts. */
static size_t text_line_prefix(struct norm *n, const struct record *rec)
{
	struct event *ev = n->ev;
	struct line_prefix lp;
	const char *s = rec->text;
	size_t eol, i;
	int sev;

	for (eol = 0; eol < rec->len && s[eol] != '\n'; eol++)
		;
	if (journal_header(ev, s, eol))
		return 0;
	if (!lineprefix_parse(s, eol, input_format_prefixes((enum input_format)rec->format),
			      rec->year ? rec->year : this_year(), &lp))
		return 0;
	if (lp.has_ts) {
		ev->has_ts = 1;
		ev->ts_us = lp.ts_us;
		ev->yearless = lp.yearless && !rec->year;
	}
	if (lp.level && (sev = sev_parse(lp.level, lp.nlevel)) > 0)
		ev->sev = sev;
	if (lp.instance)
		nf_copy(n, NF_INSTANCE, lp.instance, lp.ninstance);
	if (lp.stream)
		nf_copy(n, NF_STREAM, lp.stream, lp.nstream);
	i = lp.msg;
	return i;
}

/*
 * logwhy probe's trace, one JSON object per connection:
 *   {"probe":"logwhy","url":"wss://host/ws","close":{"code":1011,
 *    "reason":"Internal error","direction":"received","clean":true},
 *    "elapsed_ms":63, "http_status":500 (handshake refused), ...}
 * A refused handshake has no "close": {"probe":"logwhy",...,"http_status":500}.
 * Also accepted: {"type":"close","code":1011,"reason":...} with the same
 * keys at the top level. elapsed_ms/http_status may sit in either object.
 */
static int probe_close(json_t *obj, struct close_trace *c)
{
	json_t *cl = json_object_get(obj, "close"), *v;
	json_t *type = json_object_get(obj, "type");

	if (!json_is_object(cl)) {
		int is_type = json_is_string(type) && !strcmp(json_string_value(type), "close");
		/* a refused handshake: the probe's trace has no close frame */
		int refused = json_is_string(json_object_get(obj, "probe")) &&
			      json_is_integer(json_object_get(obj, "http_status"));

		if (!is_type && !refused)
			return 0;
		cl = obj;
	}
	v = json_object_get(cl, "code");
	if (!json_is_integer(v) && !json_is_integer(json_object_get(cl, "http_status")) &&
	    !json_is_integer(json_object_get(obj, "http_status")))
		return 0;
	memset(c, 0, sizeof *c);
	c->present = 1;
	c->clean = -1;
	c->elapsed_ms = -1;
	c->client = "probe";
	if (json_is_integer(v))
		c->code = (int)json_integer_value(v);
	v = json_object_get(cl, "reason");
	if (json_is_string(v))
		snprintf(c->reason, sizeof c->reason, "%s", json_string_value(v));
	v = json_object_get(cl, "direction");
	if (json_is_string(v)) {
		if (!strcmp(json_string_value(v), "received"))
			c->direction = CLOSE_DIR_RECEIVED;
		else if (!strcmp(json_string_value(v), "sent"))
			c->direction = CLOSE_DIR_SENT;
	}
	v = json_object_get(cl, "clean");
	if (json_is_boolean(v))
		c->clean = json_is_true(v);
	v = json_object_get(cl, "elapsed_ms");
	if (!json_is_number(v))
		v = json_object_get(obj, "elapsed_ms");
	if (json_is_number(v))
		c->elapsed_ms = (long)json_number_value(v);
	v = json_object_get(cl, "http_status");
	if (!json_is_integer(v))
		v = json_object_get(obj, "http_status");
	if (json_is_integer(v))
		c->http_status = (int)json_integer_value(v);
	return 1;
}

/*
 * The message was just written into the event's store from off on: end it
 * with a NUL and make it the message. When writing failed (rc < 0, or no
 * room for the NUL), drop what was written and return -1.
 */
static int msg_from_store(struct norm *n, size_t off, int rc)
{
	struct buf *b = &n->ev->store;

	if (rc < 0 || buf_addc(b, '\0') < 0) {
		b->len = off;
		if (b->p)
			b->p[off] = '\0';
		return -1;
	}
	n->off[NF_MSG] = off;
	n->len[NF_MSG] = b->len - off - 1;
	n->set |= 1u << NF_MSG;
	n->in_store |= 1u << NF_MSG;
	return 0;
}

static void probe_message(struct norm *n, const struct close_trace *c)
{
	struct buf *b = &n->ev->store;
	size_t off = b->len;
	int rc;

	if (c->http_status && !c->code)
		rc = buf_addf(b, "server rejected WebSocket connection: HTTP %d", c->http_status);
	else
		rc = buf_addf(b, "WebSocket closed: code=%d reason=\"%s\"%s%s%s", c->code,
			      c->reason,
			      c->direction == CLOSE_DIR_RECEIVED ? " direction=received" :
			      c->direction == CLOSE_DIR_SENT ? " direction=sent" : "",
			      c->clean == 1 ? " clean=true" : c->clean == 0 ? " clean=false" : "",
			      "");
	if (rc == 0 && c->elapsed_ms >= 0)
		rc = buf_addf(b, " elapsed_ms=%ld", c->elapsed_ms);
	msg_from_store(n, off, rc);
}


static int is_logentry(json_t *o)
{
	if (json_object_get(o, "textPayload") || json_object_get(o, "jsonPayload") ||
	    json_object_get(o, "protoPayload"))
		return 1;
	if (json_object_get(o, "logName") &&
	    (json_object_get(o, "resource") || json_object_get(o, "insertId")))
		return 1;
	return json_object_get(o, "insertId") && json_object_get(o, "receiveTimestamp");
}

/* "GET https://api.staging.netrasystems.ai/ws 500": lets a rule see a
 * refused upgrade in a request log that has no payload. */
static void http_message(struct norm *n, json_t *req)
{
	json_t *m = json_object_get(req, "requestMethod");
	json_t *u = json_object_get(req, "requestUrl");
	json_t *st = json_object_get(req, "status");
	struct buf *b = &n->ev->store;
	size_t off = b->len;
	int rc = 0;

	if (json_is_string(m))
		rc |= buf_adds(b, json_string_value(m));
	if (json_is_string(u))
		rc |= buf_addf(b, "%s%s", b->len > off ? " " : "", json_string_value(u));
	if (json_is_integer(st))
		rc |= buf_addf(b, "%s%" JSON_INTEGER_FORMAT, b->len > off ? " " : "",
			       json_integer_value(st));
	msg_from_store(n, off, rc ? -1 : 0);
}

/*
 * A structured logger that keeps the traceback apart from the message
 * (python-json-logger's exc_info, stack_trace): the rules look at the
 * message, so the traceback is appended to it after a newline.
 */
static void message_with_trace(struct norm *n, json_t *obj, json_t *msg)
{
	static const char *const keys_exc[] = { "exc_info", "stack_trace", "stacktrace", NULL };
	json_t *exc = first_string(obj, keys_exc);
	struct buf *b = &n->ev->store;
	size_t off = b->len;

	if (!exc || !json_string_length(exc)) {
		nf_borrow(n, NF_MSG, json_string_value(msg), json_string_length(msg));
		return;
	}
	if (msg_from_store(n, off,
			   buf_add(b, json_string_value(msg), json_string_length(msg)) < 0 ||
				   buf_addc(b, '\n') < 0 ||
				   buf_add(b, json_string_value(exc), json_string_length(exc)) < 0
			   ? -1 : 0) < 0)
		nf_borrow(n, NF_MSG, json_string_value(msg), json_string_length(msg));
}


/* A level a message opens with ("ERROR:app:...", "[ERROR] ...", a Python
 * logging line): when the record itself has none, the message's own is
 * taken and the message starts after it. Returns the bytes to skip. */
static size_t message_level(struct event *ev, const char *s, size_t len)
{
	int has_ts = ev->has_ts;
	int64_t ts = ev->ts_us;
	enum sev sev = ev->sev;
	size_t skip;

	ev->sev = SEV_DEFAULT;
	skip = text_prefix(ev, s, len);
	if (has_ts) {       /* the record's own time stays */
		ev->has_ts = has_ts;
		ev->ts_us = ts;
	}
	if (ev->sev == SEV_DEFAULT)
		ev->sev = sev;
	/* a message that is only its level keeps it */
	return skip < len ? skip : 0;
}

/* Borrow a message from a JSON string, its trailing newline left out,
 * its own level taken when the record states none. */
static void borrow_line(struct norm *n, json_t *v, int take_level)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v), skip = 0;

	while (len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	if (take_level)
		skip = message_level(n->ev, s, len);
	nf_borrow(n, NF_MSG, s + skip, len - skip);
}

/* An application's JSON line inside a collector's string ("log",
 * "MESSAGE", "message"): a new object, or NULL. */
static json_t *inner_object(json_t *v)
{
	const char *s;
	size_t len;

	if (!json_is_string(v))
		return NULL;
	s = json_string_value(v);
	len = json_string_length(v);
	while (len && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' '))
		len--;
	if (len < 2 || s[0] != '{' || s[len - 1] != '}')
		return NULL;
	{
		json_t *o = event_skim_tree(s, len);

		if (!o)
			o = json_loadb(s, len, JSON_DECODE_ANY, NULL);
		if (json_is_object(o))
			return o;
		json_decref(o);
	}
	return NULL;
}

/* Copy the wrapper's keys the inner object lacks, except its message. */
static void merge_missing(json_t *dst, json_t *src)
{
	const char *k;
	json_t *v;

	json_object_foreach(src, k, v)
		if (strcmp(k, "message") && !json_object_get(dst, k))
			json_object_set(dst, k, v);
}

static void copy_string_key(struct norm *n, enum nf f, json_t *v)
{
	if (json_is_string(v) && json_string_length(v) && !nf_isset(n, f))
		nf_copy(n, f, json_string_value(v), json_string_length(v));
}

/* The application's own fields: message, severity, time, correlation keys.
 * Used on a LogEntry's jsonPayload and on a bare (Cloud Run stdout) object. */
static void app_fields(struct norm *n, json_t *o)
{
	struct event *ev = n->ev;
	json_t *v, *labels;
	int s;

	if (!nf_isset(n, NF_MSG)) {
		v = first_string(o, keys_msg);
		if (!v)
			v = json_object_get(o, "textPayload");
		if (json_is_string(v) && n->level_in_msg)
			borrow_line(n, v, !first_key(o, keys_sev));
		else if (json_is_string(v))
			message_with_trace(n, o, v);
	}
	if (ev->sev == SEV_DEFAULT) {
		v = first_key(o, keys_sev);
		s = v ? json_sev(v, json_object_get(o, "level") == v) : -1;
		if (s > 0)
			ev->sev = s;
	}
	if (!ev->has_ts) {
		if ((v = first_key(o, keys_time)) && json_ts(v, &ev->ts_us)) {
			ev->has_ts = 1;
		} else if (json_is_integer(v = json_object_get(o, "timestampSeconds"))) {
			json_t *ns = json_object_get(o, "timestampNanos");

			ev->ts_us = (int64_t)json_integer_value(v) * 1000000 +
				    (json_is_integer(ns) ? (int64_t)json_integer_value(ns) / 1000 : 0);
			ev->has_ts = 1;
		}
	}
	set_key(n, NF_TRACE, first_key(o, keys_trace));
	set_key(n, NF_SPAN, first_key(o, keys_span));
	labels = json_object_get(o, "logging.googleapis.com/labels");
	set_key(n, NF_INSTANCE, first_key(labels, keys_instance));
	set_key(n, NF_INSTANCE, first_key(o, keys_instance));
	set_key(n, NF_CONN, first_key(o, keys_conn));
	set_key(n, NF_USER, first_key(o, keys_user));
	set_key(n, NF_CONN, first_key(labels, keys_conn));
	set_key(n, NF_USER, first_key(labels, keys_user));
}

static void logentry_fields(struct norm *n, json_t *o)
{
	struct event *ev = n->ev;
	json_t *text = json_object_get(o, "textPayload");
	json_t *jp = json_object_get(o, "jsonPayload");
	json_t *pp = json_object_get(o, "protoPayload");
	json_t *req = json_object_get(o, "httpRequest");
	json_t *labels = json_object_get(o, "labels");
	json_t *res_labels = json_object_get(json_object_get(o, "resource"), "labels");
	json_t *v;
	int s;

	if (json_is_object(jp))
		ev->payload = jp;

	if ((v = json_object_get(o, "severity")) && (s = json_sev(v, 0)) > 0)
		ev->sev = s;
	if (json_ts(json_object_get(o, "timestamp"), &ev->ts_us) ||
	    json_ts(json_object_get(o, "receiveTimestamp"), &ev->ts_us))
		ev->has_ts = 1;
	/* an unstructured line with no severity of its own: Python's
	 * "ERROR:app:message" and the like say it */
	if (json_is_string(text))
		borrow_line(n, text, ev->sev == SEV_DEFAULT);
	set_key(n, NF_TRACE, json_object_get(o, "trace"));
	set_key(n, NF_SPAN, json_object_get(o, "spanId"));
	set_key(n, NF_INSTANCE, first_key(labels, keys_instance));
	set_key(n, NF_INSTANCE, first_key(res_labels, keys_instance));

	if (json_is_object(jp))
		app_fields(n, jp);
	if (!nf_isset(n, NF_MSG) && json_is_object(req))
		http_message(n, req);
	if (!nf_isset(n, NF_MSG) && json_is_object(pp)) {
		v = json_object_get(json_object_get(pp, "status"), "message");
		if (!json_is_string(v))
			v = json_object_get(pp, "methodName");
		if (json_is_string(v))
			nf_borrow(n, NF_MSG, json_string_value(v), json_string_length(v));
	}
	set_key(n, NF_CONN, first_key(labels, keys_conn));
	set_key(n, NF_USER, first_key(labels, keys_user));
}


/* journald's PRIORITY: syslog levels 0 (emerg) .. 7 (debug). */
static int syslog_sev(json_t *v)
{
	static const enum sev map[8] = {
		SEV_EMERGENCY, SEV_ALERT, SEV_CRITICAL, SEV_ERROR,
		SEV_WARNING, SEV_NOTICE, SEV_INFO, SEV_DEBUG,
	};
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;

	if (s && s[0] >= '0' && s[0] <= '7' && !s[1])
		return map[s[0] - '0'];
	if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 7)
		return map[json_integer_value(v)];
	return -1;
}

/* journald's MESSAGE as an array of bytes (not valid UTF-8). */
static void bytes_message(struct norm *n, json_t *arr)
{
	struct buf *b = &n->ev->store;
	size_t off = b->len, i;
	json_t *x;
	int rc = 0;

	json_array_foreach(arr, i, x) {
		if (json_is_integer(x) && json_integer_value(x) >= 0 && json_integer_value(x) < 256)
			rc |= buf_addc(b, (char)json_integer_value(x));
	}
	while (b->len > off && (b->p[b->len - 1] == '\n' || b->p[b->len - 1] == '\r'))
		b->len--;
	msg_from_store(n, off, rc);
}

/*
 * A line a collector wrapped: docker's json-file driver
 * {"log":"line\n","stream":"stderr","time":"..."}, journald's
 * {"MESSAGE","__REALTIME_TIMESTAMP","PRIORITY","_HOSTNAME",
 * "_SYSTEMD_UNIT",...}. When the line is itself the application's JSON
 * object, that object is the entry (the wrapper's keys it lacks added),
 * so its message, severity and keys are read as from any JSON app.
 */
static int collector_fields(struct norm *n, json_t *root)
{
	struct event *ev = n->ev;
	json_t *log = json_object_get(root, "log");
	json_t *msg = json_object_get(root, "MESSAGE");
	int docker = json_is_string(log) && !json_object_get(root, "message") &&
		     (json_object_get(root, "stream") || json_object_get(root, "time"));
	int journal = !docker && (json_is_string(msg) || json_is_array(msg)) &&
		      (json_object_get(root, "__REALTIME_TIMESTAMP") ||
		       json_object_get(root, "_HOSTNAME") || json_object_get(root, "PRIORITY"));
	json_t *line = docker ? log : msg, *inner, *v;
	int s;

	if (!docker && !journal)
		return 0;
	if (docker) {
		copy_string_key(n, NF_STREAM, json_object_get(root, "stream"));
		if (json_ts(json_object_get(root, "time"), &ev->ts_us))
			ev->has_ts = 1;
	} else {
		copy_string_key(n, NF_INSTANCE, json_object_get(root, "_HOSTNAME"));
		v = json_object_get(root, "_SYSTEMD_UNIT");
		copy_string_key(n, NF_STREAM, json_is_string(v) ? v :
				json_object_get(root, "SYSLOG_IDENTIFIER"));
		if (json_ts(json_object_get(root, "__REALTIME_TIMESTAMP"), &ev->ts_us))
			ev->has_ts = 1;
		if ((s = syslog_sev(json_object_get(root, "PRIORITY"))) > 0)
			ev->sev = s;
	}
	if ((inner = inner_object(line))) {
		/* the app's line is the entry now: the wrapper goes, the
		 * strings copied above stay in the store */
		const char *const keep[] = { "stream", "time", "_HOSTNAME", "_SYSTEMD_UNIT",
					     "__REALTIME_TIMESTAMP", NULL };
		const char *const *k;
		int had_ts = ev->has_ts;
		int64_t ts = ev->ts_us;

		for (k = keep; *k; k++)
			if ((v = json_object_get(root, *k)) && !json_object_get(inner, *k))
				json_object_set(inner, *k, v);
		json_decref(ev->entry);
		ev->entry = inner;
		ev->payload = inner;
		if (json_object_get(inner, "severity") || json_object_get(inner, "level"))
			ev->sev = SEV_DEFAULT;   /* the app's own level wins */
		ev->has_ts = 0;
		app_fields(n, inner);
		if (!ev->has_ts && had_ts) {
			ev->has_ts = 1;
			ev->ts_us = ts;
		}
		return 1;
	}
	ev->payload = root;
	if (json_is_array(line)) {
		bytes_message(n, line);
	} else {
		/* journald's stream capture says "info" for every line: the
		 * line's own level is better */
		int sev = ev->sev;

		if (journal)
			ev->sev = SEV_DEFAULT;
		borrow_line(n, line, 1);
		if (ev->sev == SEV_DEFAULT)
			ev->sev = sev;
	}
	app_fields(n, root);
	return 1;
}

static void json_fields(struct norm *n, json_t *root)
{
	struct event *ev = n->ev;

	if (json_is_string(root)) {
		nf_borrow(n, NF_MSG, json_string_value(root), json_string_length(root));
		return;
	}
	if (!json_is_object(root))
		return;
	if (probe_close(root, &ev->close)) {
		ev->payload = root;
		app_fields(n, root);
		if (!nf_isset(n, NF_MSG))
			probe_message(n, &ev->close);
		return;
	}
	if (is_logentry(root)) {
		logentry_fields(n, root);
		return;
	}
	if (collector_fields(n, root))
		return;
	if (json_object_get(root, "TimeGenerated")) {
		unwrap_azure_row(root);   /* a Log Analytics row */
		n->level_in_msg = 1;
	}
	ev->payload = root;
	app_fields(n, root);
	copy_string_key(n, NF_STREAM, json_object_get(root, "stream"));
}

/* Correlation keys written in the message text, for whatever the
 * structured fields did not give. */
static void text_keys(struct norm *n)
{
	struct key_hit hit[NF_COUNT];
	struct buf *b = &n->ev->store;
	int in_store = (n->in_store >> NF_MSG) & 1u;
	size_t base = n->off[NF_MSG], i, nhit;

	nhit = text_keys_scan(n->set, in_store ? b->p + base : n->ptr[NF_MSG],
			      n->len[NF_MSG], hit);
	for (i = 0; i < nhit; i++) {
		const char *src;

		/* reserve before taking the source pointer: the source may
		 * itself be in the store, which reserving can move */
		if (buf_reserve(b, hit[i].len + 1) < 0)
			break;
		src = (in_store ? b->p + base : n->ptr[NF_MSG]) + hit[i].off;
		nf_copy(n, hit[i].field, src, hit[i].len);
	}
}

void event_msg_keys(const char *msg, size_t len, unsigned need, struct key_span out[EV_KEYS])
{
	static const enum nf field[EV_KEYS] = { NF_CONN, NF_TRACE, NF_INSTANCE };
	struct key_hit hit[NF_COUNT];
	unsigned found = (1u << NF_COUNT) - 1;
	size_t i, k, nhit;

	for (k = 0; k < EV_KEYS; k++) {
		out[k].p = NULL;
		out[k].n = 0;
		if ((need >> k) & 1u)
			found &= ~(1u << field[k]);
	}
	nhit = text_keys_scan(found, msg, len, hit);
	for (i = 0; i < nhit; i++)
		for (k = 0; k < EV_KEYS; k++)
			if (hit[i].field == field[k]) {
				out[k].p = msg + hit[i].off;
				out[k].n = hit[i].len;
			}
}

int event_from_record(struct event *ev, const struct record *rec, struct diag *d)
{
	struct norm n;
	json_error_t err;
	size_t skip;

	event_clear(ev);
	memset(&n, 0, sizeof n);
	n.ev = ev;
	ev->source = rec->source;
	ev->line = ev->last_line = rec->line;
	ev->truncated = rec->truncated;
	ev->joined = rec->joined;

	if (rec->kind == RECORD_JSON) {
		if (!(ev->entry = event_skim_tree(rec->text, rec->len)))
			ev->entry = json_loadb(rec->text, rec->len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
		if (!ev->entry) {
			long line = rec->line, col = 0;

			/* jansson counts from the record's first byte */
			if (err.line > 0) {
				line = rec->line + err.line - 1;
				col = err.column > 0 ? err.column : 0;
			}
			return diag_set(d, rec->source, line, col, "invalid JSON: %s", err.text);
		}
	} else if (rec->kind == RECORD_YAML && rec->json) {
		ev->entry = json_incref(rec->json);
	}

	{
		/* a multi-line record (pretty JSON, a joined traceback) ends
		 * lines below where it starts */
		const char *p = rec->text, *end = rec->text + rec->len;

		while ((p = memchr(p, '\n', (size_t)(end - p)))) {
			ev->last_line++;
			p++;
		}
	}
	if (nf_copy(&n, NF_TEXT, rec->text, rec->len) < 0)
		nf_borrow(&n, NF_TEXT, "", 0);

	if (ev->entry) {
		json_fields(&n, ev->entry);
	} else if ((n.in_store >> NF_TEXT) & 1u) {
		skip = text_line_prefix(&n, rec);
		skip += text_prefix(ev, rec->text + skip, rec->len - skip);
		if (!ev->has_ts)
			access_log_time(ev, rec->text, rec->len);
		nf_sub(&n, NF_MSG, NF_TEXT, skip, rec->len - skip);
		/* one line under a prefix: the joiner may join it into a block */
		ev->perline = skip > 0 && !rec->joined && !memchr(rec->text, '\n', rec->len);
	}

	if (!nf_isset(&n, NF_MSG) && !ev->entry && ((n.in_store >> NF_TEXT) & 1u))
		nf_sub(&n, NF_MSG, NF_TEXT, 0, n.len[NF_TEXT]);
	if (nf_isset(&n, NF_MSG))
		text_keys(&n);
	nf_resolve(&n);

	if (!ev->close.present) {
		struct close_trace c;

		/* into a copy: a miss must leave the event's "unknown" defaults */
		if (close_parse(ev->msg, ev->msg_len, &c) == 1)
			ev->close = c;
	}
	return 0;
}

int event_from_item(struct event *ev, const struct record *rec, json_t *item)
{
	struct norm n;
	char *dump;

	event_clear(ev);
	memset(&n, 0, sizeof n);
	n.ev = ev;
	n.level_in_msg = 1;
	ev->source = rec->source;
	ev->line = ev->last_line = rec->line;
	ev->entry = item;
	/* the item alone, for examples */
	dump = json_dumps(item, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!dump || nf_copy(&n, NF_TEXT, dump, strlen(dump)) < 0)
		nf_borrow(&n, NF_TEXT, "", 0);
	if (dump)
		jpool_str_free(dump);
	if (json_is_object(item)) {
		json_t *inner = inner_object(json_object_get(item, "message"));

		if (inner) {
			/* the app's JSON line inside the export's message */
			merge_missing(inner, item);
			ev->entry = inner;
			json_decref(item);
			item = inner;
			n.level_in_msg = 0;
		}
		ev->payload = item;
		app_fields(&n, item);
		copy_string_key(&n, NF_STREAM, json_object_get(item, "stream"));
	}
	if (nf_isset(&n, NF_MSG))
		text_keys(&n);
	nf_resolve(&n);
	if (!ev->close.present) {
		struct close_trace c;

		if (close_parse(ev->msg, ev->msg_len, &c) == 1)
			ev->close = c;
	}
	return 0;
}
