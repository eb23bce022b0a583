/* print.c — human output for each kind of result. With --json the result
 * is printed as it came from the method instead. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "heph/buf.h"
#include "heph/date.h"
#include "text.h" /* UTF-8 in terminal cells, shared with the TUI */

/* Styles (CLI_* in cli.h): term.c makes them colours or drops them. */
#define C_RESET CLI_RESET
#define C_DIM CLI_DIM
#define C_BOLD CLI_BOLD

static const char *str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

static const char *att_color(const char *att)
{
	if (strcmp(att, "red") == 0)
		return CLI_RED;
	if (strcmp(att, "orange") == 0)
		return CLI_YELLOW;
	if (strcmp(att, "blue") == 0)
		return CLI_BLUE;
	return "";
}

static const char *att_mark(const char *att)
{
	if (strcmp(att, "red") == 0)
		return "R";
	if (strcmp(att, "orange") == 0)
		return "O";
	if (strcmp(att, "blue") == 0)
		return "B";
	return "-";
}

void print_id(struct cli *cli, json_t *r)
{
	fprintf(cli->out, "%s\n", str(r, "node_id"));
}

/* How a task is named in output: its handle, else its short id. */
static const char *task_name(json_t *t)
{
	if (str(t, "handle")[0])
		return str(t, "handle");
	return str(t, "short_id")[0] ? str(t, "short_id") : str(t, "node_id");
}

/* A day relative to today, as a list reads it at a glance: "today",
 * "tomorrow", "yesterday", "fri" within the week ahead, "in 12d", "3d ago";
 * the date itself beyond 99 days. "" for no date. */
static void relative(const char *date, const char *today, char out[16])
{
	out[0] = '\0';
	if (!date || !date[0])
		return;
	long n = heph_date_diff(today, date);
	if (heph_date_weekday(date) < 0 || n < -99 || n > 99)
		snprintf(out, 16, "%s", date);
	else if (n == 0)
		snprintf(out, 16, "today");
	else if (n == 1)
		snprintf(out, 16, "tomorrow");
	else if (n == -1)
		snprintf(out, 16, "yesterday");
	else if (n > 1 && n < 7)
		snprintf(out, 16, "%.3s", heph_date_weekday_name(heph_date_weekday(date)));
	else if (n > 0)
		snprintf(out, 16, "in %ldd", n);
	else
		snprintf(out, 16, "%ldd ago", -n);
}

/* The late-on column: "late 2d" once the day has passed (the task is
 * late), else the day in words. */
static int late_words(const char *late_on, const char *today, char out[16])
{
	long n = late_on && late_on[0] ? heph_date_diff(today, late_on) : 0;
	if (late_on && late_on[0] && heph_date_weekday(late_on) >= 0 && n < 0) {
		snprintf(out, 16, "late %ldd", -n);
		return 1;
	}
	relative(late_on, today, out);
	return 0;
}

/* The fields of a task line, as a list keeps them: one text arena and
 * offsets into it (it moves as it grows), not a JSON object per row. */
enum { F_NAME, F_ATT, F_STATE, F_PROJ, F_REC, F_RECTEXT, F_TITLE, F_DO, F_LATE, NF };
_Static_assert(NF == TASK_ROW_FIELDS, "cli.h sizes struct task_rows by it");

int task_rows_add(void *ctx, json_t *t)
{
	struct task_rows *tr = ctx;
	const char *v[NF] = { task_name(t),	    str(t, "attention"), str(t, "state"),
			      str(t, "project"),    str(t, "recurrence"), str(t, "recurrence_text"),
			      str(t, "title"),	    str(t, "do_date"),	 str(t, "late_on") };
	if (tr->n == tr->cap) {
		tr->cap = tr->cap ? tr->cap * 2 : 256;
		if (!(tr->off = realloc(tr->off, tr->cap * sizeof *tr->off)))
			abort();
	}
	for (int f = 0; f < NF; f++) {
		tr->off[tr->n][f] = tr->text.n;
		heph_buf_put(&tr->text, v[f], strlen(v[f]) + 1);
	}
	tr->n++;
	return 0;
}

