/* rpc_life.c — the task lifecycle methods: done and skip on recurring
 * tasks, the context doc (context.get, context.edit), the log doc
 * (log.tail, log.append) and quick add (quickadd.parse, task.add). The work
 * is in lifecycle.c and quickadd.c. */
#include "rpc_internal.h"
#include "heph/quickadd.h"
#include "heph/recur.h"

#include <stdlib.h>
#include <string.h>

/* The task after a roll, with what happened: occurrence, next, finished,
 * logged, checklist_reset. */
int heph__task_roll(heph_store *s, const char *id, int done, json_t **result)
{
	json_t *info = NULL, *task;
	int err = heph__task_advance(s, id, done, &info);
	if (err)
		return err;
	if (!(task = heph__task_json(s, id))) {
		json_decref(info);
		return HEPH_ERROR;
	}
	json_object_update(task, info);
	json_decref(info);
	*result = task;
	return 0;
}

HEPH_RPC_HANDLER(heph__rpc_task_skip)
{
	char id[HEPH_ID_LEN + 1];
	int err;
	if ((err = heph__p_node(env->store, params, "id", HEPH_K_TASK, id)))
		return err;
	return heph__task_roll(env->store, id, 0, result);
}

static json_t *context_json(heph_store *s, const char *task, const char *ctx)
{
	sqlite3_stmt *st = heph__stmt(s, "SELECT title, body FROM nodes WHERE id = ?1");
	json_t *o = NULL;
	if (!st)
		return NULL;
	heph__bind_str(st, 1, ctx[0] ? ctx : task);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *body = ctx[0] ? (const char *)sqlite3_column_text(st, 1) : "";
		char hash[HEPH_BODY_HASH_LEN + 1];
		heph__body_hash(body, hash);
		o = json_pack("{s:s, s:s?, s:s, s:s, s:s, s:o}", "task_id", task, "context_id", ctx[0] ? ctx : NULL,
			      "title", (const char *)sqlite3_column_text(st, 0), "body", body, "body_hash", hash,
			      "checklist", heph__checklist_json(body));
	}
	sqlite3_reset(st);
	if (!o)
		heph_error_set(HEPH_ENOTFOUND, "no node %s", ctx[0] ? ctx : task);
	return o;
}

HEPH_RPC_HANDLER(heph__rpc_context_get)
{
	heph_store *s = env->store;
	char id[HEPH_ID_LEN + 1], ctx[HEPH_ID_LEN + 1];
	int err;
	if ((err = heph__p_node(s, params, "id", HEPH_K_TASK, id)) || (err = heph__task_context(s, id, 0, ctx)))
		return err;
	*result = context_json(s, id, ctx);
	return *result ? 0 : HEPH_ERROR;
}

HEPH_RPC_HANDLER(heph__rpc_context_edit)
{
	heph_store *s = env->store;
	char id[HEPH_ID_LEN + 1], ctx[HEPH_ID_LEN + 1];
	const char *body, *append;
	char *text = NULL;
	int err;
	if ((err = heph__p_node(s, params, "id", HEPH_K_TASK, id)) || (err = heph__p_str(params, "body", 0, &body)) ||
	    (err = heph__p_str(params, "append", 0, &append)))
		return err;
	if (!body == !append)
		return heph_error_set(HEPH_EINVALID, "give the context doc's body or a line to append (one of them)");
	if (append && !append[strspn(append, " \t\r\n")])
		return heph_error_set(HEPH_EINVALID, "nothing to append");
	if (json_object_get(params, "if_match") && !json_is_null(json_object_get(params, "if_match"))) {
		/* a task without a context doc reads as the empty text */
		if ((err = heph__task_context(s, id, 0, ctx)))
			return err;
		if (ctx[0]) {
			if ((err = heph__body_if_match(s, params, ctx)))
				return err;
		} else {
			char empty[HEPH_BODY_HASH_LEN + 1];
			const char *want = json_string_value(json_object_get(params, "if_match"));
			heph__body_hash("", empty);
			if (strcmp(want, empty) != 0)
				return heph_error_set(HEPH_ECONFLICT,
						      "the context doc of %.8s changed since it was read: read it again, "
						      "nothing was saved",
						      id);
		}
	}
	if ((err = heph__task_context(s, id, 1, ctx)))
		return err;
	if (append) {
		json_t *cur = context_json(s, id, ctx);
		const char *b = cur ? json_string_value(json_object_get(cur, "body")) : "";
		size_t n = strlen(b);
		if (asprintf(&text, "%s%s%s%s", b, n && b[n - 1] != '\n' ? "\n" : "", append,
			     append[strlen(append) - 1] == '\n' ? "" : "\n") < 0)
			abort();
		json_decref(cur);
		body = text;
	}
	err = heph__set_body(s, ctx, body);
	free(text);
	if (err)
		return err;
	*result = context_json(s, id, ctx);
	return *result ? 0 : HEPH_ERROR;
}

