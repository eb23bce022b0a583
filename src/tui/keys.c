/* keys.c — the key table and what each key does. One table drives both
 * dispatch and the help overlay. Every change goes through one RPC method
 * (source.c) and is followed by a reload, so the screen shows what the
 * database now holds. */
#include "app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heph/error.h"
#include "text.h"

#define CTRL(c) ((c) & 0x1f)

/* The selected task's id, or NULL with a message saying why not. */
static const char *need_task(struct tui_app *app)
{
	const char *id = tui_model_task_id(&app->m);
	if (!id)
		tui_model_message(&app->m, 1, "no task selected");
	return id;
}

/* Copy of the selected task's title for messages. */
static void sel_title(struct tui_app *app, char *buf, size_t cap)
{
	const char *t = tui_task_str(tui_model_selected(&app->m), "title");
	snprintf(buf, cap, "%s", t ? t : "");
}

/* Call a write method on the selected task with extra params (stolen), then
 * reload; on success say msg. */
static int task_call(struct tui_app *app, enum tui_src src, json_t *params, const char *verb, json_t **result)
{
	char title[256];
	const char *id = need_task(app);
	if (!id) {
		json_decref(params);
		return HEPH_ENOTFOUND;
	}
	sel_title(app, title, sizeof title);
	if (!params)
		params = json_object();
	json_object_set_new(params, "id", json_string(id));
	int err = tui_model_call(&app->m, src, params, result);
	tui_model_reload(&app->m);
	if (err)
		tui_model_message(&app->m, 1, "%s", heph_error_last());
	else if (verb)
		tui_model_message(&app->m, 0, "%s: %s", verb, title);
	return err;
}

/* ---- moving ---- */

static void k_down(struct tui_app *app) { tui_model_move(&app->m, 1); }
static void k_up(struct tui_app *app) { tui_model_move(&app->m, -1); }
static void k_pgdown(struct tui_app *app) { tui_model_move(&app->m, app->page > 1 ? app->page : 1); }
static void k_pgup(struct tui_app *app) { tui_model_move(&app->m, -(app->page > 1 ? app->page : 1)); }
static void k_home(struct tui_app *app) { tui_model_jump(&app->m, -1); }
static void k_end(struct tui_app *app) { tui_model_jump(&app->m, 1); }
static void k_tab(struct tui_app *app) { tui_model_focus(&app->m, 1); }
static void k_btab(struct tui_app *app) { tui_model_focus(&app->m, -1); }

static void k_left(struct tui_app *app)
{
	if (app->m.pane != TUI_PANE_SIDE)
		tui_model_focus(&app->m, -1);
}

static void k_right(struct tui_app *app)
{
	if (app->m.pane != TUI_PANE_PREVIEW)
		tui_model_focus(&app->m, 1);
}

static void k_enter(struct tui_app *app)
{
	if (app->m.pane == TUI_PANE_SIDE)
		app->m.pane = TUI_PANE_TASKS;
	else if (app->m.pane == TUI_PANE_TASKS)
		app->m.pane = TUI_PANE_PREVIEW;
}

/* ---- triage ---- */

static void k_done(struct tui_app *app)
{
	json_t *r = NULL;
	if (task_call(app, SRC_DONE, NULL, "done", &r) == 0) {
		const char *state = tui_task_str(r, "state"), *next = tui_task_str(r, "do_date");
		if (state && strcmp(state, "outstanding") == 0 && next)
			tui_model_message(&app->m, 0, "done: %s (next on %s)", tui_task_str(r, "title"), next);
	}
	json_decref(r);
}

static void k_skip(struct tui_app *app)
{
	json_t *r = NULL;
	if (task_call(app, SRC_SKIP, NULL, "skipped", &r) == 0 && tui_task_str(r, "do_date"))
		tui_model_message(&app->m, 0, "skipped: %s (next on %s)", tui_task_str(r, "title"),
				  tui_task_str(r, "do_date"));
	json_decref(r);
}

