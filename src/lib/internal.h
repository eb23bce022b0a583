/* internal.h — what libheph's modules share and nothing outside sees.
 *
 * Naming: heph__<name> is shared inside the library; static helpers have
 * short lowercase names. Nothing here is API.
 */
#ifndef HEPH_INTERNAL_H
#define HEPH_INTERNAL_H

#include <sqlite3.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "heph/error.h"
#include "heph/hlc.h"
#include "heph/id.h"
#include "heph/op.h"
#include "heph/store.h"

#define HEPH_STMT_CACHE 256 /* slots in the prepared-statement cache */

struct stmt_slot {
	const char *sql;     /* key: the address of a string literal */
	sqlite3_stmt *stmt;  /* prepared once, reset on each use */
};

struct heph_store {
	sqlite3 *db;                       /* the one connection */
	char *path;                        /* as opened */
	char origin[HEPH_ORIGIN_LEN + 1];  /* this device */
	heph_clock_fn clock;               /* wall clock */
	void *clock_ctx;
	int64_t max_drift_ms;              /* future bound for remote HLCs */
	char today[11];                    /* YYYY-MM-DD */
	int today_fixed;                   /* today came from opts, not the clock */
	char today_call[11];               /* heph_store_override_today(), or "" */
	int depth;                         /* transaction nesting; 0 = none */
	heph_hlc hlc;                      /* valid while depth > 0 */
	int hlc_dirty;                     /* hlc must be written back at commit */
	int64_t woken;                     /* deferred ops applied by wake-ups, for stats */
	int any_deferred;                  /* -1 unknown, else whether deferred has rows */
	int batch;                         /* applying a batch of remote ops (heph__batch_begin) */
	int parents_dirty;                 /* parent links changed in the batch: break cycles at its end */
	int wal_frames;                    /* frames in the WAL after our last commit */
	int cache_kb;                      /* the page cache asked for, KiB */
	int busy_ms;                       /* how long a write waits for another writer */
	int read_only;                     /* opened read-only: the file or its directory refuses writes */
	int64_t change_first, change_last; /* seqs of this transaction's local ops, for undo (0: none) */
	int64_t change_undoes;             /* the change this transaction reverses, or 0 */
	struct stmt_slot cache[HEPH_STMT_CACHE];
};

/* PRAGMA application_id of every heph database ("heph" in ASCII), set by
 * migration 10; a database from before it has 0 and heph's meta table. */
#define HEPH_APPLICATION_ID 0x68657068

/* Whether the database at path, open on db, is one heph may use: new and
 * empty, or heph's (store.c). HEPH_EINVALID otherwise, with a message saying
 * what the file is and ending with hint (what to do instead).
 * *version: its user_version. */
int heph__file_identity(sqlite3 *db, const char *path, const char *hint, int *version);
/* The same decided from the file's header alone, read through the file of
 * db (just opened; no statement run yet): HEPH_EINVALID for a file that is
 * not SQLite or is marked as another program's; 0 when SQLite must look
 * further. */
int heph__peek_header(sqlite3 *db, const char *path, const char *hint);

/* file: URI for path with query (https://sqlite.org/uri.html): every byte
 * outside the unreserved set and '/' is %-escaped. Malloc'd. */
char *heph__file_uri(const char *path, const char *query);

/* A new random device origin (HEPH_ORIGIN_LEN hex digits) into out. */
int heph__new_origin(char *out);

/* A cached prepared statement for a string literal, reset and unbound.
 * NULL (with the error set) only if SQLite cannot prepare it. The statement
 * is borrowed: step it and reset it before the next use of the same SQL. */
sqlite3_stmt *heph__stmt(heph_store *s, const char *sql);

/* Map an SQLite result code to a heph error, with a message. */
int heph__sqlerr(heph_store *s, int rc, const char *what);
/* The same for a connection of its own (db may be NULL). */
int heph__db_err(sqlite3 *db, int rc, const char *what);

/* Run SQL with no result rows. */
int heph__exec(heph_store *s, const char *sql);

/* Grow this connection's page cache to HEPH_STORE_CACHE_KB for work that
 * writes many pages (a stream of ops, a pull page, an import): a small
 * cache evicts pages that the next ops dirty again. */
void heph__cache_bulk(heph_store *s);

/* Step a statement that returns no rows (or whose rows are ignored) and
 * reset it. */
int heph__step_done(heph_store *s, sqlite3_stmt *st);

/* Step st once: 1 when it has a row, 0 when it has no more (st is then
 * reset), or a negative heph error when SQLite failed (st reset, the
 * message set). Every row loop reads through it, so that an error is never
 * taken for the end of the rows:
 *
 *     while ((rc = heph__row(s, st)) > 0) { ...read the columns... }
 *     if (rc < 0) goto out;
 *
 * A loop that stops before the end resets st itself. */
int heph__row(heph_store *s, sqlite3_stmt *st);

