/* rpc_health.c — `health`: whether this device is fine, as a list of checks.
 *
 * Each check is {name, status, detail, fix}: status is "ok", "warning" or
 * "error", detail says what was found, fix is the command that mends it
 * (null when nothing is to be done). The result is {status, checks}, where
 * status is the worst of the checks'. The checks, in order:
 *
 *   database   PRAGMA quick_check of the file
 *   schema     the database's user_version against this build's migrations
 *   daemon     whether a hephd serves this database (the host says so)
 *   hub        the hub set, the last sync's outcome and its age, auth
 *   push       ops made here and not yet on the hub
 *   conflicts  losing values of concurrent edits waiting to be settled
 *   unapplied  ops held of types this version cannot apply, ops deferred
 *   clock      this device's clock against the hub's, as seen at the last pull
 *
 * The hub's facts are those of the last sync attempt (sync.status); health
 * makes no network call of its own, so it answers offline and at once.
 * database: false leaves out the file check, whose cost grows with the
 * database (the TUI's status line asks that way on every refresh).
 */
#include "rpc_internal.h"

#include "heph/sync.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STALE_SYNC_S (24 * 3600) /* a last success older than this is a warning */
#define SKEW_WARN_MS 60000       /* clock skew with the hub that is a warning */
#define SKEW_ERROR_MS 600000     /* ... and an error (an op would be refused past the drift bound) */

enum { OK, WARNING, ERROR };
static const char *const level_name[] = { "ok", "warning", "error" };

/* Append one check to arr; fmt words the detail. */
static int add(json_t *arr, const char *name, int level, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int add(json_t *arr, const char *name, int level, const char *fix, const char *fmt, ...)
{
	char detail[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s?}", "name", name, "status", level_name[level],
					     "detail", detail, "fix", fix));
	return level;
}

/* remote: the caller is on another machine, and is not told where the file lives. */
static int check_database(heph_store *s, int remote, json_t *arr)
{
	sqlite3_stmt *st = heph__stmt(s, "PRAGMA quick_check(5)");
	char first[400] = "";
	int rc, lines = 0;
	if (!st)
		return add(arr, "database", ERROR, "restore a backup, or sync a new database: heph --db NEW sync",
			   "cannot run quick_check: %s", heph_error_last());
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		size_t used = strlen(first);
		lines++;
		if (!t || strncmp(t, "*** in database", 15) == 0)
			continue;
		snprintf(first + used, sizeof first - used, "%s%s", used ? "; " : "", t);
	}
	for (char *p = first; *p; p++)
		if (*p == '\n')
			*p = ' '; /* one line per check */
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return add(arr, "database", ERROR, "restore a backup, or sync a new database: heph --db NEW sync",
			   "quick_check failed: %s", sqlite3_errstr(rc));
	if (lines == 1 && strcmp(first, "ok") == 0)
		return remote ? add(arr, "database", OK, NULL, "quick_check ok")
			      : add(arr, "database", OK, NULL, "quick_check ok (%s)", heph_store_path(s));
	return add(arr, "database", ERROR, "restore a backup, or sync a new database: heph --db NEW sync",
		   "quick_check found damage: %s", first);
}

static int check_schema(heph_store *s, json_t *arr)
{
	sqlite3_stmt *st = heph__stmt(s, "PRAGMA user_version");
	long long v = -1;
	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	if (st)
		sqlite3_reset(st);
	if (v == heph_schema_version())
		return add(arr, "schema", OK, NULL, "schema %lld, this heph's", v);
	if (v > heph_schema_version())
		return add(arr, "schema", ERROR, "upgrade heph", "schema %lld is newer than this heph's %d", v,
			   heph_schema_version());
	return add(arr, "schema", ERROR, "run any heph command to migrate it", "schema %lld, older than this heph's %d",
		   v, heph_schema_version());
}

/* Seconds since an ISO 8601 UTC time as sync writes it; -1 if unreadable. */
static long long age_s(heph_store *s, const char *iso)
{
	struct tm tm = { 0 };
	if (!iso || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
			   &tm.tm_min, &tm.tm_sec) != 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	long long d = heph_store_now_ms(s) / 1000 - (long long)timegm(&tm);
	return d < 0 ? 0 : d;
}

