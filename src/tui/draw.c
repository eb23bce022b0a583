/* draw.c — the screen, drawn from the model into curses' buffer.
 *
 * Every frame is drawn whole with erase() and sent with refresh(); curses
 * sends only the cells that changed, so a refresh after another process's
 * change does not flicker. Text is clipped to its cells (text.h), never
 * wrapped past a pane's edge.
 */
#include "app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "colour.h"
#include "layout.h"
#include "status.h"
#include "text.h"

/* Write text clipped to w cells at (y, x). Returns the cells used. */
static int put(int y, int x, int w, const char *text, attr_t attr)
{
	if (w <= 0 || !text)
		return 0;
	char *c = tui_text_clip(text, w, 1);
	int used = tui_text_width(c);
	attrset(attr);
	mvaddstr(y, x, c);
	attrset(A_NORMAL);
	free(c);
	return used;
}

static void fill(int y, int x, int w, attr_t attr)
{
	attrset(attr);
	for (int i = 0; i < w; i++)
		mvaddch(y, x + i, ' ');
	attrset(A_NORMAL);
}

/* Keep cursor within the visible window [*top, *top + h). */
static void scroll_to(int cursor, int h, int *top)
{
	if (h < 1)
		h = 1;
	if (cursor < *top)
		*top = cursor;
	if (cursor >= *top + h)
		*top = cursor - h + 1;
	if (*top < 0)
		*top = 0;
}

static void title(const struct tui_rect *r, const char *text, int focused)
{
	fill(r->y, r->x, r->w, focused ? A_REVERSE | tui_attr(TUI_C_HEAD) : tui_attr(TUI_C_HEAD));
	put(r->y, r->x + 1, r->w - 1, text, focused ? A_REVERSE | A_BOLD : tui_attr(TUI_C_HEAD));
}

static attr_t cursor_attr(const struct tui_app *app, enum tui_pane pane)
{
	return app->m.pane == pane ? A_REVERSE : A_BOLD;
}

/* ---- sidebar ---- */

static void draw_side(struct tui_app *app, const struct tui_rect *r)
{
	struct tui_model *m = &app->m;
	int h = r->h - 1;
	title(r, "Views & projects", m->pane == TUI_PANE_SIDE);
	scroll_to(m->side < 0 ? 0 : m->side, h, &m->side_top);
	for (int i = m->side_top, y = r->y + 1; i < m->nitems && y < r->y + r->h; i++, y++) {
		const struct tui_item *it = &m->items[i];
		char count[48] = "", label[512];
		attr_t attr = A_NORMAL;
		int sel = i == m->side;
		if (it->kind == TUI_ITEM_HEADING) {
			put(y, r->x, r->w, it->label, tui_attr(TUI_C_HEAD) | A_BOLD);
			continue;
		}
		if (it->kind == TUI_ITEM_SEARCH) {
			snprintf(label, sizeof label, "/ %s", it->label);
		} else {
			snprintf(label, sizeof label, "%*s%s", 1 + 2 * it->depth, "", it->label);
			if (it->kind == TUI_ITEM_PROJECT)
				attr = tui_attr_project(it->key);
			else if (it->dim)
				attr = tui_attr(TUI_C_DIM);
		}
		if (it->kind == TUI_ITEM_PROJECT && it->total > it->count)
			snprintf(count, sizeof count, "%ld/%ld", it->count, it->total);
		else if (it->count >= 0)
			snprintf(count, sizeof count, "%ld", it->count);
		if (sel)
			fill(y, r->x, r->w, cursor_attr(app, TUI_PANE_SIDE));
		int cw = tui_text_width(count);
		int lw = r->w - (cw ? cw + 2 : 0);
		put(y, r->x, lw, label, sel ? cursor_attr(app, TUI_PANE_SIDE) : attr);
		if (cw && r->w > cw + 2)
			put(y, r->x + r->w - cw - 1, cw, count,
			    sel ? cursor_attr(app, TUI_PANE_SIDE) : tui_attr(TUI_C_DIM));
	}
}

