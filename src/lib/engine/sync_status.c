/* sync_status.c — what a device knows of its syncing: the outcome of the
 * last attempt, kept in sync_state, and the status read that `heph sync
 * status`, `heph health` and the TUI show.
 */
#include "internal.h"
#include "sync_internal.h"

#include "heph/fleet.h"
#include "heph/sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>


static void iso_time(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int heph_sync_record(heph_store *s, int64_t started_ms, int err, const char *message, int64_t pulled,
		     int64_t pushed)
{
	char when[32];
	int e;
	iso_time(started_ms, when);
	if ((e = heph_store_begin(s)))
		return e;
	if ((e = heph__sync_state_set(s, "last_attempt", when)))
		goto fail;
	if (err == 0) {
		if ((e = heph__sync_state_set(s, "last_success", when)) || (e = heph__sync_state_set(s, "last_error", NULL)) ||
		    (e = heph__sync_state_set(s, "last_error_name", NULL)) || (e = heph__sync_state_set(s, "auth_failed", NULL)) ||
		    (e = heph__sync_state_set(s, "last_error_from", NULL)) ||
		    (e = heph__sync_state_set_i64(s, "last_pulled", pulled)) || (e = heph__sync_state_set_i64(s, "last_pushed", pushed)))
			goto fail;
	} else {
		if ((e = heph__sync_state_set(s, "last_error", message && *message ? message : heph_error_name(err))) ||
		    (e = heph__sync_state_set(s, "last_error_name", heph_error_name(err))) ||
		    (e = heph__sync_state_set(s, "auth_failed", err == HEPH_EAUTH || err == HEPH_EFORBIDDEN ? "1" : NULL)) ||
		    (e = heph__sync_state_set(s, "last_error_from", "hub")))
			goto fail;
	}
	return heph_store_commit(s);
fail:
	heph_store_rollback(s);
	return e;
}

int heph_sync_note_source(heph_store *s, const char *from)
{
	int e;
	if ((e = heph_store_begin(s)))
		return e;
	if ((e = heph__sync_state_set(s, "last_error_from", from))) {
		heph_store_rollback(s);
		return e;
	}
	return heph_store_commit(s);
}

static json_t *str_or_null(char *v)
{
	json_t *j = v ? json_string(v) : json_null();
	free(v);
	return j;
}

int heph_sync_status(heph_store *s, json_t **out)
{
	static const char *const keys[] = { "hub_id", "last_attempt", "last_success", "last_error", "last_error_name",
					    "last_error_from" };
	json_t *o = json_object();
	char *v = NULL;
	int64_t n;
	int own, err;
	*out = NULL;
	if ((err = heph__read_begin(s, &own)))
		goto fail_nt;
	if ((err = heph_store_setting_get(s, HEPH_SETTING_HUB_URL, &v)))
		goto fail;
	json_object_set_new(o, "hub", str_or_null(v));
	if ((err = heph_store_setting_get(s, HEPH_SETTING_HUB_TOKEN_FILE, &v)))
		goto fail;
	json_object_set_new(o, "token_file", str_or_null(v));
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if ((err = heph__sync_state_get(s, keys[i], &v)))
			goto fail;
		json_object_set_new(o, keys[i], str_or_null(v));
	}
	if ((err = heph__sync_state_get(s, "auth_failed", &v)))
		goto fail;
	json_object_set_new(o, "auth_failed", json_boolean(v != NULL));
	free(v);
	if ((err = heph__sync_state_get(s, "hub_skew_ms", &v)))
		goto fail;
	json_object_set_new(o, "hub_skew_ms", v ? json_integer(strtoll(v, NULL, 10)) : json_null());
	free(v);
	if ((err = heph_sync_pending(s, &n)))
		goto fail;
	json_object_set_new(o, "pending_push", json_integer(n));
	sqlite3_stmt *st = heph__stmt(s, "SELECT count(*) FROM conflicts WHERE resolved = 0");
	if (!st) {
		err = HEPH_ERROR;
		goto fail;
	}
	n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	json_object_set_new(o, "conflicts", json_integer(n));
	{
		json_t *u = NULL;
		if ((err = heph_fleet_unapplied(s, &u)))
			goto fail;
		json_object_set_new(o, "unapplied", u);
	}
	static const char *const counters[] = { "pull_cursor", "push_cursor", "last_pulled", "last_pushed" };
	for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++) {
		if ((err = heph__sync_state_i64(s, counters[i], &n)))
			goto fail;
		json_object_set_new(o, counters[i], json_integer(n));
	}
	heph__read_end(s, own);
	*out = o;
	return 0;
fail:
	heph__read_end(s, own);
fail_nt:
	json_decref(o);
	return err;
}

