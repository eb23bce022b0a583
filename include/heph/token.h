/* heph/token.h — device tokens a hub issues for setups without an identity
 * provider. A token is "heph_" followed by 64 hex digits (256 random bits);
 * the hub keeps only its SHA-256 (hex) in the tokens table of its database,
 * so a copy of the database does not let anyone in. The token is shown once,
 * when it is made. A plain hash fits: the secret is random, not a password.
 *
 * Ownership: heph_token_create() gives the caller a malloc'd token to free;
 * heph_token_list() a new JSON reference.
 */
#ifndef HEPH_TOKEN_H
#define HEPH_TOKEN_H

#include <stddef.h>

#include <jansson.h>

#include "heph/store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HEPH_TOKEN_PREFIX "heph_"
#define HEPH_TOKEN_LEN (5 + 64)    /* prefix + hex */
#define HEPH_TOKEN_NAME_MAX 64
#define HEPH_TOKEN_HASH_LEN 64     /* SHA-256 in hex */

/* The hash the hub stores for a token (hex, NUL-terminated). */
void heph_token_hash(const char *token, char out[HEPH_TOKEN_HASH_LEN + 1]);

/* Compare n bytes in time that does not depend on where they differ;
 * 1 when equal. */
int heph_token_equal(const void *a, const void *b, size_t n);

/* Make a token named name (1-64 of A-Z a-z 0-9 . _ -). HEPH_ECONFLICT when
 * a live token has that name; a revoked name may be used again. */
int heph_token_create(heph_store *s, const char *name, char **token_out);

/* Revoke the live token named name; HEPH_ENOTFOUND if there is none. */
int heph_token_revoke(heph_store *s, const char *name);

/* Every token: name, created_at, revoked_at (null when live). */
int heph_token_list(heph_store *s, json_t **out);

/* Every token with its stored hash (never the secret, which the hub does not
 * keep): name, hash, created_at, revoked_at (null when live). For moving a
 * hub's tokens into another store (hephd migrate). */
int heph_token_export(heph_store *s, json_t **out);

/* Which live token this is: its name in name_out. HEPH_EAUTH (without
 * saying why) when the text is not a live token. Every live hash is compared
 * in constant time. */
int heph_token_verify(heph_store *s, const char *token, char name_out[HEPH_TOKEN_NAME_MAX + 1]);

#ifdef __cplusplus
}
#endif
#endif
