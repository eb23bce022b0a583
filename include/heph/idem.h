/* idem.h — answers kept by idempotency key.
 *
 * A hub runs a writing request that carries an Idempotency-Key once: it
 * keeps the answer under the key, in the database (device-local, never
 * synced), and answers a request with the same key again from there, also
 * after a restart. The most recent HEPH_IDEM_KEEP answers are kept.
 *
 * A key is scoped to the principal that sent it (another caller's key names
 * nothing for you) and bound to its request text: the same key with another
 * request is refused, not answered with the first request's answer.
 * Ownership: *answer is malloc'd, the caller frees it.
 */
#ifndef HEPH_IDEM_H
#define HEPH_IDEM_H

#include "heph/store.h"

#define HEPH_IDEM_KEEP 10000 /* answers kept; older ones are dropped */
#define HEPH_IDEM_KEY_MAX 128 /* bytes of a key */

/* Whether key is one worth keeping: 1 to HEPH_IDEM_KEY_MAX visible ASCII
 * bytes. */
int heph_idem_key_ok(const char *key);

/* The answer kept under (principal, key) for this request text (len bytes),
 * or *answer = NULL when none is. HEPH_ECONFLICT when the principal used
 * the key for a different request; HEPH_EINVALID for a key that is not
 * heph_idem_key_ok(). */
int heph_idem_get(heph_store *s, const char *principal, const char *key, const char *request, size_t len,
		  char **answer);

/* Keep answer under (principal, key) with the request it answers
 * (replacing what the key held), dropping the oldest beyond
 * HEPH_IDEM_KEEP; in a transaction of its own unless one is open. */
int heph_idem_put(heph_store *s, const char *principal, const char *key, const char *request, size_t len,
		  const char *answer);

#endif
