/* op.c — the known op types and their payload checks (heph/op.h). Reading
 * and writing ops as text is opjson.c's. */
#include "internal.h"
#include "ext.h"

#include <pthread.h>
#include <string.h>

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

/* ---- the payloads of the known types ---- */

static const char *str(const json_t *p, const char *key)
{
	return json_string_value(json_object_get(p, key)); /* borrowed */
}

int heph__payload_id(const json_t *p, const char *key)
{
	const char *v = str(p, key);
	if (!v)
		return heph_error_set(HEPH_EINVALID, "payload field \"%s\" is missing or not a string", key);
	if (!heph_id_valid(v))
		return heph_error_set(HEPH_EINVALID, "payload field \"%s\": \"%.40s\" is not a ULID", key, v);
	return 0;
}

static int check_registers(const json_t *p, int task)
{
	for (const heph_field *f = heph__fields(task); f->name; f++) {
		const json_t *v = json_object_get(p, f->name);
		if (v && f->check(f->name, v))
			return HEPH_EINVALID;
	}
	return 0;
}

int heph__payload_base(const json_t *p)
{
	const json_t *b = json_object_get(p, "base");
	const char *k;
	const json_t *v;
	heph_hlc h;
	if (!b)
		return 0;
	if (!json_is_object(b))
		return heph_error_set(HEPH_EINVALID, "payload field \"base\" must be an object");
	json_object_foreach((json_t *)b, k, v) {
		const char *t = json_string_value(v);
		if (!t || (t[0] && heph_hlc_parse(t, &h)))
			return heph_error_set(HEPH_EINVALID, "base of \"%s\" is not an HLC", k);
	}
	return 0;
}

/* "resolves" (optional, on node.set and task.set): the conflict that this
 * write settles, {"field": F, "hlcs": [loser clock, winner clock]}. Builds
 * before it ignore it and apply the write as any other. */
static int check_resolves(const json_t *p)
{
	const json_t *r = json_object_get(p, "resolves"), *h;
	size_t i;
	heph_hlc hlc;
	if (!r)
		return 0;
	if (!json_is_object(r) || !json_is_string(json_object_get(r, "field")) ||
	    !json_is_array(json_object_get(r, "hlcs")) || json_array_size(json_object_get(r, "hlcs")) > 2)
		return heph_error_set(HEPH_EINVALID, "payload field \"resolves\" must be {\"field\": NAME, \"hlcs\": "
				      "[up to two HLCs]}");
	json_array_foreach(json_object_get(r, "hlcs"), i, h)
		if (!json_is_string(h) || heph_hlc_parse(json_string_value(h), &hlc))
			return heph_error_set(HEPH_EINVALID, "resolves: \"hlcs\" holds something that is not an HLC");
	return 0;
}

/* ---- validation of the known types ---- */

static int v_node_create(const json_t *p)
{
	if (heph__payload_id(p, "node_id"))
		return HEPH_EINVALID;
	if (heph__check_kind(str(p, "kind")))
		return heph_error_wrap(HEPH_EINVALID, "payload field \"kind\": ");
	return check_registers(p, 0);
}

static int v_node_set(const json_t *p)
{
	if (heph__payload_id(p, "node_id") || check_registers(p, 0) || heph__payload_base(p) || check_resolves(p))
		return HEPH_EINVALID;
	return 0;
}

static int v_node_tombstone(const json_t *p) { return heph__payload_id(p, "node_id"); }

static int v_task_create(const json_t *p)
{
	if (heph__payload_id(p, "node_id") || check_registers(p, 0) || check_registers(p, 1))
		return HEPH_EINVALID;
	return 0;
}

static int v_task_set(const json_t *p)
{
	if (heph__payload_id(p, "node_id") || check_registers(p, 1) || heph__payload_base(p) || check_resolves(p))
		return HEPH_EINVALID;
	return 0;
}

static int v_link_add(const json_t *p)
{
	if (heph__payload_id(p, "link_id") || heph__payload_id(p, "src") || heph__payload_id(p, "dst"))
		return HEPH_EINVALID;
	if (heph__check_link_type(str(p, "type")))
		return heph_error_wrap(HEPH_EINVALID, "payload field \"type\": ");
	return 0;
}

static int v_link_remove(const json_t *p)
{
	const json_t *ids = json_object_get(p, "link_ids");
	size_t i;
	const json_t *v;
	if (heph__payload_id(p, "src") || heph__payload_id(p, "dst"))
		return HEPH_EINVALID;
	if (heph__check_link_type(str(p, "type")))
		return heph_error_wrap(HEPH_EINVALID, "payload field \"type\": ");
	if (!json_is_array(ids))
		return heph_error_set(HEPH_EINVALID, "payload field \"link_ids\" must be an array");
	json_array_foreach(ids, i, v) {
		if (!heph_id_valid(json_string_value(v)))
			return heph_error_set(HEPH_EINVALID, "link_ids[%zu] is not a ULID", i);
	}
	return 0;
}


/* The known op types: the feature level that introduced each and its
 * payload check. The merge engine (apply.c) has an apply function for every
 * type here. */
static const struct {
	const char *type;
	int level;                       /* the feature level that introduced it */
	int (*validate)(const json_t *p); /* 0, or HEPH_EINVALID with the message set */
} kinds[] = {
	{ "node.create", 1, v_node_create },
	{ "node.set", 1, v_node_set },
	{ "node.tombstone", 1, v_node_tombstone },
	{ "task.create", 1, v_task_create },
	{ "task.set", 1, v_task_set },
	{ "link.add", 1, v_link_add },
	{ "link.remove", 1, v_link_remove },
};

#define NKINDS (sizeof kinds / sizeof kinds[0])

static int kind_index(const char *type)
{
	for (size_t i = 0; i < NKINDS; i++)
		if (strcmp(kinds[i].type, type) == 0)
			return (int)i;
	return -1;
}

const heph_ext_op *heph__ext_op(const char *type)
{
	for (const heph_ext_op *x = heph__ext.op_types; x && x->type; x++)
		if (strcmp(x->type, type) == 0)
			return x;
	return NULL;
}

int heph_op_type_known(const char *type) { return kind_index(type) >= 0 || heph__ext_op(type); }

int heph__op_type_level(const char *type)
{
	int i = kind_index(type);
	const heph_ext_op *x = i < 0 ? heph__ext_op(type) : NULL;
	return i >= 0 ? kinds[i].level : x ? x->level : 0;
}

#define EXT_MAX 16 /* op types an extension may add */

static const char *type_names[NKINDS + EXT_MAX + 1];
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

static void make_type_names(void)
{
	size_t n = 0;
	for (size_t i = 0; i < NKINDS; i++)
		type_names[n++] = kinds[i].type;
	for (const heph_ext_op *x = heph__ext.op_types; x && x->type && n < NKINDS + EXT_MAX; x++)
		type_names[n++] = x->type;
}

const char *const *heph_op_types(void)
{
	pthread_once(&names_once, make_type_names);
	return type_names;
}

int heph__op_validate(const char *type, const json_t *payload)
{
	int i = kind_index(type);
	const heph_ext_op *x = i < 0 ? heph__ext_op(type) : NULL;
	if (i < 0 && !x)
		return 0;
	if (i >= 0 ? kinds[i].validate(payload) : x->validate(payload))
		return heph_error_wrap(HEPH_EINVALID, "%s: ", type);
	return 0;
}