void task_rows_free(struct task_rows *tr)
{
	heph_buf_free(&tr->text);
	free(tr->off);
}

#define FIELD(tr, i, f) ((tr)->text.p + (tr)->off[i][f])

struct cols {
	int id, dod, late; /* widths */
	const char *today;
};

static void task_line(struct cli *cli, const struct task_rows *tr, size_t i, const struct cols *c)
{
	const char *att = FIELD(tr, i, F_ATT), *state = FIELD(tr, i, F_STATE);
	const char *proj = FIELD(tr, i, F_PROJ), *rec = FIELD(tr, i, F_REC);
	const char *col = att_color(att);
	char dod[16], late[16];
	relative(FIELD(tr, i, F_DO), c->today, dod);
	int is_late = late_words(FIELD(tr, i, F_LATE), c->today, late) && strcmp(state, "outstanding") == 0;
	fprintf(cli->out, C_DIM "%-*s" C_RESET " %s%s%s %-*s %s%-*s%s ", c->id, FIELD(tr, i, F_NAME), col,
		att_mark(att), col[0] ? C_RESET : "", c->dod, dod[0] ? dod : "-", is_late ? CLI_RED CLI_BOLD : "",
		c->late, late[0] ? late : "-", is_late ? C_RESET : "");

	/* the rest: [state] title (recurrence) #project, cut to the width */
	char extra[512] = "";
	if (rec[0])
		snprintf(extra, sizeof extra, " (%s)", FIELD(tr, i, F_RECTEXT)[0] ? FIELD(tr, i, F_RECTEXT) : rec);
	if (proj[0])
		snprintf(extra + strlen(extra), sizeof extra - strlen(extra), " #%s", proj);
	char st[32] = "";
	if (strcmp(state, "outstanding") != 0)
		snprintf(st, sizeof st, "[%s] ", state);
	const char *title = FIELD(tr, i, F_TITLE);
	int room = cli->width ? cli->width - (c->id + 1 + 2 + c->dod + 1 + c->late + 1) : 0;
	size_t keep = strlen(title);
	int cut = 0;
	if (cli->width) {
		int tw = tui_text_width(st) + tui_text_width(title), ew = tui_text_width(extra);
		if (tw + ew > room) {
			if (ew > room / 2) { /* no room for the extras: the title alone */
				extra[0] = '\0';
				ew = 0;
			}
			if (tw + ew > room) {
				int left = room - ew - tui_text_width(st) - 1; /* one cell for the ellipsis */
				keep = left > 0 ? tui_text_fit(title, left, NULL) : 0;
				cut = 1;
			}
		}
	}
	fprintf(cli->out, "%s%s%.*s%s%s", st, col, (int)keep, title, cut ? "…" : "", col[0] ? C_RESET : "");
	if (extra[0])
		fprintf(cli->out, C_DIM "%s" C_RESET, extra);
	fputc('\n', cli->out);
}

void print_task_rows(struct cli *cli, const struct task_rows *tr)
{
	struct cols c = { .id = 2, .dod = 2, .late = 7, .today = "" };
	if (tr->n == 0) {
		fprintf(cli->out, "no tasks\n");
		return;
	}
	/* today: the store's; with --remote, $HEPH_NOW's or the local clock's */
	char today[HEPH_DATE_LEN + 1];
	const char *now = getenv("HEPH_NOW");
	if (cli->store) {
		c.today = heph_store_today(cli->store);
	} else if (now && strlen(now) >= HEPH_DATE_LEN) {
		snprintf(today, sizeof today, "%s", now);
		c.today = today;
	} else {
		time_t secs = time(NULL);
		struct tm tm;
		localtime_r(&secs, &tm);
		strftime(today, sizeof today, "%Y-%m-%d", &tm);
		c.today = today;
	}
	for (size_t i = 0; i < tr->n; i++) {
		char w[16];
		int n = tui_text_width(FIELD(tr, i, F_NAME));
		if (n > c.id)
			c.id = n;
		relative(FIELD(tr, i, F_DO), c.today, w);
		if ((n = (int)strlen(w)) > c.dod)
			c.dod = n;
		late_words(FIELD(tr, i, F_LATE), c.today, w);
		if ((n = (int)strlen(w)) > c.late)
			c.late = n;
	}
	fprintf(cli->out, C_BOLD "%-*s A %-*s %-*s TITLE" C_RESET "\n", c.id, "ID", c.dod, "DO", c.late, "LATE ON");
	for (size_t i = 0; i < tr->n; i++)
		task_line(cli, tr, i, &c);
}

