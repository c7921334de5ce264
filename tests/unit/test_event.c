#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event/event.h"
#include "read/multiline.h"
#include "util/diag.h"

/* Real-shaped records -> what the event must say. NULL: must be unset. */
struct want {
	const char *name;
	enum record_kind kind;
	const char *text;
	long long ts;          /* -1: no timestamp */
	int sev;
	const char *msg;
	const char *trace;
	const char *span;
	const char *instance;
	const char *conn;
	const char *user;
	int payload;           /* 1: a payload is expected */
};

#define SEED_TS 1757306017537294LL   /* 2025-09-08T04:33:37.537294Z */

static const struct want cases[] = {
	{ "gcloud textPayload", RECORD_JSON,
	  "{\n"
	  "  \"insertId\": \"68be5c71000833de2b1c9d3a\",\n"
	  "  \"labels\": {\n"
	  "    \"instanceId\": \"0069c7a9883f6c2d1e\"\n"
	  "  },\n"
	  "  \"logName\": \"projects/netra-staging/logs/run.googleapis.com%2Fstderr\",\n"
	  "  \"receiveTimestamp\": \"2025-09-08T04:33:37.712345678Z\",\n"
	  "  \"resource\": {\n"
	  "    \"labels\": {\n"
	  "      \"service_name\": \"netra-backend-staging\"\n"
	  "    },\n"
	  "    \"type\": \"cloud_run_revision\"\n"
	  "  },\n"
	  "  \"severity\": \"ERROR\",\n"
	  "  \"textPayload\": \"WebSocket error: Object of type WebSocketState is not JSON serializable\",\n"
	  "  \"timestamp\": \"2025-09-08T04:33:37.537294Z\",\n"
	  "  \"trace\": \"projects/netra-staging/traces/4bf92f3577b34da6a3ce929d0e0e4736\",\n"
	  "  \"spanId\": \"00f067aa0ba902b7\"\n"
	  "}",
	  SEED_TS, SEV_ERROR,
	  "WebSocket error: Object of type WebSocketState is not JSON serializable",
	  "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "0069c7a9883f6c2d1e",
	  NULL, NULL, 0 },
	{ "gcloud jsonPayload", RECORD_JSON,
	  "{\"insertId\":\"x1\",\"jsonPayload\":{\"message\":\"WebSocket state check failed\","
	  "\"connection_id\":\"conn_12345\",\"user_id\":\"user_67890\",\"websocket_state\":\"connected\"},"
	  "\"labels\":{\"instanceId\":\"inst-a\"},\"logName\":\"projects/p/logs/run.googleapis.com%2Fstdout\","
	  "\"receiveTimestamp\":\"2025-09-08T12:00:01Z\",\"resource\":{\"type\":\"cloud_run_revision\"},"
	  "\"severity\":\"WARNING\",\"timestamp\":\"2025-09-08T12:00:00.000Z\"}",
	  1757332800000000LL, SEV_WARNING, "WebSocket state check failed",
	  NULL, NULL, "inst-a", "conn_12345", "user_67890", 1 },
	{ "gcloud jsonPayload msg, receiveTimestamp only", RECORD_JSON,
	  "{\"insertId\":\"x2\",\"jsonPayload\":{\"msg\":\"ready\",\"connectionId\":42},"
	  "\"receiveTimestamp\":\"2025-09-08T04:33:37Z\",\"resource\":{\"labels\":{\"instance_id\":\"gce-1\"}}}",
	  1757306017000000LL, SEV_DEFAULT, "ready", NULL, NULL, "gce-1", "42", NULL, 1 },
	{ "gcloud httpRequest 500", RECORD_JSON,
	  "{\"httpRequest\":{\"latency\":\"0.012s\",\"requestMethod\":\"GET\","
	  "\"requestUrl\":\"https://api.staging.netrasystems.ai/ws\",\"status\":500},"
	  "\"insertId\":\"r1\",\"logName\":\"projects/p/logs/run.googleapis.com%2Frequests\","
	  "\"resource\":{\"type\":\"cloud_run_revision\"},\"severity\":\"ERROR\","
	  "\"timestamp\":\"2025-09-08T04:33:37.537294Z\","
	  "\"trace\":\"projects/p/traces/abc123\"}",
	  SEED_TS, SEV_ERROR, "GET https://api.staging.netrasystems.ai/ws 500",
	  "abc123", NULL, NULL, NULL, NULL, 0 },
	{ "Cloud Run stdout", RECORD_JSON,
	  "{\"severity\":\"ERROR\",\"message\":\"WebSocket error: Object of type WebSocketState is not JSON serializable\","
	  "\"time\":\"2025-09-08T06:33:37.5+02:00\","
	  "\"logging.googleapis.com/trace\":\"projects/netra-staging/traces/t-77\","
	  "\"logging.googleapis.com/spanId\":\"s-1\","
	  "\"logging.googleapis.com/labels\":{\"instanceId\":\"i-9\"},"
	  "\"logging.googleapis.com/insertId\":\"ins\",\"connection_id\":\"ws_conn_1\"}",
	  1757306017500000LL, SEV_ERROR,
	  "WebSocket error: Object of type WebSocketState is not JSON serializable",
	  "t-77", "s-1", "i-9", "ws_conn_1", NULL, 1 },
	{ "Cloud Run stdout timestampSeconds", RECORD_JSON,
	  "{\"severity\":\"INFO\",\"msg\":\"accepted\",\"timestampSeconds\":1757306017,"
	  "\"timestampNanos\":537294000}",
	  SEED_TS, SEV_INFO, "accepted", NULL, NULL, NULL, NULL, NULL, 1 },
	{ "python-json-logger", RECORD_JSON,
	  "{\"asctime\":\"2025-09-08 04:33:37,537\",\"levelname\":\"ERROR\",\"name\":\"ws\","
	  "\"message\":\"WebSocket error\",\"userId\":\"u-5\"}",
	  1757306017537000LL, SEV_ERROR, "WebSocket error", NULL, NULL, NULL, NULL, "u-5", 1 },
	{ "pino numeric level, epoch ms", RECORD_JSON,
	  "{\"level\":50,\"time\":1757306017537,\"msg\":\"close\",\"conn_id\":\"c9\"}",
	  1757306017537000LL, SEV_ERROR, "close", NULL, NULL, NULL, "c9", NULL, 1 },
	{ "@timestamp and level word", RECORD_JSON,
	  "{\"@timestamp\":\"2025-09-08T04:33:37.537294Z\",\"level\":\"warn\",\"message\":\"slow\"}",
	  SEED_TS, SEV_WARNING, "slow", NULL, NULL, NULL, NULL, NULL, 1 },
	{ "JSON message with key=value text", RECORD_JSON,
	  "{\"severity\":\"ERROR\",\"message\":\"closing connection_id=ws-77 user_id=u1 code=1011\"}",
	  -1, SEV_ERROR, "closing connection_id=ws-77 user_id=u1 code=1011",
	  NULL, NULL, NULL, "ws-77", "u1", 1 },
	{ "seed 001 gcloud table line", RECORD_TEXT,
	  "2025-09-08T04:33:37.537294Z  ERROR  WebSocket error: Object of type WebSocketState is not JSON serializable",
	  SEED_TS, SEV_ERROR,
	  "WebSocket error: Object of type WebSocketState is not JSON serializable",
	  NULL, NULL, NULL, NULL, NULL, 0 },
	{ "gcloud value() tabs", RECORD_TEXT,
	  "2025-09-08T04:32:59.040740Z\tERROR\tWebSocket error: Object of type WebSocketState is not JSON serializable",
	  1757305979040740LL, SEV_ERROR,
	  "WebSocket error: Object of type WebSocketState is not JSON serializable",
	  NULL, NULL, NULL, NULL, NULL, 0 },
	{ "gcloud value() no severity", RECORD_TEXT,
	  "2025-09-08T04:33:37.537294Z\t\tStarting server",
	  SEED_TS, SEV_DEFAULT, "Starting server", NULL, NULL, NULL, NULL, NULL, 0 },
	{ "python logging default format", RECORD_TEXT,
	  "2025-09-08 04:33:37,537 - netra_backend.app.routes.websocket - ERROR - WebSocket error: Object of type WebSocketState is not JSON serializable",
	  1757306017537000LL, SEV_ERROR,
	  "WebSocket error: Object of type WebSocketState is not JSON serializable",
	  NULL, NULL, NULL, NULL, NULL, 0 },
	{ "python basicConfig", RECORD_TEXT,
	  "ERROR:netra_backend.app.routes.websocket:WebSocket error: Object of type WebSocketState is not JSON serializable",
	  -1, SEV_ERROR,
	  "WebSocket error: Object of type WebSocketState is not JSON serializable",
	  NULL, NULL, NULL, NULL, NULL, 0 },
	{ "uvicorn accepted", RECORD_TEXT,
	  "INFO:     127.0.0.1:51234 - \"WebSocket /ws\" [accepted]",
	  -1, SEV_INFO, "127.0.0.1:51234 - \"WebSocket /ws\" [accepted]",
	  NULL, NULL, NULL, NULL, NULL, 0 },
	{ "WARNING: colon", RECORD_TEXT,
	  "WARNING: Cloud Run state check: WebSocketState.CONNECTED",
	  -1, SEV_WARNING, "Cloud Run state check: WebSocketState.CONNECTED",
	  NULL, NULL, NULL, NULL, NULL, 0 },
	{ "seed 002 debug script", RECORD_TEXT,
	  "   [ERROR] CONNECTION CLOSED after 0.063s",
	  -1, SEV_ERROR, "CONNECTION CLOSED after 0.063s", NULL, NULL, NULL, NULL, NULL, 0 },
	{ "ISO, bracket level, keys", RECORD_TEXT,
	  "2025-09-08T04:33:37.537294Z [ERROR] ws closed conn_id=abc trace=projects/p/traces/T1 instance=i-2 user_id=\"u 9\"",
	  SEED_TS, SEV_ERROR,
	  "ws closed conn_id=abc trace=projects/p/traces/T1 instance=i-2 user_id=\"u 9\"",
	  "T1", NULL, "i-2", "abc", "u 9", 0 },
	{ "flask bracketed timestamp", RECORD_TEXT,
	  "[2025-09-08 04:33:37,537] ERROR in websocket: boom",
	  1757306017537000LL, SEV_ERROR, "in websocket: boom", NULL, NULL, NULL, NULL, NULL, 0 },
	{ "loguru", RECORD_TEXT,
	  "2025-09-08 04:33:37.537 | WARNING  | app.ws:handler:42 - state check",
	  1757306017537000LL, SEV_WARNING, "app.ws:handler:42 - state check",
	  NULL, NULL, NULL, NULL, NULL, 0 },
	{ "lower-case word is a message", RECORD_TEXT,
	  "Error handling the message", -1, SEV_DEFAULT, "Error handling the message",
	  NULL, NULL, NULL, NULL, NULL, 0 },
	{ "capitalized word after a timestamp is prose", RECORD_TEXT,
	  "2025-09-08T04:33:37.537294Z Error: connection reset by peer",
	  SEED_TS, SEV_DEFAULT, "Error: connection reset by peer", NULL, NULL, NULL, NULL, NULL, 0 },
	{ "zap console", RECORD_TEXT,
	  "2025-09-08T04:33:37.537294Z\terror\tws/handler.go:42\tclose 1011",
	  SEED_TS, SEV_ERROR, "ws/handler.go:42\tclose 1011", NULL, NULL, NULL, NULL, NULL, 0 },
	{ "bare message", RECORD_TEXT,
	  "Connecting to WebSocket...", -1, SEV_DEFAULT, "Connecting to WebSocket...",
	  NULL, NULL, NULL, NULL, NULL, 0 },
	{ "dict repr keys", RECORD_TEXT,
	  "state check {'connection_id': 'ws_1', \"userId\": \"u2\", 'trace': None}",
	  -1, SEV_DEFAULT, "state check {'connection_id': 'ws_1', \"userId\": \"u2\", 'trace': None}",
	  NULL, NULL, NULL, "ws_1", "u2", 0 },
	{ "key must start a word", RECORD_TEXT,
	  "xconn_id=1 stack trace: none", -1, SEV_DEFAULT, "xconn_id=1 stack trace: none",
	  NULL, NULL, NULL, NULL, NULL, 0 },
	{ "offset without colon", RECORD_TEXT,
	  "2025-09-08T05:33:37.537294+0100 INFO ok",
	  SEED_TS, SEV_INFO, "ok", NULL, NULL, NULL, NULL, NULL, 0 },
};

