/* sync_snapshot.c — a hub's replica as one file, and a spoke starting from
 * it instead of replaying the whole op-log (heph/sync.h;
 * docs/reference/sync-protocol.md gives the wire side).
 *
 * The file, format 2: the hub's whole database (VACUUM INTO, one read
 * transaction), then changed in place:
 *
 *   PRAGMA application_id  HEPH_SNAPSHOT_APPLICATION_ID ("heps"), so that
 *                          heph never opens a snapshot as a database
 *   PRAGMA user_version    HEPH_SNAPSHOT_FORMAT
 *   snapshot(key, value)   format  HEPH_SNAPSHOT_FORMAT
 *                          hub     the hub's id (its origin; a replica's:
 *                                  the id of the hub it pulls from)
 *                          seq     the hub seq it holds the op-log up to (a
 *                                  replica's: its pull cursor; its own oplog
 *                                  seqs are its own and only order the rows)
 *                          schema  the hub's schema version
 *                          level   the hub's feature level
 *                          ops     rows in oplog
 *   every table of the schema, with its indexes: SHIP and DERIVED ones as
 *   the hub has them (oplog.local 0 throughout: the hub's own ops are not
 *   the spoke's), PRIVATE and DROPPED ones empty, deleted with
 *   secure_delete so that their rows are not left in free pages
 *
 * Every table of the schema (schema.c) is in `tables` below, and
 * heph_sync_snapshot_write() refuses to write when the hub's database holds
 * one that is not: a new table has to be decided here before any snapshot
 * ships again. Pages are copied as they are, so a spoke takes a snapshot
 * only from a hub of its own schema version, feature level and page size
 * (HEPH_EPROTOCOL otherwise: the caller pulls the op-log instead).
 *
 * Installing (heph_sync_snapshot_install) copies pages rather than rows, so
 * that no b-tree or search index is built again on the spoke:
 *   1. adopt(): in one transaction, the downloaded file (the spoke's scratch
 *      copy) takes the spoke's PRIVATE tables and, in snapshot_keep, every
 *      op of its op-log, and the header of a heph database;
 *   2. finish_image(): the file, opened as a store of its own, applies the
 *      kept ops again through the merge engine (those the snapshot has are
 *      duplicates; the spoke's own, not yet on the hub, are applied and
 *      left above the push cursor), its clock absorbs the newest op, the
 *      cursors move to the snapshot's seq; one transaction;
 *   3. copy_over(): SQLite's online backup copies its pages over the
 *      spoke's database in one write transaction, unless another process
 *      wrote to the database since step 1 (checked once the backup holds
 *      the write lock, so none can commit in between) or is writing to it
 *      then (HEPH_EUNAVAIL, the database unchanged: the install gives way
 *      rather than lose that write, and the sync pulls the op-log instead).
 * Undo history is dropped: its seqs name ops of the op-log that was
 * replaced.
 */
#include "internal.h"
#include "sync_internal.h"

#include "heph/sync.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Each table of the schema and what a snapshot does with it. */
enum fate {
	SHIP,    /* replicated state: copied into the snapshot and installed */
	DERIVED, /* rebuilt by the spoke from what is shipped */
	PRIVATE, /* this device's alone: never in a snapshot, never replaced */
	DROPPED, /* the spoke's own, emptied on install (it names replaced seqs) */
};