void print_tasks(struct cli *cli, json_t *r)
{
	struct task_rows tr = { 0 };
	size_t i;
	json_t *t;
	json_array_foreach(r, i, t) task_rows_add(&tr, t);
	print_task_rows(cli, &tr);
	task_rows_free(&tr);
}

void print_task_state(struct cli *cli, json_t *r)
{
	const char *id = task_name(r);
	if (!json_object_get(r, "occurrence")) {
		fprintf(cli->out, "%s: %s [%s]\n", id, str(r, "title"), str(r, "state"));
		return;
	}
	/* a recurring task moved on */
	fprintf(cli->out, "%s: %s: %s %s", id, str(r, "title"),
		json_is_true(json_object_get(r, "logged")) ? "done for" : "skipped", str(r, "occurrence"));
	if (str(r, "next")[0])
		fprintf(cli->out, ", next %s (%s)\n", str(r, "next"), str(r, "recurrence_text"));
	else
		fprintf(cli->out, "; the series is over [%s]\n", str(r, "state"));
}

static void field(struct cli *cli, const char *name, const char *value)
{
	if (value && value[0])
		fprintf(cli->out, "%-11s %s\n", name, value);
}

static void links_block(struct cli *cli, json_t *links, int incoming)
{
	size_t i;
	json_t *l;
	json_array_foreach(links, i, l) {
		const char *ref = str(l, "handle")[0] ? str(l, "handle")
				  : str(l, "short_id")[0] ? str(l, "short_id")
				  : incoming		  ? str(l, "src")
							  : str(l, "dst");
		fprintf(cli->out, "  %s %-18s %-10s %s%s%s\n", incoming ? "<-" : "->", str(l, "type"), ref, str(l, "kind"),
			str(l, "title")[0] ? ": " : "", str(l, "title"));
	}
}

void print_node(struct cli *cli, json_t *r)
{
	field(cli, "id", str(r, "node_id"));
	field(cli, "handle", str(r, "handle"));
	field(cli, "kind", str(r, "kind"));
	field(cli, "title", str(r, "title"));
	field(cli, "state", str(r, "state"));
	field(cli, "attention", str(r, "attention"));
	field(cli, "do date", str(r, "do_date"));
	field(cli, "late on", str(r, "late_on"));
	field(cli, "recurrence", str(r, "recurrence_text")[0] ? str(r, "recurrence_text") : str(r, "recurrence"));
	field(cli, "project", str(r, "project"));
	field(cli, "created", str(r, "created_at"));
	field(cli, "updated", str(r, "updated_at"));
	if (json_is_true(json_object_get(r, "deleted")))
		field(cli, "deleted", "yes");
	json_t *items = json_object_get(r, "checklist");
	if (json_array_size(items)) {
		size_t i;
		json_t *it;
		fprintf(cli->out, "checklist\n");
		json_array_foreach(items, i, it) fprintf(cli->out, "  [%s] %s\n",
							 json_is_true(json_object_get(it, "done")) ? "x" : " ",
							 str(it, "text"));
	}
	json_t *aliases = json_object_get(r, "aliases"), *tags = json_object_get(r, "tags"), *x;
	size_t k;
	if (json_array_size(aliases)) {
		fprintf(cli->out, "%-11s ", "aliases");
		json_array_foreach(aliases, k, x) fprintf(cli->out, "%s%s", k ? ", " : "", json_string_value(x));
		fputc('\n', cli->out);
	}
	if (json_array_size(tags)) {
		fprintf(cli->out, "%-11s ", "tags");
		json_array_foreach(tags, k, x) fprintf(cli->out, "%s#%s", k ? " " : "", json_string_value(x));
		fputc('\n', cli->out);
	}
	const char *body = str(r, "body_expanded")[0] ? str(r, "body_expanded") : str(r, "body");
	if (body[0])
		fprintf(cli->out, "\n%s%s", body, body[strlen(body) - 1] == '\n' ? "" : "\n");
	if (str(r, "context")[0])
		fprintf(cli->out, "\n%s%s", str(r, "context"),
			str(r, "context")[strlen(str(r, "context")) - 1] == '\n' ? "" : "\n");
	if (str(r, "log")[0])
		fprintf(cli->out, "\nlog\n%s", str(r, "log"));
	json_t *links = json_object_get(r, "links"), *back = json_object_get(r, "backlinks");
	if (json_array_size(links) || json_array_size(back)) {
		fprintf(cli->out, "\nlinks\n");
		links_block(cli, links, 0);
		links_block(cli, back, 1);
	}
}

