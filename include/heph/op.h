/* heph/op.h — operations: the only thing that crosses the wire.
 *
 * Every change is an op appended to the op-log and applied by the one merge
 * engine (apply.c) that runs on every replica. The op envelope, as a line of
 * JSON (`heph ops --json`, `heph apply`, the sync wire format):
 *
 *   field    type    meaning
 *   op_id    string  ULID, unique across devices
 *   hlc      string  the op's HLC (heph/hlc.h), strictly increasing per origin
 *   origin   string  the device that made the op; equals the HLC's origin
 *   type     string  "task.create", "node.set", ...; unknown types are stored
 *                    but not applied, and applied once a version knows them
 *   payload  object  type-specific; unknown fields are ignored and kept
 *
 * Payloads of the known types (fields not listed are ignored):
 *
 *   node.create    node_id, kind, title?, body?
 *   node.set       node_id, title?, body?, base?
 *   node.tombstone node_id
 *   task.create    node_id, title?, body?, state?, attention?, do_date?,
 *                  late_on?, recurrence?
 *   task.set       node_id, state?, attention?, do_date?, late_on?,
 *                  recurrence?, base?
 *   link.add       link_id, src, dst, type
 *   link.remove    src, dst, type, link_ids (the adds it observed)
 *
 * `base` maps a field name to the HLC of the value the writer saw when it
 * made the change; the engine uses it to tell a sequential edit from a
 * concurrent one (only the latter is a conflict).
 *
 * Ownership: a decoded heph_op owns its type and payload; free them with
 * heph_op_clear(). Encoded lines are malloc'd and belong to the caller.
 */
#ifndef HEPH_OP_H
#define HEPH_OP_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "heph/buf.h"
#include "heph/hlc.h"
#include "heph/id.h"
#include "heph/store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HEPH_OP_ID_MAX 64        /* op ids from other versions may be longer than a ULID */
#define HEPH_OP_TYPE_MAX 64
#define HEPH_OP_LINE_MAX (4 << 20) /* bytes in one encoded op */

typedef struct heph_op {
	char op_id[HEPH_OP_ID_MAX + 1]; /* unique id */
	char hlc[HEPH_HLC_LEN + 1];     /* encoded HLC */
	char origin[HEPH_ORIGIN_LEN + 1]; /* device id */
	char type[HEPH_OP_TYPE_MAX + 1]; /* op type */
	json_t *payload;                /* owned JSON object */
} heph_op;

/* What became of an op given to the engine. */
typedef enum heph_op_status {
	HEPH_OP_APPLIED = 0,   /* in the materialized state */
	HEPH_OP_DEFERRED = 1,  /* waiting for a node it refers to */
	HEPH_OP_UNKNOWN = 2,   /* a type this version does not know: stored only */
	HEPH_OP_DUPLICATE = 3  /* already in the log; nothing changed */
} heph_op_status;

/* Decode and validate one JSON op (envelope and, for known types, the
 * payload). HEPH_EINVALID with a message naming the problem otherwise. */
int heph_op_decode(const char *text, size_t len, heph_op *out);
int heph_op_from_json(const json_t *obj, heph_op *out);

/* Encode as one compact JSON line without the newline; caller frees. */
char *heph_op_encode(const heph_op *op);
json_t *heph_op_to_json(const heph_op *op); /* new reference */

/* Append op to b as one compact envelope (the bytes heph_op_encode gives):
 * with seq >= 0 a "seq" member first, and after the envelope's members
 * those of extra (a JSON object, borrowed; may be NULL). */
void heph_op_put(heph_buf *b, const heph_op *op, int64_t seq, const json_t *extra);

void heph_op_clear(heph_op *op);

/* Reading an ops stream (heph ops, heph apply): one op's JSON a line, LF or
 * CRLF endings, blank lines skipped. heph_op_lines_next() gives the next
 * line: 1 with *text and *len set (valid until the next call), 0 at the
 * end, or an error (a line over HEPH_OP_LINE_MAX bytes, a read error) whose
 * message names the line. r->lineno is the line's number, for the caller's
 * own errors. Start from a zeroed heph_op_lines; free it when done. */
typedef struct heph_op_lines {
	char *line;
	size_t cap;
	long long lineno;
} heph_op_lines;
int heph_op_lines_next(FILE *in, heph_op_lines *r, char **text, size_t *len);
void heph_op_lines_free(heph_op_lines *r);

/* Whether this version's engine applies ops of this type. */
int heph_op_type_known(const char *type);

/* The op types this version knows, NULL-terminated; static storage. */
const char *const *heph_op_types(void);

/* Apply an op made elsewhere, exactly as sync does: refuse it if its clock is
 * too far ahead, append it to the log, absorb its HLC, apply it (or defer it,
 * or store it unapplied). Idempotent. Runs in its own transaction unless one
 * is open. *status may be NULL. */
int heph_store_apply(heph_store *s, const heph_op *op, heph_op_status *status);

/* Counts from heph_store_apply_stream(). */
typedef struct heph_apply_stats {
	int64_t read;       /* ops read */
	int64_t applied;    /* newly applied (deferred ops later woken included) */
	int64_t deferred;   /* still waiting for a node */
	int64_t unknown;    /* stored, type unknown */
	int64_t duplicate;  /* already present */
} heph_apply_stats;

/* Apply a stream of JSON lines (the format of `heph ops --json`) in one
 * transaction: either every op is taken, or (on the first bad line) none is
 * and the error names the line. Blank lines are skipped. */
int heph_store_apply_stream(heph_store *s, FILE *in, heph_apply_stats *stats);

/* Visit the op-log in local arrival order. With only_pending, just the ops
 * not (yet) applied. The op passed to fn is borrowed for the call. A
 * non-zero return from fn stops the walk and is returned. */
typedef int (*heph_op_visit_fn)(const heph_op *op, heph_op_status status, int64_t seq,
				void *ctx);
int heph_store_ops_foreach(heph_store *s, int64_t after_seq, int only_pending,
			   heph_op_visit_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif
#endif
