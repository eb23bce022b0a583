/* emit.c — making local changes: stamp a new op with a fresh HLC tick and
 * an op id, append it and apply it, all inside the caller's transaction. */
#include "internal.h"

#include <assert.h>
#include <string.h>

void heph__new_id(heph_store *s, char out[HEPH_ID_LEN + 1])
{
	heph_id_new(s->clock(s->clock_ctx), out);
}

int heph__emit(heph_store *s, const char *type, json_t *payload, char *op_id_out)
{
	heph_op op;
	json_t *before = NULL;
	int err;
	assert(s->depth > 0 && "local changes happen inside a transaction");
	memset(&op, 0, sizeof op);
	op.payload = payload;
	if ((err = heph__op_validate(type, payload)))
		goto out;
	heph_hlc_tick(&s->hlc, s->clock(s->clock_ctx));
	s->hlc_dirty = 1;
	heph_hlc_format(&s->hlc, op.hlc);
	memcpy(op.origin, s->origin, sizeof op.origin);
	snprintf(op.type, sizeof op.type, "%s", type);
	heph__new_id(s, op.op_id);
	before = heph__undo_before(s, type, payload);
	if ((err = heph__apply_op(s, &op, 1, NULL)) || (err = heph__undo_note(s, op.op_id, before)))
		goto out;
	if (op_id_out)
		memcpy(op_id_out, op.op_id, HEPH_ID_LEN + 1);
out:
	json_decref(before);
	json_decref(payload);
	return err;
}

int heph__field_clock(heph_store *s, const char *node_id, const char *field, char out[HEPH_HLC_LEN + 1])
{
	const heph_field *f = heph__field_find(0, field);
	char base[HEPH_HLC_LEN + 1];
	if (!f)
		f = heph__field_find(1, field);
	out[0] = '\0';
	if (!f)
		return heph_error_set(HEPH_EINVALID, "unknown field \"%.40s\"", field);
	return heph__register_clock(s, node_id, f, out, base);
}
