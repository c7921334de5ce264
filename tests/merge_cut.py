#!/usr/bin/env python3
"""Cut a line-oriented log into shards at record boundaries, for
tests/merge.test.sh.

usage: merge_cut.py LOGWHY INPUT OUTDIR N [LINE...]
       merge_cut.py LOGWHY INPUT --block-lines K

Writes OUTDIR/shard-01 ... and prints one line per shard: its path and the
number of its first line in INPUT. Without LINE the N shards are about the
same size; with LINE... the shards start at those lines (1-based) instead,
e.g. to put a cause and the symptom it explains in different shards.
With --block-lines, print the smallest K' >= K such that every multiple of
K' is a record boundary (for `parallel --pipe -N K'`).

A cut must not fall inside a record: logwhy joins a multi-line block (a
Python traceback logged one line per LogEntry) into one record, and each
half of a cut block would be read as a record of its own. A cut is at a
boundary when the two sides together hold as many records as the whole
(`logwhy triage --output json` counts them, over a window of lines around
the cut), so each wanted cut moves forward to the next line where that
holds. tests/merge.test.sh then checks the result against one run anyway.
"""
import json
import os
import subprocess
import sys

logwhy, path = sys.argv[1], sys.argv[2]
with open(path, "rb") as f:
    lines = f.readlines()


def records(chunk):
    if not chunk:
        return 0
    p = subprocess.run([logwhy, "triage", "--output", "json", "-q", "-"], input=b"".join(chunk),
                       stdout=subprocess.PIPE, check=True)
    return json.loads(p.stdout)["records"]


W = 400   # lines each side: far more than a multi-line block spans


def boundary(i):
    while 0 < i < len(lines):
        a, b = max(0, i - W), min(len(lines), i + W)
        if records(lines[a:i]) + records(lines[i:b]) == records(lines[a:b]):
            break
        i += 1
    return i


def safe(i):
    return boundary(i) == i


if sys.argv[3] == "--block-lines":
    k = int(sys.argv[4])
    while not all(safe(i) for i in range(k, len(lines), k)):
        k += 1
    print(k)
    sys.exit(0)

outdir, n = sys.argv[3], int(sys.argv[4])
want = [int(x) - 1 for x in sys.argv[5:]]
if not want:
    want = [len(lines) * k // n for k in range(1, n)]
cuts = sorted({boundary(i) for i in want} - {0, len(lines)})
starts = [0] + cuts
ends = cuts + [len(lines)]
os.makedirs(outdir, exist_ok=True)
for k, (a, b) in enumerate(zip(starts, ends), 1):
    out = os.path.join(outdir, "shard-%02d" % k)
    with open(out, "wb") as f:
        f.writelines(lines[a:b])
    print(out, a + 1)
