/* rpc.c — the method table and the JSON-RPC 2.0 dispatcher. One entry per
 * method; the CLI, the socket and /rpc all come through heph_rpc_call(). */
#include "rpc_internal.h"

#include <stdlib.h>
#include <string.h>

/* Level 2 takes one more task field (rpc_fl2.c). */
#if HEPH_FEATURE_LEVEL >= 2
#define FL2_EFFORT ", effort?"
#else
#define FL2_EFFORT ""
#endif

static const heph_rpc_method methods[] = {
	{ "task.create", "title, project?, attention?, do_date?, late_on?, body?, tags?" FL2_EFFORT,
	  "Create a task (and its context doc); returns its node_id", heph__rpc_task_create, HEPH_RPC_WRITE },
	{ "task.add", "text, dry_run?",
	  "Quick add: a task from one line (\"Buy milk tomorrow p2 #Work every week\"); dry_run: only the preview",
	  heph__rpc_task_add, HEPH_RPC_WRITE },
	{ "quickadd.parse", "text", "What quick add reads in a line: title, do_date, attention, project, recurrence, chips",
	  heph__rpc_quickadd_parse, 0 },
	{ "task.list", "project?, all?, tag?",
	  "Outstanding tasks in rank order (all states with all; a project's subtree with project; tagged with tag)",
	  heph__rpc_task_list, 0 },
	{ "task.count", "project?, all?, tag?", "How many tasks task.list would list, as {count}", heph__rpc_task_count, 0 },
	{ "task.done", "id", "Mark a task done; a recurring one moves to its next occurrence, logged",
	  heph__rpc_task_done, HEPH_RPC_WRITE },
	{ "task.drop", "id", "Drop a task for good", heph__rpc_task_drop, HEPH_RPC_WRITE },
	{ "task.skip", "id", "Move a recurring task to its next occurrence without logging one",
	  heph__rpc_task_skip, HEPH_RPC_WRITE },
	{ "context.get", "id", "A task's context doc: its body and checklist items", heph__rpc_context_get, 0 },
	{ "context.edit", "id, body? | append?", "Replace a task's context doc, or append a line to it",
	  heph__rpc_context_edit, HEPH_RPC_WRITE },
	{ "checklist.promote", "id, item, text?",
	  "Promote an open checklist item of a context doc (id: the task or the doc; item: its line number or the start of its text; text: what it must still read) to a task in the same project, linked back; the line becomes a wiki link to it",
	  heph__rpc_checklist_promote, HEPH_RPC_WRITE },
	{ "log.tail", "id, lines?", "The last lines of a task's log doc (10 by default)", heph__rpc_log_tail, 0 },
	{ "log.append", "id, text", "Append a dated entry to a task's log doc (made on first use)",
	  heph__rpc_log_append, HEPH_RPC_WRITE },
	{ "task.edit", "id, title?, attention?, do_date?, late_on?, project?" FL2_EFFORT,
	  "Change a task's fields; dates accept date words, \"none\" clears; project \"none\" unfiles",
	  heph__rpc_task_edit, HEPH_RPC_WRITE },
	{ "task.next", "limit?, project?",
	  "What is next: actionable, non-blue tasks in rank order (limit 10 by default; red ones always shown)",
	  heph__rpc_task_next, 0 },
	{ "view.list", "counts?", "The built-in views and their filters; with counts, how many tasks each holds",
	  heph__rpc_view_list, 0 },
	{ "view.show", "name, limit?", "A view's tasks in rank order (limit 100 by default, 0: all; red ones always shown)",
	  heph__rpc_view_show, 0 },
	{ "node.get", "id", "One node with its body, fields and links", heph__rpc_node_get, 0 },
	{ "node.remove", "id", "Tombstone a node", heph__rpc_node_remove, HEPH_RPC_WRITE },
	{ "project.add", "name, parent?", "Create a project, optionally under a parent",
	  heph__rpc_project_add, HEPH_RPC_WRITE },
	{ "project.list", "", "The project tree with outstanding counts", heph__rpc_project_list, 0 },
	{ "doc.create", "title, body?",
	  "Create a doc; [[Name]] links become ids, #tags link tag nodes; lists unresolved links",
	  heph__rpc_doc_create, HEPH_RPC_WRITE },
	{ "doc.edit", "id, title?, body?, append?", "Change a doc's (or journal's, project's) title or body",
	  heph__rpc_doc_edit, HEPH_RPC_WRITE },
	{ "journal.open", "date?, body?, append?",
	  "The journal of a day (default today), created if missing; body or append writes it",
	  heph__rpc_journal_open, HEPH_RPC_WRITE },
	{ "node.aliases", "id, add?, remove?", "A node's aliases (other names for [[links]]), changed if asked",
	  heph__rpc_node_aliases, HEPH_RPC_WRITE },
	{ "tag.list", "", "Tags with the number of live nodes carrying each", heph__rpc_tag_list, 0 },
	{ "search", "query, kind?, limit?, raw?",
	  "Full-text search of titles and bodies, best first, with snippets (raw: FTS5 query syntax)",
	  heph__rpc_search, 0 },
	{ "link.add", "src, dst, type", "Link two nodes with a link of any type", heph__rpc_link_add,
	  HEPH_RPC_WRITE },
	{ "link.remove", "src, dst, type", "Remove the links of a type between two nodes",
	  heph__rpc_link_remove, HEPH_RPC_WRITE },
	{ "link.list", "id", "A node's outgoing links", heph__rpc_link_list, 0 },
	{ "link.backlinks", "id", "A node's incoming links", heph__rpc_link_backlinks, 0 },
	{ "ops.list", "after?, limit?, pending?",
	  "The op-log in arrival order (pending: only ops not applied yet)", heph__rpc_ops_list, 0 },
	{ "ops.apply", "ops", "Apply ops made elsewhere, as sync does (all or none)",
	  heph__rpc_ops_apply, HEPH_RPC_WRITE },
	{ "ops.unapplied", "", "Ops held here of types this version cannot apply, by type, and which versions apply them",
	  heph__rpc_ops_unapplied, 0 },
	{ "conflicts.list", "all?", "Losing values of concurrent edits (all: resolved ones too)",
	  heph__rpc_conflicts_list, 0 },
	{ "conflicts.resolve", "id, keep (mine|theirs)", "Settle a conflict", heph__rpc_conflicts_resolve,
	  HEPH_RPC_WRITE },
	{ "digest", "level?", "A hash of the replicated state (level: only what a build of that feature level holds)",
	  heph__rpc_digest, 0 },
	{ "export.ical", "", "Outstanding tasks with a do-date or late-on as an iCalendar (VTODOs)",
	  heph__rpc_export_ical, 0 },
	{ "import.taskwarrior", "tasks",
	  "Import Taskwarrior tasks (the objects of `task export`); importing them again creates nothing",
	  heph__rpc_import_taskwarrior, HEPH_RPC_WRITE },
	{ "undo", "dry_run?",
	  "Reverse the last local change with new ops (dry_run: only say what would be done)", heph__rpc_undo,
	  HEPH_RPC_WRITE },
	{ "undo.list", "limit?", "Recent local changes, and what undo would do next", heph__rpc_undo_list, 0 },
	{ "sync.now", "", "Pull from the hub and merge, then push local ops; returns the counts",
	  heph__rpc_sync_now, 0 },
	{ "sync.status", "", "Hub, last attempt, last success, last error, auth failure, ops waiting, open conflicts",
	  heph__rpc_sync_status, 0 },
	{ "hub.set", "url (or none), token_file?, name?",
	  "Set this device's hub, and its name in the hub's fleet (device-local, never synced)", heph__rpc_hub_set,
	  HEPH_RPC_WRITE },
	{ "fleet.list", "",
	  "The devices that sync with this hub: version, schema, op types missing, last seen, ops held unapplied",
	  heph__rpc_fleet_list, 0 },
	{ "health", "database?",
	  "Whether this device is fine: database, schema, daemon, hub, push queue, conflicts, unapplied ops, clock; each ok, warning or error with its fix (database false: skip the file's quick_check)",
	  heph__rpc_health, 0 },
	{ "store.info", "", "This replica: version, database path, device origin, schema, protocol, head",
	  heph__rpc_store_info, 0 },
	{ "rpc.methods", "", "This table", heph__rpc_methods, 0 },
#if HEPH_FEATURE_LEVEL >= 2
	/* feature level 2 (rpc_fl2.c): for the mixed-version tests */
	{ "task.snooze", "id, until", "Move a task's do-date to a day (an op type level-1 builds store unapplied)",
	  heph__rpc_task_snooze, HEPH_RPC_WRITE },
	{ "project.rollup", "",
	  "Each project with its subtree's outstanding tasks by attention, late and done (a read-side query)",
	  heph__rpc_project_rollup, 0 },
#endif
	{ NULL, NULL, NULL, NULL, 0 },
};

