#include <ctype.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event/close.h"

#define RCV CLOSE_DIR_RECEIVED
#define SNT CLOSE_DIR_SENT
#define UNK CLOSE_DIR_UNKNOWN

/*
 * One real wording per row and what it must give. len 0 means strlen(text);
 * rows with embedded NULs give their length. Every row is parsed from a heap
 * copy of exactly len bytes with no terminator, so ASan catches any read
 * past the end.
 */
struct row {
	const char *text;
	size_t len;
	int present;
	int code;
	const char *reason;
	enum close_dir dir;
	int clean;
	long elapsed_ms;
	int http_status;
	const char *client;
};

static const char debug_output[] =
	"WEBSOCKET DEBUG - FIVE WHYS ANALYSIS\n"
	"Backend URL: https://api.staging.netrasystems.ai\n"
	"WebSocket URL: wss://api.staging.netrasystems.ai/ws\n"
	"\n"
	"1. BACKEND HEALTH CHECK:\n"
	"   Status: 200\n"
	"   [OK] Backend is healthy\n"
	"\n"
	"2. WEBSOCKET CONNECTION TEST:\n"
	"   Auth headers: 10 headers\n"
	"   Has Authorization: True\n"
	"   Connecting to WebSocket...\n"
	"   [OK] Connected in 0.809s\n"
	"   Waiting for welcome message...\n"
	"   [ERROR] CONNECTION CLOSED after 0.063s\n"
	"   Close code: 1011\n"
	"   Close reason: Internal error\n"
	"   Analysis: 1011 = Internal server error\n"
	"\n"
	"Result: FAILED\n";

