/* rpc_ops.c — the op-log, conflicts and the state digest. */
#include "rpc_internal.h"
#include "ext.h"

#include <stdlib.h>
#include <string.h>

static const char *status_name(int st)
{
	switch (st) {
	case HEPH_OP_APPLIED: return "applied";
	case HEPH_OP_DEFERRED: return "deferred";
	case HEPH_OP_UNKNOWN: return "unknown_type";
	default: return "duplicate";
	}
}

struct list_ctx {
	json_t *arr;
	long long left;
};

static int add_op(const heph_op *op, heph_op_status st, int64_t seq, void *vctx)
{
	struct list_ctx *c = vctx;
	json_t *o = heph_op_to_json(op);
	json_object_set_new(o, "seq", json_integer(seq));
	json_object_set_new(o, "status", json_string(status_name((int)st)));
	json_array_append_new(c->arr, o);
	return --c->left <= 0 ? 1 : 0;
}

HEPH_RPC_HANDLER(heph__rpc_ops_list)
{
	long long after, limit;
	int pending, err;
	struct list_ctx c;
	if ((err = heph__p_int(params, "after", 0, 0, INT64_MAX, &after)) ||
	    (err = heph__p_int(params, "limit", 1000, 1, 10000, &limit)) ||
	    (err = heph__p_bool(params, "pending", 0, &pending)))
		return err;
	c.arr = json_array();
	c.left = limit;
	err = heph_store_ops_foreach(env->store, after, pending, add_op, &c);
	if (err < 0) {
		json_decref(c.arr);
		return err;
	}
	*result = c.arr;
	return 0;
}

HEPH_RPC_HANDLER(heph__rpc_ops_apply)
{
	json_t *ops = json_object_get(params, "ops"), *v;
	heph_op *decoded;
	size_t i, n;
	int err = 0;
	long long counts[4] = { 0 };
	if (!json_is_array(ops))
		return heph_error_set(HEPH_EINVALID, "parameter \"ops\" must be an array of ops");
	n = json_array_size(ops);
	if (!(decoded = calloc(n ? n : 1, sizeof *decoded)))
		abort();
	/* Validate everything first: a bad op means nothing is applied. */
	json_array_foreach(ops, i, v) {
		if ((err = heph_op_from_json(v, &decoded[i]))) {
			heph_error_wrap(err, "ops[%zu]: ", i);
			goto out;
		}
	}
	heph__batch_begin(env->store);
	for (i = 0; i < n; i++) {
		heph_op_status st;
		if ((err = heph__apply_op(env->store, &decoded[i], 0, &st))) {
			heph_error_wrap(err, "ops[%zu]: ", i);
			goto out; /* the method's transaction rolls back, which ends the batch */
		}
		counts[st]++;
	}
	if ((err = heph__batch_end(env->store)))
		goto out;
	*result = json_pack("{s:I, s:I, s:I, s:I}", "applied", counts[HEPH_OP_APPLIED], "deferred",
			    counts[HEPH_OP_DEFERRED], "unknown", counts[HEPH_OP_UNKNOWN], "duplicate",
			    counts[HEPH_OP_DUPLICATE]);
out:
	for (i = 0; i < n; i++)
		heph_op_clear(&decoded[i]);
	free(decoded);
	return err;
}

/* Which side of a conflict is "mine": the one written by this device when
 * exactly one is, else the value this replica shows now. */
static int winner_is_mine(heph_store *s, const char *winner_hlc, const char *loser_hlc)
{
	const char *me = heph_store_origin(s);
	int w = strlen(winner_hlc) == HEPH_HLC_LEN && strcmp(winner_hlc + 22, me) == 0;
	int l = strlen(loser_hlc) == HEPH_HLC_LEN && strcmp(loser_hlc + 22, me) == 0;
	return !(l && !w);
}

#define CONFLICT_SELECT                                                                         \
	"SELECT c.id, c.node_id, n.title, c.field, c.loser_value, c.loser_hlc, c.resolved, "   \
	"coalesce((SELECT hlc FROM clocks k WHERE k.node_id = c.node_id AND k.field = c.field), n.created_hlc), " \
	"c.winner_value, c.winner_hlc "                                                        \
	"FROM conflicts c LEFT JOIN nodes n ON n.id = c.node_id "

