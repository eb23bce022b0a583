#!/bin/bash
# daemon.sh — heph daemon start|stop|restart|status manage a background
# hephd for the database (pid file and log beside its socket), and
# heph daemon install writes a systemd user unit.
. "$(dirname "$0")/lib.sh"

export XDG_RUNTIME_DIR="$TMP/run" XDG_CONFIG_HOME="$TMP/config"
RUN="$TMP/run/heph"
h task "one task" >/dev/null
stop_all() { h daemon stop >/dev/null 2>&1; }
trap 'stop_all; teardown' EXIT

expect_status "status with no daemon: exit 14" 14 h daemon status
expect_contains "it says not running" "not running" "$OUT"
expect_status "start" 0 env -u HEPHD "$HEPH" daemon start
expect_contains "start finds hephd beside heph and says so" "hephd started" "$OUT"
pid=$(cat "$RUN/hephd.pid")
expect_eq "the pid file names a live hephd" hephd "$(cat /proc/$pid/comm 2>/dev/null)"
expect_eq "its socket is in the runtime directory" 1 "$(test -S "$RUN/hephd.sock" && echo 1)"
expect_contains "its log is beside it" "serving $RUN/hephd.sock" "$(cat "$RUN/hephd.log")"
expect_status "status while running" 0 h daemon status
expect_contains "status names the pid" "pid $pid" "$OUT"
expect_eq "status --json" "True $pid" "$(h daemon status --json | json_get '"%s %s" % (d["running"], d["pid"])')"
expect_status "start again is harmless" 0 h daemon start
expect_contains "and says it runs" "already running" "$OUT"
expect_eq "still one hephd" "$pid" "$(cat "$RUN/hephd.pid")"
expect_contains "sync --status sees the daemon" "hephd pid $pid" "$(h sync --status)"
expect_status "restart" 0 h daemon restart
pid2=$(cat "$RUN/hephd.pid")
expect_eq "restart makes a new process" True "$(test "$pid" != "$pid2" && kill -0 "$pid2" && echo True)"
expect_eq "the old one is gone" gone "$(kill -0 "$pid" 2>/dev/null && echo alive || echo gone)"
expect_status "stop" 0 h daemon stop
expect_eq "the process is gone" gone "$(kill -0 "$pid2" 2>/dev/null && echo alive || echo gone)"
expect_eq "its socket and pid file are removed" "no no" "$(test -e "$RUN/hephd.sock" && echo yes || echo no) $(test -e "$RUN/hephd.pid" && echo yes || echo no)"
expect_status "status after stop: exit 14" 14 h daemon status
expect_status "stop when stopped is harmless" 0 h daemon stop
expect_status "start passes hephd options on" 0 h daemon start --sync-interval 7
expect_eq "the interval reached hephd" 7 "$(h sync --status --json | json_get 'd["daemon"]["interval"]')"
expect_status "restart" 0 h daemon restart
expect_eq "restart keeps the options hephd was started with" 7 "$(h sync --status --json | json_get 'd["daemon"]["interval"]')"
expect_status "restart with options" 0 h daemon restart --sync-interval 9
expect_eq "restart with options uses them instead" 9 "$(h sync --status --json | json_get 'd["daemon"]["interval"]')"
expect_status "and keeps those on the next restart" 0 h daemon restart
expect_eq "the new options stay" 9 "$(h sync --status --json | json_get 'd["daemon"]["interval"]')"
expect_status "a daemon for another database is not this one's" 14 h --db "$TMP/other.db" daemon status
h daemon stop >/dev/null
expect_status "bad subcommand" 2 h daemon frobnicate

expect_status "install" 0 h daemon install
unit="$TMP/config/systemd/user/hephd.service"
expect_contains "install writes a systemd user unit" "ExecStart=\"$(realpath "$HEPHD")\" --mode local --db \"$(realpath "$HEPH_DB")\"" "$(cat "$unit")"
expect_contains "the unit uses the runtime directory's socket" '--socket "%t/heph/hephd.sock"' "$(cat "$unit")"
expect_not_contains "no network-online.target, which a user unit cannot wait for" "network-online" "$(cat "$unit")"
expect_contains "the unit is enabled for the user session" "WantedBy=default.target" "$(cat "$unit")"
expect_contains "install says how to enable it" "systemctl --user" "$OUT"
expect_status "systemd-analyze verify accepts it" 0 systemd-analyze --user verify "$unit"
finish
