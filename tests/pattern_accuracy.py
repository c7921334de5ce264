#!/usr/bin/env python3
"""Pattern grouping accuracy of `logwhy patterns` on a labelled set.

The set: tests/data/patterns/real.tsv (lines verbatim from public logs, each
with its source and the label of its true template) plus lines generated
here in several formats (Cloud Run JSON, Python logging text, logfmt),
each labelled with the template it was made from. Every file is read by
`logwhy patterns --records` as a user would give it, with no setting of its
own. Grouping accuracy (as in the loghub benchmarks): a line counts as right
when the set of lines logwhy put in its pattern is exactly the set of lines
with its label. Prints "ACCURACY right/total" and one line per part.
Usage: pattern_accuracy.py LOGWHY REAL_TSV
"""
import json
import os
import random
import subprocess
import sys
import tempfile

r = random.Random(14)


def ws():
    return "ws_%06x" % r.randrange(1 << 24)


def ip():
    return "10.%d.%d.%d" % (r.randrange(256), r.randrange(256), r.randrange(256))


def uuid():
    return "%08x-%04x-4%03x-a%03x-%012x" % (r.getrandbits(32), r.getrandbits(16), r.getrandbits(12),
                                             r.getrandbits(12), r.getrandbits(48))


def word(ws_):
    return r.choice(ws_)


CLOUDRUN = [
    ("cr.accept", lambda: "WebSocket connection accepted connection_id=%s" % ws()),
    ("cr.close", lambda: 'WebSocket closed connection_id=%s code=%d reason="%s"' % (
        ws(), r.choice([1000, 1001, 1011]), r.choice(["bye", "Internal error", "going away now"]))),
    ("cr.login", lambda: "User %s logged in from %s" % (word(["alice", "bob", "carol", "dmitri"]), ip())),
    ("cr.request", lambda: "Request %s /api/v1/%s completed in %dms" % (
        word(["GET", "POST", "PUT"]), word(["users", "orders", "chat"]), r.randrange(1, 900))),
    ("cr.cache", lambda: "Cache miss for key session:%d" % r.randrange(10 ** 6)),
    ("cr.payment", lambda: "Payment %s declined: insufficient funds" % uuid()),
    ("cr.retry", lambda: "Retrying upstream call to %s:%d (attempt %d of 5)" % (
        word(["billing.internal", "auth.internal"]), r.choice([443, 8443]), r.randrange(1, 5))),
    ("cr.health", lambda: "Backend health check passed: 200 OK"),
    ("cr.ready", lambda: "Application startup complete."),
    ("cr.shutdown", lambda: "Shutting down worker %d after %.1fs idle" % (r.randrange(1, 9), r.random() * 60)),
]
PYTEXT = [
    ("py.processed", lambda: "Processed %d items in %.3fs" % (r.randrange(1, 5000), r.random() * 9)),
    ("py.task", lambda: "Task %s failed: KeyError: '%s'" % (uuid(), word(["DATABASE_URL", "user_id", "token"]))),
    ("py.redis", lambda: "Connected to redis at %s:6379" % ip()),
    ("py.slow", lambda: "Slow query took %dms: SELECT * FROM %s WHERE id = %d" % (
        r.randrange(200, 9000), word(["users", "orders", "sessions"]), r.randrange(10 ** 5))),
    ("py.file", lambda: "Wrote report to /var/lib/app/reports/%d.csv (%d bytes)" % (
        r.randrange(10 ** 4), r.randrange(10 ** 6))),
    ("py.mail", lambda: "Sent welcome email to %s@example.com" % word(["ann", "joe", "li"])),
    ("py.timeout", lambda: "Timed out after %ds waiting for lock %s" % (r.randrange(1, 30), uuid())),
]
LOGFMT = [
    ("lf.done", lambda: 'msg="request done" status=%d duration=%dms path=/api/%s' % (
        r.choice([200, 201, 404]), r.randrange(1, 500), word(["a", "b", "c"]))),
    ("lf.start", lambda: 'msg="server started" addr=:%d version=v1.%d.%d' % (
        r.choice([8080, 9090]), r.randrange(9), r.randrange(9))),
    ("lf.db", lambda: 'msg="db pool exhausted" open=%d max=%d wait=%dms' % (
        r.randrange(90, 100), 100, r.randrange(10, 900))),
    ("lf.auth", lambda: 'msg="token rejected" user=%s reason="%s"' % (
        word(["u1x9", "u7k2", "u3z4"]), r.choice(["expired", "bad signature", "unknown key id"]))),
]


def gen_lines(tmpl, n, fmt):
    out = []
    t0 = 1757305200
    for i in range(n):
        label, f = r.choice(tmpl)
        msg = f()
        ts = "2025-09-08T%02d:%02d:%02d.%06dZ" % (4 + i // 3600 % 20, i // 60 % 60, i % 60, r.randrange(10 ** 6))
        sev = r.choice(["INFO", "WARNING", "ERROR"])
        if fmt == "ndjson":
            line = json.dumps({"severity": sev, "message": msg, "time": ts, "logger": "app"})
        elif fmt == "pytext":
            line = "2025-09-08 04:%02d:%02d,%03d - app.worker - %s - %s" % (
                i // 60 % 60, i % 60, r.randrange(1000), sev, msg)
        else:
            line = "time=%s level=%s %s" % (ts, sev.lower(), msg)
        out.append((label, line))
    return out


def accuracy(labels, groups):
    by_label, by_group = {}, {}
    for i, (lab, g) in enumerate(zip(labels, groups)):
        by_label.setdefault(lab, set()).add(i)
        by_group.setdefault(g, set()).add(i)
    right = 0
    for g, members in by_group.items():
        labs = {labels[i] for i in members}
        if len(labs) == 1 and by_label[labs.pop()] == members:
            right += len(members)
    return right


def run(logwhy, lines, fmt, tmp):
    path = os.path.join(tmp, "part." + fmt)
    with open(path, "w") as fh:
        for _, line in lines:
            fh.write(line + "\n")
    args = [logwhy, "patterns", "-q", "--records", path]
    if fmt == "text":
        args[3:3] = ["--input-format", "text"]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    recs = [json.loads(l) for l in out.splitlines()]
    if len(recs) != len(lines):
        sys.exit("pattern_accuracy: %s: %d records for %d lines" % (fmt, len(recs), len(lines)))
    return [x["pattern"] for x in recs]


def main():
    logwhy, real = sys.argv[1], sys.argv[2]
    parts = []
    with open(real) as fh:
        rows = [l.rstrip("\n").split("\t", 2) for l in fh if l.strip() and not l.startswith("#")]
    parts.append(("real (loghub HDFS, OpenSSH, Zookeeper)", "text", [(lab, line) for lab, _, line in rows]))
    parts.append(("generated Cloud Run JSON", "ndjson", gen_lines(CLOUDRUN, 400, "ndjson")))
    parts.append(("generated Python logging", "pytext", gen_lines(PYTEXT, 300, "pytext")))
    parts.append(("generated logfmt", "logfmt", gen_lines(LOGFMT, 200, "logfmt")))
    total = right = 0
    report = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, fmt, lines in parts:
            groups = run(logwhy, lines, fmt, tmp)
            k = accuracy([lab for lab, _ in lines], groups)
            report.append("  %-40s %4d/%-4d %.3f" % (name, k, len(lines), k / len(lines)))
            right += k
            total += len(lines)
    print("%.3f (%d/%d lines)" % (right / total, right, total))
    for line in report:
        print(line, file=sys.stderr)


if __name__ == "__main__":
    main()
