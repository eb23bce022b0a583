/* schema.c — the migration list. Append-only: never edit or reorder an
 * entry that has shipped; add a new one at the end. Migration N takes a
 * database from user_version N-1 to N, each in its own transaction. The
 * schema is local to this device and is never synced.
 *
 * Tables (migration 1):
 *   meta        device-local: origin (this device's id), hlc (its clock)
 *   settings    device-local preferences (hub URL, ...)
 *   nodes       every node; title/body are LWW registers; tombstone_hlc is
 *               monotonic; parent_id is derived from `parent` links
 *   tasks       task registers; context_id and project_id are derived from
 *               `canonical-context` and `in-project` links; created_hlc and
 *               deleted copy the node's, so that the hot queries (counts,
 *               what is next) read one table through partial indexes
 *   clocks      the HLC (and base) of each register written after creation;
 *               a register with no row has the clock of its node's creation
 *   links       the live adds of the links OR-set, keyed by the add's tag
 *   link_tombs  tags removed by some link.remove (arriving before or after
 *               their add)
 *   oplog       every op this replica holds, applied or not, with its payload
 *               as received; seq is local arrival order
 *   deferred    ops waiting for a node to exist
 *   conflicts   losing values from concurrent writes of other devices
 *
 * Later migrations:
 *   2  nodes.aliases (an LWW register: other names, one per line)
 *   3  search (FTS5 over live nodes' title and body), search_ids, and the
 *      triggers on nodes that keep them in step
 *   4  changes, change_before: device-local history of local changes, for
 *      heph undo (undone_by 0: there was nothing left to reverse)
 *   5  tasks_open_late: open tasks with a late_on in late_on order, so that
 *      "what is next" reads the late ones first without a scan (rank.c)
 *   6  sync_state: a spoke's sync bookkeeping (the hub's id, the pull and
 *      push cursors, the last attempt, success and error); sync_pulled:
 *      ranges of local oplog seqs that came from the hub, which a push
 *      skips; tokens: a hub's device tokens, as SHA-256 hashes only (see
 *      sync_spoke.c, token.c and docs/reference/sync-protocol.md)
 *   7  search_dirty: the triggers of 3 now only note which nodes changed;
 *      heph_store_commit() brings the search index up to date for them in
 *      one pass (search_sync.c). Writing FTS5 from a trigger made every
 *      later statement of the transaction flush FTS5's pending terms as a
 *      new segment, which doubled the cost of applying ops.
 *   8  devices: a hub's view of its fleet, one row per device that synced
 *      with it (what each reported of itself: version, schema, op types,
 *      ops it holds unapplied; fleet.c)
 *   9  idempotency: a hub's answers to writing /rpc requests that carried an
 *      Idempotency-Key, so that a retry after a lost answer, or after a
 *      restart of the hub, is answered and not run again (idem.c)
 *  10  PRAGMA application_id = HEPH_APPLICATION_ID: the file says it is
 *      heph's, and heph refuses every SQLite file that is neither that nor
 *      new and empty (store.c). Databases from before it are recognised by
 *      their tables and get the id here, on their first read-write open.
 *  11  tasks.handle: heph_id_handle() of the task's id, written by apply
 *      with the row and filled in here for older rows; tasks_handle finds a
 *      typed handle, tasks_open_handle a list row's neighbours among the
 *      outstanding tasks (docs/explanation/handles.md)
 *  12  resolutions: the register clocks named by every applied op that
 *      settles a conflict ("resolves"), so that a conflict between them
 *      recorded after that op arrived is recorded settled (apply.c); filled
 *      in here from the op-log for the ops applied before it existed
 *
 * Feature levels. A build at feature level 2 (meson -Dfeature_level=2, for
 * the mixed-version tests) appends its own migrations after every level-1
 * migration, so its schema version is the level-1 count plus its own. Its
 * first such migration stamps meta('feature_base') with the level-1 count it
 * was laid on. A database carrying that stamp is refused by every level-1
 * build, and by a level-2 build whose level-1 list has a different length:
 * when level 1 gains a migration, level 2's move up by one (they have never
 * shipped), and a database migrated before the move cannot be read by either
 * numbering. heph__schema_check() applies these rules before anything
 * writes; docs/explanation/data-evolution.md tells the story.
 */
#include "internal.h"
#include "ext.h"

#ifndef HEPH_VERSION
#define HEPH_VERSION "0.0.0"
#endif

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>

/* A migration (ext.h's type, so that an extension's migrations follow
 * these): SQL run first, then a function; reads_same: heph's reads work
 * the same without it (a read-only store may skip it). */
