#!/usr/bin/env python3
"""Render one staging incident from the seeds in every input shape logwhy
reads. The same records in each shape let a test check that findings do not
depend on the format.

  enum-log         seeds 000/001/003: a WebSocketState enum in a structured
                   log call, the endpoint's exception handler failing, 1011
                   closes (the default)
  missing-service  seed 002: the debug script's run, agent_supervisor and
                   thread_service None on app.state, 1011 "Service
                   unavailable" ~63 ms after accept, no welcome message
  e2e-env          seed 004: health JSON with e2e_testing disabled, E2E
                   detection false, strict JWT validation failing, 1011
                   "Factory SSOT validation failed" / "Critical factory failure"

usage: gen-incident.py [INCIDENT] OUTDIR
writes gcloud.json (gcloud --format=json: pretty array, keys sorted, newest
first), gcloud.yaml (gcloud's default output), entries.ndjson (LogEntries one
per line), cloudrun.ndjson (the container's stdout+stderr as Cloud Run sees
it) and app.log (the same run as plain Python-logging text).

Streams: "stdout" records are the service's structured JSON logs, "stderr"
lines are unstructured text from the service (the --- Logging error ---
block), "client" lines come from a test client run next to the service (the
seed 002 debug script): plain text in every shape, as a textPayload of its
own log in the gcloud shapes.
"""
import datetime
import hashlib
import json
import os
import sys

PROJECT = "netra-staging"
SERVICE = "netra-backend-staging"
REVISION = "netra-backend-staging-00154-2tw"
INSTANCE = ("0069c7a988b2f0a8b5c4d1e3f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0"
            "c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4")
BASE = datetime.datetime(2025, 9, 8, 4, 32, 59, 40000, tzinfo=datetime.timezone.utc)

