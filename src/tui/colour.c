/* colour.c — colour pairs for roles and projects (see colour.h). */
#include "colour.h"

#include <stdlib.h>
#include <string.h>

static int ncolours; /* 0, 8 or 256 */
static int nproject; /* project hues in use */

static const short hues256[] = { 33, 37, 71, 133, 166, 172, 98, 30, 125, 64, 161, 67 };
static const short hues8[] = { COLOR_CYAN, COLOR_GREEN, COLOR_MAGENTA, COLOR_YELLOW, COLOR_BLUE, COLOR_RED };

int tui_colour_init(void)
{
	const char *no = getenv("NO_COLOR");
	ncolours = 0;
	if ((no && *no) || !has_colors() || start_color() == ERR)
		return 0;
	use_default_colors();
	ncolours = COLORS >= 256 ? 256 : 8;
	int big = ncolours == 256;
	init_pair(TUI_C_RED, COLOR_RED, -1);
	init_pair(TUI_C_ORANGE, big ? 208 : COLOR_YELLOW, -1);
	init_pair(TUI_C_BLUE, big ? 75 : COLOR_BLUE, -1);
	init_pair(TUI_C_OK, COLOR_GREEN, -1);
	init_pair(TUI_C_HEAD, big ? 110 : COLOR_CYAN, -1);
	init_pair(TUI_C_DIM, big ? 245 : COLOR_WHITE, -1);
	const short *hues = big ? hues256 : hues8;
	nproject = big ? (int)(sizeof hues256 / sizeof *hues256) : (int)(sizeof hues8 / sizeof *hues8);
	if (TUI_C_PROJECT0 + nproject > COLOR_PAIRS)
		nproject = COLOR_PAIRS - TUI_C_PROJECT0 > 0 ? COLOR_PAIRS - TUI_C_PROJECT0 : 0;
	for (int i = 0; i < nproject; i++)
		init_pair((short)(TUI_C_PROJECT0 + i), hues[i], -1);
	return ncolours;
}

attr_t tui_attr(enum tui_role role)
{
	if (!ncolours) {
		switch (role) {
		case TUI_C_RED:
		case TUI_C_HEAD:
			return A_BOLD;
		case TUI_C_BLUE:
		case TUI_C_DIM:
			return A_DIM;
		default:
			return A_NORMAL;
		}
	}
	attr_t extra = role == TUI_C_HEAD || role == TUI_C_RED ? A_BOLD : A_NORMAL;
	if (role == TUI_C_DIM && ncolours == 8)
		extra = A_DIM;
	return COLOR_PAIR(role) | extra;
}

attr_t tui_attr_attention(const char *a)
{
	if (!a)
		return A_NORMAL;
	if (strcmp(a, "red") == 0)
		return tui_attr(TUI_C_RED);
	if (strcmp(a, "orange") == 0)
		return tui_attr(TUI_C_ORANGE);
	if (strcmp(a, "blue") == 0)
		return tui_attr(TUI_C_BLUE);
	return A_NORMAL;
}

attr_t tui_attr_project(const char *id)
{
	if (!id || !ncolours || !nproject)
		return A_NORMAL;
	unsigned h = 2166136261u; /* FNV-1a: the same project keeps its hue */
	for (const char *p = id; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return COLOR_PAIR(TUI_C_PROJECT0 + (int)(h % (unsigned)nproject));
}