typedef heph_ext_migration migration;

int heph__new_origin(char *out)
{
	unsigned char b[HEPH_ORIGIN_LEN / 2];
	if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
		return heph_error_set(HEPH_ERROR, "no randomness for the device id");
	for (size_t i = 0; i < sizeof b; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return 0;
}

static int init_origin(heph_store *s)
{
	char hex[HEPH_ORIGIN_LEN + 1];
	int err = heph__new_origin(hex);
	if (err)
		return err;
	sqlite3_stmt *st = heph__stmt(s, "INSERT OR IGNORE INTO meta(key, value) VALUES('origin', ?1)");
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, hex);
	return heph__step_done(s, st);
}

/* Migration 10: the handle of every task row that predates the column. */
static int fill_handles(heph_store *s)
{
	sqlite3_stmt *sel = heph__stmt(s, "SELECT node_id FROM tasks WHERE handle IS NULL");
	sqlite3_stmt *up = heph__stmt(s, "UPDATE tasks SET handle = ?2 WHERE node_id = ?1");
	int rc, err = 0;
	if (!sel || !up)
		return HEPH_ERROR;
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		char h[HEPH_HANDLE_LEN + 1];
		const char *id = (const char *)sqlite3_column_text(sel, 0);
		heph_id_handle(id, h);
		heph__bind_str(up, 1, id);
		heph__bind_str(up, 2, h);
		if ((err = heph__step_done(s, up)))
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = heph__sqlerr(s, rc, "filling task handles");
	sqlite3_reset(sel);
	return err;
}