static void k_attention(struct tui_app *app)
{
	/* white -> orange -> red -> white; blue comes back to white */
	static const char *const next[][2] = {
		{ "white", "orange" }, { "orange", "red" }, { "red", "white" }, { "blue", "white" } };
	const char *cur = tui_task_str(tui_model_selected(&app->m), "attention"), *to = "orange";
	char msg[32];
	for (size_t i = 0; cur && i < sizeof next / sizeof next[0]; i++)
		if (strcmp(cur, next[i][0]) == 0)
			to = next[i][1];
	snprintf(msg, sizeof msg, "now %s", to);
	task_call(app, SRC_ATTENTION, json_pack("{s:s}", "attention", to), msg, NULL);
}

static void k_blue(struct tui_app *app)
{
	task_call(app, SRC_ATTENTION, json_pack("{s:s}", "attention", "blue"), "on deck", NULL);
}

static void k_reschedule(struct tui_app *app)
{
	char word[128] = "", title[256];
	json_t *r = NULL;
	if (!need_task(app))
		return;
	sel_title(app, title, sizeof title);
	if (!tui_prompt(app, "do date (today, fri, next week, in 3 days, dec 15, none): ", word, sizeof word, NULL) ||
	    !word[0]) {
		tui_model_message(&app->m, 0, "not rescheduled");
		return;
	}
	if (task_call(app, SRC_EDIT, json_pack("{s:s}", "do_date", word), NULL, &r) == 0) {
		const char *d = tui_task_str(r, "do_date");
		const char *w = json_string_value(json_array_get(json_object_get(r, "warnings"), 0));
		if (w) /* a late-on before the new do-date: said, not hidden */
			tui_model_message(&app->m, 0, "%s: %s (%s)", d ? d : "no do-date", title, w);
		else
			tui_model_message(&app->m, 0, "%s: %s", d ? d : "no do-date", title);
	}
	json_decref(r);
}

/* Promote an open item of the selected task's checklist to a task. */
static void k_promote(struct tui_app *app)
{
	char item[256] = "";
	json_t *r = NULL;
	if (!need_task(app))
		return;
	if (!tui_prompt(app, "promote which checklist item (the start of its text, or its line): ", item, sizeof item,
			NULL) ||
	    !item[0]) {
		tui_model_message(&app->m, 0, "nothing promoted");
		return;
	}
	if (task_call(app, SRC_PROMOTE, json_pack("{s:s}", "item", item), NULL, &r) == 0)
		tui_model_message(&app->m, 0, "promoted to a task: %s",
				  tui_task_str(json_object_get(r, "task"), "title"));
	json_decref(r);
}

static void k_drop(struct tui_app *app)
{
	task_call(app, SRC_DROP, NULL, "dropped", NULL);
}

static void k_delete(struct tui_app *app)
{
	char title[256], q[400];
	if (!need_task(app))
		return;
	sel_title(app, title, sizeof title);
	snprintf(q, sizeof q, "delete \"%.200s\"?", title);
	if (!tui_confirm(app, q)) {
		tui_model_message(&app->m, 0, "not deleted");
		return;
	}
	task_call(app, SRC_DELETE, NULL, "deleted", NULL);
}

static void k_move(struct tui_app *app)
{
	struct tui_model *m = &app->m;
	char **labels, title[256];
	const char **ids;
	int n = 0, pick;
	if (!need_task(app))
		return;
	sel_title(app, title, sizeof title);
	labels = malloc(((size_t)m->nitems + 1) * sizeof *labels);
	ids = malloc(((size_t)m->nitems + 1) * sizeof *ids);
	if (!labels || !ids)
		abort();
	labels[n] = strdup("(no project)");
	ids[n++] = "none";
	for (int i = 0; i < m->nitems; i++) {
		if (m->items[i].kind != TUI_ITEM_PROJECT)
			continue;
		/* show a subproject with its parents: "Work / Clients" */
		char path[1024] = "";
		int depth = m->items[i].depth;
		snprintf(path, sizeof path, "%s", m->items[i].label);
		for (int j = i - 1; j >= 0 && depth > 0; j--) {
			if (m->items[j].kind == TUI_ITEM_PROJECT && m->items[j].depth == depth - 1) {
				char tmp[1024];
				snprintf(tmp, sizeof tmp, "%s / %s", m->items[j].label, path);
				memcpy(path, tmp, sizeof path);
				depth--;
			}
		}
		labels[n] = strdup(path);
		ids[n++] = m->items[i].key;
	}
	pick = tui_pick(app, "move to project", labels, n);
	if (pick >= 0) {
		char where[1100];
		snprintf(where, sizeof where, "moved to %s", labels[pick]);
		task_call(app, SRC_EDIT, json_pack("{s:s}", "project", ids[pick]), where, NULL);
	} else {
		tui_model_message(m, 0, "not moved");
	}
	for (int i = 0; i < n; i++)
		free(labels[i]);
	free(labels);
	free(ids);
}

