#include "wsd/wsd.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * What runs on an open connection: the staging service's application protocol
 * (welcome, ping/pong, chat → five agent events, echo) and each --fault's
 * failure sequence, worded like that service's staging logs.
 */

#define ENUM_LOG_DELAY_MS 100        /* asyncio.sleep(0.1) before the state check */
#define MISSING_SERVICE_MS 63        /* closed ~63 ms after open */
#define ABORT_DELAY_MS 20
#define STARTUP_TICK_MS 500

static void send_json(struct wsd_conn *c, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (s) {
		wsd_send_text(c, s, strlen(s));
		free(s);
	}
	json_decref(o);
}

static void send_welcome(struct wsd_conn *c)
{
	send_json(c, json_pack("{s:s,s:s,s:s}", "type", "connection_established",
			       "connection_id", c->conn_id, "server", "logwhy-wsd"));
	wsd_log(c, WSD_INFO, "WebSocket connection established: %s (welcome sent)", c->conn_id);
}

/* The stdlib prints this block on stderr when a handler's format() raises. */
static const char *const logging_error_block[] = {
	"--- Logging error ---",
	"Traceback (most recent call last):",
	"  File \"/usr/local/lib/python3.11/logging/__init__.py\", line 1110, in emit",
	"    msg = self.format(record)",
	"          ^^^^^^^^^^^^^^^^^^^",
	"  File \"/usr/local/lib/python3.11/logging/__init__.py\", line 953, in format",
	"    return fmt.format(record)",
	"           ^^^^^^^^^^^^^^^^^^",
	"  File \"/app/netra_backend/app/core/logging_formatters.py\", line 88, in format",
	"    return json.dumps(log_entry)",
	"           ^^^^^^^^^^^^^^^^^^^^^",
	"  File \"/usr/local/lib/python3.11/json/__init__.py\", line 231, in dumps",
	"    return _default_encoder.encode(obj)",
	"           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
	"  File \"/usr/local/lib/python3.11/json/encoder.py\", line 200, in encode",
	"    chunks = self.iterencode(o, _one_shot=True)",
	"             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
	"  File \"/usr/local/lib/python3.11/json/encoder.py\", line 258, in iterencode",
	"    return _iterencode(o, 0)",
	"           ^^^^^^^^^^^^^^^^^",
	"  File \"/usr/local/lib/python3.11/json/encoder.py\", line 180, in default",
	"    raise TypeError(f'Object of type {o.__class__.__name__} '",
	"TypeError: Object of type WebSocketState is not JSON serializable",
	"Call stack:",
	"  File \"/usr/local/lib/python3.11/site-packages/uvicorn/protocols/websockets/"
	"websockets_impl.py\", line 254, in run_asgi",
	"    result = await self.app(self.scope, self.asgi_receive, self.asgi_send)",
	"  File \"/app/netra_backend/app/routes/websocket.py\", line 752, in websocket_endpoint",
	"    logger.error(\"WebSocket error: %s\", websocket.client_state, exc_info=True)",
	"Message: 'WebSocket error: %s'",
	"Arguments: (<WebSocketState.CONNECTING: 0>,)",
	NULL,
};

static void fault_enum_log(struct wsd_conn *c)
{
	size_t i;

	if (wsd_cfg.safe_logging) {
		/* The fix: the state goes to the log as a string. */
		wsd_log(c, WSD_INFO, "WebSocket state after registration: connected");
		send_welcome(c);
		return;
	}
	wsd_log(c, WSD_WARNING,
		"WebSocket not in CONNECTED state after registration: WebSocketState.CONNECTING");
	wsd_log(c, WSD_ERROR, "WebSocket error: Object of type WebSocketState is not JSON serializable");
	for (i = 0; logging_error_block[i]; i++)
		wsd_log_stderr(c, logging_error_block[i]);
	wsd_close(c, WS_CLOSE_INTERNAL, "Internal error");
}

