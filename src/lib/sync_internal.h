/* sync_internal.h — what the parts of sync share inside libheph
 * (engine/sync_state.c, sync_hub.c, sync_page.c, sync_spoke.c,
 * sync_status.c). heph/sync.h is the API and lays out the wire format.
 *
 * Ownership: strings returned through out pointers are malloc'd and the
 * caller's; a heph__page owns what it holds until heph__page_free().
 */
#ifndef HEPH_SYNC_INTERNAL_H
#define HEPH_SYNC_INTERNAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "heph/op.h"
#include "heph/store.h"

/* ---- sync_state.c ---- */

/* A sync_state value: *out malloc'd, NULL when the key is not set. */
int heph__sync_state_get(heph_store *s, const char *key, char **out);
/* The same read as an integer (0 when not set). */
int heph__sync_state_i64(heph_store *s, const char *key, int64_t *out);
/* Set key to value, or remove it when value is NULL. */
int heph__sync_state_set(heph_store *s, const char *key, const char *value);
int heph__sync_state_set_i64(heph_store *s, const char *key, int64_t v);

/* The one integer that sql (a literal, cached; ?1 bound to arg) answers. */
int heph__sync_i64_of(heph_store *s, const char *sql, int64_t arg, int64_t *out);

/* The greatest seq in the op-log (0 when empty). */
int heph__sync_head(heph_store *s, int64_t *out);

/* A read transaction of our own, unless one is open already (*own says
 * which); heph__read_end() ends only our own. */
int heph__read_begin(heph_store *s, int *own);
void heph__read_end(heph_store *s, int own);

/* The protocol check from one side: us and them name the two ends ("hub",
 * "spoke"), so that the message says which one to upgrade. */
int heph__sync_protocol(const json_t *v, const char *us, const char *them);

/* Parse body as a JSON object (new reference in *out); HEPH_EINVALID
 * naming what (the body's name) otherwise. */
int heph__sync_parse_object(const char *body, size_t len, const char *what, json_t **out);

/* ---- sync_page.c: a hub's pull page as a spoke reads it ---- */

enum heph__page_member { PG_PROTOCOL, PG_HUB, PG_HEAD, PG_NEXT, PG_MORE, PG_KNOWN_BY, PG_NOW, PG_COUNT };

struct heph__page {
	json_t *env[PG_COUNT]; /* envelope members (owned), NULL when absent */
	heph_op *ops;          /* decoded ops */
	const char **span;     /* each payload's text in the page, or NULL */
	size_t *span_len;      /* and its length */
	int64_t *seq;          /* each op's hub seq */
	size_t n;              /* ops */
	json_t *tree;          /* the whole page, when jansson read it */
};

/* Read and check a page asked for after hub seq `after`: its envelope (the
 * protocol, a valid hub id, head, next and more) and its ops, in order.
 * *hub is borrowed from pg. Nothing is written; HEPH_EINVALID or
 * HEPH_EPROTOCOL naming the problem. pg must be freed either way. */
int heph__page_read(const char *body, size_t len, int64_t after, struct heph__page *pg, const char **hub,
		    int64_t *head, int64_t *next, int *more);
void heph__page_free(struct heph__page *pg);

#endif
