/* app.h — the running TUI: the model plus what only the terminal needs.
 * Drawing (draw.c), prompts and the editor (ui.c) and the key table
 * (keys.c) share it; main.c owns it. */
#ifndef HEPH_TUI_APP_H
#define HEPH_TUI_APP_H

#include <stddef.h>

#include <curses.h>

#include "model.h"

struct tui_app {
	struct tui_model m; /* everything shown */
	int quit;           /* leave the main loop */
	int help;           /* the help overlay is up */
	int colours;        /* 0, 8 or 256 */
	int page;           /* rows of the task list on screen, for page keys */
};

/* ---- draw.c ---- */

/* Draw the whole screen into curses' buffer (no refresh: callers add
 * overlays and then call refresh(), which sends only what changed). */
void tui_draw(struct tui_app *app);

/* Draw a boxed overlay of lines (borrowed) with a title, above the status
 * line; used by help, previews and pickers. hl is a line to highlight or -1. */
void tui_draw_box(const char *title, char **lines, int n, int hl);

/* The status line, with msg in place of the hints when given. */
void tui_draw_status(struct tui_app *app, const char *prompt, const char *input);

/* ---- ui.c ---- */

/* Read a line on the status line. preview (may be NULL) is asked for lines
 * to show in a box as the text changes. Returns 1 with buf filled when
 * Enter is pressed, 0 when Esc cancels. */
typedef int (*tui_preview_fn)(struct tui_app *app, const char *text, char ***lines);
int tui_prompt(struct tui_app *app, const char *label, char *buf, size_t cap, tui_preview_fn preview);

/* Ask a yes/no question; 1 only for y or Y. */
int tui_confirm(struct tui_app *app, const char *question);

/* Pick one of n labels, filtering as the user types. Returns the index, or
 * -1 when cancelled. */
int tui_pick(struct tui_app *app, const char *title, char **labels, int n);

/* Edit text in $VISUAL, $EDITOR or vi. Returns 0 with *out the new text
 * (malloc'd), or an error code with a message. */
int tui_edit_text(struct tui_app *app, const char *text, char **out);

/* ---- keys.c ---- */

/* Curses function keys (KEY_*) in the key table, apart from characters. */
#define TUI_FKEY(k) ((k) | 0x1000000)

struct tui_key {
	int key;            /* a character, or TUI_FKEY(KEY_...) */
	const char *name;   /* how help shows it; NULL: not listed */
	const char *help;   /* what it does */
	void (*fn)(struct tui_app *app);
};

/* The key table, terminated by an entry with fn NULL. */
const struct tui_key *tui_keys(void);

/* Run the binding of key (a character, or TUI_FKEY of a curses key code);
 * returns 0 when key is not bound. */
int tui_key_dispatch(struct tui_app *app, int key);

#endif
