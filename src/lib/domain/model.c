/* model.c — local changes built from ops. Every function here runs inside
 * the caller's transaction and only emits ops; the merge engine does the
 * rest, exactly as it will on every other replica. */
#include "rpc_internal.h"

#include <stdlib.h>
#include <string.h>

#include "body.h"

int heph__link_add(heph_store *s, const char *src, const char *dst, const char *type,
		   char id_out[HEPH_ID_LEN + 1])
{
	char lid[HEPH_ID_LEN + 1];
	heph__new_id(s, lid);
	if (id_out)
		memcpy(id_out, lid, sizeof lid);
	return heph__emit(s, "link.add",
			  json_pack("{s:s, s:s, s:s, s:s}", "link_id", lid, "src", src, "dst", dst, "type", type),
			  NULL);
}

/* The tags of live links src -[type]-> dst (dst NULL: any dst). */
static int live_tags(heph_store *s, const char *src, const char *dst, const char *type, json_t **by_dst)
{
	sqlite3_stmt *st = heph__stmt(s, "SELECT id, dst FROM links WHERE src = ?1 AND type = ?2 "
					 "AND (?3 IS NULL OR dst = ?3) ORDER BY dst, id");
	json_t *map = json_object();
	if (!st) {
		json_decref(map);
		return HEPH_ERROR;
	}
	heph__bind_str(st, 1, src);
	heph__bind_str(st, 2, type);
	heph__bind_str(st, 3, dst);
	int rc;
	while ((rc = heph__row(s, st)) > 0) {
		const char *d = (const char *)sqlite3_column_text(st, 1);
		json_t *arr = json_object_get(map, d);
		if (!arr)
			json_object_set_new(map, d, arr = json_array());
		json_array_append_new(arr, json_string((const char *)sqlite3_column_text(st, 0)));
	}
	if (rc < 0) {
		/* Never a link.remove naming only some of the tags. */
		json_decref(map);
		return rc;
	}
	*by_dst = map;
	return 0;
}

static int remove_tags(heph_store *s, const char *src, const char *type, json_t *by_dst, int *removed)
{
	const char *d;
	json_t *tags;
	int err;
	json_object_foreach(by_dst, d, tags) {
		if (removed)
			*removed += (int)json_array_size(tags);
		if ((err = heph__emit(s, "link.remove",
				      json_pack("{s:s, s:s, s:s, s:O}", "src", src, "dst", d, "type", type,
						"link_ids", tags),
				      NULL)))
			return err;
	}
	return 0;
}

int heph__link_remove(heph_store *s, const char *src, const char *dst, const char *type, int *removed)
{
	json_t *by_dst;
	int err;
	*removed = 0;
	if ((err = live_tags(s, src, dst, type, &by_dst)))
		return err;
	err = remove_tags(s, src, type, by_dst, removed);
	json_decref(by_dst);
	return err;
}

int heph__relink(heph_store *s, const char *src, const char *type, const char *dst)
{
	json_t *by_dst;
	int err;
	if ((err = live_tags(s, src, NULL, type, &by_dst)))
		return err;
	/* Filing into the project (or under the parent) it is already in is
	 * written too, with a fresh tag: the user has just said where it
	 * belongs, so a concurrent unfile or move on another device, which
	 * can only remove the tags it saw, does not undo that (the latest
	 * live link wins, as for any move). See docs/explanation/merge.md. */
	err = remove_tags(s, src, type, by_dst, NULL);
	json_decref(by_dst);
	if (!err && dst)
		err = heph__link_add(s, src, dst, type, NULL);
	return err;
}

int heph__set_fields(heph_store *s, const char *id, int task, json_t *fields)
{
	json_t *payload = json_pack("{s:s}", "node_id", id), *base = json_object();
	const char *k;
	json_t *v;
	char clock[HEPH_HLC_LEN + 1];
	int err;
	json_object_foreach(fields, k, v) {
		if ((err = heph__field_clock(s, id, k, clock))) {
			json_decref(payload);
			json_decref(base);
			return err;
		}
		json_object_set(payload, k, v);
		json_object_set_new(base, k, json_string(clock));
	}
	json_object_set_new(payload, "base", base);
	return heph__emit(s, task ? "task.set" : "node.set", payload, NULL);
}

int heph__set_body_ex(heph_store *s, const char *node_id, const char *body, json_t *unresolved)
{
	char *text = NULL;
	int err, same = 0;
	if ((err = heph__body_prepare(s, body, &text, unresolved)))
		return err;
	sqlite3_stmt *st = heph__stmt(s, "SELECT body = ?2 FROM nodes WHERE id = ?1");
	if (!st) {
		free(text);
		return HEPH_ERROR;
	}
	heph__bind_str(st, 1, node_id);
	heph__bind_str(st, 2, text);
	if (sqlite3_step(st) == SQLITE_ROW)
		same = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	/* An unchanged body makes no op, but its index is still checked: that is
	 * how a link lost to concurrent edits comes back. */
	if (!same) {
		json_t *fields = json_pack("{s:s}", "body", text);
		err = heph__set_fields(s, node_id, 0, fields);
		json_decref(fields);
	}
	if (!err)
		err = heph__body_index(s, node_id, text);
	free(text);
	return err;
}

int heph__set_body(heph_store *s, const char *node_id, const char *body)
{
	return heph__set_body_ex(s, node_id, body, NULL);
}

int heph__node_create(heph_store *s, const char *id, const char *kind, const char *title, const char *body,
		      json_t *unresolved)
{
	char *text = NULL;
	int err;
	if ((err = heph__body_prepare(s, body ? body : "", &text, unresolved)))
		return err;
	/* No empty body in the op: a second create of the same id (a journal
	 * opened on two devices) must not overwrite what the first one wrote. */
	json_t *payload = json_pack("{s:s, s:s, s:s}", "node_id", id, "kind", kind, "title", title ? title : "");
	if (text[0])
		json_object_set_new(payload, "body", json_string(text));
	err = heph__emit(s, "node.create", payload, NULL);
	if (!err && text[0])
		err = heph__body_index(s, id, text);
	free(text);
	return err;
}

int heph__task_create(heph_store *s, json_t *fields, const char *project_id, char id_out[HEPH_ID_LEN + 1])
{
	char doc[HEPH_ID_LEN + 1];
	json_t *payload = json_deep_copy(fields);
	const char *title = json_string_value(json_object_get(fields, "title"));
	const char *body = json_string_value(json_object_get(fields, "body"));
	int err;

	heph__new_id(s, id_out);
	heph__new_id(s, doc);
	json_object_del(payload, "body");
	json_object_set_new(payload, "node_id", json_string(id_out));
	if ((err = heph__emit(s, "task.create", payload, NULL)))
		return err;
	/* The context doc holds the task's description and checklist. */
	if ((err = heph__node_create(s, doc, "doc", title, body, NULL)) ||
	    (err = heph__link_add(s, id_out, doc, "canonical-context", NULL)))
		return err;
	if (project_id)
		err = heph__link_add(s, id_out, project_id, "in-project", NULL);
	return err;
}