static int contains(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	for (i = 0; i + k <= n; i++)
		if (!memcmp(s + i, needle, k))
			return 1;
	return 0;
}

static void check_str(const char *name, const char *what, const char *got, const char *want)
{
	if (!want)
		cr_expect_null(got, "%s: %s = '%s', want unset", name, what, got ? got : "");
	else
		cr_expect(got && !strcmp(got, want), "%s: %s = '%s', want '%s'", name, what,
			  got ? got : "(null)", want);
}

static struct record rec_of(enum record_kind kind, const char *text, long line)
{
	struct record r;

	memset(&r, 0, sizeof r);
	r.source = "t.log";
	r.line = line;
	r.kind = kind;
	r.text = text;
	r.len = strlen(text);
	return r;
}

Test(event, table)
{
	struct event ev;
	size_t i;

	event_init(&ev);
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		const struct want *w = &cases[i];
		struct record r = rec_of(w->kind, w->text, 10);
		struct diag d;
		int rc = event_from_record(&ev, &r, &d);

		cr_assert_eq(rc, 0, "%s: rc %d (%s)", w->name, rc, d.msg);
		if (w->ts < 0) {
			cr_expect_eq(ev.has_ts, 0, "%s: unexpected timestamp %lld", w->name,
				     (long long)ev.ts_us);
		} else {
			cr_expect_eq(ev.has_ts, 1, "%s: no timestamp", w->name);
			cr_expect_eq(ev.ts_us, w->ts, "%s: ts %lld want %lld", w->name,
				     (long long)ev.ts_us, w->ts);
		}
		cr_expect_eq((int)ev.sev, w->sev, "%s: sev %s want %s", w->name,
			     event_sev_name(ev.sev), event_sev_name(w->sev));
		cr_expect_eq(ev.msg_len, strlen(ev.msg), "%s: msg_len", w->name);
		check_str(w->name, "msg", ev.msg, w->msg);
		check_str(w->name, "trace", ev.trace, w->trace);
		check_str(w->name, "span", ev.span, w->span);
		check_str(w->name, "instance", ev.instance, w->instance);
		check_str(w->name, "conn", ev.conn, w->conn);
		check_str(w->name, "user", ev.user, w->user);
		cr_expect_eq(ev.payload != NULL, w->payload, "%s: payload", w->name);
		cr_expect_eq(ev.text_len, strlen(w->text), "%s: text_len", w->name);
		cr_expect(ev.text && !memcmp(ev.text, w->text, ev.text_len), "%s: text", w->name);
		cr_expect_str_eq(ev.source, "t.log");
		cr_expect_eq(ev.line, 10);
		cr_expect_geq(ev.last_line, 10);
		if (i == 0)
			cr_expect_eq(ev.last_line, 28, "pretty entry ends on line %ld", ev.last_line);
		cr_expect_eq((ev.entry != NULL), w->kind == RECORD_JSON, "%s: entry", w->name);
	}
	event_clear(&ev);
	buf_free(&ev.store);
}

