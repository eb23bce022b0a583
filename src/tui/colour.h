/* colour.h — the TUI's colours and attributes.
 *
 * With NO_COLOR set (to anything non-empty) or a terminal without colours,
 * nothing is coloured and attributes carry the meaning (bold for red, dim
 * for blue). On 256-colour terminals orange is a real orange and projects
 * get one of twelve hues; on 8-colour terminals orange becomes yellow and
 * projects share six.
 */
#ifndef HEPH_TUI_COLOUR_H
#define HEPH_TUI_COLOUR_H

#include <curses.h>

enum tui_role {
	TUI_C_RED = 1,  /* red attention, late dates, errors */
	TUI_C_ORANGE,   /* orange attention, warnings */
	TUI_C_BLUE,     /* blue (on deck) */
	TUI_C_OK,       /* a healthy sync */
	TUI_C_HEAD,     /* pane titles and headings */
	TUI_C_DIM,      /* secondary text */
	TUI_C_PROJECT0, /* first of the project hues */
};

/* Start colours as the terminal and NO_COLOR allow; returns the number of
 * colours in use (0, 8 or 256). Call after initscr(). */
int tui_colour_init(void);

/* Attributes for a role, an attention colour name, a project id. */
attr_t tui_attr(enum tui_role role);
attr_t tui_attr_attention(const char *attention);
attr_t tui_attr_project(const char *project_id);

#endif