static const struct row rows[] = {
	/* python websockets 10+ */
	{ "received 1011 (internal error) Internal error; then sent 1011 (internal error) Internal error",
	  0, 1, 1011, "Internal error", RCV, 1, -1, 0, "websockets" },
	{ "WebSocket received 1011 (internal error) Internal error; then sent 1011 (internal error) Internal error",
	  0, 1, 1011, "Internal error", RCV, 1, -1, 0, "websockets" },
	{ "websockets.exceptions.ConnectionClosedError: received 1011 (internal error) Internal error; then sent 1011 (internal error) Internal error",
	  0, 1, 1011, "Internal error", RCV, 1, -1, 0, "websockets" },
	{ "sent 1000 (OK); then received 1000 (OK)", 0, 1, 1000, "", SNT, 1, -1, 0, "websockets" },
	{ "websockets.exceptions.ConnectionClosedOK: received 1000 (OK); then sent 1000 (OK)",
	  0, 1, 1000, "", RCV, 1, -1, 0, "websockets" },
	{ "ConnectionClosedError: sent 1011 (internal error) keepalive ping timeout; no close frame received",
	  0, 1, 1011, "keepalive ping timeout", SNT, 0, -1, 0, "websockets" },
	{ "received 1001 (going away); no close frame sent", 0, 1, 1001, "", RCV, 0, -1, 0, "websockets" },
	{ "websockets.exceptions.ConnectionClosedError: no close frame received or sent",
	  0, 1, 1006, "", UNK, 0, -1, 0, "websockets" },
	{ "WebSocket error: received 1011 (unexpected error) Service unavailable; then sent 1011 (unexpected error) Service unavailable",
	  0, 1, 1011, "Service unavailable", RCV, 1, -1, 0, "websockets" },
	{ "Connection closed: received 4001 (private use) token expired; then sent 4001 (private use) token expired",
	  0, 1, 4001, "token expired", RCV, 1, -1, 0, "websockets" },
	{ "sent 1011 (internal error) Service startup incomplete; then received 1011 (internal error)",
	  0, 1, 1011, "Service startup incomplete", SNT, 1, -1, 0, "websockets" },
	{ "received 1011 (internal error) Internal error; then se", 0, 1, 1011, "Internal error", RCV, -1, -1, 0, "websockets" },
	{ "received 1011 (internal err", 0, 1, 1011, "", RCV, -1, -1, 0, "websockets" },
	{ "received 1011 (internal error) Internal error", 0, 1, 1011, "Internal error", RCV, -1, -1, 0, "websockets" },
	{ "received 1011 (internal error) Internal error; then sent 1011 (internal error) Internal error after 63ms",
	  0, 1, 1011, "Internal error", RCV, 1, 63, 0, "websockets" },
	{ "sent 999 (unknown); then received 999 (unknown)", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	{ "received 5000 (unknown) x; then sent 5000 (unknown) x", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	{ "upload received 1024 (1 KB) of data; then stalled", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	{ "absent 1011 (internal error) nope; then x", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	/* python websockets < 10 */
	{ "ConnectionClosed: code = 1006 (connection closed abnormally [internal]), no reason",
	  0, 1, 1006, "", UNK, 0, -1, 0, "websockets" },
	{ "websockets.exceptions.ConnectionClosedError: code = 1011 (unexpected error), reason = Internal error",
	  0, 1, 1011, "Internal error", UNK, -1, -1, 0, "websockets" },
	/* the websockets CLI, python3 -m websockets 10.4 (print_over_input(f"Connection
	 * closed: {close_status}.") in src/websockets/__main__.py,
	 * https://github.com/python-websockets/websockets/blob/10.4/src/websockets/__main__.py),
	 * as captured from a terminal: ESC [K before the text */
	{ "Connection closed: 1011 (unexpected error) Service unavailable.",
	  0, 1, 1011, "Service unavailable", UNK, -1, -1, 0, "websockets" },
	{ "\x1b[KConnection closed: 1006 (connection closed abnormally [internal]).",
	  0, 1, 1006, "", UNK, 0, -1, 0, "websockets" },
	{ "Connection closed: 1000 (OK) done. .", 0, 1, 1000, "done.", UNK, -1, -1, 0, "websockets" },
	{ "Connection closed: 1011 (unexpected error) no full stop", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	{ "Connection closed: see the runbook.", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	/* handshake refused */
	{ "server rejected WebSocket connection: HTTP 500", 0, 1, 0, "", UNK, 0, -1, 500, "websockets" },
	{ "websockets.exceptions.InvalidStatusCode: server rejected WebSocket connection: HTTP 403",
	  0, 1, 0, "", UNK, 0, -1, 403, "websockets" },
	{ "InvalidStatus: server rejected WebSocket connection: HTTP 500", 0, 1, 0, "", UNK, 0, -1, 500, "websockets" },
	{ "connection rejected (403 Forbidden)", 0, 1, 0, "", UNK, 0, -1, 403, "websockets" },
	{ "connection rejected (200 OK)", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	{ "server rejected WebSocket connection: HTTP 99999", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	/* wscat */
	{ "Disconnected (code: 1011, reason: \"Internal error\")", 0, 1, 1011, "Internal error", UNK, -1, -1, 0, "wscat" },
	{ "Disconnected (code: 1006, reason: \"\")", 0, 1, 1006, "", UNK, 0, -1, 0, "wscat" },
	{ "Disconnected (code: 1011, reason: \"said \"no\" twice\")", 0, 1, 1011, "said \"no\" twice", UNK, -1, -1, 0, "wscat" },
	{ "Disconnected (code: 1000, reason: \"bye\", clean)", 0, 1, 1000, "bye", UNK, 1, -1, 0, "wscat" },
	{ "Disconnected (code: 5000, reason: \"x\")", 0, 1, 0, "x", UNK, -1, -1, 0, "wscat" },
	{ "Disconnected (code: 1011, reason: \"Internal err", 0, 1, 1011, "Internal err", UNK, -1, -1, 0, "wscat" },
	/* node ws */
	{ "Invalid WebSocket frame: invalid status code 1005", 0, 1, 1002,
	  "Invalid WebSocket frame: invalid status code 1005", UNK, -1, -1, 0, "ws" },
	{ "RangeError: Invalid WebSocket frame: RSV1 must be clear", 0, 1, 1002,
	  "Invalid WebSocket frame: RSV1 must be clear", UNK, -1, -1, 0, "ws" },
	{ "Error: Invalid WebSocket frame: invalid UTF-8 sequence", 0, 1, 1007,
	  "Invalid WebSocket frame: invalid UTF-8 sequence", UNK, -1, -1, 0, "ws" },
	{ "RangeError: Unsupported WebSocket frame: payload length > 2^53 - 1", 0, 1, 1009,
	  "Unsupported WebSocket frame: payload length > 2^53 - 1", UNK, -1, -1, 0, "ws" },
	{ "Error: Unexpected server response: 500", 0, 1, 0, "", UNK, 0, -1, 500, "ws" },
	{ "Error: WebSocket was closed before the connection was established", 0, 1, 1006, "", UNK, 0, -1, 0, "ws" },
	{ "WebSocket closed: code=1006 reason=\"\"", 0, 1, 1006, "", UNK, 0, -1, 0, "server" },
	{ "[client] closed code=1011 reason=\"Internal error\"", 0, 1, 1011, "Internal error", UNK, -1, -1, 0, "server" },
	/* browser */
	{ "CloseEvent {isTrusted: true, wasClean: false, code: 1006, reason: '', type: 'close', \xe2\x80\xa6}",
	  0, 1, 1006, "", UNK, 0, -1, 0, "browser" },
	{ "CloseEvent {isTrusted: true, wasClean: true, code: 1011, reason: 'Internal error', type: 'close'}",
	  0, 1, 1011, "Internal error", UNK, 1, -1, 0, "browser" },
	{ "close { target: WebSocket, isTrusted: true, wasClean: true, code: 1011, reason: \"Service unavailable\", srcElement: WebSocket }",
	  0, 1, 1011, "Service unavailable", UNK, 1, -1, 0, "browser" },
	{ "WebSocket connection to 'wss://api.staging.netrasystems.ai/ws' failed: ",
	  0, 1, 1006, "", UNK, 0, -1, 0, "browser" },
	{ "WebSocket connection to 'wss://api.staging.netrasystems.ai/ws' failed: Error during WebSocket handshake: Unexpected response code: 500",
	  0, 1, 0, "Error during WebSocket handshake: Unexpected response code: 500", UNK, 0, -1, 500, "browser" },
	{ "WebSocket connection to 'wss://api.staging.netrasystems.ai/ws' failed: Connection closed before receiving a handshake response",
	  0, 1, 1006, "Connection closed before receiving a handshake response", UNK, 0, -1, 0, "browser" },
	{ "WebSocket connection to 'wss://api.staging.netrasystems.ai/ws' established", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	/* gorilla */
	{ "websocket: close 1011 (internal server error): Internal error", 0, 1, 1011, "Internal error", RCV, -1, -1, 0, "gorilla" },
	{ "read error: websocket: close 1006 (abnormal closure): unexpected EOF", 0, 1, 1006, "unexpected EOF", UNK, 0, -1, 0, "gorilla" },
	{ "websocket: close 1000 (normal)", 0, 1, 1000, "", RCV, -1, -1, 0, "gorilla" },
	{ "websocket: close 4001: token expired", 0, 1, 4001, "token expired", RCV, -1, -1, 0, "gorilla" },
	{ "write: websocket: close sent", 0, 1, 0, "", SNT, -1, -1, 0, "gorilla" },
	{ "websocket: close 10110 (bogus)", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	/* a connection debug script, line by line and joined */
	{ "   [ERROR] CONNECTION CLOSED after 0.063s", 0, 1, 0, "", UNK, -1, 63, 0, "debug-script" },
	{ "   Close code: 1011", 0, 1, 1011, "", UNK, -1, -1, 0, "debug-script" },
	{ "   Close reason: Internal error", 0, 1, 0, "Internal error", UNK, -1, -1, 0, "debug-script" },
	{ debug_output, 0, 1, 1011, "Internal error", UNK, -1, 63, 0, "debug-script" },
	{ "   Analysis: 1011 = Internal server error", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	{ "   [OK] Connected in 0.809s", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	/* server and application lines */
	{ "WebSocket closed code=1011 reason=Internal error", 0, 1, 1011, "Internal error", UNK, -1, -1, 0, "server" },
	{ "closing connection_id=abc code=1011 reason=\"Service unavailable\"", 0, 1, 1011, "Service unavailable", UNK, -1, -1, 0, "server" },
	{ "await safe_websocket_close(websocket, code=1011, reason=\"Factory SSOT validation failed\")",
	  0, 1, 1011, "Factory SSOT validation failed", UNK, -1, -1, 0, "server" },
	{ "close code 1011", 0, 1, 1011, "", UNK, -1, -1, 0, "server" },
	{ "{\"event\": \"ws_close\", \"close_code\": 1011, \"close_reason\": \"Critical factory failure\", \"elapsed_ms\": 63}",
	  0, 1, 1011, "Critical factory failure", UNK, -1, 63, 0, "server" },
	{ "WebSocket closed code=1011 reason=\"He said \\\"no\\\"\" (63 ms)", 0, 1, 1011, "He said \"no\"", UNK, -1, 63, 0, "server" },
	{ "closing websocket code=1011 reason=Service unavailable elapsed_ms=63", 0, 1, 1011, "Service unavailable", UNK, -1, 63, 0, "server" },
	{ "WebSocket closed code=1011 reason=\"x\" elapsed_ms=63 trace=abc", 0, 1, 1011, "x", UNK, -1, 63, 0, "server" },
	{ "WebSocket closed code=1011 elapsed_ms=63 reason=\"x\"", 0, 1, 1011, "x", UNK, -1, 63, 0, "server" },
	{ "WebSocket close sent: code=1011 (internal error) reason=\"Internal error\" after 63ms", 0, 1, 1011, "Internal error", SNT, -1, 63, 0, "server" },
	{ "WebSocket close received: code=1000 reason=\"bye\"", 0, 1, 1000, "bye", RCV, -1, -1, 0, "server" },
	{ "TCP connection closed without a close frame (peer sees 1006) after 23ms", 0, 1, 1006, "", UNK, 0, 23, 0, "server" },
	{ "ws closeCode: 4999 closeReason: 'bye'", 0, 1, 4999, "bye", UNK, -1, -1, 0, "server" },
	{ "WebSocket closed with code 1011 (Internal error)", 0, 1, 1011, "", UNK, -1, -1, 0, "server" },
	{ "Connection closed with code 1006", 0, 1, 1006, "", UNK, 0, -1, 0, "server" },
	{ "WebSocket disconnected: code=1011", 0, 1, 1011, "", UNK, -1, -1, 0, "server" },
	{ "{'type': 'websocket.close', 'code': 1011, 'reason': 'Internal error'}", 0, 1, 1011, "Internal error", UNK, -1, -1, 0, "server" },
	{ "WebSocketDisconnect(code=1012, reason='Service restart')", 0, 1, 1012, "Service restart", UNK, -1, -1, 0, "server" },
	{ "WebSocket closed code=999 reason=bad", 0, 1, 0, "bad", UNK, -1, -1, 0, "server" },
	{ "WebSocket closed code=99999999999999999999", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	{ "WebSocket closed code=1011.5", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	{ "code=1011", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	{ "if e.code == 1011:", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	{ "request closed status_code=1011", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	{ "exit code 1011 after close", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	{ "the report was disclosed code=1011", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	{ "finished with code 1011", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	{ "Error code: 1011 not found in table", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	{ "closing file descriptor code=3", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	{ "WebSocket is already in CLOSING or CLOSED state.", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	/* uvicorn */
	{ "INFO:     127.0.0.1:51234 - \"WebSocket /ws\" [accepted]", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	{ "INFO:     127.0.0.1:51234 - \"WebSocket /ws\" 403", 0, 1, 0, "", UNK, 0, -1, 403, "uvicorn" },
	{ "INFO:     connection closed", 0, 1, 0, "", UNK, -1, -1, 0, "uvicorn" },
	{ "INFO:uvicorn.error:connection closed", 0, 1, 0, "", UNK, -1, -1, 0, "uvicorn" },
	{ "2025-09-08 12:00:00,123 INFO connection closed", 0, 1, 0, "", UNK, -1, -1, 0, "uvicorn" },
	{ "INFO:     connection open", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	{ "Database connection closed", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	/* mentions of 1011 that are not closes (incident headings and prose) */
	{ "Set up alerts for WebSocket 1011 errors", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	{ "# WebSocket 1011 Internal Error - Five Whys Analysis", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	{ "- Test 1: `websocket_connection_real` - Connection 1011 error (8.12s)", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	{ "WebSocket error: Object of type WebSocketState is not JSON serializable", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	{ "", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	/* websockets debug log (python-websockets#1382, #587) */
	{ "DEBUG:websockets.server:> CLOSE 1009 (message too big) [2 bytes]", 0, 1, 1009, "", SNT, -1, -1, 0, "websockets" },
	{ "DEBUG:websockets.client:< CLOSE 1011 (internal error) keepalive ping timeout [24 bytes]",
	  0, 1, 1011, "keepalive ping timeout", RCV, -1, -1, 0, "websockets" },
	{ "DEBUG:websockets.server:! failing connection with code 1009", 0, 1, 1009, "", SNT, -1, -1, 0, "websockets" },
	{ "websockets.protocol - DEBUG - server ! failing WebSocket connection in the OPEN state: 1009 [no reason]",
	  0, 1, 1009, "", SNT, -1, -1, 0, "websockets" },
	{ "DEBUG:websockets.server:> TEXT '{\"type\": \"close\"}' [17 bytes]", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	/* Starlette / FastAPI */
	{ "starlette.websockets.WebSocketDisconnect: 1000", 0, 1, 1000, "", UNK, -1, -1, 0, "starlette" },
	{ "starlette.websockets.WebSocketDisconnect: (1008, '')", 0, 1, 1008, "", UNK, -1, -1, 0, "starlette" },
	{ "starlette.websockets.WebSocketDisconnect: (<CloseCode.NO_STATUS_RCVD: 1005>, '')", 0, 1, 1005, "", UNK, -1, -1, 0, "starlette" },
	{ "  File \"/usr/local/lib/python3.12/site-packages/starlette/websockets.py\", line 114, in _raise_on_disconnect\n"
	  "    raise WebSocketDisconnect(code=1006)\n"
	  "starlette.websockets.WebSocketDisconnect: (1000, '')", 0, 1, 1000, "", UNK, -1, -1, 0, "starlette" },
	{ "  File \"/app/ws.py\", line 40, in endpoint\n    raise WebSocketDisconnect(code=1006)", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	{ "except starlette.websockets.WebSocketDisconnect:", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	/* Spring */
	{ "StandardWebSocketSession[id=6c3eb31c-ab7c-eb4d-2437-f33ae7a05ee4, uri=ws://localhost:8080/cable] closed with CloseStatus[code=1000, reason=null]",
	  0, 1, 1000, "", UNK, -1, -1, 0, "spring" },
	{ "SessionDisconnectEvent[sessionId=854cf080-bad6-3da7-d0e3-835f061458f7, CloseStatus[code=1011, reason=Service unavailable]]",
	  0, 1, 1011, "Service unavailable", UNK, -1, -1, 0, "spring" },
	/* JSR-356 */
	{ "WARN  c.g.d.r.m.RocketChatClient:267 - connection closed: CloseReason: code [1009], reason [The decoded text message was too big for the output buffer and the endpoint does not support partial messages]",
	  0, 1, 1009, "The decoded text message was too big for the output buffer and the endpoint does not support partial messages", UNK, -1, -1, 0, "jsr356" },
	{ "CloseReason[1009,Message too big]", 0, 1, 1009, "Message too big", UNK, -1, -1, 0, "jsr356" },
	/* socket.io debug log (socket.io#3191, socket.io-client-swift#319) */
	{ "  socket.io:socket closing socket - reason ping timeout +6s", 0, 1, 0, "ping timeout", UNK, -1, -1, 0, "socketio" },
	{ "  socket.io:client client close with reason transport close +0ms", 0, 1, 0, "transport close", UNK, -1, -1, 0, "socketio" },
	/* SignalR JavaScript client (aspnetcore#42043) */
	{ "[2022-06-05T13:35:34.767Z] Error: Connection disconnected with error 'Error: Server timeout elapsed without receiving a message from the server.'. Utils.ts:182",
	  0, 1, 0, "Error: Server timeout elapsed without receiving a message from the server.", UNK, 0, -1, 0, "signalr" },
	/* daphne (channels#892) */
	{ "[2018/02/09 14:22:23] WebSocket DISCONNECT /ws/ [127.0.0.1:38682]", 0, 1, 0, "", UNK, -1, -1, 0, "daphne" },
	{ "[2018/02/09 14:22:23] WebSocket REJECT /ws/ [127.0.0.1:38682]", 0, 1, 0, "", UNK, 0, -1, 403, "daphne" },
	{ "[2018/02/09 14:22:20] WebSocket HANDSHAKING /ws/ [127.0.0.1:38682]", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	/* a browser CloseEvent expanded over several lines is one close; a lone property line is none */
	{ "CloseEvent {isTrusted: true, wasClean: false, code: 1006, reason: '', type: 'close', \xe2\x80\xa6}\n"
	  "isTrusted: true\nbubbles: false\ncode: 1006\nreason: \"\"\ntype: \"close\"\nwasClean: false",
	  0, 1, 1006, "", UNK, 0, -1, 0, "browser" },
	{ "close { target: WebSocket, isTrusted: true, wasClean: false }\ncode: 4001\nreason: \"kicked\"",
	  0, 1, 4001, "kicked", UNK, 0, -1, 0, "browser" },
	{ "wasClean: false", 0, 0, 0, "", UNK, -1, -1, 0, NULL },
	/* control bytes are never stored raw */
	{ "WebSocket closed code=1011 reason=\"bad\x1b[31m\"", 0, 1, 1011, "bad\xef\xbf\xbd[31m", UNK, -1, -1, 0, "server" },
	{ "closing code=1011 reason=\"a\0b\"", 30, 1, 1011, "a\xef\xbf\xbd" "b", UNK, -1, -1, 0, "server" },
};

static size_t row_len(const struct row *r)
{
	return r->len ? r->len : strlen(r->text);
}

/* An exact-size heap copy: no NUL after the last byte. */
static char *exact_copy(const char *s, size_t n)
{
	char *p = malloc(n ? n : 1);

	cr_assert(p);
	memcpy(p, s, n);
	return p;
}

Test(close, table)
{
	cr_assert_geq(sizeof(rows) / sizeof(rows[0]), 40);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		size_t n = row_len(r);
		char *buf = exact_copy(r->text, n);
		struct close_trace c;
		int got = close_parse(buf, n, &c);

		cr_expect_eq(got, r->present, "row %zu: present %d, want %d: %s", i, got, r->present, r->text);
		cr_expect_eq(c.present, r->present, "row %zu: out->present", i);
		if (got == r->present && got) {
			cr_expect_eq(c.code, r->code, "row %zu: code %d, want %d: %s", i, c.code, r->code, r->text);
			cr_expect_str_eq(c.reason, r->reason, "row %zu: reason [%s], want [%s]", i, c.reason, r->reason);
			cr_expect_eq(c.direction, r->dir, "row %zu: direction %d, want %d", i, (int)c.direction, (int)r->dir);
			cr_expect_eq(c.clean, r->clean, "row %zu: clean %d, want %d: %s", i, c.clean, r->clean, r->text);
			cr_expect_eq(c.elapsed_ms, r->elapsed_ms, "row %zu: elapsed %ld, want %ld", i, c.elapsed_ms, r->elapsed_ms);
			cr_expect_eq(c.http_status, r->http_status, "row %zu: http %d, want %d", i, c.http_status, r->http_status);
			cr_expect(c.client && r->client && strcmp(c.client, r->client) == 0,
				  "row %zu: client %s, want %s", i, c.client ? c.client : "(null)", r->client);
		}
		free(buf);
	}
}

/* Does s hold w (any case; '#' any digit)? */
static int holds_word(const char *s, size_t n, const char *w)
{
	size_t k = strlen(w), i, j;

	for (i = 0; i + k <= n; i++) {
		for (j = 0; j < k; j++) {
			unsigned char c = (unsigned char)s[i + j];

			if (w[j] == '#' ? !(c >= '0' && c <= '9') : tolower(c) != w[j])
				break;
		}
		if (j == k)
			return 1;
	}
	return 0;
}

/* The prefilter skips text without close_anchor_words: every wording the
 * parser reads must hold one of them. */
Test(close, every_trace_holds_an_anchor_word)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t n = row_len(&rows[i]);
		int found = 0;

		if (!rows[i].present)
			continue;
		for (size_t w = 0; close_anchor_words[w] && !found; w++)
			found = holds_word(rows[i].text, n, close_anchor_words[w]);
		cr_expect(found, "row %zu holds no anchor word: %s", i, rows[i].text);
	}
}

/* Every prefix of every row, from an exact-size buffer: a cut-off message
 * must never make the parser read past len (ASan) or store junk. */
Test(close, every_prefix_stays_in_bounds)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t n = row_len(&rows[i]);

		for (size_t k = 0; k <= n; k++) {
			char *buf = exact_copy(rows[i].text, k);
			struct close_trace c;
			int got = close_parse(buf, k, &c);

			cr_assert(got == 0 || got == 1);
			cr_assert_eq(got, c.present);
			cr_assert_lt(strlen(c.reason), (size_t)CLOSE_REASON_MAX);
			if (got)
				cr_assert(c.code == 0 || (c.code >= 1000 && c.code <= 4999), "row %zu cut %zu", i, k);
			free(buf);
		}
	}
}

/* Bytes after len are not part of the message, however tempting. */
Test(close, len_is_respected)
{
	static const char text[] = "   Close code: 1011999 reason=zzz";
	struct close_trace c;

	cr_assert_eq(close_parse(text, 19, &c), 1);
	cr_expect_eq(c.code, 1011);
	cr_assert_eq(close_parse(text, 20, &c), 0, "10119 is no code");
	/* the closing quote lies past len: the reason is what was there */
	cr_assert_eq(close_parse("Disconnected (code: 1011, reason: \"ab\")", 37, &c), 1);
	cr_expect_str_eq(c.reason, "ab");
}

Test(close, null_and_empty)
{
	struct close_trace c;

	cr_expect_eq(close_parse(NULL, 0, &c), 0);
	cr_expect_eq(c.present, 0);
	cr_expect_eq(c.elapsed_ms, -1);
	cr_expect_eq(c.clean, -1);
	cr_expect_null(c.client);
}

static void reason_of(const char *reason, struct close_trace *c)
{
	static char line[1024];
	int n = snprintf(line, sizeof(line), "WebSocket closed code=1011 reason=\"%s\"", reason);

	cr_assert_eq(close_parse(line, (size_t)n, c), 1);
}

Test(close, long_reason_is_cut_on_a_utf8_boundary)
{
	char r[400];
	struct close_trace c;

	memset(r, 'a', 300);
	r[300] = '\0';
	reason_of(r, &c);
	cr_expect_eq(strlen(c.reason), (size_t)CLOSE_REASON_MAX - 1);

	/* 254 + 2-byte é = 256 > 255: é is dropped whole */
	memset(r, 'a', 254);
	strcpy(r + 254, "\xc3\xa9");
	reason_of(r, &c);
	cr_expect_eq(strlen(c.reason), 254);

	/* 253 + 2-byte é = 255: fits exactly */
	memset(r, 'a', 253);
	strcpy(r + 253, "\xc3\xa9zz");
	reason_of(r, &c);
	cr_expect_eq(strlen(c.reason), 255);
	cr_expect_eq((unsigned char)c.reason[254], 0xa9);

	/* 253 + 3-byte euro sign = 256: dropped */
	memset(r, 'a', 253);
	strcpy(r + 253, "\xe2\x82\xac");
	reason_of(r, &c);
	cr_expect_eq(strlen(c.reason), 253);

	/* 252 + 4-byte emoji = 256: dropped; 251 + 4 = 255 kept */
	memset(r, 'a', 252);
	strcpy(r + 252, "\xf0\x9f\x94\xa5");
	reason_of(r, &c);
	cr_expect_eq(strlen(c.reason), 252);
	memset(r, 'a', 251);
	strcpy(r + 251, "\xf0\x9f\x94\xa5");
	reason_of(r, &c);
	cr_expect_eq(strlen(c.reason), 255);
}

Test(close, elapsed_forms)
{
	static const struct { const char *text; long ms; } cases[] = {
		{ "CONNECTION CLOSED after 0.063s", 63 },
		{ "CONNECTION CLOSED after 63ms", 63 },
		{ "CONNECTION CLOSED after 63 ms", 63 },
		{ "CONNECTION CLOSED after 1.5 seconds", 1500 },
		{ "CONNECTION CLOSED after 0.0625s", 63 },
		{ "CONNECTION CLOSED (63 ms)", 63 },
		{ "CONNECTION CLOSED elapsed_ms=63", 63 },
		{ "CONNECTION CLOSED elapsed=0.063s", 63 },
		{ "CONNECTION CLOSED duration_ms: 120", 120 },
		{ "CONNECTION CLOSED after 3 retries", -1 },
		{ "CONNECTION CLOSED after 99999999999s", -1 },
		{ "CONNECTION CLOSED (2 seconds after start)", -1 },
	};
	struct close_trace c;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(close_parse(cases[i].text, strlen(cases[i].text), &c), 1, "%s", cases[i].text);
		cr_expect_eq(c.elapsed_ms, cases[i].ms, "%s: %ld", cases[i].text, c.elapsed_ms);
	}
}

/* Deterministic noise: random bytes biased toward the anchors' letters. */
Test(close, random_bytes_stay_in_bounds)
{
	static const char alphabet[] = "closedCLOSE code=:1011 ()\"'\\;then received sent reason\n\x01\xc3\xa9";
	unsigned x = 12345;

	for (int it = 0; it < 20000; it++) {
		size_t n = (size_t)(it % 97);
		char *buf = malloc(n ? n : 1);
		struct close_trace c;

		for (size_t k = 0; k < n; k++) {
			x = x * 1103515245u + 12345u;
			buf[k] = alphabet[(x >> 16) % (sizeof(alphabet) - 1)];
		}
		cr_assert(close_parse(buf, n, &c) == c.present);
		free(buf);
	}
}

static char *repeat(const char *head, const char *unit, size_t total, size_t *len)
{
	size_t h = strlen(head), u = strlen(unit), n = h;
	char *p = malloc(total);

	cr_assert(p);
	memcpy(p, head, h);
	while (n + u <= total) {
		memcpy(p + n, unit, u);
		n += u;
	}
	*len = n;
	return p;
}

/* Long hostile lines must cost time linear in their length: each of these
 * was quadratic once, which at 256 KB is minutes, not milliseconds. */
Test(close, long_lines_stay_linear, .timeout = 20)
{
	static const struct { const char *head, *unit; int present; } cases[] = {
		{ "x; then ", "sent 12 ", 0 },
		{ "x; then ", "received sent ", 0 },
		{ "closed code=1011 reason=", " ", 1 },
		{ "closed code=1011 reason=", ", ; ", 1 },
		{ "", "code=1011 ", 0 },
		{ "", "close code=99 ", 0 },
		{ "", "(((( ", 0 },
		{ "", "cccCCCcode", 0 },
		{ "WebSocket closed ", "reason reason=", 1 },
		{ "wasClean: false ", "code code ", 0 },
		{ "  File \"x.py\", line 1, in f\n", "code=1011 ", 0 },
		{ "", "WebSocketDisconnect: (" , 0 },
		{ "", "CloseReason: code [", 1 },
		{ "", "CloseStatus[code=", 0 },
		{ "", "> CLOSE 1 ", 0 },
	};
	struct close_trace c;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n;
		char *p = repeat(cases[i].head, cases[i].unit, 256 * 1024, &n);

		cr_expect_eq(close_parse(p, n, &c), cases[i].present, "case %zu", i);
		free(p);
	}
}
