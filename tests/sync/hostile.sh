#!/bin/bash
# hostile.sh — what an attacker on the network, another device's token or a
# web page in the owner's browser could do to the hub, and what it now gets
# (issue 19; docs/explanation/hub-threats.md maps each threat to its check
# here): status codes, and state left unchanged.
. "$(dirname "$0")/lib.sh"

raw() { python3 "$HERE/raw.py" "$1"; } # raw URL < request
count() { HEPH_DB="$TMP/$1.db" "$HEPH" count --all; }
mode() { stat -c %a "$1"; }

# ---- 3. --no-auth: web pages and DNS rebinding ----
umask 022
start_hub open --no-auth
NOAUTH_PID=$HUB_PID OPEN=$HUB_URL
echo '{"jsonrpc":"2.0","id":1,"method":"task.create","params":{"title":"from a web page"}}' >"$TMP/create.json"
r=$(http POST "$OPEN/rpc" "" "$TMP/create.json" "Origin: https://evil.example" "Content-Type: text/plain")
expect_eq "no-auth: a POST from another origin's page is refused" 403 "${r%% *}"
expect_contains "and says how to allow an origin" "--allow-origin" "$r"
expect_eq "and creates nothing" 0 "$(count open)"
r=$(printf 'POST /rpc HTTP/1.1\nHost: rebound.example:80\nContent-Type: text/plain\nContent-Length: %s\n\n%s' \
	"$(wc -c <"$TMP/create.json")" "$(cat "$TMP/create.json")" | raw "$OPEN")
expect_eq "no-auth: a request naming another host (DNS rebinding) is refused" 421 "${r%% *}"
expect_contains "and says how to serve a name" "--allow-host" "$r"
expect_eq "and creates nothing either" 0 "$(count open)"
r=$(HEADERS=1 http OPTIONS "$OPEN/rpc" "" "" "Origin: https://evil.example" "Access-Control-Request-Method: POST")
expect_eq "a preflight from an origin not allowed: 403" 403 "${r%% *}"
expect_not_contains "with no CORS header" "Access-Control-Allow-Origin" "$r"
r=$(HEADERS=1 http GET "$OPEN/healthz")
expect_not_contains "no 'Access-Control-Allow-Origin: *' anywhere" "Access-Control-Allow-Origin" "$r"
r=$(http POST "$OPEN/rpc" "" "$TMP/create.json" "Origin: $OPEN")
expect_eq "the hub's own origin needs no CORS: 200" 200 "${r%% *}"
expect_eq "and its request ran" 1 "$(count open)"
stop "$NOAUTH_PID"
start_hub cors --no-auth --allow-origin https://app.example --allow-host hub.example
r=$(HEADERS=1 http OPTIONS "$HUB_URL/rpc" "" "" "Origin: https://app.example" "Access-Control-Request-Method: POST")
expect_eq "a preflight from an --allow-origin origin: 204" 204 "${r%% *}"
expect_contains "naming that origin" "Access-Control-Allow-Origin: https://app.example" "$r"
r=$(printf 'GET /healthz HTTP/1.1\nHost: HUB.example:8420\n\n' | raw "$HUB_URL")
expect_eq "an --allow-host name is served" 200 "${r%% *}"
stop "$HUB_PID"

# ---- 10. file permissions, whatever the umask ----
new_token hub alice
new_token hub bob
expect_eq "hephd token create > FILE leaves FILE readable by its owner only" 600 "$(mode "$TMP/alice.token")"
chmod 644 "$TMP/hub.db"
start_hub hub
expect_eq "the hub's database is its owner's alone, even when it was not" 600 "$(mode "$TMP/hub.db")"
ALICE=$(cat "$TMP/alice.token") BOB=$(cat "$TMP/bob.token")
echo '{"jsonrpc":"2.0","id":1,"method":"task.create","params":{"title":"one"}}' >"$TMP/one.json"
http POST "$HUB_URL/rpc" "$ALICE" "$TMP/one.json" >/dev/null
expect_eq "and so is its WAL" 600 "$(mode "$TMP/hub.db-wal")"

# ---- 6. Idempotency-Key: scoped to the caller and the request ----
first=$(http POST "$HUB_URL/rpc" "$ALICE" "$TMP/create.json" "Idempotency-Key: k-1")
n=$(count hub)
r=$(http POST "$HUB_URL/rpc" "$BOB" "$TMP/create.json" "Idempotency-Key: k-1")
expect_eq "bob sending alice's key runs his own request" $((n + 1)) "$(count hub)"
expect_eq "and does not get alice's answer" True "$(test "$r" != "$first" && echo True)"
r=$(http POST "$HUB_URL/rpc" "$ALICE" "$TMP/one.json" "Idempotency-Key: k-1")
expect_eq "alice's key reused with another request: 422" 422 "${r%% *}"
expect_contains "naming the key" "k-1" "$r"
expect_eq "and it ran nothing" $((n + 1)) "$(count hub)"
expect_eq "alice's retry still gets her answer" "$first" "$(http POST "$HUB_URL/rpc" "$ALICE" "$TMP/create.json" "Idempotency-Key: k-1")"

