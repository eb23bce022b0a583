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
 *  - Nothing writes to a database whose user_version is newer than ours,
 *    nor to a file that is not heph's: heph_store_open() accepts only a new,
 *    empty file or a heph database (PRAGMA application_id HEPH_APPLICATION_ID,
 *    or, from before migration 10 set it, a user_version and heph's tables),
 *    and refuses anything else before it writes a byte.
 *  - A database whose file or directory refuses writes (a backup on
 *    read-only media) is opened read-only, immutable when there is no -wal
 *    or -shm beside it: reads work, every write fails with HEPH_EREADONLY.
 */
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HEPH_WAL_CLOSE_FRAMES 128   /* checkpoint on close past this (512 KiB) */
#define HEPH_WAL_AUTO_FRAMES 1000   /* SQLite's default auto-checkpoint */
#define OPEN_HINT "point --db or $HEPH_DB at a heph database, or at a new file to start one"

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
	return heph__db_err(s ? s->db : NULL, rc, what);
}

int heph__db_err(sqlite3 *db, int rc, const char *what)
{
	const char *m = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	int sys = db ? sqlite3_system_errno(db) : 0;
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

int heph__row(heph_store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : heph__sqlerr(s, rc, "step");
}

int heph__step_done(heph_store *s, sqlite3_stmt *st)
{
	int rc;
	while ((rc = heph__row(s, st)) > 0)
		;
	return rc;
}

int heph__reaches(heph_store *s, const char *sql, const char *from, const char *to, int *yes)
{
	sqlite3_stmt *st = heph__stmt(s, sql);
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, from);
	heph__bind_str(st, 2, to);
	int rc = heph__row(s, st);
	sqlite3_reset(st);
	*yes = rc > 0;
	return rc < 0 ? rc : 0;
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

int heph__texts_of(heph_store *s, const char *sql, const char *key, json_t **out)
{
	sqlite3_stmt *st = heph__stmt(s, sql);
	int rc;
	*out = NULL;
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, key);
	json_t *arr = json_array();
	while ((rc = heph__row(s, st)) > 0)
		json_array_append_new(arr, json_string((const char *)sqlite3_column_text(st, 0)));
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return 0;
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

/* What the file says of itself, read through SQLite (and so through the WAL):
 * its schema version, its application id, how many schema objects it holds
 * and how many of heph's first three tables. */
struct identity {
	int version;       /* PRAGMA user_version */
	uint32_t app_id;   /* PRAGMA application_id */
	int objects;       /* rows of sqlite_master */
	int heph_tables;   /* of meta, nodes and oplog */
};

static int read_identity(sqlite3 *db, const char *path, struct identity *id)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db,
				    "SELECT (SELECT user_version FROM pragma_user_version),"
				    " (SELECT application_id FROM pragma_application_id),"
				    " (SELECT count(*) FROM sqlite_master),"
				    " (SELECT count(*) FROM sqlite_master WHERE type = 'table'"
				    "   AND name IN ('meta', 'nodes', 'oplog'))",
				    -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		id->version = sqlite3_column_int(st, 0);
		id->app_id = (uint32_t)sqlite3_column_int(st, 1);
		id->objects = sqlite3_column_int(st, 2);
		id->heph_tables = sqlite3_column_int(st, 3);
	}
	sqlite3_finalize(st);
	if ((rc & 0xff) == SQLITE_NOTADB)
		return heph_error_set(HEPH_EINVALID,
				      "%s is not an SQLite database, so not a heph one; heph did not change it "
				      "(check --db or $HEPH_DB)", path);
	if ((rc & 0xff) == SQLITE_CORRUPT)
		return heph_error_set(HEPH_EINVALID, "%s is damaged (%s); heph did not change it", path,
				      sqlite3_errmsg(db));
	if (rc != SQLITE_ROW)
		return heph__db_err(db, rc, "reading the schema version");
	return 0;
}

/* Refuse, before anything writes, a file that is neither new and empty nor
 * a heph database: heph's application id, or (a database from before
 * migration 10 set it) a user_version and heph's tables. */
static int check_identity(const char *path, const struct identity *id, const char *hint)
{
	if (id->app_id == HEPH_APPLICATION_ID)
		return 0;
	if (id->app_id != 0)
		return heph_error_set(HEPH_EINVALID,
				      "%s is the SQLite database of another program (application id 0x%08x), "
				      "not a heph database; heph did not change it (%s)", path, (unsigned)id->app_id, hint);
	if (id->objects == 0 && id->version == 0)
		return 0; /* new and empty */
	if (id->version > 0 && id->heph_tables == 3)
		return 0; /* heph's, from before the application id */
	return heph_error_set(HEPH_EINVALID,
			      "%s is an SQLite database that is not heph's (%d schema objects, user_version %d, "
			      "no heph application id); heph did not change it (%s)", path, id->objects, id->version,
			      hint);
}

/* The file's first 100 bytes (https://sqlite.org/fileformat.html), read
 * through the file SQLite opened, before any statement runs, so that a file
 * marked as another program's is refused before SQLite reads it as a
 * database (no lock taken, no -wal or -shm made beside it):
 *
 *   offset  size  field
 *        0    16  "SQLite format 3\0"
 *       60     4  user_version, big-endian
 *       68     4  application_id, big-endian
 *
 * Read through SQLite's own file, never a descriptor of our own: closing a
 * second descriptor of the file would drop the POSIX locks that the other
 * connections of this process (hephd's threads) hold on it.
 * The header of a heph database may still show 0 for the id while the page
 * that sets it is in the WAL, so only a foreign id or a foreign format is
 * decided here. */
