#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event/stream.h"
#include "util/buf.h"

/* A real "--- Logging error ---" block as Cloud Run split it: one stderr
 * LogEntry per line (seed 000/001: the failed logger.warning call). */
static const char *const block[] = {
	"--- Logging error ---",
	"Traceback (most recent call last):",
	"  File \"/usr/local/lib/python3.11/logging/__init__.py\", line 1110, in emit",
	"    msg = self.format(record)",
	"          ^^^^^^^^^^^^^^^^^^^",
	"  File \"/app/netra_backend/app/core/logging_formatters.py\", line 88, in format",
	"    return json.dumps(log_entry)",
	"  File \"/usr/local/lib/python3.11/json/encoder.py\", line 180, in default",
	"    raise TypeError(f'Object of type {o.__class__.__name__} '",
	"TypeError: Object of type WebSocketState is not JSON serializable",
	"Call stack:",
	"  File \"/app/netra_backend/app/routes/websocket.py\", line 646, in websocket_endpoint",
	"    logger.warning(f\"WebSocket not in CONNECTED state after registration: {websocket.client_state}\")",
	"Message: 'WebSocket not in CONNECTED state after registration: WebSocketState.CONNECTING'",
	"Arguments: ()",
};
#define NBLOCK (sizeof block / sizeof *block)

struct entry {
	int ms;                 /* 2025-09-08T04:33:41.<ms>Z, plus us below */
	int us;
	const char *instance;
	const char *log;        /* "stderr" / "stdout" */
	const char *sev;
	const char *text;
};

static void add_json_string(struct buf *b, const char *s)
{
	buf_addc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_addc(b, '\\');
		buf_addc(b, *s);
	}
	buf_addc(b, '"');
}

/* One LogEntry, pretty-printed like gcloud (2-space indent, sorted keys). */
static void add_entry(struct buf *b, const struct entry *e, int pretty)
{
	const char *nl = pretty ? "\n    " : "";
	const char *sp = pretty ? " " : "";

	buf_addf(b, "%s{%s\"insertId\":%s\"%d%03d\",", pretty ? "  " : "", nl, sp, e->ms, e->us);
	buf_addf(b, "%s\"labels\":%s{\"instanceId\":%s\"%s\"},", nl, sp, sp, e->instance);
	buf_addf(b, "%s\"logName\":%s\"projects/netra-staging/logs/run.googleapis.com%%2F%s\",",
		 nl, sp, e->log);
	buf_addf(b, "%s\"resource\":%s{\"type\":%s\"cloud_run_revision\"},", nl, sp, sp);
	buf_addf(b, "%s\"severity\":%s\"%s\",", nl, sp, e->sev);
	buf_addf(b, "%s\"textPayload\":%s", nl, sp);
	add_json_string(b, e->text);
	buf_addf(b, ",%s\"timestamp\":%s\"2025-09-08T04:33:41.%03d%03dZ\"%s}",
		 nl, sp, e->ms, e->us, pretty ? "\n  " : "");
}

/* The incident, oldest first: instance A logs the state warning, then the
 * block on stderr (one entry per line, 10 us apart), while instance B
 * answers health checks in between; then A's WebSocket error. */
static size_t incident(struct entry *out)
{
	size_t n = 0, i;

	out[n++] = (struct entry){ 100, 0, "inst-a", "stdout", "WARNING",
		"WebSocket not in CONNECTED state after registration: WebSocketState.CONNECTING" };
	for (i = 0; i < NBLOCK; i++) {
		out[n++] = (struct entry){ 141, (int)(200 + i * 10), "inst-a", "stderr", "ERROR", block[i] };
		if (i == 3 || i == 9)
			out[n++] = (struct entry){ 141, (int)(205 + i * 10), "inst-b", "stderr", "INFO",
				"GET /health 200" };
		if (i == 6)
			out[n++] = (struct entry){ 141, (int)(205 + i * 10), "inst-b", "stderr", "ERROR",
				"KeyError: 'x'" };
	}
	out[n++] = (struct entry){ 143, 0, "inst-a", "stdout", "ERROR",
		"WebSocket error: Object of type WebSocketState is not JSON serializable" };
	return n;
}

static char *gcloud_array(const struct entry *e, size_t n, int newest_first)
{
	struct buf b = BUF_INIT(0);
	size_t i;

	buf_adds(&b, "[\n");
	for (i = 0; i < n; i++) {
		add_entry(&b, &e[newest_first ? n - 1 - i : i], 1);
		buf_adds(&b, i + 1 < n ? ",\n" : "\n");
	}
	buf_adds(&b, "]\n");
	return buf_detach(&b, NULL);
}