static const migration migrations[] = {
	/* 1: the initial schema */
	{ "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
	  "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
	  "CREATE TABLE nodes ("
	  "  id TEXT PRIMARY KEY,"
	  "  kind TEXT NOT NULL,"
	  "  title TEXT NOT NULL DEFAULT '',"
	  "  body TEXT NOT NULL DEFAULT '',"
	  "  created_hlc TEXT NOT NULL,"
	  "  updated_hlc TEXT NOT NULL,"
	  "  tombstone_hlc TEXT,"
	  "  parent_id TEXT);"
	  "CREATE INDEX nodes_kind_title ON nodes(kind, title COLLATE NOCASE);"
	  "CREATE INDEX nodes_parent ON nodes(parent_id) WHERE parent_id IS NOT NULL;"
	  "CREATE TABLE tasks ("
	  "  node_id TEXT PRIMARY KEY,"
	  "  state TEXT NOT NULL DEFAULT 'outstanding',"
	  "  attention TEXT NOT NULL DEFAULT 'white',"
	  "  do_date TEXT,"
	  "  late_on TEXT,"
	  "  recurrence TEXT,"
	  "  context_id TEXT,"
	  "  project_id TEXT,"
	  "  created_hlc TEXT NOT NULL,"
	  "  deleted INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	  /* Partial indexes over the open tasks. The predicate's columns are
	   * repeated as key columns so that SQLite can use them as covering. */
	  "CREATE INDEX tasks_open_project ON tasks(project_id, state, deleted) "
	  "  WHERE state = 'outstanding' AND deleted = 0;"
	  "CREATE INDEX tasks_open_band ON tasks(attention, created_hlc, state, deleted, do_date, late_on) "
	  "  WHERE state = 'outstanding' AND deleted = 0;"
	  "CREATE TABLE clocks ("
	  "  node_id TEXT NOT NULL, field TEXT NOT NULL,"
	  "  hlc TEXT NOT NULL, base TEXT NOT NULL DEFAULT '',"
	  "  PRIMARY KEY(node_id, field)) WITHOUT ROWID;"
	  "CREATE TABLE links ("
	  "  id TEXT PRIMARY KEY, src TEXT NOT NULL, dst TEXT NOT NULL,"
	  "  type TEXT NOT NULL, hlc TEXT NOT NULL) WITHOUT ROWID;"
	  "CREATE INDEX links_src ON links(src, type);"
	  "CREATE INDEX links_dst ON links(dst, type);"
	  "CREATE TABLE link_tombs (link_id TEXT PRIMARY KEY, hlc TEXT NOT NULL) WITHOUT ROWID;"
	  "CREATE TABLE oplog ("
	  "  seq INTEGER PRIMARY KEY,"
	  "  op_id TEXT NOT NULL UNIQUE,"
	  "  hlc TEXT NOT NULL,"
	  "  origin TEXT NOT NULL,"
	  "  type TEXT NOT NULL,"
	  "  payload TEXT NOT NULL,"
	  "  status INTEGER NOT NULL,"
	  "  local INTEGER NOT NULL);"
	  "CREATE INDEX oplog_pending ON oplog(status) WHERE status <> 0;"
	  "CREATE TABLE deferred ("
	  "  wait_for TEXT NOT NULL, op_seq INTEGER NOT NULL,"
	  "  PRIMARY KEY(wait_for, op_seq)) WITHOUT ROWID;"
	  "CREATE TABLE conflicts ("
	  "  id INTEGER PRIMARY KEY,"
	  "  node_id TEXT NOT NULL, field TEXT NOT NULL,"
	  "  loser_value TEXT, loser_hlc TEXT NOT NULL,"
	  "  winner_value TEXT, winner_hlc TEXT NOT NULL,"
	  "  resolved INTEGER NOT NULL DEFAULT 0,"
	  "  UNIQUE(node_id, field, loser_hlc));",
	  init_origin, 0 },
	/* 2: aliases, a node register of other names, one per line; the partial
	 * index finds the few nodes that have any when a [[Name]] is resolved */
	{ "ALTER TABLE nodes ADD COLUMN aliases TEXT NOT NULL DEFAULT '';"
	  "CREATE INDEX nodes_aliased ON nodes(id) WHERE aliases <> '';",
	  NULL, 0 },
	/* 3: full-text search over the titles and bodies of live nodes, kept in
	 * step by triggers so that every applied op (local or synced) updates
	 * it without the engine knowing. search_ids gives each node a stable
	 * integer key for the FTS5 rowid (nodes' own rowid may change on VACUUM). */
	{ "CREATE TABLE search_ids (rid INTEGER PRIMARY KEY, node_id TEXT NOT NULL UNIQUE);"
	  "CREATE VIRTUAL TABLE search USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2');"
	  "INSERT INTO search_ids(node_id) SELECT id FROM nodes ORDER BY id;"
	  "INSERT INTO search(rowid, title, body) SELECT m.rid, n.title, n.body FROM search_ids m "
	  "  JOIN nodes n ON n.id = m.node_id WHERE n.tombstone_hlc IS NULL;"
	  "CREATE TRIGGER search_node_insert AFTER INSERT ON nodes BEGIN"
	  "  INSERT OR IGNORE INTO search_ids(node_id) VALUES (new.id);"
	  "  INSERT INTO search(rowid, title, body) SELECT rid, new.title, new.body FROM search_ids"
	  "    WHERE node_id = new.id AND new.tombstone_hlc IS NULL;"
	  "END;"
	  "CREATE TRIGGER search_node_update AFTER UPDATE OF title, body, tombstone_hlc ON nodes BEGIN"
	  "  DELETE FROM search WHERE rowid = (SELECT rid FROM search_ids WHERE node_id = old.id);"
	  "  INSERT INTO search(rowid, title, body) SELECT rid, new.title, new.body FROM search_ids"
	  "    WHERE node_id = new.id AND new.tombstone_hlc IS NULL;"
	  "END;"
	  "CREATE TRIGGER search_node_delete AFTER DELETE ON nodes BEGIN"
	  "  DELETE FROM search WHERE rowid = (SELECT rid FROM search_ids WHERE node_id = old.id);"
	  "  DELETE FROM search_ids WHERE node_id = old.id;"
	  "END;",
	  NULL, 0 },
	/* 4: undo (device-local, never synced). A change is the local ops of
	 * one write method call, seqs first_seq..last_seq of the op-log;
	 * change_before keeps, per local set op, what its registers held. */
	{ "CREATE TABLE changes ("
	  "  id INTEGER PRIMARY KEY,"
	  "  method TEXT NOT NULL,"
	  "  first_seq INTEGER NOT NULL,"
	  "  last_seq INTEGER NOT NULL,"
	  "  undoes INTEGER,"
	  "  undone_by INTEGER);"
	  "CREATE TABLE change_before (seq INTEGER PRIMARY KEY, before TEXT NOT NULL);",
	  NULL, 0 },
	/* 5: what is next reads late tasks in late_on order (rank.c) */
	{ "CREATE INDEX tasks_open_late ON tasks(late_on) "
	  "  WHERE state = 'outstanding' AND deleted = 0 AND late_on IS NOT NULL;",
	  NULL, 0 },
	/* 6: sync state (spokes) and device tokens (hubs) */
	{ "CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
	  "CREATE TABLE sync_pulled (first_seq INTEGER PRIMARY KEY, last_seq INTEGER NOT NULL);"
	  "CREATE TABLE tokens ("
	  "  name TEXT PRIMARY KEY,"
	  "  hash TEXT NOT NULL UNIQUE,"
	  "  created_at TEXT NOT NULL,"
	  "  revoked_at TEXT) WITHOUT ROWID;",
	  NULL, 0 },
	/* 7: the search index is brought up to date once per transaction, at
	 * commit, for the nodes the triggers noted (search_sync.c) */
	{ "DROP TRIGGER search_node_insert;"
	  "DROP TRIGGER search_node_update;"
	  "DROP TRIGGER search_node_delete;"
	  "CREATE TABLE search_dirty (seq INTEGER PRIMARY KEY, node_id TEXT NOT NULL);"
	  "CREATE TRIGGER search_mark_insert AFTER INSERT ON nodes BEGIN"
	  "  INSERT INTO search_dirty(node_id) VALUES (new.id);"
	  "END;"
	  "CREATE TRIGGER search_mark_update AFTER UPDATE OF title, body, tombstone_hlc ON nodes BEGIN"
	  "  INSERT INTO search_dirty(node_id) VALUES (new.id);"
	  "END;"
	  "CREATE TRIGGER search_mark_delete AFTER DELETE ON nodes BEGIN"
	  "  INSERT INTO search_dirty(node_id) VALUES (old.id);"
	  "END;",
	  NULL, 0 },
	/* 8: the fleet as a hub sees it (device-local, never synced). Times are
	 * ms since the epoch; op_types a JSON array; NULL where a device did
	 * not report (versions before fleet reporting report nothing). */
	{ "CREATE TABLE devices ("
	  "  origin TEXT PRIMARY KEY,"
	  "  name TEXT,"
	  "  token TEXT,"
	  "  version TEXT,"
	  "  level INTEGER,"
	  "  schema INTEGER,"
	  "  protocol INTEGER,"
	  "  op_types TEXT,"
	  "  unapplied INTEGER,"
	  "  deferred INTEGER,"
	  "  first_seen INTEGER NOT NULL,"
	  "  last_seen INTEGER NOT NULL) WITHOUT ROWID;",
	  NULL, 0 },
	/* 9: answers by Idempotency-Key (device-local, never synced); id
	 * orders them, so that the oldest are the ones dropped (idem.c) */
	{ "CREATE TABLE idempotency ("
	  "  id INTEGER PRIMARY KEY,"
	  "  key TEXT NOT NULL UNIQUE,"
	  "  answer TEXT NOT NULL);",
	  NULL, 0 },
	/* 10: the file says it is heph's (store.c refuses other SQLite files) */
	{ "PRAGMA application_id = 1751478376;", NULL, 1 },
	/* 11: typeable task handles (docs/explanation/handles.md) */
	{ "ALTER TABLE tasks ADD COLUMN handle TEXT;"
	  "CREATE INDEX tasks_handle ON tasks(handle);"
	  "CREATE INDEX tasks_open_handle ON tasks(handle) WHERE state = 'outstanding' AND deleted = 0;",
	  fill_handles, 0 },
	/* 12: the clocks named by applied conflict resolutions (device-local,
	 * like the conflicts they close) */
	{ "CREATE TABLE resolutions ("
	  "  node_id TEXT NOT NULL, field TEXT NOT NULL, hlc TEXT NOT NULL,"
	  "  PRIMARY KEY(node_id, field, hlc)) WITHOUT ROWID;"
	  "INSERT OR IGNORE INTO resolutions(node_id, field, hlc) "
	  "SELECT json_extract(o.payload, '$.node_id'), json_extract(o.payload, '$.resolves.field'), h.value "
	  "FROM oplog o, json_each(o.payload, '$.resolves.hlcs') h "
	  "WHERE o.status = 0 AND o.type IN ('node.set', 'task.set') AND json_valid(o.payload) "
	  "AND json_type(o.payload, '$.resolves.field') = 'text' AND h.type = 'text';",
	  NULL, 1 },
};
_Static_assert(HEPH_APPLICATION_ID == 1751478376, "migration 10 spells the id out");