Test(event, invalid_json_is_located)
{
	/* the error is on the record's third line */
	const char *text = "{\n  \"severity\": \"ERROR\",\n  \"message\": oops\n}";
	struct record r = rec_of(RECORD_JSON, text, 41);
	struct event ev;
	struct diag d;
	char out[1024];

	event_init(&ev);
	memset(&d, 0, sizeof d);
	cr_assert_eq(event_from_record(&ev, &r, &d), -1);
	cr_expect_str_eq(d.file, "t.log");
	cr_expect_eq(d.line, 43);
	cr_expect_gt(d.col, 0);
	cr_expect(strncmp(d.msg, "invalid JSON: ", 14) == 0, "msg: %s", d.msg);
	diag_format(&d, out, sizeof out);
	cr_expect(strncmp(out, "t.log:43:", 9) == 0, "%s", out);

	/* a trailing comma at the end of the first line */
	r = rec_of(RECORD_JSON, "{\"a\": 1,}", 7);
	cr_assert_eq(event_from_record(&ev, &r, &d), -1);
	cr_expect_eq(d.line, 7);
	event_clear(&ev);
	buf_free(&ev.store);
}

Test(event, yaml_record_takes_a_reference)
{
	json_error_t err;
	json_t *doc = json_loads("{\"textPayload\":\"Traceback (most recent call last):\","
				 "\"severity\":\"ERROR\",\"labels\":{\"instanceId\":\"y1\"},"
				 "\"timestamp\":\"2025-09-08T04:33:37.537294Z\"}", 0, &err);
	struct record r = rec_of(RECORD_YAML, "textPayload: Traceback (most recent call last):", 3);
	struct event ev;

	cr_assert_not_null(doc);
	r.json = doc;
	event_init(&ev);
	cr_assert_eq(event_from_record(&ev, &r, NULL), 0);
	cr_expect_str_eq(ev.msg, "Traceback (most recent call last):");
	cr_expect_str_eq(ev.instance, "y1");
	cr_expect_eq(ev.sev, SEV_ERROR);
	cr_expect_eq(ev.ts_us, SEED_TS);
	cr_expect_eq(doc->refcount, 2);
	event_clear(&ev);
	cr_expect_eq(doc->refcount, 1);
	json_decref(doc);
	buf_free(&ev.store);
}

