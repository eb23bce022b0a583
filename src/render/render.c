/* render.c — Markdown to safe HTML with cmark-gfm (see render.h).
 *
 * Wiki links are found in the parsed tree, not in the text: after parsing,
 * adjacent text nodes are merged (cmark_consolidate_text_nodes) and each text
 * node outside links is split around [[…]]. Code spans and code blocks are
 * not text nodes, so a [[…]] written in code stays code. A wiki link becomes
 * a custom inline node whose opening and closing tags are written here from
 * an id checked to be a ULID (Crockford base-32), around an ordinary text
 * node holding the label, which cmark escapes like any text.
 */
#include "render.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>

#define ULID_LEN 26

static const char *const extensions[] = { "table", "strikethrough", "autolink", "tagfilter", "tasklist" };

static int is_ulid(const char *s, size_t n)
{
	if (n != ULID_LEN)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')) || c == 'I' || c == 'L' || c == 'O' || c == 'U')
			return 0;
	}
	return s[0] <= '7'; /* a ULID's first character holds 3 bits */
}

static char *dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (!d)
		abort();
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static cmark_node *text_node(const char *s, size_t n)
{
	cmark_node *t = cmark_node_new(CMARK_NODE_TEXT);
	char *lit = dupn(s, n);
	cmark_node_set_literal(t, lit);
	free(lit);
	return t;
}

/* The node for one [[target|label]]: a link when target is a known id, a
 * "missing" span otherwise. */
static cmark_node *wiki_node(const char *target, size_t tn, const char *label, size_t ln, heph_render_title_fn title_of,
			     void *ctx)
{
	char open[128];
	char id[ULID_LEN + 1];
	char *title = NULL;
	int known = 0;
	while (tn && (*target == ' ' || *target == '\t'))
		target++, tn--;
	while (tn && (target[tn - 1] == ' ' || target[tn - 1] == '\t'))
		tn--;
	if (is_ulid(target, tn)) {
		memcpy(id, target, ULID_LEN);
		id[ULID_LEN] = '\0';
		if (title_of) {
			title = title_of(ctx, id);
			known = title != NULL;
		} else {
			known = 1;
		}
	}
	cmark_node *w = cmark_node_new(CMARK_NODE_CUSTOM_INLINE);
	if (known) {
		snprintf(open, sizeof open, "<a class=\"wiki\" href=\"#/node/%s\">", id);
		cmark_node_set_on_enter(w, open);
		cmark_node_set_on_exit(w, "</a>");
	} else {
		cmark_node_set_on_enter(w, "<span class=\"wiki missing\" title=\"no such note\">");
		cmark_node_set_on_exit(w, "</span>");
	}
	while (ln && (*label == ' ' || *label == '\t'))
		label++, ln--;
	while (ln && (label[ln - 1] == ' ' || label[ln - 1] == '\t'))
		ln--;
	if (label && ln)
		cmark_node_append_child(w, text_node(label, ln));
	else if (title && *title)
		cmark_node_append_child(w, text_node(title, strlen(title)));
	else
		cmark_node_append_child(w, text_node(target, tn));
	free(title);
	return w;
}

/* Split one text node around its wiki links. */
static void split_text(cmark_node *t, heph_render_title_fn title_of, void *ctx)
{
	const char *s = cmark_node_get_literal(t);
	if (!s || !strstr(s, "[["))
		return;
	char *lit = strdup(s); /* the node's literal dies with the node */
	if (!lit)
		abort();
	const char *p = lit, *done = lit;
	int changed = 0;
	while ((p = strstr(p, "[["))) {
		const char *end = strstr(p + 2, "]]");
		if (!end)
			break;
		const char *inner = p + 2;
		size_t n = (size_t)(end - inner);
		if (n == 0 || memchr(inner, '[', n) || memchr(inner, '\n', n)) {
			p += 1;
			continue;
		}
		const char *bar = memchr(inner, '|', n);
		size_t tn = bar ? (size_t)(bar - inner) : n;
		const char *label = bar ? bar + 1 : NULL;
		size_t ln = bar ? (size_t)(end - label) : 0;
		if (p > done)
			cmark_node_insert_before(t, text_node(done, (size_t)(p - done)));
		cmark_node_insert_before(t, wiki_node(inner, tn, label, ln, title_of, ctx));
		done = p = end + 2;
		changed = 1;
	}
	if (changed) {
		if (*done)
			cmark_node_insert_before(t, text_node(done, strlen(done)));
		cmark_node_free(t); /* unlinks it */
	}
	free(lit);
}

static int inside_link(cmark_node *n)
{
	for (cmark_node *p = cmark_node_parent(n); p; p = cmark_node_parent(p)) {
		cmark_node_type ty = cmark_node_get_type(p);
		if (ty == CMARK_NODE_LINK || ty == CMARK_NODE_IMAGE)
			return 1;
	}
	return 0;
}

int heph_render_markdown(const char *md, size_t len, heph_render_title_fn title_of, void *ctx, char **html,
			 struct heph_checklist *cl)
{
	const int opts = CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8; /* safe: CMARK_OPT_UNSAFE is never set */
	cmark_parser *parser = NULL;
	cmark_node *doc = NULL, **texts = NULL;
	size_t nt = 0, cap = 0;
	int err = -1;
	*html = NULL;
	if (cl)
		cl->total = cl->done = 0;

	cmark_gfm_core_extensions_ensure_registered();
	if (!(parser = cmark_parser_new(opts)))
		goto out;
	for (size_t i = 0; i < sizeof extensions / sizeof extensions[0]; i++) {
		cmark_syntax_extension *e = cmark_find_syntax_extension(extensions[i]);
		if (!e || !cmark_parser_attach_syntax_extension(parser, e))
			goto out;
	}
	cmark_parser_feed(parser, md ? md : "", md ? len : 0);
	if (!(doc = cmark_parser_finish(parser)))
		goto out;
	cmark_consolidate_text_nodes(doc);

	/* Collect first: the tree changes as text nodes are split. */
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		if (ev != CMARK_EVENT_ENTER)
			continue;
		if (cl && cmark_node_get_type(n) == CMARK_NODE_ITEM &&
		    strcmp(cmark_node_get_type_string(n), "tasklist") == 0) {
			cl->total++;
			cl->done += cmark_gfm_extensions_get_tasklist_item_checked(n) ? 1 : 0;
		}
		if (cmark_node_get_type(n) == CMARK_NODE_TEXT && !inside_link(n)) {
			if (nt == cap && !(texts = realloc(texts, (cap = cap ? cap * 2 : 32) * sizeof *texts)))
				abort();
			texts[nt++] = n;
		}
	}
	cmark_iter_free(it);
	for (size_t i = 0; i < nt; i++)
		split_text(texts[i], title_of, ctx);

	*html = cmark_render_html(doc, opts, cmark_parser_get_syntax_extensions(parser));
	err = *html ? 0 : -1;
out:
	free(texts);
	if (doc)
		cmark_node_free(doc);
	if (parser)
		cmark_parser_free(parser);
	return err;
}

size_t heph_render_tail(const char *text, size_t len, int max_lines)
{
	size_t i = len;
	int lines = 0;
	if (i && text[i - 1] == '\n')
		i--; /* a final newline ends the last line, it does not start one */
	while (i > 0) {
		if (text[i - 1] == '\n' && ++lines == max_lines)
			return i;
		i--;
	}
	return 0;
}
