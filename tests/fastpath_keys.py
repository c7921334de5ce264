"""Severe records no rule matches (triage reads them as suspects), with
their correlation keys written every way the reader takes them, each
followed by a 1011 close on the same keys, amid ordinary records. What a
suspect is linked by must be the same whether the record was skimmed or
parsed (tests/fastpath.test.sh). Usage: fastpath_keys.py CORPUS.ndjson"""
import json
import sys

lines = open(sys.argv[1]).read().splitlines()[:300]
LOG = "projects/p/logs/run.googleapis.com%2Fstdout"
# (LogEntry fields, jsonPayload fields, what links it)
SHAPES = [
    ({"trace": "projects/p/traces/T{i}"}, {}, "trace"),
    ({}, {"trace_id": "T{i}"}, "trace"),
    ({}, {"trace": "", "trace_id": "T{i}"}, "trace"),
    ({"trace": None}, {"logging.googleapis.com/trace": "projects/p/traces/T{i}"}, "trace"),
    ({"labels": {"instanceId": "I{i}"}}, {}, "instance"),
    ({"resource": {"type": "x", "labels": {"instance_id": "I{i}"}}}, {}, "instance"),
    ({"labels": {"instance": None}}, {"instanceId": "I{i}"}, "instance"),
    ({}, {"connection_id": "C{i}"}, "connection"),
    ({}, {"connId": "C{i}", "conn_id": "D{i}"}, "connection"),
    ({"labels": {"connection_id": "C{i}"}}, {}, "connection"),
    ({}, {"connection_id": 7000}, "connection"),
    ({}, {"logging.googleapis.com/labels": {"connection_id": "C{i}"}}, "connection"),
    ({}, {"trace": {"id": 1}}, "trace"),
    ({}, {}, "text"),
]


def fill(d, i):
    return json.loads(json.dumps(d).replace("{i}", str(i)))


out = []
for i in range(42):
    top, jp, kind = SHAPES[i % len(SHAPES)]
    msg = "Quota of tenant %d exhausted" % i
    if kind == "text":
        msg += " connection_id=C%d trace=projects/p/traces/T%d" % (i, i)
    ts = "2025-09-08T05:%02d:%02d" % (i // 60, i % 60)
    rec = {"insertId": "k%d" % i, "jsonPayload": dict(fill(jp, i), message=msg),
           "logName": LOG, "severity": "WARNING", "timestamp": ts + ".1Z"}
    rec.update(fill(top, i))
    close = {"insertId": "c%d" % i, "logName": LOG, "severity": "WARNING",
             "jsonPayload": {"message": 'WebSocket closed code=1011 reason="Internal error"',
                             "connection_id": "C%d" % i},
             "trace": "projects/p/traces/T%d" % i, "labels": {"instanceId": "I%d" % i},
             "timestamp": ts + ".2Z"}
    out += [json.dumps(rec), json.dumps(close)]
print("\n".join(lines[:150] + out + lines[150:]))
