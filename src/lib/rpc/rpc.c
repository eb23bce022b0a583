/* rpc.c — the method table and the JSON-RPC 2.0 dispatcher. One entry per
 * method; the CLI, the socket and /rpc all come through heph_rpc_call(). */
#include "rpc_internal.h"
#include "ext.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Shorthands for the table below (see "the parameter schema" in rpc.h). */
#define REQ HEPH_RPC_REQUIRED
#define P(...) HEPH_RPC_PARAMS(__VA_ARGS__)
#define NONE HEPH_RPC_NO_PARAMS
#define LOCAL HEPH_RPC_LOCAL
#define WRITE HEPH_RPC_WRITE
#define HUB HEPH_RPC_HUB
/* one parameter: name, type, flags, default (text), help */
#define A(n, t, f, d, h) { n, HEPH_RPC_##t, f, d, h, NULL, 0, 0, NULL }
/* an integer from lo to hi */
#define INT(n, f, d, lo, hi, h) { n, HEPH_RPC_INT, f, d, h, NULL, lo, hi, NULL }
/* one of the '|'-separated values */
#define ENUM(n, f, d, vals, h) { n, HEPH_RPC_ENUM, f, d, h, vals, 0, 0, NULL }
/* with its own option name on the command line */
#define CLI(n, t, f, d, h, opt) { n, HEPH_RPC_##t, f, d, h, NULL, 0, 0, opt }

/* the parameters of a paged read (heph/rpc.h, "paged reads") */
#define STR_(x) #x
#define STR(x) STR_(x)
#define PAGE_PARAMS                                                                                          \
	INT("limit", 0, STR(HEPH_RPC_PAGE_DEFAULT), 1, HEPH_RPC_PAGE_MAX, "at most this many rows in this page"),  \
	A("cursor", CURSOR, 0, NULL, "the page after the one that returned this next_cursor")

#define ID_OF(what) A("id", NODE, REQ, NULL, what)
#define IF_MATCH                                                                                             \
	A("if_match", LINE, 0, NULL,                                                                         \
	  "the body_hash read with the text (node.get, context.get): refused, changing nothing, when the body " \
	  "changed since")
#define RECUR_PARAMS                                                                                         \
	A("recur", LINE, 0, NULL,                                                                            \
	  "repeat: daily, weekly, every 3 days, every mon,wed, every month on the 15th (none: stop)"),       \
	A("rrule", LINE, 0, NULL, "repeat by an RFC 5545 rule, e.g. FREQ=WEEKLY;INTERVAL=2 (none: stop)")

