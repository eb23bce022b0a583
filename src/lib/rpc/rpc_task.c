/* rpc_task.c — task methods: create, list, done, drop, edit. */
#include "rpc_internal.h"
#include "ext.h"
#include "body.h"
#include "heph/recur.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int check_title(const char *t)
{
	const char *p = t;
	while (*p && isspace((unsigned char)*p))
		p++;
	if (!*p)
		return heph_error_set(HEPH_EINVALID, "a title cannot be empty");
	return 0;
}

/* Read the optional task fields of params into fields; *project gets a
 * resolved project (or "" for none) when the parameter is present. */
static int task_fields(heph_store *s, const json_t *params, json_t *fields, int *has_project,
		       char project[HEPH_ID_LEN + 1], int *phrase)
{
	static const char *const dates[] = { "do_date", "late_on" };
	const char *v;
	char d[HEPH_DATE_LEN + 1];
	int set;

	if (heph__p_str(params, "title", 0, &v))
		return HEPH_EINVALID;
	if (v) {
		if (check_title(v))
			return HEPH_EINVALID;
		json_object_set_new(fields, "title", json_string(v));
	}
	if (heph__p_str(params, "attention", 0, &v))
		return HEPH_EINVALID;
	if (v) {
		if (!(v = heph__attention_word(v)))
			return HEPH_EINVALID;
		json_object_set_new(fields, "attention", json_string(v));
	}
	for (size_t i = 0; i < 2; i++) {
		if (heph__p_date(s, params, dates[i], &set, d))
			return HEPH_EINVALID;
		if (set)
			json_object_set_new(fields, dates[i], d[0] ? json_string(d) : json_null());
	}
	int rset, err;
	json_t *rule;
	if ((err = heph__recur_param(params, &rset, phrase, &rule)))
		return err;
	if (rset)
		json_object_set_new(fields, "recurrence", rule);
	/* the task fields of the build's extension (ext.h) */
	if (heph__ext.task_param && (err = heph__ext.task_param(params, fields)))
		return err;
	*has_project = 0;
	project[0] = '\0';
	if (heph__p_str(params, "project", 0, &v))
		return HEPH_EINVALID;
	if (v) {
		*has_project = 1;
		if (strcasecmp(v, "none") != 0 && (err = heph__resolve(s, v, HEPH_K_PROJECT, project)))
			return err;
	}
	return 0;
}

/* A task given a recurrence and no do-date gets the rule's first day from
 * today on. cur_do_date: the do-date it has now (NULL for a new task). */
static int first_do_date(heph_store *s, json_t *fields, const char *cur_do_date)
{
	const char *rule = json_string_value(json_object_get(fields, "recurrence"));
	json_t *d = json_object_get(fields, "do_date");
	char first[HEPH_DATE_LEN + 1];
	int err;
	if (!rule || json_is_string(d) || (!d && cur_do_date))
		return 0;
	if ((err = heph__recur_first_day(s, rule, first)))
		return err;
	json_object_set_new(fields, "do_date", json_string(first));
	return 0;
}

/* A rule written in words ("monthly", "every 2 months") on a task whose
 * do-date is the 29th to 31st keeps to that day or the month's last day
 * (heph_recur_month_end); a raw RRULE keeps RFC 5545's meaning. */
static void month_end(json_t *fields, int phrase, const char *cur_do_date)
{
	const char *rule = json_string_value(json_object_get(fields, "recurrence"));
	const char *d = json_string_value(json_object_get(fields, "do_date"));
	char *kept;
	if (!phrase || !rule)
		return;
	if (!d && !json_is_null(json_object_get(fields, "do_date")))
		d = cur_do_date;
	if ((kept = heph_recur_month_end(rule, d)))
		json_object_set_new(fields, "recurrence", json_string(kept));
	free(kept);
}

/* A late-on before the do-date is accepted (the user may mean it) but said:
 * the task is late before it can be started. Sets result's "warnings" (an
 * array of sentences) when so. */
static void date_warnings(json_t *result, const char *do_date, const char *late_on)
{
	char text[200];
	if (!do_date || !late_on || strcmp(late_on, do_date) >= 0)
		return;
	snprintf(text, sizeof text,
		 "the late-on %s is before the do-date %s: the task is late before it can be started (once "
		 "late it shows in next and tom whatever its do-date)",
		 late_on, do_date);
	json_object_set_new(result, "warnings", json_pack("[s]", text));
}

