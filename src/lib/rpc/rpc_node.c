/* rpc_node.c — nodes, projects, docs and links. */
#include "rpc_internal.h"
#include "ext.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "body.h"

/* Links a user may not add or remove by hand: heph derives them. */
static int managed(const char *type)
{
	return strcmp(type, "wiki") == 0 || strcmp(type, "canonical-context") == 0 ||
	       strcmp(type, "log-of") == 0;
}

HEPH_RPC_HANDLER(heph__rpc_node_get)
{
	heph_store *s = env->store;
	char id[HEPH_ID_LEN + 1], when[32];
	json_t *o, *links, *back;
	int err;
	if ((err = heph__p_node(s, params, "id", HEPH_K_ANY, id)))
		return err;
	sqlite3_stmt *st = heph__stmt(s, "SELECT kind, title, body, created_hlc, updated_hlc, parent_id "
					 "FROM nodes WHERE id = ?1");
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return heph_error_set(HEPH_ENOTFOUND, "no node %s", id);
	}
	const char *kind = (const char *)sqlite3_column_text(st, 0);
	if (strcmp(kind, "task") == 0) {
		sqlite3_reset(st);
		if (!(o = heph__task_json(s, id)))
			return HEPH_ENOTFOUND;
		json_object_set_new(o, "kind", json_string("task"));
		/* re-read the body after the task query used other statements */
		if (!(st = heph__stmt(s, "SELECT body FROM nodes WHERE id = ?1")))
			return HEPH_ERROR;
		heph__bind_str(st, 1, id);
		sqlite3_step(st);
		json_object_set_new(o, "body", json_string((const char *)sqlite3_column_text(st, 0)));
		sqlite3_reset(st);
		const char *ctx = json_string_value(json_object_get(o, "context_id"));
		if (ctx) {
			if (!(st = heph__stmt(s, "SELECT body FROM nodes WHERE id = ?1")))
				return HEPH_ERROR;
			heph__bind_str(st, 1, ctx);
			if (sqlite3_step(st) == SQLITE_ROW)
				json_object_set_new(o, "context", json_string((const char *)sqlite3_column_text(st, 0)));
			sqlite3_reset(st);
		}
		/* the context items and the log's tail (lifecycle.c) */
		json_object_set_new(o, "checklist",
				    heph__checklist_json(json_string_value(json_object_get(o, "context"))));
		json_t *log = heph__log_tail(s, id, 10);
		if (!log) {
			json_decref(o);
			return HEPH_ERROR;
		}
		json_object_set(o, "log_id", json_object_get(log, "log_id"));
		json_t *entries = json_object_get(log, "entries"), *e;
		size_t i, len = 0;
		json_array_foreach(entries, i, e) len += json_string_length(e) + 1;
		char *tail = calloc(1, len + 1);
		if (!tail)
			abort();
		json_array_foreach(entries, i, e) {
			strcat(tail, json_string_value(e));
			strcat(tail, "\n");
		}
		json_object_set_new(o, "log", len ? json_string(tail) : json_null());
		free(tail);
		json_decref(log);
	} else {
		o = json_object();
		json_object_set_new(o, "node_id", json_string(id));
		json_object_set_new(o, "kind", json_string(kind));
		json_object_set_new(o, "title", json_string((const char *)sqlite3_column_text(st, 1)));
		json_object_set_new(o, "body", json_string((const char *)sqlite3_column_text(st, 2)));
		heph__hlc_time((const char *)sqlite3_column_text(st, 3), when);
		json_object_set_new(o, "created_at", json_string(when));
		heph__hlc_time((const char *)sqlite3_column_text(st, 4), when);
		json_object_set_new(o, "updated_at", json_string(when));
		const char *parent = (const char *)sqlite3_column_text(st, 5);
		json_object_set_new(o, "parent_id", parent ? json_string(parent) : json_null());
		sqlite3_reset(st);
	}
	if ((err = heph__links_json(s, id, 0, &links)) || (err = heph__links_json(s, id, 1, &back))) {
		json_decref(o);
		return err;
	}
	json_object_set_new(o, "links", links);
	json_object_set_new(o, "backlinks", back);
	json_object_set_new(o, "aliases", heph__aliases_json(s, id));
	json_t *tags;
	if ((err = heph__node_tags(s, id, &tags))) {
		json_decref(o);
		return err;
	}
	json_object_set_new(o, "tags", tags);
	char hash[HEPH_BODY_HASH_LEN + 1];
	heph__body_hash(json_string_value(json_object_get(o, "body")), hash);
	json_object_set_new(o, "body_hash", json_string(hash));
	char *shown = heph__body_expand(s, json_string_value(json_object_get(o, "body")));
	json_object_set_new(o, "body_expanded", json_string(shown));
	free(shown);
	*result = o;
	return 0;
}

HEPH_RPC_HANDLER(heph__rpc_node_remove)
{
	char id[HEPH_ID_LEN + 1];
	int err;
	if ((err = heph__p_node(env->store, params, "id", HEPH_K_ANY, id)) ||
	    (err = heph__emit(env->store, "node.tombstone", json_pack("{s:s}", "node_id", id), NULL)))
		return err;
	*result = json_pack("{s:s, s:b}", "node_id", id, "deleted", 1);
	return 0;
}

/* Whether making `parent` the parent of `child` would close a loop. */
static int would_loop(heph_store *s, const char *child, const char *parent, int *loop)
{
	return heph__reaches(s,
			     HEPH_REACH("SELECT n.parent_id FROM nodes n JOIN r ON n.id = r.id WHERE n.parent_id IS NOT NULL"),
			     parent, child, loop);
}


