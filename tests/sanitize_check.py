#!/usr/bin/env python3
"""Check sanitize's output against its input, independently of logwhy.

usage: sanitize_check.py INPUT OUTPUT CLEAN_INDEX EXPECTED_RECORDS

Every output line must be strict JSON (no NaN/Infinity: python's json
accepts them unless parse_constant refuses) and an object; there must be one
line per input record; the lines listed in CLEAN_INDEX must come out byte
for byte; no JWT may survive. Prints problems; exits 1 if any.
"""
import json
import sys

inp, outp, cleanp, want = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
JWT_SIG = b"dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"


def refuse(c):
    raise ValueError("non-standard constant " + c)


bad = 0
ins = open(inp, "rb").read().split(b"\n")
if ins and ins[-1] == b"":
    ins.pop()
ins = [l[:-1] if l.endswith(b"\r") else l for l in ins]
outs = open(outp, "rb").read().split(b"\n")
if outs and outs[-1] == b"":
    outs.pop()
else:
    print("output does not end with a newline")
    bad += 1
if len(outs) != want:
    print("%d output lines, want %d" % (len(outs), want))
    bad += 1
for i, l in enumerate(outs):
    try:
        v = json.loads(l.decode("utf-8"), parse_constant=refuse)
    except Exception as e:  # noqa: BLE001 - any failure is the finding
        print("line %d: not strict JSON (%s): %r" % (i + 1, e, l[:200]))
        bad += 1
        continue
    if not isinstance(v, dict):
        print("line %d: not an object: %r" % (i + 1, l[:200]))
        bad += 1
    if JWT_SIG in l:
        print("line %d: a JWT survived" % (i + 1))
        bad += 1
for idx in open(cleanp).read().split():
    k = int(idx)
    if k < len(outs) and k < len(ins) and outs[k] != ins[k]:
        print("line %d: clean input changed:\n  in  %r\n  out %r" % (k + 1, ins[k][:200], outs[k][:200]))
        bad += 1
sys.exit(1 if bad else 0)
