#!/bin/bash
# auth.sh — the hub wants a bearer token on /sync/* and /rpc: none, a wrong
# one and a revoked one get 401 with a JSON error, and a spoke reports the
# auth failure. Tokens are stored hashed and shown once. --no-auth only on
# a loopback address, and loudly.
. "$(dirname "$0")/lib.sh"

new_token hub laptop
new_token hub phone
TOK=$(cat "$TMP/laptop.token")
expect_eq "a token is heph_ and 64 hex digits" 1 "$(grep -c '^heph_[0-9a-f]\{64\}$' "$TMP/laptop.token")"
expect_status "the token text is not in the hub's database" 1 grep -q "$TOK" "$TMP/hub.db"
expect_eq "only its SHA-256 is" "$(printf %s "$TOK" | sha256sum | cut -d' ' -f1)" \
	"$(sqlite3 "$TMP/hub.db" "SELECT hash FROM tokens WHERE name = 'laptop'")"
expect_status "a second token with a live name is refused" 6 "$HEPHD" --db "$TMP/hub.db" token create laptop
expect_status "an empty token name is refused" 3 "$HEPHD" --db "$TMP/hub.db" token create ""
expect_status "a bad token name is refused" 3 "$HEPHD" --db "$TMP/hub.db" token create "no spaces"
start_hub hub

echo '{"protocol":1,"ops":[]}' > "$TMP/empty.json"
echo '{"jsonrpc":"2.0","id":1,"method":"digest"}' > "$TMP/digest.json"
for ep in "GET /sync/pull?protocol=1" "POST /sync/push" "POST /rpc"; do
	set -- $ep
	body=""; [ "$2" = /sync/push ] && body="$TMP/empty.json"; [ "$2" = /rpc ] && body="$TMP/digest.json"
	r=$(http "$1" "$HUB_URL$2" "" "$body")
	expect_eq "$ep without a token: 401" 401 "${r%% *}"
	expect_contains "$ep: a JSON error" '"name":"unauthorized"' "$r"
	r=$(http "$1" "$HUB_URL$2" "heph_0000000000000000000000000000000000000000000000000000000000000000" "$body")
	expect_eq "$ep with a wrong token: 401" 401 "${r%% *}"
	r=$(http "$1" "$HUB_URL$2" "$TOK" "$body")
	expect_eq "$ep with the token: 200" 200 "${r%% *}"
done
r=$(http GET "$HUB_URL/sync/pull?protocol=1" "" "" "Authorization: Basic dXNlcjpwYXNz")
expect_eq "another scheme: 401" 401 "${r%% *}"
r=$(http GET "$HUB_URL/config")
expect_eq "/config needs no token" 200 "${r%% *}"
expect_contains "/config says how to log in" "hephd token create" "$r"
expect_eq "/healthz needs no token" 200 "$(http GET "$HUB_URL/healthz" | cut -d' ' -f1)"

# a spoke with the token syncs; with a wrong one it reports an auth failure
h task "from the laptop" >/dev/null
h hub set "$HUB_URL" --token-file "$TMP/laptop.token" >/dev/null
expect_status "sync with a valid token" 0 h sync
echo "heph_ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" > "$TMP/bad.token"
h hub set "$HUB_URL" --token-file "$TMP/bad.token" >/dev/null
expect_status "sync with a wrong token: exit 10" 10 h sync
expect_contains "the message says unauthorized" "invalid or revoked token" "$ERR"
expect_eq "status flags the auth failure" True "$(h sync --status --json | json_get 'd["auth_failed"]')"
expect_contains "human status too" "auth failure" "$(h sync --status)"

# revoking: the next request is refused; the other token still works
h hub set "$HUB_URL" --token-file "$TMP/laptop.token" >/dev/null
expect_status "sync again" 0 h sync
expect_eq "a success clears the auth failure" False "$(h sync --status --json | json_get 'd["auth_failed"]')"
expect_status "revoke laptop" 0 "$HEPHD" --db "$TMP/hub.db" token revoke laptop
expect_status "revoking twice: not found" 4 "$HEPHD" --db "$TMP/hub.db" token revoke laptop
r=$(http GET "$HUB_URL/sync/pull?protocol=1" "$TOK")
expect_eq "a revoked token: 401 at once" 401 "${r%% *}"
expect_status "sync with a revoked token: exit 10" 10 h sync
r=$(http GET "$HUB_URL/sync/pull?protocol=1" "$(cat "$TMP/phone.token")")
expect_eq "another device's token still works" 200 "${r%% *}"
list=$("$HEPHD" --db "$TMP/hub.db" token list --json)
expect_eq "token list shows names and revocations, not secrets" "laptop:True phone:False" \
	"$(echo "$list" | json_get '" ".join("%s:%s" % (t["name"], t["revoked_at"] is not None) for t in d)')"
expect_not_contains "token list holds no token text" "heph_" "$list"
expect_status "a revoked name may be used again" 0 "$HEPHD" --db "$TMP/hub.db" token create laptop
stop "$HUB_PID"

# --no-auth: refused off loopback, loud on loopback
expect_status "--no-auth on a non-loopback address is refused" 2 \
	"$HEPHD" --mode server --db "$TMP/open.db" --http-addr 0.0.0.0:0 --no-auth
expect_contains "the refusal says why" "loopback" "$ERR"
start_hub open --no-auth
expect_contains "--no-auth is announced loudly" "WARNING: --no-auth" "$(cat "$TMP/open.log")"
r=$(http GET "$HUB_URL/sync/pull?protocol=1")
expect_eq "--no-auth serves without a token" 200 "${r%% *}"
expect_contains "/config says no credential is needed" '"required":false' "$(http GET "$HUB_URL/config")"
finish