void print_projects(struct cli *cli, json_t *r)
{
	size_t i;
	json_t *p;
	if (json_array_size(r) == 0) {
		fprintf(cli->out, "no projects\n");
		return;
	}
	json_array_foreach(r, i, p) {
		int depth = (int)json_integer_value(json_object_get(p, "depth"));
		long long own = json_integer_value(json_object_get(p, "open_count"));
		long long all = json_integer_value(json_object_get(p, "open_count_total"));
		char counts[48];
		if (own == all)
			snprintf(counts, sizeof counts, "%lld", own);
		else
			snprintf(counts, sizeof counts, "%lld / %lld", own, all);
		fprintf(cli->out, "%*s%s  %s%s%s\n", depth * 2, "", str(p, "title"), cli->color ? C_DIM : "", counts,
			cli->color ? C_RESET : "");
	}
}

void print_links(struct cli *cli, json_t *r)
{
	if (json_array_size(r) == 0)
		fprintf(cli->out, "no links\n");
	links_block(cli, r, 0);
}

void print_backlinks(struct cli *cli, json_t *r)
{
	if (json_array_size(r) == 0)
		fprintf(cli->out, "no backlinks\n");
	links_block(cli, r, 1);
}

void print_link_change(struct cli *cli, json_t *r)
{
	if (json_object_get(r, "removed"))
		fprintf(cli->out, "removed %lld link(s)\n", (long long)json_integer_value(json_object_get(r, "removed")));
	else
		fprintf(cli->out, "%s -[%s]-> %s\n", str(r, "src"), str(r, "type"), str(r, "dst"));
}

void print_conflicts(struct cli *cli, json_t *r)
{
	size_t i;
	json_t *c;
	if (json_array_size(r) == 0) {
		fprintf(cli->out, "no conflicts\n");
		return;
	}
	json_array_foreach(r, i, c) {
		json_t *cur = json_object_get(c, "current"), *oth = json_object_get(c, "other");
		int mine_current = strcmp(str(c, "mine"), "current") == 0;
		if (json_object_get(c, "kind") && strcmp(str(c, "kind"), "project-cycle") == 0) {
			fprintf(cli->out, "-  %s (%s) parent: a project cycle\n", str(c, "title"), str(c, "node_id"));
			fprintf(cli->out, "    shown:    top level\n");
			fprintf(cli->out, "    ignored:  under %s (%s)%s  from %s\n", str(c, "other_title"), str(c, "other"),
				mine_current ? "  (theirs)" : "  (mine)", str(c, "other_origin"));
			fprintf(cli->out, "    %s: heph link add %s PARENT parent\n", str(c, "note"), str(c, "node_id"));
			continue;
		}
		fprintf(cli->out, "%lld  %s (%s) %s%s\n", (long long)json_integer_value(json_object_get(c, "id")),
			str(c, "title"), str(c, "node_id"), str(c, "field"),
			json_is_true(json_object_get(c, "resolved")) ? " [resolved]" : "");
		int settled = json_is_true(json_object_get(c, "resolved"));
		json_t *now = json_object_get(c, "now");
		fprintf(cli->out, "    %s  %s%s\n", settled ? "won:  " : "shown:", json_is_string(cur) ? json_string_value(cur) : "(none)",
			mine_current ? "  (mine)" : "  (theirs)");
		fprintf(cli->out, "    %s  %s%s  from %s\n", settled ? "lost: " : "other:",
			json_is_string(oth) ? json_string_value(oth) : "(none)", mine_current ? "  (theirs)" : "  (mine)",
			str(c, "other_origin"));
		if (settled)
			fprintf(cli->out, "    now:    %s\n", json_is_string(now) ? json_string_value(now) : "(none)");
	}
}

