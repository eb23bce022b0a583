/* store.c — the connection, its statement cache, transactions and settings.
 *
 * Checkpoints. A heph command is a short process, and SQLite's habit of
 * checkpointing and deleting the WAL when the last connection closes cost
 * every command four fsyncs and the creation and removal of two files (most
 * of `heph task`). Instead the WAL stays between processes: a connection
 * checkpoints (TRUNCATE) as it closes only when its own commits left the WAL
 * at HEPH_WAL_CLOSE_FRAMES frames or more, and a long-lived connection
 * checkpoints as SQLite would by default, every HEPH_WAL_AUTO_FRAMES. The
 * WAL is kept small because each new process reads all of it (WAL recovery)
 * on open when it is the only one attached. synchronous = FULL: every
 * commit syncs the WAL before it returns, so a change a command reported
 * (or a push the hub answered) survives a power cut, not only a crash of a
 * process. It costs one fsync per write transaction (about 0.3 ms on the
 * machine the figures in docs/explanation/performance.md come from); bulk
 * paths (apply, a pull page, an import) are one transaction each.
 *
 * Invariants:
 *  - The HLC lives in meta('hlc'). It is read when the outermost transaction
 *    begins (under BEGIN IMMEDIATE, so no other process can move it) and
 *    written back at commit if it moved. A rollback forgets it.
 *  - Nothing writes to a database whose user_version is newer than ours.
 */
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HEPH_WAL_CLOSE_FRAMES 128   /* checkpoint on close past this (512 KiB) */
#define HEPH_WAL_AUTO_FRAMES 1000   /* SQLite's default auto-checkpoint */

static int64_t real_clock(void *ctx)
{
	(void)ctx;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

sqlite3_stmt *heph__stmt(heph_store *s, const char *sql)
{
	size_t h = ((uintptr_t)sql >> 3) % HEPH_STMT_CACHE;
	for (size_t n = 0; n < HEPH_STMT_CACHE; n++, h = (h + 1) % HEPH_STMT_CACHE) {
		struct stmt_slot *slot = &s->cache[h];
		if (slot->sql == sql) {
			sqlite3_reset(slot->stmt);
			sqlite3_clear_bindings(slot->stmt);
			return slot->stmt;
		}
		if (!slot->sql) {
			int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
						    &slot->stmt, NULL);
			if (rc != SQLITE_OK) {
				heph__sqlerr(s, rc, "prepare");
				return NULL;
			}
			slot->sql = sql;
			return slot->stmt;
		}
	}
	/* The cache is sized well above the number of statements in libheph. */
	heph_error_set(HEPH_ERROR, "statement cache full");
	return NULL;
}

int heph__sqlerr(heph_store *s, int rc, const char *what)
{
	const char *m = s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
	int sys = s && s->db ? sqlite3_system_errno(s->db) : 0;
	/* A full disk often surfaces as an I/O error (growing the WAL index,
	 * syncing); the operating system's errno says what it was. */
	if ((rc & 0xff) == SQLITE_IOERR && (sys == ENOSPC || sys == EDQUOT || sys == EFBIG))
		return heph_error_set(HEPH_EREADONLY, "disk full: nothing was written (%s)", strerror(sys));
	if ((rc & 0xff) == SQLITE_IOERR && (sys == EROFS || sys == EACCES || sys == EPERM))
		return heph_error_set(HEPH_EREADONLY, "cannot write the database: %s", strerror(sys));
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return heph_error_set(HEPH_EBUSY, "database is locked by another process (%s)", m);
	case SQLITE_FULL:
		return heph_error_set(HEPH_EREADONLY, "disk full: nothing was written (%s)", m);
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_CANTOPEN:
		return heph_error_set(HEPH_EREADONLY, "cannot write the database: %s", m);
	default:
		return heph_error_set(HEPH_ERROR, "%s: %s", what, m);
	}
}

int heph__exec(heph_store *s, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &err);
	if (rc != SQLITE_OK) {
		int code = heph__sqlerr(s, rc, "sql");
		sqlite3_free(err);
		return code;
	}
	return 0;
}

int heph__step_done(heph_store *s, sqlite3_stmt *st)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : heph__sqlerr(s, rc, "step");
}

void heph__bind_str(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

char *heph__col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? strdup((const char *)t) : NULL;
}

_Static_assert(HEPH_STORE_CACHE_KB == 65536, "the PRAGMA below spells it out");

void heph__cache_bulk(heph_store *s)
{
	if (s->cache_kb >= HEPH_STORE_CACHE_KB)
		return;
	/* Only a hint: on failure the work goes on with the smaller cache. */
	if (heph__exec(s, "PRAGMA cache_size = -65536") == 0)
		s->cache_kb = HEPH_STORE_CACHE_KB;
}

int heph__text_of(heph_store *s, const char *sql, const char *key, char **out, int *found, const char *what)
{
	sqlite3_stmt *st = heph__stmt(s, sql);
	*out = NULL;
	if (found)
		*found = 0;
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, key);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = heph__col_dup(st, 0);
		if (found)
			*found = 1;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : heph__sqlerr(s, rc, what);
}

