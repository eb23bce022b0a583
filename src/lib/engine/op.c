/* op.c — decoding, validating and encoding the op envelope (heph/op.h). */
#include "internal.h"

#include <string.h>

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

int heph__op_type_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > HEPH_OP_TYPE_MAX || !(s[0] >= 'a' && s[0] <= 'z'))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
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

int heph__op_decode_span(const char *text, size_t len, heph_op *out, const char **payload, size_t *payload_len)
{
	json_error_t jerr;
	const char *span = NULL;
	size_t span_len = 0;
	json_t *obj = heph__json_fast(text, len, "payload", &span, &span_len);
	memset(out, 0, sizeof *out);
	if (!obj) {
		/* Not the common shape: jansson decides, and words any error. */
		span = NULL;
		if (!(obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)))
			return heph_error_set(HEPH_EINVALID, "malformed JSON at column %d: %s", jerr.column,
					      jerr.text);
	}
	int err = heph_op_from_json(obj, out);
	json_decref(obj);
	if (payload) {
		*payload = err ? NULL : span;
		*payload_len = err ? 0 : span_len;
	}
	return err;
}

int heph_op_decode(const char *text, size_t len, heph_op *out)
{
	return heph__op_decode_span(text, len, out, NULL, NULL);
}

json_t *heph_op_to_json(const heph_op *op)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:O}", "op_id", op->op_id, "hlc", op->hlc, "origin",
			 op->origin, "type", op->type, "payload", op->payload);
}

char *heph_op_encode(const heph_op *op)
{
	json_t *j = heph_op_to_json(op);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return s;
}

void heph_op_clear(heph_op *op)
{
	if (!op)
		return;
	json_decref(op->payload);
	op->payload = NULL;
}
