/* sync_state.c — what both ends of sync share: the sync_state table (a
 * device-local key-value store that no op touches), the op-log's head, read
 * transactions, the protocol check and reading a JSON body.
 */
#include "internal.h"
#include "sync_internal.h"

#include "heph/sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int heph__sync_state_get(heph_store *s, const char *key, char **out)
{
	return heph__text_of(s, "SELECT value FROM sync_state WHERE key = ?1", key, out, NULL, "reading sync state");
}

int heph__sync_state_i64(heph_store *s, const char *key, int64_t *out)
{
	char *v = NULL;
	int err = heph__sync_state_get(s, key, &v);
	*out = v ? strtoll(v, NULL, 10) : 0;
	free(v);
	return err;
}

int heph__sync_state_set(heph_store *s, const char *key, const char *value)
{
	return heph__kv_write(s, "INSERT INTO sync_state(key, value) VALUES(?1, ?2) "
				 "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
			      "DELETE FROM sync_state WHERE key = ?1", key, value);
}

int heph__sync_state_set_i64(heph_store *s, const char *key, int64_t v)
{
	char t[32];
	snprintf(t, sizeof t, "%lld", (long long)v);
	return heph__sync_state_set(s, key, t);
}

int heph__sync_i64_of(heph_store *s, const char *sql, int64_t arg, int64_t *out)
{
	sqlite3_stmt *st = heph__stmt(s, sql);
	if (!st)
		return HEPH_ERROR;
	sqlite3_bind_int64(st, 1, arg);
	int rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : heph__sqlerr(s, rc, "reading the op-log");
}

int heph__sync_head(heph_store *s, int64_t *out)
{
	return heph__sync_i64_of(s, "SELECT coalesce(max(seq), 0) FROM oplog", 0, out);
}

int heph_sync_head(heph_store *s, int64_t *out)
{
	return heph__sync_head(s, out);
}

/* A read transaction of our own, unless one is open already. */
int heph__read_begin(heph_store *s, int *own)
{
	*own = s->depth == 0 && sqlite3_get_autocommit(s->db);
	return *own ? heph__exec(s, "BEGIN") : 0;
}

void heph__read_end(heph_store *s, int own)
{
	if (own)
		heph__exec(s, "COMMIT");
}

/* The protocol check from one side: us and them name the two ends ("hub",
 * "spoke"), so that the message says which one to upgrade. */
int heph__sync_protocol(const json_t *v, const char *us, const char *them)
{
	if (!v)
		return heph_error_set(HEPH_EINVALID, "missing protocol version (this %s speaks protocol %d)", us,
				      HEPH_SYNC_PROTOCOL);
	if (!json_is_integer(v))
		return heph_error_set(HEPH_EINVALID, "protocol version must be an integer");
	long long theirs = json_integer_value(v);
	if (theirs != HEPH_SYNC_PROTOCOL)
		return heph_error_set(HEPH_EPROTOCOL,
				      "protocol version %lld is not spoken here: the %s speaks protocol %d, the %s "
				      "protocol %lld; upgrade the %s",
				      theirs, us, HEPH_SYNC_PROTOCOL, them, theirs, theirs > HEPH_SYNC_PROTOCOL ? us : them);
	return 0;
}

int heph_sync_check_protocol(const json_t *v) { return heph__sync_protocol(v, "hub", "spoke"); }


int heph__sync_parse_object(const char *body, size_t len, const char *what, json_t **out)
{
	json_error_t e;
	*out = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
	if (!*out)
		return heph_error_set(HEPH_EINVALID, "%s: malformed JSON at line %d column %d: %s", what, e.line,
				      e.column, e.text);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return heph_error_set(HEPH_EINVALID, "%s must be a JSON object", what);
	}
	return 0;
}

