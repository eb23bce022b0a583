/* text.h — UTF-8 text measured in terminal cells, for drawing.
 *
 * Everything the TUI shows is UTF-8 from the database. These helpers count
 * display cells (a CJK character is two, a combining mark none), cut text to
 * a width without splitting a character, and wrap paragraphs into lines.
 * Invalid bytes count as one cell each and are drawn as '?', so corrupt
 * input never stalls or crashes drawing. No ncurses here: unit-tested alone.
 *
 * Ownership: returned strings are malloc'd and belong to the caller.
 */
#ifndef HEPH_TUI_TEXT_H
#define HEPH_TUI_TEXT_H

#include <stddef.h>

/* Cells that s (NUL-terminated) takes on screen. */
int tui_text_width(const char *s);

/* The longest prefix of s that fits in width cells: its length in bytes.
 * *used (may be NULL) gets the cells it takes. */
size_t tui_text_fit(const char *s, int width, int *used);

/* A copy of s cut to width cells; a cut ends in "…" when ellipsis is set and
 * width allows. Control characters become spaces, invalid bytes '?'. */
char *tui_text_clip(const char *s, int width, int ellipsis);

/* Wrap text (paragraphs separated by '\n') to width cells, breaking at
 * spaces where possible. Returns the number of lines; *lines is a malloc'd
 * array of malloc'd lines (free each, then the array) — free with
 * tui_text_lines_free(). */
int tui_text_wrap(const char *text, int width, char ***lines);
void tui_text_lines_free(char **lines, int n);

/* Case-insensitive (ASCII) substring test, for filtering pickers. */
int tui_text_contains(const char *hay, const char *needle);

/* Remove the last UTF-8 character of buf (for backspace); returns its new
 * length. */
size_t tui_text_backspace(char *buf);

#endif