static const heph_rpc_method methods[] = {
	{ "task.create",
	  P(A("title", LINE, REQ, NULL, "the task's title"),
	    A("project", PROJECT, 0, NULL, "file it under this project (name or id)"),
	    A("attention", ATTENTION, 0, "white", "red, orange, white or blue"),
	    A("do_date", DATE, 0, NULL, "earliest day to act: today, fri, next week, in 3 days, dec 15, YYYY-MM-DD"),
	    A("late_on", DATE, 0, NULL, "the day after which lateness has a consequence"),
	    A("body", TEXT, 0, NULL, "the context doc's text"),
	    CLI("tags", TAGS, 0, NULL, "tag it (a name or an array of names; on the CLI, repeatable)", "tag"),
	    RECUR_PARAMS),
	  "Create a task (and its context doc); returns its node_id", heph__rpc_task_create, WRITE, NULL },
	{ "task.add",
	  P(A("text", LINE, REQ, NULL, "one line: title, date words, p1-p4, #Project, every ..."),
	    A("dry_run", BOOL, 0, "false", "only the preview; nothing is added")),
	  "Quick add: a task from one line (\"Buy milk tomorrow p2 #Work every week\"); dry_run: only the preview",
	  heph__rpc_task_add, WRITE, NULL },
	{ "quickadd.parse", P(A("text", LINE, REQ, NULL, "one line of quick add")),
	  "What quick add reads in a line: title, do_date, attention, project, recurrence, chips",
	  heph__rpc_quickadd_parse, 0, NULL },
	{ "task.list",
	  P(A("project", PROJECT, 0, NULL, "only this project and its subprojects"),
	    A("all", BOOL, 0, "false", "every state, not only outstanding"),
	    A("tag", TAG, 0, NULL, "only tasks tagged so (on the task or in its context doc)"), PAGE_PARAMS),
	  "Outstanding tasks in rank order (all states with all; a project's subtree with project; tagged with tag), "
	  "a page at a time: {tasks, next_cursor}",
	  heph__rpc_task_list, 0, "tasks" },
	{ "task.count",
	  P(A("project", PROJECT, 0, NULL, "only this project and its subprojects"),
	    A("all", BOOL, 0, "false", "every state, not only outstanding"),
	    A("tag", TAG, 0, NULL, "only tasks tagged so (on the task or in its context doc)")),
	  "How many tasks task.list would list, as {count}", heph__rpc_task_count, 0, NULL },
	{ "task.done", P(ID_OF("the task")), "Mark a task done; a recurring one moves to its next occurrence, logged",
	  heph__rpc_task_done, WRITE, NULL },
	{ "task.drop", P(ID_OF("the task")), "Drop a task for good", heph__rpc_task_drop, WRITE, NULL },
	{ "task.skip", P(ID_OF("the task")), "Move a recurring task to its next occurrence without logging one",
	  heph__rpc_task_skip, WRITE, NULL },
	{ "context.get", P(ID_OF("the task")), "A task's context doc: its body and checklist items",
	  heph__rpc_context_get, 0, NULL },
	{ "context.edit",
	  P(ID_OF("the task"), A("body", TEXT, 0, NULL, "replace the whole text"),
	    A("append", TEXT, 0, NULL, "add a line at the end (\"- [ ] step\" adds a checklist item)"), IF_MATCH),
	  "Replace a task's context doc, or append a line to it (if_match: only if it is still the text read)",
	  heph__rpc_context_edit, WRITE, NULL },
	{ "checklist.promote",
	  P(A("id", NODE, REQ, NULL, "the task, or its context doc"),
	    A("item", LINE, REQ | HEPH_RPC_OR_INT, NULL, "the item's line number in the doc, or the start of its text"),
	    A("text", LINE, 0, NULL, "what the item must still read (refused when the doc changed)")),
	  "Promote an open checklist item of a context doc (id: the task or the doc; item: its line number or the "
	  "start of its text; text: what it must still read) to a task in the same project, linked back; the line "
	  "becomes a wiki link to it",
	  heph__rpc_checklist_promote, WRITE, NULL },
	{ "log.tail",
	  P(ID_OF("the task"), INT("lines", 0, "10", 0, 100000, "how many of the last lines (0: all)")),
	  "The last lines of a task's log doc (10 by default)", heph__rpc_log_tail, 0, NULL },
	{ "log.append", P(ID_OF("the task"), A("text", LINE, REQ, NULL, "the entry")),
	  "Append a dated entry to a task's log doc (made on first use)", heph__rpc_log_append, WRITE, NULL },
	{ "task.edit",
	  P(ID_OF("the task"), A("title", LINE, 0, NULL, "new title"),
	    A("attention", ATTENTION, 0, NULL, "red, orange, white or blue"),
	    A("do_date", DATE, 0, NULL, "earliest day to act (none clears)"),
	    A("late_on", DATE, 0, NULL, "the day after which lateness has a consequence (none clears)"),
	    A("project", PROJECT, 0, NULL, "move it to this project (none: no project)"),
	    CLI("tags", TAGS, 0, NULL, "add a tag (a name or an array of names; on the CLI, repeatable)", "tag"),
	    A("untag", TAGS, 0, NULL, "remove a tag (a name or an array of names; on the CLI, repeatable)"),
	    RECUR_PARAMS),
	  "Change a task's fields; dates accept date words, \"none\" clears; project \"none\" unfiles",
	  heph__rpc_task_edit, WRITE, NULL },
	{ "task.next",
	  P(INT("limit", 0, "10", 0, 1000000, "how many tasks (0: all); red ones are always shown"),
	    A("project", PROJECT, 0, NULL, "only this project and its subprojects")),
	  "What is next: actionable, non-blue tasks in rank order (limit 10 by default; red ones always shown)",
	  heph__rpc_task_next, 0, NULL },
	{ "view.list", P(A("counts", BOOL, 0, "false", "say how many tasks each view holds")),
	  "The built-in views and their filters; with counts, how many tasks each holds", heph__rpc_view_list, 0, NULL },
	{ "view.show",
	  P(A("name", VIEW, REQ, NULL, "the view: tom, ondeck, chores, work, tasks or inbox"),
	    INT("limit", 0, "100", 0, 1000000, "how many tasks (0: all); red ones are always shown")),
	  "A view's tasks in rank order (limit 100 by default, 0: all; red ones always shown)", heph__rpc_view_show,
	  0, NULL },
	{ "node.get", P(ID_OF("the node")), "One node with its body, fields and links", heph__rpc_node_get, 0, NULL },
	{ "node.remove", P(ID_OF("the node")), "Tombstone a node", heph__rpc_node_remove, WRITE, NULL },
	{ "project.add",
	  P(A("name", LINE, REQ, NULL, "the project's name"), A("parent", PROJECT, 0, NULL, "nest it under this project")),
	  "Create a project, optionally under a parent", heph__rpc_project_add, WRITE, NULL },
	{ "project.list", NONE, "The project tree with outstanding counts", heph__rpc_project_list, 0, NULL },
	{ "doc.create", P(A("title", LINE, REQ, NULL, "the doc's title"), A("body", TEXT, 0, NULL, "the doc's Markdown")),
	  "Create a doc; [[Name]] links become ids, #tags link tag nodes; lists unresolved links",
	  heph__rpc_doc_create, WRITE, NULL },
	{ "doc.edit",
	  P(ID_OF("the doc, journal or project"), A("title", LINE, 0, NULL, "new title"),
	    A("body", TEXT, 0, NULL, "replace the body"), A("append", TEXT, 0, NULL, "add this as a new line at the end"),
	    IF_MATCH),
	  "Change a doc's (or journal's, project's) title or body (if_match: only if the body is still the one read)",
	  heph__rpc_doc_edit, WRITE, NULL },
	{ "node.complete",
	  P(A("prefix", LINE, 0, NULL, "the start of a title, any case (none: every node)"),
	    INT("limit", 0, "50", 1, 1000, "at most this many nodes")),
	  "Nodes a [[link]] may name, for completion: titles starting with prefix, then containing it (no context "
	  "or log docs, no tags)",
	  heph__rpc_node_complete, 0, NULL },
	{ "journal.open",
	  P(A("date", DATE, 0, "today", "the day"), A("body", TEXT, 0, NULL, "replace the day's text"),
	    A("append", TEXT, 0, NULL, "add this as a new line at the end")),
	  "The journal of a day (default today), created if missing; body or append writes it",
	  heph__rpc_journal_open, WRITE, NULL },
	{ "node.aliases",
	  P(ID_OF("the node"), A("add", LINES, 0, NULL, "add aliases (a name or an array; on the CLI, repeatable)"),
	    CLI("remove", LINES, 0, NULL, "remove aliases (a name or an array; on the CLI, repeatable)", "rm")),
	  "A node's aliases (other names for [[links]]), changed if asked", heph__rpc_node_aliases, WRITE, NULL },
	{ "tag.list", P(PAGE_PARAMS),
	  "Tags by name with the number of live nodes carrying each, a page at a time: {tags, next_cursor}",
	  heph__rpc_tag_list, 0, "tags" },
	{ "search",
	  P(A("query", LINE, REQ, NULL, "the words to find (every one must occur; word* matches a prefix)"),
	    ENUM("kind", 0, NULL, "task|doc|journal|project|tag", "only nodes of this kind"),
	    INT("limit", 0, "20", 1, 200, "at most this many results"),
	    A("raw", BOOL, 0, "false", "the query is FTS5 syntax: AND OR NOT \"phrase\" NEAR() title:")),
	  "Full-text search of titles and bodies, best first, with snippets (raw: FTS5 query syntax)",
	  heph__rpc_search, 0, NULL },
	{ "link.add",
	  P(A("src", NODE, REQ, NULL, "the node the link starts from"), A("dst", NODE, REQ, NULL, "the node it points at"),
	    A("type", LINE, REQ, NULL, "any lower-case word")),
	  "Link two nodes with a link of any type", heph__rpc_link_add, WRITE, NULL },
	{ "link.remove",
	  P(A("src", NODE, REQ, NULL, "the node the link starts from"), A("dst", NODE, REQ, NULL, "the node it points at"),
	    A("type", LINE, REQ, NULL, "the links' type")),
	  "Remove the links of a type between two nodes", heph__rpc_link_remove, WRITE, NULL },
	{ "link.list", P(ID_OF("the node")), "A node's outgoing links", heph__rpc_link_list, 0, NULL },
	{ "link.backlinks", P(ID_OF("the node")), "A node's incoming links", heph__rpc_link_backlinks, 0, NULL },
	{ "ops.list",
	  P(INT("after", 0, "0", 0, INT64_MAX, "only ops after this sequence number"),
	    INT("limit", 0, "1000", 1, 10000, "at most this many ops"),
	    A("pending", BOOL, 0, "false", "only ops not applied yet")),
	  "The op-log in arrival order (pending: only ops not applied yet)", heph__rpc_ops_list, 0, NULL },
	{ "ops.apply", P(A("ops", ARRAY, REQ, NULL, "the ops, as heph ops --json writes them")),
	  "Apply ops made elsewhere, as sync does (all or none)", heph__rpc_ops_apply, WRITE, NULL },
	{ "ops.unapplied", NONE,
	  "Ops held here of types this version cannot apply, by type, and which versions apply them",
	  heph__rpc_ops_unapplied, 0, NULL },
	{ "conflicts.list", P(A("all", BOOL, 0, "false", "resolved conflicts too")),
	  "Losing values of concurrent edits (all: resolved ones too)", heph__rpc_conflicts_list, 0, NULL },
	{ "conflicts.resolve",
	  P(INT("id", REQ, NULL, 1, INT64_MAX, "the conflict's number"),
	    ENUM("keep", REQ, NULL, "mine|theirs", "which value to keep")),
	  "Settle a conflict", heph__rpc_conflicts_resolve, WRITE, NULL },
	{ "digest",
	  P(INT("level", 0, NULL, 1, HEPH_FEATURE_LEVEL,
		"only what a build of this feature level holds (default: this build's)")),
	  "A hash of the replicated state (level: only what a build of that feature level holds)", heph__rpc_digest,
	  0, NULL },
	{ "export.ical",
	  P(ENUM("form", 0, "todo", "todo|event",
		 "todo: a VTODO per task (task apps); event: all-day VEVENTs, as the calendar feed")),
	  "Outstanding tasks with a do-date or late-on as an iCalendar (VTODOs, or VEVENTs with form event), "
	  "with the alarms of calendar.alarms",
	  heph__rpc_export_ical, 0, NULL },
	{ "calendar.url", P(A("new", BOOL, 0, "false", "revoke the current feed URL and make a new one")),
	  "The calendar feed's path on the hub (/calendar/SECRET.ics), made on first use and shown only then (the "
	  "hub keeps its hash); new: replace it",
	  heph__rpc_calendar_url, WRITE | HUB, NULL },
	{ "calendar.revoke", NONE, "Revoke the calendar feed's URL: it answers 404 from now on",
	  heph__rpc_calendar_revoke, WRITE | HUB, NULL },
	{ "calendar.alarms",
	  P(A("attention", LINES, 0, "red, orange",
	      "the attention colours whose late-on day gets an alarm (none: no alarms; on the CLI, repeatable)"),
	    A("offset", LINE, 0, "PT9H",
	      "when the alarm rings, an RFC 5545 duration from the start of the late-on day: PT9H (9:00 that "
	      "day), -PT15H (9:00 the day before)")),
	  "The calendar's alarms (which attention colours, and when), changed if asked", heph__rpc_calendar_alarms,
	  WRITE, NULL },
	{ "import.taskwarrior", P(A("tasks", ARRAY, REQ, NULL, "the objects of `task export`")),
	  "Import Taskwarrior tasks (the objects of `task export`); importing them again creates nothing",
	  heph__rpc_import_taskwarrior, WRITE, NULL },
	{ "undo", P(A("dry_run", BOOL, 0, "false", "only say what would be done")),
	  "Reverse the last local change with new ops (dry_run: only say what would be done)", heph__rpc_undo, WRITE, NULL },
	{ "undo.list", P(INT("limit", 0, "10", 1, 1000, "how many recent changes")),
	  "Recent local changes, and what undo would do next", heph__rpc_undo_list, 0, NULL },
	{ "sync.now", NONE, "Pull from the hub and merge, then push local ops; returns the counts",
	  heph__rpc_sync_now, LOCAL, NULL },
	{ "sync.status", NONE, "Hub, last attempt, last success, last error, auth failure, ops waiting, open conflicts",
	  heph__rpc_sync_status, 0, NULL },
	{ "hub.set",
	  P(A("url", LINE, REQ, NULL, "the hub, http://HOST[:PORT] or https://... (none: stop syncing)"),
	    A("token_file", LINE, 0, NULL, "the absolute path of the file holding the bearer token (none: forget it)"),
	    A("name", LINE, 0, NULL, "this device's name in the hub's fleet (default: the host name)")),
	  "Set this device's hub, and its name in the hub's fleet (device-local, never synced)", heph__rpc_hub_set,
	  WRITE | LOCAL, NULL },
	{ "fleet.list", NONE,
	  "The devices that sync with this hub: version, schema, op types missing, last seen, ops held unapplied",
	  heph__rpc_fleet_list, 0, NULL },
	{ "health", P(A("database", BOOL, 0, "true", "check the database file (quick_check); false skips it")),
	  "Whether this device is fine: database, schema, daemon, hub, push queue, conflicts, unapplied ops, clock; "
	  "each ok, warning or error with its fix (database false: skip the file's quick_check)",
	  heph__rpc_health, 0, NULL },
	{ "store.info", NONE,
	  "This replica: version, database path (not over /rpc), device origin, schema, protocol, head",
	  heph__rpc_store_info, 0, NULL },
	{ "rpc.methods", NONE, "This table: each method with its parameters (name, type, required, default, help)",
	  heph__rpc_methods, 0, NULL },
	{ NULL, NULL, NULL, NULL, 0, NULL },
};

