/* layout.h — where the panes go for a terminal size. Pure, unit-tested.
 *
 *   width >= 96     sidebar | task list | preview, side by side
 *   56 .. 95        sidebar | task list, or sidebar | preview while the
 *                   preview has the focus
 *   narrower        the focused pane alone, full width
 *   under 20x4      too small: a one-line notice instead of panes
 * The last line is always the status line; each pane's first line is its
 * title. Panes are separated by a one-cell vertical rule.
 */
#ifndef HEPH_TUI_LAYOUT_H
#define HEPH_TUI_LAYOUT_H

#include "model.h"

#define TUI_MIN_COLS 20
#define TUI_MIN_ROWS 4

struct tui_rect {
	int y, x, h, w; /* top-left corner and size in cells */
	int shown;      /* whether the pane is on screen */
};

struct tui_layout {
	struct tui_rect pane[TUI_PANES]; /* indexed by enum tui_pane */
	struct tui_rect status;          /* the bottom line */
	int too_small;                   /* nothing but a notice fits */
};

void tui_layout(int rows, int cols, enum tui_pane focus, struct tui_layout *out);

#endif