char *heph__node_body(heph_store *s, const char *id)
{
	char *b;
	heph__text_of(s, "SELECT body FROM nodes WHERE id = ?1", id, &b, NULL, "reading a body");
	return b;
}

static void set_today(heph_store *s, const heph_store_opts *o)
{
	if (o && o->today) {
		snprintf(s->today, sizeof s->today, "%s", o->today);
		s->today_fixed = 1;
		return;
	}
	time_t t = (time_t)(s->clock(s->clock_ctx) / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(s->today, sizeof s->today, "%Y-%m-%d", &tm);
}

static int read_user_version(heph_store *s, int *out)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return heph__sqlerr(s, rc, "reading the schema version");
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return heph__sqlerr(s, rc, "reading the schema version");
	return 0;
}

static int load_origin(heph_store *s)
{
	sqlite3_stmt *st = heph__stmt(s, "SELECT value FROM meta WHERE key = 'origin'");
	if (!st)
		return HEPH_ERROR;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(s->origin, sizeof s->origin, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (rc != SQLITE_ROW || !heph_origin_valid(s->origin))
		return heph_error_set(HEPH_ERROR, "database has no valid device origin in meta");
	return 0;
}

/* Replaces SQLite's auto-checkpoint hook: the same policy, and it remembers
 * the size of the WAL for heph_store_close(). */
static int wal_hook(void *ctx, sqlite3 *db, const char *name, int frames)
{
	((heph_store *)ctx)->wal_frames = frames;
	if (frames >= HEPH_WAL_AUTO_FRAMES)
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

/* Memory statistics cost a global mutex on every SQLite allocation; we
 * never read them. (Refused, harmlessly, if SQLite is already in use.) */
static void configure_sqlite(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int heph_store_open(const char *path, const heph_store_opts *opts, heph_store **out)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, configure_sqlite);
	heph_store *s = calloc(1, sizeof *s);
	int rc, err = 0, version = 0;
	*out = NULL;
	if (!s)
		abort();
	s->path = strdup(path);
	s->clock = opts && opts->clock ? opts->clock : real_clock;
	s->clock_ctx = opts ? opts->clock_ctx : NULL;
	s->max_drift_ms = opts && opts->max_drift_ms > 0 ? opts->max_drift_ms
							 : HEPH_HLC_DEFAULT_MAX_DRIFT_MS;
	set_today(s, opts);

	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	if (!(opts && opts->no_create))
		flags |= SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &s->db, flags, NULL);
	if (rc != SQLITE_OK) {
		err = heph_error_set(rc == SQLITE_CANTOPEN ? HEPH_ENOTFOUND : HEPH_ERROR,
				     "cannot open database %s: %s", path,
				     s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 0);
	/* Before anything reads the file: closing must not write to a database
	 * we refuse (see the checkpoint note at the top). */
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_wal_hook(s->db, wal_hook, s);

	sqlite3_busy_timeout(s->db, opts && opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms : 5000);

	/* Check the version before anything can write to the file. */
	if ((err = read_user_version(s, &version)))
		goto fail;
	if ((err = heph__schema_check(s, path, version)))
		goto fail;
	/* journal_mode is a property of the file, set once when it is created;
	 * the rest are per connection. secure_delete (on in Debian's build)
	 * would overwrite every deleted cell with zeros: nothing heph deletes
	 * is secret, and the op-log keeps every value anyway. (A memory map
	 * for reads, PRAGMA mmap_size, was measured and left out: it made the
	 * long lists a little faster but `heph task` and `heph project list`
	 * slower, mapping and unmapping pages at every process.) */
	char cache[64];
	s->cache_kb = opts && opts->cache_kb > 0 ? opts->cache_kb : HEPH_STORE_CACHE_KB;
	snprintf(cache, sizeof cache, "PRAGMA cache_size = -%d", s->cache_kb);
	if ((version < heph_schema_version() && (err = heph__exec(s, "PRAGMA journal_mode = WAL"))) ||
	    (err = heph__exec(s, "PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY;"
				 "PRAGMA secure_delete = OFF")) ||
	    (err = heph__exec(s, cache)))
		goto fail;

	if (version < heph_schema_version() && (err = heph__migrate(s)))
		goto fail;
	if ((err = load_origin(s)) || (err = heph__replay_unknown(s)))
		goto fail;
	*out = s;
	return 0;
fail:
	heph_store_close(s);
	return err;
}

void heph_store_close(heph_store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < HEPH_STMT_CACHE; i++)
		if (s->cache[i].stmt)
			sqlite3_finalize(s->cache[i].stmt);
	if (s->db && s->wal_frames >= HEPH_WAL_CLOSE_FRAMES) {
		/* Never wait for this: if another connection is reading, the
		 * checkpoint is left to a later close or to the auto-checkpoint. */
		sqlite3_busy_timeout(s->db, 0);
		sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	}
	if (s->db)
		sqlite3_close(s->db);
	free(s->path);
	free(s);
}

