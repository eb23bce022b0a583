#!/usr/bin/env python3
"""Regenerate the parts of docs/reference that come from the code's own
tables: the JSON-RPC methods (from `heph call rpc.methods`) and the CLI
verbs (from `heph --help` and each verb's --help). Everything between
<!-- generated:NAME --> and <!-- end:NAME --> is rewritten.

usage: gen-docs.py HEPH [--check]   (--check: exit 1 if a doc is stale)
"""
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(heph, *args):
    env = dict(os.environ, NO_COLOR="1")
    with tempfile.TemporaryDirectory() as d:
        env["HEPH_DB"] = os.path.join(d, "doc.db")
        return subprocess.run([heph, *args], capture_output=True, text=True, env=env, check=True).stdout


def type_of(p):
    """A parameter's type as the docs spell it."""
    t = p["type"]
    if "values" in p:
        return "%s: %s" % (t, " \\| ".join("`%s`" % v for v in p["values"]))
    if "min" in p:
        return "%s %d–%d" % (t, p["min"], p["max"])
    return t


def methods(heph):
    rows = json.loads(run(heph, "call", "rpc.methods"))
    out = ["| method | params | writes | local only | hub only | what it does |", "|---|---|---|---|---|---|"]
    for m in rows:
        out.append("| `%s` | %s | %s | %s | %s | %s |" % (m["name"], m["synopsis"] or "—", "yes" if m["write"] else "",
                                                    "yes" if m["local"] else "", "yes" if m.get("hub") else "",
                                                    m["summary"]))
    out.append("")
    out.append("### Parameters")
    out.append("")
    out.append("Each method's parameters as its schema states them; `heph_rpc_call()` refuses any other.")
    for m in rows:
        if not m["params"]:
            continue
        out.append("")
        out.append("#### `%s`" % m["name"])
        out.append("")
        out.append("| param | type | required | default | what |")
        out.append("|---|---|---|---|---|")
        for p in m["params"]:
            out.append("| `%s` | %s | %s | %s | %s |" % (p["name"], type_of(p), "yes" if p["required"] else "",
                                                    p.get("default", ""), p["help"].replace("|", "\\|")))
    return "\n".join(out)


def verbs(heph):
    overview = run(heph, "--help")
    names = [m.group(1).strip() for m in re.finditer(r"^  ([a-z][a-z ]*[a-z])  ", overview, re.M)]
    out = []
    for v in names:
        text = run(heph, *v.split(), "--help").rstrip()
        out.append("### heph %s\n\n```\n%s\n```\n" % (v, text))
    return "\n".join(out)


def rewrite(path, name, body, check):
    with open(path) as f:
        text = f.read()
    pat = re.compile(r"(<!-- generated:%s -->\n).*?(<!-- end:%s -->)" % (name, name), re.S)
    if not pat.search(text):
        sys.exit("%s: no generated:%s markers" % (path, name))
    new = pat.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)
    if new != text:
        if check:
            print("%s is stale: run scripts/gen-docs.py build/src/cli/heph" % path)
            return False
        with open(path, "w") as f:
            f.write(new)
    return True


def main():
    heph = sys.argv[1]
    check = "--check" in sys.argv
    ok = rewrite(os.path.join(ROOT, "docs/reference/rpc.md"), "methods", methods(heph), check)
    ok = rewrite(os.path.join(ROOT, "docs/reference/cli.md"), "verbs", verbs(heph), check) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