/* A host's own methods (hephd), set once at start-up before any call. */
static const heph_rpc_method *extension;

const heph_rpc_method *heph_rpc_methods(void) { return methods; }

void heph_rpc_extend(const heph_rpc_method *segment) { extension = segment; }

const heph_rpc_method *heph_rpc_extension(void) { return extension; }

const heph_rpc_method *heph_rpc_find(const char *name)
{
	for (const heph_rpc_method *m = methods; m->name; m++)
		if (strcmp(m->name, name) == 0)
			return m;
	for (const heph_rpc_method *m = extension; m && m->name; m++)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

int heph_rpc_call(heph_rpc_env *env, const char *method, json_t *params, json_t **result)
{
	const heph_rpc_method *m = heph_rpc_find(method);
	json_t *empty = NULL;
	int err;
	*result = NULL;
	if (!m)
		return heph_error_set(HEPH_ENOTFOUND, "unknown method \"%.60s\"", method);
	if (!params)
		params = empty = json_object();
	if (!json_is_object(params)) {
		err = heph_error_set(HEPH_EINVALID, "params of %s must be an object", method);
		goto out;
	}
	if (m->flags & HEPH_RPC_WRITE) {
		if ((err = heph_store_begin(env->store)))
			goto out;
		err = m->fn(env, params, result);
		if (!err)
			err = heph__undo_record(env->store, m->name); /* one change per call, for heph undo */
		if (err) {
			heph_store_rollback(env->store);
		} else if ((err = heph_store_commit(env->store)) == 0 && env->host && env->host->changed) {
			env->host->changed(env->host->ctx);
		}
	} else {
		err = m->fn(env, params, result);
	}
	if (err) {
		json_decref(*result);
		*result = NULL;
	} else if (!*result) {
		*result = json_object();
	}
out:
	json_decref(empty);
	return err;
}

json_t *heph_rpc_error_json(int code, const char *message)
{
	return json_pack("{s:i, s:s, s:{s:s}}", "code", heph_error_rpc_code(code), "message", message,
			 "data", "name", heph_error_name(code));
}

static json_t *respond(heph_rpc_env *env, json_t *req)
{
	json_t *id = json_object_get(req, "id"); /* borrowed */
	const char *method = json_string_value(json_object_get(req, "method"));
	json_t *params = json_object_get(req, "params");
	json_t *result = NULL, *resp;
	int notification = json_is_object(req) && !json_object_get(req, "id");

	if (!json_is_object(req) || !method ||
	    !json_is_string(json_object_get(req, "jsonrpc")) ||
	    strcmp(json_string_value(json_object_get(req, "jsonrpc")), "2.0") != 0) {
		resp = json_pack("{s:s, s:O, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", id ? id : json_null(),
				 "error", "code", -32600, "message", "invalid request: want a JSON-RPC 2.0 object");
		return resp;
	}
	if (params && json_is_array(params)) {
		resp = json_pack("{s:s, s:O, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", id ? id : json_null(),
				 "error", "code", -32602, "message", "params must be an object (by name)");
		return notification ? (json_decref(resp), NULL) : resp;
	}
	json_t *today = json_object_get(req, "today");
	if (today && (!json_is_string(today) || heph_store_override_today(env->store, json_string_value(today)))) {
		resp = json_pack("{s:s, s:O, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", id ? id : json_null(), "error",
				 "code", -32602, "message", "today must be a date as YYYY-MM-DD");
		return notification ? (json_decref(resp), NULL) : resp;
	}
	int err = heph_rpc_call(env, method, params, &result);
	if (today)
		heph_store_override_today(env->store, NULL);
	if (notification) {
		json_decref(result);
		return NULL;
	}
	if (err) {
		int rpc = heph_rpc_find(method) ? heph_error_rpc_code(err) : -32601;
		resp = json_pack("{s:s, s:O, s:{s:i, s:s, s:{s:s}}}", "jsonrpc", "2.0", "id", id, "error", "code",
				 rpc, "message", heph_error_last(), "data", "name", heph_error_name(err));
	} else {
		resp = json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id, "result", result);
	}
	return resp;
}

