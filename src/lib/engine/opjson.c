/* opjson.c — an op as JSON text, both ways (opjson.h lays out the
 * envelope): the one writer of op envelopes, the one reader of op text and
 * of op-log rows, and the op's jansson form (heph/op.h).
 *
 * Reading checks the envelope here and the payload of a known type through
 * op.c (heph__op_validate), so an op read from any source is held to the
 * same rules.
 */
#include "internal.h"
#include "opjson.h"

#include <stdlib.h>
#include <string.h>

/* ---- writing ---- */

/* The envelope without its closing brace. The four strings are tokens the
 * reader validated (or the engine made), escaped anyway. */
static void put_open(heph_buf *b, int64_t seq, const char *op_id, const char *hlc, const char *origin,
		     const char *type, const char *payload, size_t payload_len)
{
	heph_buf_put(b, "{", 1);
	if (seq >= 0) {
		heph_buf_puts(b, "\"seq\":");
		heph_buf_put_i64(b, seq);
		heph_buf_put(b, ",", 1);
	}
	heph_buf_puts(b, "\"op_id\":");
	heph_buf_put_jstr(b, op_id);
	heph_buf_puts(b, ",\"hlc\":");
	heph_buf_put_jstr(b, hlc);
	heph_buf_puts(b, ",\"origin\":");
	heph_buf_put_jstr(b, origin);
	heph_buf_puts(b, ",\"type\":");
	heph_buf_put_jstr(b, type);
	heph_buf_puts(b, ",\"payload\":");
	if (payload && payload_len && payload[0] == '{')
		heph_buf_put(b, payload, payload_len);
	else
		heph_buf_put(b, "{}", 2);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	return t ? t : "";
}

void heph__opjson_put_row(heph_buf *b, sqlite3_stmt *st, int col, int with_seq)
{
	const char *payload = (const char *)sqlite3_column_text(st, col + 5);
	put_open(b, with_seq ? sqlite3_column_int64(st, col) : -1, col_text(st, col + 1), col_text(st, col + 2),
		 col_text(st, col + 3), col_text(st, col + 4), payload,
		 payload ? (size_t)sqlite3_column_bytes(st, col + 5) : 0);
	heph_buf_put(b, "}", 1);
}

char *heph__opjson_payload_text(const json_t *payload)
{
	char *t = json_dumps(payload, JSON_COMPACT);
	if (!t)
		abort(); /* an object always encodes; only memory can fail */
	return t;
}

void heph_op_put(heph_buf *b, const heph_op *op, int64_t seq, const json_t *extra)
{
	char *payload = json_is_object(op->payload) ? heph__opjson_payload_text(op->payload) : NULL;
	const char *k;
	json_t *v;
	put_open(b, seq, op->op_id, op->hlc, op->origin, op->type, payload, payload ? strlen(payload) : 0);
	free(payload);
	json_object_foreach((json_t *)extra, k, v) {
		char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!t)
			abort();
		heph_buf_put(b, ",", 1);
		heph_buf_put_jstr(b, k);
		heph_buf_put(b, ":", 1);
		heph_buf_puts(b, t);
		free(t);
	}
	heph_buf_put(b, "}", 1);
}

char *heph_op_encode(const heph_op *op)
{
	heph_buf b = { 0 };
	heph_op_put(&b, op, -1, NULL);
	return b.p;
}

json_t *heph_op_to_json(const heph_op *op)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:O}", "op_id", op->op_id, "hlc", op->hlc, "origin",
			 op->origin, "type", op->type, "payload", op->payload);
}

/* ---- reading ---- */

static int printable_token(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f || s[i] == '"' || s[i] == '\\')
			return 0;
	return 1;
}