/* ---- the task list ---- */

static const char *marker(const char *attention)
{
	if (!attention)
		return "  ";
	if (strcmp(attention, "red") == 0)
		return "!!";
	if (strcmp(attention, "orange") == 0)
		return "! ";
	if (strcmp(attention, "blue") == 0)
		return "~ ";
	return "  ";
}

/* A date as the list shows it: MM-DD this year, the whole date otherwise. */
static void short_date(const char *date, const char *today, char out[16])
{
	if (date && today && strlen(date) == 10 && strncmp(date, today, 4) == 0)
		snprintf(out, 16, "%s", date + 5);
	else
		snprintf(out, 16, "%s", date ? date : "");
}

struct piece {
	char text[160];
	attr_t attr;
};

static void draw_task(struct tui_app *app, int y, int x, int w, json_t *t, int sel)
{
	const char *today = heph_store_today(app->m.env.store);
	const char *att = tui_task_str(t, "attention"), *kind = tui_task_str(t, "kind");
	const char *late = tui_task_str(t, "late_on"), *dod = tui_task_str(t, "do_date");
	const char *proj = tui_task_str(t, "project"), *rec = tui_task_str(t, "state") ? tui_task_recurrence(t) : NULL;
	struct piece p[5];
	int np = 0;
	char d[16];
	attr_t base = sel ? cursor_attr(app, TUI_PANE_TASKS) : A_NORMAL;

	/* Right-hand fields, most important first: dropped from the end when
	 * the row is narrow. */
	if (late && *late) {
		short_date(late, today, d);
		int past = today && strcmp(late, today) < 0;
		snprintf(p[np].text, sizeof p[np].text, "%s %s", past ? "LATE" : "late", d);
		p[np++].attr = past ? tui_attr(TUI_C_RED) : tui_attr(TUI_C_ORANGE);
	}
	if (dod && *dod) {
		short_date(dod, today, d);
		snprintf(p[np].text, sizeof p[np].text, "do %s", d);
		p[np++].attr = today && strcmp(dod, today) > 0 ? tui_attr(TUI_C_DIM) : A_NORMAL;
	}
	if (proj) {
		snprintf(p[np].text, sizeof p[np].text, "#%s", proj);
		p[np++].attr = tui_attr_project(tui_task_str(t, "project_id"));
	}
	if (rec) {
		snprintf(p[np].text, sizeof p[np].text, "\xe2\x86\xbb %s", rec); /* ↻ */
		p[np++].attr = tui_attr(TUI_C_DIM);
	}
	if (kind && strcmp(kind, "task") != 0) {
		snprintf(p[np].text, sizeof p[np].text, "(%s)", kind);
		p[np++].attr = tui_attr(TUI_C_DIM);
	}
	int title_min = w / 3 < 12 ? 12 : w / 3;
	int need = 1; /* a cell of margin before the pane's edge */
	for (int i = 0; i < np; i++) {
		int pw = tui_text_width(p[i].text) + 1;
		if (3 + title_min + need + pw > w) {
			np = i;
			break;
		}
		need += pw;
	}
	if (sel)
		fill(y, x, w, base);
	put(y, x, 2, marker(att), sel ? base : tui_attr_attention(att));
	attr_t tattr = base;
	if (!sel && att && (strcmp(att, "red") == 0 || strcmp(att, "blue") == 0))
		tattr = tui_attr_attention(att);
	put(y, x + 3, w - 3 - need, tui_task_str(t, "title"), tattr);
	int at = x + w - need;
	for (int i = 0; i < np; i++) {
		at += put(y, at + 1, w - (at - x) - 1, p[i].text, sel ? base : p[i].attr) + 1;
	}
}