static char *ndjson(const struct entry *e, size_t n)
{
	struct buf b = BUF_INIT(0);
	size_t i;

	for (i = 0; i < n; i++) {
		add_entry(&b, &e[i], 0);
		buf_addc(&b, '\n');
	}
	return buf_detach(&b, NULL);
}

static char *joined_block(void)
{
	struct buf b = BUF_INIT(0);
	size_t i;

	for (i = 0; i < NBLOCK; i++) {
		if (i)
			buf_addc(&b, '\n');
		buf_adds(&b, block[i]);
	}
	return buf_detach(&b, NULL);
}

struct warns {
	int n;
	struct diag last;
};

static void on_warn(void *ctx, const struct diag *d)
{
	struct warns *w = ctx;

	w->n++;
	w->last = *d;
}

struct got {
	char *msg[64];
	char *inst[64];
	long line[64], last_line[64];
	long long ts[64];
	int sev[64], joined[64];
	size_t n;
};

static void drain(struct evstream *s, struct got *g)
{
	struct event *ev;
	struct diag d;
	int rc;

	memset(g, 0, sizeof *g);
	while ((rc = evstream_next(s, &ev, &d)) == 1) {
		cr_assert_lt(g->n, 64);
		g->msg[g->n] = strndup(ev->msg, ev->msg_len);
		g->inst[g->n] = ev->instance ? strdup(ev->instance) : NULL;
		g->line[g->n] = ev->line;
		g->last_line[g->n] = ev->last_line;
		g->ts[g->n] = ev->has_ts ? (long long)ev->ts_us : -1;
		g->sev[g->n] = ev->sev;
		g->joined[g->n] = ev->joined;
		g->n++;
	}
	cr_assert_eq(rc, 0, "read error: %s", d.msg);
}

static void got_free(struct got *g)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		free(g->msg[i]);
		free(g->inst[i]);
	}
}

static size_t find(const struct got *g, const char *msg)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (!strcmp(g->msg[i], msg))
			return i;
	return (size_t)-1;
}

#define TS_BLOCK_START 1757306021141200LL   /* 04:33:41.141200Z */

static void check_incident(const struct got *g, const struct entry *e, size_t n, int newest_first)
{
	char *want = joined_block();
	size_t j = find(g, want), i, b_seen = 0;

	/* 15 block lines became one event; the 4 others pass through */
	cr_assert_eq(g->n, n - NBLOCK + 1, "%zu events", g->n);
	cr_assert_neq(j, (size_t)-1, "no joined block");
	cr_expect_eq(g->joined[j], 1);
	cr_expect_str_eq(g->inst[j], "inst-a");
	cr_expect_eq(g->ts[j], TS_BLOCK_START);
	cr_expect_eq(g->sev[j], SEV_ERROR);
	cr_expect_lt(g->line[j], g->last_line[j]);
	for (i = 0; i < g->n; i++) {
		if (i != j)
			cr_expect_eq(g->joined[i], 0);
		if (g->inst[i] && !strcmp(g->inst[i], "inst-b"))
			b_seen++;
	}
	cr_expect_eq(b_seen, 3);
	/* everything else keeps the stream's order: newest first stays so */
	for (i = 1; i < g->n; i++) {
		if (newest_first)
			cr_expect_geq(g->ts[i - 1], g->ts[i], "order at %zu", i);
		else
			cr_expect_leq(g->ts[i - 1], g->ts[i], "order at %zu", i);
	}
	(void)e;
	free(want);
}

