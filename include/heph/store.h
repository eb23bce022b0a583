/* heph/store.h — opening a heph database and running transactions on it.
 *
 * libheph is the only code that opens the database. A store is one SQLite
 * connection in WAL mode with a busy timeout; several processes may open the
 * same file, and each local change (op append + apply, the HLC read-modify-
 * write included) runs inside one BEGIN IMMEDIATE transaction, which is the
 * whole of the coordination between them.
 *
 * A store handle belongs to one thread at a time.
 * Ownership: heph_store_open() gives the caller a store that it frees with
 * heph_store_close(). Strings returned by accessors are borrowed and live
 * until heph_store_close().
 */
#ifndef HEPH_STORE_H
#define HEPH_STORE_H

#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct heph_store heph_store;

/* Wall clock in ms since the epoch; injected so tests never sleep. */
typedef int64_t (*heph_clock_fn)(void *ctx);

/* Zero-initialised options mean the defaults. */
typedef struct heph_store_opts {
	heph_clock_fn clock;    /* NULL: the system's real-time clock */
	void *clock_ctx;        /* passed to clock */
	int64_t max_drift_ms;   /* 0: HEPH_HLC_DEFAULT_MAX_DRIFT_MS */
	const char *today;      /* "YYYY-MM-DD" fixing today's date (HEPH_NOW); NULL: the clock's local date */
	int busy_timeout_ms;    /* 0: 5000 */
	int no_create;          /* refuse to create a missing database file */
	int cache_kb;           /* SQLite page cache of this connection, KiB; 0: HEPH_STORE_CACHE_KB */
} heph_store_opts;

/* The page cache of a connection that is not told otherwise, KiB: right
 * for a long-lived process (hephd, heph-tui) and for bulk writes. */
#define HEPH_STORE_CACHE_KB 65536

/* Open (creating and migrating as needed) the database at path.
 * Fails with HEPH_ESCHEMA, leaving the file untouched, when the database's
 * schema version is newer than this binary knows. Ops of types this binary
 * knows but that an older version stored without applying are applied here,
 * in HLC order. */
int heph_store_open(const char *path, const heph_store_opts *opts, heph_store **out);

/* Open path as heph's programs do: the directories above it made (mode
 * 0700) as needed, today fixed by $HEPH_NOW (YYYY-MM-DD, or a date and time
 * starting so) when it is set (HEPH_EUSAGE when it is malformed), and a
 * page cache of cache_kb KiB (0: HEPH_STORE_CACHE_KB). */
int heph_store_open_env(const char *path, int cache_kb, heph_store **out);

/* The database a program uses when not told: $HEPH_DB, else
 * $XDG_DATA_HOME/heph/heph.db, else ~/.local/share/heph/heph.db. Malloc'd. */
char *heph_default_db_path(void);

/* The command line of a small front end (heph-tui, heph-capture): --db PATH
 * (or --db=PATH) into *db (malloc'd; the default database when not given),
 * --help/-h (usage(stdout)), --version, and the front end's own flags, each
 * of which either sets *flag to 1 or, with act, runs act and exits 0.
 * Returns -1 when the program goes on, else the exit status it ends with
 * (an unknown argument is a usage error, said on stderr). */
typedef struct heph_front_flag {
	const char *name; /* "--dump"; NULL ends the table */
	int *flag;
	void (*act)(void);
} heph_front_flag;
int heph_front_args(const char *prog, int argc, char **argv, const heph_front_flag *own,
		    void (*usage)(FILE *f), char **db);

/* Make the directories above path (mode 0700); 0, or -1 with errno. */
int heph_mkdirs(const char *path);

/* Close and free; accepts NULL. */
void heph_store_close(heph_store *s);

/* The schema version this binary migrates databases to. */
int heph_schema_version(void);

/* This build's version ("0.1.0"; a build at a feature level above 1 says so,
 * "0.1.0+fl2") and feature level (docs/explanation/data-evolution.md).
 * Static storage. */
const char *heph_version(void);
int heph_feature_level(void);

/* This device's origin id (16 hex digits), created with the database. */
const char *heph_store_origin(heph_store *s);
const char *heph_store_path(heph_store *s);

/* Now, per the injected clock. */
int64_t heph_store_now_ms(heph_store *s);

/* Today's date as "YYYY-MM-DD": the override below if set, else opts.today,
 * else the clock's local date (read again on each call, so a long-running
 * hub turns the day at midnight). Valid until the next call. */
const char *heph_store_today(heph_store *s);

/* Take today to be the given "YYYY-MM-DD" until called with NULL: a caller
 * on another device (the web app) says which day its date words mean.
 * HEPH_EINVALID for anything but a real date. */
int heph_store_override_today(heph_store *s, const char *today);

/* Transactions. The outermost begin is BEGIN IMMEDIATE; nested begins are
 * savepoints. Every local change must happen between begin and commit. */
int heph_store_begin(heph_store *s);
int heph_store_commit(heph_store *s);
void heph_store_rollback(heph_store *s);
/* Commit when err is 0, else roll back; err, or the commit's error. */
int heph_store_end(heph_store *s, int err);

/* Device-local settings (never synced). get returns a malloc'd copy or NULL
 * in *out; set with value NULL deletes. */
int heph_store_setting_get(heph_store *s, const char *key, char **out);
int heph_store_setting_set(heph_store *s, const char *key, const char *value);

/* A counter that changes whenever another connection commits to the
 * database (PRAGMA data_version); for surfaces that refresh by themselves. */
int64_t heph_store_data_version(heph_store *s);

#ifdef __cplusplus
}
#endif
#endif