static void draw_tasks(struct tui_app *app, const struct tui_rect *r)
{
	struct tui_model *m = &app->m;
	const struct tui_item *it = tui_model_item(m);
	char head[600];
	int h = r->h - 1;
	long ntasks = (long)json_array_size(m->tasks);
	app->page = h > 1 ? h - 1 : 1;
	if (!it)
		snprintf(head, sizeof head, "Tasks");
	else if (it->kind == TUI_ITEM_SEARCH)
		snprintf(head, sizeof head, "Search \"%s\" (%ld)%s", it->label, ntasks, m->grouped ? " by project" : "");
	else
		snprintf(head, sizeof head, "%s (%ld)%s", it->label, ntasks, m->grouped ? " by project" : "");
	title(r, head, m->pane == TUI_PANE_TASKS);
	if (m->nrows == 0) {
		put(r->y + 1, r->x + 1, r->w - 1, it && it->kind == TUI_ITEM_SEARCH ? "no match" : "nothing here",
		    tui_attr(TUI_C_DIM));
		return;
	}
	scroll_to(m->row < 0 ? 0 : m->row, h, &m->row_top);
	/* show the heading of the first group while scrolling through it */
	if (m->row_top == 1 && m->rows[0].task < 0 && m->row < h)
		m->row_top = 0;
	for (int i = m->row_top, y = r->y + 1; i < m->nrows && y < r->y + r->h; i++, y++) {
		const struct tui_row *row = &m->rows[i];
		if (row->task < 0) {
			char g[600];
			snprintf(g, sizeof g, "%s (%ld)", row->heading, row->count);
			put(y, r->x, r->w, g, tui_attr(TUI_C_HEAD) | A_BOLD);
			continue;
		}
		draw_task(app, y, r->x, r->w, json_array_get(m->tasks, (size_t)row->task), i == m->row);
	}
}

/* ---- the preview ---- */

struct pline {
	char *text;
	attr_t attr;
};

struct plines {
	struct pline *v;
	int n, cap;
};

static void pl_add(struct plines *pl, const char *text, attr_t attr)
{
	if (pl->n == pl->cap) {
		pl->cap = pl->cap ? pl->cap * 2 : 64;
		if (!(pl->v = realloc(pl->v, (size_t)pl->cap * sizeof *pl->v)))
			abort();
	}
	pl->v[pl->n].text = strdup(text);
	if (!pl->v[pl->n].text)
		abort();
	pl->v[pl->n++].attr = attr;
}

static void pl_wrap(struct plines *pl, const char *text, int w, attr_t attr)
{
	char **lines;
	int n = tui_text_wrap(text, w, &lines);
	for (int i = 0; i < n; i++)
		pl_add(pl, lines[i], attr);
	tui_text_lines_free(lines, n);
}

static void pl_field(struct plines *pl, int w, const char *name, const char *value, attr_t attr)
{
	char buf[600];
	if (!value || !*value)
		return;
	snprintf(buf, sizeof buf, "%-9s %s", name, value);
	pl_wrap(pl, buf, w, attr);
}

/* The last `keep` non-empty lines of a log. */
static void pl_tail(struct plines *pl, const char *log, int w, int keep)
{
	char **lines;
	int n = tui_text_wrap(log, w, &lines), first = n, seen = 0;
	while (first > 0 && seen < keep) {
		first--;
		if (lines[first][0])
			seen++;
	}
	if (first > 0)
		pl_add(pl, "\xe2\x80\xa6", tui_attr(TUI_C_DIM));
	for (int i = first; i < n; i++)
		if (lines[i][0])
			pl_add(pl, lines[i], A_NORMAL);
	tui_text_lines_free(lines, n);
}

