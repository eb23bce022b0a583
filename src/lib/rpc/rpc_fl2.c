/* rpc_fl2.c — the methods only a feature-level-2 build has. Level 2 exists
 * so that the tests can run two versions of heph against each other (see
 * docs/explanation/data-evolution.md); each of its additions is one row of
 * the data-evolution table:
 *
 *   addition        kind of change                         where
 *   task.snooze     a new op type (older builds store it)  apply.c, here
 *   effort          a new optional payload field, written  fields.c, schema.c
 *                   to a new column (backfilled)
 *   blocks          a new link type (a free string below)  rpc_node.c
 *   project.rollup  a new read-side query over old data    here
 *
 * Nothing here is compiled at level 1.
 */
#include "rpc_internal.h"

#include <stdlib.h>
#include <string.h>

typedef int heph__fl2_file; /* keeps this file a translation unit at level 1 */

#if HEPH_FEATURE_LEVEL >= 2

HEPH_RPC_HANDLER(heph__rpc_task_snooze)
{
	heph_store *s = env->store;
	char id[HEPH_ID_LEN + 1], day[HEPH_DATE_LEN + 1], clock[HEPH_HLC_LEN + 1];
	int set, err;
	if ((err = heph__p_node(s, params, "id", HEPH_K_TASK, id)) || (err = heph__p_date(s, params, "until", &set, day)))
		return err;
	if (!set || !day[0])
		return heph_error_set(HEPH_EINVALID, "missing parameter \"until\" (a day: tomorrow, +3d, fri, YYYY-MM-DD)");
	if ((err = heph__field_clock(s, id, "do_date", clock)))
		return err;
	json_t *payload = json_pack("{s:s, s:s, s:{s:s}}", "node_id", id, "until", day, "base", "do_date", clock);
	if ((err = heph__emit(s, "task.snooze", payload, NULL)))
		return err;
	*result = heph__task_json(s, id);
	return *result ? 0 : HEPH_ERROR;
}

/* Counts of one project's own outstanding tasks, then of its subtree. */
struct tally {
	long long band[4]; /* red, orange, white, blue */
	long long late;    /* past their late_on */
	long long done;
};

static void add(struct tally *to, const struct tally *from)
{
	for (int i = 0; i < 4; i++)
		to->band[i] += from->band[i];
	to->late += from->late;
	to->done += from->done;
}

/* A pure read of what every version already stores: the project tree
 * (parent links), tasks' state, attention and late_on. No column, op type
 * or migration of level 2 is read, so it answers the same on data written
 * by any version. */
HEPH_RPC_HANDLER(heph__rpc_project_rollup)
{
	heph_store *s = env->store;
	json_t *tree = NULL, *index = json_object(), *p;
	struct tally *own = NULL, *sum = NULL;
	size_t n, i, *stack = NULL, depth = 0;
	int err, rc;
	(void)params;
	if ((err = heph__project_tree(s, &tree)))
		goto out;
	n = json_array_size(tree);
	if (!(own = calloc(n + 1, sizeof *own)) || !(sum = calloc(n + 1, sizeof *sum)) ||
	    !(stack = calloc(n + 1, sizeof *stack)))
		abort();
	json_array_foreach(tree, i, p)
		json_object_set_new(index, json_string_value(json_object_get(p, "node_id")), json_integer((json_int_t)i));
	sqlite3_stmt *st = heph__stmt(s,
		"SELECT project_id, state, attention, count(*), "
		"sum(state = 'outstanding' AND late_on IS NOT NULL AND late_on < ?1) FROM tasks "
		"WHERE deleted = 0 AND project_id IS NOT NULL GROUP BY project_id, state, attention");
	if (!st) {
		err = HEPH_ERROR;
		goto out;
	}
	heph__bind_str(st, 1, heph_store_today(s));
	while ((rc = heph__row(s, st)) > 0) {
		json_t *ix = json_object_get(index, (const char *)sqlite3_column_text(st, 0));
		if (!ix)
			continue; /* a deleted project */
		struct tally *t = &own[json_integer_value(ix)];
		const char *state = (const char *)sqlite3_column_text(st, 1);
		if (strcmp(state, "done") == 0)
			t->done += sqlite3_column_int64(st, 3);
		else if (strcmp(state, "outstanding") == 0)
			t->band[heph__band_of((const char *)sqlite3_column_text(st, 2))] += sqlite3_column_int64(st, 3);
		t->late += sqlite3_column_int64(st, 4);
	}
	sqlite3_reset(st);
	if (rc < 0) {
		err = rc;
		goto out;
	}
	/* Tree order: a project's ancestors are the stack above it. */
	json_array_foreach(tree, i, p) {
		size_t d = (size_t)json_integer_value(json_object_get(p, "depth"));
		if (d > depth)
			d = depth;
		depth = d;
		stack[depth++] = i;
		for (size_t k = 0; k < depth; k++)
			add(&sum[stack[k]], &own[i]);
	}
	*result = json_array();
	json_array_foreach(tree, i, p) {
		const struct tally *t = &sum[i];
		json_array_append_new(*result,
			json_pack("{s:O, s:O, s:O, s:O, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "node_id",
				  json_object_get(p, "node_id"), "title", json_object_get(p, "title"), "parent_id",
				  json_object_get(p, "parent_id"), "depth", json_object_get(p, "depth"), "open",
				  (json_int_t)(t->band[0] + t->band[1] + t->band[2] + t->band[3]), "red",
				  (json_int_t)t->band[0], "orange", (json_int_t)t->band[1], "white",
				  (json_int_t)t->band[2], "blue", (json_int_t)t->band[3], "late", (json_int_t)t->late,
				  "done", (json_int_t)t->done));
	}
out:
	json_decref(tree);
	json_decref(index);
	free(own);
	free(sum);
	free(stack);
	return err;
}

#endif
