/* heph-capture — a small GTK 4 window for capturing one task, meant for a
 * global hotkey (docs/how-to/capture-a-task-from-anywhere.md).
 *
 * One line of input; under it, live chips for what quick add understood
 * (date, attention, project, repeat), read by the one quick-add parser
 * through the method table in-process (quickadd.parse; the save is
 * task.add), so the window and `heph add` can never read a line
 * differently. No daemon is needed: the window opens the database itself.
 *
 *   Enter    hide the window at once, save, exit 0; when the save fails the
 *            window comes back with the text and the error
 *   Escape   close without saving (exit 0)
 *   Tab      complete the #project being typed (Up/Down choose)
 *
 * --dump prints one JSON object a line on standard output for each thing the
 * window does (chips, completion, hidden, saved, error, shown): what the
 * tests read, since a screen cannot be asked what it shows.
 *
 * Ownership: the window's state lives in one static struct capture for the
 * life of the process; JSON values in it are owned references.
 */
#include <gtk/gtk.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heph/error.h"
#include "heph/rpc.h"
#include "heph/store.h"

#define COMPLETIONS_MAX 6

struct capture {
	heph_store *store;     /* the database, open for the window's life */
	heph_rpc_env env;      /* in-process calls of the method table */
	json_t *projects;      /* project.list's result, for #completion */
	int dump;              /* --dump: report events on stdout */
	int done;              /* the main loop ends */
	int status;            /* the exit status */
	GtkWidget *window;
	GtkWidget *entry;
	GtkWidget *chips;      /* a box of labels, one per chip */
	GtkWidget *completion; /* a list box of project names, hidden when none */
	GtkWidget *error;      /* the last save's error, hidden until one */
	char *saving;          /* the text being saved while hidden (g_malloc'd) */
	guint refresh;         /* the idle source that redraws chips and completion, or 0 */
};

static struct capture cap;

/* Print one event for --dump (ev is stolen). */
static void dump(json_t *ev)
{
	if (cap.dump) {
		char *s = json_dumps(ev, JSON_COMPACT);
		printf("%s\n", s);
		fflush(stdout);
		free(s);
	}
	json_decref(ev);
}

/* A method of the table on this database: the result (new reference) or
 * NULL with heph's error message set. params is stolen. */
static json_t *call(const char *method, json_t *params)
{
	json_t *result = NULL;
	int err = heph_rpc_call(&cap.env, method, params, &result);
	json_decref(params);
	return err ? NULL : result;
}

static void quit(int status)
{
	cap.status = status;
	cap.done = 1;
	g_main_context_wakeup(NULL);
}

/* ---- chips ---- */

static void clear_box(GtkWidget *box)
{
	GtkWidget *c;
	while ((c = gtk_widget_get_first_child(box)))
		gtk_box_remove(GTK_BOX(box), c);
}

/* The words a chip shows: "do 2026-12-11", "red", "#Work", "every week". */
static char *chip_text(const char *kind, const char *value)
{
	if (strcmp(kind, "date") == 0)
		return g_strdup_printf("do %s", value);
	if (strcmp(kind, "project") == 0)
		return g_strdup_printf("#%s", value);
	return g_strdup(value);
}

static void show_chips(const char *text)
{
	json_t *parsed = NULL, *chips, *c, *ev_chips = json_array();
	size_t i;
	clear_box(cap.chips);
	if (text[strspn(text, " \t")])
		parsed = call("quickadd.parse", json_pack("{s:s}", "text", text));
	chips = parsed ? json_object_get(parsed, "chips") : NULL;
	json_array_foreach(chips, i, c) {
		const char *kind = json_string_value(json_object_get(c, "kind"));
		json_t *v = json_object_get(c, "value");
		char *value = json_is_string(v) ? g_strdup(json_string_value(v)) : json_dumps(v, JSON_ENCODE_ANY);
		char *shown = chip_text(kind ? kind : "", value ? value : "");
		GtkWidget *label = gtk_label_new(shown);
		gtk_widget_add_css_class(label, "chip");
		if (kind)
			gtk_widget_add_css_class(label, kind);
		if (kind && strcmp(kind, "attention") == 0 && json_is_string(v))
			gtk_widget_add_css_class(label, json_string_value(v));
		gtk_box_append(GTK_BOX(cap.chips), label);
		json_array_append_new(ev_chips, json_pack("{s:s?, s:s}", "kind", kind, "shown", shown));
		g_free(shown);
		if (json_is_string(v))
			g_free(value);
		else
			free(value);
	}
	dump(json_pack("{s:s, s:s, s:s?, s:o}", "event", "chips", "text", text, "title",
		       parsed ? json_string_value(json_object_get(parsed, "title")) : NULL, "chips", ev_chips));
	json_decref(parsed);
}