static void build_preview(struct tui_app *app, int w, struct plines *pl)
{
	json_t *n = app->m.node;
	const char *kind = tui_task_str(n, "kind");
	pl_wrap(pl, tui_task_str(n, "title"), w, A_BOLD);
	if (kind && strcmp(kind, "task") == 0) {
		const char *att = tui_task_str(n, "attention");
		char sid[64];
		pl_add(pl, "", A_NORMAL);
		pl_field(pl, w, "state", tui_task_str(n, "state"), A_NORMAL);
		pl_field(pl, w, "attention", att, tui_attr_attention(att));
		pl_field(pl, w, "project", tui_task_str(n, "project"), tui_attr_project(tui_task_str(n, "project_id")));
		pl_field(pl, w, "do", tui_task_str(n, "do_date"), A_NORMAL);
		pl_field(pl, w, "late on", tui_task_str(n, "late_on"), A_NORMAL);
		pl_field(pl, w, "repeats", tui_task_recurrence(n), A_NORMAL);
		snprintf(sid, sizeof sid, "%s", tui_task_str(n, "handle")     ? tui_task_str(n, "handle")
						 : tui_task_str(n, "short_id") ? tui_task_str(n, "short_id")
									       : tui_task_str(n, "node_id"));
		pl_field(pl, w, "id", sid, tui_attr(TUI_C_DIM));
		pl_add(pl, "", A_NORMAL);
		pl_add(pl, "Context", tui_attr(TUI_C_HEAD) | A_BOLD);
		const char *ctx = tui_task_str(n, "context");
		if (ctx && *ctx)
			pl_wrap(pl, ctx, w, A_NORMAL);
		else
			pl_add(pl, "(empty: o to write it)", tui_attr(TUI_C_DIM));
		if (app->m.log && *app->m.log) {
			pl_add(pl, "", A_NORMAL);
			pl_add(pl, "Log", tui_attr(TUI_C_HEAD) | A_BOLD);
			pl_tail(pl, app->m.log, w, 8);
		}
	} else {
		pl_field(pl, w, "kind", kind, tui_attr(TUI_C_DIM));
		pl_add(pl, "", A_NORMAL);
		pl_wrap(pl, tui_task_str(n, "body"), w, A_NORMAL);
	}
}

static void draw_preview(struct tui_app *app, const struct tui_rect *r)
{
	struct plines pl = { 0 };
	int h = r->h - 1;
	title(r, "Preview", app->m.pane == TUI_PANE_PREVIEW);
	if (!app->m.node) {
		put(r->y + 1, r->x + 1, r->w - 1, "nothing selected", tui_attr(TUI_C_DIM));
		return;
	}
	build_preview(app, r->w - 1, &pl);
	if (app->m.preview_top > pl.n - h)
		app->m.preview_top = pl.n - h > 0 ? pl.n - h : 0;
	for (int i = app->m.preview_top, y = r->y + 1; i < pl.n && y < r->y + r->h; i++, y++)
		put(y, r->x + 1, r->w - 1, pl.v[i].text, pl.v[i].attr);
	for (int i = 0; i < pl.n; i++)
		free(pl.v[i].text);
	free(pl.v);
}

/* ---- status line and overlays ---- */

void tui_draw_status(struct tui_app *app, const char *prompt, const char *input)
{
	int rows, cols;
	char sync[300];
	getmaxyx(stdscr, rows, cols);
	int y = rows - 1;
	enum tui_status_level lvl = tui_status_text(app->m.sync, app->m.conflicts, time(NULL), sync, sizeof sync);
	attr_t sattr = lvl == TUI_STATUS_BAD ? tui_attr(TUI_C_RED) : lvl == TUI_STATUS_WARN ? tui_attr(TUI_C_ORANGE)
											 : tui_attr(TUI_C_DIM);
	fill(y, 0, cols, A_NORMAL);
	int sw = tui_text_width(sync);
	if (prompt) {
		int pw = put(y, 0, cols, prompt, A_BOLD);
		/* show the end of a long input */
		const char *in = input;
		while (tui_text_width(in) > cols - pw - 2 && *in)
			in++;
		int iw = put(y, pw, cols - pw, in, A_NORMAL);
		move(y, pw + iw);
		return;
	}
	int right = sw < cols / 2 ? sw : cols / 2;
	if (right > 0)
		put(y, cols - right, right, sync, sattr);
	const char *left = app->m.msg[0] ? app->m.msg : "? help  a add  x done  / search  q quit";
	put(y, 0, cols - right - 1, left,
	    app->m.msg[0] ? (app->m.msg_error ? tui_attr(TUI_C_RED) : A_BOLD) : tui_attr(TUI_C_DIM));
}