char *heph_rpc_handle(heph_rpc_env *env, const char *request, size_t len)
{
	json_error_t jerr;
	json_t *req = json_loadb(request, len, JSON_REJECT_DUPLICATES, &jerr), *resp;
	char *out;
	if (!req) {
		resp = json_pack("{s:s, s:n, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", "error", "code", -32700,
				 "message", "parse error: malformed JSON");
	} else if (json_is_array(req)) {
		size_t i;
		json_t *r;
		resp = json_array();
		json_array_foreach(req, i, r) {
			json_t *one = respond(env, r);
			if (one)
				json_array_append_new(resp, one);
		}
		if (json_array_size(req) == 0) {
			json_decref(resp);
			resp = json_pack("{s:s, s:n, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", "error", "code",
					 -32600, "message", "invalid request: empty batch");
		} else if (json_array_size(resp) == 0) {
			json_decref(resp);
			resp = NULL;
		}
	} else {
		resp = respond(env, req);
	}
	json_decref(req);
	if (!resp)
		return NULL;
	out = json_dumps(resp, JSON_COMPACT);
	json_decref(resp);
	return out;
}

/* ---- a request parsed once (heph_rpc_request_*) ---- */

struct heph_rpc_request {
	json_t *req; /* the parsed text, or NULL when it is not JSON */
};

