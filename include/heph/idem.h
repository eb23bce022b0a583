/* idem.h — answers kept by idempotency key.
 *
 * A hub runs a writing request that carries an Idempotency-Key once: it
 * keeps the answer under the key, in the database (device-local, never
 * synced), and answers a request with the same key again from there, also
 * after a restart. The most recent HEPH_IDEM_KEEP answers are kept.
 */
#ifndef HEPH_IDEM_H
#define HEPH_IDEM_H

#include "heph/store.h"

#define HEPH_IDEM_KEEP 10000 /* answers kept; older ones are dropped */
#define HEPH_IDEM_KEY_MAX 128 /* bytes of a key */

/* Whether key is one worth keeping: 1 to HEPH_IDEM_KEY_MAX visible ASCII
 * bytes. */
int heph_idem_key_ok(const char *key);

/* The answer kept under key (malloc'd), or *answer = NULL when none is. */
int heph_idem_get(heph_store *s, const char *key, char **answer);

/* Keep answer under key (replacing what it held), dropping the oldest
 * beyond HEPH_IDEM_KEEP; in a transaction of its own unless one is open. */
int heph_idem_put(heph_store *s, const char *key, const char *answer);

#endif