static const struct table {
	const char *name;
	enum fate fate;
	const char *order; /* SHIP: the primary key, so the spoke inserts in key order */
} tables[] = {
	{ "nodes", SHIP, "id" },
	{ "tasks", SHIP, "node_id" },
	{ "clocks", SHIP, "node_id, field" },
	{ "links", SHIP, "id" },
	{ "link_tombs", SHIP, "link_id" },
	{ "oplog", SHIP, "seq" },
	{ "deferred", SHIP, "wait_for, op_seq" },
	{ "conflicts", SHIP, "id" },        /* recorded by applying the ops, as a replay would */
	{ "resolutions", SHIP, "node_id, field, hlc" },
	{ "search", DERIVED, NULL },        /* FTS5 over nodes, and its shadow tables: */
	{ "search_data", DERIVED, NULL },
	{ "search_idx", DERIVED, NULL },
	{ "search_content", DERIVED, NULL },
	{ "search_docsize", DERIVED, NULL },
	{ "search_config", DERIVED, NULL },
	{ "search_ids", DERIVED, NULL },
	{ "search_dirty", DERIVED, NULL },
	{ "changes", DROPPED, NULL },       /* undo history, by local seq */
	{ "change_before", DROPPED, NULL },
	{ "meta", PRIVATE, NULL },          /* the device's origin and clock */
	{ "settings", PRIVATE, NULL },      /* hub URL, calendar secret, preferences */
	{ "sync_state", PRIVATE, NULL },    /* cursors, the hub's id */
	{ "sync_pulled", PRIVATE, NULL },   /* reset by install: every shipped seq came from the hub */
	{ "tokens", PRIVATE, NULL },        /* device token hashes */
	{ "devices", PRIVATE, NULL },       /* the fleet's reports */
	{ "idempotency", PRIVATE, NULL },   /* kept answers of /rpc */
};

#define NTABLES (sizeof tables / sizeof tables[0])

#define SNAPSHOT_CACHE_KB 16384 /* the page cache while a snapshot is installed */

static const struct table *table_of(const char *name)
{
	for (size_t i = 0; i < NTABLES; i++)
		if (strcmp(tables[i].name, name) == 0)
			return &tables[i];
	return NULL;
}

/* Every table of the main database is decided above. */
static int all_decided(heph_store *s)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, "SELECT name FROM main.sqlite_master WHERE type = 'table' "
					   "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name", -1, &st, NULL);
	int err = 0;
	if (rc != SQLITE_OK)
		return heph__sqlerr(s, rc, "listing the tables");
	while ((rc = heph__row(s, st)) > 0) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		if (!table_of(name)) {
			err = heph_error_set(HEPH_ERROR, "table %s is not in the snapshot's list (sync_snapshot.c): "
					     "decide whether it is replicated before taking a snapshot", name);
			break;
		}
	}
	if (rc < 0)
		err = rc;
	sqlite3_finalize(st);
	return err;
}

static int exec_fmt(heph_store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int exec_fmt(heph_store *s, const char *fmt, ...)
{
	va_list ap;
	char *sql;
	va_start(ap, fmt);
	if (vasprintf(&sql, fmt, ap) < 0)
		abort();
	va_end(ap);
	int err = heph__exec(s, sql);
	free(sql);
	return err;
}

static int attach(heph_store *s, const char *path)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, "ATTACH DATABASE ?1 AS snap", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return heph__sqlerr(s, rc, "opening the snapshot");
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : heph__sqlerr(s, rc, "opening the snapshot");
}

static void detach(heph_store *s)
{
	sqlite3_exec(s->db, "DETACH DATABASE snap", NULL, NULL, NULL);
}

/* Empty table name of the attached snapshot, zeroing what it held. */
static int empty_snap(heph_store *s, const char *name)
{
	return exec_fmt(s, "DELETE FROM snap.%s", name);
}

/* The snapshot of s at path; replica_of: NULL for a hub (its own id, its
 * op-log's greatest seq), else the hub whose op-log s pulls (that id, and
 * s's pull cursor as of the copy). */