/* Whether `to` is reachable from `from` along one kind of edge, so that a
 * new edge from `to` back to `from` would close a loop. sql is
 * HEPH_REACH(step): step selects, from the walk's rows r(id), the ids one
 * edge further on. *yes is set; an error is never taken for "no". */
#define HEPH_REACH(step) "WITH RECURSIVE r(id) AS (SELECT ?1 UNION " step ") SELECT 1 FROM r WHERE id = ?2"
int heph__reaches(heph_store *s, const char *sql, const char *from, const char *to, int *yes);

/* sqlite3_bind_text for NUL-terminated or NULL strings (NULL binds NULL). */
void heph__bind_str(sqlite3_stmt *st, int i, const char *v);

/* Column text as a malloc'd string; NULL for SQL NULL. */
char *heph__col_dup(sqlite3_stmt *st, int i);

/* The first column of the first row of sql (a literal, cached) with ?1
 * bound to key: *out malloc'd, NULL for no row or SQL NULL; *found (may be
 * NULL) whether there was a row. what names the read in an error. */
int heph__text_of(heph_store *s, const char *sql, const char *key, char **out, int *found, const char *what);
/* The first column of every row of sql (a literal, cached) with ?1 bound to
 * key, as a new JSON array of strings in *out (NULL on error). */
int heph__texts_of(heph_store *s, const char *sql, const char *key, json_t **out);

/* Set key to value in a key-value table: upsert_sql (?1 key, ?2 value), or
 * delete_sql (?1 key) when value is NULL. Both are literals (cached). */
int heph__kv_write(heph_store *s, const char *upsert_sql, const char *delete_sql, const char *key,
		   const char *value);

/* A node's body, malloc'd; NULL when there is no such node (or on error). */
char *heph__node_body(heph_store *s, const char *id);

/* Whether s is a well-formed op type: [a-z][a-z0-9._-]*, at most
 * HEPH_OP_TYPE_MAX bytes (op.c). */
int heph__op_type_ok(const char *s);

/* ---- SHA-256 (sha256.c) ---- */
typedef struct heph_sha256 {
	uint32_t h[8];            /* chaining state */
	uint64_t len;             /* bytes hashed so far */
	unsigned char buf[64];    /* a partial block */
	size_t used;              /* bytes in buf */
} heph_sha256;

void heph__sha256_init(heph_sha256 *c);
void heph__sha256_update(heph_sha256 *c, const void *data, size_t n);
void heph__sha256_final(heph_sha256 *c, unsigned char out[32]);

/* ---- the JSON fast path (jsonfast.c; opjson.h reads ops with it) ---- */

/* Parse JSON text whose top level is an object into a jansson tree, or
 * return NULL when the text is not in the subset this parser reads exactly
 * as jansson would (the caller then asks jansson). When want names a
 * top-level key, *span and *span_len give its value's text. New reference. */
json_t *heph__json_fast(const char *text, size_t len, const char *want, const char **span, size_t *span_len);


/* ---- the full-text index (search_sync.c) ---- */

/* Index the nodes noted in search_dirty since the last call; called by
 * heph_store_commit() inside the transaction. */
int heph__search_sync(heph_store *s);

/* ---- migrations (schema.c) ---- */
int heph__migrate(heph_store *s);

/* Before anything writes: refuse (HEPH_ESCHEMA, naming both versions) a
 * database of schema version `version` that this build cannot read: newer
 * than it, or migrated by a build of another feature level or numbering
 * (schema.c explains the feature_base stamp). */
int heph__schema_check(heph_store *s, const char *path, int version);
/* Whether heph's reads work on a database at this schema version as they do
 * on the current one (the migrations after it change nothing they read), so
 * that a read-only store may be read without migrating it. */
int heph__schema_readable(int version);

/* The number of level-1 migrations (the schema of a level-1 build). */
int heph__schema_level1(void);

/* ---- the merge engine (apply.c) ---- */

/* Append and apply one op inside the open transaction. local: this
 * device made it (its HLC was ticked here rather than received). */
int heph__apply_op(heph_store *s, const heph_op *op, int local, heph_op_status *status);

/* The same with the payload's JSON text at hand (text may be NULL): it is
 * stored as given instead of being encoded again. */
int heph__apply_op_text(heph_store *s, const heph_op *op, int local, const char *text, size_t len,
			heph_op_status *status);

/* A batch of ops from elsewhere (a stream, a pull page, a push, ops.apply),
 * inside the open transaction. Between begin and end the engine may put off
 * work whose result depends only on the state the batch ends in (the
 * breaking of parent cycles), and do it once at the end; nothing but the
 * engine reads that state in between. heph__batch_end() does the work put
 * off and returns its error; heph_store_commit() does it too, and a
 * rollback forgets it. */
void heph__batch_begin(heph_store *s);
int heph__batch_end(heph_store *s);