/* A host's own methods (hephd), set once at start-up before any call. */
static const heph_rpc_method *extension;

/* The table with the build's extension (ext.h) folded in, made once on
 * first use: its methods after these, its task parameters after those of
 * task.create and task.edit. NULL when it adds none (the table is then
 * methods itself). Never freed: it lives as long as the program. */
static heph_rpc_method *merged;
static pthread_once_t merged_once = PTHREAD_ONCE_INIT;

static size_t count_params(const heph_rpc_param *p)
{
	size_t n = 0;
	while (p && p[n].name)
		n++;
	return n;
}

static const heph_rpc_param *with_task_params(const heph_rpc_param *p)
{
	size_t n = count_params(p), k = count_params(heph__ext.task_params);
	heph_rpc_param *all = calloc(n + k + 1, sizeof *all);
	if (!all)
		abort();
	memcpy(all, p, n * sizeof *p);
	if (k)
		memcpy(all + n, heph__ext.task_params, k * sizeof *all);
	return all;
}

static void merge_extension(void)
{
	size_t n = 0, k = 0;
	while (methods[n].name)
		n++;
	while (heph__ext.methods && heph__ext.methods[k].name)
		k++;
	if (!k && !count_params(heph__ext.task_params))
		return;
	if (!(merged = calloc(n + k + 1, sizeof *merged)))
		abort();
	memcpy(merged, methods, n * sizeof *merged);
	if (k)
		memcpy(merged + n, heph__ext.methods, k * sizeof *merged);
	for (size_t i = 0; i < n; i++)
		if (strcmp(merged[i].name, "task.create") == 0 || strcmp(merged[i].name, "task.edit") == 0)
			merged[i].params = with_task_params(merged[i].params);
}