static void fault_missing_service(struct wsd_conn *c)
{
	wsd_log(c, WSD_ERROR, "CRITICAL: agent_supervisor is None in staging "
		"(app.state.agent_supervisor=None) - WebSocket cannot process messages");
	wsd_log(c, WSD_ERROR, "CRITICAL: thread_service is None in staging "
		"(app.state.thread_service=None)");
	wsd_log(c, WSD_ERROR, "Required services missing in staging: agent_supervisor=None, "
		"thread_service=None - closing WebSocket with 1011 (Service unavailable)");
	wsd_close(c, WS_CLOSE_INTERNAL, "Service unavailable");
}

static void fault_startup_tick(struct wsd_conn *c)
{
	int64_t elapsed = wsd_now_ms() - c->opened_ms;
	double wait_s = (double)wsd_cfg.startup_wait_ms / 1000.0;

	if (elapsed < wsd_cfg.startup_wait_ms) {
		int64_t next = elapsed + STARTUP_TICK_MS;

		if (c->fault_step++ > 0)
			wsd_log(c, WSD_INFO, "Waiting for startup to complete... %.1fs/%.1fs "
				"(startup_complete=False)", (double)elapsed / 1000.0, wait_s);
		if (next > wsd_cfg.startup_wait_ms)
			next = wsd_cfg.startup_wait_ms;
		wsd_set_timer(c, &c->t_fault, c->opened_ms + next);
		return;
	}
	wsd_log(c, WSD_ERROR, "Startup did not complete within %.1fs (startup_complete=False) - "
		"closing WebSocket with 1011 (Service startup incomplete)", wait_s);
	wsd_close(c, WS_CLOSE_INTERNAL, "Service startup incomplete");
}

static void fault_abort(struct wsd_conn *c)
{
	wsd_log(c, WSD_ERROR,
		"Error in WebSocket endpoint: RuntimeError: Unexpected ASGI message "
		"'websocket.send', after sending 'websocket.close'.\n"
		"Traceback (most recent call last):\n"
		"  File \"/app/netra_backend/app/routes/websocket.py\", line 688, in websocket_endpoint\n"
		"    await websocket.send_json(welcome_message)\n"
		"  File \"/usr/local/lib/python3.11/site-packages/starlette/websockets.py\", line 85, in send\n"
		"    raise RuntimeError('Unexpected ASGI message \\'websocket.send\\', after sending "
		"\\'websocket.close\\'.')\n"
		"RuntimeError: Unexpected ASGI message 'websocket.send', after sending 'websocket.close'.");
	wsd_abort(c);
}

/* Strict auth unless the E2E bypass is detected. */
static void e2e_open(struct wsd_conn *c)
{
	int enabled = wsd_cfg.e2e_env || c->e2e_header;

	wsd_log(c, WSD_INFO, "E2E detection: is_e2e_testing=%s (%s; header X-E2E-Testing=%s)",
		enabled ? "True" : "False", wsd_cfg.e2e_env_desc,
		c->e2e_header ? "true" : "absent");
	if (enabled) {
		wsd_log(c, WSD_INFO, "E2E BYPASS: Using mock authentication for E2E testing "
			"(user_id=staging-e2e-user-%llu)", (unsigned long long)c->id);
		send_welcome(c);
		return;
	}
	wsd_log(c, WSD_WARNING, "No E2E context (bypass_enabled=False) - using strict JWT validation");
	wsd_log(c, WSD_ERROR, "Strict JWT validation failed: No valid JWT "
		"(authentication failed for WebSocket)");
	wsd_log(c, WSD_ERROR, "WebSocket factory SSOT validation failed: FactoryInitializationError: "
		"SSOT user context validation failed in staging (e2e_testing.enabled=False)");
	wsd_close(c, WS_CLOSE_INTERNAL, "Factory SSOT validation failed");
}