heph_rpc_request *heph_rpc_request_parse(const char *text, size_t len)
{
	heph_rpc_request *r = calloc(1, sizeof *r);
	if (!r)
		abort();
	r->req = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	return r;
}

static int writes_one(json_t *one)
{
	const char *name = json_string_value(json_object_get(one, "method"));
	const heph_rpc_method *m = name ? heph_rpc_find(name) : NULL;
	return m && (m->flags & HEPH_RPC_WRITE);
}

int heph_rpc_request_writes(const heph_rpc_request *r)
{
	size_t i;
	json_t *one;
	if (json_is_object(r->req))
		return writes_one(r->req);
	json_array_foreach(r->req, i, one) {
		if (writes_one(one))
			return 1;
	}
	return 0;
}

/* The HTTP status of a lone response object: its error's, else 200. */
static int status_of(json_t *resp)
{
	json_t *e = json_object_get(resp, "error");
	if (!json_is_object(e))
		return 200;
	int rpc = (int)json_integer_value(json_object_get(e, "code"));
	if (rpc == -32700 || rpc == -32600)
		return 400;
	return heph_error_http_status(heph_error_from_rpc_code(rpc));
}

char *heph_rpc_request_run(heph_rpc_env *env, heph_rpc_request *r, int *http_status)
{
	json_t *resp;
	char *out;
	*http_status = 200;
	if (!r->req) {
		resp = json_pack("{s:s, s:n, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", "error", "code", -32700,
				 "message", "parse error: malformed JSON");
	} else if (json_is_array(r->req)) {
		size_t i;
		json_t *one;
		resp = json_array();
		json_array_foreach(r->req, i, one) {
			json_t *a = respond(env, one);
			if (a)
				json_array_append_new(resp, a);
		}
		if (json_array_size(r->req) == 0) {
			json_decref(resp);
			resp = json_pack("{s:s, s:n, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", "error", "code",
					 -32600, "message", "invalid request: empty batch");
		} else if (json_array_size(resp) == 0) {
			json_decref(resp);
			resp = NULL;
		}
	} else {
		resp = respond(env, r->req);
	}
	if (!resp) {
		*http_status = 204;
		return NULL;
	}
	if (json_is_object(resp))
		*http_status = status_of(resp);
	out = json_dumps(resp, JSON_COMPACT);
	json_decref(resp);
	if (!out)
		abort();
	return out;
}

void heph_rpc_request_free(heph_rpc_request *r)
{
	if (!r)
		return;
	json_decref(r->req);
	free(r);
}

HEPH_RPC_HANDLER(heph__rpc_methods)
{
	(void)env;
	(void)params;
	json_t *arr = json_array();
	for (int seg = 0; seg < 2; seg++)
		for (const heph_rpc_method *m = seg ? extension : methods; m && m->name; m++)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:b}", "name", m->name, "params",
							     m->params, "summary", m->summary, "write",
							     (m->flags & HEPH_RPC_WRITE) != 0));
	*result = arr;
	return 0;
}