void print_conflict_resolved(struct cli *cli, json_t *r)
{
	json_t *v = json_object_get(r, "value");
	fprintf(cli->out, "conflict %lld resolved: %s = %s\n", (long long)json_integer_value(json_object_get(r, "id")),
		str(r, "field"), json_is_string(v) ? json_string_value(v) : "(none)");
}

void print_count(struct cli *cli, json_t *r)
{
	fprintf(cli->out, "%lld\n", (long long)json_integer_value(json_object_get(r, "count")));
}

void print_digest(struct cli *cli, json_t *r)
{
	fprintf(cli->out, "%s\n", str(r, "digest"));
}

void print_views(struct cli *cli, json_t *r)
{
	size_t i;
	json_t *v;
	json_array_foreach(r, i, v) {
		int missing = !json_is_true(json_object_get(v, "project_found"));
		const char *proj = str(v, "project")[0] ? str(v, "project") : str(v, "exclude");
		fprintf(cli->out, "%-8s", str(v, "name"));
		if (json_is_integer(json_object_get(v, "count")))
			fprintf(cli->out, " %5lld", (long long)json_integer_value(json_object_get(v, "count")));
		fprintf(cli->out, "  %s", str(v, "summary"));
		if (missing)
			fprintf(cli->out, " %s(no project named %s)%s", cli->color ? C_DIM : "", proj,
				cli->color ? C_RESET : "");
		fputc('\n', cli->out);
	}
}

void print_attention(struct cli *cli, json_t *r)
{
	const char *att = str(r, "attention");
	const char *col = cli->color ? att_color(att) : "";
	fprintf(cli->out, "%s: %s %s%s%s\n", task_name(r),
		str(r, "title"), col, att, col[0] ? C_RESET : "");
}

void print_context(struct cli *cli, json_t *r)
{
	const char *body = str(r, "body");
	size_t n = strlen(body);
	fputs(body, cli->out);
	if (n && body[n - 1] != '\n')
		fputc('\n', cli->out);
}

void print_log(struct cli *cli, json_t *r)
{
	size_t i;
	json_t *e;
	if (json_array_size(json_object_get(r, "entries")) == 0) {
		fprintf(cli->out, "no log entries\n");
		return;
	}
	json_array_foreach(json_object_get(r, "entries"), i, e) fprintf(cli->out, "%s\n", json_string_value(e));
}

/* The preview of quick add (quickadd.parse), or what task.add created. */
void print_quickadd(struct cli *cli, json_t *r)
{
	json_t *task = json_object_get(r, "task"), *p = json_object_get(r, "parsed");
	if (task) {
		fprintf(cli->out, "added %s: %s\n", task_name(task), str(task, "title"));
		r = p;
	} else {
		fprintf(cli->out, "would add: %s\n", str(r, "title"));
	}
	field(cli, "  do date", str(r, "do_date"));
	field(cli, "  attention", str(r, "attention"));
	field(cli, "  project", str(r, "project"));
	field(cli, "  repeats", str(r, "recurrence_text"));
}
