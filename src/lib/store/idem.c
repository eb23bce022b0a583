/* idem.c — answers kept by idempotency key (heph/idem.h). */
#include "internal.h"

#include <string.h>

#include "heph/idem.h"

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

int heph_idem_get(heph_store *s, const char *key, char **answer)
{
	return heph__text_of(s, "SELECT answer FROM idempotency WHERE key = ?1", key, answer, NULL,
			     "reading a kept answer");
}

int heph_idem_put(heph_store *s, const char *key, const char *answer)
{
	int err, own = s->depth == 0;
	sqlite3_stmt *st;
	if (!heph_idem_key_ok(key))
		return heph_error_set(HEPH_EINVALID, "an idempotency key is 1 to %d visible ASCII bytes",
				      HEPH_IDEM_KEY_MAX);
	if (own && (err = heph_store_begin(s)))
		return err;
	/* A new id for a key seen again: it counts as recent. */
	if (!(st = heph__stmt(s, "INSERT OR REPLACE INTO idempotency(key, answer) VALUES (?1, ?2)"))) {
		err = HEPH_ERROR;
		goto out;
	}
	heph__bind_str(st, 1, key);
	heph__bind_str(st, 2, answer);
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
	return err;
}