const heph_rpc_method *heph_rpc_methods(void)
{
	pthread_once(&merged_once, merge_extension);
	return merged ? merged : methods;
}

void heph_rpc_extend(const heph_rpc_method *segment) { extension = segment; }

const heph_rpc_method *heph_rpc_extension(void) { return extension; }

const heph_rpc_method *heph_rpc_find(const char *name)
{
	for (const heph_rpc_method *m = heph_rpc_methods(); m->name; m++)
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
		return heph_error_set(HEPH_ENOTFOUND, "unknown method \"%.60s\" (heph call rpc.methods lists them)",
				      method);
	/* The one place a device-local method is refused to a remote caller. */
	if ((m->flags & HEPH_RPC_LOCAL) && env->remote)
		return heph_error_set(HEPH_EFORBIDDEN,
				      "%s configures the device it runs on and is not callable remotely: "
				      "run it on that device (heph without --remote)",
				      m->name);
	/* And the one place a hub-only method is refused to everyone else. */
	if ((m->flags & HEPH_RPC_HUB) && !env->remote)
		return heph_error_set(HEPH_EUSAGE,
				      "%s is answered by a hub, which serves what it makes: call it on the hub "
				      "(heph calendar on a device that syncs with it, or heph --remote URL)",
				      m->name);
	if ((err = heph_rpc_check(m, env->store, params)))
		return err;
	if (!params)
		params = empty = json_object();
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

/* ---- a request parsed once (heph_rpc_request_*) ---- */

struct heph_rpc_request {
	json_t *req;       /* the parsed text, or NULL when it is not JSON */
	char error[256];   /* why it is not, for the -32700 answer */
};

heph_rpc_request *heph_rpc_request_parse(const char *text, size_t len)
{
	heph_rpc_request *r = calloc(1, sizeof *r);
	json_error_t jerr;
	if (!r)
		abort();
	if ((r->req = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)))
		return r;
	if (json_error_code(&jerr) == json_error_invalid_utf8)
		snprintf(r->error, sizeof r->error, "parse error: the request is not valid UTF-8 (at character %d): "
			 "send JSON in UTF-8", jerr.position);
	else if (json_error_code(&jerr) == json_error_null_character)
		snprintf(r->error, sizeof r->error, "parse error: a string holds \\u0000 (U+0000, at character %d): "
			 "heph text takes no NUL characters", jerr.position);
	else
		snprintf(r->error, sizeof r->error, "parse error: malformed JSON at character %d: %s", jerr.position,
			 jerr.text);
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
				 "message", r->error);
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

