#!/usr/bin/env python3
"""Planted-cause incidents for tests/suspects.test.sh.

Each case is a folder with its input files and case.json:
  {"files": [...], "planted": WORD, "decoys": [WORD...], "symptoms": N}
The planted error is an error no shipped rule knows, logged before each of
the WebSocket 1011 closes, linked as the case says (same connection, same
trace, same instance only, time only, inside a traceback split over
LogEntries, gzip, a newest-first gcloud array). Around it, decoys:
  - a more frequent error, spread evenly over the whole span and every key;
  - a warning logged just after each symptom, on its connection;
  - an error right before only a few of the symptoms, on their connection.
The input is deterministic (seeded). Usage: suspects_gen.py OUTDIR
"""
import gzip
import json
import os
import random
import sys

T0 = 1757305200.0           # 2025-09-08T04:20:00Z
SPAN = 1800.0               # half an hour
NSYM = 30                   # 1011 closes caused by the planted error
NCONN = 300                 # connections in all
INSTANCES = ["00a1f3c9e2b4d6", "00b7e2d4c1a9f3", "00c3d9a7e5f1b2"]
PROJECT = "projects/acme-prod"


def ts(t):
    us = int(round(t * 1e6))
    s, frac = divmod(us, 1000000)
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + ".%06dZ" % frac


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.recs = []      # (t, fields) in the order made
        self.n = 0

    def conn_id(self, i):
        return "ws_%06x" % (0x3b9f00 + i * 7919 % 0xffff)

    def trace_id(self, i):
        return "%032x" % (0x61403b2fb9ee7fb8b5aeb95566865fe2 + i * 104729)

    def add(self, t, sev, msg, conn=None, trace=None, inst=None, **kw):
        self.recs.append((t, dict(sev=sev, msg=msg, conn=conn, trace=trace, inst=inst, **kw)))


PLANTED = "FluxCapacitorError: flux drift {x:.2f} exceeded tolerance on {c} (attempt {a})"
PLANTED_WORD = "FluxCapacitorError"
FREQ = "Cache refresh failed for key user:{k}: upstream returned {code}"
AFTER = "Slow client {c}: send buffer at {b} bytes"
FEW = "Token bucket depleted for tenant {t}"
DECOYS = ["Cache refresh failed", "Slow client", "Token bucket depleted"]


def incident(g, mode, symptoms=True):
    """The server's records: connections, some failing with 1011."""
    r = g.r
    fail = set(r.sample(range(NCONN), NSYM)) if symptoms else set()
    few = set(r.sample(sorted(fail), 3)) if symptoms else set()
    starts = sorted(r.uniform(0, SPAN - 10) for _ in range(NCONN))
    for i, t in enumerate(starts):
        c, tr, inst = g.conn_id(i), g.trace_id(i), INSTANCES[i % len(INSTANCES)]
        keys = dict(conn=c, trace=tr, inst=inst)
        g.add(T0 + t, "INFO", "WebSocket connection accepted connection_id=%s" % c, **keys)
        end = t + r.uniform(0.5, 4.0)
        if i in fail:
            x = dict(x=r.uniform(0.5, 0.99), c=c, a=r.randint(1, 5))
            lead = r.uniform(0.02, 0.08)
            pk = dict(keys)
            if mode == "trace":
                pk = dict(trace=tr)
            elif mode in ("instance", "traceback"):
                pk = dict(inst=inst)
            elif mode == "time":
                pk = dict(inst=inst)
            if mode == "traceback":
                g.add(T0 + end - lead, "DEFAULT", None, tb=PLANTED.format(**x), **pk)
            else:
                g.add(T0 + end - lead, "ERROR", PLANTED.format(**x), **pk)
            if i in few:
                g.add(T0 + end - 0.03, "ERROR", FEW.format(t=r.randint(10, 99)), **keys)
            if mode != "time":
                g.add(T0 + end, "WARNING",
                      'WebSocket closed connection_id=%s code=1011 reason="Internal error"' % c, **keys)
            else:
                g.add(T0 + end, "CLIENT", None, **keys)
            g.add(T0 + end + 0.1, "WARNING", AFTER.format(c=c, b=r.randint(1000, 9000)), **keys)
        else:
            g.add(T0 + end, "INFO",
                  'WebSocket closed connection_id=%s code=1000 reason="bye"' % c, **keys)
    # the frequent error: ten times the planted one, everywhere
    for k in range(NSYM * 10):
        t = SPAN * (k + r.random()) / (NSYM * 10)
        i = r.randrange(NCONN)
        g.add(T0 + t, "ERROR", FREQ.format(k=r.randint(1000, 9999), code=r.choice([502, 503, 504])),
              conn=g.conn_id(i), trace=g.trace_id(i), inst=INSTANCES[i % len(INSTANCES)])
    g.recs.sort(key=lambda x: x[0])


def cloudrun(t, f):
    o = {"severity": f["sev"], "message": f["msg"], "time": ts(t)}
    if f["conn"]:
        o["connection_id"] = f["conn"]
    if f["trace"]:
        o["logging.googleapis.com/trace"] = "%s/traces/%s" % (PROJECT, f["trace"])
    if f["inst"]:
        o["logging.googleapis.com/labels"] = {"instanceId": f["inst"]}
    return o


