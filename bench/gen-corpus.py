#!/usr/bin/env python3
"""Generate a Cloud Run LogEntry NDJSON corpus of about SIZE_MB megabytes:
mostly healthy request and app lines, about 10% incident lines of several
classes (enum serialization with its per-line --- Logging error --- block,
missing services, startup timeouts, E2E variables, 1011/1006 closes).
Deterministic for a given seed.

usage: gen-corpus.py SIZE_MB [SEED [INCIDENT_RATE]] > corpus.ndjson

INCIDENT_RATE (default 0.025) is the chance that the next request is an
incident sequence rather than one healthy line; 1 gives a storm where
nearly every record is an incident line.
"""
import datetime
import json
import random
import sys

size = int(float(sys.argv[1]) * 1e6)
rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
rate = float(sys.argv[3]) if len(sys.argv) > 3 else 0.025
base = datetime.datetime(2025, 9, 8, 4, 0, 0, tzinfo=datetime.timezone.utc)
instances = ["%0128x" % rng.getrandbits(512) for _ in range(6)]
res = {"labels": {"configuration_name": "netra-backend-staging", "location": "us-central1",
                  "project_id": "netra-staging",
                  "revision_name": "netra-backend-staging-00154-2tw",
                  "service_name": "netra-backend-staging"},
       "type": "cloud_run_revision"}

healthy = [
    ("INFO", "Backend health check passed: 200 OK"),
    ("INFO", "WebSocket connection accepted"),
    ("INFO", "Sent connection_established to client"),
    ("INFO", "agent_started sent for run {run}"),
    ("INFO", "agent_thinking sent for run {run}"),
    ("INFO", "tool_executing: search_corpus for run {run}"),
    ("INFO", "tool_completed: search_corpus for run {run} in 412ms"),
    ("INFO", "agent_completed sent for run {run}"),
    ("DEBUG", "Heartbeat ping from client, replying pong"),
    ("INFO", "Thread {run} persisted (3 messages)"),
    ("WARNING", "Slow database query took 1204ms: SELECT * FROM threads WHERE user_id = $1"),
]
incidents = [
    [("WARNING", "WebSocket not in CONNECTED state after registration: WebSocketState.CONNECTING"),
     ("stderr", "--- Logging error ---"),
     ("stderr", "Traceback (most recent call last):"),
     ("stderr", '  File "/usr/local/lib/python3.11/logging/__init__.py", line 1110, in emit'),
     ("stderr", "    msg = self.format(record)"),
     ("stderr", "TypeError: Object of type WebSocketState is not JSON serializable"),
     ("stderr", "Call stack:"),
     ("stderr", '  File "/app/netra_backend/app/routes/websocket.py", line 646, in websocket_endpoint'),
     ("stderr", "Message: 'WebSocket not in CONNECTED state after registration: WebSocketState.CONNECTING'"),
     ("stderr", "Arguments: ()"),
     ("ERROR", "WebSocket error: Object of type WebSocketState is not JSON serializable"),
     ("WARNING", 'WebSocket closed connection_id={conn} code=1011 reason="Internal error"')],
    [("ERROR", "agent_supervisor is None in staging: app.state.agent_supervisor was never set"),
     ("WARNING", 'WebSocket closed connection_id={conn} code=1011 reason="Service unavailable"')],
    [("INFO", "Waiting for startup to complete (12/30s)"),
     ("ERROR", "Startup did not complete within 30s; rejecting WebSocket"),
     ("WARNING", 'WebSocket closed connection_id={conn} code=1011 reason="Service startup incomplete"')],
    [("WARNING", "E2E testing not detected: E2E_TESTING, PYTEST_RUNNING, STAGING_E2E_TEST unset"),
     ("ERROR", "Strict JWT validation failed: signature verification failed"),
     ("ERROR", "Factory SSOT validation failed: user context invalid"),
     ("WARNING", 'WebSocket closed connection_id={conn} code=1011 reason="Factory SSOT validation failed"')],
    [("ERROR", "Exception in ASGI application: RuntimeError: Unexpected ASGI message after close"),
     ("WARNING", "WebSocket connection_id={conn} dropped: no close frame received or sent")],
]

out = sys.stdout
written = 0
n = 0
t = base
while written < size:
    t += datetime.timedelta(microseconds=rng.randrange(200, 30000))
    inst = rng.choice(instances)
    conn = "ws_%08x" % rng.getrandbits(32)
    trace = "%032x" % rng.getrandbits(128)
    if rng.random() < rate:
        seq = rng.choice(incidents)
    else:
        seq = [rng.choice(healthy)]
    for sev, msg in seq:
        t += datetime.timedelta(microseconds=rng.randrange(50, 900))
        msg = msg.format(conn=conn, run="run_%06x" % rng.getrandbits(24))
        n += 1
        e = {"insertId": "%014x" % rng.getrandbits(56), "labels": {"instanceId": inst},
             "receiveTimestamp": t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "resource": res,
             "timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
        if sev == "stderr":
            e["logName"] = "projects/netra-staging/logs/run.googleapis.com%2Fstderr"
            e["textPayload"] = msg
        else:
            e["logName"] = "projects/netra-staging/logs/run.googleapis.com%2Fstdout"
            e["severity"] = sev
            e["jsonPayload"] = {"message": msg, "logger": "netra_backend.app.routes.websocket",
                                "connection_id": conn, "user_id": "user_%04d" % rng.randrange(5000)}
            e["trace"] = "projects/netra-staging/traces/" + trace
        line = json.dumps(e, sort_keys=True, separators=(",", ":")) + "\n"
        out.write(line)
        written += len(line)