/* Drop trailing newlines: editors add one on save, and it is no change. */
static char *chomp(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == '\n')
		s[--n] = '\0';
	return s;
}

static void k_open(struct tui_app *app)
{
	struct tui_model *m = &app->m;
	const char *ctx = tui_task_str(m->node, "context_id");
	char *text = NULL, *ctx_id;
	if (!need_task(app))
		return;
	if (!ctx) {
		tui_model_message(m, 1, "this task has no context doc");
		return;
	}
	ctx_id = strdup(ctx);
	const char *before = tui_task_str(m->node, "context");
	char *old = strdup(before ? before : "");
	if (!ctx_id || !old)
		abort();
	if (tui_edit_text(app, old, &text) != 0) {
		tui_model_message(m, 1, "%s", heph_error_last());
	} else if (strcmp(chomp(text), chomp(old)) == 0) {
		tui_model_message(m, 0, "context unchanged");
	} else if (tui_model_call(m, SRC_DOC_SAVE, json_pack("{s:s, s:s}", "id", ctx_id, "body", text), NULL) == 0) {
		tui_model_reload(m);
		tui_model_message(m, 0, "context saved");
	}
	free(text);
	free(old);
	free(ctx_id);
}

/* ---- adding ---- */

static void line(char ***lines, int *n, const char *name, const char *value)
{
	if (!value || !*value)
		return;
	if (!(*lines = realloc(*lines, (size_t)(*n + 1) * sizeof **lines)) ||
	    asprintf(&(*lines)[*n], "%-10s %s", name, value) < 0)
		abort();
	(*n)++;
}

/* The quick-add parser's reading of text, as lines for the preview box. */
static int quick_preview(struct tui_app *app, const char *text, char ***lines)
{
	struct tui_model *m = &app->m;
	json_t *r = NULL;
	int n = 0;
	*lines = NULL;
	if (!text[0]) {
		line(lines, &n, "example", "Buy milk tomorrow p2 #Home every week");
		return n;
	}
	char keep[sizeof m->msg];
	int kept_error = m->msg_error;
	memcpy(keep, m->msg, sizeof keep);
	/* the read-only parser */
	int err = tui_model_call(m, SRC_QUICK_PARSE, json_pack("{s:s}", "text", text), &r);
	if (err != 0) {
		line(lines, &n, "error", heph_error_last());
	} else {
		json_t *t = json_object_get(r, "task");
		if (!json_is_object(t))
			t = r;
		line(lines, &n, "title", tui_task_str(t, "title"));
		line(lines, &n, "do", tui_task_str(t, "do_date"));
		line(lines, &n, "late on", tui_task_str(t, "late_on"));
		line(lines, &n, "attention", tui_task_str(t, "attention"));
		line(lines, &n, "project", tui_task_str(t, "project"));
		line(lines, &n, "repeats", tui_task_recurrence(t));
	}
	json_decref(r);
	memcpy(m->msg, keep, sizeof keep); /* a preview's error is not news */
	m->msg_error = kept_error;
	return n;
}

static void k_add(struct tui_app *app)
{
	struct tui_model *m = &app->m;
	char text[1024] = "";
	json_t *r = NULL;
	int err;
	if (!tui_prompt(app, "add: ", text, sizeof text, quick_preview) || !text[0]) {
		tui_model_message(m, 0, "nothing added");
		return;
	}
	err = tui_model_call(m, SRC_QUICK_ADD, json_pack("{s:s}", "text", text), &r);
	if (err == 0) {
		json_t *t = json_object_get(r, "task");
		const char *title = tui_task_str(json_is_object(t) ? t : r, "title");
		const char *id = tui_task_str(json_is_object(t) ? t : r, "node_id");
		tui_model_reload(m);
		if (id)
			tui_model_select(m, id); /* show the new task when it is listed */
		tui_model_message(m, 0, "added: %s", title ? title : text);
	}
	json_decref(r);
}

/* ---- the rest ---- */

