/* source.h — where each part of the TUI gets its data and sends its changes.
 *
 * The TUI holds no business rules: every read and write is a method of
 * libheph's one RPC table, called in-process. This table names the method
 * behind each use, so that moving a pane to a new method is a one-line
 * change in source.c. The TUI links the libheph it calls, so every method
 * named here exists: nothing is probed at run time.
 */
#ifndef HEPH_TUI_SOURCE_H
#define HEPH_TUI_SOURCE_H

enum tui_src {
	SRC_VIEWS,         /* the names of the built-in views, for the sidebar */
	SRC_VIEW_TASKS,    /* the tasks of one view, ranked */
	SRC_PROJECTS,      /* the project tree with counts */
	SRC_PROJECT_TASKS, /* a project subtree's outstanding tasks, ranked */
	SRC_NODE,          /* one node with its body, links and backlinks */
	SRC_SEARCH,        /* full-text search */
	SRC_SYNC,          /* the sync state of this replica */
	SRC_CONFLICTS,     /* open conflicts (when there is no sync state) */
	SRC_DONE,          /* complete a task (rolls a recurring one forward) */
	SRC_SKIP,          /* skip a recurring task's occurrence */
	SRC_ATTENTION,     /* set a task's attention colour */
	SRC_EDIT,          /* change a task's do-date or project */
	SRC_DROP,          /* drop a task for good */
	SRC_DELETE,        /* tombstone a node */
	SRC_QUICK_ADD,     /* quick add: one line, read by the shared parser */
	SRC_QUICK_PARSE,   /* what quick add would read, changing nothing */
	SRC_DOC_SAVE,      /* write a doc's body */
	SRC_UNDO,          /* reverse the last local change */
	SRC_HEALTH,        /* whether this device is fine (heph health) */
	SRC_PROMOTE,       /* a checklist item becomes a task */
	SRC_COUNT
};

struct tui_source {
	const char *method; /* the method to call */
	const char *what;   /* for messages: "skip", "search", ... */
};

/* The entry for src; static storage. */
const struct tui_source *tui_source(enum tui_src src);

#endif
