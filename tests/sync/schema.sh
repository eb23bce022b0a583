#!/bin/bash
# schema.sh — the method table's parameter schema holds on every surface:
# an unknown parameter, a value of the wrong type, a control character and
# text that is not UTF-8 are refused with the same clear error through the
# CLI, a local hephd's socket and the hub's /rpc, and change nothing there.
# Methods that configure a device (hub.set, sync.now) are refused over
# /rpc, and store.info there shows no file path.
. "$(dirname "$0")/lib.sh"

new_token hub dev
TOK=$(cat "$TMP/dev.token")
start_hub hub
start_spoke s --sync-interval 3600
SOCK="$TMP/s.sock"
h --db "$TMP/hub.db" task "on the hub" >/dev/null
h --db "$TMP/s.db" task "on the spoke" >/dev/null
hub0=$(h --db "$TMP/hub.db" digest)
spoke0=$(h --db "$TMP/s.db" digest)

sock() { rpc "$SOCK" "$1"; }
web() { printf '%s' "$1" > "$TMP/req.json"; http POST "$HUB_URL/rpc" "$TOK" "$TMP/req.json"; }
code() { json_get 'd["error"]["code"]'; }
message() { json_get 'd["error"]["message"]'; }

# one bad call on all three surfaces: the same refusal
check() {
	what=$1 params=$2 needle=$3
	req="{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"task.create\",\"params\":$params}"
	expect_status "$what: the CLI refuses it" 3 h --db "$TMP/s.db" call task.create "$params"
	expect_contains "$what: the CLI says what is wrong" "$needle" "$ERR"
	r=$(sock "$req")
	expect_eq "$what: the socket answers -32602" -32602 "$(echo "$r" | code)"
	expect_contains "$what: the socket says what is wrong" "$needle" "$(echo "$r" | message)"
	r=$(web "$req")
	expect_eq "$what: /rpc answers 400" 400 "${r%% *}"
	expect_eq "$what: /rpc answers -32602" -32602 "$(echo "${r#* }" | code)"
	expect_contains "$what: /rpc says what is wrong" "$needle" "$(echo "${r#* }" | message)"
}
check "an unknown parameter" '{"title":"x","dodate":"fri"}' 'did you mean "do_date"'
check "an escape character" '{"title":"x \u001b[2J"}' 'U+001B'
check "a carriage return" '{"title":"x\rmasked"}' 'U+000D'
check "a C1 control character" '{"title":"x \u009b"}' 'U+009B'
check "a line break in a title" '{"title":"two\nlines"}' 'one line'
check "a bell in a body" '{"title":"x","body":"ding\u0007"}' 'U+0007'
check "a wrong type" '{"title":"x","tags":7}' 'must be a tag name or an array'
check "an impossible date" '{"title":"x","do_date":"2026-02-30"}' 'do_date'

# NUL and bytes that are not UTF-8 never reach a method: the JSON itself is
# refused (-32700), saying why
raw() { python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(open(sys.argv[2],"rb").read()+b"\n"); print(s.makefile("rb").readline().decode())' "$SOCK" "$1"; }
printf '{"jsonrpc":"2.0","id":1,"method":"task.create","params":{"title":"caf\xe9"}}' > "$TMP/latin1.json"
printf '{"jsonrpc":"2.0","id":1,"method":"task.create","params":{"title":"x","body":"a\\u0000b"}}' > "$TMP/nul.json"
for f in latin1 nul; do
	why=$([ $f = latin1 ] && echo "not valid UTF-8" || echo "U+0000")
	r=$(raw "$TMP/$f.json")
	expect_eq "$f on the socket: a parse error" -32700 "$(echo "$r" | code)"
	expect_contains "$f on the socket: it says why" "$why" "$(echo "$r" | message)"
	r=$(http POST "$HUB_URL/rpc" "$TOK" "$TMP/$f.json")
	expect_eq "$f at /rpc: 400" 400 "${r%% *}"
	expect_contains "$f at /rpc: it says why" "$why" "$r"
	expect_status "$f through heph call: refused" 3 h --db "$TMP/s.db" call task.create "$(sed 's/.*"params"://; s/}$//' "$TMP/$f.json")"
done

# device-local methods: fine on the device, refused from the network
r=$(web '{"jsonrpc":"2.0","id":1,"method":"hub.set","params":{"url":"http://attacker.example","token_file":"/etc/passwd"}}')
expect_eq "hub.set over /rpc: 403" 403 "${r%% *}"
expect_contains "it says why and where to run it" "not callable remotely" "$r"
expect_eq "the hub's settings are unchanged" 0 "$(sqlite3 "$TMP/hub.db" "SELECT count(*) FROM settings WHERE value LIKE '%attacker%' OR value LIKE '%passwd%'")"
r=$(web '{"jsonrpc":"2.0","id":1,"method":"sync.now"}')
expect_eq "sync.now over /rpc: 403" 403 "${r%% *}"
expect_status "heph --remote hub set is still refused by the CLI" 2 h --remote "$HUB_URL" --token-file "$TMP/dev.token" hub set http://x.example
r=$(web '{"jsonrpc":"2.0","id":1,"method":"store.info"}')
expect_eq "store.info over /rpc works" 200 "${r%% *}"
expect_not_contains "without the hub's file path" "$TMP" "$r"
r=$(web '{"jsonrpc":"2.0","id":1,"method":"health"}')
expect_eq "health over /rpc works (the web app's Settings)" 200 "${r%% *}"
expect_not_contains "without the hub's file path" "$TMP" "$r"
r=$(sock '{"jsonrpc":"2.0","id":1,"method":"store.info"}')
expect_contains "the socket is the device itself: the path is there" "$TMP/s.db" "$r"
r=$(sock '{"jsonrpc":"2.0","id":1,"method":"hub.set","params":{"url":"none"}}')
expect_contains "hub.set over the local socket works" '"result"' "$r"

# the schema is data: rpc.methods carries it on every surface
r=$(web '{"jsonrpc":"2.0","id":1,"method":"rpc.methods"}')
expect_eq "rpc.methods over /rpc lists task.create's parameters" \
	"$(h --db "$TMP/s.db" call rpc.methods | json_get '[m for m in d if m["name"]=="task.create"][0]["synopsis"]')" \
	"$(echo "${r#* }" | json_get '[m for m in d["result"] if m["name"]=="task.create"][0]["synopsis"]')"

expect_eq "nothing changed on the hub" "$hub0" "$(h --db "$TMP/hub.db" digest)"
expect_eq "nothing changed on the spoke" "$spoke0" "$(h --db "$TMP/s.db" digest)"
finish
