/* heph/checklist.h — the context items of a task: the GFM checklist lines
 * of its context doc.
 *
 * A checklist line, read line by line (CRLF or LF):
 *
 *   [indent] bullet space "[" mark "]" (space text | end of line)
 *
 *   indent   spaces or tabs, any amount (nested lists are items too)
 *   bullet   "-", "*" or "+", or 1 to 9 digits followed by "." or ")"
 *   mark     " " open, "x" or "X" done
 *
 * Lines inside fenced code blocks (``` or ~~~, three or more, closed by a
 * fence of the same character at least as long; an unclosed fence runs to
 * the end) are never items. Text is the rest of the line, trimmed.
 *
 * Ownership: items point into the body they were read from and live as long
 * as it; heph_checklist_reset() returns a malloc'd copy the caller frees.
 */
#ifndef HEPH_CHECKLIST_H
#define HEPH_CHECKLIST_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct heph_check_item {
	size_t line;        /* 1-based line number */
	size_t mark;        /* byte offset of the mark between the brackets */
	int done;           /* 1 for [x] or [X] */
	size_t indent;      /* columns of indentation (a tab counts 4) */
	const char *text;   /* the item's text, not NUL-terminated */
	size_t text_len;    /* its length in bytes */
} heph_check_item;

/* Called for each item in order; a non-zero return stops the walk and is
 * returned by heph_checklist_foreach(). */
typedef int (*heph_checklist_fn)(const heph_check_item *item, void *ctx);

/* Visit the checklist items of a markdown body (NULL: none). */
int heph_checklist_foreach(const char *body, heph_checklist_fn fn, void *ctx);

/* A copy of body with every done item open again and every other byte as
 * it was; *changed (may be NULL) tells whether any item was done. */
char *heph_checklist_reset(const char *body, int *changed);

#ifdef __cplusplus
}
#endif
#endif
