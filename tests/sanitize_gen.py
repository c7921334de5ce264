#!/usr/bin/env python3
"""Generate hostile log lines for the sanitize property test.

usage: sanitize_gen.py N SEED OUT CLEAN_INDEX

Writes N lines to OUT, each exactly one record for logwhy's framer (no
blank lines, no leading blanks, no line starting with a closer or a quote
that could continue a broken JSON value, no Python block openers, no lone
CR inside a line, no top-level JSON array of objects), and the 0-based
indexes of the lines that are already clean (must pass byte for byte) to
CLEAN_INDEX, one per line.
"""
import json
import random
import sys

n, seed, out_path, clean_path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
rng = random.Random(seed)
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"

reprs = [
    "<WebSocketState.CONNECTED: 1>", "<Color.RED: 'red'>",
    "datetime.datetime(2025, 9, 8, 4, 33, 37, 537294, tzinfo=datetime.timezone.utc)",
    "datetime.date(2025, 9, 8)", "datetime.timedelta(seconds=5)",
    "UUID('12345678-1234-5678-1234-567812345678')", "Decimal('1.10')", "Decimal('NaN')",
    "b'\\xff\\x00ok'", "bytearray(b'x')", "<object object at 0x7f3a2b1c>",
    "{'a', 'b'}", "(1, 2)", "(1,)", "OrderedDict([('a', 1)])", "OrderedDict({'b': 2})",
    "True", "None", "nan", "-inf", "Point(x=1)", "frozenset({1})", "set()",
]


def rnd_bytes(k, inside=False):
    # anything but LF/CR: they would make more records; inside an object,
    # no brackets or quotes either: '}' there ends the value early and the
    # rest of the line is a record of its own (the framer's rule)
    avoid = (10, 13) + ((0x7B, 0x7D, 0x5B, 0x5D, 0x22) if inside else ())
    return bytes(rng.choice([b for b in range(256) if b not in avoid]) for _ in range(k))


def text_word():
    return rng.choice(["state", "error", "WebSocket", "caf\u00e9", "\u2603", "ok", "1011",
                       "Bearer abc123def456", JWT, "it's", "<S.A: 1>", "x\ty"])


def clean_obj():
    o = {"severity": rng.choice(["INFO", "ERROR"]), "message": " ".join(text_word() for _ in range(3)).replace(JWT, "jwt").replace("Bearer abc123def456", "bearer").replace("<S.A: 1>", "sa").replace("it's", "its").replace("x\ty", "xy"),
         "n": rng.randint(-10**12, 10**12), "f": rng.random(), "nested": {"k": [1, None, True, "v"]},
         "u": "\u00e9\u2603\U0001F600"}
    return json.dumps(o, ensure_ascii=rng.random() < 0.5, separators=rng.choice([(",", ":"), (", ", ": ")]))


def dirty_obj():
    kind = rng.randrange(12)
    if kind == 0:
        return '{"v": NaN, "w": Infinity, "x": -Infinity}'
    if kind == 1:
        return '{"big": %d%d}' % (rng.randint(10**18, 10**19), rng.randint(0, 10**9))
    if kind == 2:
        return '{"a": 1, "a": 2, "a": 3}'
    if kind == 3:
        return '{"s": "\\ud800 lone", "t": "\\udfff"}'
    if kind == 4:
        return '{"token": "abc", "password": "p", "jwt_here": "x %s y"}' % JWT
    if kind == 5:
        return '{"m": "%s"}' % rng.choice(reprs).replace("'", "'").replace('"', '\\"').replace("\\x", "\\\\x")
    if kind == 6:
        return "{'state': %s, 'k': %s}" % (rng.choice(reprs), rng.choice(reprs))
    if kind == 7:
        return '{"e": "bad \\q escape"}'
    if kind == 8:
        return '{"deep": ' + "[" * 300 + "1" + "]" * 300 + "}"
    if kind == 9:
        return "[1, 2, 3]"
    if kind == 10:
        return '{"h": "Authorization: Bearer abcdef123456"}'
    return "{%s: 1}" % rng.choice(["1", "None", "(1, 2)", "<S.A: 1>"])


def broken():
    s = clean_obj()
    return s[: rng.randint(1, len(s) - 1)]


def line():
    k = rng.randrange(10)
    if k == 0:
        return clean_obj().encode(), True
    if k == 1:
        return dirty_obj().encode(), False
    if k == 2:
        return broken().encode(), False
    if k == 3:
        b = clean_obj().encode()
        i = rng.randrange(1, len(b))
        return b[:i] + rnd_bytes(rng.randint(1, 8), True) + b[i:], False
    if k == 4:
        return b"x" + rnd_bytes(rng.randint(1, 200)), False
    if k == 5:
        return ("2025-09-08 04:33:37,537 - app - %s - %s" % (rng.choice(["INFO", "ERROR", "WARNING"]),
                " ".join(text_word() for _ in range(5)))).encode(), False
    if k == 6:
        return b'{"nul": "a\x00b", "ctl": "\x01\x1b[31m\x7f"}', False
    if k == 7:
        return ("INFO:     127.0.0.1:%d - \"WebSocket /ws\" [accepted]" % rng.randint(1, 65535)).encode(), False
    if k == 8:
        return ("word " * rng.randint(20000, 60000)).encode() + rnd_bytes(10), False
    return ("{'at': %s, 'x': [%s, %s]}" % (rng.choice(reprs), rng.choice(reprs), rng.choice(reprs))).encode(), False


with open(out_path, "wb") as out, open(clean_path, "w") as ci:
    # the first record decides the stream's format: make it JSON
    first = clean_obj().encode()
    out.write(first + b"\n")
    ci.write("0\n")
    for i in range(1, n):
        b, clean = line()
        # a line must start where the framer sees a new record
        if b[:1] in (b" ", b"\t", b'"', b"}", b"]", b",", b"\x00") or b[:1] == b"[" and b[1:2] in b'{["':
            b = b"x" + b
            clean = False
        if b.startswith(b"Traceback") or b.startswith(b"---"):
            b = b"x" + b
        out.write(b + (b"\r\n" if rng.random() < 0.2 else b"\n"))
        if clean:
            ci.write("%d\n" % i)
