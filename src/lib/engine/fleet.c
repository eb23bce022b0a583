/* fleet.c — what a device reports of itself at each sync, the hub's table
 * of devices (schema migration 7), and the answers built from it: the fleet
 * list, which versions apply an op type, and what this node holds unapplied
 * (heph/fleet.h).
 *
 * Invariants:
 *  - The devices table is device-local to the hub: it is never synced, and a
 *    spoke's is empty. A spoke keeps instead the hub's last known_by answer
 *    in sync_state('known_by').
 *  - A report is checked before anything is written; a device's row is
 *    replaced whole by each report (first_seen kept), so a device that
 *    downgrades to a version that does not report shows as unknown again.
 */
#include "internal.h"

#include "heph/buf.h"

#include "heph/fleet.h"
#include "heph/sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- this device ---- */

static int count_pending(heph_store *s, int64_t *unapplied, int64_t *deferred)
{
	/* status <> 0 reads the partial index oplog_pending */
	sqlite3_stmt *st = heph__stmt(s, "SELECT status, count(*) FROM oplog WHERE status <> 0 GROUP BY status");
	int rc;
	*unapplied = *deferred = 0;
	if (!st)
		return HEPH_ERROR;
	while ((rc = heph__row(s, st)) > 0) {
		int status = sqlite3_column_int(st, 0);
		if (status == HEPH_OP_UNKNOWN)
			*unapplied = sqlite3_column_int64(st, 1);
		else if (status == HEPH_OP_DEFERRED)
			*deferred = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc < 0 ? rc : 0;
}

static json_t *own_types(void)
{
	json_t *a = json_array();
	for (const char *const *t = heph_op_types(); *t; t++)
		json_array_append_new(a, json_string(*t));
	return a;
}

/* The setting device.name, else the host name; malloc'd. */
static int device_name(heph_store *s, char **out)
{
	char host[256];
	int err = heph_store_setting_get(s, HEPH_SETTING_DEVICE_NAME, out);
	if (err || *out)
		return err;
	if (gethostname(host, sizeof host) != 0 || !host[0])
		snprintf(host, sizeof host, "%s", heph_store_origin(s));
	host[sizeof host - 1] = '\0';
	host[HEPH_FLEET_NAME_MAX] = '\0';
	if (!(*out = strdup(host)))
		abort();
	return 0;
}

int heph_fleet_self(heph_store *s, json_t **out)
{
	int64_t unapplied, deferred;
	char *name = NULL;
	int err;
	*out = NULL;
	if ((err = count_pending(s, &unapplied, &deferred)) || (err = device_name(s, &name)))
		return err;
	*out = json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:o, s:I, s:I}", "origin", heph_store_origin(s), "name", name,
			 "version", heph_version(), "level", heph_feature_level(), "schema", heph_schema_version(),
			 "protocol", HEPH_SYNC_PROTOCOL, "op_types", own_types(), "unapplied", (json_int_t)unapplied,
			 "deferred", (json_int_t)deferred);
	free(name);
	return 0;
}

/* Percent-encode everything but unreserved characters (RFC 3986). */
static void put_escaped(heph_buf *t, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			heph_buf_put(t, s, 1);
		} else {
			char e[4];
			snprintf(e, sizeof e, "%%%02X", c);
			heph_buf_put(t, e, 3);
		}
	}
}

int heph_fleet_self_query(heph_store *s, char **out)
{
	json_t *r = NULL, *v;
	const char *k;
	heph_buf t = { 0 };
	int err;
	*out = NULL;
	if ((err = heph_fleet_self(s, &r)))
		return err;
	heph_buf_put(&t, "", 0);
	json_object_foreach(r, k, v) {
		char num[32];
		heph_buf_put(&t, "&", 1);
		heph_buf_put(&t, k, strlen(k));
		heph_buf_put(&t, "=", 1);
		if (json_is_string(v)) {
			put_escaped(&t, json_string_value(v));
		} else if (json_is_integer(v)) {
			snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
			heph_buf_put(&t, num, strlen(num));
		} else if (json_is_array(v)) {
			size_t i;
			json_t *e;
			json_array_foreach(v, i, e) {
				if (i)
					heph_buf_put(&t, ",", 1);
				put_escaped(&t, json_string_value(e));
			}
		}
	}
	json_decref(r);
	*out = t.p;
	return 0;
}