HEPH_RPC_HANDLER(heph__rpc_task_create)
{
	heph_store *s = env->store;
	json_t *fields = json_object();
	char project[HEPH_ID_LEN + 1], id[HEPH_ID_LEN + 1];
	const char *title, *body;
	int has_project, phrase, err;

	if ((err = heph__p_str(params, "title", 1, &title)) || (err = check_title(title)) ||
	    (err = heph__p_str(params, "body", 0, &body)) ||
	    (err = task_fields(s, params, fields, &has_project, project, &phrase)))
		goto out;
	if (body)
		json_object_set_new(fields, "body", json_string(body));
	/* A fresh task has nothing to clear. */
	if (json_is_null(json_object_get(fields, "do_date")))
		json_object_del(fields, "do_date");
	if (json_is_null(json_object_get(fields, "late_on")))
		json_object_del(fields, "late_on");
	if (json_is_null(json_object_get(fields, "recurrence")))
		json_object_del(fields, "recurrence");
	if ((err = first_do_date(s, fields, NULL)))
		goto out;
	month_end(fields, phrase, NULL);
	for (const heph_field *f = heph__fields(1); f->name; f++)
		if (json_is_null(json_object_get(fields, f->name)))
			json_object_del(fields, f->name); /* a fresh task has nothing to clear */
	if ((err = heph__task_create(s, fields, project[0] ? project : NULL, id)))
		goto out;
	const json_t *tags = json_object_get(params, "tags");
	if (tags && !json_is_null(tags) && (err = heph__tag_task(s, id, tags, 0)))
		goto out;
	*result = json_pack("{s:s}", "node_id", id);
	date_warnings(*result, json_string_value(json_object_get(fields, "do_date")),
		      json_string_value(json_object_get(fields, "late_on")));
out:
	json_decref(fields);
	return err;
}

/* The filter of task.list and task.count: *where (malloc'd) with ?2 bound
 * to *arg (malloc'd or NULL), from params project?, all?, tag?; *open_only
 * (when not NULL) says whether it keeps outstanding tasks only. */
static int list_filter(heph_store *s, const json_t *params, char **where, char **arg, int *open_only)
{
	const char *ref, *tag;
	char project[HEPH_ID_LEN + 1], tag_id[HEPH_ID_LEN + 1], tag_name[HEPH_TAG_MAX + 1];
	int all, err;
	json_t *sub = NULL;
	*where = *arg = NULL;
	if ((err = heph__p_str(params, "project", 0, &ref)) || (err = heph__p_bool(params, "all", 0, &all)) ||
	    (err = heph__p_str(params, "tag", 0, &tag)))
		return err;
	if (tag && ((err = heph__tag_name(tag, tag_name)) || (err = heph__tag_node(s, tag_name, 0, tag_id))))
		return err;
	if (ref) {
		if ((err = heph__resolve(s, ref, HEPH_K_PROJECT, project)) ||
		    (err = heph__project_subtree(s, project, &sub)))
			return err;
		*arg = json_dumps(sub, JSON_COMPACT);
		json_decref(sub);
	}
	if (open_only)
		*open_only = !all;
	if (asprintf(where, "t.deleted = 0%s%s", all ? "" : " AND t.state = 'outstanding'",
		     ref ? " AND t.project_id IN (SELECT value FROM json_each(?2))" : "") < 0)
		abort();
	if (tag) {
		/* tag_id is a ULID read from the database: safe to splice */
		char *w = NULL;
		if (asprintf(&w, "%s AND (t.node_id IN (SELECT src FROM links WHERE dst = '%s' AND type = 'tag') "
				 "OR t.context_id IN (SELECT src FROM links WHERE dst = '%s' AND type = 'tag'))",
			     *where, tag_id, tag_id) < 0)
			abort();
		free(*where);
		*where = w;
	}
	return 0;
}

/* Whether a cursor's key has the shape heph__task_query() reads: today,
 * then the HEPH_RANK_KEYS (integer, text, integer, text, text). */
static int rank_key(const json_t *k)
{
	static const char shape[] = "sisiss";
	if (json_array_size(k) != sizeof shape - 1)
		return 0;
	for (size_t i = 0; i < sizeof shape - 1; i++) {
		const json_t *v = json_array_get(k, i);
		if (shape[i] == 's' ? !json_is_string(v) : !json_is_integer(v))
			return 0;
	}
	return 1;
}

HEPH_RPC_HANDLER(heph__rpc_task_list)
{
	char *where = NULL, *arg = NULL;
	long long limit;
	json_t *after = NULL, *rows = NULL, *next = NULL;
	int err, open_only;
	if ((err = heph__page_args("task.list", params, &limit, &after)))
		goto out;
	if (after && !rank_key(after)) {
		err = heph__bad_cursor("task.list");
		goto out;
	}
	if ((err = list_filter(env->store, params, &where, &arg, &open_only)) ||
	    (err = heph__task_query(env->store, env, where, arg, open_only, limit, after, &rows, &next)))
		goto out;
	*result = heph__page_json("task.list", params, "tasks", rows, next);
out:
	json_decref(after);
	json_decref(next);
	free(where);
	free(arg);
	return err;
}

