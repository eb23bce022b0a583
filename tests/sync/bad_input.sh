#!/bin/bash
# bad_input.sh — the hub refuses bad requests with a clear JSON error and
# applies nothing from them: malformed JSON (400), invalid ops (400, naming
# the op), an unknown protocol version (426, naming both), a body over the
# limit (413), a wrong method (405); unknown envelope fields are ignored;
# stalled clients are cut off by the timeout and hold nothing meanwhile; the
# web root is served with an index.html fallback and nothing outside it.
. "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/web/sub"
echo '<title>heph app</title>' > "$TMP/web/index.html"
echo 'console.log("app")' > "$TMP/web/app.js"
echo 'SECRET' > "$TMP/secret.txt"
ln -s ../secret.txt "$TMP/web/leak.txt"
new_token hub dev
TOK=$(cat "$TMP/dev.token")
start_hub hub --max-body 65536 --timeout 1 --web-root "$TMP/web"

# valid ops to build requests from
h task "first" >/dev/null
h task "second" >/dev/null
h ops --json > "$TMP/ops.jsonl"
ops=$(paste -sd, "$TMP/ops.jsonl")
one=$(head -1 "$TMP/ops.jsonl")
digest0=$(h --db "$TMP/hub.db" digest)
count() { sqlite3 "$TMP/hub.db" 'SELECT count(*) FROM oplog'; }

push() { printf '%s' "$1" > "$TMP/body.json"; http POST "$HUB_URL/sync/push" "$TOK" "$TMP/body.json"; }

r=$(push '{"protocol":1,"ops":[')
expect_eq "malformed JSON: 400" 400 "${r%% *}"
expect_contains "malformed JSON: says so" "malformed JSON" "$r"
r=$(push '')
expect_eq "an empty body: 400" 400 "${r%% *}"
r=$(push '[1,2]')
expect_eq "not an object: 400" 400 "${r%% *}"
r=$(push '{"protocol":1,"ops":{}}')
expect_eq "ops not an array: 400" 400 "${r%% *}"
r=$(push "{\"ops\":[$ops]}")
expect_eq "no protocol version: 400" 400 "${r%% *}"
r=$(push "{\"protocol\":\"1\",\"ops\":[$ops]}")
expect_eq "a protocol version that is not a number: 400" 400 "${r%% *}"
r=$(push "{\"protocol\":2,\"ops\":[$ops]}")
expect_eq "protocol 2: 426" 426 "${r%% *}"
expect_contains "426 names the hub's version" "speaks protocol 1" "$r"
expect_contains "426 names the request's version" "protocol 2" "$r"
bad=$(echo "$one" | python3 -c 'import json,sys; o=json.load(sys.stdin); o["op_id"]="01K00000000000000000000X99"; o["hlc"]="not-a-clock"; print(json.dumps(o))')
r=$(push "{\"protocol\":1,\"ops\":[$ops,$bad]}")
expect_eq "a batch with one invalid op: 400" 400 "${r%% *}"
expect_contains "the error names the op" "ops[" "$r"
expect_contains "the error says what is wrong" "HLC" "$r"
nopay=$(echo "$one" | python3 -c 'import json,sys; o=json.load(sys.stdin); o["op_id"]="01K00000000000000000000X98"; o["payload"]={"node_id":"nope"}; print(json.dumps(o))')
r=$(push "{\"protocol\":1,\"ops\":[$ops,$nopay]}")
expect_eq "an op whose payload fails validation: 400" 400 "${r%% *}"
far=$(python3 -c 'import time; print("%015d" % (int(time.time()*1000) + 3600*1000))')
future=$(echo "$one" | python3 -c 'import json,sys; o=json.load(sys.stdin); o["op_id"]="01K00000000000000000000X97"; o["hlc"]=sys.argv[1]+o["hlc"][15:]; print(json.dumps(o))' "$far")
r=$(push "{\"protocol\":1,\"ops\":[$ops,$future]}")
expect_eq "an op from the future: 400" 400 "${r%% *}"
expect_contains "it says the clock is ahead" "clock_ahead" "$r"
expect_eq "nothing from the refused requests was applied" "$digest0" "$(h --db "$TMP/hub.db" digest)"
expect_eq "no op was stored" 0 "$(count)"

python3 -c 'import sys; print("{\"protocol\":1,\"ops\":[],\"pad\":\"" + "x"*100000 + "\"}")' > "$TMP/big.json"
r=$(http POST "$HUB_URL/sync/push" "$TOK" "$TMP/big.json")
expect_eq "a body over --max-body: 413" 413 "${r%% *}"
expect_contains "413 is a JSON error" '"name":"too_big"' "$r"
r=$(CHUNKED=1 http POST "$HUB_URL/sync/push" "$TOK" "$TMP/big.json")
expect_eq "a chunked body over the limit: 413" 413 "${r%% *}"
r=$(CHUNKED=1 http POST "$HUB_URL/rpc" "$TOK" "$TMP/big.json")
expect_eq "/rpc has the same limit" 413 "${r%% *}"

