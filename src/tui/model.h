/* model.h — what the TUI shows, apart from how it is drawn.
 *
 * The model holds the sidebar (views, then the project tree), the rows of
 * the task list for the selected sidebar entry, the node shown in the
 * preview, the sync state for the status line, the focused pane and the
 * cursors. It reads and writes only through libheph's RPC table (source.h),
 * in-process, so it can be driven by unit tests on a real database with no
 * terminal at all. Reloads keep the selection on the same sidebar entry and
 * the same task (by id) whenever they still exist.
 *
 * Ownership: the model owns every string and JSON value in it; accessors
 * return borrowed pointers valid until the next reload or tui_model_close().
 */
#ifndef HEPH_TUI_MODEL_H
#define HEPH_TUI_MODEL_H

#include <stdint.h>

#include <jansson.h>

#include "heph/rpc.h"
#include "heph/store.h"
#include "source.h"

/* Tasks a view's list holds at most (red ones are always added beyond). */
#define TUI_VIEW_LIMIT 1000

enum tui_pane { TUI_PANE_SIDE, TUI_PANE_TASKS, TUI_PANE_PREVIEW, TUI_PANES };

enum tui_item_kind {
	TUI_ITEM_HEADING, /* "Views", "Projects": not selectable */
	TUI_ITEM_SEARCH,  /* the results of the last search */
	TUI_ITEM_VIEW,    /* a named view (or every outstanding task) */
	TUI_ITEM_PROJECT, /* a project and its subtree */
};

struct tui_item {
	enum tui_item_kind kind;
	char *key;   /* view name, project id or search query; NULL for headings */
	char *label; /* what the sidebar shows */
	int depth;   /* nesting depth of a project, 0 otherwise */
	long count;  /* outstanding tasks (a project's own); -1 when unknown */
	long total;  /* a project's count with its subprojects; -1 when unknown */
	int dim;     /* a view whose project does not exist here */
};

struct tui_row {
	int task;      /* index into tasks, or -1 for a group heading */
	char *heading; /* the group's label (headings only) */
	long count;    /* tasks in the group (headings only) */
};

/* Asks the hephd serving this database, if one runs, for its sync.status
 * (which adds a "daemon" object to what the database says). Returns 0 with
 * *status, or non-zero when no hephd serves this database. */
typedef int (*tui_daemon_fn)(void *ctx, heph_store *s, json_t **status);

struct tui_model {
	heph_rpc_env env;       /* the store the methods run on */
	tui_daemon_fn daemon;   /* NULL: never look for a hephd */
	void *daemon_ctx;       /* passed to daemon */
	struct tui_item *items; /* the sidebar */
	int nitems;
	int side;               /* cursor in items (never on a heading) */
	int side_top;           /* first sidebar line shown (drawing keeps it) */
	json_t *tasks;          /* array: the tasks (or search hits) shown */
	struct tui_row *rows;   /* the task list in display order */
	int nrows;
	int row;                /* cursor in rows (never on a heading), -1 when empty */
	int row_top;            /* first row shown */
	json_t *node;           /* node.get of the selected row, or NULL */
	char *log;              /* the selected task's log doc body, or NULL */
	int preview_top;        /* first preview line shown */
	int grouped;            /* 0: ranked; 1: grouped by project */
	enum tui_pane pane;     /* focused pane */
	char *search;           /* the query of the search entry, or NULL */
	json_t *sync;           /* sync.status result, or NULL when not available */
	long conflicts;         /* open conflicts; -1 unknown */
	char msg[512];          /* the last message for the status line */
	int msg_error;          /* whether msg reports a failure */
	int64_t data_version;   /* heph_store_data_version() at the last load */
};

/* Set up m over store s (borrowed) and load everything. m->daemon and
 * m->daemon_ctx, set before, are kept; everything else is reset. What
 * cannot be loaded is said in m->msg; returns 0. */
int tui_model_open(struct tui_model *m, heph_store *s);
void tui_model_close(struct tui_model *m);

/* Call the method of src with params (stolen; may be NULL). A missing method
 * is HEPH_ENOTFOUND with a message saying what is not available. On failure
 * the message is also left in m->msg. *result may be NULL to discard it. */
int tui_model_call(struct tui_model *m, enum tui_src src, json_t *params, json_t **result);

/* Reload everything (sidebar, task list, preview, status), keeping the
 * selection where it can. */
void tui_model_reload(struct tui_model *m);
/* Reload the task list of the selected sidebar entry (and the preview). */
void tui_model_load_tasks(struct tui_model *m);
void tui_model_load_preview(struct tui_model *m);
void tui_model_load_status(struct tui_model *m);

/* When another connection has committed since the last load, reload and
 * return 1; else 0. Cheap: one PRAGMA. */
int tui_model_poll(struct tui_model *m);

/* Move the cursor of the focused pane by delta rows (clamped, skipping
 * headings); loads what the new selection shows. */
void tui_model_move(struct tui_model *m, int delta);
/* Jump to the first (where < 0) or last (where > 0) entry of the pane. */
void tui_model_jump(struct tui_model *m, int where);
/* Focus the next (delta 1) or previous (-1) pane. */
void tui_model_focus(struct tui_model *m, int delta);

/* The selected sidebar entry, or NULL. */
const struct tui_item *tui_model_item(const struct tui_model *m);
/* The selected row's object (a task or a search hit), or NULL. */
json_t *tui_model_selected(const struct tui_model *m);
/* The selected task's node id when the selection is a task, else NULL. */
const char *tui_model_task_id(const struct tui_model *m);

/* Put the task list's cursor on the row of node id, when it is listed;
 * returns whether it is. */
int tui_model_select(struct tui_model *m, const char *id);

/* Show the results of a full-text search as the sidebar's first entry. */
int tui_model_search(struct tui_model *m, const char *query);
/* Switch the task list between ranked and grouped by project. */
void tui_model_toggle_grouped(struct tui_model *m);

/* Put a message on the status line. */
void tui_model_message(struct tui_model *m, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The fields shown for a task, taken from its JSON (borrowed strings; NULL
 * when absent). The recurrence is the rule in words when libheph gives
 * them, else the rule. */
const char *tui_task_str(json_t *task, const char *key);
const char *tui_task_recurrence(json_t *task);

#endif
