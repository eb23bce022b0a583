/* source.c — the methods behind the TUI (see source.h). One line each. */
#include "source.h"

#include <stddef.h>

static const struct tui_source sources[SRC_COUNT] = {
	[SRC_VIEWS] = { "view.list", "views" },
	[SRC_VIEW_TASKS] = { "view.show", "a view" },
	[SRC_PROJECTS] = { "project.list", "projects" },
	[SRC_PROJECT_TASKS] = { "task.list", "a project's tasks" },
	[SRC_NODE] = { "node.get", "the preview" },
	[SRC_SEARCH] = { "search", "search" },
	[SRC_SYNC] = { "sync.status", "sync state" },
	[SRC_CONFLICTS] = { "conflicts.list", "conflicts" },
	[SRC_DONE] = { "task.done", "done" },
	[SRC_SKIP] = { "task.skip", "skip" },
	[SRC_ATTENTION] = { "task.edit", "attention" },
	[SRC_EDIT] = { "task.edit", "edit" },
	[SRC_DROP] = { "task.drop", "drop" },
	[SRC_DELETE] = { "node.remove", "delete" },
	[SRC_QUICK_ADD] = { "task.add", "quick add" },
	[SRC_QUICK_PARSE] = { "quickadd.parse", "the quick-add preview" },
	[SRC_DOC_SAVE] = { "doc.edit", "saving the context doc" },
	[SRC_UNDO] = { "undo", "undo" },
	[SRC_HEALTH] = { "health", "health" },
	[SRC_PROMOTE] = { "checklist.promote", "promote" },
};

const struct tui_source *tui_source(enum tui_src src)
{
	return &sources[src];
}