Test(event, probe_trace)
{
	const char *text = "{\"probe\":\"logwhy\",\"url\":\"wss://api.staging.netrasystems.ai/ws\","
			   "\"close\":{\"code\":1011,\"reason\":\"Internal error\",\"direction\":\"received\","
			   "\"clean\":true},\"elapsed_ms\":63,\"time\":\"2025-09-08T04:33:37.537294Z\"}";
	struct record r = rec_of(RECORD_JSON, text, 1);
	struct event ev;
	struct buf b = BUF_INIT(0);

	event_init(&ev);
	cr_assert_eq(event_from_record(&ev, &r, NULL), 0);
	cr_expect_eq(ev.close.present, 1);
	cr_expect_eq(ev.close.code, 1011);
	cr_expect_str_eq(ev.close.reason, "Internal error");
	cr_expect_eq(ev.close.direction, CLOSE_DIR_RECEIVED);
	cr_expect_eq(ev.close.clean, 1);
	cr_expect_eq(ev.close.elapsed_ms, 63);
	cr_expect_str_eq(ev.close.client, "probe");
	cr_expect_eq(ev.ts_us, SEED_TS);
	cr_expect(strstr(ev.msg, "code=1011") != NULL, "msg: %s", ev.msg);
	cr_expect_eq(event_field(&ev, "close.code", &b), 1);
	cr_expect_str_eq(b.p, "1011");
	buf_reset(&b);
	cr_expect_eq(event_field(&ev, "close.direction", &b), 1);
	cr_expect_str_eq(b.p, "received");
	buf_reset(&b);
	cr_expect_eq(event_field(&ev, "close.clean", &b), 1);
	cr_expect_str_eq(b.p, "true");
	buf_reset(&b);
	cr_expect_eq(event_field(&ev, "url", &b), 1);
	cr_expect_str_eq(b.p, "wss://api.staging.netrasystems.ai/ws");

	r = rec_of(RECORD_JSON, "{\"probe\":\"logwhy\",\"url\":\"wss://h/ws\",\"http_status\":500}", 2);
	cr_assert_eq(event_from_record(&ev, &r, NULL), 0);
	cr_expect_eq(ev.close.present, 1);
	cr_expect_eq(ev.close.http_status, 500);
	cr_expect_str_eq(ev.msg, "server rejected WebSocket connection: HTTP 500");

	r = rec_of(RECORD_JSON, "{\"type\":\"close\",\"code\":1006,\"reason\":\"\",\"clean\":false}", 3);
	cr_assert_eq(event_from_record(&ev, &r, NULL), 0);
	cr_expect_eq(ev.close.code, 1006);
	cr_expect_eq(ev.close.clean, 0);

	/* an app object with an unrelated "close" key is not a trace */
	r = rec_of(RECORD_JSON, "{\"message\":\"bye\",\"close\":{\"at\":\"noon\"}}", 4);
	cr_assert_eq(event_from_record(&ev, &r, NULL), 0);
	cr_expect_eq(ev.close.present, 0);
	cr_expect_eq(ev.close.clean, -1);
	event_clear(&ev);
	buf_free(&ev.store);
	buf_free(&b);
}