# ---- 7. a fleet row belongs to the token that reports it ----
pull() { http GET "$HUB_URL/sync/pull?protocol=1&after=0&origin=aaaaaaaaaaaaaaaa&name=$2&version=1.0" "$1"; }
r=$(pull "$ALICE" alice-laptop)
expect_eq "alice reports her device" 200 "${r%% *}"
r=$(pull "$BOB" evil)
expect_eq "bob cannot report alice's device" 403 "${r%% *}"
expect_contains "the refusal names the token the device reports through" '\"alice\"' "$r"
fleet=$(h --db "$TMP/hub.db" fleet --json)
expect_contains "the fleet keeps alice's name" alice-laptop "$fleet"
expect_not_contains "and not bob's" evil "$fleet"
"$HEPHD" --db "$TMP/hub.db" token revoke alice 2>/dev/null
r=$(pull "$BOB" bobs-now)
expect_eq "once alice's token is revoked the device may move to another" 200 "${r%% *}"

# ---- 12. HTTP conformance ----
r=$(HEADERS=1 http GET "$HUB_URL/rpc")
expect_eq "GET /rpc: 405" 405 "${r%% *}"
expect_contains "with Allow" "Allow: POST, OPTIONS" "$r"
r=$(HEADERS=1 http PUT "$HUB_URL/healthz")
expect_contains "PUT /healthz: 405 with Allow" "Allow: GET, HEAD, OPTIONS" "$r"
n=$(count hub)
r=$(printf 'POST /rpc HTTP/1.1\nHost: {HOST}\nAuthorization: Bearer %s\nContent-Length: %s\nContent-Length: 5\n\n%s' \
	"$BOB" "$(wc -c <"$TMP/one.json")" "$(cat "$TMP/one.json")" | raw "$HUB_URL")
expect_eq "two Content-Lengths that disagree: 400" 400 "${r%% *}"
expect_eq "and nothing ran" "$n" "$(count hub)"
for cursor in '+1' '%201' '1%20' '0x1'; do
	r=$(http GET "$HUB_URL/sync/pull?protocol=1&after=$cursor" "$BOB")
	expect_eq "a cursor \"$cursor\" is refused" 400 "${r%% *}"