Test(stream, gcloud_array_newest_first_interleaved)
{
	struct entry e[32];
	size_t n = incident(e);
	char *data = gcloud_array(e, n, 1);
	struct warns w = { 0 };
	struct warn_sink sink = { on_warn, &w };
	struct evstream_opts o = { .format = INPUT_AUTO, .warn = &sink };
	struct evstream *s = evstream_open_mem("gcloud.json", data, strlen(data), &o);
	struct got g;
	size_t j;

	cr_assert_not_null(s);
	drain(s, &g);
	cr_expect_eq(evstream_format(s), INPUT_JSON);
	cr_expect_eq(evstream_records(s), (long)n);
	cr_expect_eq(w.n, 0, "warning: %s", w.last.msg);
	check_incident(&g, e, n, 1);
	/* newest first: the block sits where its oldest line was, after B's
	 * entries written while it was being written, before A's warning */
	j = find(&g, "WebSocket error: Object of type WebSocketState is not JSON serializable");
	cr_expect_eq(j, 0);
	cr_expect_str_eq(g.inst[1], "inst-b");
	cr_expect_str_eq(g.inst[3], "inst-b");
	cr_expect_eq(g.joined[4], 1);
	cr_expect_str_eq(g.msg[g.n - 1],
			 "WebSocket not in CONNECTED state after registration: WebSocketState.CONNECTING");
	/* the array is pretty-printed: the block spans many lines of it, from
	 * its newest line (first in the file) to its oldest */
	cr_expect_gt(g.last_line[4] - g.line[4], 100, "%ld..%ld", g.line[4], g.last_line[4]);
	got_free(&g);
	evstream_close(s);
	free(data);
}

Test(stream, ndjson_oldest_first)
{
	struct entry e[32];
	size_t n = incident(e);
	char *data = ndjson(e, n);
	struct evstream_opts o = { .format = INPUT_AUTO };
	struct evstream *s = evstream_open_mem("entries.ndjson", data, strlen(data), &o);
	struct got g;
	size_t j;

	cr_assert_not_null(s);
	drain(s, &g);
	check_incident(&g, e, n, 0);
	j = find(&g, "GET /health 200");
	/* B's first health check came in the middle of the block: it waits
	 * for the block, which takes the place of its first line */
	cr_expect_eq(g.line[1], 2);
	cr_expect_eq(g.last_line[1], 2 + (long)NBLOCK + 2);
	cr_expect_eq(j, 2);
	got_free(&g);
	evstream_close(s);
	free(data);
}

Test(stream, no_join_keeps_entries_apart)
{
	struct entry e[32];
	size_t n = incident(e);
	char *data = ndjson(e, n);
	struct evstream_opts o = { .format = INPUT_AUTO, .no_join = 1 };
	struct evstream *s = evstream_open_mem("entries.ndjson", data, strlen(data), &o);
	struct got g;
	size_t i;

	drain(s, &g);
	cr_expect_eq(g.n, n);
	for (i = 0; i < g.n; i++) {
		cr_expect_str_eq(g.msg[i], e[i].text);
		cr_expect_eq(g.line[i], (long)i + 1);
	}
	got_free(&g);
	evstream_close(s);
	free(data);
}

Test(stream, equal_timestamps_newest_first)
{
	/* gcloud sorted lines that share a timestamp newest first too */
	struct entry e[NBLOCK + 4];
	size_t n = 0, i;
	char *data, *want = joined_block();
	struct evstream *s;
	struct got g;

	e[n++] = (struct entry){ 100, 0, "a", "stdout", "INFO", "before" };
	e[n++] = (struct entry){ 100, 100, "a", "stdout", "INFO", "before 2" };
	for (i = 0; i < NBLOCK; i++)
		e[n++] = (struct entry){ 141, 0, "a", "stderr", "ERROR", block[i] };
	e[n++] = (struct entry){ 150, 0, "a", "stdout", "INFO", "after" };
	data = gcloud_array(e, n, 1);
	s = evstream_open_mem("eq.json", data, strlen(data), NULL);
	drain(s, &g);
	cr_assert_eq(g.n, 4);
	cr_expect_str_eq(g.msg[0], "after");
	cr_expect_str_eq(g.msg[1], want);
	cr_expect_str_eq(g.msg[2], "before 2");
	got_free(&g);
	evstream_close(s);
	free(data);
	free(want);
}

Test(stream, gap_splits_and_text_passes)
{
	/* a traceback header, then 10 s later its "rest": not one block */
	const char *data =
		"{\"textPayload\":\"Traceback (most recent call last):\",\"timestamp\":\"2025-09-08T04:33:00Z\",\"labels\":{\"instanceId\":\"a\"}}\n"
		"{\"textPayload\":\"  File \\\"x.py\\\", line 1, in f\",\"timestamp\":\"2025-09-08T04:33:10Z\",\"labels\":{\"instanceId\":\"a\"}}\n"
		"{\"textPayload\":\"ValueError: boom\",\"timestamp\":\"2025-09-08T04:33:10.000001Z\",\"labels\":{\"instanceId\":\"a\"}}\n"
		"plain text among entries\n";
	struct evstream *s = evstream_open_mem("gap.ndjson", data, strlen(data), NULL);
	struct got g;

	drain(s, &g);
	cr_assert_eq(g.n, 4, "%zu", g.n);
	cr_expect_str_eq(g.msg[0], "Traceback (most recent call last):");
	cr_expect_eq(g.joined[0], 0);
	cr_expect_str_eq(g.msg[3], "plain text among entries");
	got_free(&g);
	evstream_close(s);
}

