/* heph/sync.h — the sync engine over a store: the hub's side of push and
 * pull, the spoke's cursors, and the bodies they exchange. There is no
 * networking here; hephd carries these bodies over HTTP (libcurl on a
 * spoke, libmicrohttpd on the hub).
 *
 * Wire format, protocol 1 (the full text is docs/reference/sync-protocol.md):
 *
 *   POST /sync/push  request   {"protocol":1, "origin":O, "node":R, "ops":[OP, ...]}
 *                    response  {"protocol":1, "hub":H, "head":N, "received":n,
 *                               "applied":n, "deferred":n, "unknown":n,
 *                               "duplicate":n}
 *   GET  /sync/pull?protocol=1&after=SEQ&limit=N&R...
 *                    response  {"protocol":1, "hub":H, "head":N, "known_by":K,
 *                               "ops":[{"seq":S, OP...}, ...], "next":S, "more":B}
 *
 *   field     meaning
 *   protocol  the version of this format; a hub answers any other with 426
 *   origin    the pushing device (informational)
 *   node, R   the requester's report of itself (heph/fleet.h): in a push an
 *             object, in a pull its fields as query parameters; optional
 *             (versions before fleet reporting send none)
 *   known_by  for each op type the puller's report does not list, the
 *             versions of the fleet that apply it (heph_fleet_known_by);
 *             only when the pull listed its op types
 *   OP        an op envelope (heph/op.h): op_id, hlc, origin, type, payload
 *   hub       the hub's id (its device origin); cursors belong to one hub
 *   head      the greatest sequence number the hub has given
 *   seq       the hub's sequence number of an op: the order it took it in
 *   next      the cursor for the following pull (the last seq sent, or after)
 *   more      whether the hub holds ops after next
 * Unknown fields, in the envelope as in payloads, are ignored. A push is all
 * or nothing: one invalid op and none of the request is applied.
 *
 * Spoke bookkeeping (device-local, table sync_state and sync_pulled):
 *   pull_cursor  every hub op with seq <= pull_cursor is held here
 *   push_cursor  every local oplog seq <= push_cursor is on the hub or came
 *                from it
 *   sync_pulled  ranges of local seqs above push_cursor that came from the
 *                hub, which a push skips
 * Each pulled page is applied, and the cursors moved, in one transaction, so
 * an interrupted sync resumes at the last page taken. A push that the hub
 * took but whose answer was lost is sent again and changes nothing there.
 *
 * Ownership: bodies returned through char ** are malloc'd and belong to the
 * caller; json_t ** results are new references. Inputs are borrowed.
 */
#ifndef HEPH_SYNC_H
#define HEPH_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "heph/hlc.h"
#include "heph/op.h"
#include "heph/store.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef HEPH_SYNC_PROTOCOL
#define HEPH_SYNC_PROTOCOL 1              /* the wire format this build speaks (tests build another) */
#endif
#define HEPH_SYNC_PULL_LIMIT 20000        /* ops in one pull page, at most */
#define HEPH_SYNC_PULL_BYTES (16 << 20)    /* a page stops growing past this size */
#define HEPH_SYNC_PUSH_LIMIT 1000         /* ops a spoke puts in one push */
#define HEPH_SYNC_PUSH_BYTES (4 << 20)    /* a push stops growing past this size */
#define HEPH_SYNC_ACCEPT_MAX 50000        /* ops a hub takes in one push */

/* Check a "protocol" value (borrowed; NULL when absent): 0 when it is ours,
 * HEPH_EINVALID when missing or not an integer, HEPH_EPROTOCOL naming both
 * versions otherwise. */
int heph_sync_check_protocol(const json_t *v);

/* ---- the hub ---- */

/* One pull page: ops with hub seq > after, in seq order, at most limit
 * (capped at HEPH_SYNC_PULL_LIMIT) and about HEPH_SYNC_PULL_BYTES. */
int heph_sync_pull_page(heph_store *s, int64_t after, int limit, char **out, size_t *len);

/* The same for a puller that reported itself (report may be NULL): the page
 * also says which versions apply the op types it does not know. */
int heph_sync_pull_page_for(heph_store *s, int64_t after, int limit, const json_t *report, char **out,
			    size_t *len);

