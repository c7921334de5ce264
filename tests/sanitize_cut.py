#!/usr/bin/env python3
"""Nothing lost when the input is cut: every prefix of a JSON array (one
line, and gcloud's pretty form) goes through `logwhy sanitize`. The
elements before the cut come out as themselves, what was read of the cut
one comes out as one record {"message": <its bytes>, "logwhy_incomplete":
true}, nothing else; `sanitize --check` exits 1 exactly when something
would change or be marked. Prints one line per failure, then
"N passed, N failed".
"""
import json
import os
import subprocess
import sys

LW = os.environ.get("LOGWHY", "build/logwhy")

ELEMENTS = [
    {"insertId": "a1", "severity": "ERROR", "textPayload": "WebSocket error: Object of type WebSocketState is not JSON serializable"},
    {"insertId": "b2", "jsonPayload": {"message": "quote \" bracket ] brace } comma , in a string", "n": [1, 2, {"k": "v"}]}},
    {"insertId": "c3", "textPayload": "escaped \\ backslash and \\u2603 snowman \u2603", "labels": {}},
    {"insertId": "d4", "severity": "INFO", "jsonPayload": {"message": "last", "empty": [], "nested": {"a": {"b": None}}}},
]


def variants():
    one = "[" + ",".join(json.dumps(e, separators=(",", ":"), ensure_ascii=False) for e in ELEMENTS) + "]\n"
    pretty = json.dumps(ELEMENTS, indent=2, ensure_ascii=False) + "\n"
    return [("one-line", one, False), ("pretty", pretty, True)]


def split(prefix):
    """The complete elements of a cut array, and the rest after them."""
    dec = json.JSONDecoder()
    i = prefix.index("[") + 1
    done = []
    while True:
        while i < len(prefix) and prefix[i] in " \t\r\n,":
            i += 1
        if i >= len(prefix) or prefix[i] == "]":
            return done, ""
        try:
            v, j = dec.raw_decode(prefix, i)
        except ValueError:
            return done, prefix[i:]
        if j >= len(prefix) and not isinstance(v, (dict, list)) and not prefix[i] == '"':
            return done, prefix[i:]   # a number may go on
        done.append(v)
        i = j


def main():
    tmp = sys.argv[1]
    npass = nfail = 0
    path = os.path.join(tmp, "cut.json")
    for name, doc, pretty in variants():
        data = doc.encode()
        for k in range(1, len(data) + 1, 3):
            with open(path, "wb") as f:
                f.write(data[:k])
            prefix = data[:k].decode("utf-8", "replace")   # a cut character: U+FFFD
            done, rest = split(prefix)
            rest = rest.rstrip("\r\n")
            p = subprocess.run([LW, "sanitize", "-q", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            c = subprocess.run([LW, "sanitize", "-q", "--check", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            why = []
            try:
                out = [json.loads(l) for l in p.stdout.decode().splitlines()]
            except ValueError as e:
                out = []
                why.append("not JSON: %s" % e)
            if p.returncode != 0:
                why.append("exit %d" % p.returncode)
            want = list(done)
            if rest.strip():
                want.append({"message": rest, "logwhy_incomplete": True})
            if out != want:
                why.append("got %r, want %r" % (out, want))
            changed = bool(rest.strip()) or (pretty and bool(done))
            if c.returncode != (1 if changed else 0):
                why.append("--check exit %d" % c.returncode)
            if why:
                nfail += 1
                print("FAIL %s cut at byte %d: %s" % (name, k, "; ".join(why))[:600])
            else:
                npass += 1
    print("%d passed, %d failed" % (npass, nfail))
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