Test(stream, invalid_json_is_kept_as_text)
{
	const char *data =
		"{\"severity\":\"INFO\",\"message\":\"one\"}\n"
		"{\"severity\":\"ERROR\",\"message\": oops}\n"
		"{\"severity\":\"INFO\",\"message\":\"three\"}\n";
	struct warns w = { 0 };
	struct warn_sink sink = { on_warn, &w };
	struct evstream_opts o = { .format = INPUT_JSON, .warn = &sink };
	struct evstream *s = evstream_open_mem("bad.ndjson", data, strlen(data), &o);
	struct got g;

	drain(s, &g);
	cr_assert_eq(g.n, 3);
	cr_expect_str_eq(g.msg[1], "{\"severity\":\"ERROR\",\"message\": oops}");
	cr_expect_eq(g.line[1], 2);
	cr_expect_geq(w.n, 1);
	cr_expect_str_eq(w.last.file, "bad.ndjson");
	cr_expect_eq(w.last.line, 2);
	got_free(&g);
	evstream_close(s);
}

Test(stream, cut_array_keeps_records_before_the_cut)
{
	struct entry e[32];
	size_t n = incident(e);
	char *data = gcloud_array(e, n, 1);
	struct warns w = { 0 };
	struct warn_sink sink = { on_warn, &w };
	struct evstream_opts o = { .format = INPUT_AUTO, .warn = &sink };
	size_t cut = strlen(data) / 2;
	struct evstream *s = evstream_open_mem("cut.json", data, cut, &o);
	struct got g;

	drain(s, &g);
	cr_expect_gt(g.n, 3);
	cr_expect_geq(w.n, 1);
	got_free(&g);
	evstream_close(s);
	free(data);
}

Test(stream, text_input_and_open_errors)
{
	const char *data =
		"2025-09-08T04:33:37.537294Z  ERROR  WebSocket error: Object of type WebSocketState is not JSON serializable\n"
		"2025-09-08T04:32:59.040740Z  ERROR  WebSocket error: Object of type WebSocketState is not JSON serializable\n";
	struct evstream *s = evstream_open_mem("seed001.txt", data, strlen(data), NULL);
	struct evstream_opts o = { .format = INPUT_AUTO };
	struct diag d;
	struct got g;

	drain(s, &g);
	cr_assert_eq(g.n, 2);
	cr_expect_eq(g.sev[0], SEV_ERROR);
	cr_expect_eq(g.ts[1], 1757305979040740LL);
	cr_expect_str_eq(g.msg[0], "WebSocket error: Object of type WebSocketState is not JSON serializable");
	got_free(&g);
	evstream_close(s);
	evstream_close(NULL);

	memset(&d, 0, sizeof d);
	cr_expect_null(evstream_open("/nonexistent/logwhy.json", &o, &d));
	cr_expect_neq(d.msg[0], '\0');
}

/* Hand-built events straight into the joiner. */
static void push_line(struct evjoin *j, const char *inst, long long ts, const char *msg, long line)
{
	struct event *ev = evjoin_slot(j);
	struct record r;
	char text[512];

	snprintf(text, sizeof text,
		 "{\"textPayload\":\"%s\",\"labels\":{\"instanceId\":\"%s\"},\"timestampSeconds\":%lld}",
		 msg, inst, ts);
	memset(&r, 0, sizeof r);
	r.source = "mem";
	r.line = line;
	r.kind = RECORD_JSON;
	r.text = text;
	r.len = strlen(text);
	cr_assert_not_null(ev);
	cr_assert_eq(event_from_record(ev, &r, NULL), 0, "%s", text);
	cr_assert_eq(evjoin_push(j), 0);
}