/* Take a push body: check it, then apply every op in one transaction (or
 * none, on the first invalid one). *out is the response body. Errors:
 * HEPH_EINVALID (malformed, invalid op: the message names it),
 * HEPH_EPROTOCOL, HEPH_ETOOBIG (more than HEPH_SYNC_ACCEPT_MAX ops),
 * HEPH_EFUTURE (an op's clock too far ahead). */
int heph_sync_accept(heph_store *s, const char *body, size_t len, char **out, size_t *out_len);

/* heph_sync_accept() in two steps, so that a hub can check a push without
 * holding its write lock and then apply several pushes in one transaction:
 * decode checks everything (the errors above but HEPH_EFUTURE) and touches
 * no store; apply runs in its own transaction, or in a savepoint of one that
 * is open, and on failure leaves nothing of this push behind. */
typedef struct heph_sync_push heph_sync_push;
int heph_sync_push_decode(const char *body, size_t len, heph_sync_push **out);
int heph_sync_push_apply(heph_store *s, const heph_sync_push *p, char **out, size_t *out_len);
void heph_sync_push_free(heph_sync_push *p);

/* A decoded push's parts, borrowed from p (valid until
 * heph_sync_push_free()): its ops, in the order sent, and the pusher's
 * report of itself (NULL when it sent none). A hub that keeps its op-log
 * elsewhere (hephd's PostgreSQL store) takes pushes checked by the same
 * decode through these. */
size_t heph_sync_push_count(const heph_sync_push *p);
const heph_op *heph_sync_push_op(const heph_sync_push *p, size_t i);
const json_t *heph_sync_push_report(const heph_sync_push *p);

/* The same, recording the pusher in the hub's fleet (heph_fleet_note) in
 * the same transaction as its ops: the push body's "node" report, and token,
 * the name of the credential it came with (NULL: none). A malformed report
 * is HEPH_EINVALID and nothing is applied. */
int heph_sync_push_decode_from(const char *body, size_t len, const char *token, heph_sync_push **out);
int heph_sync_accept_from(heph_store *s, const char *body, size_t len, const char *token, char **out,
			  size_t *out_len);

/* ---- a spoke ---- */

/* What taking a pull page did. */
typedef struct heph_sync_page {
	int64_t next;       /* the pull cursor now */
	int64_t head;       /* the hub's head when it answered */
	int more;           /* the hub holds ops after next */
	int reset;          /* the hub changed or went back: cursors restarted, pull from 0 */
	int64_t received;   /* ops in the page */
	int64_t added;      /* ops new to this replica */
} heph_sync_page;

/* The greatest seq of s's op-log (0 when empty): a hub's head. */
int heph_sync_head(heph_store *s, int64_t *out);

/* The pull cursor (0 before the first pull). */
int heph_sync_pull_cursor(heph_store *s, int64_t *out);

/* Apply a pull page fetched with cursor after, in one transaction with the
 * cursor moves. A page from a different hub than the cursors belong to, or
 * one whose head is behind our cursor (a hub restored from a backup),
 * applies nothing and resets the cursors (out->reset) so that the next pull
 * starts at 0 and every local op is pushed again. A page asked for after a
 * cursor that has gone back since (another process started over) applies
 * nothing either (out->more: ask again from the cursor). */
int heph_sync_take_page(heph_store *s, int64_t after, const char *body, size_t len,
			heph_sync_page *out);

/* The next push body: local ops not yet on the hub, in local order, at most
 * limit and about max_bytes (at least one op). *count is 0 (and *body NULL)
 * when nothing waits; *after_seq (when not NULL) is the push cursor it starts
 * after and *last_seq the local seq of the last op in it. */
int heph_sync_push_body(heph_store *s, int limit, size_t max_bytes, char **body, size_t *len,
			int *count, int64_t *after_seq, int64_t *last_seq);

/* The hub took the push of (after_seq, last_seq] (its response body): move
 * the push cursor to last_seq, unless it went back below after_seq meanwhile
 * (another process started over with a new hub: those ops go again).
 * HEPH_ECONFLICT if the answer came from another hub than the one the
 * cursors belong to (nothing moves). */
int heph_sync_pushed(heph_store *s, const char *response, size_t len, int64_t after_seq, int64_t last_seq);

/* Ops waiting to be pushed. */
int heph_sync_pending(heph_store *s, int64_t *count);

/* Record one sync attempt that started at started_ms: err 0 for success
 * (with the counts), else the error code and message. */