/* The current value of a register, as JSON (null for SQL NULL). */
static json_t *current_value(heph_store *s, const char *node_id, const char *field)
{
	const heph_field *f = heph__field_find(0, field);
	if (!f)
		f = heph__field_find(1, field);
	if (!f)
		return json_null();
	sqlite3_stmt *st = heph__stmt(s, f->select_sql);
	json_t *v = json_null();
	if (!st)
		return v;
	heph__bind_str(st, 1, node_id);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = json_string((const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return v;
}

static json_t *conflict_row(heph_store *s, sqlite3_stmt *st)
{
	const char *node = (const char *)sqlite3_column_text(st, 1);
	const char *field = (const char *)sqlite3_column_text(st, 3);
	const char *loser = (const char *)sqlite3_column_text(st, 4);
	const char *loser_hlc = (const char *)sqlite3_column_text(st, 5);
	const char *cur_hlc = (const char *)sqlite3_column_text(st, 7);
	const char *title = (const char *)sqlite3_column_text(st, 2);
	int resolved = sqlite3_column_int(st, 6);
	/* A settled conflict keeps both values as they were: the winner then,
	 * not the value now (which is the one kept). */
	json_t *cur = current_value(s, node, field);
	json_t *shown = json_incref(cur);
	if (resolved) {
		json_decref(shown);
		shown = sqlite3_column_type(st, 8) == SQLITE_NULL ? json_null()
								   : json_string((const char *)sqlite3_column_text(st, 8));
		cur_hlc = (const char *)sqlite3_column_text(st, 9);
	}
	int mine = winner_is_mine(s, cur_hlc, loser_hlc);
	/* "other" is null, not absent, when the value that lost was a cleared
	 * field (a do-date set to none): resolving keeps it like any other */
	json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:o, s:s, s:o, s:s, s:s, s:s, s:b, s:o}",
			      "id", (json_int_t)sqlite3_column_int64(st, 0), "node_id", node, "title", title ? title : "",
			      "field", field, "current", shown, "current_hlc", cur_hlc,
			      "other", loser ? json_string(loser) : json_null(), "other_hlc", loser_hlc, "other_origin",
			      strlen(loser_hlc) == HEPH_HLC_LEN ? loser_hlc + 22 : "", "mine",
			      mine ? "current" : "other", "resolved", resolved, "now", cur);
	return o;
}

/* Project cycles made by two devices, as the merge engine broke them (see
 * break_cycles in apply.c): a live project at the top level whose latest
 * live parent link names a live project is the one whose move was ignored.
 * One entry each, kind "project-cycle", with no id: it is settled by moving
 * the project again, not by conflicts.resolve. Appended to arr. */
static int project_cycles(heph_store *s, json_t *arr)
{
	sqlite3_stmt *st = heph__stmt(s,
		"SELECT p.id, p.title, l.dst, d.title, l.hlc FROM nodes p JOIN links l ON l.id = "
		"(SELECT k.id FROM links k JOIN nodes kd ON kd.id = k.dst WHERE k.src = p.id AND k.type = 'parent' "
		"AND kd.tombstone_hlc IS NULL ORDER BY k.hlc DESC, k.id DESC LIMIT 1) JOIN nodes d ON d.id = l.dst "
		"WHERE p.kind = 'project' AND p.tombstone_hlc IS NULL AND p.parent_id IS NULL ORDER BY p.id");
	const char *me = heph_store_origin(s);
	int rc;
	if (!st)
		return HEPH_ERROR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *title = (const char *)sqlite3_column_text(st, 1);
		const char *under = (const char *)sqlite3_column_text(st, 3);
		const char *hlc = (const char *)sqlite3_column_text(st, 4);
		const char *origin = strlen(hlc) == HEPH_HLC_LEN ? hlc + 22 : "";
		char note[400];
		snprintf(note, sizeof note,
			 "\"%.80s\" was moved under \"%.80s\" while that project was moved under it on another "
			 "device: a cycle. That move, the newest in the cycle, is ignored on every replica, so "
			 "\"%.80s\" stays at the top level; move it again to choose where it goes",
			 title ? title : "", under ? under : "", title ? title : "");
		json_array_append_new(arr, json_pack("{s:n, s:s, s:s, s:s, s:s, s:n, s:s, s:s, s:s, s:s, s:s, s:b, s:s}",
						     "id", "kind", "project-cycle", "node_id",
						     (const char *)sqlite3_column_text(st, 0), "title", title ? title : "",
						     "field", "parent", "current", "other",
						     (const char *)sqlite3_column_text(st, 2), "other_title",
						     under ? under : "", "other_hlc", hlc, "other_origin", origin, "mine",
						     strcmp(origin, me) == 0 ? "other" : "current", "resolved", 0, "note",
						     note));
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : heph__sqlerr(s, rc, "project cycles");
}