Test(event, close_from_message)
{
	struct record r = rec_of(RECORD_TEXT,
		"2025-09-08T04:33:37.537294Z  ERROR  received 1011 (internal error) Internal error; "
		"then sent 1011 (internal error) Internal error", 5);
	struct event ev;

	event_init(&ev);
	cr_assert_eq(event_from_record(&ev, &r, NULL), 0);
	cr_expect_eq(ev.close.present, 1);
	cr_expect_eq(ev.close.code, 1011);
	cr_expect_str_eq(ev.close.reason, "Internal error");

	r = rec_of(RECORD_JSON, "{\"textPayload\":\"Disconnected (code: 1011, reason: \\\"Internal error\\\")\"}", 6);
	cr_assert_eq(event_from_record(&ev, &r, NULL), 0);
	cr_expect_eq(ev.close.present, 1);
	cr_expect_eq(ev.close.code, 1011);

	r = rec_of(RECORD_TEXT, "all good", 7);
	cr_assert_eq(event_from_record(&ev, &r, NULL), 0);
	cr_expect_eq(ev.close.present, 0);
	cr_expect_eq(ev.close.elapsed_ms, -1);
	event_clear(&ev);
	buf_free(&ev.store);
}

Test(event, multiline_text_keeps_the_whole_record)
{
	const char *text =
		"2025-09-08 04:33:37,537 - root - ERROR - --- Logging error ---\n"
		"Traceback (most recent call last):\n"
		"  File \"/usr/local/lib/python3.11/logging/__init__.py\", line 1110, in emit\n"
		"TypeError: Object of type WebSocketState is not JSON serializable";
	struct record r = rec_of(RECORD_TEXT, text, 100);
	struct event ev;

	r.joined = 1;
	event_init(&ev);
	cr_assert_eq(event_from_record(&ev, &r, NULL), 0);
	cr_expect_eq(ev.sev, SEV_ERROR);
	cr_expect(strncmp(ev.msg, "--- Logging error ---\nTraceback", 31) == 0, "%s", ev.msg);
	cr_expect(strstr(ev.msg, "TypeError: Object of type WebSocketState") != NULL);
	cr_expect_eq(ev.joined, 1);
	cr_expect_eq(ev.line, 100);
	cr_expect_eq(ev.last_line, 103);
	event_clear(&ev);
	buf_free(&ev.store);
}