static int write_snapshot(heph_store *s, const char *path, const char *replica_of, int64_t *seq)
{
	int err, began = 0, attached = 0;
	int64_t head = 0, ops = 0;
	*seq = 0;
	if (s->depth > 0)
		return heph_error_set(HEPH_ERROR, "a snapshot is taken outside any transaction");
	if ((err = all_decided(s)))
		return err;
	/* Made here, empty: the store's connection may not create files. */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return heph_error_set(HEPH_ERROR, "cannot make the snapshot %s: %s", path, strerror(errno));
	close(fd);
	/* The whole database as of one read transaction, page by page:
	 * writers go on beside it (WAL). */
	{
		sqlite3_stmt *st;
		int rc = sqlite3_prepare_v2(s->db, "VACUUM main INTO ?1", -1, &st, NULL);
		if (rc != SQLITE_OK) {
			err = heph__sqlerr(s, rc, "copying the database");
			goto out;
		}
		sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			err = heph__sqlerr(s, rc, "copying the database");
			goto out;
		}
	}
	if ((err = attach(s, path)))
		goto out;
	attached = 1;
	/* A file of its own, thrown away if this fails: no journal. What is
	 * deleted is overwritten with zeros, so that nothing of the hub's own
	 * is left in the file's free space. */
	if ((err = heph__exec(s, "PRAGMA snap.journal_mode = OFF; PRAGMA snap.synchronous = OFF;"
				 "PRAGMA snap.secure_delete = ON")))
		goto out;
	if ((err = heph__exec(s, "BEGIN")))
		goto out;
	began = 1;
	if (replica_of) {
		/* the cursors as of the copy, before sync_state is emptied */
		char *stored = NULL;
		if ((err = heph__text_of(s, "SELECT value FROM snap.sync_state WHERE key = ?1", "hub_id", &stored, NULL,
					 "reading the replica's hub")))
			goto out;
		if (!stored || strcmp(stored, replica_of) != 0) {
			err = heph_error_set(HEPH_ERROR, "the replica pulls from hub %s, not from %s", stored ? stored : "(none)",
					     replica_of);
			free(stored);
			goto out;
		}
		free(stored);
		if ((err = heph__sync_i64_of(s, "SELECT coalesce((SELECT CAST(value AS INTEGER) FROM snap.sync_state "
					     "WHERE key = 'pull_cursor'), 0) WHERE ?1 = ?1", 0, &head)))
			goto out;
	}
	for (size_t i = 0; i < NTABLES; i++) {
		const struct table *t = &tables[i];
		if ((t->fate == PRIVATE || t->fate == DROPPED) && (err = empty_snap(s, t->name)))
			goto out;
	}
	if ((err = heph__exec(s, "UPDATE snap.oplog SET local = 0 WHERE local <> 0")) ||
	    (!replica_of &&
	     (err = heph__sync_i64_of(s, "SELECT coalesce(max(seq), 0) FROM snap.oplog WHERE ?1 = ?1", 0, &head))) ||
	    (err = heph__sync_i64_of(s, "SELECT count(*) FROM snap.oplog WHERE ?1 = ?1", 0, &ops)))
		goto out;
	if ((err = exec_fmt(s, "PRAGMA snap.application_id = %d; PRAGMA snap.user_version = %d;"
			       "CREATE TABLE snap.snapshot (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
			    HEPH_SNAPSHOT_APPLICATION_ID, HEPH_SNAPSHOT_FORMAT)))
		goto out;
	if ((err = exec_fmt(s, "INSERT INTO snap.snapshot(key, value) VALUES ('format', '%d'), ('hub', '%s'), "
			       "('seq', '%lld'), ('schema', '%d'), ('level', '%d'), ('ops', '%lld')",
			    HEPH_SNAPSHOT_FORMAT, replica_of ? replica_of : s->origin, (long long)head, heph_schema_version(),
			    heph_feature_level(), (long long)ops)))
		goto out;
	if ((err = heph__exec(s, "COMMIT")))
		goto out;
	began = 0;
	*seq = head;
out:
	if (began)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	if (attached)
		detach(s);
	if (err)
		unlink(path);
	return err;
}

int heph_sync_snapshot_write(heph_store *s, const char *path, int64_t *seq)
{
	return write_snapshot(s, path, NULL, seq);
}

int heph_sync_snapshot_write_replica(heph_store *s, const char *path, const char *hub, int64_t *seq)
{
	if (!hub || !heph_origin_valid(hub))
		return heph_error_set(HEPH_EINVALID, "a replica's snapshot needs the id of the hub it pulls from");
	return write_snapshot(s, path, hub, seq);
}