/* ---- checking a report ---- */

static int text_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > HEPH_FLEET_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

int heph_fleet_check(const json_t *r)
{
	static const char *const texts[] = { "name", "version" };
	static const char *const counts[] = { "level", "schema", "protocol", "unapplied", "deferred" };
	const json_t *v, *e;
	size_t i;
	if (!json_is_object(r))
		return heph_error_set(HEPH_EINVALID, "node: the report must be an object");
	v = json_object_get(r, "origin");
	if (!json_is_string(v) || !heph_origin_valid(json_string_value(v)))
		return heph_error_set(HEPH_EINVALID, "node: \"origin\" must be a device id (16 hex digits)");
	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		v = json_object_get(r, texts[i]);
		if (v && !json_is_null(v) && (!json_is_string(v) || !text_ok(json_string_value(v))))
			return heph_error_set(HEPH_EINVALID, "node: \"%s\" must be a line of 1 to %d bytes", texts[i],
					      HEPH_FLEET_NAME_MAX);
	}
	for (i = 0; i < sizeof counts / sizeof counts[0]; i++) {
		v = json_object_get(r, counts[i]);
		if (v && !json_is_null(v) &&
		    (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT64_MAX / 2))
			return heph_error_set(HEPH_EINVALID, "node: \"%s\" must be an integer, 0 or more", counts[i]);
	}
	v = json_object_get(r, "op_types");
	if (v && !json_is_null(v)) {
		if (!json_is_array(v) || json_array_size(v) > 256)
			return heph_error_set(HEPH_EINVALID, "node: \"op_types\" must be an array of at most 256 op types");
		json_array_foreach(v, i, e) {
			if (!heph__op_type_ok(json_string_value(e)))
				return heph_error_set(HEPH_EINVALID, "node: op_types[%zu] is not an op type", i);
		}
	}
	return 0;
}

/* ---- the hub's table ---- */

/* The op types of a report as the text stored (NULL when not reported). */
static char *types_text(const json_t *r)
{
	const json_t *v = json_object_get(r, "op_types");
	return json_is_array(v) ? json_dumps(v, JSON_COMPACT) : NULL;
}

static void bind_int_or_null(sqlite3_stmt *st, int i, const json_t *v)
{
	if (json_is_integer(v))
		sqlite3_bind_int64(st, i, json_integer_value(v));
	else
		sqlite3_bind_null(st, i);
}

/* Bind ?1..?10 of a report: origin, name, token, version, level, schema,
 * protocol, op_types, unapplied, deferred. types is types_text(r). */
static void bind_report(sqlite3_stmt *st, const json_t *r, const char *token, const char *types)
{
	heph__bind_str(st, 1, json_string_value(json_object_get(r, "origin")));
	heph__bind_str(st, 2, json_string_value(json_object_get(r, "name")));
	heph__bind_str(st, 3, token);
	heph__bind_str(st, 4, json_string_value(json_object_get(r, "version")));
	bind_int_or_null(st, 5, json_object_get(r, "level"));
	bind_int_or_null(st, 6, json_object_get(r, "schema"));
	bind_int_or_null(st, 7, json_object_get(r, "protocol"));
	heph__bind_str(st, 8, types);
	bind_int_or_null(st, 9, json_object_get(r, "unapplied"));
	bind_int_or_null(st, 10, json_object_get(r, "deferred"));
}

int heph_fleet_stale(heph_store *s, const json_t *r, const char *token, int64_t now_ms, int *stale)
{
	char *types = types_text(r);
	sqlite3_stmt *st = heph__stmt(s,
		"SELECT last_seen FROM devices WHERE origin = ?1 AND name IS ?2 AND token IS ?3 AND version IS ?4 "
		"AND level IS ?5 AND schema IS ?6 AND protocol IS ?7 AND op_types IS ?8 AND unapplied IS ?9 "
		"AND deferred IS ?10");
	int rc;
	*stale = 1;
	if (!st) {
		free(types);
		return HEPH_ERROR;
	}
	bind_report(st, r, token, types);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*stale = now_ms - sqlite3_column_int64(st, 0) >= HEPH_FLEET_SEEN_MS;
	sqlite3_reset(st);
	free(types);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : heph__sqlerr(s, rc, "reading the fleet");
}