void wsd_app_open(struct wsd_conn *c)
{
	int64_t now = wsd_now_ms();

	switch (wsd_cfg.fault) {
	case WSD_FAULT_NONE:
		send_welcome(c);
		break;
	case WSD_FAULT_ENUM_LOG:
		wsd_set_timer(c, &c->t_fault, now + ENUM_LOG_DELAY_MS);
		break;
	case WSD_FAULT_MISSING_SERVICE:
		wsd_set_timer(c, &c->t_fault, now + MISSING_SERVICE_MS);
		break;
	case WSD_FAULT_STARTUP_INCOMPLETE:
		wsd_log(c, WSD_WARNING, "WebSocket connection before startup complete "
			"(startup_complete=False) - waiting up to %.1fs",
			(double)wsd_cfg.startup_wait_ms / 1000.0);
		fault_startup_tick(c);
		break;
	case WSD_FAULT_E2E_ENV:
		e2e_open(c);
		break;
	case WSD_FAULT_ABORT:
		wsd_set_timer(c, &c->t_fault, now + ABORT_DELAY_MS);
		break;
	}
}

void wsd_app_fault_step(struct wsd_conn *c)
{
	switch (wsd_cfg.fault) {
	case WSD_FAULT_ENUM_LOG:
		fault_enum_log(c);
		break;
	case WSD_FAULT_MISSING_SERVICE:
		fault_missing_service(c);
		break;
	case WSD_FAULT_STARTUP_INCOMPLETE:
		fault_startup_tick(c);
		break;
	case WSD_FAULT_ABORT:
		fault_abort(c);
		break;
	default:
		break;
	}
}

static void chat(struct wsd_conn *c, json_t *msg)
{
	static const char *const events[] = { "agent_started", "agent_thinking", "tool_executing",
					      "tool_completed", "agent_completed" };
	const char *text = json_string_value(json_object_get(msg, "message"));
	char run_id[64];
	size_t i;

	if (!text)
		text = json_string_value(json_object_get(msg, "content"));
	snprintf(run_id, sizeof run_id, "run_%s_%llu", c->conn_id,
		 ++c->runs);
	wsd_log(c, WSD_INFO, "Processing chat message (run_id=%s)", run_id);
	for (i = 0; i < 5; i++) {
		json_t *e = json_pack("{s:s,s:s,s:s,s:s}", "type", events[i], "run_id", run_id,
				      "connection_id", c->conn_id, "agent_name", "supervisor");

		if (i == 1)
			json_object_set_new(e, "thought", json_string("Analyzing the request"));
		if (i == 2 || i == 3)
			json_object_set_new(e, "tool_name", json_string("log_search"));
		if (i == 4)
			json_object_set_new(e, "result", json_string(text ? text : ""));
		send_json(c, e);
	}
	wsd_log(c, WSD_INFO, "Sent 5 agent events for run_id=%s", run_id);
}

void wsd_app_message(struct wsd_conn *c, unsigned opcode, const char *p, size_t n)
{
	if (opcode == WS_OP_TEXT) {
		json_t *msg = json_loadb(p, n, 0, NULL);
		const char *type = json_string_value(json_object_get(msg, "type"));

		if (type && strcmp(type, "ping") == 0) {
			json_decref(msg);
			wsd_send_text(c, "{\"type\":\"pong\"}", 15);
			return;
		}
		if (type && strcmp(type, "chat") == 0) {
			chat(c, msg);
			json_decref(msg);
			return;
		}
		json_decref(msg);
	}
	/* Anything else comes back unchanged, so generic clients can test us. */
	wsd_send_frame(c, opcode, p, n);
}

void wsd_app_health(struct buf *b)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:{s:b}}", "status", "healthy",
			      "service", "netra-backend-staging", "version", LOGWHY_VERSION,
			      "environment", "staging", "fault", wsd_fault_names[wsd_cfg.fault],
			      "connections", (int)wsd_conn_count(), "e2e_testing", "enabled",
			      wsd_cfg.e2e_env);
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (s)
		buf_adds(b, s);
	free(s);
	json_decref(o);
}