int heph_sync_snapshot_digest(const char *path, char hex[65], int64_t *size)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char out[32];
	heph_sha256 md;
	int64_t n = 0;
	size_t got;
	FILE *f = fopen(path, "rb");
	if (!f)
		return heph_error_set(errno == ENOENT ? HEPH_ENOTFOUND : HEPH_ERROR, "cannot read %s: %s", path,
				      strerror(errno));
	char *buf = malloc(1 << 20);
	if (!buf)
		abort();
	heph__sha256_init(&md);
	while ((got = fread(buf, 1, 1 << 20, f)) > 0) {
		heph__sha256_update(&md, buf, got);
		n += (int64_t)got;
	}
	int bad = ferror(f);
	fclose(f);
	free(buf);
	if (bad)
		return heph_error_set(HEPH_ERROR, "cannot read %s", path);
	heph__sha256_final(&md, out);
	for (size_t i = 0; i < sizeof out; i++) {
		hex[2 * i] = digits[out[i] >> 4];
		hex[2 * i + 1] = digits[out[i] & 15];
	}
	hex[64] = '\0';
	if (size)
		*size = n;
	return 0;
}

/* Big-endian 32-bit integer at p. */
static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The file's header says it is a snapshot of a format we read. */
static int check_header(const char *path)
{
	unsigned char h[100];
	FILE *f = fopen(path, "rb");
	if (!f)
		return heph_error_set(HEPH_ENOTFOUND, "cannot open the snapshot %s: %s", path, strerror(errno));
	size_t n = fread(h, 1, sizeof h, f);
	fclose(f);
	if (n < sizeof h || memcmp(h, "SQLite format 3", 16) != 0)
		return heph_error_set(HEPH_EINVALID, "the hub's snapshot is not a heph snapshot (not an SQLite file)");
	if (be32(h + 68) != HEPH_SNAPSHOT_APPLICATION_ID)
		return heph_error_set(HEPH_EINVALID, "the hub's snapshot is not a heph snapshot (application id %#x)",
				      be32(h + 68));
	if (be32(h + 60) != HEPH_SNAPSHOT_FORMAT)
		return heph_error_set(HEPH_EINVALID, "the hub's snapshot file is of format %u, not the format %d this heph "
				      "reads and asked for", be32(h + 60), HEPH_SNAPSHOT_FORMAT);
	return 0;
}

/* The snapshot table's value for key, as an integer (-1: none). */
static int64_t snap_int(heph_store *s, const char *key)
{
	char *v = NULL;
	int64_t n = -1;
	if (heph__text_of(s, "SELECT value FROM snap.snapshot WHERE key = ?1", key, &v, NULL, "reading the snapshot") == 0 &&
	    v) {
		char *end;
		errno = 0;
		long long x = strtoll(v, &end, 10);
		if (!errno && !*end && end != v && x >= 0)
			n = x;
	}
	free(v);
	return n;
}

/* The integer a one-row pragma answers on db, or -1. */
static int64_t db_pragma_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t n = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int64_t pragma_int(heph_store *s, const char *sql) { return db_pragma_int(s->db, sql); }

