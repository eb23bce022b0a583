/* render.c — Markdown to safe HTML with cmark-gfm (see render.h).
 *
 * Wiki links are taken out of the text before cmark reads it, so that a
 * label holding Markdown or HTML (a title "Fix *this* <b>now</b>") is
 * neither parsed nor dropped: each [[…]] on one line becomes a placeholder,
 * MARK_OPEN, its index in decimal, MARK_CLOSE (two control characters a
 * body never carries: any already there become U+FFFD). After parsing,
 * adjacent text nodes are merged (cmark_consolidate_text_nodes) and each
 * text node outside links is split around its placeholders. In code spans,
 * code blocks, links and their URLs the placeholders are put back as the
 * text that was written, so a [[…]] written in code stays code. A wiki link
 * becomes a custom inline node whose opening and closing tags are written
 * here from an id checked to be a ULID (Crockford base-32), around an
 * ordinary text node holding the label (its \\ \[ \] \| escapes undone),
 * which cmark escapes like any text.
 */
#include "render.h"

#include "heph/buf.h"

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

#define MARK_OPEN '\x02'
#define MARK_CLOSE '\x03'
#define WIKI_MAX 1100 /* the longest [[…]] taken as a link */

/* The wiki links taken out of a text, as written ("[[…]]"). */
struct wikis {
	char **text;
	size_t n, cap;
};

/* The length of the [[…]] at s (n bytes left), or 0 when none starts
 * there: one line, no "[" inside, "]" only as "\]" or in the closing "]]". */
static size_t wiki_len(const char *s, size_t n)
{
	if (n < 5 || s[0] != '[' || s[1] != '[')
		return 0;
	for (size_t q = 2; q + 1 < n && q < WIKI_MAX; q++) {
		if (s[q] == '\\' && strchr("\\[]|", s[q + 1])) {
			q++;
			continue;
		}
		if (s[q] == ']' && s[q + 1] == ']')
			return q > 2 ? q + 2 : 0;
		if (s[q] == '\n' || s[q] == '[' || s[q] == ']')
			return 0;
	}
	return 0;
}

/* md with each wiki link replaced by its placeholder (malloc'd). */
static char *protect(const char *md, size_t len, struct wikis *w, size_t *outlen)
{
	heph_buf o = { 0 };
	heph_buf_put(&o, "", 0);
	for (size_t i = 0; i < len;) {
		size_t k = wiki_len(md + i, len - i);
		if (k) {
			char mark[32];
			if (w->n == w->cap && !(w->text = realloc(w->text, (w->cap = w->cap ? w->cap * 2 : 16) * sizeof *w->text)))
				abort();
			w->text[w->n] = dupn(md + i, k);
			snprintf(mark, sizeof mark, "%c%zu%c", MARK_OPEN, w->n++, MARK_CLOSE);
			heph_buf_put(&o, mark, strlen(mark));
			i += k;
		} else if (md[i] == MARK_OPEN || md[i] == MARK_CLOSE) {
			heph_buf_put(&o, "\xef\xbf\xbd", 3); /* U+FFFD */
			i++;
		} else {
			heph_buf_put(&o, md + i, 1);
			i++;
		}
	}
	*outlen = o.n;
	return o.p;
}

/* The placeholder at s: its index and length, or 0. */
static size_t mark_at(const char *s, const struct wikis *w, size_t *index)
{
	char *end;
	if (s[0] != MARK_OPEN || s[1] < '0' || s[1] > '9')
		return 0;
	unsigned long long i = strtoull(s + 1, &end, 10);
	if (*end != MARK_CLOSE || i >= w->n)
		return 0;
	*index = (size_t)i;
	return (size_t)(end + 1 - s);
}

