/* model.c — the TUI's state and how it is loaded (see model.h). No ncurses
 * here. Every read goes through tui_model_call(), so the methods behind the
 * panes are exactly those named in source.c. */
#include "model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heph/error.h"

static char *dup(const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d)
		abort();
	return d;
}

void tui_model_message(struct tui_model *m, int error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m->msg, sizeof m->msg, fmt, ap);
	va_end(ap);
	m->msg_error = error;
}

/* One call on the model's store (a heph_rpc_caller). */
static int call_one(void *ctx, const char *method, json_t *params, json_t **result)
{
	struct tui_model *m = ctx;
	return heph_rpc_call(&m->env, method, params, result);
}

int tui_model_call(struct tui_model *m, enum tui_src src, json_t *params, json_t **result)
{
	const heph_rpc_method *meth = heph_rpc_find(tui_source(src)->method);
	json_t *r = NULL;
	int err;
	if (result)
		*result = NULL;
	/* a paged read is read to its last page: a pane shows every row */
	if (meth && meth->page)
		err = heph_rpc_call_all(meth, params, call_one, m, &r);
	else
		err = call_one(m, tui_source(src)->method, params, &r);
	json_decref(params);
	if (err) {
		tui_model_message(m, 1, "%s", heph_error_last());
		return err;
	}
	if (result)
		*result = r;
	else
		json_decref(r);
	return 0;
}

const char *tui_task_str(json_t *task, const char *key)
{
	return json_string_value(json_object_get(task, key));
}

const char *tui_task_recurrence(json_t *task)
{
	static const char *const words[] = { "recurrence_text", "recurrence_words", "recur_text" };
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		const char *v = tui_task_str(task, words[i]);
		if (v && *v)
			return v;
	}
	const char *v = tui_task_str(task, "recurrence");
	return v && *v ? v : NULL;
}

/* A row object's node id: tasks carry node_id; search hits may say id. */
static const char *obj_id(json_t *o)
{
	const char *id = tui_task_str(o, "node_id");
	return id ? id : tui_task_str(o, "id");
}

/* An array out of a result that is an array, or an object holding one. */
static json_t *as_array(json_t *r, const char *const *keys)
{
	if (json_is_array(r))
		return json_incref(r);
	for (; r && *keys; keys++) {
		json_t *a = json_object_get(r, *keys);
		if (json_is_array(a))
			return json_incref(a);
	}
	return json_array();
}

/* ---- the sidebar ---- */

static void free_items(struct tui_model *m)
{
	for (int i = 0; i < m->nitems; i++) {
		free(m->items[i].key);
		free(m->items[i].label);
	}
	free(m->items);
	m->items = NULL;
	m->nitems = 0;
}

static struct tui_item *add_item(struct tui_model *m, int *cap, enum tui_item_kind kind, const char *key,
				  const char *label, int depth, long count, long total)
{
	if (m->nitems == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		if (!(m->items = realloc(m->items, (size_t)*cap * sizeof *m->items)))
			abort();
	}
	m->items[m->nitems] = (struct tui_item){ kind, key ? dup(key) : NULL, dup(label), depth, count, total, 0 };
	return &m->items[m->nitems++];
}

static long int_or(json_t *o, const char *key, long dflt)
{
	json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? (long)json_integer_value(v) : dflt;
}