HEPH_RPC_HANDLER(heph__rpc_conflicts_list)
{
	heph_store *s = env->store;
	int all, err, rc;
	if ((err = heph__p_bool(params, "all", 0, &all)))
		return err;
	sqlite3_stmt *st = heph__stmt(s, all ? CONFLICT_SELECT "ORDER BY c.id" : CONFLICT_SELECT "WHERE c.resolved = 0 ORDER BY c.id");
	if (!st)
		return HEPH_ERROR;
	/* Collect rows first: conflict_row() uses other cached statements. */
	json_t *arr = json_array();
	while ((rc = heph__row(s, st)) > 0)
		json_array_append_new(arr, json_pack("{s:I}", "id", (json_int_t)sqlite3_column_int64(st, 0)));
	sqlite3_reset(st);
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	json_t *full = json_array(), *v;
	size_t i;
	json_array_foreach(arr, i, v) {
		if (!(st = heph__stmt(s, CONFLICT_SELECT "WHERE c.id = ?1")))
			break;
		sqlite3_bind_int64(st, 1, json_integer_value(json_object_get(v, "id")));
		if (sqlite3_step(st) == SQLITE_ROW) {
			json_t *row = conflict_row(s, st);
			json_array_append_new(full, row);
		}
		sqlite3_reset(st);
	}
	json_decref(arr);
	if ((err = project_cycles(s, full))) {
		json_decref(full);
		return err;
	}
	*result = full;
	return 0;
}

HEPH_RPC_HANDLER(heph__rpc_conflicts_resolve)
{
	heph_store *s = env->store;
	long long id;
	const char *keep;
	int err;
	if ((err = heph__p_int(params, "id", 0, 1, INT64_MAX, &id)) || (err = heph__p_str(params, "keep", 1, &keep)))
		return err;
	if (id == 0)
		return heph_error_set(HEPH_EINVALID, "missing parameter \"id\"");
	if (strcmp(keep, "mine") != 0 && strcmp(keep, "theirs") != 0)
		return heph_error_set(HEPH_EINVALID, "keep must be mine or theirs, not \"%.20s\"", keep);
	sqlite3_stmt *st = heph__stmt(s, CONFLICT_SELECT "WHERE c.id = ?1");
	if (!st)
		return HEPH_ERROR;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return heph_error_set(HEPH_ENOTFOUND, "no conflict %lld", id);
	}
	json_t *c = conflict_row(s, st);
	const char *loser_hlc = (const char *)sqlite3_column_text(st, 5);
	json_t *hlcs = json_pack("[s, s]", loser_hlc ? loser_hlc : "", (const char *)sqlite3_column_text(st, 9));
	sqlite3_reset(st);
	/* keep the "other" value when it is the one asked for */
	int mine_is_current = strcmp(json_string_value(json_object_get(c, "mine")), "current") == 0;
	int want_other = (strcmp(keep, "mine") == 0) != mine_is_current;
	const char *node = json_string_value(json_object_get(c, "node_id"));
	const char *field = json_string_value(json_object_get(c, "field"));
	/* Settling is a replicated change: the kept value is written again (the
	 * same value when it is the one shown) by an op that names the conflict
	 * ("resolves"), so every replica closes it; older builds apply it as a
	 * plain write of that value. */
	const heph_field *f = heph__field_find(0, field);
	int task = f == NULL;
	char clock[HEPH_HLC_LEN + 1];
	if (!f && !(f = heph__field_find(1, field))) {
		json_decref(c);
		json_decref(hlcs);
		return heph_error_set(HEPH_ECONFLICT, "this version cannot write field \"%s\"", field);
	}
	json_t *kept = want_other ? json_incref(json_object_get(c, "other")) : current_value(s, node, field);
	if ((err = heph__field_clock(s, node, field, clock))) {
		json_decref(c);
		json_decref(hlcs);
		json_decref(kept);
		return err;
	}
	json_t *payload = json_pack("{s:s, s:O, s:{s:s}, s:{s:s, s:o}}", "node_id", node, field, kept, "base", field,
				    clock, "resolves", "field", field, "hlcs", hlcs);
	err = heph__emit(s, task ? "task.set" : "node.set", payload, NULL);
	/* a body's links follow its text (the same text makes no further op) */
	if (!err && !task && strcmp(field, "body") == 0 && json_is_string(kept))
		err = heph__set_body(s, node, json_string_value(kept));
	json_decref(kept);
	if (err) {
		json_decref(c);
		return err;
	}
	if (!(st = heph__stmt(s, "UPDATE conflicts SET resolved = 1 WHERE id = ?1"))) {
		json_decref(c);
		return HEPH_ERROR;
	}
	sqlite3_bind_int64(st, 1, id);
	if ((err = heph__step_done(s, st))) {
		json_decref(c);
		return err;
	}
	*result = json_pack("{s:I, s:s, s:s, s:o}", "id", (json_int_t)id, "node_id", node, "field", field, "value",
			    want_other ? json_incref(json_object_get(c, "other")) : current_value(s, node, field));
	json_decref(c);
	return 0;
}

