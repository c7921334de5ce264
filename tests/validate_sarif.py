#!/usr/bin/python3
"""Validate a SARIF 2.1.0 log against the official JSON schema.

usage: validate_sarif.py [FILE]      (no FILE or "-": stdin)

Exit 0 when valid, 1 when not (problems on stderr), 2 when the input is not
one JSON document or the validator cannot run. Beyond the schema it checks
what the schema cannot: each result's ruleIndex names a rule with the same
id, and each artifactLocation.index names an artifact.

Uses Debian's python3-jsonschema. Formats (uri, uri-reference) are checked
when the optional rfc3987 module is installed, skipped otherwise.
"""
import json
import os
import sys

try:
    import jsonschema
except ImportError:
    sys.exit("validate_sarif: python3-jsonschema is not installed")

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(HERE, "schemas", "sarif-schema-2.1.0.json")


def validator_for(schema):
    draft = schema.get("$schema", "")
    if "draft-04" in draft:
        cls = jsonschema.Draft4Validator
    elif "draft-07" in draft:
        cls = jsonschema.Draft7Validator
    else:
        cls = jsonschema.validators.validator_for(schema)
    checker = getattr(cls, "FORMAT_CHECKER", None) or jsonschema.FormatChecker()
    return cls(schema, format_checker=checker)


def cross_checks(log):
    problems = []
    for r, run in enumerate(log.get("runs", [])):
        rules = run.get("tool", {}).get("driver", {}).get("rules", [])
        artifacts = run.get("artifacts", [])
        for i, res in enumerate(run.get("results", [])):
            where = "runs[%d].results[%d]" % (r, i)
            ri = res.get("ruleIndex")
            if ri is not None:
                if not 0 <= ri < len(rules):
                    problems.append("%s: ruleIndex %d out of range" % (where, ri))
                elif "ruleId" in res and rules[ri].get("id") != res["ruleId"]:
                    problems.append("%s: ruleIndex %d is %r, not ruleId %r"
                                    % (where, ri, rules[ri].get("id"), res["ruleId"]))
            for loc in res.get("locations", []):
                art = loc.get("physicalLocation", {}).get("artifactLocation", {})
                ai = art.get("index")
                if ai is None:
                    continue
                if not 0 <= ai < len(artifacts):
                    problems.append("%s: artifact index %d out of range" % (where, ai))
                elif artifacts[ai].get("location", {}).get("uri") != art.get("uri"):
                    problems.append("%s: artifact index %d has another uri" % (where, ai))
    return problems


def main(argv):
    if len(argv) > 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    path = argv[1] if len(argv) == 2 else "-"
    try:
        if path == "-":
            log = json.load(sys.stdin)
        else:
            with open(path, encoding="utf-8") as f:
                log = json.load(f)
        with open(SCHEMA, encoding="utf-8") as f:
            schema = json.load(f)
    except (OSError, ValueError) as e:
        print("validate_sarif: %s: %s" % (path, e), file=sys.stderr)
        return 2
    errors = sorted(validator_for(schema).iter_errors(log), key=lambda e: list(e.path))
    problems = ["%s: %s" % ("/".join(str(p) for p in e.path) or "(root)", e.message)
                for e in errors]
    if not errors:
        problems += cross_checks(log)
    for p in problems:
        print("validate_sarif: %s: %s" % (path, p), file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