done
r=$(http GET "$HUB_URL/sync/pull?protocol=1&after=0&origin=bbbbbbbbbbbbbbbb&name=%ff%fe" "$BOB")
expect_eq "a report name that is not UTF-8 is refused" 400 "${r%% *}"
expect_contains "naming the parameter" "name" "$r"
# hephd's own limits on the request target (16 KiB) and the header fields
# (32 KiB), below libmicrohttpd's 64 KiB pool: 414 and 431 answered in JSON
big() { python3 -c "import sys; sys.stdout.write(sys.argv[1].replace(chr(92) + 'n', chr(10)) % ('a' * int(sys.argv[2])))" "$@"; }
r=$(big 'GET /healthz?%s HTTP/1.1\nHost: {HOST}\nConnection: close\n\n' 20000 | raw "$HUB_URL")
expect_eq "a 20 KB request target: 414, in JSON" "414 uri_too_long" "${r%% *} $(echo "${r#* }" | json_get 'd["error"]["name"]')"
r=$(big 'GET /healthz HTTP/1.1\nHost: {HOST}\nX-Pad: %s\nConnection: close\n\n' 40000 | raw "$HUB_URL")
expect_eq "40 KB of header fields: 431, in JSON" "431 headers_too_large" "${r%% *} $(echo "${r#* }" | json_get 'd["error"]["name"]')"
r=$(big 'GET /healthz?%s HTTP/1.1\nHost: {HOST}\nX-Pad: x\nConnection: close\n\n' 12000 | raw "$HUB_URL")
expect_eq "under both limits: answered" 200 "${r%% *}"
python3 -c 'print("{\"protocol\":1,\"ops\":[],\"pad\":\"" + "x"*(3 << 20) + "\"}")' >"$TMP/huge.json"
stop "$HUB_PID"
start_hub hub --max-body 65536
r=$(CHUNKED=1 http POST "$HUB_URL/sync/push" "$BOB" "$TMP/huge.json")
expect_eq "a chunked body far over the limit is answered 413, not dropped" 413 "${r%% *}"

# ---- 5. an op id names one op ----
h task "a task" >/dev/null
h ops --json >"$TMP/ops.jsonl"
printf '{"protocol":1,"ops":[%s]}' "$(paste -sd, "$TMP/ops.jsonl")" >"$TMP/push.json"
r=$(http POST "$HUB_URL/sync/push" "$BOB" "$TMP/push.json")
expect_eq "a push" 200 "${r%% *}"
digest=$(h --db "$TMP/hub.db" digest)
python3 -c 'import json,sys
for l in open(sys.argv[1]):
    o = json.loads(l); o["payload"]["title"] = "forged"; print(json.dumps(o))' "$TMP/ops.jsonl" >"$TMP/forged.jsonl"
printf '{"protocol":1,"ops":[%s]}' "$(paste -sd, "$TMP/forged.jsonl")" >"$TMP/forged.json"
r=$(http POST "$HUB_URL/sync/push" "$BOB" "$TMP/forged.json")
expect_eq "the same op id with other content: 409" 409 "${r%% *}"
expect_contains "naming the op" "$(head -1 "$TMP/ops.jsonl" | json_get 'd["op_id"]')" "$r"
expect_eq "the hub is unchanged" "$digest" "$(h --db "$TMP/hub.db" digest)"
h --db "$TMP/b.db" apply - <"$TMP/forged.jsonl" >/dev/null
h --db "$TMP/b.db" hub set "$HUB_URL" --token-file "$TMP/bob.token" >/dev/null
expect_status "a spoke holding the other op: its sync fails (a conflict)" 6 h --db "$TMP/b.db" sync
expect_contains "heph sync --status shows why" "another op under the same id" "$(h --db "$TMP/b.db" sync --status)"
expect_not_contains "a private token file is not warned about" "read by others" "$ERR"
chmod 644 "$TMP/bob.token"
expect_status "a token file others can read still works" 6 h --db "$TMP/b.db" sync
expect_contains "but heph warns about it, naming the fix" "chmod 600 $TMP/bob.token" "$ERR"
chmod 600 "$TMP/bob.token"

# ---- 11. a recurrence rule the hub takes is one done and skip can step ----
digest=$(h --db "$TMP/hub.db" digest)
for rule in 'FREQ=MINUTELY' 'FREQ=SECONDLY' 'FREQ=DAILY;COUNT=0' 'FREQ=DAILY;BYHOUR=9'; do
	op=$(head -1 "$TMP/ops.jsonl" | python3 -c 'import json,sys
o = json.load(sys.stdin); o["op_id"] = "01K00000000000000000000R%02d" % len(sys.argv[1])
o["payload"]["recurrence"] = sys.argv[1]; print(json.dumps(o))' "$rule")
	printf '{"protocol":1,"ops":[%s]}' "$op" >"$TMP/rule.json"
	r=$(http POST "$HUB_URL/sync/push" "$BOB" "$TMP/rule.json")
	expect_eq "an op with the rule $rule is refused" 400 "${r%% *}"
	expect_contains "naming the field" recurrence "$r"
done
expect_eq "and the hub is unchanged" "$digest" "$(h --db "$TMP/hub.db" digest)"

# ---- 8, 9. static files: containment, dotfiles, headers ----
stop "$HUB_PID"
mkdir -p "$TMP/web/sub" "$TMP/webx"
echo '<title>heph app</title>' >"$TMP/web/index.html"
echo 'SECRET' >"$TMP/webx/index.html"
ln -s ../../webx/index.html "$TMP/web/sub/index.html"
echo 'KEY=1' >"$TMP/web/.env"
echo 'x' >"$TMP/web/sub/.hidden.txt"
start_hub hub --web-root "$TMP/web"
r=$(http GET "$HUB_URL/sub/")
expect_not_contains "a symlink to a sibling directory whose name extends the root's is not followed" SECRET "$r"
r=$(http GET "$HUB_URL/.env")
expect_eq "a dotfile is not served" 404 "${r%% *}"
r=$(http GET "$HUB_URL/sub/.hidden.txt")
expect_eq "nor one in a subdirectory" 404 "${r%% *}"
r=$(HEADERS=1 http GET "$HUB_URL/")
expect_contains "the app's CSP is a header" "Content-Security-Policy: default-src 'self'" "$r"
expect_contains "it may not be framed" "frame-ancestors 'none'" "$r"
expect_not_contains "images come from this origin only" "https:;" "$(echo "$r" | grep Content-Security)"
expect_contains "X-Frame-Options" "X-Frame-Options: DENY" "$r"
expect_contains "Referrer-Policy" "Referrer-Policy: no-referrer" "$r"
expect_contains "static files are revalidated" "Cache-Control: no-cache" "$r"
expect_not_contains "and do not vary by Origin (the service worker's cache matches by Vary)" "Vary: Origin" "$r"
expect_contains "with a Last-Modified" "Last-Modified: " "$r"
etag=$(echo "$r" | sed -n 's/^ETag: //p')
expect_contains "and an ETag" '"' "$etag"
r=$(http GET "$HUB_URL/" "" "" "If-None-Match: $etag")
expect_eq "an unchanged file: 304" 304 "${r%% *}"
r=$(HEADERS=1 http GET "$HUB_URL/healthz")
expect_contains "JSON answers carry a CSP too" "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'" "$r"
finish