def entry(g, t, sev, payload, inst, stream="stdout", trace=None):
    g.n += 1
    e = {"insertId": "%014x" % (0x66be4c2a040000 + g.n),
         "logName": "%s/logs/run.googleapis.com%%2F%s" % (PROJECT, stream),
         "receiveTimestamp": ts(t + 0.2),
         "resource": {"labels": {"service_name": "chat-api", "revision_name": "chat-api-00042-xyz",
                                 "location": "europe-west1", "project_id": "acme-prod"},
                      "type": "cloud_run_revision"},
         "timestamp": ts(t)}
    if inst:
        e["labels"] = {"instanceId": inst}
    if sev != "DEFAULT":
        e["severity"] = sev
    if trace:
        e["trace"] = "%s/traces/%s" % (PROJECT, trace)
    e.update(payload)
    return e


def traceback_lines(exc):
    return ["Traceback (most recent call last):",
            '  File "/app/chat/session.py", line 214, in run',
            "    await self.flux.calibrate(conn)",
            '  File "/app/chat/flux.py", line 88, in calibrate',
            "    raise FluxCapacitorError(msg)",
            exc]


def entries(g):
    """gcloud LogEntries; a traceback becomes one stderr entry per line."""
    out = []
    for t, f in g.recs:
        if f["sev"] == "CLIENT":
            continue
        if f.get("tb"):
            for k, line in enumerate(traceback_lines(f["tb"])):
                out.append((t + k * 1e-6, entry(g, t + k * 1e-6, "DEFAULT", {"textPayload": line},
                                                f["inst"], "stderr")))
            continue
        p = {"message": f["msg"]}
        if f["conn"]:
            p["connection_id"] = f["conn"]
        out.append((t, entry(g, t, f["sev"], {"jsonPayload": p}, f["inst"], trace=f["trace"])))
    return out


def client_traces(g):
    """What the test client saw: one logwhy probe trace per failed connection,
    with no key the server's log shares."""
    lines = []
    for t, f in g.recs:
        if f["sev"] != "CLIENT":
            continue
        lines.append(json.dumps({
            "probe": "logwhy", "time": ts(t + 0.004), "url": "wss://chat.example.com/ws",
            "http_status": 101, "sent": 1, "received": 0,
            "close": {"code": 1011, "reason": "Internal error", "direction": "received", "clean": True},
            "elapsed_ms": 1800,
            "message": 'server closed the WebSocket with 1011 (internal error) reason "Internal error"',
            "healthy": False}))
    return lines


def write_case(root, name, files, symptoms):
    d = os.path.join(root, name)
    os.makedirs(d, exist_ok=True)
    names = []
    for fn, data in files:
        p = os.path.join(d, fn)
        if fn.endswith(".gz"):
            with gzip.open(p, "wb") as fh:
                fh.write(data.encode())
        else:
            with open(p, "w") as fh:
                fh.write(data)
        names.append(fn)
    with open(os.path.join(d, "case.json"), "w") as fh:
        json.dump({"files": names, "planted": PLANTED_WORD, "decoys": DECOYS,
                   "symptoms": NSYM if symptoms else 0}, fh)


def ndjson(g):
    return "".join(json.dumps(cloudrun(t, f)) + "\n" for t, f in g.recs if f["sev"] != "CLIENT")


def main():
    root = sys.argv[1]
    seed = 14
    for mode in ("connection", "trace", "instance"):
        g = Gen(seed)
        seed += 1
        incident(g, mode)
        if mode == "instance":
            # instance keys live on LogEntries
            write_case(root, mode, [("server.ndjson",
                                     "".join(json.dumps(e) + "\n" for _, e in entries(g)))], True)
        else:
            write_case(root, mode, [("server.ndjson", ndjson(g))], True)
        if mode == "connection":
            write_case(root, "gzip", [("server.ndjson.gz", ndjson(g))], True)
            g2 = Gen(99)
            incident(g2, mode, symptoms=False)
            write_case(root, "no-symptom", [("server.ndjson", ndjson(g2))], False)

    g = Gen(seed)
    seed += 1
    incident(g, "time")
    server = "".join(json.dumps(e) + "\n" for _, e in entries(g))
    write_case(root, "time", [("server.ndjson", server), ("client.ndjson", "\n".join(client_traces(g)) + "\n")],
               True)

    g = Gen(seed)
    seed += 1
    incident(g, "traceback")
    es = entries(g)
    es.sort(key=lambda x: x[0], reverse=True)     # gcloud prints newest first
    arr = json.dumps([e for _, e in es], indent=2, sort_keys=True) + "\n"
    write_case(root, "traceback-newest-first", [("gcloud.json", arr)], True)

    g = Gen(seed)
    seed += 1
    incident(g, "connection")
    es = entries(g)
    es.sort(key=lambda x: x[0], reverse=True)
    arr = json.dumps([e for _, e in es], indent=2, sort_keys=True) + "\n"
    write_case(root, "newest-first", [("gcloud.json", arr)], True)


if __name__ == "__main__":
    main()