# unknown fields are ignored, in the envelope and in payloads; unknown op
# types are kept
odd=$(echo "$one" | python3 -c 'import json,sys; o=json.load(sys.stdin); o["op_id"]="01K00000000000000000000X96"; o["type"]="task.snooze"; o["payload"]={"node_id":"x","until":"tomorrow"}; o["note"]="from a newer version"; print(json.dumps(o))')
r=$(push "{\"protocol\":1,\"origin\":\"aaaaaaaaaaaaaaaa\",\"compression\":\"none\",\"ops\":[$ops,$odd]}")
expect_eq "unknown envelope fields and op types: 200" 200 "${r%% *}"
expect_contains "the unknown type is stored" '"unknown":1' "$r"
r=$(push "{\"protocol\":1,\"ops\":[$ops]}")
expect_contains "pushing the same ops again changes nothing" '"duplicate":6' "$r"
expect_eq "the hub holds each op once" 7 "$(count)"
r=$(http GET "$HUB_URL/sync/pull?protocol=1&after=0&limit=2&flavour=vanilla" "$TOK")
expect_eq "unknown query parameters are ignored" 200 "${r%% *}"
expect_eq "a page holds at most limit ops" "2 2 True 7" \
	"$(echo "${r#* }" | json_get '"%d %d %s %d" % (len(d["ops"]), d["next"], d["more"], d["head"])')"
r=$(http GET "$HUB_URL/sync/pull?protocol=1&after=2" "$TOK")
expect_eq "the next page continues after the cursor" "3,4,5,6,7 False" \
	"$(echo "${r#* }" | json_get '",".join(str(o["seq"]) for o in d["ops"]) + " " + str(d["more"])')"
r=$(http GET "$HUB_URL/sync/pull?protocol=7" "$TOK")
expect_eq "pull with protocol 7: 426" 426 "${r%% *}"
r=$(http GET "$HUB_URL/sync/pull" "$TOK")
expect_eq "pull without a protocol: 400" 400 "${r%% *}"
r=$(http GET "$HUB_URL/sync/pull?protocol=1&after=soon" "$TOK")
expect_eq "pull with a cursor that is not a number: 400" 400 "${r%% *}"
r=$(http GET "$HUB_URL/sync/pull?protocol=1&after=-5" "$TOK")
expect_eq "pull with a negative cursor: 400" 400 "${r%% *}"

# pushes arriving together are committed together, yet each stands alone:
# the one carrying a bad op fails, the others are applied
h --db "$TMP/many.db" task "concurrent" >/dev/null
for i in $(seq 11); do h --db "$TMP/many.db" doc "doc $i" >/dev/null; done
h --db "$TMP/many.db" ops --json > "$TMP/many.jsonl"
before=$(count)
r=$(python3 "$HERE/concurrent.py" "$HUB_URL" "$TOK" "$TMP/many.jsonl" 12)
expect_eq "12 concurrent pushes: only the one with a bad op fails" "200 200 200 200 200 200 400 200 200 200 200 200" "$r"
expect_eq "and the other 11 are applied" "$((before + 11))" "$(count)"

# /rpc
printf '{"jsonrpc":"2.0","id":1,' > "$TMP/rpc.json"
r=$(http POST "$HUB_URL/rpc" "$TOK" "$TMP/rpc.json")
expect_eq "/rpc with malformed JSON: 400" 400 "${r%% *}"
expect_contains "a JSON-RPC parse error" '"code":-32700' "$r"
echo '{"jsonrpc":"2.0","id":1,"method":"task.create","params":{}}' > "$TMP/rpc.json"
r=$(http POST "$HUB_URL/rpc" "$TOK" "$TMP/rpc.json")
expect_eq "/rpc with invalid params: 400" 400 "${r%% *}"
echo '{"jsonrpc":"2.0","id":1,"method":"no.such"}' > "$TMP/rpc.json"
r=$(http POST "$HUB_URL/rpc" "$TOK" "$TMP/rpc.json")
expect_eq "/rpc with an unknown method: 404" 404 "${r%% *}"
expect_eq "a wrong method on /sync/push: 405" 405 "$(http GET "$HUB_URL/sync/push" "$TOK" | cut -d' ' -f1)"
expect_eq "a wrong method on /sync/pull: 405" 405 "$(http POST "$HUB_URL/sync/pull" "$TOK" "$TMP/rpc.json" | cut -d' ' -f1)"

# stalled clients: cut off after --timeout, and the hub answers others meanwhile
r=$(python3 "$HERE/slow.py" "$HUB_URL" 20)
expect_contains "a request is served while 20 clients stall" "served=200" "$r"
expect_contains "every stalled connection is closed" "closed=20/20" "$r"
expect_eq "by the timeout, not much later" True "$(echo "$r" | sed 's/.*after=//' | python3 -c 'import sys; print(int(sys.stdin.read()) <= 5)')"

# static files
r=$(http GET "$HUB_URL/")
expect_contains "/ serves index.html" "heph app" "$r"
r=$(http GET "$HUB_URL/views/today")
expect_eq "an app route falls back to index.html" "200 <title>heph app</title>\\n" "$r"
r=$(http GET "$HUB_URL/app.js")
expect_contains "a file is served" 'console.log' "$r"
expect_eq "a missing file: 404" 404 "$(http GET "$HUB_URL/missing.js" | cut -d' ' -f1)"
for p in "/../secret.txt" "/%2e%2e/secret.txt" "/sub/../../secret.txt" "/..%2fsecret.txt" "/leak.txt" "/app.js/../../secret.txt"; do
	r=$(http GET "$HUB_URL$p")
	expect_not_contains "$p does not leave the web root" SECRET "$r"
done
expect_eq "the hub still answers" 200 "$(http GET "$HUB_URL/healthz" | cut -d' ' -f1)"
finish
