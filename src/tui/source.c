/* source.c — the methods behind the TUI (see source.h). One line each. */
#include "source.h"

#include <stddef.h>

static const struct tui_source sources[SRC_COUNT] = {
	[SRC_METHODS] = { "rpc.methods", NULL, "the method list" },
	[SRC_VIEWS] = { "view.list", NULL, "views" },
	[SRC_VIEW_TASKS] = { "view.show", "task.list", "a view" },
	[SRC_PROJECTS] = { "project.list", NULL, "projects" },
	[SRC_PROJECT_TASKS] = { "task.list", NULL, "a project's tasks" },
	[SRC_NODE] = { "node.get", NULL, "the preview" },
	[SRC_SEARCH] = { "search", NULL, "search" },
	[SRC_SYNC] = { "sync.status", NULL, "sync state" },
	[SRC_CONFLICTS] = { "conflicts.list", NULL, "conflicts" },
	[SRC_DONE] = { "task.done", NULL, "done" },
	[SRC_SKIP] = { "task.skip", NULL, "skip" },
	[SRC_ATTENTION] = { "task.edit", NULL, "attention" },
	[SRC_EDIT] = { "task.edit", NULL, "edit" },
	[SRC_DROP] = { "task.drop", NULL, "drop" },
	[SRC_DELETE] = { "node.remove", NULL, "delete" },
	[SRC_QUICK_ADD] = { "task.add", NULL, "quick add" },
	[SRC_QUICK_PARSE] = { "quickadd.parse", NULL, "the quick-add preview" },
	[SRC_CREATE] = { "task.create", NULL, "add" },
	[SRC_DOC_SAVE] = { "doc.edit", NULL, "saving the context doc" },
	[SRC_UNDO] = { "undo", NULL, "undo" },
	[SRC_HEALTH] = { "health", NULL, "health" },
	[SRC_PROMOTE] = { "checklist.promote", NULL, "promote" },
};

const struct tui_source *tui_source(enum tui_src src)
{
	return &sources[src];
}