#define NLEVEL1 ((int)(sizeof migrations / sizeof migrations[0]))

/* A higher feature level's own migrations come after all of level 1's (see
 * the top); they are its registry's (ext.h). */
#define NLEVEL2 (heph__ext.nmigrations)

#define NMIGRATIONS (NLEVEL1 + NLEVEL2)

int heph_schema_version(void) { return NMIGRATIONS; }

static char version_text[48];
static pthread_once_t version_once = PTHREAD_ONCE_INIT;

static void make_version(void)
{
	if (heph__ext.level > 1)
		snprintf(version_text, sizeof version_text, "%s+fl%d", HEPH_VERSION, heph__ext.level);
	else
		snprintf(version_text, sizeof version_text, "%s", HEPH_VERSION);
}

const char *heph_version(void)
{
	pthread_once(&version_once, make_version);
	return version_text;
}

int heph_feature_level(void) { return heph__ext.level; }

int heph__schema_level1(void) { return NLEVEL1; }

static const migration *migration_at(int i)
{
	return i >= NLEVEL1 ? &heph__ext.migrations[i - NLEVEL1] : &migrations[i];
}

static int current_version(heph_store *s, int *v)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return heph__sqlerr(s, rc, "schema version");
	rc = sqlite3_step(st);
	*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : heph__sqlerr(s, rc, "schema version");
}