HEPH_RPC_HANDLER(heph__rpc_log_tail)
{
	heph_store *s = env->store;
	char id[HEPH_ID_LEN + 1];
	long long lines;
	int err;
	if ((err = heph__p_node(s, params, "id", HEPH_K_TASK, id)) ||
	    (err = heph__p_int(params, "lines", 10, 0, 100000, &lines)))
		return err;
	*result = heph__log_tail(s, id, lines);
	return *result ? 0 : HEPH_ERROR;
}

HEPH_RPC_HANDLER(heph__rpc_log_append)
{
	heph_store *s = env->store;
	char id[HEPH_ID_LEN + 1], log_id[HEPH_ID_LEN + 1];
	const char *text;
	int err;
	if ((err = heph__p_node(s, params, "id", HEPH_K_TASK, id)) || (err = heph__p_str(params, "text", 1, &text)))
		return err;
	if (!text[strspn(text, " \t\r\n")])
		return heph_error_set(HEPH_EINVALID, "a log entry cannot be empty");
	if ((err = heph__log_append(s, id, heph_store_today(s), text, log_id)))
		return err;
	*result = heph__log_tail(s, id, 10);
	return *result ? 0 : HEPH_ERROR;
}

/* ---- quick add ---- */

/* The names of live projects, distinct without regard to case, into *out
 * (a new array); a heph error when SQLite fails. */
static int project_names(heph_store *s, json_t **out)
{
	sqlite3_stmt *st = heph__stmt(s, "SELECT title FROM nodes WHERE kind = 'project' AND tombstone_hlc IS NULL "
					 "GROUP BY title COLLATE NOCASE ORDER BY title COLLATE NOCASE");
	int rc;
	*out = NULL;
	if (!st)
		return HEPH_ERROR;
	json_t *names = json_array();
	while ((rc = heph__row(s, st)) > 0)
		json_array_append_new(names, json_string((const char *)sqlite3_column_text(st, 0)));
	if (rc < 0) {
		json_decref(names);
		return rc;
	}
	*out = names;
	return 0;
}

/* The one live project of that name; HEPH_EAMBIGUOUS when several. */
static int project_named(heph_store *s, const char *name, char out[HEPH_ID_LEN + 1])
{
	sqlite3_stmt *st = heph__stmt(s, "SELECT id FROM nodes WHERE kind = 'project' AND title = ?1 COLLATE NOCASE "
					 "AND tombstone_hlc IS NULL ORDER BY id LIMIT 2");
	int n = 0;
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, name);
	int rc;
	while ((rc = heph__row(s, st)) > 0)
		if (n++ == 0)
			snprintf(out, HEPH_ID_LEN + 1, "%s", (const char *)sqlite3_column_text(st, 0));
	if (rc < 0)
		return rc;
	if (n > 1)
		return heph_error_set(HEPH_EAMBIGUOUS,
				      "several projects are named \"%s\": file the task with heph task --project ID", name);
	return n ? 0 : heph_error_set(HEPH_ENOTFOUND, "no project named \"%s\"", name);
}