int heph_op_from_json(const json_t *obj, heph_op *out)
{
	heph_hlc h;
	const char *op_id, *hlc, *origin, *type;
	json_t *payload;
	memset(out, 0, sizeof *out);
	if (!json_is_object(obj))
		return heph_error_set(HEPH_EINVALID, "an op must be a JSON object");
	op_id = json_string_value(json_object_get(obj, "op_id"));
	hlc = json_string_value(json_object_get(obj, "hlc"));
	origin = json_string_value(json_object_get(obj, "origin"));
	type = json_string_value(json_object_get(obj, "type"));
	payload = json_object_get(obj, "payload"); /* borrowed */
	if (!printable_token(op_id, HEPH_OP_ID_MAX))
		return heph_error_set(HEPH_EINVALID, "op_id missing or malformed");
	if (!hlc)
		return heph_error_set(HEPH_EINVALID, "op %s: hlc missing", op_id);
	if (heph_hlc_parse(hlc, &h))
		return heph_error_wrap(HEPH_EINVALID, "op %s: ", op_id);
	if (!origin || strcmp(origin, h.origin) != 0)
		return heph_error_set(HEPH_EINVALID, "op %s: origin \"%.20s\" does not match its hlc", op_id,
				      origin ? origin : "");
	if (!heph__op_type_ok(type))
		return heph_error_set(HEPH_EINVALID, "op %s: type missing or malformed", op_id);
	if (!json_is_object(payload))
		return heph_error_set(HEPH_EINVALID, "op %s: payload must be an object", op_id);
	if (heph__op_validate(type, payload))
		return heph_error_wrap(HEPH_EINVALID, "op %s: ", op_id);
	snprintf(out->op_id, sizeof out->op_id, "%s", op_id);
	memcpy(out->hlc, hlc, HEPH_HLC_LEN + 1);
	memcpy(out->origin, origin, HEPH_ORIGIN_LEN + 1);
	snprintf(out->type, sizeof out->type, "%s", type);
	out->payload = json_incref(payload);
	return 0;
}

int heph__opjson_read(const char *text, size_t len, heph_op *out, int64_t *seq, const char **payload,
		      size_t *payload_len)
{
	json_error_t jerr;
	const char *span = NULL;
	size_t span_len = 0;
	json_t *obj = heph__json_fast(text, len, "payload", &span, &span_len);
	memset(out, 0, sizeof *out);
	if (seq)
		*seq = -1;
	if (payload) {
		*payload = NULL;
		*payload_len = 0;
	}
	if (!obj) {
		/* Not the common shape: jansson decides, and words any error. */
		span = NULL;
		if (!(obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)))
			return heph_error_set(HEPH_EINVALID, "malformed JSON at column %d: %s", jerr.column,
					      jerr.text);
	}
	int err = heph_op_from_json(obj, out);
	if (!err && seq) {
		json_t *v = json_object_get(obj, "seq"); /* borrowed */
		*seq = json_is_integer(v) ? json_integer_value(v) : -1;
	}
	json_decref(obj);
	if (!err && payload) {
		*payload = span;
		*payload_len = span_len;
	}
	return err;
}

int heph_op_decode(const char *text, size_t len, heph_op *out)
{
	return heph__opjson_read(text, len, out, NULL, NULL, NULL);
}

int heph__opjson_from_row(sqlite3_stmt *st, int col, heph_op *out)
{
	const char *payload = (const char *)sqlite3_column_text(st, col + 4);
	size_t len = payload ? (size_t)sqlite3_column_bytes(st, col + 4) : 0;
	memset(out, 0, sizeof *out);
	snprintf(out->op_id, sizeof out->op_id, "%s", col_text(st, col));
	snprintf(out->hlc, sizeof out->hlc, "%s", col_text(st, col + 1));
	snprintf(out->origin, sizeof out->origin, "%s", col_text(st, col + 2));
	snprintf(out->type, sizeof out->type, "%s", col_text(st, col + 3));
	/* The engine wrote the payload, so the fast parser nearly always
	 * reads it; jansson takes what it does not. */
	out->payload = payload ? heph__json_fast(payload, len, NULL, NULL, NULL) : NULL;
	if (!out->payload && payload)
		out->payload = json_loadb(payload, len, 0, NULL);
	if (json_is_object(out->payload))
		return 0;
	json_decref(out->payload);
	out->payload = json_object();
	return heph_error_set(HEPH_ERROR, "stored op %s has a corrupt payload", out->op_id);
}

void heph_op_clear(heph_op *op)
{
	if (!op)
		return;
	json_decref(op->payload);
	op->payload = NULL;
}

int heph_op_lines_next(FILE *in, heph_op_lines *r, char **text, size_t *len)
{
	ssize_t n;
	while ((n = getline(&r->line, &r->cap, in)) > 0) {
		r->lineno++;
		while (n > 0 && (r->line[n - 1] == '\n' || r->line[n - 1] == '\r'))
			r->line[--n] = '\0';
		if (n == 0)
			continue;
		if (n > HEPH_OP_LINE_MAX)
			return heph_error_set(HEPH_ETOOBIG, "line %lld: op is over %d bytes", r->lineno, HEPH_OP_LINE_MAX);
		*text = r->line;
		*len = (size_t)n;
		return 1;
	}
	return ferror(in) ? heph_error_set(HEPH_ERROR, "reading ops failed after line %lld", r->lineno) : 0;
}

void heph_op_lines_free(heph_op_lines *r)
{
	free(r->line);
	r->line = NULL;
	r->cap = 0;
}