HEPH_RPC_HANDLER(heph__rpc_task_count)
{
	char *where, *arg, *sql = NULL;
	sqlite3_stmt *st = NULL;
	int err = list_filter(env->store, params, &where, &arg, NULL), rc;
	if (err)
		goto out;
	if (asprintf(&sql, "SELECT count(*) FROM tasks t WHERE %s", where) < 0)
		abort();
	if ((rc = sqlite3_prepare_v2(env->store->db, sql, -1, &st, NULL)) != SQLITE_OK) {
		err = heph__sqlerr(env->store, rc, "counting tasks");
		goto out;
	}
	heph__bind_str(st, 2, arg);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		err = heph__sqlerr(env->store, rc, "counting tasks");
		goto out;
	}
	*result = json_pack("{s:I}", "count", (json_int_t)sqlite3_column_int64(st, 0));
out:
	sqlite3_finalize(st);
	free(sql);
	free(where);
	free(arg);
	return err;
}

static int set_state(heph_rpc_env *env, json_t *params, const char *state, json_t **result)
{
	heph_store *s = env->store;
	char id[HEPH_ID_LEN + 1];
	json_t *task, *fields;
	int err;
	if ((err = heph__p_node(s, params, "id", HEPH_K_TASK, id)))
		return err;
	if (!(task = heph__task_json(s, id)))
		return HEPH_ENOTFOUND;
	const char *cur = json_string_value(json_object_get(task, "state"));
	if (strcmp(cur, state) == 0) {
		*result = task; /* already so: nothing to change */
		return 0;
	}
	if (strcmp(cur, "outstanding") != 0) {
		err = heph_error_set(HEPH_ECONFLICT, "task %s is already %s", id, cur);
		json_decref(task);
		return err;
	}
	json_decref(task);
	fields = json_pack("{s:s}", "state", state);
	err = heph__set_fields(s, id, 1, fields);
	json_decref(fields);
	if (err)
		return err;
	*result = heph__task_json(s, id);
	return *result ? 0 : HEPH_ERROR;
}

HEPH_RPC_HANDLER(heph__rpc_task_done)
{
	char id[HEPH_ID_LEN + 1];
	int recurs, err;
	if ((err = heph__p_node(env->store, params, "id", HEPH_K_TASK, id)) ||
	    (err = heph__task_recurs(env->store, id, &recurs)))
		return err;
	if (recurs)
		return heph__task_roll(env->store, id, 1, result);
	return set_state(env, params, "done", result);
}
HEPH_RPC_HANDLER(heph__rpc_task_drop) { return set_state(env, params, "dropped", result); }

HEPH_RPC_HANDLER(heph__rpc_task_edit)
{
	heph_store *s = env->store;
	char id[HEPH_ID_LEN + 1], project[HEPH_ID_LEN + 1];
	json_t *fields = json_object(), *title;
	int has_project, phrase, err;

	if ((err = heph__p_node(s, params, "id", HEPH_K_TASK, id)) ||
	    (err = task_fields(s, params, fields, &has_project, project, &phrase)))
		goto out;
	const json_t *tags = json_object_get(params, "tags"), *untag = json_object_get(params, "untag");
	if (json_is_null(tags))
		tags = NULL;
	if (json_is_null(untag))
		untag = NULL;
	if (json_object_size(fields) == 0 && !has_project && !tags && !untag) {
		err = heph_error_set(HEPH_EINVALID,
				     "nothing to change (give a title, attention, date, recurrence, project or tags)");
		goto out;
	}
	if (json_is_string(json_object_get(fields, "recurrence"))) {
		json_t *cur = heph__task_json(s, id);
		if (!cur) {
			err = HEPH_ENOTFOUND;
			goto out;
		}
		err = first_do_date(s, fields, json_string_value(json_object_get(cur, "do_date")));
		if (!err)
			month_end(fields, phrase, json_string_value(json_object_get(cur, "do_date")));
		json_decref(cur);
		if (err)
			goto out;
	}
	/* The title is a node register; the rest are task registers. */
	if ((title = json_object_get(fields, "title"))) {
		json_t *nf = json_pack("{s:O}", "title", title);
		err = heph__set_fields(s, id, 0, nf);
		json_decref(nf);
		json_object_del(fields, "title");
		if (err)
			goto out;
	}
	if (json_object_size(fields) && (err = heph__set_fields(s, id, 1, fields)))
		goto out;
	if (has_project && (err = heph__relink(s, id, "in-project", project[0] ? project : NULL)))
		goto out;
	if ((untag && (err = heph__tag_task(s, id, untag, 1))) || (tags && (err = heph__tag_task(s, id, tags, 0))))
		goto out;
	*result = heph__task_json(s, id);
	if (*result && (json_is_string(json_object_get(fields, "do_date")) ||
			json_is_string(json_object_get(fields, "late_on"))))
		date_warnings(*result, json_string_value(json_object_get(*result, "do_date")),
			      json_string_value(json_object_get(*result, "late_on")));
	err = *result ? 0 : HEPH_ERROR;
out:
	json_decref(fields);
	return err;
}