/* Apply ops of types this version knows that an older one stored without
 * applying, in HLC order. Called by heph_store_open(). */
int heph__replay_unknown(heph_store *s);

/* The feature level that introduced a known op type; 0 if unknown. */
int heph__op_type_level(const char *type);

/* Payload checks that op types share (op.c): field key holds a ULID; "base",
 * when present, maps fields to HLCs. 0, or HEPH_EINVALID with the message. */
int heph__payload_id(const json_t *p, const char *key);
int heph__payload_base(const json_t *p);

/* For an op type of an extension (ext.h): write register `field` of node id
 * (of its task row when task) last-writer-wins under the op's clock with
 * base, and touch the node; when the node (or task) does not exist yet,
 * *wait_for = id and nothing is written. */
int heph__apply_register(heph_store *s, const heph_op *op, int task, const char *id, const char *field,
			 const json_t *value, const char *base, const char **wait_for);

/* Validate the payload of a known op type (called by heph_op_from_json). */
int heph__op_validate(const char *type, const json_t *payload);

/* ---- local changes (emit.c) ---- */

/* Make a new local op of type with payload (reference stolen), append and
 * apply it. Must run inside a transaction. op_id_out may be NULL. */
int heph__emit(heph_store *s, const char *type, json_t *payload, char *op_id_out);

/* A new ULID stamped with the store clock. */
void heph__new_id(heph_store *s, char out[HEPH_ID_LEN + 1]);

/* The clock (HLC text) of field on node_id as this replica holds it: the
 * `base` a local write records. "" if the node does not exist. */
int heph__field_clock(heph_store *s, const char *node_id, const char *field,
		      char out[HEPH_HLC_LEN + 1]);

/* ---- undo (undo.c) ---- */

/* Before a local node.set or task.set is applied: the value and clock of
 * each register it writes, as {field: [value, clock]} (new reference; NULL
 * for other op types). */
json_t *heph__undo_before(heph_store *s, const char *type, const json_t *payload);

/* After a local op is applied: count it in the open transaction's change
 * and keep before (borrowed, may be NULL) for undo. */
int heph__undo_note(heph_store *s, const char *op_id, const json_t *before);

/* At the end of a write method, before commit: record the transaction's
 * local ops as one change named method (nothing when it made none). */
int heph__undo_record(heph_store *s, const char *method);

/* ---- the field registry (fields.c) ---- */

/* A last-writer-wins register stored in a column of nodes or tasks. */
typedef struct heph_field {
	const char *name;        /* payload key, clocks.field */
	int task;                /* 1: a tasks column (task.set), 0: nodes (node.set) */
	int nullable;            /* JSON null clears it */
	const char *select_sql;  /* ?1 = node id -> the current value */
	const char *update_sql;  /* ?1 = node id, ?2 = value */
	int (*check)(const char *field, const json_t *v); /* 0 or HEPH_EINVALID */
	const char *dflt;        /* what a create that does not carry it leaves; NULL: "" (or SQL NULL if nullable) */
} heph_field;

/* Whether v (NULL for SQL NULL) is the value a create leaves in f when it
 * does not carry f. Such a register, with no clocks row, was never written:
 * its clock is "" (before every HLC), not its node's creation. */
int heph__field_is_default(const heph_field *f, const char *v);

/* The clock (and base) of register f of node id: its clocks row; else ""
 * when it holds its default, else the node's created_hlc. Both "" when the
 * node does not exist. */
int heph__register_clock(heph_store *s, const char *id, const heph_field *f, char clock[HEPH_HLC_LEN + 1],
			 char base[HEPH_HLC_LEN + 1]);

/* The registers of node.set (task = 0) or task.set (task = 1), terminated by
 * an entry with name NULL. */
const heph_field *heph__fields(int task);
const heph_field *heph__field_find(int task, const char *name);

/* Value checks shared with the RPC layer. */
int heph__check_state(const char *s);
int heph__check_attention(const char *s);
/* The attention colour s names in any case ("RED"): the canonical static
 * word, or NULL with HEPH_EINVALID's message set. Ops keep the exact word;
 * people may type any case. */
const char *heph__attention_word(const char *s);
int heph__check_date(const char *s);     /* YYYY-MM-DD, a real day */
int heph__check_link_type(const char *s);
int heph__check_kind(const char *s);
int heph__check_effort(const char *s);   /* 30m, 2h, 1d (the level-2 register) */

/* ---- backfill (apply.c) ---- */

/* Fill register `name` (of tasks when task, else of nodes), just added by a
 * migration, from the payloads of the ops this replica applied while it did
 * not have it: every applied create or set that carries the field is
 * written again through the same last-writer-wins rule, in HLC order, so the
 * column ends as it would be had it always existed. Values this build finds
 * invalid are skipped, as an unknown field would be. Inside the migration's
 * transaction. */
int heph__backfill_register(heph_store *s, int task, const char *name);

#endif
