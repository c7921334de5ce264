#!/usr/bin/python3
"""Feed a gcloud-shaped input to `logwhy lint -f` the way `gcloud logging
tail` delivers it, and measure how long each finding takes to appear.

usage: follow_stream.py json|yaml INPUT PAUSE_S LOGWHY lint [ARGS...]
       follow_stream.py json|yaml INPUT PAUSE_S LOGWHY triage --output json [ARGS...]

INPUT is a gcloud --format=json array (one entry per "  {" ... "  }")
or gcloud's YAML (documents separated by "---"). Entries logged within
0.5 s of each other (the parts of one traceback, say) are written
together, as one batch of the tail; then the feeder waits PAUSE_S. Every
finding must appear within 1 s of the write that completed its record,
and the findings must be those of the same command without -f on the
whole input. With triage: a new report (one JSON object a line) comes
only when the verdict or the ranking changed, there is more than one, and
the last has the verdict and ranking of the run without -f. Prints one
line per check, then "N passed, N failed".
"""
import datetime
import json
import re
import subprocess
import sys
import threading
import time


def entries_json(lines):
    out, start = [], 2
    for i, line in enumerate(lines[1:], start=2):
        if line in ("  },", "  }"):
            body = "\n".join(lines[start - 1:i]).rstrip(",")
            out.append((start, i, json.loads(body)["timestamp"]))
            start = i + 1
    return out


def entries_yaml(lines):
    out, start, ts = [], 1, None
    for i, line in enumerate(lines, start=1):
        m = re.match(r"^timestamp: '?([^']+)'?$", line)
        if m:
            ts = m.group(1)
        if line == "---" or i == len(lines):
            if ts:
                out.append((start, i - 1 if line == "---" else i, ts))
            start, ts = i + 1, None
    return out


def seconds(ts):
    return datetime.datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()


def ranking(report):
    v = report["verdict"]
    return (v["rule"] if v else None, [c["rule"] for c in report["causes"]])


def check_triage(reports, want):
    npass = nfail = 0

    def check(ok, what):
        nonlocal npass, nfail
        print(("ok   " if ok else "FAIL ") + what)
        npass, nfail = npass + ok, nfail + (not ok)

    seen = [ranking(r) for r in reports]
    for r in reports:
        print("     report: %d records, verdict %s, causes %s" % ((r["records"],) + ranking(r)))
    check(len(seen) >= 2, "%d reports while the input was live" % len(seen))
    # each report but the final one changed the verdict or the ranking
    check(all(seen[i] != seen[i - 1] for i in range(1, len(seen) - 1)),
          "a new report only when the verdict or the ranking changed")
    check(bool(seen) and seen[-1] == want[0], "the last report is the run without -f: %s" % (want,))
    print("%d passed, %d failed" % (npass, nfail))


def main():
    kind, path, pause = sys.argv[1], sys.argv[2], float(sys.argv[3])
    cmd = sys.argv[4:]
    lines = open(path, encoding="utf-8").read().rstrip("\n").split("\n")
    ents = entries_json(lines) if kind == "json" else entries_yaml(lines)
    batches = []
    for e in ents:
        if batches and abs(seconds(batches[-1][-1][2]) - seconds(e[2])) < 0.5:
            batches[-1].append(e)
        else:
            batches.append([e])
    triage = "triage" in cmd
    want = subprocess.run(cmd + [path], capture_output=True, timeout=30).stdout.decode()
    if triage:
        want = [ranking(json.loads(l)) for l in want.splitlines()]
    else:
        want = sorted((json.loads(l)["rule"], json.loads(l)["line"]) for l in want.splitlines())

    p = subprocess.Popen(cmd + ["-f", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    got = []

    def reader():
        for line in p.stdout:
            got.append((time.monotonic(), json.loads(line)))

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    written = {}
    pos = 0
    for b in batches:
        first, last = b[0][0], b[-1][1]
        p.stdin.write(("\n".join(lines[pos:last]) + "\n").encode())
        p.stdin.flush()
        now = time.monotonic()
        for e in b:
            written[(e[0], e[1])] = now
        pos = last
        time.sleep(pause)
    p.stdin.write(("\n".join(lines[pos:]) + "\n").encode())
    p.stdin.close()
    p.wait(timeout=20)
    t.join(5)
    npass = nfail = 0
    worst = 0.0
    if triage:
        return check_triage([f for _, f in got], want)
    for when, f in got:
        w = [wt for (a, b), wt in written.items() if a <= f["line"] <= b]
        if not w:
            print("FAIL finding at line %d is in no entry" % f["line"])
            nfail += 1
            continue
        lat = when - w[0]
        worst = max(worst, lat)
        ok = lat < 1.0
        print("%s %s line %d: %.3f s after its record was complete" %
              ("ok  " if ok else "FAIL", f["rule"], f["line"], lat))
        npass, nfail = npass + ok, nfail + (not ok)
    have = sorted((f["rule"], f["line"]) for _, f in got)
    if have == want and want:
        npass += 1
        print("ok   the same %d findings as without -f (worst %.3f s)" % (len(want), worst))
    else:
        nfail += 1
        print("FAIL findings differ from the run without -f: %s vs %s" % (have, want))
    print("%d passed, %d failed" % (npass, nfail))


if __name__ == "__main__":
    main()
