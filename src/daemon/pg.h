/* pg.h — the hub's PostgreSQL store (hephd --store postgresql://…): many
 * owners, each with their own op-log, served by any number of hephd
 * instances on one database. docs/explanation/postgresql-hub.md gives the
 * design and why a pull never skips an op.
 *
 * Only hephd links libpq; this header names none of its types.
 *
 * Ownership: bodies returned through char ** are malloc'd and belong to the
 * caller; json_t ** results are new references; inputs are borrowed.
 * Errors: HEPH_EUNAVAIL when PostgreSQL cannot be reached (the connection is
 * made again on the next call), HEPH_EAUTH for a credential that names no
 * live token, HEPH_ENOTFOUND for an owner that does not exist, HEPH_ERROR
 * for anything else PostgreSQL refused; the message says which.
 */
#ifndef HEPHD_PG_H
#define HEPHD_PG_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "heph/rpc.h"
#include "heph/store.h"
#include "heph/sync.h"

#define PG_OWNER_MAX 64 /* bytes of an owner's name: 1-64 of a-z 0-9 . _ - */

struct pg;

/* Whether url names a PostgreSQL store (postgresql:// or postgres://). */
int pg_url(const char *url);

/* Whether name is a valid owner name. */
int pg_owner_name_ok(const char *name);

/* Connect to url once (creating the tables if they are missing); each
 * thread that calls in later gets its own connection. state_dir holds the
 * owners' replicas (made when missing; may be NULL for the admin verbs). */
int pg_open(const char *url, const char *state_dir, struct pg **out);
void pg_close(struct pg *p);

/* A device token (heph_…) to the owner it belongs to and its name. */
int pg_authenticate(struct pg *p, const char *token, char owner[PG_OWNER_MAX + 1], char *name, size_t name_size);

/* An identity provider's subject to the owner it was given to
 * (hephd owner add NAME --sub SUB); HEPH_EFORBIDDEN when none. */
int pg_subject_owner(struct pg *p, const char *sub, char owner[PG_OWNER_MAX + 1]);

/* A pull page of owner's op-log, the SQLite hub's format (heph/sync.h);
 * report (may be NULL) is noted in the owner's fleet with token (may be
 * NULL). */
int pg_pull(struct pg *p, const char *owner, int64_t after, int limit, const json_t *report, const char *token,
	    char **out, size_t *len);

/* Take a push checked by heph_sync_push_decode_from(): its new ops join
 * owner's op-log in one transaction, each op once however often it is sent
 * and to whichever instance; *out is the push answer. */
int pg_push(struct pg *p, const char *owner, const heph_sync_push *push, const char *token, char **out,
	    size_t *len);

/* One push of a group given to pg_push_group(): the caller fills the first
 * three; err, msg, out and len are its result, as pg_push() gives them. */
struct pg_push_job {
	const char *owner;
	const heph_sync_push *push;
	const char *token;         /* may be NULL */
	int err;                   /* 0 or the heph error (msg says it) */
	char msg[1024];
	char *out;                 /* the push answer (the caller frees it) */
	size_t len;
};

/* Take n pushes, of any owners, in one transaction (one commit, one NOTIFY
 * per owner): each gets the answer pg_push() would have given it had they
 * come one after the other in this order. A push that fails alone (bad
 * clock, owner gone) fails without the others; when the group's statement
 * fails, each push is taken again in its own transaction. */
void pg_push_group(struct pg *p, struct pg_push_job *jobs, size_t n);

/* Run a JSON-RPC request (text, len) for owner on this instance's replica of
 * owner's state, caught up with the op-log first; its new ops are in
 * PostgreSQL before it returns. idem_key (may be NULL) and principal scope
 * a kept answer (Idempotency-Key) across every instance. *out is NULL when
 * there is nothing to answer; *status the HTTP status. HEPH_ECONFLICT: the
 * key was used for another request. */
int pg_rpc(struct pg *p, const char *owner, const char *principal, const char *text, size_t len,
	   const char *idem_key, const heph_rpc_host *host, char **out, int *status);

/* Call news(arg) from a thread of its own whenever a push through any
 * instance added ops (LISTEN/NOTIFY), and once after each (re)connection;
 * pg_listen_stop() (and pg_close()) end it. */
int pg_listen_start(struct pg *p, void (*news)(void *), void *arg);
void pg_listen_stop(struct pg *p);

/* 0 while PostgreSQL answers. */
int pg_ping(struct pg *p);

/* The store's id (the same on every instance): /config's "hub". */
const char *pg_store_id(struct pg *p);

/* owner's head (the greatest seq of its op-log) and hub id. HEPH_EAUTH
 * when the owner is gone. */
int pg_owner_head(struct pg *p, const char *owner, int64_t *head, char hub[HEPH_ORIGIN_LEN + 1]);

/* Run fn on this instance's replica of owner's state, its own ops pushed
 * and caught up with the op-log and the hub settings, so that it holds
 * exactly the owner's op-log up to its pull cursor; hub is the owner's hub
 * id (pull pages' "hub"). No other request works on the replica meanwhile.
 * fn's error is returned. */
int pg_replica_do(struct pg *p, const char *owner, int (*fn)(heph_store *s, const char *hub, void *arg), void *arg);

/* The owner whose calendar feed secret is secret (64 hex digits): 0, or
 * HEPH_ENOTFOUND (telling nothing of any other secret). */
int pg_calendar_owner(struct pg *p, const char *secret, char owner[PG_OWNER_MAX + 1]);

/* ---- admin (hephd owner …, hephd token … --store) ---- */

int pg_owner_add(struct pg *p, const char *name, char *const *subs, int nsubs);
int pg_owner_remove(struct pg *p, const char *name);
/* Every owner: name, hub, head, tokens, created_at. */
int pg_owner_list(struct pg *p, json_t **out);
int pg_token_create(struct pg *p, const char *owner, const char *name, char **token_out);
int pg_token_revoke(struct pg *p, const char *owner, const char *name);
/* Every token (of owner, or of all when NULL): owner, name, created_at,
 * revoked_at. */
int pg_token_list(struct pg *p, const char *owner, json_t **out);

/* Move a SQLite hub's database into a new owner: its op-log with its seqs and
 * its hub id, its device tokens (hashes; revoked ones stay revoked) and its
 * fleet, so that its spokes continue where they are with the tokens they
 * have. *ops and *tokens: how many of each moved. */
int pg_migrate(struct pg *p, const char *db, const char *owner, int64_t *ops, int64_t *tokens);

#endif