static void words_of(long long sec, char *out, size_t n)
{
	if (sec < 120)
		snprintf(out, n, "%lld s ago", sec);
	else if (sec < 7200)
		snprintf(out, n, "%lld min ago", sec / 60);
	else if (sec < 3 * 86400)
		snprintf(out, n, "%lld h ago", sec / 3600);
	else
		snprintf(out, n, "%lld days ago", sec / 86400);
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int check_sync(heph_store *s, const json_t *st, json_t *arr)
{
	const char *hub = str(st, "hub"), *last_ok = str(st, "last_success"), *err = str(st, "last_error");
	const char *name = str(st, "last_error_name"), *from = str(st, "last_error_from");
	int is_hub = json_is_string(json_object_get(st, "role"));
	const json_t *dm = json_object_get(st, "daemon");
	long long pending = json_integer_value(json_object_get(st, "pending_push"));
	int worst = OK, l;
	char ago[64];

	/* daemon */
	if (json_is_object(dm))
		l = add(arr, "daemon", OK, NULL, "hephd pid %lld serves this database",
			(long long)json_integer_value(json_object_get(dm, "pid")));
	else if (is_hub)
		l = add(arr, "daemon", OK, NULL, "this is the hub (hephd --mode server)");
	else if (hub)
		l = add(arr, "daemon", WARNING, "heph daemon start",
			"no hephd serves this database: changes reach the hub only on heph sync");
	else
		l = add(arr, "daemon", OK, NULL, "no hephd, none needed without a hub");
	worst = l > worst ? l : worst;

	/* hub */
	if (is_hub) {
		l = add(arr, "hub", OK, NULL, "this is the hub");
	} else if (!hub) {
		l = add(arr, "hub", OK, NULL, "none set: this device syncs with nothing (heph hub set URL to sync)");
	} else if (err && json_is_true(json_object_get(st, "auth_failed"))) {
		l = add(arr, "hub", ERROR,
			from && strcmp(from, "provider") == 0 ? "heph auth login" : "heph auth login, or heph hub set URL --token-file FILE",
			"%s refused the credential at the last attempt: %s",
			from && strcmp(from, "provider") == 0 ? "the identity provider" : hub, err);
	} else if (err && name && strcmp(name, "unavailable") == 0) {
		l = add(arr, "hub", WARNING, "check that the hub runs and is reachable, then heph sync",
			"%s was unreachable at the last attempt: %s", hub, err);
	} else if (err) {
		l = add(arr, "hub", ERROR, "heph sync --status shows the error; heph sync retries", "the last sync with %s failed: %s",
			hub, err);
	} else if (!last_ok) {
		l = add(arr, "hub", WARNING, "heph sync", "%s is set, but this device never synced with it", hub);
	} else {
		long long a = age_s(s, last_ok);
		words_of(a < 0 ? 0 : a, ago, sizeof ago);
		if (a > STALE_SYNC_S)
			l = add(arr, "hub", WARNING, "heph sync", "%s: last success %s (%s), more than a day", hub, last_ok, ago);
		else
			l = add(arr, "hub", OK, NULL, "%s: last success %s (%s)", hub, last_ok, ago);
	}
	worst = l > worst ? l : worst;

	/* push */
	if (is_hub || !hub)
		l = add(arr, "push", OK, NULL, "%lld ops made here%s", pending, is_hub ? "" : ", no hub to push them to");
	else if (pending && err)
		l = add(arr, "push", WARNING, "heph sync", "%lld ops wait to reach the hub, and the last sync failed", pending);
	else
		l = add(arr, "push", OK, pending ? "heph sync" : NULL, "%lld ops wait to reach the hub", pending);
	worst = l > worst ? l : worst;

	/* conflicts */
	long long c = json_integer_value(json_object_get(st, "conflicts"));
	if (c)
		l = add(arr, "conflicts", WARNING, "heph conflicts, then heph conflicts resolve ID --keep mine|theirs",
			"%lld conflict%s waiting", c, c == 1 ? "" : "s");
	else
		l = add(arr, "conflicts", OK, NULL, "none waiting");
	worst = l > worst ? l : worst;

	/* unapplied */
	const json_t *u = json_object_get(st, "unapplied");
	long long un = json_integer_value(json_object_get(u, "ops")), def = json_integer_value(json_object_get(u, "deferred"));
	if (un)
		l = add(arr, "unapplied", WARNING, "upgrade heph (heph sync --status says which versions apply them)",
			"%lld op%s of types this version cannot apply held for a later one", un, un == 1 ? "" : "s");
	else if (def)
		l = add(arr, "unapplied", WARNING, "heph sync (what they wait for may still come)",
			"%lld op%s deferred, waiting for what they depend on", def, def == 1 ? "" : "s");
	else
		l = add(arr, "unapplied", OK, NULL, "every op held is applied");
	worst = l > worst ? l : worst;

	/* clock */
	const json_t *sk = json_object_get(st, "hub_skew_ms");
	if (is_hub || !hub) {
		l = add(arr, "clock", OK, NULL, "no hub to compare with");
	} else if (!json_is_integer(sk)) {
		l = add(arr, "clock", OK, NULL, "not compared yet (the hub's clock is read on each pull)");
	} else {
		long long ms = json_integer_value(sk), abs_ms = ms < 0 ? -ms : ms;
		const char *dir = ms >= 0 ? "behind" : "ahead of";
		if (abs_ms >= SKEW_ERROR_MS)
			l = add(arr, "clock", ERROR, "set this device's clock right (NTP: timedatectl set-ntp true)",
				"this device's clock is %lld s %s the hub's", abs_ms / 1000, dir);
		else if (abs_ms >= SKEW_WARN_MS)
			l = add(arr, "clock", WARNING, "set this device's clock right (NTP: timedatectl set-ntp true)",
				"this device's clock is %lld s %s the hub's", abs_ms / 1000, dir);
		else
			l = add(arr, "clock", OK, NULL, "within %lld.%03lld s of the hub's at the last pull", abs_ms / 1000,
				abs_ms % 1000);
	}
	worst = l > worst ? l : worst;
	return worst;
}

HEPH_RPC_HANDLER(heph__rpc_health)
{
	json_t *checks = json_array(), *st = NULL;
	int worst = OK, l, database, err;
	if ((err = heph__p_bool(params, "database", 1, &database)))
		goto out;
	if (database) {
		l = check_database(env->store, env->remote, checks);
		worst = l > worst ? l : worst;
	}
	l = check_schema(env->store, checks);
	worst = l > worst ? l : worst;
	if ((err = heph_sync_status(env->store, &st)))
		goto out;
	if (env->host && env->host->sync_status && (err = env->host->sync_status(env->host->ctx, env->store, st)))
		goto out;
	l = check_sync(env->store, st, checks);
	worst = l > worst ? l : worst;
	*result = json_pack("{s:s, s:O}", "status", level_name[worst], "checks", checks);
out:
	json_decref(st);
	json_decref(checks);
	return err;
}