Test(stream, joiner_memory_is_bounded)
{
	/* an instance that writes nothing but block-shaped lines, forever */
	struct evjoin *j = evjoin_new();
	size_t held_max = 0, out = 0, joined_lines = 0;
	long i;
	struct event *ev;

	cr_assert_not_null(j);
	push_line(j, "a", 1757306017, "Traceback (most recent call last):", 1);
	for (i = 2; i <= 25000; i++) {
		push_line(j, "a", 1757306017, "  File \\\"x.py\\\", line 1, in f", i);
		if (evjoin_held(j) > held_max)
			held_max = evjoin_held(j);
		while ((ev = evjoin_pop(j))) {
			out++;
			joined_lines += ev->joined ? (size_t)(ev->last_line - ev->line + 1) : 1;
		}
	}
	evjoin_end(j);
	while ((ev = evjoin_pop(j))) {
		out++;
		joined_lines += ev->joined ? (size_t)(ev->last_line - ev->line + 1) : 1;
	}
	cr_expect_leq(held_max, EVJOIN_MAX_ENTRIES + 1, "held %zu", held_max);
	cr_expect_eq(joined_lines, 25000, "every line accounted for: %zu", joined_lines);
	cr_expect_gt(out, 2);
	evjoin_free(j);
}

Test(stream, joiner_bytes_are_bounded)
{
	struct evjoin *j = evjoin_new();
	char line[4096];
	size_t held_max = 0;
	long i;

	memset(line, 0, sizeof line);
	memcpy(line, "  ", 2);
	memset(line + 2, 'x', sizeof line - 3);
	push_line(j, "a", 1757306017, "Traceback (most recent call last):", 1);
	for (i = 2; i < 4000; i++) {
		/* about 4 KiB each: 16 MiB in all, twice the byte bound */
		struct event *ev = evjoin_slot(j);
		struct record r;
		struct buf t = BUF_INIT(0);

		buf_addf(&t, "{\"textPayload\":\"%s\",\"labels\":{\"instanceId\":\"a\"}}", line);
		memset(&r, 0, sizeof r);
		r.source = "mem";
		r.line = i;
		r.kind = RECORD_JSON;
		r.text = t.p;
		r.len = t.len;
		cr_assert_eq(event_from_record(ev, &r, NULL), 0);
		cr_assert_eq(evjoin_push(j), 0);
		buf_free(&t);
		if (evjoin_held(j) > held_max)
			held_max = evjoin_held(j);
		while (evjoin_pop(j))
			;
	}
	cr_expect_lt(held_max * 4096, 2 * EVJOIN_MAX_BYTES + 65536, "held %zu", held_max);
	evjoin_free(j);
}

Test(stream, joiner_many_instances)
{
	/* more instances mid-block than runs: every line still comes out once */
	struct evjoin *j = evjoin_new();
	size_t out = 0;
	struct event *ev;
	int k;

	for (k = 0; k < EVJOIN_MAX_RUNS * 2; k++) {
		char inst[16];

		snprintf(inst, sizeof inst, "i%d", k);
		push_line(j, inst, 1757306017, "Traceback (most recent call last):", 2 * k + 1);
		push_line(j, inst, 1757306017, "  File \\\"x.py\\\", line 1, in f", 2 * k + 2);
		while ((ev = evjoin_pop(j)))
			out += ev->joined ? 2 : 1;
	}
	evjoin_end(j);
	while ((ev = evjoin_pop(j)))
		out += ev->joined ? 2 : 1;
	cr_expect_eq(out, (size_t)EVJOIN_MAX_RUNS * 4);
	evjoin_free(j);
}

/* One close printed twice, as the log line and as the exception line of the
 * traceback after it, is one close; two closes on their own lines stay two. */
Test(stream, a_close_printed_twice_counts_once)
{
	const char *data =
		"2024-05-01 10:00:00,123 ERROR WebSocket error: sent 1011 (internal error) keepalive ping timeout; no close frame received\n"
		"Traceback (most recent call last):\n"
		"  File \"/app/ws.py\", line 40, in handler\n"
		"    msg = await websocket.recv()\n"
		"websockets.exceptions.ConnectionClosedError: sent 1011 (internal error) keepalive ping timeout; no close frame received\n"
		"2024-05-01 10:00:01,000 ERROR WebSocket error: sent 1011 (internal error) keepalive ping timeout; no close frame received\n"
		"2024-05-01 10:00:02,000 ERROR WebSocket error: sent 1011 (internal error) keepalive ping timeout; no close frame received\n";
	struct evstream *s = evstream_open_mem("app.log", data, strlen(data), NULL);
	struct event *ev;
	int closes = 0, events = 0;

	while (evstream_next(s, &ev, NULL) == 1) {
		events++;
		closes += ev->close.present;
	}
	cr_expect_eq(events, 4, "%d", events);
	cr_expect_eq(closes, 3, "%d", closes);
	evstream_close(s);
}