Test(event, json_nul_and_exc_info)
{
	static const char text[] = "{\"message\":\"a\\u0000b\",\"exc_info\":\"Traceback (most recent call last):\\n"
				   "TypeError: Object of type WebSocketState is not JSON serializable\"}";
	struct record r = rec_of(RECORD_JSON, text, 1);
	struct event ev;

	event_init(&ev);
	cr_assert_eq(event_from_record(&ev, &r, NULL), 0);
	cr_expect_eq(ev.msg[1], '\0');
	cr_expect(ev.msg_len > 4);
	cr_expect(contains(ev.msg, ev.msg_len, "not JSON serializable"));
	event_clear(&ev);
	buf_free(&ev.store);
}

Test(event, reuse_keeps_the_buffer)
{
	struct event ev;
	char *p;
	size_t i;

	event_init(&ev);
	for (i = 0; i < 1000; i++) {
		char line[256];
		struct record r;

		snprintf(line, sizeof line,
			 "{\"severity\":\"INFO\",\"message\":\"n=%zu connection_id=c%zu\"}", i, i);
		r = rec_of(RECORD_JSON, line, (long)i + 1);
		cr_assert_eq(event_from_record(&ev, &r, NULL), 0);
		if (i == 1)
			p = ev.store.p;
		if (i > 1)
			cr_assert_eq(ev.store.p, p, "store reallocated at %zu", i);
		snprintf(line, sizeof line, "c%zu", i);
		cr_assert_str_eq(ev.conn, line);
	}
	event_clear(&ev);
	buf_free(&ev.store);
}

Test(event, store_limit_is_not_fatal)
{
	/* a store too small for the text: the event is still usable */
	struct record r = rec_of(RECORD_TEXT, "ERROR something connection_id=c1 and more text", 1);
	struct event ev;

	event_init(&ev);
	ev.store.max = 8;
	cr_assert_eq(event_from_record(&ev, &r, NULL), 0);
	cr_expect_not_null(ev.msg);
	cr_expect_eq(ev.msg_len, strlen(ev.msg));
	event_clear(&ev);
	buf_free(&ev.store);
}

/* The exception line that ends a Python traceback names a CamelCase class
 * or a module-qualified one; an application's lower-case "key: value" line
 * is not one, so it neither holds a run open nor stops the skim. */