/* Record which level-1 schema the level-2 migrations sit on. */
static int stamp_base(heph_store *s)
{
	char v[16];
	snprintf(v, sizeof v, "%d", NLEVEL1);
	sqlite3_stmt *st = heph__stmt(s, "INSERT INTO meta(key, value) VALUES('feature_base', ?1) "
					 "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, v);
	return heph__step_done(s, st);
}

/* meta('feature_base') as a number, or -1 when the database has none. */
static int read_base(heph_store *s, int *base)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'feature_base'", -1, &st, NULL);
	*base = -1;
	if (rc != SQLITE_OK)
		return heph__sqlerr(s, rc, "reading the schema's feature base");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		*base = t ? atoi(t) : 0;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : heph__sqlerr(s, rc, "reading the schema's feature base");
}

int heph__schema_check(heph_store *s, const char *path, int version)
{
	int base, err;
	if (version == 0)
		return 0; /* a new file */
	if (version > NMIGRATIONS)
		return heph_error_set(HEPH_ESCHEMA,
				      "database %s has schema version %d, newer than this heph (%d) understands; "
				      "upgrade heph to use it (the file was not changed)",
				      path, version, NMIGRATIONS);
	if ((err = read_base(s, &base)))
		return err;
	if (base < 0 && version > NLEVEL1)
		return heph_error_set(HEPH_ESCHEMA,
				      "database %s has level-1 schema version %d, newer than this heph's level-1 "
				      "schema (%d, then %d feature-level-%d migrations); upgrade heph to use it "
				      "(the file was not changed)",
				      path, version, NLEVEL1, NLEVEL2, heph__ext.level);
	if (base >= 0 && NLEVEL2 == 0)
		return heph_error_set(HEPH_ESCHEMA,
				      "database %s has schema version %d from a feature-level-2 heph (level-1 schema "
				      "%d, then its own migrations); this heph is feature level 1, with schema %d "
				      "(the file was not changed)",
				      path, version, base, NMIGRATIONS);
	if (base >= 0 && base != NLEVEL1)
		return heph_error_set(HEPH_ESCHEMA,
				      "database %s has feature-level migrations laid on level-1 schema %d, but this "
				      "heph lays them on level-1 schema %d: the two numberings disagree, so it "
				      "cannot be opened (the file was not changed)",
				      path, base, NLEVEL1);
	return 0;
}

int heph__schema_readable(int version)
{
	for (int v = version; v < NMIGRATIONS; v++)
		if (!migration_at(v)->reads_same)
			return 0;
	return 1;
}

int heph__migrate(heph_store *s)
{
	for (;;) {
		int v = 0, err;
		/* BEGIN IMMEDIATE, then re-read: another process may have
		 * migrated while we waited for the lock. */
		if ((err = heph__exec(s, "BEGIN IMMEDIATE")))
			return err;
		if ((err = current_version(s, &v)))
			goto fail;
		if (v >= NMIGRATIONS) {
			heph__exec(s, "COMMIT");
			return 0;
		}
		const migration *m = migration_at(v);
		if (m->sql && (err = heph__exec(s, m->sql)))
			goto fail;
		if (m->fn && (err = m->fn(s)))
			goto fail;
		if (v >= NLEVEL1 && (err = stamp_base(s)))
			goto fail;
		char pragma[64];
		snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
		if ((err = heph__exec(s, pragma)) || (err = heph__exec(s, "COMMIT")))
			goto fail;
		continue;
fail:
		heph__exec(s, "ROLLBACK");
		return heph_error_wrap(err, "migration %d: ", v + 1);
	}
}