char *heph_rpc_handle(heph_rpc_env *env, const char *request, size_t len)
{
	heph_rpc_request *r = heph_rpc_request_parse(request, len);
	int status;
	char *out = heph_rpc_request_run(env, r, &status);
	heph_rpc_request_free(r);
	return out;
}

HEPH_RPC_HANDLER(heph__rpc_methods)
{
	(void)env;
	(void)params;
	json_t *arr = json_array();
	char syn[512];
	for (int seg = 0; seg < 2; seg++)
		for (const heph_rpc_method *m = seg ? extension : heph_rpc_methods(); m && m->name; m++) {
			heph_rpc_synopsis(m, syn, sizeof syn);
			json_t *o = json_pack("{s:s, s:o, s:s, s:s, s:b, s:b, s:b, s:b}", "name", m->name, "params",
					      heph_rpc_params_json(m), "synopsis", syn, "summary", m->summary, "write",
					      (m->flags & HEPH_RPC_WRITE) != 0, "local", (m->flags & HEPH_RPC_LOCAL) != 0, "hub",
					      (m->flags & HEPH_RPC_HUB) != 0, "host", seg == 1);
			if (m->page) /* a paged read: the member holding its rows */
				json_object_set_new(o, "page", json_string(m->page));
			json_array_append_new(arr, o);
		}
	*result = arr;
	return 0;
}
