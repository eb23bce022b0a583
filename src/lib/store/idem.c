/* idem.c — answers kept by idempotency key (heph/idem.h).
 *
 * A row of the idempotency table (schema 9), as this file writes it:
 *
 *   column  holds
 *   key     hex SHA-256 of the principal, ":", the client's key
 *   answer  hex SHA-256 of the request text, "\n", the answer
 *
 * So a key names an answer only for the principal that sent it, and a key
 * sent again with another request is told apart from a retry. Rows kept by
 * a version before this layout never match a scoped key: they are not
 * found, and age out like any other.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heph/idem.h"

#define HASH_HEX 64

static void hash_hex(const void *data, size_t n, char out[HASH_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	heph_sha256 c;
	heph__sha256_init(&c);
	heph__sha256_update(&c, data, n);
	heph__sha256_final(&c, md);
	for (size_t i = 0; i < sizeof md; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[HASH_HEX] = '\0';
}

/* The stored key of (principal, key). */
static void scoped(const char *principal, const char *key, char out[HASH_HEX + 1 + HEPH_IDEM_KEY_MAX + 1])
{
	hash_hex(principal, strlen(principal), out);
	out[HASH_HEX] = ':';
	snprintf(out + HASH_HEX + 1, HEPH_IDEM_KEY_MAX + 1, "%s", key);
}

int heph_idem_key_ok(const char *key)
{
	size_t n = key ? strlen(key) : 0;
	if (n == 0 || n > HEPH_IDEM_KEY_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (key[i] <= ' ' || key[i] > '~')
			return 0;
	return 1;
}

int heph_idem_get(heph_store *s, const char *principal, const char *key, const char *request, size_t len,
		  char **answer)
{
	char k[HASH_HEX + 1 + HEPH_IDEM_KEY_MAX + 1], h[HASH_HEX + 1], *row = NULL;
	int err;
	*answer = NULL;
	if (!heph_idem_key_ok(key))
		return heph_error_set(HEPH_EINVALID, "an idempotency key is 1 to %d visible ASCII bytes",
				      HEPH_IDEM_KEY_MAX);
	scoped(principal, key, k);
	if ((err = heph__text_of(s, "SELECT answer FROM idempotency WHERE key = ?1", k, &row, NULL,
				 "reading a kept answer")) || !row)
		return err;
	hash_hex(request, len, h);
	if (strlen(row) <= HASH_HEX || row[HASH_HEX] != '\n' || memcmp(row, h, HASH_HEX) != 0) {
		free(row);
		return heph_error_set(HEPH_ECONFLICT, "Idempotency-Key %s was used with another request; a retry "
				      "sends the same request again, a new request needs a new key", key);
	}
	memmove(row, row + HASH_HEX + 1, strlen(row + HASH_HEX + 1) + 1);
	*answer = row;
	return 0;
}

int heph_idem_put(heph_store *s, const char *principal, const char *key, const char *request, size_t len,
		  const char *answer)
{
	char k[HASH_HEX + 1 + HEPH_IDEM_KEY_MAX + 1], *row = NULL;
	int err, own = s->depth == 0;
	sqlite3_stmt *st;
	if (!heph_idem_key_ok(key))
		return heph_error_set(HEPH_EINVALID, "an idempotency key is 1 to %d visible ASCII bytes",
				      HEPH_IDEM_KEY_MAX);
	scoped(principal, key, k);
	size_t n = strlen(answer);
	if (!(row = malloc(HASH_HEX + 1 + n + 1)))
		abort();
	hash_hex(request, len, row);
	row[HASH_HEX] = '\n';
	memcpy(row + HASH_HEX + 1, answer, n + 1);
	if (own && (err = heph_store_begin(s)))
		goto out_free;
	/* A new id for a key seen again: it counts as recent. */
	if (!(st = heph__stmt(s, "INSERT OR REPLACE INTO idempotency(key, answer) VALUES (?1, ?2)"))) {
		err = HEPH_ERROR;
		goto out;
	}
	heph__bind_str(st, 1, k);
	heph__bind_str(st, 2, row);
	if ((err = heph__step_done(s, st)))
		goto out;
	if (!(st = heph__stmt(s, "DELETE FROM idempotency WHERE id <= last_insert_rowid() - ?1"))) {
		err = HEPH_ERROR;
		goto out;
	}
	sqlite3_bind_int(st, 1, HEPH_IDEM_KEEP);
	err = heph__step_done(s, st);
out:
	if (own)
		err = heph_store_end(s, err);
out_free:
	free(row);
	return err;
}