static void load_sidebar(struct tui_model *m)
{
	static const char *const view_keys[] = { "views", NULL };
	static const char *const proj_keys[] = { "projects", NULL };
	enum tui_item_kind kind = TUI_ITEM_HEADING;
	char *key = NULL;
	int cap = 0;
	json_t *r = NULL, *arr, *v;
	size_t i;

	if (m->side >= 0 && m->side < m->nitems) {
		kind = m->items[m->side].kind;
		key = m->items[m->side].key ? dup(m->items[m->side].key) : NULL;
	}
	free_items(m);

	if (m->search)
		add_item(m, &cap, TUI_ITEM_SEARCH, m->search, m->search, 0, -1, -1);
	add_item(m, &cap, TUI_ITEM_HEADING, NULL, "Views", 0, -1, -1);
	if (tui_model_call(m, SRC_VIEWS, json_pack("{s:b}", "counts", 1), &r) == 0) {
		arr = as_array(r, view_keys);
		json_array_foreach(arr, i, v) {
			const char *name = json_is_string(v) ? json_string_value(v) : tui_task_str(v, "name");
			if (name)
				add_item(m, &cap, TUI_ITEM_VIEW, name, name, 0, int_or(v, "count", -1), -1)->dim =
					json_is_false(json_object_get(v, "project_found"));
		}
		json_decref(arr);
		json_decref(r);
	}
	add_item(m, &cap, TUI_ITEM_HEADING, NULL, "Projects", 0, -1, -1);
	if (tui_model_call(m, SRC_PROJECTS, NULL, &r) == 0) {
		arr = as_array(r, proj_keys);
		json_array_foreach(arr, i, v) {
			const char *id = tui_task_str(v, "node_id"), *title = tui_task_str(v, "title");
			if (id && title)
				add_item(m, &cap, TUI_ITEM_PROJECT, id, title, (int)int_or(v, "depth", 0),
					 int_or(v, "open_count", -1), int_or(v, "open_count_total", -1));
		}
		json_decref(arr);
		json_decref(r);
	}

	/* Keep the selection on the same entry; else the first selectable. */
	m->side = -1;
	for (int k = 0; key && k < m->nitems; k++)
		if (m->items[k].kind == kind && m->items[k].key && strcmp(m->items[k].key, key) == 0)
			m->side = k;
	for (int k = 0; m->side < 0 && k < m->nitems; k++)
		if (m->items[k].kind != TUI_ITEM_HEADING)
			m->side = k;
	free(key);
}

const struct tui_item *tui_model_item(const struct tui_model *m)
{
	return m->side >= 0 && m->side < m->nitems ? &m->items[m->side] : NULL;
}

/* ---- the task list ---- */

static void free_rows(struct tui_model *m)
{
	for (int i = 0; i < m->nrows; i++)
		free(m->rows[i].heading);
	free(m->rows);
	m->rows = NULL;
	m->nrows = 0;
}

json_t *tui_model_selected(const struct tui_model *m)
{
	if (m->row < 0 || m->row >= m->nrows || m->rows[m->row].task < 0)
		return NULL;
	return json_array_get(m->tasks, (size_t)m->rows[m->row].task);
}

const char *tui_model_task_id(const struct tui_model *m)
{
	json_t *o = tui_model_selected(m);
	const char *kind = tui_task_str(o, "kind");
	if (!o || (kind && strcmp(kind, "task") != 0))
		return NULL;
	/* a search hit without a kind is a task only if it has task fields */
	if (!kind && !json_object_get(o, "state"))
		return NULL;
	return obj_id(o);
}

static void push_row(struct tui_model *m, int task, const char *heading, long count)
{
	if (!(m->rows = realloc(m->rows, (size_t)(m->nrows + 1) * sizeof *m->rows)))
		abort();
	m->rows[m->nrows++] = (struct tui_row){ task, heading ? dup(heading) : NULL, count };
}

/* Rows in rank order, or grouped under their projects in sidebar order
 * (rank order kept within a group), tasks in no project last. */
static void build_rows(struct tui_model *m)
{
	size_t n = json_array_size(m->tasks);
	free_rows(m);
	if (!m->grouped) {
		for (size_t i = 0; i < n; i++)
			push_row(m, (int)i, NULL, 0);
		return;
	}
	char *taken = calloc(n + 1, 1);
	if (!taken)
		abort();
	for (int k = 0; k <= m->nitems; k++) {
		const char *pid = NULL, *label = "No project";
		if (k < m->nitems) {
			if (m->items[k].kind != TUI_ITEM_PROJECT)
				continue;
			pid = m->items[k].key;
			label = m->items[k].label;
		}
		long count = 0;
		for (size_t i = 0; i < n; i++) {
			const char *tp = tui_task_str(json_array_get(m->tasks, i), "project_id");
			if (!taken[i] && (pid ? tp && strcmp(tp, pid) == 0 : 1))
				count++;
		}
		if (count == 0)
			continue;
		push_row(m, -1, label, count);
		for (size_t i = 0; i < n; i++) {
			const char *tp = tui_task_str(json_array_get(m->tasks, i), "project_id");
			if (!taken[i] && (pid ? tp && strcmp(tp, pid) == 0 : 1)) {
				taken[i] = 1;
				push_row(m, (int)i, NULL, 0);
			}
		}
	}
	free(taken);
}

static void skip_heading(struct tui_model *m, int dir)
{
	while (m->row >= 0 && m->row < m->nrows && m->rows[m->row].task < 0)
		m->row += dir;
	if (m->row < 0 || m->row >= m->nrows) {
		/* nothing that way: look the other way */
		m->row = dir > 0 ? m->nrows - 1 : 0;
		while (m->row >= 0 && m->row < m->nrows && m->rows[m->row].task < 0)
			m->row -= dir;
	}
	if (m->row < 0 || m->row >= m->nrows)
		m->row = -1;
}