static void k_search(struct tui_app *app)
{
	char q[512] = "";
	if (!tui_prompt(app, "search: ", q, sizeof q, NULL) || !q[0])
		return;
	if (tui_model_search(&app->m, q) == 0)
		tui_model_message(&app->m, 0, "%zu found", json_array_size(app->m.tasks));
}

static void k_sort(struct tui_app *app)
{
	tui_model_toggle_grouped(&app->m);
	tui_model_message(&app->m, 0, "%s", app->m.grouped ? "grouped by project" : "ranked");
}

static void k_undo(struct tui_app *app)
{
	struct tui_model *m = &app->m;
	json_t *r = NULL;
	if (tui_model_call(m, SRC_UNDO, NULL, &r) == 0) {
		const char *what = tui_task_str(json_object_get(r, "change"), "summary");
		tui_model_reload(m);
		tui_model_message(m, 0, "undone%s%s", what ? ": " : "", what ? what : "");
	}
	json_decref(r);
}

static void k_refresh(struct tui_app *app)
{
	tui_model_reload(&app->m);
	tui_model_message(&app->m, 0, "refreshed");
	clearok(curscr, TRUE);
}

static void k_help(struct tui_app *app) { app->help = 1; }
static void k_quit(struct tui_app *app) { app->quit = 1; }

static const struct tui_key keys[] = {
	{ 'j', "j / Down", "move down (in the preview: scroll)", k_down },
	{ TUI_FKEY(KEY_DOWN), NULL, NULL, k_down },
	{ 'k', "k / Up", "move up", k_up },
	{ TUI_FKEY(KEY_UP), NULL, NULL, k_up },
	{ TUI_FKEY(KEY_NPAGE), "PgDn PgUp", "move a page", k_pgdown },
	{ TUI_FKEY(KEY_PPAGE), NULL, NULL, k_pgup },
	{ 'g', "g / G", "first / last", k_home },
	{ TUI_FKEY(KEY_HOME), NULL, NULL, k_home },
	{ 'G', NULL, NULL, k_end },
	{ TUI_FKEY(KEY_END), NULL, NULL, k_end },
	{ '\t', "Tab", "next pane (Shift-Tab: previous)", k_tab },
	{ TUI_FKEY(KEY_BTAB), NULL, NULL, k_btab },
	{ 'h', "h / l", "pane to the left / right", k_left },
	{ TUI_FKEY(KEY_LEFT), NULL, NULL, k_left },
	{ 'l', NULL, NULL, k_right },
	{ TUI_FKEY(KEY_RIGHT), NULL, NULL, k_right },
	{ '\n', "Enter", "open: sidebar to list, list to preview", k_enter },
	{ '\r', NULL, NULL, k_enter },
	{ TUI_FKEY(KEY_ENTER), NULL, NULL, k_enter },
	{ 'a', "a", "quick add (shows what it understood first)", k_add },
	{ 'x', "x", "done (a recurring task moves to its next day)", k_done },
	{ 'S', "S", "skip this occurrence", k_skip },
	{ 'A', "A", "cycle attention: white, orange, red", k_attention },
	{ 'e', "e", "reschedule: a new do-date in date words", k_reschedule },
	{ 'b', "b", "push to blue (on deck)", k_blue },
	{ 'd', "d", "drop for good", k_drop },
	{ 'D', "D", "delete (asks y/N)", k_delete },
	{ 'm', "m", "move to a project", k_move },
	{ 'o', "o", "edit the context doc in $EDITOR", k_open },
	{ 'P', "P", "promote a checklist item of the context doc to a task", k_promote },
	{ '/', "/", "full-text search", k_search },
	{ 's', "s", "sort: ranked or grouped by project", k_sort },
	{ 'u', "u", "undo the last change", k_undo },
	{ 'r', "r", "refresh (also automatic)", k_refresh },
	{ CTRL('l'), NULL, NULL, k_refresh },
	{ '?', "?", "this help", k_help },
	{ 'q', "q", "quit", k_quit },
	{ 0, NULL, NULL, NULL },
};

const struct tui_key *tui_keys(void)
{
	return keys;
}

int tui_key_dispatch(struct tui_app *app, int key)
{
	for (const struct tui_key *k = keys; k->fn; k++)
		if (k->key == key) {
			app->m.msg[0] = '\0';
			k->fn(app);
			return 1;
		}
	return 0;
}
