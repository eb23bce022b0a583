/* level2.c — the registry of a feature-level-2 build (ext.h). Level 2
 * exists so that the tests can run two versions of heph against each other
 * (docs/explanation/data-evolution.md); each of its additions is one row of
 * the data-evolution table, and all of them are here:
 *
 *   addition        kind of change                          member of heph__ext
 *   task.snooze     a new op type (older builds store it)   op_types, methods
 *   effort          a new optional payload field, written   task_fields, migrations,
 *                   to a new column (backfilled)            task_params, task_json,
 *                                                           digest_tasks_sql
 *   blocks          a new link type (a free string before)  link_add
 *   project.rollup  a new read-side query over old data     methods
 *
 * meson links this file instead of level1.c when feature_level is 2.
 */
#include "ext.h"
#include "rpc_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- task.snooze: a new op type ---- */

static const char *str(const json_t *p, const char *key)
{
	return json_string_value(json_object_get(p, key)); /* borrowed */
}

/* node_id, until (a day), base? */
static int v_task_snooze(const json_t *p)
{
	if (heph__payload_id(p, "node_id") || heph__payload_base(p))
		return HEPH_EINVALID;
	if (heph__check_date(str(p, "until")))
		return heph_error_wrap(HEPH_EINVALID, "payload field \"until\": ");
	return 0;
}

/* Snoozing writes the do_date register, under the op's own clock: an op
 * type older versions store without applying, and apply once upgraded. */
static int a_task_snooze(heph_store *s, const heph_op *op, const json_t *p, const char **wait_for)
{
	const char *base = json_string_value(json_object_get(json_object_get(p, "base"), "do_date"));
	return heph__apply_register(s, op, 1, str(p, "node_id"), "do_date", json_object_get(p, "until"),
				    base ? base : "", wait_for);
}

static const heph_ext_op op_types[] = {
	{ "task.snooze", 2, v_task_snooze, a_task_snooze },
	{ NULL, 0, NULL, NULL },
};

/* ---- effort: a new optional payload field in a new column ---- */

/* Effort: a rough size, "30m", "2h", "1d"; null clears. */
static int check_effort(const char *field, const json_t *v)
{
	if (json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return heph_error_set(HEPH_EINVALID, "field \"%s\" must be a string", field);
	return heph__check_effort(json_string_value(v)) ? heph_error_wrap(HEPH_EINVALID, "field \"%s\": ", field) : 0;
}

/* A register in a column of its own (the migration below): older builds
 * ignore it in payloads and keep it in the op-log, from which the
 * migration fills the column. */
static const heph_field task_fields[] = {
	{ "effort", 1, 1, "SELECT effort FROM tasks WHERE node_id = ?1",
	  "UPDATE tasks SET effort = ?2 WHERE node_id = ?1", check_effort, NULL },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

static int backfill_effort(heph_store *s) { return heph__backfill_register(s, 1, "effort"); }

/* After all of level 1's (schema.c explains the numbering): tasks.effort,
 * filled in from the op-log for ops applied before the column existed. */
static const heph_ext_migration migrations[] = {
	{ "ALTER TABLE tasks ADD COLUMN effort TEXT;", backfill_effort, 0 },
};

static const heph_rpc_param task_params[] = {
	{ "effort", HEPH_RPC_LINE, 0, NULL, "the effort: 30m, 2h, 1d (none clears)", NULL, 0, 0, NULL },
	{ 0 },
};

/* effort: 30m, 2h, 1d, or none to clear */
static int task_param(const json_t *params, json_t *fields)
{
	const char *v;
	if (heph__p_str(params, "effort", 0, &v))
		return HEPH_EINVALID;
	if (v && strcasecmp(v, "none") == 0)
		json_object_set_new(fields, "effort", json_null());
	else if (v && heph__check_effort(v))
		return HEPH_EINVALID;
	else if (v)
		json_object_set_new(fields, "effort", json_string(v));
	return 0;
}

static int task_json(heph_store *s, const char *id, json_t *o)
{
	sqlite3_stmt *st = heph__stmt(s, "SELECT effort FROM tasks WHERE node_id = ?1");
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		json_object_set_new(o, "effort", v ? json_string(v) : json_null());
	}
	sqlite3_reset(st);
	return 0;
}

/* ---- blocks: a new link type ---- */

/* Whether src is reachable from dst along blocks links. */
static int would_block_itself(heph_store *s, const char *src, const char *dst, int *loop)
{
	return heph__reaches(s, HEPH_REACH("SELECT l.dst FROM links l JOIN r ON l.src = r.id WHERE l.type = 'blocks'"),
			     dst, src, loop);
}

/* A task that must be done before another. Older builds store and show it
 * as the string it is. */
static int link_add(heph_store *s, const char *type, const char *src, const char *skind, const char *dst,
		    const char *dkind, char lid[HEPH_ID_LEN + 1], int *handled)
{
	int loop, err;
	*handled = strcmp(type, "blocks") == 0;
	if (!*handled)
		return 0;
	if (strcmp(skind, "task") != 0 || strcmp(dkind, "task") != 0)
		return heph_error_set(HEPH_EINVALID, "blocks links go from a task to a task");
	if ((err = would_block_itself(s, src, dst, &loop)))
		return err;
	if (loop)
		return heph_error_set(HEPH_EINVALID, "that would make a task block itself");
	return heph__link_add(s, src, dst, type, lid);
}

/* ---- the methods ---- */

static HEPH_RPC_HANDLER(task_snooze)
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
static HEPH_RPC_HANDLER(project_rollup)
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

static const heph_rpc_method methods[] = {
	{ "task.snooze",
	  HEPH_RPC_PARAMS({ "id", HEPH_RPC_NODE, HEPH_RPC_REQUIRED, NULL, "the task", NULL, 0, 0, NULL },
			  { "until", HEPH_RPC_DATE, HEPH_RPC_REQUIRED, NULL, "the new do-date", NULL, 0, 0, NULL }),
	  "Move a task's do-date to a day (an op type level-1 builds store unapplied)", task_snooze, HEPH_RPC_WRITE, NULL },
	{ "project.rollup", HEPH_RPC_NO_PARAMS,
	  "Each project with its subtree's outstanding tasks by attention, late and done (a read-side query)",
	  project_rollup, 0, NULL },
	{ NULL, NULL, NULL, NULL, 0, NULL },
};

const heph_ext heph__ext = {
	.level = 2,
	.op_types = op_types,
	.task_fields = task_fields,
	.migrations = migrations,
	.nmigrations = (int)(sizeof migrations / sizeof migrations[0]),
	.methods = methods,
	.task_params = task_params,
	.task_param = task_param,
	.link_add = link_add,
	.task_json = task_json,
	.digest_tasks_sql = "SELECT node_id, state, attention, do_date, late_on, recurrence, context_id, project_id, "
			    "created_hlc, deleted, effort FROM tasks ORDER BY node_id",
};