Test(event, exception_lines_for_joining)
{
	static const char *const yes[] = {
		"KeyError: 'x'", "ValueError", "json.decoder.JSONDecodeError: Expecting value",
		"socket.gaierror: [Errno -2] Name or service not known", "asyncio.exceptions.CancelledError",
		"TypeError: Object of type WebSocketState is not JSON serializable",
	};
	static const char *const no[] = {
		"tool_executing: search_corpus for run run_89d9bf", "agent_started: run 1", "status: ok",
	};
	size_t i;

	for (i = 0; i < sizeof yes / sizeof *yes; i++)
		cr_expect(multiline_candidate(yes[i], strlen(yes[i])), "%s", yes[i]);
	for (i = 0; i < sizeof no / sizeof *no; i++)
		cr_expect(!multiline_candidate(no[i], strlen(no[i])), "%s", no[i]);
}

/* The skim's tree and json_loadb's, as compact JSON with exact reals: the
 * same text means the same values in the same key order. */
static char *dump(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
}

/* 1 when the skim built a tree, which must be jansson's */
static int same_tree(const char *text, size_t len)
{
	json_t *t = event_skim_tree(text, len), *j;
	char *a, *b;

	if (!t)
		return 0;
	j = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	cr_assert_not_null(j, "the skim built a tree jansson refuses: %.*s", (int)len, text);
	a = dump(t);
	b = dump(j);
	cr_assert_str_eq(a, b, "%.*s", (int)len, text);
	free(a);
	free(b);
	json_decref(t);
	json_decref(j);
	return 1;
}

Test(event, skim_tree_is_what_jansson_parses)
{
	static const char *const built[] = {
		"{\"a\":1}",
		"{\"a\":-0,\"b\":1.5e3,\"c\":-12.25E-2,\"d\":123456789012345678,\"e\":0.1}",
		"{\"k\":\"x\\\"y\\\\z\\n\\t\\b\\f\\r\"}",
		"{\"a\":1,\"b\":2,\"a\":3,\"c\":{\"a\":[1,[2,{}],[]]}}",
		"  [ 1 , \"two\" , true , false , null ]  ",
		"\"just a string\"",
		"{\"esc\\\"key\":1,\"esc\\\"key\":2}",
		"{}", "[]", "{\"a\":{\"b\":{\"c\":{\"d\":[{\"e\":null}]}}}}",
		"{\n  \"pretty\": [\n    1,\n    2\n  ]\n}",
	};
	/* left to jansson: \u and \/ escapes, bytes past ASCII, numbers the
	 * skim cannot vouch for, anything not JSON */
	static const char *const refused[] = {
		"{\"a\":\"\\u0041\"}", "{\"a\":\"\\/\"}", "{\"a\":\"\xc3\xa9\"}", "{\"a\":01}",
		"{\"a\":1}x", "{\"a\":1e400}", "{a:1}", "{\"a\":1,}", "[1 2]", "{\"a\":\"\t\"}",
		"{\"a\":1234567890123456789012}", "", "  ",
	};
	size_t i;

	for (i = 0; i < sizeof built / sizeof *built; i++)
		cr_expect(same_tree(built[i], strlen(built[i])), "not built: %s", built[i]);
	for (i = 0; i < sizeof refused / sizeof *refused; i++)
		cr_expect(!same_tree(refused[i], strlen(refused[i])), "built: %s", refused[i]);
}

/* Every line of every fixture (logs of every shape; the JSON ones built). */
Test(event, skim_tree_over_the_fixtures)
{
	FILE *ls = popen("find fixtures -type f | sort", "r");
	char path[4096];
	size_t built = 0, lines = 0;

	cr_assert_not_null(ls);
	while (fgets(path, sizeof path, ls)) {
		FILE *f;
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;

		path[strcspn(path, "\n")] = '\0';
		if (!(f = fopen(path, "r")))
			continue;
		while ((n = getline(&line, &cap, f)) > 0) {
			while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
				n--;
			lines++;
			built += (size_t)same_tree(line, (size_t)n);
		}
		free(line);
		fclose(f);
	}
	pclose(ls);
	/* the JSON lines of the plain shape: 770 when this was written */
	cr_expect(built > 500, "built %zu trees of %zu lines", built, lines);
}