LOGGING_ERROR = [
    "--- Logging error ---",
    "Traceback (most recent call last):",
    '  File "/usr/local/lib/python3.11/logging/__init__.py", line 1110, in emit',
    "    msg = self.format(record)",
    "          ^^^^^^^^^^^^^^^^^^^",
    '  File "/app/netra_backend/app/core/logging_formatters.py", line 88, in format',
    "    return json.dumps(log_entry)",
    "           ^^^^^^^^^^^^^^^^^^^^^",
    '  File "/usr/local/lib/python3.11/json/encoder.py", line 180, in default',
    "    raise TypeError(f'Object of type {o.__class__.__name__} '",
    "TypeError: Object of type WebSocketState is not JSON serializable",
    "Call stack:",
    '  File "/app/netra_backend/app/routes/websocket.py", line 646, in websocket_endpoint',
    '    logger.warning(f"WebSocket not in CONNECTED state after registration: {websocket.client_state}")',
    "Message: 'WebSocket not in CONNECTED state after registration: WebSocketState.CONNECTING'",
    "Arguments: ()",
]


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def pyts(t):
    return t.strftime("%Y-%m-%d %H:%M:%S,") + "%03d" % (t.microsecond // 1000)


def events_enum_log():
    """(time, severity, message, fields, stream) in time order."""
    out = []
    t = BASE
    out.append((t, "INFO", "Backend health check passed: 200 OK", {}, "stdout"))
    for i, conn in enumerate(["ws_3b9f2c1a", "ws_8e41d07b", "ws_c5a6f913"]):
        t0 = BASE + datetime.timedelta(seconds=4 + 19 * i)
        trace = hashlib.md5(conn.encode()).hexdigest()
        f = {"connection_id": conn, "user_id": "staging-e2e-user-00%d" % (i + 1),
             "trace": trace}
        out.append((t0, "INFO", "WebSocket connection accepted", f, "stdout"))
        t1 = t0 + datetime.timedelta(milliseconds=101)
        out.append((t1, "WARNING",
                    "WebSocket not in CONNECTED state after registration: WebSocketState.CONNECTING",
                    f, "stdout"))
        for k, line in enumerate(LOGGING_ERROR):
            out.append((t1 + datetime.timedelta(microseconds=200 + 10 * k), "ERROR",
                        line, {}, "stderr"))
        t2 = t1 + datetime.timedelta(milliseconds=2)
        out.append((t2, "ERROR",
                    "WebSocket error: Object of type WebSocketState is not JSON serializable",
                    f, "stdout"))
        t3 = t2 + datetime.timedelta(milliseconds=1)
        out.append((t3, "WARNING",
                    'WebSocket closed connection_id=%s code=1011 reason="Internal error"' % conn,
                    f, "stdout"))
    t = BASE + datetime.timedelta(seconds=70)
    out.append((t, "INFO", "Backend health check passed: 200 OK", {}, "stdout"))
    return out


# seed 002's debug script, as it printed its run (the connection it opened
# is the first of the incident's three)
DEBUG_SCRIPT = [
    "WEBSOCKET DEBUG - FIVE WHYS ANALYSIS",
    "Backend URL: https://api.staging.netrasystems.ai",
    "WebSocket URL: wss://api.staging.netrasystems.ai/ws",
    "1. BACKEND HEALTH CHECK:",
    "   Status: 200",
    "   [OK] Backend is healthy",
    "2. WEBSOCKET CONNECTION TEST:",
    "   Auth headers: 10 headers",
    "   Has Authorization: True",
    "   Connecting to WebSocket...",
    "   [OK] Connected in 0.809s",
    "   Waiting for welcome message...",
    "   [ERROR] CONNECTION CLOSED after 0.063s",
    "   Close code: 1011",
    "   Close reason: Internal error",
    "   Analysis: 1011 = Internal server error",
    "Result: FAILED",
]


def conn_fields(conn, user):
    return {"connection_id": conn, "user_id": user,
            "trace": hashlib.md5(conn.encode()).hexdigest()}


def events_missing_service():
    """Seed 002: services missing from app.state in staging."""
    out = []
    out.append((BASE, "INFO", "Backend health check passed: 200 OK", {}, "stdout"))
    conns = ["ws_5e02a9c4", "ws_71b3d8e0", "ws_a4c96f15"]
    for i, conn in enumerate(conns):
        t0 = BASE + datetime.timedelta(seconds=3 + 17 * i)
        f = conn_fields(conn, "staging-e2e-user-00%d" % (i + 1))
        if i == 0:
            # the script connects (0.809 s), then waits for the welcome
            for k, line in enumerate(DEBUG_SCRIPT[:11]):
                out.append((t0 - datetime.timedelta(milliseconds=900 - 10 * k), "INFO",
                            line, {}, "client"))
        out.append((t0, "INFO", "WebSocket connection accepted", f, "stdout"))
        out.append((t0 + datetime.timedelta(milliseconds=12), "INFO",
                    "JWT authentication succeeded for user %s" % f["user_id"], f, "stdout"))
        t1 = t0 + datetime.timedelta(milliseconds=61)
        out.append((t1, "ERROR",
                    "CRITICAL: agent_supervisor is None in staging "
                    "(app.state.agent_supervisor=None) - WebSocket cannot process messages",
                    f, "stdout"))
        out.append((t1 + datetime.timedelta(microseconds=400), "ERROR",
                    "CRITICAL: thread_service is None in staging (app.state.thread_service=None)",
                    f, "stdout"))
        t2 = t0 + datetime.timedelta(milliseconds=63)
        out.append((t2, "WARNING",
                    'WebSocket closed connection_id=%s code=1011 reason="Service unavailable" '
                    'after 63ms' % conn, f, "stdout"))
        if i == 0:
            for k, line in enumerate(DEBUG_SCRIPT[11:]):
                out.append((t2 + datetime.timedelta(milliseconds=40 + 10 * k), "INFO",
                            line, {}, "client"))
    out.append((BASE + datetime.timedelta(seconds=60), "INFO",
                "Backend health check passed: 200 OK", {}, "stdout"))
    return out


def events_e2e_env():
    """Seed 004: E2E variables set on the test runner only, not the service."""
    out = []
    health = {"status": "healthy", "service": SERVICE, "environment": "staging",
              "e2e_testing": {"enabled": False}}
    out.append((BASE, "INFO", "WebSocket health check response", {"health": health}, "stdout"))
    reasons = ["Factory SSOT validation failed", "Factory SSOT validation failed",
               "Critical factory failure"]
    for i, conn in enumerate(["ws_0d7e4b21", "ws_93f1c6a8", "ws_e6285b3d"]):
        t0 = BASE + datetime.timedelta(seconds=2 + 8 * i, milliseconds=120)
        f = conn_fields(conn, "anonymous")
        out.append((t0, "INFO", "WebSocket connection accepted", f, "stdout"))
        out.append((t0 + datetime.timedelta(milliseconds=1), "INFO",
                    "E2E detection: is_e2e_testing=False (E2E_TESTING=None, PYTEST_RUNNING=None, "
                    "STAGING_E2E_TEST=None, E2E_OAUTH_SIMULATION_KEY=None, E2E_TEST_ENV=None)",
                    f, "stdout"))
        out.append((t0 + datetime.timedelta(milliseconds=2), "WARNING",
                    "No E2E context (bypass_enabled=False) - using strict JWT validation",
                    f, "stdout"))
        out.append((t0 + datetime.timedelta(milliseconds=9), "ERROR",
                    "Strict JWT validation failed: No valid JWT (authentication failed for WebSocket)",
                    f, "stdout"))
        if reasons[i] == "Critical factory failure":
            msg = ("Critical factory failure: FactoryInitializationError while creating the "
                   "WebSocket manager for an unauthenticated user context")
        else:
            msg = ("WebSocket factory SSOT validation failed: FactoryInitializationError: "
                   "SSOT user context validation failed in staging")
        out.append((t0 + datetime.timedelta(milliseconds=11), "ERROR", msg, f, "stdout"))
        out.append((t0 + datetime.timedelta(milliseconds=12), "WARNING",
                    'WebSocket closed connection_id=%s code=1011 reason="%s"' % (conn, reasons[i]),
                    f, "stdout"))
    out.append((BASE + datetime.timedelta(seconds=40), "INFO",
                "Backend health check passed: 200 OK", {}, "stdout"))
    return out


INCIDENTS = {
    "enum-log": events_enum_log,
    "missing-service": events_missing_service,
    "e2e-env": events_e2e_env,
}

# structured fields a record may carry besides its message, in this order
PAYLOAD_KEYS = ("connection_id", "user_id", "health")


def log_entry(n, ev):
    t, sev, msg, f, stream = ev
    e = {
        "insertId": "%014x" % (0x66be4c2a000e1f + n * 7919),
        "labels": {"instanceId": INSTANCE},
        "logName": "projects/%s/logs/run.googleapis.com%%2F%s" % (PROJECT, stream),
        "receiveTimestamp": ts(t + datetime.timedelta(milliseconds=183)),
        "resource": {"labels": {"configuration_name": SERVICE, "location": "us-central1",
                                "project_id": PROJECT, "revision_name": REVISION,
                                "service_name": SERVICE},
                     "type": "cloud_run_revision"},
        "timestamp": ts(t),
    }
    if stream == "client":  # a test client's output, shipped to its own log
        e["labels"] = {"runner": "websocket-debug"}
        e["logName"] = "projects/%s/logs/websocket-debug" % PROJECT
        e["resource"] = {"labels": {"project_id": PROJECT}, "type": "global"}
    if stream == "stdout":  # unstructured stderr lines carry no severity (DEFAULT)
        e["severity"] = sev
    if stream == "stdout":
        payload = {"message": msg, "logger": "netra_backend.app.routes.websocket"}
        for k in PAYLOAD_KEYS:
            if k in f:
                payload[k] = f[k]
        e["jsonPayload"] = payload
        if "trace" in f:
            e["trace"] = "projects/%s/traces/%s" % (PROJECT, f["trace"])
    else:
        e["textPayload"] = msg
    return e


def yaml_scalar(s):
    if s == "" or any(c in s for c in ":#'\"{}[],&*!|>%@`") or s != s.strip() or s[0] in "-?":
        return "'" + s.replace("'", "''") + "'"
    return s


def to_yaml(obj, indent=0):
    lines = []
    pad = "  " * indent
    for k in sorted(obj):
        v = obj[k]
        if isinstance(v, dict):
            lines.append("%s%s:" % (pad, k))
            lines.extend(to_yaml(v, indent + 1))
        elif isinstance(v, bool):
            lines.append("%s%s: %s" % (pad, k, "true" if v else "false"))
        else:
            lines.append("%s%s: %s" % (pad, k, yaml_scalar(str(v))))
    return lines


def main():
    args = sys.argv[1:]
    if len(args) == 1:
        args = ["enum-log"] + args
    if len(args) != 2 or args[0] not in INCIDENTS:
        sys.exit("usage: gen-incident.py [%s] OUTDIR" % "|".join(INCIDENTS))
    outdir = args[1]
    os.makedirs(outdir, exist_ok=True)
    evs = INCIDENTS[args[0]]()
    entries = [log_entry(n, ev) for n, ev in enumerate(evs)]
    newest_first = list(reversed(entries))

    with open(os.path.join(outdir, "gcloud.json"), "w") as fp:
        fp.write(json.dumps(newest_first, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    with open(os.path.join(outdir, "gcloud.yaml"), "w") as fp:
        for i, e in enumerate(newest_first):
            if i:
                fp.write("---\n")
            fp.write("\n".join(to_yaml(e)) + "\n")
    with open(os.path.join(outdir, "entries.ndjson"), "w") as fp:
        for e in entries:
            fp.write(json.dumps(e, sort_keys=True, separators=(",", ":")) + "\n")
    with open(os.path.join(outdir, "cloudrun.ndjson"), "w") as fp:
        for t, sev, msg, f, stream in evs:
            if stream != "stdout":
                fp.write(msg + "\n")
                continue
            o = {"severity": sev, "message": msg, "time": ts(t),
                 "logger": "netra_backend.app.routes.websocket"}
            if "trace" in f:
                o["logging.googleapis.com/trace"] = "projects/%s/traces/%s" % (PROJECT, f["trace"])
            for k in PAYLOAD_KEYS:
                if k in f:
                    o[k] = f[k]
            fp.write(json.dumps(o, separators=(",", ":")) + "\n")
    with open(os.path.join(outdir, "app.log"), "w") as fp:
        for t, sev, msg, f, stream in evs:
            if stream != "stdout":
                fp.write(msg + "\n")
                continue
            extra = "".join(" %s=%s" % (k, f[k]) for k in ("connection_id", "trace") if k in f
                            and ("connection_id=" not in msg or k != "connection_id"))
            if "health" in f:
                extra += ": " + json.dumps(f["health"])
            fp.write("%s - netra_backend.app.routes.websocket - %s - %s%s\n"
                     % (pyts(t), sev, msg, extra))


if __name__ == "__main__":
    main()