/* HEPH_EFORBIDDEN when the device's row belongs to another token that is
 * still valid: a device is reported by the principal it first reported
 * through, so that one device's token cannot rename or misreport another
 * device. A row whose token was revoked (the device got a new one) or that
 * came without a token (the owner's own login) passes to the reporter. */
static int bound_elsewhere(heph_store *s, const json_t *r, const char *token)
{
	const char *origin = json_string_value(json_object_get(r, "origin"));
	sqlite3_stmt *st = heph__stmt(s, "SELECT d.token FROM devices d JOIN tokens t ON t.name = d.token "
					 "WHERE d.origin = ?1 AND t.revoked_at IS NULL AND d.token IS NOT ?2");
	int rc, err = 0;
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, origin);
	heph__bind_str(st, 2, token);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		err = heph_error_set(HEPH_EFORBIDDEN, "device %s reports through token \"%s\"; %s%s%s cannot speak "
				     "for it (revoke that token on the hub to move the device to another one)",
				     origin, (const char *)sqlite3_column_text(st, 0), token ? "token \"" : "",
				     token ? token : "a login without a device token", token ? "\"" : "");
	else if (rc != SQLITE_DONE)
		err = heph__sqlerr(s, rc, "reading the fleet");
	sqlite3_reset(st);
	return err;
}

int heph_fleet_note(heph_store *s, const json_t *r, const char *token, int64_t now_ms)
{
	int err, own = s->depth == 0;
	char *types;
	if ((err = heph_fleet_check(r)))
		return err;
	if (own && (err = heph_store_begin(s)))
		return err;
	if ((err = bound_elsewhere(s, r, token)))
		goto out;
	types = types_text(r);
	sqlite3_stmt *st = heph__stmt(s,
		"INSERT INTO devices(origin, name, token, version, level, schema, protocol, op_types, unapplied, "
		"deferred, first_seen, last_seen) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11) "
		"ON CONFLICT(origin) DO UPDATE SET name = excluded.name, token = excluded.token, "
		"version = excluded.version, level = excluded.level, schema = excluded.schema, "
		"protocol = excluded.protocol, op_types = excluded.op_types, unapplied = excluded.unapplied, "
		"deferred = excluded.deferred, last_seen = excluded.last_seen");
	if (!st) {
		err = HEPH_ERROR;
	} else {
		bind_report(st, r, token, types);
		sqlite3_bind_int64(st, 11, now_ms);
		err = heph__step_done(s, st);
	}
	free(types);
out:
	if (own)
		err = heph_store_end(s, err);
	return err;
}

/* ---- answers ---- */

static int has_string(const json_t *arr, const char *s)
{
	size_t i;
	const json_t *v;
	json_array_foreach(arr, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return 1;
	}
	return 0;
}

/* Add name (of a device running version) to by[type] for each type of
 * types not in known. */
static void credit(json_t *by, const json_t *types, const json_t *known, const char *version, const char *name)
{
	size_t i, j;
	const json_t *t, *g;
	json_array_foreach(types, i, t) {
		const char *type = json_string_value(t);
		if (!type || has_string(known, type))
			continue;
		json_t *groups = json_object_get(by, type), *group = NULL;
		if (!groups) {
			groups = json_array();
			json_object_set_new(by, type, groups);
		}
		json_array_foreach(groups, j, g) {
			if (strcmp(json_string_value(json_object_get(g, "version")), version) == 0) {
				group = (json_t *)g;
				break;
			}
		}
		if (!group) {
			group = json_pack("{s:s, s:[]}", "version", version, "devices");
			json_array_append_new(groups, group);
		}
		json_array_append_new(json_object_get(group, "devices"), json_string(name));
	}
}