/* Put the cursor on the task with this id, else near row `near`. */
static void place_cursor(struct tui_model *m, const char *id, int near)
{
	m->row = -1;
	for (int r = 0; id && r < m->nrows; r++)
		if (m->rows[r].task >= 0) {
			const char *rid = obj_id(json_array_get(m->tasks, (size_t)m->rows[r].task));
			if (rid && strcmp(rid, id) == 0)
				m->row = r;
		}
	if (m->row < 0 && m->nrows > 0) {
		m->row = near < 0 ? 0 : near >= m->nrows ? m->nrows - 1 : near;
		skip_heading(m, 1);
	}
}

static void load_tasks(struct tui_model *m, int keep)
{
	static const char *const keys[] = { "tasks", "results", "hits", "items", NULL };
	const struct tui_item *it = tui_model_item(m);
	char *keep_id = NULL;
	int near = m->row;
	json_t *r = NULL, *params = NULL;
	enum tui_src src;

	if (keep && tui_model_selected(m))
		keep_id = dup(obj_id(tui_model_selected(m)));
	json_decref(m->tasks);
	m->tasks = json_array();
	if (it) {
		switch (it->kind) {
		case TUI_ITEM_SEARCH:
			src = SRC_SEARCH;
			params = json_pack("{s:s}", "query", it->key);
			break;
		case TUI_ITEM_PROJECT:
			src = SRC_PROJECT_TASKS;
			params = json_pack("{s:s}", "project", it->key);
			break;
		default:
			src = SRC_VIEW_TASKS;
			params = json_pack("{s:s, s:i}", "name", it->key, "limit", TUI_VIEW_LIMIT);
			break;
		}
		if (tui_model_call(m, src, params, &r) == 0) {
			json_decref(m->tasks);
			m->tasks = as_array(r, keys);
			json_decref(r);
		}
	}
	build_rows(m);
	place_cursor(m, keep_id, keep ? near : 0);
	if (!keep)
		m->row_top = 0;
	free(keep_id);
	tui_model_load_preview(m);
}

void tui_model_load_tasks(struct tui_model *m)
{
	load_tasks(m, 1);
}

/* ---- the preview ---- */

/* The id at the other end of a log-of link, in either direction. */
static const char *log_doc_id(json_t *node)
{
	static const char *const dirs[][2] = { { "links", "dst" }, { "backlinks", "src" } };
	for (size_t d = 0; d < 2; d++) {
		size_t i;
		json_t *l;
		json_array_foreach(json_object_get(node, dirs[d][0]), i, l) {
			const char *type = tui_task_str(l, "type");
			if (type && strcmp(type, "log-of") == 0)
				return tui_task_str(l, dirs[d][1]);
		}
	}
	return NULL;
}

void tui_model_load_preview(struct tui_model *m)
{
	json_t *o = tui_model_selected(m), *r = NULL;
	const char *prev = m->node ? tui_task_str(m->node, "node_id") : NULL;
	const char *id = o ? obj_id(o) : NULL;
	if (!id || !prev || strcmp(prev, id) != 0)
		m->preview_top = 0;
	json_decref(m->node);
	m->node = NULL;
	free(m->log);
	m->log = NULL;
	if (!id)
		return;
	if (tui_model_call(m, SRC_NODE, json_pack("{s:s}", "id", id), &m->node) != 0)
		return;
	const char *log = tui_task_str(m->node, "log");
	if (log) {
		m->log = dup(log);
		return;
	}
	const char *lid = log_doc_id(m->node);
	if (lid && tui_model_call(m, SRC_NODE, json_pack("{s:s}", "id", lid), &r) == 0) {
		m->log = dup(tui_task_str(r, "body"));
		json_decref(r);
	}
}

/* ---- status ---- */

