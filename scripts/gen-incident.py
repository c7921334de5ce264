#!/usr/bin/env python3
"""Render one staging incident (seeds 000/001/003: a WebSocketState enum in a
structured log call, the endpoint's exception handler failing, 1011 closes)
in every input shape logwhy reads. The same records in each shape let a test
check that findings do not depend on the format.

usage: gen-incident.py OUTDIR
writes gcloud.json (gcloud --format=json: pretty array, keys sorted, newest
first), gcloud.yaml (gcloud's default output), entries.ndjson (LogEntries one
per line), cloudrun.ndjson (the container's stdout+stderr as Cloud Run sees
it) and app.log (the same run as plain Python-logging text).
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


def events():
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
    if stream == "stdout":  # unstructured stderr lines carry no severity (DEFAULT)
        e["severity"] = sev
    if stream == "stdout":
        payload = {"message": msg, "logger": "netra_backend.app.routes.websocket"}
        for k in ("connection_id", "user_id"):
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
        else:
            lines.append("%s%s: %s" % (pad, k, yaml_scalar(str(v))))
    return lines


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    evs = events()
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
            if stream == "stderr":
                fp.write(msg + "\n")
                continue
            o = {"severity": sev, "message": msg, "time": ts(t),
                 "logger": "netra_backend.app.routes.websocket"}
            if "trace" in f:
                o["logging.googleapis.com/trace"] = "projects/%s/traces/%s" % (PROJECT, f["trace"])
            for k in ("connection_id", "user_id"):
                if k in f:
                    o[k] = f[k]
            fp.write(json.dumps(o, separators=(",", ":")) + "\n")
    with open(os.path.join(outdir, "app.log"), "w") as fp:
        for t, sev, msg, f, stream in evs:
            if stream == "stderr":
                fp.write(msg + "\n")
                continue
            extra = "".join(" %s=%s" % (k, f[k]) for k in ("connection_id", "trace") if k in f
                            and ("connection_id=" not in msg or k != "connection_id"))
            fp.write("%s - netra_backend.app.routes.websocket - %s - %s%s\n"
                     % (pyts(t), sev, msg, extra))


if __name__ == "__main__":
    main()
