#!/bin/bash
# pg-node.sh ARGS... — node ARGS with a private PostgreSQL 15 cluster
# (tests/sync/pg.sh) for a web test of the PostgreSQL hub: PG_URL names its
# database. The cluster is stopped (by its postmaster's pid) when node ends.
. "$(dirname "$0")/../sync/lib.sh"
. "$(dirname "$0")/../sync/pg.sh"
pg_start
PG_URL="$PG_URL" node "$@"
exit $?