/* s with its placeholders put back as written (malloc'd). */
static char *restore(const char *s, const struct wikis *w)
{
	heph_buf o = { 0 };
	size_t idx, k;
	heph_buf_put(&o, "", 0);
	for (; *s; s += k ? k : 1) {
		if ((k = mark_at(s, w, &idx)))
			heph_buf_put(&o, w->text[idx], strlen(w->text[idx]));
		else
			heph_buf_put(&o, s, 1);
	}
	return o.p;
}

/* The node for one link as written, "[[target|label]]". */
static cmark_node *wiki_of(const char *text, heph_render_title_fn title_of, void *ctx)
{
	size_t n = strlen(text) - 4, tn;
	const char *inner = text + 2, *bar = memchr(inner, '|', n);
	heph_buf label = { 0 };
	tn = bar ? (size_t)(bar - inner) : n;
	heph_buf_put(&label, "", 0);
	if (bar) /* undo the label's escapes */
		for (const char *p = bar + 1; p < inner + n; p++) {
			if (*p == '\\' && p + 1 < inner + n && strchr("\\[]|", p[1]))
				p++;
			heph_buf_put(&label, p, 1);
		}
	cmark_node *node = wiki_node(inner, tn, bar ? label.p : NULL, bar ? label.n : 0, title_of, ctx);
	free(label.p);
	return node;
}

/* Split one text node around its placeholders. */
static void split_text(cmark_node *t, const struct wikis *w, heph_render_title_fn title_of, void *ctx)
{
	const char *s = cmark_node_get_literal(t);
	if (!s || !strchr(s, MARK_OPEN))
		return;
	char *lit = strdup(s); /* the node's literal dies with the node */
	if (!lit)
		abort();
	const char *p = lit, *done = lit;
	size_t idx, k;
	int changed = 0;
	while ((p = strchr(p, MARK_OPEN))) {
		if (!(k = mark_at(p, w, &idx))) {
			p++;
			continue;
		}
		if (p > done)
			cmark_node_insert_before(t, text_node(done, (size_t)(p - done)));
		cmark_node_insert_before(t, wiki_of(w->text[idx], title_of, ctx));
		done = p = p + k;
		changed = 1;
	}
	if (changed) {
		if (*done)
			cmark_node_insert_before(t, text_node(done, strlen(done)));
		cmark_node_free(t); /* unlinks it */
	}
	free(lit);
}

/* Put the placeholders back as written in a node that is not prose: code,
 * raw HTML, text inside a link, a link's URL and title. */
static void restore_node(cmark_node *n, const struct wikis *w)
{
	const char *s;
	char *r;
	if ((s = cmark_node_get_literal(n)) && strchr(s, MARK_OPEN)) {
		r = restore(s, w);
		cmark_node_set_literal(n, r);
		free(r);
	}
	cmark_node_type ty = cmark_node_get_type(n);
	if (ty == CMARK_NODE_LINK || ty == CMARK_NODE_IMAGE) {
		if ((s = cmark_node_get_url(n)) && strchr(s, MARK_OPEN)) {
			r = restore(s, w);
			cmark_node_set_url(n, r);
			free(r);
		}
		if ((s = cmark_node_get_title(n)) && strchr(s, MARK_OPEN)) {
			r = restore(s, w);
			cmark_node_set_title(n, r);
			free(r);
		}
	}
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
	size_t nt = 0, cap = 0, safe_len = 0;
	struct wikis w = { 0 };
	char *safe = NULL;
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
	safe = protect(md ? md : "", md ? len : 0, &w, &safe_len);
	cmark_parser_feed(parser, safe, safe_len);
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
		} else {
			restore_node(n, &w);
		}
	}
	cmark_iter_free(it);
	for (size_t i = 0; i < nt; i++)
		split_text(texts[i], &w, title_of, ctx);

	*html = cmark_render_html(doc, opts, cmark_parser_get_syntax_extensions(parser));
	err = *html ? 0 : -1;
out:
	free(texts);
	free(safe);
	for (size_t i = 0; i < w.n; i++)
		free(w.text[i]);
	free(w.text);
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
