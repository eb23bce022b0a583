/* token.c — device tokens (heph/token.h): made from kernel randomness,
 * stored as SHA-256 only (libheph's own, sha256.c), compared in constant
 * time. */
#include "internal.h"

#include "heph/token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

void heph_token_hash(const char *token, char out[HEPH_TOKEN_HASH_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	heph_sha256 c;
	heph__sha256_init(&c);
	heph__sha256_update(&c, token, strlen(token));
	heph__sha256_final(&c, md);
	for (size_t i = 0; i < sizeof md; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * sizeof md] = '\0';
}

int heph_token_equal(const void *a, const void *b, size_t n)
{
	/* Every byte is looked at, whatever differs where; volatile keeps the
	 * compiler from stopping early. */
	const volatile unsigned char *x = a, *y = b;
	unsigned char diff = 0;
	for (size_t i = 0; i < n; i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}

static int name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > HEPH_TOKEN_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static void now_iso(heph_store *s, char out[32])
{
	time_t t = (time_t)(heph_store_now_ms(s) / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int heph_token_create(heph_store *s, const char *name, char **token_out)
{
	unsigned char raw[32];
	char token[HEPH_TOKEN_LEN + 1], hash[HEPH_TOKEN_HASH_LEN + 1], when[32];
	sqlite3_stmt *st;
	int err, live = 0;
	*token_out = NULL;
	if (!name_ok(name))
		return heph_error_set(HEPH_EINVALID, "a token name is 1 to %d of A-Z a-z 0-9 . _ -, not \"%.80s\"",
				      HEPH_TOKEN_NAME_MAX, name ? name : "");
	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
		return heph_error_set(HEPH_ERROR, "no randomness for a token");
	memcpy(token, HEPH_TOKEN_PREFIX, 5);
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(token + 5 + 2 * i, 3, "%02x", raw[i]);
	heph_token_hash(token, hash);
	now_iso(s, when);
	if ((err = heph_store_begin(s)))
		return err;
	if (!(st = heph__stmt(s, "SELECT revoked_at IS NULL FROM tokens WHERE name = ?1")))
		goto fail_err;
	heph__bind_str(st, 1, name);
	if (sqlite3_step(st) == SQLITE_ROW)
		live = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	if (live) {
		err = heph_error_set(HEPH_ECONFLICT, "a token named \"%s\" exists; revoke it first", name);
		goto fail;
	}
	if (!(st = heph__stmt(s, "INSERT INTO tokens(name, hash, created_at, revoked_at) VALUES(?1, ?2, ?3, NULL) "
				 "ON CONFLICT(name) DO UPDATE SET hash = excluded.hash, created_at = excluded.created_at, "
				 "revoked_at = NULL")))
		goto fail_err;
	heph__bind_str(st, 1, name);
	heph__bind_str(st, 2, hash);
	heph__bind_str(st, 3, when);
	if ((err = heph__step_done(s, st)) || (err = heph_store_commit(s)))
		goto fail;
	if (!(*token_out = strdup(token)))
		abort();
	explicit_bzero(raw, sizeof raw);
	explicit_bzero(token, sizeof token);
	return 0;
fail_err:
	err = HEPH_ERROR;
fail:
	heph_store_rollback(s);
	explicit_bzero(token, sizeof token);
	return err;
}

int heph_token_revoke(heph_store *s, const char *name)
{
	char when[32];
	int err;
	now_iso(s, when);
	if ((err = heph_store_begin(s)))
		return err;
	sqlite3_stmt *st = heph__stmt(s, "UPDATE tokens SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL");
	if (!st) {
		heph_store_rollback(s);
		return HEPH_ERROR;
	}
	heph__bind_str(st, 1, name);
	heph__bind_str(st, 2, when);
	if ((err = heph__step_done(s, st))) {
		heph_store_rollback(s);
		return err;
	}
	if (sqlite3_changes(s->db) == 0) {
		heph_store_rollback(s);
		return heph_error_set(HEPH_ENOTFOUND, "no live token named \"%.80s\"", name);
	}
	return heph_store_commit(s);
}

/* The tokens table as JSON: name, created_at, revoked_at, and the hash when
 * with_hash. */
static int token_rows(heph_store *s, int with_hash, json_t **out)
{
	sqlite3_stmt *st = heph__stmt(s, "SELECT name, created_at, revoked_at, hash FROM tokens ORDER BY name");
	json_t *arr = json_array();
	int rc;
	*out = NULL;
	if (!st) {
		json_decref(arr);
		return HEPH_ERROR;
	}
	while ((rc = heph__row(s, st)) > 0) {
		const char *revoked = (const char *)sqlite3_column_text(st, 2);
		json_t *o = json_pack("{s:s, s:s, s:s?}", "name", (const char *)sqlite3_column_text(st, 0), "created_at",
				      (const char *)sqlite3_column_text(st, 1), "revoked_at", revoked);
		if (with_hash)
			json_object_set_new(o, "hash", json_string((const char *)sqlite3_column_text(st, 3)));
		json_array_append_new(arr, o);
	}
	sqlite3_reset(st);
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return 0;
}

int heph_token_list(heph_store *s, json_t **out)
{
	return token_rows(s, 0, out);
}

int heph_token_export(heph_store *s, json_t **out)
{
	return token_rows(s, 1, out);
}

int heph_token_verify(heph_store *s, const char *token, char name_out[HEPH_TOKEN_NAME_MAX + 1])
{
	char hash[HEPH_TOKEN_HASH_LEN + 1];
	int rc, found = 0;
	name_out[0] = '\0';
	if (!token || strlen(token) > 4096)
		return heph_error_set(HEPH_EAUTH, "invalid token");
	heph_token_hash(token, hash);
	sqlite3_stmt *st = heph__stmt(s, "SELECT name, hash FROM tokens WHERE revoked_at IS NULL");
	if (!st)
		return HEPH_ERROR;
	while ((rc = heph__row(s, st)) > 0) {
		const char *h = (const char *)sqlite3_column_text(st, 1);
		/* Look at every live hash, so the time taken does not tell which matched. */
		if (h && strlen(h) == HEPH_TOKEN_HASH_LEN && heph_token_equal(h, hash, HEPH_TOKEN_HASH_LEN) && !found) {
			snprintf(name_out, HEPH_TOKEN_NAME_MAX + 1, "%s", (const char *)sqlite3_column_text(st, 0));
			found = 1;
		}
	}
	sqlite3_reset(st);
	if (rc < 0)
		return rc;
	return found ? 0 : heph_error_set(HEPH_EAUTH, "invalid or revoked token");
}
