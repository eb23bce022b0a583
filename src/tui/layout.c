/* layout.c — pane geometry (see layout.h). */
#include "layout.h"

#include <string.h>

static struct tui_rect rect(int y, int x, int h, int w)
{
	return (struct tui_rect){ y, x, h, w, 1 };
}

void tui_layout(int rows, int cols, enum tui_pane focus, struct tui_layout *out)
{
	memset(out, 0, sizeof *out);
	if (rows < TUI_MIN_ROWS || cols < TUI_MIN_COLS) {
		out->too_small = 1;
		out->status = rect(0, 0, rows > 0 ? 1 : 0, cols > 0 ? cols : 0);
		return;
	}
	int h = rows - 1;
	out->status = rect(rows - 1, 0, 1, cols);
	if (cols >= 96) {
		int side = cols / 5 < 24 ? 24 : cols / 5 > 34 ? 34 : cols / 5;
		int rest = cols - side - 2;
		int prev = rest * 2 / 5;
		out->pane[TUI_PANE_SIDE] = rect(0, 0, h, side);
		out->pane[TUI_PANE_TASKS] = rect(0, side + 1, h, rest - prev);
		out->pane[TUI_PANE_PREVIEW] = rect(0, side + 2 + rest - prev, h, prev);
	} else if (cols >= 56) {
		int side = cols / 4 < 18 ? 18 : cols / 4;
		enum tui_pane right = focus == TUI_PANE_PREVIEW ? TUI_PANE_PREVIEW : TUI_PANE_TASKS;
		out->pane[TUI_PANE_SIDE] = rect(0, 0, h, side);
		out->pane[right] = rect(0, side + 1, h, cols - side - 1);
	} else {
		out->pane[focus] = rect(0, 0, h, cols);
	}
}