int heph_fleet_known_by(heph_store *s, const json_t *known, json_t **out)
{
	json_t *by = json_object(), *mine = own_types();
	char *name = NULL;
	int err, rc;
	*out = NULL;
	if ((err = device_name(s, &name)))
		goto fail;
	credit(by, mine, known, heph_version(), name);
	sqlite3_stmt *st = heph__stmt(s, "SELECT coalesce(name, origin), coalesce(version, 'unknown'), op_types "
					 "FROM devices WHERE op_types IS NOT NULL AND origin <> ?1 ORDER BY name, origin");
	if (!st) {
		err = HEPH_ERROR;
		goto fail;
	}
	heph__bind_str(st, 1, heph_store_origin(s));
	while ((rc = heph__row(s, st)) > 0) {
		json_t *types = json_loads((const char *)sqlite3_column_text(st, 2), 0, NULL);
		if (json_is_array(types))
			credit(by, types, known, (const char *)sqlite3_column_text(st, 1),
			       (const char *)sqlite3_column_text(st, 0));
		json_decref(types);
	}
	sqlite3_reset(st);
	if (rc < 0) {
		err = rc;
		goto fail;
	}
	*out = by;
	json_decref(mine);
	free(name);
	return 0;
fail:
	json_decref(by);
	json_decref(mine);
	free(name);
	return err;
}

int heph_fleet_keep_known_by(heph_store *s, const json_t *known_by)
{
	char *text = known_by ? json_dumps(known_by, JSON_COMPACT) : NULL;
	sqlite3_stmt *st = heph__stmt(s, text ? "INSERT INTO sync_state(key, value) VALUES('known_by', ?1) "
						"ON CONFLICT(key) DO UPDATE SET value = excluded.value"
					      : "DELETE FROM sync_state WHERE key = 'known_by'");
	int err;
	if (!st) {
		free(text);
		return HEPH_ERROR;
	}
	if (text)
		heph__bind_str(st, 1, text);
	err = heph__step_done(s, st);
	free(text);
	return err;
}