/* Read and check the attached snapshot's own table: *hub malloc'd. */
static int check_meta(heph_store *s, int64_t *seq, char **hub)
{
	int err;
	*hub = NULL;
	if ((err = heph__text_of(s, "SELECT value FROM snap.snapshot WHERE key = ?1", "hub", hub, NULL,
				 "reading the snapshot")))
		return heph_error_set(HEPH_EINVALID, "the hub's snapshot is not a heph snapshot: %s", heph_error_last());
	int64_t format = snap_int(s, "format"), schema = snap_int(s, "schema"), level = snap_int(s, "level");
	*seq = snap_int(s, "seq");
	if (!*hub || !heph_origin_valid(*hub) || *seq < 0 || format < 0 || schema < 0 || level < 0)
		return heph_error_set(HEPH_EINVALID, "the hub's snapshot lacks a valid hub id, seq, format, schema or level");
	if (format != HEPH_SNAPSHOT_FORMAT)
		return heph_error_set(HEPH_EINVALID, "the hub's snapshot file is of format %lld, not the format %d this "
				      "heph reads and asked for", (long long)format, HEPH_SNAPSHOT_FORMAT);
	if (schema != heph_schema_version() || level != heph_feature_level())
		return heph_error_set(HEPH_EPROTOCOL, "the hub's snapshot has schema %lld at feature level %lld, this heph "
				      "%d at level %d: it pulls the op-log instead", (long long)schema, (long long)level,
				      heph_schema_version(), heph_feature_level());
	/* the tables, and nothing else: a file with more is not ours */
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, "SELECT name FROM snap.sqlite_master WHERE type = 'table'", -1, &st, NULL);
	int ntab = 0;
	if (rc != SQLITE_OK)
		return heph_error_set(HEPH_EINVALID, "the hub's snapshot cannot be read: %s", sqlite3_errmsg(s->db));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const struct table *t = name ? table_of(name) : NULL;
		if (name && (strcmp(name, "snapshot") == 0 || strncmp(name, "sqlite_", 7) == 0))
			continue; /* its own, and SQLite's (sqlite_stat1 after ANALYZE) */
		if (!t) {
			sqlite3_finalize(st);
			return heph_error_set(HEPH_EINVALID, "the hub's snapshot holds a table it should not: %s",
					      name ? name : "?");
		}
		ntab++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return heph_error_set(HEPH_EINVALID, "the hub's snapshot cannot be read: %s", sqlite3_errmsg(s->db));
	if (ntab != (int)NTABLES)
		return heph_error_set(HEPH_EINVALID, "the hub's snapshot lacks some of the tables of its schema");
	/* its pages become this database's: the same tables, indexes and
	 * triggers, or the op-log instead (the planner's statistics are
	 * either's) */
	int64_t differ = -1;
	if (heph__sync_i64_of(s, "SELECT count(*) FROM (SELECT * FROM (SELECT type, name, tbl_name, sql FROM snap.sqlite_master "
				 "WHERE tbl_name NOT IN ('snapshot', 'sqlite_stat1', 'sqlite_stat4') EXCEPT "
				 "SELECT type, name, tbl_name, sql FROM main.sqlite_master) UNION ALL "
				 "SELECT * FROM (SELECT type, name, tbl_name, sql FROM main.sqlite_master "
				 "WHERE tbl_name NOT IN ('snapshot', 'sqlite_stat1', 'sqlite_stat4') "
				 "AND ?1 = ?1 EXCEPT SELECT type, name, tbl_name, sql FROM snap.sqlite_master))",
			      0, &differ) || differ != 0)
		return heph_error_set(HEPH_EPROTOCOL, "the hub's snapshot's schema is not this database's (%lld objects "
				      "differ): it pulls the op-log instead", (long long)differ);
	/* the backup copies pages: a database in WAL mode takes only its own size */
	int64_t mine = pragma_int(s, "PRAGMA main.page_size"), theirs = pragma_int(s, "PRAGMA snap.page_size");
	if (mine <= 0 || theirs <= 0)
		return heph_error_set(HEPH_EINVALID, "the hub's snapshot cannot be read: %s", sqlite3_errmsg(s->db));
	if (mine != theirs)
		return heph_error_set(HEPH_EPROTOCOL, "the hub's snapshot has pages of %lld bytes, this database of %lld: "
				      "it pulls the op-log instead", (long long)theirs, (long long)mine);
	return 0;
}

