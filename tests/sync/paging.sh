#!/bin/bash
# paging.sh — large reads page over a real hub's /rpc: a task.list without
# a limit answers one bounded page, following next_cursor gives every task
# once and in order, malformed and foreign cursors and limits out of range
# are refused (-32602, 400) reading nothing, and heph --remote list and tags
# follow the cursors so that they print everything.
. "$(dirname "$0")/lib.sh"

# The page sizes are the schema's (rpc.methods); the fixture holds more
# tasks than the CLI reads in one page, so every reader crosses pages.
limits=$(h call rpc.methods | json_get '" ".join(str(p.get("default", p.get("max"))) + " " + str(p["max"]) for m in d if m["name"] == "task.list" for p in m["params"] if p["name"] == "limit")')
read -r DEFAULT MAX <<<"$limits"
N=$((MAX + DEFAULT + 123)) TAGS=37
expect_eq "task.list pages (rpc.methods says where its rows are)" tasks \
	"$(h call rpc.methods | json_get '[m.get("page") for m in d if m["name"] == "task.list"][0]')"

# N tasks of every attention, a fifth of them late, each with one of TAGS tags
python3 - "$N" "$TAGS" >"$TMP/tw.json" <<'EOF'
import json, sys
n, tags = int(sys.argv[1]), int(sys.argv[2])
out = []
for i in range(n):
    t = {"uuid": "%08x-0000-4000-8000-%012x" % (i, i), "description": "task %d" % i, "status": "pending",
         "entry": "20261101T000000Z", "tags": ["t%d" % (i % tags)]}
    if i % 4 < 3:
        t["priority"] = "HML"[i % 4]
    if i % 5 == 0:
        t["due"] = "20261101T000000Z"
    out.append(t)
json.dump(out, sys.stdout)
EOF
expect_status "the fixture is imported" 0 h --db "$TMP/hub.db" import taskwarrior "$TMP/tw.json"
new_token hub dev
start_hub hub
TOKEN=$(cat "$TMP/dev.token")
R() { "$HEPH" --remote "$HUB_URL" --token-file "$TMP/dev.token" "$@"; }

# post PARAMS-JSON [METHOD] — one call to /rpc; prints "STATUS BODY"
post() {
	printf '{"jsonrpc":"2.0","id":1,"method":"%s","params":%s}' "${2:-task.list}" "$1" >"$TMP/req.json"
	http POST "$HUB_URL/rpc" "$TOKEN" "$TMP/req.json"
}

r=$(post '{}')
expect_eq "a task.list without a limit: 200" 200 "${r%% *}"
expect_eq "it holds one page of the default size" "$DEFAULT" "$(echo "${r#* }" | json_get 'len(d["result"]["tasks"])')"
expect_eq "and a cursor for the next" str "$(echo "${r#* }" | json_get 'type(d["result"]["next_cursor"]).__name__')"

# Every page through /rpc, a small limit: every task once, in the order of
# the hub's own unpaged list.
python3 - "$HUB_URL" "$TOKEN" 97 task.list tasks >"$TMP/paged.json" <<'EOF'
import http.client, json, sys, urllib.parse
url, token, limit, method, member = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
u = urllib.parse.urlsplit(url)
c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
rows, cursor, pages = [], None, 0
while True:
    params = {"limit": limit}
    if cursor:
        params["cursor"] = cursor
    c.request("POST", "/rpc", json.dumps({"jsonrpc": "2.0", "id": pages, "method": method, "params": params}),
              {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    r = json.loads(c.getresponse().read())
    page = r["result"][member]
    assert len(page) <= limit, "a page over its limit"
    rows += page
    pages += 1
    cursor = r["result"]["next_cursor"]
    if cursor is None:
        break
json.dump({"ids": [t["node_id"] for t in rows], "pages": pages, "names": [t.get("name") for t in rows]}, sys.stdout)
EOF
expect_eq "following next_cursor reads ceil(N/97) pages" $(((N + 96) / 97)) "$(json_get 'd["pages"]' <"$TMP/paged.json")"
expect_eq "every task once" "$N $N" "$(json_get '"%d %d" % (len(d["ids"]), len(set(d["ids"])))' <"$TMP/paged.json")"
h --db "$TMP/hub.db" list --json >"$TMP/local.json"
expect_eq "in the order of the hub's own list" "$(json_get 'json.dumps([t["node_id"] for t in d])' <"$TMP/local.json")" \
	"$(json_get 'json.dumps(d["ids"])' <"$TMP/paged.json")"

python3 - "$HUB_URL" "$TOKEN" 5 tag.list tags >"$TMP/tags.json" <<'EOF'
import http.client, json, sys, urllib.parse
url, token, limit, method, member = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
u = urllib.parse.urlsplit(url)
c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
rows, cursor = [], None
while True:
    params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
    c.request("POST", "/rpc", json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}),
              {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    r = json.loads(c.getresponse().read())["result"]
    rows += r[member]
    cursor = r["next_cursor"]
    if cursor is None:
        break
json.dump([t["name"] for t in rows], sys.stdout)
EOF
expect_eq "tag.list pages give every tag once, by name" \
	"$(python3 -c "import json; print(json.dumps(sorted('t%d' % i for i in range($TAGS))))")" \
	"$(json_get 'json.dumps(d)' <"$TMP/tags.json")"

# Refusals: each a 400 with -32602, and nothing read
C=$(echo "${r#* }" | json_get 'd["result"]["next_cursor"]')
refused() {
	local desc=$1 params=$2 method=${3:-task.list} got
	got=$(post "$params" "$method")
	expect_eq "$desc: 400, -32602" "400 -32602" "${got%% *} $(echo "${got#* }" | json_get 'd["error"]["code"]')"
}
refused "a cursor that is not base64url" '{"cursor":"not a cursor"}'
refused "a cursor with +" '{"cursor":"WzEs+IjAi"}'
refused "base64url that is not a cursor" '{"cursor":"bm90IGpzb24"}'
refused "a cursor cut short" "{\"cursor\":\"${C:0:40}\"}"
refused "a cursor that is not a string" '{"cursor":7}'
refused "the cursor with other parameters" "{\"cursor\":\"$C\",\"all\":true}"
refused "the cursor given to another method" "{\"cursor\":\"$C\"}" tag.list
refused "a limit of 0" '{"limit":0}'
refused "a limit over the largest" "{\"limit\":$((MAX + 1))}"
r=$(post "{\"cursor\":\"$C\",\"all\":true}")
expect_contains "a foreign cursor is named so" "another read" "$r"

# heph --remote follows the cursors: the same rows as the hub's own list
expect_eq "heph --remote list --json: every task, one array" "$(json_get 'json.dumps(d)' <"$TMP/local.json")" \
	"$(R list --json | json_get 'json.dumps(d)')"
expect_eq "heph --remote list prints a line per task" $((N + 1)) "$(R list | wc -l)"
expect_eq "heph --remote tags: every tag" "$TAGS" "$(R tags --json | json_get 'len(d)')"
expect_eq "heph --remote list --limit 10: one page" 11 "$(R list --limit 10 2>"$TMP/more.err" | wc -l)"
expect_contains "and where the next starts" "more follow: add --cursor" "$(cat "$TMP/more.err")"
expect_eq "--limit --json: the page object" "10 True" \
	"$(R list --limit 10 --json | json_get '"%d %s" % (len(d["tasks"]), isinstance(d["next_cursor"], str))')"
finish
