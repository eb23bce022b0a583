/* opjson.h — an op as JSON text, both ways, in one module (engine/opjson.c).
 *
 * Every op that leaves or enters libheph as text goes through here: the
 * op-log export (`heph ops --json`), `heph apply`, ops.list and ops.apply,
 * the hub's pull pages and a spoke's push bodies. The envelope is written in
 * one order, always:
 *
 *   member   written                  read
 *   seq      only when asked (a hub's  optional; an integer, else -1
 *            pull page), first
 *   op_id    a JSON string            required, a printable token
 *   hlc      a JSON string            required, an HLC whose origin is origin
 *   origin   a JSON string            required
 *   type     a JSON string            required, [a-z][a-z0-9._-]*
 *   payload  the stored text, as is   required, an object; its text as
 *            ({} if it is not one)     received is kept for storing
 *   ...      extra members, if given   ignored
 *
 * The envelope strings are validated tokens (no quote, backslash or control
 * character), so writing them is the same bytes whoever writes them; the
 * payload is spliced in as the op-log holds it, which is what makes a hub's
 * page, a spoke's push and `heph ops --json` carry the bytes the engine
 * stored.
 *
 * Ownership: text handed in is borrowed for the call; a span returned points
 * into that text. A decoded heph_op owns its payload (heph_op_clear()).
 */
#ifndef HEPH_OPJSON_H
#define HEPH_OPJSON_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "heph/buf.h"
#include "heph/op.h"

/* The op row of a statement whose columns, from col, are seq, op_id, hlc,
 * origin, type, payload: appended to b as an envelope, with the seq first
 * when with_seq. The one writer of stored ops. */
void heph__opjson_put_row(heph_buf *b, sqlite3_stmt *st, int col, int with_seq);

/* Read one op envelope from text: the fast parser (jsonfast.c) when the text
 * is in its subset, jansson otherwise (which then words any error). *seq
 * (may be NULL) gets the envelope's seq, -1 when it has none; *payload (may
 * be NULL) the payload's text as received, or NULL when it is not known. The
 * one reader of op text. HEPH_EINVALID, naming the problem. */
int heph__opjson_read(const char *text, size_t len, heph_op *out, int64_t *seq, const char **payload,
		      size_t *payload_len);

/* The op of a statement whose columns, from col, are op_id, hlc, origin,
 * type, payload (an op-log row). A payload that is not a JSON object
 * (a damaged row) leaves an empty object in out->payload and returns
 * HEPH_ERROR with a message; out is always filled. The one reader of
 * stored ops. */
int heph__opjson_from_row(sqlite3_stmt *st, int col, heph_op *out);

/* The payload's text as the op-log stores it when none was received:
 * compact JSON, malloc'd. */
char *heph__opjson_payload_text(const json_t *payload);

#endif
