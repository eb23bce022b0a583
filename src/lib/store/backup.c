/* backup.c — online backups of a heph database, checking a backup, and
 * restoring one (heph/backup.h tells the rules; docs/how-to/
 * back-up-and-restore.md the practice).
 *
 * Every copy goes through SQLite's backup API in one step: the source is
 * read in one read transaction, so the copy is one commit's state, and in
 * WAL mode writers are not held up. A copy is written to NAME.heph-tmp,
 * checked, synced and renamed to NAME: a backup file is whole or absent.
 * Backups are plain rollback-journal files (no -wal or -shm needed), which
 * read-only media can hold and heph can read in place.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "heph/backup.h"

#define COPY_TIMEOUT_MS 30000 /* how long a copy waits out a writer's lock */
#define CHECK_HINT "restore from a file made by heph backup or hephd backup"

static int db_error(sqlite3 *db, int rc, const char *what, const char *path)
{
	if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB)
		return heph_error_set(HEPH_EINVALID, "%s is damaged (%s)", path,
				      db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	return heph_error_set((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED ? HEPH_EBUSY : HEPH_ERROR,
			      "%s %s: %s", what, path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

/* Copy the main database of src into dst in one step (a consistent copy);
 * a lock held by a writer is waited out for up to COPY_TIMEOUT_MS. */
static int copy_db(sqlite3 *dst, sqlite3 *src, const char *what, const char *path)
{
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
	int rc, waited = 0;
	if (!b)
		return db_error(dst, sqlite3_errcode(dst), what, path);
	while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) {
		if (waited >= COPY_TIMEOUT_MS)
			break;
		sqlite3_sleep(20);
		waited += 20;
	}
	int fin = sqlite3_backup_finish(b);
	if (rc == SQLITE_DONE && fin == SQLITE_OK)
		return 0;
	return db_error(dst, rc == SQLITE_DONE ? fin : rc, what, path);
}

/* The first column of the first row of sql, as text into buf ("" if none). */
static int first_text(sqlite3 *db, const char *sql, char *buf, size_t n, const char *path)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	buf[0] = '\0';
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(buf, n, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(db, rc, "cannot read", path);
	return 0;
}

/* Describe a heph database open on db: origin, op count, schema, size. */
static int describe(sqlite3 *db, const char *path, int version, heph_backup_info *info)
{
	char buf[64];
	struct stat sb;
	int err;
	memset(info, 0, sizeof *info);
	info->schema = version;
	if ((err = first_text(db, "SELECT value FROM meta WHERE key = 'origin'", buf, sizeof buf, path)))
		return err;
	if (!heph_origin_valid(buf))
		return heph_error_set(HEPH_EINVALID, "%s has no valid device origin: it is not a whole heph database",
				      path);
	snprintf(info->origin, sizeof info->origin, "%s", buf);
	if ((err = first_text(db, "SELECT count(*) FROM oplog", buf, sizeof buf, path)))
		return err;
	info->ops = strtoll(buf, NULL, 10);
	info->bytes = stat(path, &sb) == 0 ? (int64_t)sb.st_size : 0;
	return 0;
}

static int sync_path(const char *path, int dir)
{
	int fd = open(path, (dir ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

static void dir_of(const char *path, char *out, size_t n)
{
	snprintf(out, n, "%s", path);
	char *slash = strrchr(out, '/');
	if (!slash)
		snprintf(out, n, ".");
	else if (slash == out)
		out[1] = '\0';
	else
		*slash = '\0';
}

/* Copy src's main database to a new file dest (absent), through dest's
 * temporary name; the copy is made a rollback-journal file, checked and
 * synced before the rename. */
static int copy_to_file(sqlite3 *src, const char *dest, const char *what)
{
	char tmp[4096], dir[4096], res[64];
	sqlite3 *db = NULL;
	int err = 0, rc;
	if (snprintf(tmp, sizeof tmp, "%s.heph-tmp", dest) >= (int)sizeof tmp)
		return heph_error_set(HEPH_EINVALID, "the path %.80s... is too long", dest);
	/* A leftover of an interrupted copy to the same name. */
	unlink(tmp);
	rc = sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		err = db_error(db, rc, "cannot create", tmp);
		goto out;
	}
	if ((err = copy_db(db, src, what, dest)))
		goto out;
	if ((rc = sqlite3_exec(db, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL)) != SQLITE_OK) {
		err = db_error(db, rc, "cannot finish", tmp);
		goto out;
	}
	if ((err = first_text(db, "PRAGMA quick_check", res, sizeof res, tmp)))
		goto out;
	if (strcmp(res, "ok") != 0) {
		err = heph_error_set(HEPH_ERROR, "the copy failed SQLite's check (%s); nothing was written to %s", res,
				     dest);
		goto out;
	}
	rc = sqlite3_close(db);
	db = NULL;
	if (rc != SQLITE_OK || sync_path(tmp, 0) != 0) {
		err = heph_error_set(HEPH_ERROR, "cannot write %s: %s", dest, strerror(errno));
		goto out;
	}
	/* link(), not rename(): it fails rather than replace a file that
	 * appeared at dest meanwhile. */
	if (link(tmp, dest) != 0) {
		err = heph_error_set(errno == EEXIST ? HEPH_ECONFLICT : HEPH_ERROR, "cannot write %s: %s", dest,
				     strerror(errno));
		goto out;
	}
	dir_of(dest, dir, sizeof dir);
	sync_path(dir, 1);
out:
	if (db)
		sqlite3_close(db);
	unlink(tmp);
	return err;
}

int heph_backup(heph_store *s, const char *dest, heph_backup_info *info)
{
	int err;
	if (s->depth > 0)
		return heph_error_set(HEPH_ERROR, "a backup cannot be taken inside a transaction");
	if (access(dest, F_OK) == 0)
		return heph_error_set(HEPH_ECONFLICT, "%s exists: a backup never replaces a file (choose a new name)",
				      dest);
	if ((err = copy_to_file(s->db, dest, "cannot copy the database to")))
		return err;
	return info ? heph_backup_check(dest, info) : 0;
}

/* Open path read-only without making anything beside it: immutable when
 * there is no -wal nor -shm (a backup), SQLite's read-only mode otherwise. */
static int open_read_only(const char *path, sqlite3 **db)
{
	char side[4096];
	snprintf(side, sizeof side, "%s-wal", path);
	int wal = access(side, F_OK) == 0;
	snprintf(side, sizeof side, "%s-shm", path);
	int shm = access(side, F_OK) == 0;
	char *uri = heph__file_uri(path, wal || shm ? "mode=ro" : "immutable=1");
	int rc = sqlite3_open_v2(uri, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
	free(uri);
	if (rc != SQLITE_OK)
		return heph_error_set(HEPH_ENOTFOUND, "cannot open %s: %s", path,
				      *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
	return 0;
}

int heph_backup_check(const char *path, heph_backup_info *info)
{
	sqlite3 *db = NULL;
	struct stat sb;
	char res[512];
	int version = 0, err;
	heph_backup_info local;
	if (!info)
		info = &local;
	if (stat(path, &sb) != 0)
		return heph_error_set(HEPH_ENOTFOUND, "cannot read %s: %s", path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return heph_error_set(HEPH_EINVALID, "%s is not a file", path);
	if (sb.st_size == 0)
		return heph_error_set(HEPH_EINVALID, "%s is empty: not a heph backup", path);
	if ((err = open_read_only(path, &db)) || (err = heph__peek_header(db, path, CHECK_HINT)) || (err = heph__file_identity(db, path, CHECK_HINT, &version)))
		goto out;
	if (version == 0) {
		err = heph_error_set(HEPH_EINVALID, "%s is an empty SQLite database, not a heph backup", path);
		goto out;
	}
	if (version > heph_schema_version()) {
		err = heph_error_set(HEPH_ESCHEMA,
				     "%s has schema version %d, newer than this heph (%d) understands; restore it "
				     "with a newer heph", path, version, heph_schema_version());
		goto out;
	}
	if ((err = first_text(db, "PRAGMA integrity_check(1)", res, sizeof res, path)))
		goto out;
	if (strcmp(res, "ok") != 0) {
		err = heph_error_set(HEPH_EINVALID, "%s fails SQLite's integrity check: %s", path, res);
		goto out;
	}
	err = describe(db, path, version, info);
out:
	sqlite3_close(db);
	return err;
}

static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int heph_restore(const char *db_path, const char *src, heph_restore_info *info)
{
	heph_restore_info local;
	heph_store *s = NULL;
	sqlite3 *from = NULL, *tmpdb = NULL;
	char tmp[4096];
	struct stat sb;
	int err, rc;
	if (!info)
		info = &local;
	memset(info, 0, sizeof *info);
	if ((err = heph_backup_check(src, &info->from)))
		return err;
	if (same_file(src, db_path))
		return heph_error_set(HEPH_EINVALID, "%s is the database itself: restore from a copy", src);
	if (snprintf(tmp, sizeof tmp, "%s.restore-tmp", db_path) >= (int)sizeof tmp)
		return heph_error_set(HEPH_EINVALID, "the path %.80s... is too long", db_path);
	int existed = stat(db_path, &sb) == 0 && sb.st_size > 0;

	/* The backup, with a new origin, in a file of its own first: what goes
	 * into the database then is one transaction. */
	unlink(tmp);
	if ((err = open_read_only(src, &from)))
		goto out;
	rc = sqlite3_open_v2(tmp, &tmpdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		err = db_error(tmpdb, rc, "cannot create", tmp);
		goto out;
	}
	if ((err = copy_db(tmpdb, from, "cannot read the backup", src)))
		goto out;
	if ((err = heph__new_origin(info->origin)))
		goto out;
	sqlite3_stmt *st;
	rc = sqlite3_prepare_v2(tmpdb, "UPDATE meta SET value = ?1 WHERE key = 'origin'", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, info->origin, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
	}
	if (rc != SQLITE_DONE) {
		err = db_error(tmpdb, rc, "cannot give a new origin to", tmp);
		goto out;
	}

	/* The database that is replaced: opened as heph opens it (a foreign
	 * file is refused, a missing one created), and kept. */
	if ((err = heph_store_open(db_path, NULL, &s)))
		goto out;
	if (existed) {
		char when[32];
		time_t t = time(NULL);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(when, sizeof when, "%Y%m%dT%H%M%SZ", &tm);
		/* A second restore within the same second gets -2, -3, ... */
		snprintf(info->kept, sizeof info->kept, "%s.replaced-%s", db_path, when);
		for (int n = 2; access(info->kept, F_OK) == 0 && n < 100; n++)
			snprintf(info->kept, sizeof info->kept, "%s.replaced-%s-%d", db_path, when, n);
		if ((err = heph_backup(s, info->kept, NULL))) {
			info->kept[0] = '\0';
			goto out;
		}
	}
	if ((err = copy_db(s->db, tmpdb, "cannot write the backup into", db_path)))
		goto out;
	/* The database stays in WAL mode whatever the backup's mode was. */
	if ((rc = sqlite3_exec(s->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL)) != SQLITE_OK)
		err = db_error(s->db, rc, "cannot set WAL mode on", db_path);
out:
	heph_store_close(s);
	sqlite3_close(tmpdb);
	sqlite3_close(from);
	unlink(tmp);
	return err;
}
