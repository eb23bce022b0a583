/* render.h — Markdown to safe HTML for the web app, with cmark-gfm.
 *
 * Only hephd links this (and cmark-gfm with it): the heph CLI starts without
 * loading the library. hephd adds the method doc.render to the RPC table
 * with heph_rpc_extend() (see render_rpc.c).
 *
 * What comes out:
 *   - GitHub-flavoured Markdown: tables, strikethrough, autolinks, task
 *     lists (rendered as disabled checkboxes);
 *   - no raw HTML (replaced by a comment) and no link or image whose URL is
 *     javascript:, vbscript:, file: or a non-image data: (cmark's safe mode),
 *     and the tagfilter extension on top;
 *   - wiki links outside code: [[ID]] and [[ID|label]] with a full node id
 *     become <a class="wiki" href="#/node/ID">label</a> (label defaults to the
 *     title title_of gives, else the id); one whose id title_of does not know,
 *     or a [[Name]] that never resolved, becomes <span class="wiki missing">.
 *
 * Ownership: *html is malloc'd and belongs to the caller (free()).
 */
#ifndef HEPH_RENDER_H
#define HEPH_RENDER_H

#include <stddef.h>

/* The current title of node id (malloc'd), or NULL when there is no such
 * live node. May be NULL itself: then every well-formed id counts as known. */
typedef char *(*heph_render_title_fn)(void *ctx, const char *id);

struct heph_checklist {
	int total; /* task-list items */
	int done;  /* of which checked */
};

/* Render len bytes of Markdown. Returns 0, or -1 when cmark fails (out of
 * memory); invalid UTF-8 is replaced, never rejected. cl may be NULL. */
int heph_render_markdown(const char *md, size_t len, heph_render_title_fn title_of, void *ctx, char **html,
			 struct heph_checklist *cl);

/* Where the last max_lines lines of text start (a line boundary), for a log
 * shown by its tail. Returns 0 when the whole text fits. */
size_t heph_render_tail(const char *text, size_t len, int max_lines);

#endif