const char *heph_store_origin(heph_store *s) { return s->origin; }
const char *heph_store_path(heph_store *s) { return s->path; }
int64_t heph_store_now_ms(heph_store *s) { return s->clock(s->clock_ctx); }
const char *heph_store_today(heph_store *s)
{
	if (s->today_call[0])
		return s->today_call;
	if (!s->today_fixed)
		set_today(s, NULL);
	return s->today;
}

int heph_store_override_today(heph_store *s, const char *today)
{
	if (!today) {
		s->today_call[0] = '\0';
		return 0;
	}
	if (heph__check_date(today))
		return heph_error_set(HEPH_EINVALID, "today must be a date as YYYY-MM-DD, not \"%.40s\"", today);
	snprintf(s->today_call, sizeof s->today_call, "%s", today);
	return 0;
}

static int load_hlc(heph_store *s)
{
	sqlite3_stmt *st = heph__stmt(s, "SELECT value FROM meta WHERE key = 'hlc'");
	if (!st)
		return HEPH_ERROR;
	int rc = sqlite3_step(st), err = 0;
	if (rc == SQLITE_ROW)
		err = heph_hlc_parse((const char *)sqlite3_column_text(st, 0), &s->hlc);
	else {
		memset(&s->hlc, 0, sizeof s->hlc);
		memcpy(s->hlc.origin, s->origin, sizeof s->origin);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return heph__sqlerr(s, rc, "reading the clock");
	/* The stored clock always carries this device's origin. */
	memcpy(s->hlc.origin, s->origin, sizeof s->origin);
	s->hlc_dirty = 0;
	return err;
}

int heph_store_begin(heph_store *s)
{
	int err;
	if (s->depth > 0) {
		if ((err = heph__exec(s, "SAVEPOINT nested")))
			return err;
		s->depth++;
		return 0;
	}
	if ((err = heph__exec(s, "BEGIN IMMEDIATE")))
		return err;
	s->depth = 1;
	s->change_first = s->change_last = s->change_undoes = 0;
	s->any_deferred = -1;
	if ((err = load_hlc(s))) {
		heph_store_rollback(s);
		return err;
	}
	return 0;
}

int heph_store_commit(heph_store *s)
{
	int err;
	if (s->depth <= 0)
		return heph_error_set(HEPH_ERROR, "commit without a transaction");
	if (s->depth > 1) {
		if ((err = heph__exec(s, "RELEASE nested")))
			return err;
		s->depth--;
		return 0;
	}
	if (heph__search_sync(s))
		goto fail;
	if (s->hlc_dirty) {
		char text[HEPH_HLC_LEN + 1];
		heph_hlc_format(&s->hlc, text);
		sqlite3_stmt *st = heph__stmt(s, "INSERT INTO meta(key, value) VALUES('hlc', ?1) "
						 "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
		if (!st)
			goto fail;
		heph__bind_str(st, 1, text);
		if (heph__step_done(s, st))
			goto fail;
	}
	if ((err = heph__exec(s, "COMMIT")))
		goto fail_err;
	s->depth = 0;
	s->hlc_dirty = 0;
	return 0;
fail:
	err = HEPH_ERROR;
fail_err:
	heph_store_rollback(s);
	return err;
}

void heph_store_rollback(heph_store *s)
{
	if (s->depth <= 0)
		return;
	if (s->depth > 1) {
		sqlite3_exec(s->db, "ROLLBACK TO nested; RELEASE nested", NULL, NULL, NULL);
		s->depth--;
		return;
	}
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->depth = 0;
	s->hlc_dirty = 0;
}

int heph_store_end(heph_store *s, int err)
{
	if (err) {
		heph_store_rollback(s);
		return err;
	}
	return heph_store_commit(s);
}

int heph_store_setting_get(heph_store *s, const char *key, char **out)
{
	return heph__text_of(s, "SELECT value FROM settings WHERE key = ?1", key, out, NULL, "reading a setting");
}

int heph__kv_write(heph_store *s, const char *upsert_sql, const char *delete_sql, const char *key,
		   const char *value)
{
	sqlite3_stmt *st = heph__stmt(s, value ? upsert_sql : delete_sql);
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, key);
	if (value)
		heph__bind_str(st, 2, value);
	return heph__step_done(s, st);
}

int heph_store_setting_set(heph_store *s, const char *key, const char *value)
{
	return heph__kv_write(s, "INSERT INTO settings(key, value) VALUES(?1, ?2) "
				 "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
			      "DELETE FROM settings WHERE key = ?1", key, value);
}

int64_t heph_store_data_version(heph_store *s)
{
	sqlite3_stmt *st = heph__stmt(s, "PRAGMA data_version");
	int64_t v = -1;
	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	if (st)
		sqlite3_reset(st);
	return v;
}