/* Apply again, through the merge engine, the ops kept in snapshot_keep. */
static int reapply(heph_store *s, int64_t *kept)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, "SELECT op_id, hlc, origin, type, payload FROM main.snapshot_keep ORDER BY seq",
				    -1, &st, NULL);
	int err = 0;
	if (rc != SQLITE_OK)
		return heph__sqlerr(s, rc, "reading the ops to keep");
	heph__batch_begin(s);
	while ((rc = heph__row(s, st)) > 0) {
		heph_op op = { 0 };
		heph_op_status status;
		const char *payload = (const char *)sqlite3_column_text(st, 4);
		size_t len = (size_t)sqlite3_column_bytes(st, 4);
		snprintf(op.op_id, sizeof op.op_id, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(op.hlc, sizeof op.hlc, "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(op.origin, sizeof op.origin, "%s", (const char *)sqlite3_column_text(st, 2));
		snprintf(op.type, sizeof op.type, "%s", (const char *)sqlite3_column_text(st, 3));
		if (!(op.payload = json_loadb(payload, len, 0, NULL)) || !json_is_object(op.payload)) {
			json_decref(op.payload);
			err = heph_error_set(HEPH_ERROR, "op %s in this replica's log has a payload that is not an object",
					     op.op_id);
			break;
		}
		err = heph__apply_op_text(s, &op, 0, payload, len, &status);
		json_decref(op.payload);
		if (err) {
			heph_error_wrap(err, "applying this replica's own ops again: ");
			break;
		}
		if (status != HEPH_OP_DUPLICATE)
			(*kept)++;
	}
	if (rc < 0 && !err)
		err = rc;
	sqlite3_finalize(st);
	if (!err)
		err = heph__batch_end(s);
	return err;
}

int heph_sync_snapshot_check(heph_store *s, const char *path, int64_t *seq, char **hub)
{
	int err;
	*seq = 0;
	*hub = NULL;
	if ((err = check_header(path)))
		return err;
	if (s->depth > 0)
		return heph_error_set(HEPH_ERROR, "a snapshot is checked outside any transaction");
	if ((err = attach(s, path)))
		return heph_error_set(HEPH_EINVALID, "the hub's snapshot cannot be opened: %s", heph_error_last());
	err = check_meta(s, seq, hub);
	detach(s);
	if (err) {
		free(*hub);
		*hub = NULL;
	}
	return err;
}

/* Into the attached snapshot, in one transaction reading main: this
 * replica's own tables (identity, settings, tokens, sync settings), its
 * ops in snapshot_keep, and the header of a heph database, so that the
 * file can be opened as a store. */
static int adopt(heph_store *s)
{
	int err;
	if ((err = heph__exec(s, "BEGIN")))
		return err;
	for (size_t i = 0; i < NTABLES; i++) {
		const struct table *t = &tables[i];
		if (t->fate != PRIVATE || strcmp(t->name, "sync_pulled") == 0)
			continue; /* sync_pulled: every shipped seq came from the hub */
		if ((err = exec_fmt(s, "DELETE FROM snap.%s; INSERT INTO snap.%s SELECT * FROM main.%s", t->name, t->name,
				    t->name)))
			goto out;
	}
	if ((err = heph__exec(s, "DELETE FROM snap.sync_pulled; DROP TABLE snap.snapshot;"
				 "CREATE TABLE snap.snapshot_keep AS SELECT seq, op_id, hlc, origin, type, payload "
				 "FROM main.oplog")) ||
	    (err = exec_fmt(s, "PRAGMA snap.application_id = %d; PRAGMA snap.user_version = %d", HEPH_APPLICATION_ID,
			    heph_schema_version())))
		goto out;
	err = heph__exec(s, "COMMIT");
out:
	if (err)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

/* Finish the image at path as a store of its own: the ops kept applied
 * again through the merge engine (those the snapshot has are duplicates;
 * the others, this replica's own not yet on the hub, are applied and
 * pushed), the clock past the newest op, the cursors at seq. */
static int finish_image(heph_store *s, const char *path, int64_t seq, const char *hub, heph_sync_snapshot_result *out)
{
	heph_store_opts o = { .clock = s->clock, .clock_ctx = s->clock_ctx, .no_create = 1,
			      .cache_kb = SNAPSHOT_CACHE_KB };
	heph_store *img = NULL;
	int64_t top = 0;
	int err, began = 0;
	if ((err = heph_store_open(path, &o, &img)))
		return heph_error_wrap(err, "opening the hub's snapshot: ");
	/* a scratch file: a failure throws it away */
	if ((err = heph__exec(img, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF")) ||
	    (err = heph_store_begin(img)))
		goto out;
	began = 1;
	{
		char *latest = NULL;
		heph_hlc h;
		if ((err = heph__text_of(img, "SELECT max(hlc) FROM oplog WHERE ?1 IS NOT NULL", "", &latest, NULL,
					 "reading the snapshot's clock")))
			goto out;
		if (latest && heph_hlc_parse(latest, &h) == 0 && heph_hlc_compare(&h, &img->hlc) > 0) {
			img->hlc.ms = h.ms;
			img->hlc.counter = h.counter;
			img->hlc_dirty = 1;
		}
		free(latest);
	}
	if ((err = heph__sync_i64_of(img, "SELECT coalesce(max(seq), 0) FROM oplog WHERE ?1 = ?1", 0, &top)) ||
	    (err = heph__sync_i64_of(img, "SELECT count(*) FROM oplog WHERE ?1 = ?1", 0, &out->ops)))
		goto out;
	/* Every seq so far came from the hub; the ops applied again come
	 * after and are pushed. */
	if ((err = heph__sync_state_set(img, "hub_id", hub)) || (err = heph__sync_state_set_i64(img, "pull_cursor", seq)) ||
	    (err = heph__sync_state_set_i64(img, "push_cursor", top)))
		goto out;
	img->any_deferred = -1;
	if ((err = reapply(img, &out->kept)) || (err = heph__exec(img, "DROP TABLE main.snapshot_keep")))
		goto out;
	began = 0;
	err = heph_store_commit(img);
out:
	if (began)
		heph_store_rollback(img);
	heph_store_close(img);
	return err;
}

/* A connection of its own on s's database file, and its data_version now:
 * that moves when any other connection commits there (s's own included,
 * which writes nothing to main while a snapshot is prepared). NULL for a
 * database in memory, which no other process can write. */
static int watch_open(heph_store *s, sqlite3 **out, int64_t *version)
{
	const char *file = sqlite3_db_filename(s->db, "main");
	*out = NULL;
	*version = 0;
	if (!file || !file[0])
		return 0;
	int rc = sqlite3_open_v2(file, out, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK && (*version = db_pragma_int(*out, "PRAGMA data_version")) >= 0)
		return 0;
	int err = heph_error_set(HEPH_ERROR, "cannot watch the database for other writers: %s",
				 *out ? sqlite3_errmsg(*out) : sqlite3_errstr(rc));
	sqlite3_close(*out);
	*out = NULL;
	return err;
}

/* Copy the database at path over s's main database, page by page, in one
 * write transaction (SQLite's online backup): other connections wait for
 * it, as for any writer, and then read the new content. The backup first
 * takes the database's write lock, copying nothing; then, with no other
 * writer able to commit, watch's data_version tells whether one did since
 * it read version (before the image was prepared): if so the install gives
 * way (HEPH_EUNAVAIL, nothing written) rather than copy over that change.
 * It never waits for a writer that holds the lock: that one is about to
 * commit a change the image lacks, so it gives way then too. */
static int copy_over(heph_store *s, const char *path, sqlite3 *watch, int64_t version)
{
	sqlite3 *src = NULL;
	sqlite3_backup *b;
	int rc = sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	int err = 0, changed = 0;
	if (rc != SQLITE_OK) {
		err = heph_error_set(HEPH_ERROR, "cannot open the prepared snapshot: %s",
				     src ? sqlite3_errmsg(src) : sqlite3_errstr(rc));
		goto out;
	}
	if (!(b = sqlite3_backup_init(s->db, "main", src, "main"))) {
		err = heph__sqlerr(s, sqlite3_errcode(s->db), "installing the snapshot");
		goto out;
	}
	sqlite3_busy_timeout(s->db, 0);
	rc = sqlite3_backup_step(b, 0); /* the write lock, no page */
	if (rc == SQLITE_OK && watch && db_pragma_int(watch, "PRAGMA data_version") != version)
		changed = 1;
	else if (rc == SQLITE_OK)
		rc = sqlite3_backup_step(b, -1); /* every page, in the same transaction */
	sqlite3_busy_timeout(s->db, s->busy_ms);
	int fin = sqlite3_backup_finish(b); /* unfinished: rolled back */
	if (changed)
		err = heph_error_set(HEPH_EUNAVAIL, "another process wrote to this database while the hub's snapshot "
				     "was prepared");
	else if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		err = heph_error_set(HEPH_EUNAVAIL, "another process was writing to this database when the hub's "
				     "snapshot was to be installed");
	else if (rc != SQLITE_DONE)
		err = heph_error_set(HEPH_ERROR, "installing the snapshot: %s", sqlite3_errstr(rc));
	else if (fin != SQLITE_OK)
		err = heph__sqlerr(s, fin, "installing the snapshot");
out:
	sqlite3_close(src);
	return err;
}

int heph_sync_snapshot_install(heph_store *s, const char *path, const char *want_hub, heph_sync_snapshot_result *out)
{
	char *hub = NULL;
	int64_t seq = 0, version = 0;
	sqlite3 *watch = NULL;
	int err, attached = 0;
	memset(out, 0, sizeof *out);
	if ((err = check_header(path)))
		return err;
	if (s->depth > 0)
		return heph_error_set(HEPH_ERROR, "a snapshot is installed outside any transaction");
	if ((err = attach(s, path))) {
		err = heph_error_set(HEPH_EINVALID, "the hub's snapshot cannot be opened: %s", heph_error_last());
		goto out;
	}
	attached = 1;
	if ((err = check_meta(s, &seq, &hub)))
		goto out;
	if (want_hub && strcmp(hub, want_hub) != 0) {
		err = heph_error_set(HEPH_EINVALID, "the snapshot is of hub %s, not of the hub asked (%s)", hub, want_hub);
		goto out;
	}
	/* The file is this download's scratch copy from here on: what is
	 * this replica's own goes into it, it is finished as a store of its
	 * own, and its pages are copied over the database at once, unless
	 * another process wrote to the database since adopt() read it (its
	 * change would be lost: the install gives way, and the caller pulls
	 * the op-log or takes a snapshot another time). */
	if ((err = watch_open(s, &watch, &version)) ||
	    (err = heph__exec(s, "PRAGMA snap.journal_mode = OFF; PRAGMA snap.synchronous = OFF")) ||
	    (err = adopt(s)))
		goto out;
	detach(s);
	attached = 0;
	if ((err = finish_image(s, path, seq, hub, out)))
		goto out;
	if ((err = exec_fmt(s, "PRAGMA main.cache_size = -%d", SNAPSHOT_CACHE_KB)))
		goto out;
	err = copy_over(s, path, watch, version);
	exec_fmt(s, "PRAGMA main.cache_size = -%d", s->cache_kb > 0 ? s->cache_kb : HEPH_STORE_CACHE_KB);
	if (err)
		goto out;
	/* The WAL now holds every page: put them in the database file now
	 * rather than in the next command that happens to checkpoint; never
	 * waiting for a reader (one would hold it up to the busy timeout),
	 * which leaves the rest to the auto-checkpoint. */
	sqlite3_busy_timeout(s->db, 0);
	sqlite3_wal_checkpoint_v2(s->db, "main", SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	sqlite3_busy_timeout(s->db, s->busy_ms);
	s->any_deferred = -1;
	out->seq = seq;
	snprintf(out->hub, sizeof out->hub, "%s", hub);
out:
	if (attached)
		detach(s);
	sqlite3_close(watch);
	free(hub);
	return err;
}