void tui_draw_box(const char *heading, char **lines, int n, int hl)
{
	int rows, cols;
	getmaxyx(stdscr, rows, cols);
	int w = 0;
	for (int i = 0; i < n; i++)
		if (tui_text_width(lines[i]) > w)
			w = tui_text_width(lines[i]);
	if (tui_text_width(heading) + 2 > w)
		w = tui_text_width(heading) + 2;
	w += 4;
	if (w > cols)
		w = cols;
	int h = n + 2;
	if (h > rows - 1)
		h = rows - 1;
	if (h < 2 || w < 4)
		return;
	int y = rows - 1 - h, x = (cols - w) / 2;
	for (int i = 0; i < h; i++)
		fill(y + i, x, w, A_NORMAL);
	attrset(tui_attr(TUI_C_HEAD));
	mvaddch(y, x, ACS_ULCORNER);
	mvhline(y, x + 1, ACS_HLINE, w - 2);
	mvaddch(y, x + w - 1, ACS_URCORNER);
	mvvline(y + 1, x, ACS_VLINE, h - 2);
	mvvline(y + 1, x + w - 1, ACS_VLINE, h - 2);
	mvaddch(y + h - 1, x, ACS_LLCORNER);
	mvhline(y + h - 1, x + 1, ACS_HLINE, w - 2);
	mvaddch(y + h - 1, x + w - 1, ACS_LRCORNER);
	attrset(A_NORMAL);
	put(y, x + 2, w - 4, heading, tui_attr(TUI_C_HEAD) | A_BOLD);
	/* keep the highlighted line in view */
	int first = hl >= h - 2 ? hl - (h - 3) : 0;
	for (int i = first, yy = y + 1; i < n && yy < y + h - 1; i++, yy++) {
		if (i == hl)
			fill(yy, x + 1, w - 2, A_REVERSE);
		put(yy, x + 2, w - 4, lines[i], i == hl ? A_REVERSE : A_NORMAL);
	}
}

static void draw_help(void)
{
	const struct tui_key *k = tui_keys();
	char **lines = NULL;
	int n = 0;
	for (; k->fn; k++) {
		if (!k->name)
			continue;
		if (!(lines = realloc(lines, (size_t)(n + 1) * sizeof *lines)) ||
		    asprintf(&lines[n], "%-10s %s", k->name, k->help) < 0)
			abort();
		n++;
	}
	tui_draw_box("heph-tui keys (any key closes)", lines, n, -1);
	for (int i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

void tui_draw(struct tui_app *app)
{
	int rows, cols;
	struct tui_layout lay;
	getmaxyx(stdscr, rows, cols);
	erase();
	tui_layout(rows, cols, app->m.pane, &lay);
	if (lay.too_small) {
		put(0, 0, cols, cols >= 28 ? "heph-tui: terminal too small" : "too small", A_BOLD);
		return;
	}
	/* a pane that is not on screen cannot keep the focus */
	if (!lay.pane[app->m.pane].shown)
		app->m.pane = TUI_PANE_TASKS;
	if (lay.pane[TUI_PANE_SIDE].shown)
		draw_side(app, &lay.pane[TUI_PANE_SIDE]);
	if (lay.pane[TUI_PANE_TASKS].shown)
		draw_tasks(app, &lay.pane[TUI_PANE_TASKS]);
	if (lay.pane[TUI_PANE_PREVIEW].shown)
		draw_preview(app, &lay.pane[TUI_PANE_PREVIEW]);
	for (int p = 1; p < TUI_PANES; p++) {
		const struct tui_rect *r = &lay.pane[p];
		if (r->shown && r->x > 0) {
			attrset(tui_attr(TUI_C_DIM));
			mvvline(r->y, r->x - 1, ACS_VLINE, r->h);
			attrset(A_NORMAL);
		}
	}
	tui_draw_status(app, NULL, NULL);
	if (app->help)
		draw_help();
}