static void iso(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* a minus b, as a new array (NULL when a is not an array) */
static json_t *minus(const json_t *a, const json_t *b)
{
	size_t i;
	const json_t *v;
	if (!json_is_array(a))
		return json_null();
	json_t *d = json_array();
	json_array_foreach(a, i, v) {
		if (!has_string(b, json_string_value(v)))
			json_array_append(d, (json_t *)v);
	}
	return d;
}

int heph_fleet_list(heph_store *s, json_t **out)
{
	json_t *list = json_array(), *self = NULL, *mine = own_types();
	char when[32];
	int64_t now = heph_store_now_ms(s);
	int err, rc;
	*out = NULL;
	if ((err = heph_fleet_self(s, &self)))
		goto fail;
	iso(now, when);
	json_object_set_new(self, "role", json_string("hub"));
	json_object_set_new(self, "token", json_null());
	json_object_set_new(self, "missing_op_types", json_array());
	json_object_set_new(self, "extra_op_types", json_array());
	json_object_set_new(self, "first_seen", json_null());
	json_object_set_new(self, "last_seen", json_string(when));
	json_object_set_new(self, "last_seen_ms", json_integer(now));
	json_array_append_new(list, self);
	sqlite3_stmt *st = heph__stmt(s,
		"SELECT origin, name, token, version, level, schema, protocol, op_types, unapplied, deferred, "
		"first_seen, last_seen FROM devices WHERE origin <> ?1 ORDER BY name, origin");
	if (!st) {
		err = HEPH_ERROR;
		goto fail;
	}
	heph__bind_str(st, 1, heph_store_origin(s));
	while ((rc = heph__row(s, st)) > 0) {
		json_t *o = json_object(), *types = NULL;
		const char *text = (const char *)sqlite3_column_text(st, 7);
		static const char *const keys[] = { "origin", "name", "token", "version" };
		for (int i = 0; i < 4; i++) {
			const char *v = (const char *)sqlite3_column_text(st, i);
			json_object_set_new(o, keys[i], v ? json_string(v) : json_null());
		}
		json_object_set_new(o, "role", json_string("spoke"));
		static const char *const nums[] = { "level", "schema", "protocol" };
		for (int i = 0; i < 3; i++)
			json_object_set_new(o, nums[i], sqlite3_column_type(st, 4 + i) == SQLITE_NULL
								? json_null()
								: json_integer(sqlite3_column_int64(st, 4 + i)));
		if (text)
			types = json_loads(text, 0, NULL);
		json_object_set_new(o, "op_types", json_is_array(types) ? json_incref(types) : json_null());
		json_object_set_new(o, "missing_op_types", minus(mine, json_is_array(types) ? types : NULL));
		json_object_set_new(o, "extra_op_types", minus(types, mine));
		if (!json_is_array(types))
			json_object_set_new(o, "missing_op_types", json_null());
		json_decref(types);
		iso(sqlite3_column_int64(st, 10), when);
		json_object_set_new(o, "first_seen", json_string(when));
		iso(sqlite3_column_int64(st, 11), when);
		json_object_set_new(o, "last_seen", json_string(when));
		json_object_set_new(o, "last_seen_ms", json_integer(sqlite3_column_int64(st, 11)));
		static const char *const counts[] = { "unapplied", "deferred" };
		for (int i = 0; i < 2; i++)
			json_object_set_new(o, counts[i], sqlite3_column_type(st, 8 + i) == SQLITE_NULL
								  ? json_null()
								  : json_integer(sqlite3_column_int64(st, 8 + i)));
		json_array_append_new(list, o);
	}
	sqlite3_reset(st);
	if (rc < 0) {
		err = rc;
		goto fail;
	}
	json_decref(mine);
	*out = list;
	return 0;
fail:
	json_decref(mine);
	json_decref(list);
	return err;
}

int heph_fleet_unapplied(heph_store *s, json_t **out)
{
	json_t *types = json_array(), *by = NULL, *mine = own_types();
	int64_t total = 0, unapplied, deferred;
	int err, rc, hub = 0;
	*out = NULL;
	if ((err = count_pending(s, &unapplied, &deferred)))
		goto out;
	/* A hub answers from its own table; a spoke from its hub's last answer. */
	sqlite3_stmt *st = heph__stmt(s, "SELECT EXISTS (SELECT 1 FROM devices)");
	if (!st) {
		err = HEPH_ERROR;
		goto out;
	}
	hub = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	if (hub) {
		if ((err = heph_fleet_known_by(s, mine, &by)))
			goto out;
	} else {
		if (!(st = heph__stmt(s, "SELECT value FROM sync_state WHERE key = 'known_by'"))) {
			err = HEPH_ERROR;
			goto out;
		}
		if (sqlite3_step(st) == SQLITE_ROW)
			by = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
		sqlite3_reset(st);
		if (!json_is_object(by)) {
			/* the hub has not said (never synced, or it predates fleet
			 * reporting): applied_by is null, not "nobody" */
			json_decref(by);
			by = NULL;
		}
	}
	if (!(st = heph__stmt(s, "SELECT type, count(*) FROM oplog WHERE status <> 0 AND status = 2 "
				 "GROUP BY type ORDER BY type"))) {
		err = HEPH_ERROR;
		goto out;
	}
	while ((rc = heph__row(s, st)) > 0) {
		const char *type = (const char *)sqlite3_column_text(st, 0);
		json_t *applied_by = json_object_get(by, type); /* borrowed */
		total += sqlite3_column_int64(st, 1);
		json_array_append_new(types, json_pack("{s:s, s:I, s:o}", "type", type, "ops",
						       (json_int_t)sqlite3_column_int64(st, 1), "applied_by",
						       json_is_array(applied_by) ? json_incref(applied_by)
						       : by			   ? json_array()
										   : json_null()));
	}
	sqlite3_reset(st);
	if (rc < 0) {
		err = rc;
		goto out;
	}
	*out = json_pack("{s:I, s:I, s:O}", "ops", (json_int_t)total, "deferred", (json_int_t)deferred, "types", types);
out:
	json_decref(types);
	json_decref(by);
	json_decref(mine);
	return err;
}
