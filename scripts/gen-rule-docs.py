#!/usr/bin/python3
"""Write one Markdown page per rule, docs/rules/<id>.md, and an index,
docs/rules/README.md, from the rule files (rules/*.yml).

usage: gen-rule-docs.py [RULES_DIR [OUT_DIR]]    (defaults: rules docs/rules)

SARIF results link each rule's page as helpUri (src/emit/sarif.c), so the
pages must follow the rules: tests/docs.test.sh writes them again into a
temporary directory and fails when they differ from docs/rules. Pages of
rules that no longer exist are removed. Uses Debian's python3-yaml.
"""
import glob
import os
import sys

try:
    import yaml
except ImportError:
    sys.exit("gen-rule-docs: python3-yaml is not installed")


def md(text):
    """Inline text: Markdown's own characters escaped."""
    out = []
    for ch in str(text):
        if ch in "\\`*_[]<>|#":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def code_block(text):
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}text\n{text}\n{fence}\n"


def correlate_text(c):
    if not c:
        return None
    parts = []
    if "within" in c:
        parts.append(f"within {c['within']}")
    if c.get("by"):
        parts.append("by " + ", ".join(c["by"]))
    return " ".join(parts)


def page(rule, source, ids):
    rid = rule["id"]
    lines = [f"# {md(rid)}", "", md(rule.get("title", "")), ""]
    lines.append("| | |")
    lines.append("|---|---|")
    for key in ("category", "role", "severity"):
        if key in rule:
            lines.append(f"| {key} | `{rule[key]}` |")
    lines.append(f"| defined in | `{source}` |")
    lines.append("")
    if rule.get("message"):
        lines += ["## Finding", "", f"`{rule['message']}`" if "`" not in rule["message"]
                  else md(rule["message"]), ""]
    if rule.get("why"):
        lines += ["## Why", "", "The chain, symptom first:", ""]
        lines += [f"{i}. {md(w)}" for i, w in enumerate(rule["why"], 1)]
        lines.append("")
    if rule.get("fix"):
        lines += ["## Fix", "", md(rule["fix"]), ""]
    if rule.get("explains"):
        lines += ["## Explains", ""]
        for e in rule["explains"]:
            lines.append(f"- [{md(e)}]({e}.md)" if e in ids else f"- {md(e)}")
        lines.append("")
    cor = correlate_text(rule.get("correlate"))
    if cor:
        lines += ["Correlated " + md(cor) + ".", ""]
    ex = rule.get("examples") or {}
    for kind, head in (("match", "Matches"), ("nomatch", "Does not match")):
        if ex.get(kind):
            lines += [f"## {head}", ""]
            for t in ex[kind]:
                lines.append(code_block(str(t)))
    return "\n".join(lines).rstrip("\n") + "\n"


def main():
    rules_dir = sys.argv[1] if len(sys.argv) > 1 else "rules"
    out_dir = sys.argv[2] if len(sys.argv) > 2 else os.path.join("docs", "rules")
    rules = []
    for path in sorted(glob.glob(os.path.join(rules_dir, "*.yml"))):
        with open(path, encoding="utf-8") as f:
            for doc in yaml.safe_load_all(f):
                if isinstance(doc, dict) and "id" in doc:
                    rules.append((doc, "rules/" + os.path.basename(path)))
    ids = {r["id"] for r, _ in rules}
    os.makedirs(out_dir, exist_ok=True)
    for name in os.listdir(out_dir):
        if name.endswith(".md") and name != "README.md" and name[:-3] not in ids:
            os.remove(os.path.join(out_dir, name))
    index = ["# logwhy rules", "",
             "One page per shipped rule, generated from `rules/*.yml` by",
             "`scripts/gen-rule-docs.py`; SARIF results link them as `helpUri`.", "",
             "| rule | category | role | severity | title |",
             "|---|---|---|---|---|"]
    for rule, source in sorted(rules, key=lambda x: x[0]["id"]):
        with open(os.path.join(out_dir, rule["id"] + ".md"), "w", encoding="utf-8") as f:
            f.write(page(rule, source, ids))
        index.append(f"| [{md(rule['id'])}]({rule['id']}.md) | {rule.get('category', '')} | "
                     f"{rule.get('role', '')} | {rule.get('severity', '')} | "
                     f"{md(rule.get('title', ''))} |")
    with open(os.path.join(out_dir, "README.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(index) + "\n")


if __name__ == "__main__":
    main()
