#!/bin/bash
# token_cmd.sh — heph hub set --token-cmd CMD: the token comes from a
# command (a password manager) each time one is needed, not from a plain
# file; the command is kept in the user's credentials file by hub URL, never
# in the database; a command that fails or prints nothing is refused at once
# and, later, fails the sync naming the command; --token-cmd none forgets it.
. "$(dirname "$0")/lib.sh"

export XDG_CONFIG_HOME="$TMP/config"
start_hub hub
new_token hub laptop
# a stand-in for `pass show heph/laptop`: prints the token, then other lines
mkdir -p "$TMP/vault"
{ cat "$TMP/laptop.token"; echo "login: me"; } >"$TMP/vault/laptop"
chmod 600 "$TMP/vault/laptop"
cat >"$TMP/pass" <<SH
#!/bin/sh
[ "\$1" = show ] || exit 2
exec cat "$TMP/vault/\$2"
SH
chmod +x "$TMP/pass"

h task "from the laptop" >/dev/null
expect_status "hub set with a token command" 0 h hub set "$HUB_URL" --token-cmd "$TMP/pass show laptop"
expect_contains "it says where the token comes from" "token from the command $TMP/pass show laptop" "$OUT"
expect_status "sync takes the token from the command" 0 h sync
expect_eq "the hub has the task" 1 \
	"$(h --remote "$HUB_URL" --token-file "$TMP/laptop.token" list --json | json_get 'len([t for t in d if t["title"] == "from the laptop"])')"
expect_eq "the command is in the credentials file, by hub URL" "$TMP/pass show laptop" \
	"$(json_get "d['token_cmds']['$HUB_URL']" <"$TMP/config/heph/credentials.json")"
expect_eq "the credentials file is private" 600 "$(stat -c %a "$TMP/config/heph/credentials.json")"
expect_status "the database holds no command" 1 grep -q "pass show" "$HEPH_DB"
expect_status "the database holds no token" 1 grep -q "$(cat "$TMP/laptop.token")" "$HEPH_DB"
expect_status "--remote to that hub uses the command too" 0 h --remote "$HUB_URL" list

# a background hephd asks the command as well
start_spoke laptop
on laptop task "through the daemon" >/dev/null
h --db "$TMP/laptop.db" hub set "$HUB_URL" >/dev/null
expect_status "the daemon syncs with the command's token" 0 on laptop sync
stop "$SPOKE_PID"

# the command stops working (the vault is locked): the sync fails and says which command
mv "$TMP/vault/laptop" "$TMP/vault/gone"
expect_status "a failing token command fails the sync: exit 10" 10 h sync
expect_contains "naming the command" "the token command \`$TMP/pass show laptop\` failed" "$ERR"
expect_not_contains "never the token" "heph_" "$ERR"
mv "$TMP/vault/gone" "$TMP/vault/laptop"

# refused at once: a failing command, one that prints nothing, an empty one, both sources
digest=$(h digest)
cp "$TMP/config/heph/credentials.json" "$TMP/before.json"
expect_status "a command that fails is refused: exit 10" 10 h hub set "$HUB_URL" --token-cmd "false"
expect_status "one that prints nothing is refused" 10 h hub set "$HUB_URL" --token-cmd "true"
expect_contains "it says so" "printed no token" "$ERR"
expect_status "an empty command is refused" 3 h hub set "$HUB_URL" --token-cmd " "
expect_status "a token file and a command at once: usage" 2 h hub set "$HUB_URL" --token-cmd "$TMP/pass show laptop" \
	--token-file "$TMP/laptop.token"
expect_eq "the refusals changed no setting" "$(cat "$TMP/before.json")" "$(cat "$TMP/config/heph/credentials.json")"
expect_eq "nor the database" "$digest" "$(h digest)"

# a token file replaces the command; none forgets it
expect_status "a token file instead" 0 h hub set "$HUB_URL" --token-file "$TMP/laptop.token"
expect_eq "the command is forgotten" "None" \
	"$(json_get "d.get('token_cmds', {}).get('$HUB_URL')" <"$TMP/config/heph/credentials.json")"
h hub set "$HUB_URL" --token-file none --token-cmd "$TMP/pass show laptop" >/dev/null 2>&1
expect_status "the command again" 0 h hub set "$HUB_URL" --token-cmd "$TMP/pass show laptop"
expect_status "--token-cmd none forgets it" 0 h hub set "$HUB_URL" --token-cmd none
expect_eq "gone from the credentials file" "None" \
	"$(json_get "d.get('token_cmds', {}).get('$HUB_URL')" <"$TMP/config/heph/credentials.json")"
expect_status "without a token the hub refuses: exit 10" 10 h sync

# --token-save-cmd: where heph auth login puts the refresh token (the login
# itself is tested against a real provider in tests/web/oidc-cli.test.mjs)
cp "$TMP/config/heph/credentials.json" "$TMP/before.json"
expect_status "a save command without a token command: usage" 2 h hub set "$HUB_URL" --token-save-cmd "$TMP/pass insert laptop"
expect_contains "it names what reads the token back" "--token-cmd" "$ERR"
expect_status "beside a token file: usage" 2 h hub set "$HUB_URL" --token-file "$TMP/laptop.token" --token-save-cmd "$TMP/pass insert laptop"
expect_status "beside --token-cmd none: usage" 2 h hub set "$HUB_URL" --token-cmd none --token-save-cmd "$TMP/pass insert laptop"
expect_status "an empty one" 3 h hub set "$HUB_URL" --token-cmd "$TMP/pass show next" --token-save-cmd " "
expect_eq "the refusals changed no setting" "$(cat "$TMP/before.json")" "$(cat "$TMP/config/heph/credentials.json")"
expect_status "both: the token command is not run (nothing is saved yet)" 0 \
	h hub set "$HUB_URL" --token-cmd "$TMP/pass show next" --token-save-cmd "$TMP/pass insert next"
expect_contains "it says where the refresh token goes" "saves its refresh token with the command $TMP/pass insert next" "$OUT"
expect_eq "kept by hub URL" "$TMP/pass insert next" \
	"$(json_get "d['token_save_cmds']['$HUB_URL']" <"$TMP/config/heph/credentials.json")"
expect_status "the database holds no save command" 1 grep -q "pass insert" "$HEPH_DB"
cp "$TMP/vault/laptop" "$TMP/vault/next"
expect_status "what the token command prints is a refresh token now, not a bearer: sync needs a login" 10 h sync
expect_contains "no bearer was sent" "missing credential" "$ERR"
expect_status "--token-save-cmd none forgets it" 0 h hub set "$HUB_URL" --token-save-cmd none
expect_eq "gone" "None" "$(json_get "d.get('token_save_cmds', {}).get('$HUB_URL')" <"$TMP/config/heph/credentials.json")"
expect_status "the token command is a bearer's again" 0 h sync
h hub set "$HUB_URL" --token-cmd "$TMP/pass show next" --token-save-cmd "$TMP/pass insert next" >/dev/null
expect_status "--token-file replaces both" 0 h hub set "$HUB_URL" --token-file "$TMP/laptop.token"
expect_eq "no save command" "None" "$(json_get "d.get('token_save_cmds', {}).get('$HUB_URL')" <"$TMP/config/heph/credentials.json")"
finish
