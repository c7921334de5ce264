#!/usr/bin/env python3
"""Inputs that put a reader's chunk cuts where they are hardest.

A regular file of JSON lines is read in chunks cut where a line ending
in "}" is followed by one starting with "{" (src/event/stream.c), when
its head reads as plain JSON lines. Each file below starts so, is large
enough for many chunks, and then has such lines where the
framer is not between two records, or where what it holds decides the
next record: an array of lines (one longer than a chunk may hold), a
value broken over lines, docker json-file pieces, Python
blocks printed as text between JSON lines, CRLF, a byte order mark,
blank lines, a record longer than a chunk, a cut record at the end. The
test runs each with one thread and with several, and the output must be
the same bytes.

usage: chunk_cases.py CORPUS.ndjson DOCKER.log OUTDIR
"""
import json
import os
import sys

corpus, docker, out = sys.argv[1], sys.argv[2], sys.argv[3]
lines = open(corpus, encoding="utf-8").read().splitlines()
# A file is read in chunks only when its head (256 KiB) is plain JSON
# lines: each hard case starts with 320 KiB of them.
head, size = [], 0
while size < 320 << 10:
    head.append(lines[len(head)])
    size += len(head[-1]) + 1
lines = lines[len(head):]


def write(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)


# CRLF line ends, and the same with a byte order mark first
write("crlf.ndjson", "".join(l + "\r\n" for l in head + lines))
write("bom.ndjson", "\ufeff" + "".join(l + "\n" for l in head + lines))

# blank and blank-looking lines between records, no newline at the end
rows = list(head)
for i, l in enumerate(lines):
    rows.append(l)
    if i % 7 == 0:
        rows.append("")
    if i % 11 == 0:
        rows.append("  \t")
write("blanks.ndjson", "\n".join(rows))

# a value broken over lines, with a line "}" followed by a line "{" inside
# it (not valid JSON: kept as text, with a warning, wherever it falls)
rows = list(head)
for i, l in enumerate(lines):
    if i % 23 == 5:
        rows.append('{"insertId":"broken%d","items":[{"a":1}' % i)
        rows.append('{"b":2}')
        rows.append('],"timestamp":"2025-09-08T04:00:0%dZ"}' % (i % 10))
    rows.append(l)
write("broken.ndjson", "\n".join(rows) + "\n")

# arrays of records one per line, with no commas between them, one after
# another: inside an array its elements end in "}" and start with "{",
# and are its elements, so every such cut is inside an array
rows = head + [lines[0]]
for i in range(1, len(lines) - 1, 2):
    rows.extend(["[", lines[i], lines[i + 1], "]"])
write("arrays.ndjson", "\n".join(rows) + "\n")

# one array of 20 MB past the head: no rest for longer than a chunk may
# hold, so the rest of the input goes back to one framer
body = []
while sum(len(l) + 1 for l in body) < 20 << 20:
    body.extend(lines)
write("hold.ndjson", "\n".join(head + ["["] + body + ["]"] + lines[:500]) + "\n")

# Python blocks printed as plain text between the JSON lines, their last
# line ending in "}" (an exception raised with a dict, as Python prints it)
block = [
    "Traceback (most recent call last):",
    '  File "/app/netra_backend/app/routes/websocket.py", line 212, in send',
    "    raise ValueError({'code': 1011, 'reason': 'internal error'})",
    "ValueError: {'code': 1011, 'reason': 'internal error'}",
]
rows = list(head)
for i, l in enumerate(lines):
    rows.append(l)
    if i % 17 == 3:
        rows.extend(block)
write("blocks.ndjson", "\n".join(rows) + "\n")

# one record longer than a chunk, and a record cut at the end of input
big = json.loads(lines[len(lines) // 2])
big["jsonPayload"] = {"message": "code=1011 " + "payload chunk " * (50 << 10)}
rows = head + lines[: len(lines) // 2] + [json.dumps(big)] + lines[len(lines) // 2:]
write("long.ndjson", "\n".join(rows) + "\n" + lines[0][: len(lines[0]) // 2])

# docker json-file lines, a long line in 16 KiB pieces among them, again
# and again: the pieces of one line run over many cuts
d = open(docker, encoding="utf-8").read()
write("docker.log", "\n".join(head) + "\n" + d * max(1, (3 << 20) // len(d)))
