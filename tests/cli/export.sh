#!/bin/bash
# export.sh — heph export writes one markdown file per live node whose
# frontmatter and body read back (with a YAML parser) as exactly what heph
# show says; files of deleted nodes go; --ical writes valid VTODOs.
. "$(dirname "$0")/lib.sh"

P=$(h project add Home)
S=$(h project add "Sub: project" --parent Home)
T1=$(h task 'Pay "rent"' --project Home --do-date 2026-12-01 --late-on 2026-12-03 --attention red --tag bills \
	--body $'Transfer:\n- [ ] log in\n- [x] check balance\n')
T2=$(h task "Water plants" --do-date today --attention orange)
h call task.edit "{\"id\":\"$T2\",\"do_date\":\"2026-11-20\"}" >/dev/null
T3=$(h task "Someday maybe")
T4=$(h task "Done already" --late-on 2026-11-30)
h done "$T4" >/dev/null
D=$(h doc "Notes: ünïcode \\ backslash" --body $'See [[Home]] and #ideas\n\n```\ncode [[x]]\n```\nno newline at end')
h alias "$D" --add "The notes" --add 'quote"d' >/dev/null
J=$(h journal --append "a day" --json | json_get 'd["node_id"]')
GONE=$(h doc "Will be deleted")

h export "$TMP/out" >/dev/null
expect_eq "one file per node" "$(h ops --json | grep -c '"type":"\(node\|task\).create"' | sort -u)" \
	"$(find "$TMP/out" -name '*.md' | wc -l)"
expect_eq "files sit under their kind" yes "$([ -f "$TMP/out/task/$T1.md" ] && [ -f "$TMP/out/journal/$J.md" ] && [ -f "$TMP/out/project/$P.md" ] && echo yes)"

cat > "$TMP/check.py" <<'PY'
import json, os, subprocess, sys, yaml
heph, out = sys.argv[1], sys.argv[2]
bad = 0
def fail(msg):
    global bad
    bad += 1
    print("FAIL", msg, file=sys.stderr)
n = 0
for kind in os.listdir(out):
    for name in os.listdir(os.path.join(out, kind)):
        n += 1
        text = open(os.path.join(out, kind, name), encoding="utf-8").read()
        if not text.startswith("---\n"):
            fail(name + ": no frontmatter"); continue
        end = text.index("\n---\n", 3)
        meta = yaml.safe_load(text[4:end])   # times and dates come back as YAML timestamps
        body = text[end + 5:]
        node = json.loads(subprocess.run([heph, "show", meta["id"], "--json"], capture_output=True, text=True, check=True).stdout)
        checks = [("id", meta["id"], node["node_id"]), ("kind", meta["kind"], node["kind"]), ("kind dir", kind, node["kind"]),
                  ("file name", name, node["node_id"] + ".md"), ("title", meta["title"], node["title"]),
                  ("body", body, node["body"]), ("aliases", meta["aliases"], node["aliases"]),
                  ("tags", sorted(meta["tags"]), sorted(node["tags"])),
                  ("created", meta["created"].strftime("%Y-%m-%dT%H:%M:%SZ"), node["created_at"]),
                  ("updated", meta["updated"].strftime("%Y-%m-%dT%H:%M:%SZ"), node["updated_at"]),
                  ("links", sorted((l["type"], l["id"]) for l in meta["links"]), sorted((l["type"], l["dst"]) for l in node["links"]))]
        if node["kind"] == "task":
            for k in ("state", "attention", "do_date", "late_on", "recurrence", "project", "project_id"):
                v = meta[k]
                checks.append((k, None if v is None else str(v), node[k]))
            checks.append(("context", meta["context"], node["context_id"]))
        if node["kind"] == "project":
            checks.append(("parent", meta.get("parent"), node["parent_id"]))
        for what, got, want in checks:
            if got != want:
                fail("%s %s: %r != %r" % (meta["id"], what, got, want))
print(n, bad)
PY
expect_eq "every file reads back as the node" "0" "$(python3 "$TMP/check.py" "$HEPH" "$TMP/out" | cut -d' ' -f2)"

# deleted nodes are skipped, and their old files removed
h rm "$GONE" >/dev/null
expect_contains "a re-export removes the deleted node's file" "removed 1" "$(h export "$TMP/out")"
expect_eq "the deleted node has no file" no "$([ -e "$TMP/out/doc/$GONE.md" ] && echo yes || echo no)"
h export "$TMP/fresh" >/dev/null
expect_eq "a fresh export skips tombstones" no "$([ -e "$TMP/fresh/doc/$GONE.md" ] && echo yes || echo no)"
expect_eq "--json counts" 0 "$(h export "$TMP/out" --json | json_get 'd["removed"]')"

# iCalendar
h export --ical "$TMP/tasks.ics" >/dev/null
cat > "$TMP/ics.py" <<'PY'
import re, sys
raw = open(sys.argv[1], newline="").read()
assert "\r\n" in raw and not re.search(r"[^\r]\n", raw), "lines end in CRLF"
text = re.sub(r"\r\n[ \t]", "", raw)          # unfold
lines = text.split("\r\n")
assert lines[0] == "BEGIN:VCALENDAR" and "VERSION:2.0" in lines, "a calendar"
todos, cur = [], None
for l in lines:
    if l == "BEGIN:VTODO": cur = {}
    elif l == "END:VTODO": todos.append(cur); cur = None
    elif cur is not None and ":" in l:
        k, v = l.split(":", 1); cur[k] = v
for t in sorted(todos, key=lambda t: t["SUMMARY"]):
    print("|".join([t["SUMMARY"], t.get("DTSTART;VALUE=DATE", "-"), t.get("DUE;VALUE=DATE", "-"), t.get("PRIORITY", "-"),
                    t.get("CATEGORIES", "-"), t["UID"].split("@")[1], t["STATUS"]]))
PY
expect_eq "a VTODO per dated outstanding task" 'Pay "rent"|20261201|20261203|1|Home|heph|NEEDS-ACTION
Water plants|20261120|-|5|-|heph|NEEDS-ACTION' "$(python3 "$TMP/ics.py" "$TMP/tasks.ics")"
expect_contains "the context doc is the description" "DESCRIPTION:Transfer:" "$(h export --ical -)"
expect_eq "export.ical over RPC" 2 "$(h call export.ical | json_get 'd["count"]')"

before=$(h digest)
expect_status "no target" 2 h export
expect_status "both targets" 2 h export "$TMP/x" --ical "$TMP/y.ics"
expect_status "an unknown option" 2 h export "$TMP/x" --pdf
touch "$TMP/afile"
expect_status "a directory that is a file" 1 h export "$TMP/afile"
expect_contains "names the path" "$TMP/afile" "$ERR"
expect_status "an unwritable calendar" 1 h export --ical "$TMP/nodir/x.ics"
expect_eq "nothing changed" "$before" "$(h digest)"
finish