/* Parse params.text into the preview object and the task fields. */
static int parse_text(heph_store *s, const json_t *params, json_t **preview, json_t **fields,
		      char project[HEPH_ID_LEN + 1])
{
	const char *text;
	heph_quickadd q;
	json_t *names, *chips;
	const char **v = NULL;
	int err;
	*preview = *fields = NULL;
	project[0] = '\0';
	if ((err = heph__p_str(params, "text", 1, &text)))
		return err;
	if ((err = project_names(s, &names)))
		return err;
	size_t n = json_array_size(names);
	if (!(v = calloc(n + 1, sizeof *v)))
		abort();
	for (size_t i = 0; i < n; i++)
		v[i] = json_string_value(json_array_get(names, i));
	err = heph_quickadd_parse(text, heph_store_today(s), v, n, &q);
	if (err)
		goto out;
	const char *pname = q.project >= 0 ? v[q.project] : NULL;
	if (pname && (err = project_named(s, pname, project)))
		goto out;
	char *words = q.recurrence ? heph_recur_text(q.recurrence, q.do_date) : NULL;
	chips = json_array();
	for (size_t i = 0; i < q.nspans; i++) {
		const heph_quickadd_span *sp = &q.spans[i];
		const char *value = strcmp(sp->kind, "date") == 0	   ? q.do_date
				    : strcmp(sp->kind, "attention") == 0  ? q.attention
				    : strcmp(sp->kind, "project") == 0	   ? pname
									   : words;
		json_array_append_new(chips, json_pack("{s:s, s:s%, s:s, s:i, s:i}", "kind", sp->kind, "text",
						       text + sp->start, sp->end - sp->start, "value", value ? value : "",
						       "start", (json_int_t)sp->start, "end", (json_int_t)sp->end));
	}
	*preview = json_pack("{s:s, s:s, s:s?, s:b, s:n, s:s?, s:s?, s:s?, s:s?, s:s?, s:o}", "text", text, "title",
			     q.title, "do_date", q.do_date[0] ? q.do_date : NULL, "do_date_from_rule",
			     q.do_date_from_rule, "late_on", "attention", q.attention, "project", pname, "project_id",
			     project[0] ? project : NULL, "recurrence", q.recurrence, "recurrence_text", words, "chips",
			     chips);
	*fields = json_pack("{s:s}", "title", q.title);
	if (q.do_date[0])
		json_object_set_new(*fields, "do_date", json_string(q.do_date));
	if (q.attention)
		json_object_set_new(*fields, "attention", json_string(q.attention));
	if (q.recurrence)
		json_object_set_new(*fields, "recurrence", json_string(q.recurrence));
	free(words);
out:
	heph_quickadd_clear(&q);
	free(v);
	json_decref(names);
	return err;
}

HEPH_RPC_HANDLER(heph__rpc_quickadd_parse)
{
	json_t *fields;
	char project[HEPH_ID_LEN + 1];
	int err = parse_text(env->store, params, result, &fields, project);
	json_decref(fields);
	return err;
}

HEPH_RPC_HANDLER(heph__rpc_task_add)
{
	heph_store *s = env->store;
	json_t *preview, *fields, *task;
	char project[HEPH_ID_LEN + 1], id[HEPH_ID_LEN + 1];
	int dry, err;
	if ((err = heph__p_bool(params, "dry_run", 0, &dry)) || (err = parse_text(s, params, &preview, &fields, project)))
		return err;
	if (dry) {
		*result = preview;
		json_decref(fields);
		return 0;
	}
	err = heph__task_create(s, fields, project[0] ? project : NULL, id);
	json_decref(fields);
	if (err || !(task = heph__task_json(s, id))) {
		json_decref(preview);
		return err ? err : HEPH_ERROR;
	}
	*result = json_pack("{s:s, s:o, s:o}", "node_id", id, "task", task, "parsed", preview);
	return 0;
}