int heph_sync_record(heph_store *s, int64_t started_ms, int err, const char *message,
		     int64_t pulled, int64_t pushed);

/* Say who failed the last recorded attempt: "hub" (what heph_sync_record
 * assumes) or "provider" (the identity provider, while getting a token). */
int heph_sync_note_source(heph_store *s, const char *from);

/* The sync status of this replica: hub, token_file, hub_id, last_attempt,
 * last_success, last_error, last_error_name, last_error_from ("hub",
 * "provider" or null), auth_failed, pending_push,
 * conflicts, unapplied (heph_fleet_unapplied), pull_cursor, push_cursor, last_pulled, last_pushed. */
int heph_sync_status(heph_store *s, json_t **out);

/* ---- snapshots: a spoke starting from a copy of the hub's replica ---- */

#define HEPH_SNAPSHOT_FORMAT 2                  /* the snapshot file's format (sync_snapshot.c) */
#define HEPH_SNAPSHOT_APPLICATION_ID 0x68657073 /* "heps": the file's PRAGMA application_id */
/* A spoke with an empty pull cursor starts from a snapshot when the hub
 * holds more than this many ops: fewer come in one pull page anyway
 * (docs/explanation/sync.md). HEPH_SYNC_SNAPSHOT=always|never overrides. */
#define HEPH_SYNC_SNAPSHOT_MIN HEPH_SYNC_PULL_LIMIT

/* Write a snapshot of s's database, its device's own tables emptied, as of
 * one read transaction, to path (a new file; removed again on failure); *seq is the
 * hub seq it holds the op-log up to. Never holds the write lock. HEPH_ERROR
 * when the database has a table the snapshot's list does not decide. */
int heph_sync_snapshot_write(heph_store *s, const char *path, int64_t *seq);

/* The same for a replica that pulls the op-log of hub (a PostgreSQL hub's
 * copy of one owner's state, which pushed all its own ops first): the file
 * states hub as its hub id and s's pull cursor, as of the copy, as its seq
 * (*seq). HEPH_ERROR when s's cursors are about another hub. */
int heph_sync_snapshot_write_replica(heph_store *s, const char *path, const char *hub, int64_t *seq);

/* The SHA-256 of the file at path as 64 lowercase hex digits, and its size
 * (size may be NULL). HEPH_ENOTFOUND/HEPH_ERROR naming it. */
int heph_sync_snapshot_digest(const char *path, char hex[65], int64_t *size);

/* Check that the file at path is a snapshot this build can install, without
 * changing s: *seq and *hub (malloc'd) are its. HEPH_EINVALID when it is not
 * a heph snapshot of HEPH_SNAPSHOT_FORMAT (the caller checked the format the
 * hub stated: a file of another one is corrupt), HEPH_EPROTOCOL when it is
 * of another schema, feature level or page size (pull the op-log instead). */
int heph_sync_snapshot_check(heph_store *s, const char *path, int64_t *seq, char **hub);

typedef struct heph_sync_snapshot_result {
	int64_t seq;                         /* the pull cursor now */
	char hub[HEPH_ORIGIN_LEN + 1];       /* the hub's id */
	int64_t ops;                         /* ops taken from the snapshot */
	int64_t kept;                        /* this replica's own ops applied again, to be pushed */
} heph_sync_snapshot_result;

/* Replace s's replicated state by the snapshot's at path, in one write
 * transaction (the file, which this changes, is copied over the database
 * page by page): this device's identity, settings, tokens and sync settings
 * stay; ops it holds that the snapshot lacks are applied again and wait to
 * be pushed; the cursors move to the snapshot's seq. want_hub (may be
 * NULL): refuse a snapshot of another hub. The checks of
 * heph_sync_snapshot_check() come first; on any failure the database is
 * unchanged (HEPH_EUNAVAIL when another process wrote to it meanwhile, or
 * was writing to it when the pages were to be copied). */
int heph_sync_snapshot_install(heph_store *s, const char *path, const char *want_hub,
			       heph_sync_snapshot_result *out);

/* Device-local settings naming the hub (heph hub set). */
#define HEPH_SETTING_HUB_URL "hub.url"
#define HEPH_SETTING_HUB_TOKEN_FILE "hub.token_file"

#ifdef __cplusplus
}
#endif
#endif
