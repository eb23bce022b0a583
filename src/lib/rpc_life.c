/* rpc_life.c — the task lifecycle methods: done and skip on recurring
 * tasks, the context doc (context.get, context.edit) and the log doc
 * (log.tail, log.append). The work is in lifecycle.c. */
#include "rpc_internal.h"

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
		o = json_pack("{s:s, s:s?, s:s, s:s, s:o}", "task_id", task, "context_id", ctx[0] ? ctx : NULL, "title",
			      (const char *)sqlite3_column_text(st, 0), "body", body, "checklist",
			      heph__checklist_json(body));
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