void tui_model_load_status(struct tui_model *m)
{
	json_t *r = NULL;
	json_decref(m->sync);
	m->sync = NULL;
	m->conflicts = -1;
	if (tui_model_call(m, SRC_SYNC, NULL, &r) == 0) {
		m->sync = r;
		m->conflicts = int_or(r, "conflicts", -1);
		/* the hephd of this database knows whether it is syncing now;
		 * daemon false says that none runs */
		json_t *d = NULL;
		if (m->daemon) {
			if (m->daemon(m->daemon_ctx, m->env.store, &d) == 0 && json_is_object(json_object_get(d, "daemon")))
				json_object_set(m->sync, "daemon", json_object_get(d, "daemon"));
			else
				json_object_set_new(m->sync, "daemon", json_false());
			json_decref(d);
		}
		/* what heph health says beyond sync, without the file check (its
		 * cost grows with the database) */
		if (tui_model_call(m, SRC_HEALTH, json_pack("{s:b}", "database", 0), &r) == 0)
			json_object_set_new(m->sync, "health", r);
	}
	if (m->conflicts < 0 && tui_model_call(m, SRC_CONFLICTS, NULL, &r) == 0) {
		m->conflicts = (long)json_array_size(r);
		json_decref(r);
	}
}

/* ---- the whole ---- */

void tui_model_reload(struct tui_model *m)
{
	m->data_version = heph_store_data_version(m->env.store);
	load_sidebar(m);
	load_tasks(m, 1);
	tui_model_load_status(m);
}

int tui_model_poll(struct tui_model *m)
{
	if (heph_store_data_version(m->env.store) == m->data_version)
		return 0;
	tui_model_reload(m);
	return 1;
}

int tui_model_open(struct tui_model *m, heph_store *s)
{
	tui_daemon_fn daemon = m->daemon; /* the caller's, set before opening */
	void *daemon_ctx = m->daemon_ctx;
	memset(m, 0, sizeof *m);
	m->daemon = daemon;
	m->daemon_ctx = daemon_ctx;
	m->env.store = s;
	m->side = -1;
	m->row = -1;
	m->conflicts = -1;
	m->pane = TUI_PANE_TASKS;
	m->tasks = json_array();
	m->msg[0] = '\0';
	tui_model_reload(m);
	return 0;
}

void tui_model_close(struct tui_model *m)
{
	free_items(m);
	free_rows(m);
	json_decref(m->tasks);
	json_decref(m->node);
	json_decref(m->sync);
	free(m->log);
	free(m->search);
	memset(m, 0, sizeof *m);
}

/* ---- moving ---- */

void tui_model_move(struct tui_model *m, int delta)
{
	int dir = delta < 0 ? -1 : 1;
	switch (m->pane) {
	case TUI_PANE_SIDE: {
		int at = m->side, steps = delta < 0 ? -delta : delta;
		for (int i = m->side + dir; steps > 0 && i >= 0 && i < m->nitems; i += dir)
			if (m->items[i].kind != TUI_ITEM_HEADING) {
				at = i;
				steps--;
			}
		if (at != m->side) {
			m->side = at;
			m->row = -1;
			load_tasks(m, 0);
		}
		break;
	}
	case TUI_PANE_TASKS: {
		if (m->nrows == 0)
			break;
		int old = m->row, at = m->row, steps = delta < 0 ? -delta : delta;
		for (int i = m->row + dir; steps > 0 && i >= 0 && i < m->nrows; i += dir)
			if (m->rows[i].task >= 0) {
				at = i;
				steps--;
			}
		m->row = at;
		if (m->row != old)
			tui_model_load_preview(m);
		break;
	}
	default:
		m->preview_top += delta;
		if (m->preview_top < 0)
			m->preview_top = 0;
		break;
	}
}

void tui_model_jump(struct tui_model *m, int where)
{
	tui_model_move(m, where < 0 ? -1000000 : 1000000);
}

void tui_model_focus(struct tui_model *m, int delta)
{
	m->pane = (enum tui_pane)(((int)m->pane + delta + TUI_PANES) % TUI_PANES);
}

int tui_model_search(struct tui_model *m, const char *query)
{
	free(m->search);
	m->search = dup(query);
	m->side = -1;
	load_sidebar(m);
	m->side = 0; /* the search entry comes first */
	m->row = -1;
	load_tasks(m, 0);
	m->pane = TUI_PANE_TASKS;
	return 0;
}

int tui_model_select(struct tui_model *m, const char *id)
{
	int old = m->row;
	place_cursor(m, id, old);
	if (m->row != old)
		tui_model_load_preview(m);
	json_t *o = tui_model_selected(m);
	return o && id && obj_id(o) && strcmp(obj_id(o), id) == 0;
}

void tui_model_toggle_grouped(struct tui_model *m)
{
	m->grouped = !m->grouped;
	const char *id = tui_model_selected(m) ? obj_id(tui_model_selected(m)) : NULL;
	char *keep = id ? dup(id) : NULL;
	build_rows(m);
	place_cursor(m, keep, 0);
	free(keep);
	m->row_top = 0;
}
