#!/usr/bin/env python3
"""Score `logwhy sanitize` and `logwhy lint` on the redaction corpus.

tests/data/secrets/secrets.jsonl: one case a line, {"kind": [...],
"secrets": [...], "wrap", "text"}: text is the input (one record or
several, newline-terminated); secrets are what must be redacted, in the
order they appear, each as [REDACTED:kind]. lookalikes.jsonl: {"wrap",
"text"} that must come out exactly as with --no-redact.

A secret case passes when the sanitized output is the --no-redact output
with exactly the listed secrets replaced by their markers (nothing else
changed, none left), `sanitize --check` lists redacted-KIND for it, lint
reports security.secret-in-log on it, and lint on the sanitized output
reports nothing. A look-alike passes when sanitize leaves it as --no-redact
does and neither lint nor --check sees a secret. Prints recall and false
positives, then one line per failure, then "N passed, N failed".
"""
import json
import os
import re
import subprocess
import sys

LW = os.environ.get("LOGWHY", "build/logwhy")
DATA = "tests/data/secrets"
MARK = re.compile(r"\[REDACTED:([a-z0-9-]+)\]")


def unescape(s):
    """The text under any number of JSON string escapes."""
    for _ in range(4):
        if "\\" not in s:
            break
        t = (s.replace("\\\\", "\x00").replace('\\"', '"').replace("\\n", "\n")
             .replace("\\r", "\r").replace("\\t", "\t").replace("\\/", "/")
             .replace("\\'", "'").replace("\x00", "\\"))
        if t == s:
            break
        s = t
    return s


def run(args, *paths):
    p = subprocess.run([LW] + args + list(paths), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.stdout.decode("utf-8", "replace").splitlines()


def spans(red, plain):
    """Kinds and the spans of plain they replaced, or None when red is not
    plain with some spans replaced by markers."""
    if len(red) != len(plain):
        return None
    kinds, got = [], []
    for r, n in zip(red, plain):
        parts = MARK.split(r)
        rx = ""
        for i, p in enumerate(parts):
            if i % 2:
                kinds.append(p)
                rx += "(.*?)"
            else:
                rx += re.escape(p)
        m = re.fullmatch(rx, n, re.S)
        if not m:
            return None
        got.extend(m.groups())
    return kinds, got


def main():
    tmp = sys.argv[1]
    cases = []
    for name, secret in (("secrets.jsonl", True), ("lookalikes.jsonl", False)):
        with open(os.path.join(DATA, name)) as f:
            for i, line in enumerate(f, 1):
                c = json.loads(line)
                c["secret"] = secret
                c["where"] = "%s:%d" % (name, i)
                cases.append(c)
    ind, outd = os.path.join(tmp, "in"), os.path.join(tmp, "out")
    os.makedirs(ind)
    os.makedirs(outd)
    # one run over every case, each file after a separator record that
    # passes through unchanged, so the output splits back into cases
    args = []
    for k, c in enumerate(cases):
        sep = os.path.join(ind, "sep%03d.log" % k)
        with open(sep, "w") as f:
            f.write('{"case":%d}\n' % k)
        c["file"] = os.path.join(ind, "case%03d.log" % k)
        with open(c["file"], "w") as f:
            f.write(c["text"])
        args += [sep, c["file"]]
    for key, extra in (("red", []), ("plain", ["--no-redact"])):
        lines = run(["sanitize", "-q"] + extra, *args)
        cur = None
        for line in lines:
            m = re.fullmatch(r'\{"case":(\d+)\}', line)
            if m:
                cur = cases[int(m.group(1))]
                cur[key] = []
            elif cur is not None:
                cur[key].append(line)
    for k, c in enumerate(cases):
        c["out"] = os.path.join(outd, "case%03d.log" % k)
        with open(c["out"], "w") as f:
            f.write("".join(l + "\n" for l in c["red"]))

    def lint_hits(files):
        hits = set()
        p = subprocess.run([LW, "lint", "-q", "--fail-on", "never", "--output", "json"] + files,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for line in p.stdout.decode().splitlines():
            o = json.loads(line)
            if o.get("rule") == "security.secret-in-log":
                hits.add(os.path.basename(o["source"]))
        return hits

    lint_in = lint_hits([c["file"] for c in cases])
    lint_out = lint_hits([c["out"] for c in cases])
    p = subprocess.run([LW, "sanitize", "--check"] + [c["file"] for c in cases], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    checked = {}
    for line in p.stderr.decode().splitlines():
        m = re.match(r"(.*):(\d+): (.*)$", line)
        if m:
            kinds = [k[len("redacted-"):] for k in m.group(3).split(",") if k.startswith("redacted-")]
            checked.setdefault(os.path.basename(m.group(1)), set()).update(kinds)

    npass = nfail = 0
    nsec = found = 0
    fp = 0
    fails = []
    for c in cases:
        base = os.path.basename(c["file"])
        why = []
        sp = spans(c["red"], c["plain"])
        if c["secret"]:
            nsec += len(c["secrets"])
            if sp is None:
                why.append("output is not the --no-redact output with markers in it")
            else:
                kinds, got = sp
                for j, s in enumerate(c["secrets"]):
                    if j < len(got) and unescape(got[j]) == s and kinds[j] == c["kind"][j]:
                        found += 1
                if kinds != c["kind"] or [unescape(g) for g in got] != c["secrets"]:
                    why.append("redacted %s %r, want %s %r" % (kinds, got, c["kind"], c["secrets"]))
            left = [s for s in c["secrets"] if len(s) >= 4 and s in unescape("\n".join(c["red"]))]
            if left:
                why.append("left in the output: %r" % left)
            want = set(c["kind"])
            if not want <= checked.get(base, set()):
                why.append("--check listed %s" % sorted(checked.get(base, set())))
            if base not in lint_in:
                why.append("lint found no security.secret-in-log")
            if base in lint_out:
                why.append("lint still finds a secret after sanitize")
        else:
            if c["red"] != c["plain"]:
                fp += 1
                why.append("changed: %r" % c["red"])
            if base in lint_in:
                why.append("lint reports security.secret-in-log")
            if checked.get(base):
                why.append("--check lists redacted-%s" % ",".join(sorted(checked[base])))
        if why:
            nfail += 1
            fails.append("FAIL %s (%s): %s" % (c["where"], c["wrap"], "; ".join(why)))
        else:
            npass += 1
    nlook = sum(1 for c in cases if not c["secret"])
    nseccases = len(cases) - nlook
    print("recall: %d of %d secrets redacted with their kind, only them (%.1f%%), in %d records"
          % (found, nsec, 100.0 * found / max(nsec, 1), nseccases))
    print("false positives: %d of %d look-alikes changed by redaction" % (fp, nlook))
    print("lint: %d of %d secret records flagged, %d of %d look-alikes flagged, %d flagged after sanitize"
          % (sum(1 for c in cases if c["secret"] and os.path.basename(c["file"]) in lint_in), nseccases,
             sum(1 for c in cases if not c["secret"] and os.path.basename(c["file"]) in lint_in), nlook,
             len(lint_out)))
    for f in fails:
        print(f)
    print("%d passed, %d failed" % (npass, nfail))
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