HEPH_RPC_HANDLER(heph__rpc_project_add)
{
	heph_store *s = env->store;
	const char *name, *pref;
	char parent[HEPH_ID_LEN + 1] = "", id[HEPH_ID_LEN + 1];
	int err;
	if ((err = heph__p_str(params, "name", 1, &name)) || (err = heph__one_line("a project name", name)) ||
	    (err = heph__p_str(params, "parent", 0, &pref)))
		return err;
	if (pref && (err = heph__resolve(s, pref, HEPH_K_PROJECT, parent)))
		return err;
	sqlite3_stmt *st = heph__stmt(s, "SELECT id FROM nodes WHERE kind = 'project' AND title = ?1 COLLATE NOCASE "
					 "AND tombstone_hlc IS NULL AND parent_id IS ?2");
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, name);
	heph__bind_str(st, 2, parent[0] ? parent : NULL);
	int dup = heph__row(s, st);
	sqlite3_reset(st);
	if (dup < 0)
		return dup;
	if (dup)
		return heph_error_set(HEPH_ECONFLICT, "a project named \"%s\" already exists there", name);
	heph__new_id(s, id);
	if ((err = heph__emit(s, "node.create",
			      json_pack("{s:s, s:s, s:s}", "node_id", id, "kind", "project", "title", name), NULL)))
		return err;
	if (parent[0] && (err = heph__link_add(s, id, parent, "parent", NULL)))
		return err;
	*result = json_pack("{s:s}", "node_id", id);
	return 0;
}

HEPH_RPC_HANDLER(heph__rpc_project_list)
{
	(void)params;
	return heph__project_tree(env->store, result);
}

static int link_params(heph_store *s, const json_t *params, char src[HEPH_ID_LEN + 1],
		       char dst[HEPH_ID_LEN + 1], const char **type)
{
	int err;
	if ((err = heph__p_node(s, params, "src", HEPH_K_ANY, src)) ||
	    (err = heph__p_node(s, params, "dst", HEPH_K_ANY, dst)) || (err = heph__p_str(params, "type", 1, type)) ||
	    (err = heph__check_link_type(*type)))
		return err;
	if (managed(*type))
		return heph_error_set(HEPH_EINVALID, "\"%s\" links are managed by heph and cannot be changed by hand",
				      *type);
	return 0;
}

HEPH_RPC_HANDLER(heph__rpc_link_add)
{
	heph_store *s = env->store;
	char src[HEPH_ID_LEN + 1], dst[HEPH_ID_LEN + 1], skind[33], dkind[33], lid[HEPH_ID_LEN + 1];
	const char *type;
	int err, loop;
	if ((err = link_params(s, params, src, dst, &type)))
		return err;
	if (strcmp(src, dst) == 0)
		return heph_error_set(HEPH_EINVALID, "a node cannot link to itself");
	heph__node_kind(s, src, skind);
	heph__node_kind(s, dst, dkind);
	/* A task is in at most one project and a project has at most one
	 * parent: these two types replace rather than add. */
	if (strcmp(type, "in-project") == 0) {
		if (strcmp(skind, "task") != 0 || strcmp(dkind, "project") != 0)
			return heph_error_set(HEPH_EINVALID, "in-project links go from a task to a project");
		err = heph__relink(s, src, type, dst);
	} else if (strcmp(type, "parent") == 0) {
		if (strcmp(skind, "project") != 0 || strcmp(dkind, "project") != 0)
			return heph_error_set(HEPH_EINVALID, "parent links go from a project to a project");
		if ((err = would_loop(s, src, dst, &loop)))
			return err;
		if (loop)
			return heph_error_set(HEPH_EINVALID, "that would make a project its own ancestor");
		err = heph__relink(s, src, type, dst);
	} else {
		/* a link type of the build's extension (ext.h), or any other */
		int handled = 0;
		if (heph__ext.link_add)
			err = heph__ext.link_add(s, type, src, skind, dst, dkind, lid, &handled);
		if (!handled)
			err = heph__link_add(s, src, dst, type, lid);
	}
	if (err)
		return err;
	*result = json_pack("{s:s, s:s, s:s}", "src", src, "dst", dst, "type", type);
	return 0;
}

HEPH_RPC_HANDLER(heph__rpc_link_remove)
{
	heph_store *s = env->store;
	char src[HEPH_ID_LEN + 1], dst[HEPH_ID_LEN + 1];
	const char *type;
	int err, removed;
	if ((err = link_params(s, params, src, dst, &type)) || (err = heph__link_remove(s, src, dst, type, &removed)))
		return err;
	if (removed == 0)
		return heph_error_set(HEPH_ENOTFOUND, "no %s link from %s to %s", type, src, dst);
	*result = json_pack("{s:i}", "removed", removed);
	return 0;
}

static int links_of(heph_rpc_env *env, json_t *params, int dir, json_t **result)
{
	char id[HEPH_ID_LEN + 1];
	int err;
	if ((err = heph__p_node(env->store, params, "id", HEPH_K_ANY, id)))
		return err;
	return heph__links_json(env->store, id, dir, result);
}

HEPH_RPC_HANDLER(heph__rpc_link_list) { return links_of(env, params, 0, result); }
HEPH_RPC_HANDLER(heph__rpc_link_backlinks) { return links_of(env, params, 1, result); }