/* ---- #project completion ---- */

/* The byte offset of the '#' of the project being typed before the cursor,
 * or -1: a '#' at the start or after white space with no '#' after it. */
static long hash_start(const char *text, long cursor)
{
	for (long i = cursor - 1; i >= 0; i--)
		if (text[i] == '#' && (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\t'))
			return i;
	return -1;
}

/* The cursor as a byte offset into text. */
static long cursor_byte(const char *text)
{
	int pos = gtk_editable_get_position(GTK_EDITABLE(cap.entry));
	return (long)(g_utf8_offset_to_pointer(text, pos) - text);
}

static void update_completion(const char *text)
{
	long cur = cursor_byte(text), at = hash_start(text, cur);
	json_t *p, *names = json_array();
	size_t i, n = 0;
	GtkWidget *old;
	while ((old = gtk_widget_get_first_child(cap.completion)))
		gtk_list_box_remove(GTK_LIST_BOX(cap.completion), old);
	if (at >= 0) {
		char *typed = g_utf8_casefold(text + at + 1, cur - at - 1);
		json_array_foreach(cap.projects, i, p) {
			const char *title = json_string_value(json_object_get(p, "title"));
			char *folded = title ? g_utf8_casefold(title, -1) : NULL;
			/* offer names that go on from what was typed */
			if (folded && strncmp(folded, typed, strlen(typed)) == 0 && strcmp(folded, typed) != 0 &&
			    n < COMPLETIONS_MAX) {
				GtkWidget *row = gtk_label_new(title);
				gtk_label_set_xalign(GTK_LABEL(row), 0);
				gtk_list_box_append(GTK_LIST_BOX(cap.completion), row);
				json_array_append_new(names, json_string(title));
				n++;
			}
			g_free(folded);
		}
		g_free(typed);
	}
	gtk_widget_set_visible(cap.completion, n > 0);
	if (n)
		gtk_list_box_select_row(GTK_LIST_BOX(cap.completion),
					gtk_list_box_get_row_at_index(GTK_LIST_BOX(cap.completion), 0));
	dump(json_pack("{s:s, s:o}", "event", "completion", "matches", names));
}

/* Replace the #fragment before the cursor with the chosen row's name. */
static void complete_with(GtkListBoxRow *row)
{
	const char *name;
	char *text;
	long cur, at;
	if (!row)
		return;
	name = gtk_label_get_text(GTK_LABEL(gtk_list_box_row_get_child(row)));
	text = g_strdup(gtk_editable_get_text(GTK_EDITABLE(cap.entry)));
	cur = cursor_byte(text);
	at = hash_start(text, cur);
	if (at >= 0) {
		char *after = text + cur;
		char *next = g_strdup_printf("%.*s#%s %s", (int)at, text, name, after[0] == ' ' ? after + 1 : after);
		long pos = g_utf8_strlen(next, at + 1 + (long)strlen(name) + 1);
		gtk_editable_set_text(GTK_EDITABLE(cap.entry), next);
		gtk_editable_set_position(GTK_EDITABLE(cap.entry), (int)pos);
		g_free(next);
	}
	g_free(text);
}

static void on_row_activated(GtkListBox *box, GtkListBoxRow *row, gpointer data)
{
	(void)box, (void)data;
	complete_with(row);
	gtk_widget_grab_focus(cap.entry);
}

static void move_selection(int by)
{
	GtkListBox *box = GTK_LIST_BOX(cap.completion);
	GtkListBoxRow *sel = gtk_list_box_get_selected_row(box), *next;
	int i = sel ? gtk_list_box_row_get_index(sel) + by : 0;
	if ((next = gtk_list_box_get_row_at_index(box, i < 0 ? 0 : i)))
		gtk_list_box_select_row(box, next);
}

/* ---- input ---- */

/* The chips and the completion follow the text once the edit is over: in
 * "changed" the cursor has not moved past the inserted text yet. */
static gboolean refresh(gpointer data)
{
	const char *text = gtk_editable_get_text(GTK_EDITABLE(cap.entry));
	(void)data;
	cap.refresh = 0;
	show_chips(text);
	update_completion(text);
	return G_SOURCE_REMOVE;
}

static void on_changed(GtkEditable *editable, gpointer data)
{
	(void)editable, (void)data;
	if (!cap.refresh)
		cap.refresh = g_idle_add(refresh, NULL);
}

static gboolean save_now(gpointer data)
{
	json_t *r;
	(void)data;
	r = call("task.add", json_pack("{s:s}", "text", cap.saving));
	if (r) {
		dump(json_pack("{s:s, s:O}", "event", "saved", "node_id", json_object_get(r, "node_id")));
		json_decref(r);
		quit(0);
		return G_SOURCE_REMOVE;
	}
	/* the window comes back as it was, with the error */
	char *msg = g_strdup_printf("Not saved: %s", heph_error_last());
	gtk_label_set_text(GTK_LABEL(cap.error), msg);
	gtk_widget_set_visible(cap.error, TRUE);
	gtk_window_present(GTK_WINDOW(cap.window));
	gtk_widget_grab_focus(cap.entry);
	dump(json_pack("{s:s, s:s, s:s}", "event", "error", "message", heph_error_last(), "text", cap.saving));
	dump(json_pack("{s:s}", "event", "shown"));
	g_free(msg);
	g_clear_pointer(&cap.saving, g_free);
	return G_SOURCE_REMOVE;
}

static void on_activate(GtkEntry *entry, gpointer data)
{
	const char *text = gtk_editable_get_text(GTK_EDITABLE(entry));
	(void)data;
	if (cap.saving || !text[strspn(text, " \t")])
		return;
	cap.saving = g_strdup(text);
	/* optimistic: out of the way first, then the write */
	gtk_widget_set_visible(cap.window, FALSE);
	gdk_display_flush(gtk_widget_get_display(cap.window));
	dump(json_pack("{s:s}", "event", "hidden"));
	g_idle_add(save_now, NULL);
}

static gboolean on_key(GtkEventControllerKey *ctl, guint keyval, guint keycode, GdkModifierType state,
		       gpointer data)
{
	int completing = gtk_widget_get_visible(cap.completion);
	(void)ctl, (void)keycode, (void)state, (void)data;
	switch (keyval) {
	case GDK_KEY_Escape:
		dump(json_pack("{s:s}", "event", "closed"));
		quit(0);
		return TRUE;
	case GDK_KEY_Tab:
	case GDK_KEY_ISO_Left_Tab:
		if (completing)
			complete_with(gtk_list_box_get_selected_row(GTK_LIST_BOX(cap.completion)));
		return TRUE; /* focus stays in the line */
	case GDK_KEY_Down:
	case GDK_KEY_Up:
		if (!completing)
			return FALSE;
		move_selection(keyval == GDK_KEY_Down ? 1 : -1);
		return TRUE;
	default:
		return FALSE;
	}
}

static gboolean on_close_request(GtkWindow *w, gpointer data)
{
	(void)w, (void)data;
	dump(json_pack("{s:s}", "event", "closed"));
	quit(0);
	return TRUE;
}

/* ---- the window ---- */

static const char css[] =
	".capture { padding: 10px; }\n"
	".chip { border-radius: 9px; padding: 1px 8px; margin-right: 4px; background: #e4e4e7; color: #222; }\n"
	".chip.date { background: #dbeafe; }\n"
	".chip.project { background: #dcfce7; }\n"
	".chip.recurrence { background: #f3e8ff; }\n"
	".chip.attention.red { background: #dc2626; color: white; }\n"
	".chip.attention.orange { background: #f59e0b; color: black; }\n"
	".chip.attention.blue { background: #3b82f6; color: white; }\n"
	".error { color: #b91c1c; }\n";

static void build_window(const char *db)
{
	GtkCssProvider *provider = gtk_css_provider_new();
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
	GtkEventController *keys = gtk_event_controller_key_new();
	char *title = g_strdup_printf("heph capture — %s", db);

	gtk_css_provider_load_from_data(provider, css, -1);
	gtk_style_context_add_provider_for_display(gdk_display_get_default(), GTK_STYLE_PROVIDER(provider),
						   GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
	g_object_unref(provider);

	cap.window = gtk_window_new();
	gtk_window_set_title(GTK_WINDOW(cap.window), title);
	g_free(title);
	gtk_window_set_default_size(GTK_WINDOW(cap.window), 560, -1);
	gtk_widget_add_css_class(box, "capture");

	cap.entry = gtk_entry_new();
	gtk_entry_set_placeholder_text(GTK_ENTRY(cap.entry), "Buy milk tomorrow p2 #Errands every week");
	gtk_box_append(GTK_BOX(box), cap.entry);

	cap.completion = gtk_list_box_new();
	gtk_list_box_set_selection_mode(GTK_LIST_BOX(cap.completion), GTK_SELECTION_SINGLE);
	gtk_widget_set_visible(cap.completion, FALSE);
	gtk_box_append(GTK_BOX(box), cap.completion);

	cap.chips = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
	gtk_widget_set_size_request(cap.chips, -1, 22);
	gtk_box_append(GTK_BOX(box), cap.chips);

	cap.error = gtk_label_new("");
	gtk_widget_add_css_class(cap.error, "error");
	gtk_label_set_wrap(GTK_LABEL(cap.error), TRUE);
	gtk_label_set_xalign(GTK_LABEL(cap.error), 0);
	gtk_widget_set_visible(cap.error, FALSE);
	gtk_box_append(GTK_BOX(box), cap.error);

	gtk_window_set_child(GTK_WINDOW(cap.window), box);

	g_signal_connect(cap.entry, "changed", G_CALLBACK(on_changed), NULL);
	g_signal_connect(cap.entry, "activate", G_CALLBACK(on_activate), NULL);
	g_signal_connect(cap.completion, "row-activated", G_CALLBACK(on_row_activated), NULL);
	g_signal_connect(cap.window, "close-request", G_CALLBACK(on_close_request), NULL);
	gtk_event_controller_set_propagation_phase(keys, GTK_PHASE_CAPTURE);
	g_signal_connect(keys, "key-pressed", G_CALLBACK(on_key), NULL);
	gtk_widget_add_controller(cap.window, keys);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: heph-capture [--db PATH] [--dump]\n"
		   "\n"
		   "A small window to capture one task with quick add, for a global hotkey: type\n"
		   "a line, see what heph understood (date, attention, #project, repeat) as\n"
		   "chips under it, press Enter to save it.\n"
		   "\n"
		   "Keys:\n"
		   "  Enter        hide the window, save the task and exit; if the save fails,\n"
		   "               the window comes back with the text and the error\n"
		   "  Escape       close without saving\n"
		   "  Tab          complete the #project being typed (Up and Down choose)\n"
		   "\n"
		   "Options:\n"
		   "  --db PATH    database (default $HEPH_DB, else $XDG_DATA_HOME/heph/heph.db)\n"
		   "  --dump       print what the window does as JSON lines on standard output\n"
		   "  --help       this help\n"
		   "  --version    print the version\n"
		   "\n"
		   "Environment: HEPH_DB (database), HEPH_NOW=YYYY-MM-DD (fix \"today\").\n"
		   "\n"
		   "Exit status: 0 saved or closed, 2 usage error, 14 no display to open. The\n"
		   "database's errors have heph's statuses (heph(1)).\n"
		   "\n"
		   "See docs/how-to/capture-a-task-from-anywhere.md for binding it to a hotkey.\n");
}

int main(int argc, char **argv)
{
	char *db = NULL;
	int err;
	const heph_front_flag own[] = { { "--dump", &cap.dump, NULL }, { NULL, NULL, NULL } };
	int status = heph_front_args("heph-capture", argc, argv, own, usage, &db);
	if (status >= 0)
		return status;
	if ((err = heph_store_open_env(db, 0, &cap.store))) {
		fprintf(stderr, "heph-capture: %s\n", heph_error_last());
		free(db);
		return heph_error_exit_status(err);
	}
	cap.env.store = cap.store;
	if (!(cap.projects = call("project.list", NULL))) {
		fprintf(stderr, "heph-capture: %s\n", heph_error_last());
		heph_store_close(cap.store);
		free(db);
		return heph_error_exit_status(HEPH_ERROR);
	}
	if (!gtk_init_check()) {
		fprintf(stderr, "heph-capture: cannot open a display (is DISPLAY or WAYLAND_DISPLAY set?)\n");
		json_decref(cap.projects);
		heph_store_close(cap.store);
		free(db);
		return heph_error_exit_status(HEPH_EUNAVAIL);
	}
	build_window(db);
	gtk_window_present(GTK_WINDOW(cap.window));
	gtk_widget_grab_focus(cap.entry);
	dump(json_pack("{s:s}", "event", "shown"));
	while (!cap.done)
		g_main_context_iteration(NULL, TRUE);
	gtk_window_destroy(GTK_WINDOW(cap.window));
	g_free(cap.saving);
	json_decref(cap.projects);
	heph_store_close(cap.store);
	free(db);
	return cap.status;
}
