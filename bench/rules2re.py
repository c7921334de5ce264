#!/usr/bin/env python3
"""Turn the rules' `match.message` regexes into the programs a user would
write instead of logwhy, so the bench compares like with like.

usage: rules2re.py jq|grep|list RULE_FILE...
  jq    a jq program: per NDJSON LogEntry, one {rule, timestamp} object per
        rule whose `any` message patterns match and whose `not` message
        patterns do not (the same shape as `logwhy lint -o json`)
  grep  one PCRE alternation of every positive pattern, for `grep -P`
  list  each rule id and what was approximated, for the README

Only the stdlib is allowed, so this reads the small YAML subset the shipped
rules use (quoted scalars under `message:`), not YAML in general.
"""
import re
import subprocess
import sys

# Named groups are renamed by nothing and only slow the alternation down;
# several rules reuse a name, which PCRE refuses in one pattern.
NAMED = re.compile(r"\(\?<([A-Za-z_]\w*)>")


def unquote(s):
    s = s.strip()
    if s.startswith("'") and s.endswith("'"):
        return s[1:-1].replace("''", "'")
    if s.startswith('"') and s.endswith('"'):
        return re.sub(r'\\(["\\/])', r"\1", s[1:-1])
    return s


def rules(paths):
    """Yield (id, [positive patterns], [negative patterns], [other keys])."""
    for path in paths:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for doc in re.split(r"^---\s*$", text, flags=re.M):
            rid, pos, neg, other = None, [], [], set()
            in_match = False
            not_indent = None
            for line in doc.splitlines():
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                indent = len(line) - len(line.lstrip())
                if indent == 0:
                    in_match = line.startswith("match:")
                    not_indent = None
                    m = re.match(r"id:\s*(\S+)", line)
                    if m:
                        rid = m.group(1)
                    continue
                if not in_match:
                    continue
                body = line.strip()
                if body.startswith("- "):
                    body = body[2:]
                    indent += 2
                if not_indent is not None and indent <= not_indent:
                    not_indent = None
                if body.startswith("not:"):
                    not_indent = indent
                    continue
                m = re.match(r"message:\s*(.+)$", body)
                if m:
                    (neg if not_indent is not None else pos).append(unquote(m.group(1)))
                    continue
                m = re.match(r"(\w+):", body)
                if m and m.group(1) not in ("any", "all"):
                    other.add(m.group(1))
            if rid:
                yield rid, pos, neg, sorted(other)


def onig_ok(pat):
    """Whether jq's Oniguruma compiles pat (it refuses some PCRE syntax)."""
    r = subprocess.run(["jq", "-n", "--arg", "p", pat, '"" | test($p)'],
                       capture_output=True, check=False)
    return r.returncode == 0


def jq_alt(pats):
    return "|".join("(?:%s)" % NAMED.sub("(?:", p) for p in pats)


def jq_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    mode, paths = sys.argv[1], sys.argv[2:]
    all_rules = list(rules(paths))
    if mode == "grep":
        pats = [p for _, pos, _, _ in all_rules for p in pos]
        print("|".join("(?:%s)" % NAMED.sub("(?:", p) for p in dict.fromkeys(pats)))
        return
    arms, notes = [], []
    for rid, pos, neg, other in all_rules:
        good_pos = [p for p in pos if onig_ok(NAMED.sub("(?:", p))]
        good_neg = [p for p in neg if onig_ok(NAMED.sub("(?:", p))]
        why = []
        if other:
            why.append("non-message matchers ignored: " + ", ".join(other))
        if len(good_pos) < len(pos) or len(good_neg) < len(neg):
            why.append("%d of %d patterns refused by Oniguruma, dropped"
                       % (len(pos) + len(neg) - len(good_pos) - len(good_neg),
                          len(pos) + len(neg)))
        if not good_pos:
            why.append("no message pattern: left out of the jq program")
        notes.append((rid, why))
        if not good_pos:
            continue
        cond = "($m | test(%s))" % jq_string(jq_alt(good_pos))
        if good_neg:
            cond += " and ($m | test(%s) | not)" % jq_string(jq_alt(good_neg))
        arms.append("(if %s then {rule: %s, timestamp} else empty end)"
                    % (cond, jq_string(rid)))
    if mode == "list":
        for rid, why in notes:
            print("%s\t%s" % (rid, "; ".join(why) if why else "exact (message patterns)"))
        return
    print("(.jsonPayload.message // .textPayload // \"\") as $m\n| "
          + ",\n  ".join(arms))


if __name__ == "__main__":
    main()