int heph__peek_header(sqlite3 *db, const char *path, const char *hint)
{
	unsigned char h[100];
	sqlite3_file *f = NULL;
	sqlite3_int64 size = 0;
	if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK || !f || !f->pMethods ||
	    f->pMethods->xFileSize(f, &size) != SQLITE_OK)
		return 0; /* SQLite says what is wrong when it reads */
	if (size == 0)
		return 0; /* empty: a new database */
	memset(h, 0, sizeof h);
	if (size < (sqlite3_int64)sizeof h || f->pMethods->xRead(f, h, sizeof h, 0) != SQLITE_OK ||
	    memcmp(h, "SQLite format 3", 16) != 0)
		return heph_error_set(HEPH_EINVALID,
				      "%s is not an SQLite database, so not a heph one; heph did not change it (%s)",
				      path, hint);
	uint32_t app = (uint32_t)h[68] << 24 | (uint32_t)h[69] << 16 | (uint32_t)h[70] << 8 | h[71];
	if (app != 0 && app != HEPH_APPLICATION_ID) {
		struct identity id = { .app_id = app };
		return check_identity(path, &id, hint);
	}
	return 0;
}

int heph__file_identity(sqlite3 *db, const char *path, const char *hint, int *version)
{
	struct identity id = { 0 };
	int err = read_identity(db, path, &id);
	if (!err)
		err = check_identity(path, &id, hint);
	*version = id.version;
	return err;
}

static int exists(const char *path, const char *suffix)
{
	char p[4096];
	snprintf(p, sizeof p, "%s%s", path, suffix);
	return access(p, F_OK) == 0;
}

static int refused(void) { return errno == EROFS || errno == EACCES || errno == EPERM; }

/* Whether an existing database must be opened read-only: its file refuses
 * writes (read-only media, permissions, immutable), or its directory does
 * and there is no -wal beside it, which a connection in WAL mode needs. */
static int writes_refused(const char *path, int wal)
{
	if (access(path, F_OK) != 0)
		return 0;
	if (access(path, W_OK) != 0 && refused())
		return 1;
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	return !wal && access(dir, W_OK) != 0 && refused();
}

char *heph__file_uri(const char *path, const char *query)
{
	size_t n = strlen(path);
	char *u = malloc(3 * n + strlen(query) + 16);
	if (!u)
		abort();
	char *p = u + sprintf(u, "file:");
	for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		    strchr("/-._~", *c))
			*p++ = (char)*c;
		else
			p += sprintf(p, "%%%02X", *c);
	}
	sprintf(p, "?%s", query);
	return u;
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

	int wal = exists(path, "-wal"), shm = exists(path, "-shm");
	s->read_only = writes_refused(path, wal);
	if (s->read_only) {
		/* No -wal nor -shm and no way to make them (a backup on read-only
		 * media): immutable, so SQLite reads the file alone and locks
		 * nothing. Otherwise SQLite's read-only WAL mode. */
		char *uri = heph__file_uri(path, wal || shm ? "mode=ro" : "immutable=1");
		rc = sqlite3_open_v2(uri, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
		free(uri);
	} else {
		int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
		if (!(opts && opts->no_create))
			flags |= SQLITE_OPEN_CREATE;
		rc = sqlite3_open_v2(path, &s->db, flags, NULL);
	}
	if (rc != SQLITE_OK) {
		err = heph_error_set(rc == SQLITE_CANTOPEN ? HEPH_ENOTFOUND : HEPH_ERROR,
				     "cannot open database %s: %s", path,
				     s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 0);
	/* A file that is not heph's is refused before SQLite reads it, where
	 * its header says so, and otherwise before anything can write to it. */
	if ((err = heph__peek_header(s->db, path, OPEN_HINT)))
		goto fail;
	/* Before anything reads the file: closing must not write to a database
	 * we refuse (see the checkpoint note at the top). */
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_wal_hook(s->db, wal_hook, s);

	s->busy_ms = opts && opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms : 5000;
	sqlite3_busy_timeout(s->db, s->busy_ms);

	/* Check what the file is before anything can write to it. */
	if ((err = heph__file_identity(s->db, path, OPEN_HINT, &version)) || (err = heph__schema_check(s, path, version))) {
		/* Reading a database in WAL mode made a -wal and a -shm beside
		 * it. If none was there before, the WAL is empty: let SQLite's
		 * close remove both, as it does after its last connection. */
		if (!wal && s->db)
			sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, NULL);
		goto fail;
	}
	if (s->read_only && !heph__schema_readable(version)) {
		err = heph_error_set(HEPH_EREADONLY,
				     "database %s is read-only and has schema version %d, older than this heph's "
				     "(%d): copy it somewhere writable, where heph upgrades it as it opens it "
				     "(the file was not changed)", path, version, heph_schema_version());
		goto fail;
	}
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
	int migrate = version < heph_schema_version() && !s->read_only;
	if ((migrate && (err = heph__exec(s, "PRAGMA journal_mode = WAL"))) ||
	    (err = heph__exec(s, "PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY;"
				 "PRAGMA secure_delete = OFF")) ||
	    (err = heph__exec(s, cache)))
		goto fail;

	if (migrate && (err = heph__migrate(s)))
		goto fail;
	/* A read-only store cannot apply what an older version left unapplied;
	 * it reads the state as it is. */
	if ((err = load_origin(s)) || (!s->read_only && (err = heph__replay_unknown(s))))
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
	if (s->read_only)
		return heph_error_set(HEPH_EREADONLY,
				      "cannot write the database %s: it is read-only (its file or its directory "
				      "refuses writes); nothing was changed", s->path);
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
	if ((s->batch && heph__batch_end(s)) || heph__search_sync(s))
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
	s->batch = s->parents_dirty = 0;
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