/* ---- digest ---- */

static int hash_query(heph_store *s, heph_sha256 *md, const char *sql)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return heph__sqlerr(s, rc, "digest");
	int cols = sqlite3_column_count(st);
	while ((rc = heph__row(s, st)) > 0) {
		for (int i = 0; i < cols; i++) {
			/* length-prefixed, NULL distinct from "" */
			const unsigned char *t = sqlite3_column_text(st, i);
			int n = t ? sqlite3_column_bytes(st, i) : -1;
			heph__sha256_update(md, &n, sizeof n);
			if (t)
				heph__sha256_update(md, t, (size_t)n);
		}
	}
	sqlite3_finalize(st);
	heph__sha256_update(md, "|", 1);
	return rc < 0 ? rc : 0;
}

/* The digest hashes these parts, in order. At a feature level above 1 the
 * tasks part has that level's columns too, and `level` asks for the parts
 * as a build of a lower level has them: its columns, and the applied ops of
 * the types it knows (a lower build stores the others unapplied). */
HEPH_RPC_HANDLER(heph__rpc_digest)
{
	const char *parts[] = {
		"SELECT id, kind, title, body, aliases, created_hlc, updated_hlc, tombstone_hlc, parent_id FROM nodes ORDER BY id",
		"SELECT node_id, state, attention, do_date, late_on, recurrence, context_id, project_id, created_hlc, deleted FROM tasks ORDER BY node_id",
		"SELECT id, src, dst, type, hlc FROM links ORDER BY id",
		"SELECT link_id FROM link_tombs ORDER BY link_id",
		"SELECT op_id FROM oplog WHERE status = 0 ORDER BY op_id",
	};
	unsigned char out[32];
	char hex[2 * sizeof out + 1], *ops_sql = NULL;
	long long level;
	int err = 0;
	heph_sha256 md;
	if ((err = heph__p_int(params, "level", heph_feature_level(), 1, heph_feature_level(), &level)))
		return err;
	if (level >= heph__ext.level && heph__ext.digest_tasks_sql)
		parts[1] = heph__ext.digest_tasks_sql; /* with the extension's columns */
	if (level < heph_feature_level()) {
		/* op types are [a-z0-9._-]: safe to splice */
		size_t len = 0;
		char list[1024] = "";
		for (const char *const *t = heph_op_types(); *t; t++)
			if (heph__op_type_level(*t) <= level)
				len += (size_t)snprintf(list + len, sizeof list - len, "%s'%s'", len ? ", " : "", *t);
		if (asprintf(&ops_sql, "SELECT op_id FROM oplog WHERE status = 0 AND type IN (%s) ORDER BY op_id", list) < 0)
			abort();
		parts[4] = ops_sql;
	}
	heph__sha256_init(&md);
	/* One read transaction, so the parts agree with each other. */
	if ((err = heph__exec(env->store, "BEGIN")))
		goto out;
	for (size_t i = 0; i < sizeof parts / sizeof parts[0] && !err; i++)
		err = hash_query(env->store, &md, parts[i]);
	heph__exec(env->store, "COMMIT");
	if (err)
		goto out;
	heph__sha256_final(&md, out);
	for (size_t i = 0; i < sizeof out; i++)
		snprintf(hex + 2 * i, 3, "%02x", out[i]);
	*result = json_pack("{s:s}", "digest", hex);
out:
	free(ops_sql);
	return err;
}
