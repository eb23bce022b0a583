/* body.c — wiki links and tags in bodies: finding them, resolving names to
 * ids, keeping the `wiki` and `tag` links in step, and showing titles on
 * read. The syntax is laid out in body.h.
 *
 * A body may open with YAML frontmatter (a "---" line, ..., a "---" line):
 * its `tags:` entry gives tags; nothing else in it is a link or a tag.
 *
 * Code is not prose: nothing inside a fenced code block (``` or ~~~, up to
 * three spaces of indent, closed by a fence of the same character at least as
 * long) or an inline code span (a run of backticks closed by a run of the
 * same length before a blank line) is a link or a tag. Indented code blocks
 * are not recognised: they are rare in notes and ambiguous with list items.
 */
#include "body.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rpc_internal.h"

/* ---- a growable string ---- */

struct buf {
	char *p;
	size_t n, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		if (!(b->p = realloc(b->p, b->cap)))
			abort();
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void buf_str(struct buf *b, const char *s) { buf_add(b, s, strlen(s)); }

static char *buf_take(struct buf *b)
{
	if (!b->p)
		buf_add(b, "", 0);
	return b->p;
}

/* ---- scanning ---- */

static size_t next_line(const char *b, size_t p)
{
	while (b[p] && b[p] != '\n')
		p++;
	return b[p] ? p + 1 : p;
}

static int blank_from(const char *b, size_t p)
{
	while (b[p] == ' ' || b[p] == '\t' || b[p] == '\r')
		p++;
	return b[p] == '\n' || b[p] == '\0';
}

/* A fence line at p: up to three spaces, then three or more ` or ~. */
static int fence(const char *b, size_t p, char *ch, size_t *len, size_t *after)
{
	size_t i = 0, k = 0;
	while (i < 3 && b[p + i] == ' ')
		i++;
	char c = b[p + i];
	if (c != '`' && c != '~')
		return 0;
	while (b[p + i + k] == c)
		k++;
	if (k < 3)
		return 0;
	*ch = c;
	*len = k;
	*after = p + i + k;
	return 1;
}

/* Past the fenced block whose opening line starts at p. */
static size_t skip_fenced(const char *b, size_t p, char ch, size_t len)
{
	p = next_line(b, p);
	while (b[p]) {
		char c;
		size_t n, after;
		if (fence(b, p, &c, &n, &after) && c == ch && n >= len && blank_from(b, after))
			return next_line(b, p);
		p = next_line(b, p);
	}
	return p;
}

/* The end of the code span opened by a run of n backticks ending at p, or 0
 * when it is not closed before a blank line or a fence. */
static size_t code_span_end(const char *b, size_t p, size_t n)
{
	while (b[p]) {
		if (b[p] == '\n') {
			char c;
			size_t len, after;
			if (blank_from(b, p + 1) || fence(b, p + 1, &c, &len, &after))
				return 0;
			p++;
			continue;
		}
		if (b[p] == '`') {
			size_t k = 0;
			while (b[p + k] == '`')
				k++;
			if (k == n)
				return p + k;
			p += k;
			continue;
		}
		p++;
	}
	return 0;
}

static int wiki_at(const char *b, size_t p, struct heph_ref *r)
{
	size_t q = p + 2, bar = 0;
	while (!(b[q] == ']' && b[q + 1] == ']')) {
		if (!b[q] || b[q] == '\n' || b[q] == '[' || b[q] == ']' || q - p > HEPH_WIKI_TARGET_MAX)
			return 0;
		/* In a label, \\ \[ \] and \| stand for themselves (a title
		 * holding "]]" or "|"; heph__body_expand writes them so). */
		if (bar && b[q] == '\\' && b[q + 1] && strchr("\\[]|", b[q + 1])) {
			q += 2;
			continue;
		}
		if (b[q] == '|' && !bar)
			bar = q;
		q++;
	}
	memset(r, 0, sizeof *r);
	r->start = p;
	r->end = q + 2;
	r->t0 = p + 2;
	r->t1 = bar ? bar : q;
	while (r->t0 < r->t1 && (b[r->t0] == ' ' || b[r->t0] == '\t'))
		r->t0++;
	while (r->t1 > r->t0 && (b[r->t1 - 1] == ' ' || b[r->t1 - 1] == '\t'))
		r->t1--;
	if (r->t0 == r->t1)
		return 0;
	if (bar) {
		r->l0 = bar + 1;
		r->l1 = q;
		while (r->l0 < r->l1 && (b[r->l0] == ' ' || b[r->l0] == '\t'))
			r->l0++;
		while (r->l1 > r->l0 && (b[r->l1 - 1] == ' ' || b[r->l1 - 1] == '\t'))
			r->l1--;
		if (r->l0 == r->l1)
			r->l0 = r->l1 = 0;
	}
	return 1;
}

static int letter(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static int tag_char(unsigned char c)
{
	return letter(c) || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '/';
}

/* The length of the tag name starting at s (after '#'), 0 if none. */
static size_t tag_len(const char *s)
{
	size_t q = 0;
	if (!letter((unsigned char)s[0]))
		return 0;
	while (tag_char((unsigned char)s[q]))
		q++;
	while (q > 1 && (s[q - 1] == '-' || s[q - 1] == '/'))
		q--;
	return q <= HEPH_TAG_MAX ? q : 0;
}

/* The end of a frontmatter block ("---" first line ... "---" line), just
 * past its closing line; 0 when the body has none. */
static size_t frontmatter_end(const char *b)
{
	size_t p;
	if (strncmp(b, "---\n", 4) != 0 && strncmp(b, "---\r\n", 5) != 0)
		return 0;
	p = next_line(b, 0);
	while (b[p]) {
		if (strncmp(b + p, "---", 3) == 0 && blank_from(b, p + 3))
			return next_line(b, p);
		p = next_line(b, p);
	}
	return 0;
}

/* Report one frontmatter tag token b[t0, t1) (quotes and '#' stripped) if
 * it is a tag by the inline grammar. */
static int fm_tag(const char *b, size_t t0, size_t t1, heph_ref_fn fn, void *ctx)
{
	while (t0 < t1 && (b[t0] == ' ' || b[t0] == '\t' || b[t0] == '"' || b[t0] == '\'' || b[t0] == '#'))
		t0++;
	while (t1 > t0 && (b[t1 - 1] == ' ' || b[t1 - 1] == '\t' || b[t1 - 1] == '"' || b[t1 - 1] == '\'' ||
			   b[t1 - 1] == '\r'))
		t1--;
	if (t1 == t0 || tag_len(b + t0) != t1 - t0)
		return 0;
	struct heph_ref r = { .tag = 1, .start = t0, .end = t1, .t0 = t0, .t1 = t1 };
	return fn(b, &r, ctx);
}

/* The tags of a frontmatter block ending at end: "tags: [a, b]",
 * "tags: a, b", "tags: a b", or "tags:" followed by "- a" lines. Nothing
 * else in it is read: it is metadata, not prose. */
static int frontmatter_tags(const char *b, size_t end, heph_ref_fn fn, void *ctx)
{
	size_t p = next_line(b, 0);
	int in_list = 0, ret;
	while (p < end) {
		size_t e = next_line(b, p), stop = e;
		while (stop > p && (b[stop - 1] == '\n' || b[stop - 1] == '\r'))
			stop--;
		if (in_list) {
			size_t q = p;
			while (q < stop && (b[q] == ' ' || b[q] == '\t'))
				q++;
			if (q < stop && b[q] == '-' && q > p) {
				if ((ret = fm_tag(b, q + 1, stop, fn, ctx)))
					return ret;
				p = e;
				continue;
			}
			in_list = 0;
		}
		if (strncmp(b + p, "tags:", 5) == 0) {
			size_t q = p + 5;
			int flow = 0;
			while (q < stop && (b[q] == ' ' || b[q] == '\t' || b[q] == '[')) {
				flow |= b[q] == '[';
				q++;
			}
			if (q == stop) {
				in_list = 1;
			} else {
				/* a flow list's items are split by commas only */
				while (q < stop) {
					size_t t = q;
					while (t < stop && b[t] != ',' && b[t] != ']' && (flow || b[t] != ' '))
						t++;
					if ((ret = fm_tag(b, q, t, fn, ctx)))
						return ret;
					q = t + 1;
				}
			}
		}
		p = e;
	}
	return 0;
}

int heph__body_refs(const char *b, heph_ref_fn fn, void *ctx)
{
	size_t p = 0;
	int line_start = 1, ret;
	if (!b)
		return 0;
	if ((p = frontmatter_end(b))) {
		if ((ret = frontmatter_tags(b, p, fn, ctx)))
			return ret;
	}
	while (b[p]) {
		if (line_start) {
			char ch;
			size_t len, after;
			line_start = 0;
			if (fence(b, p, &ch, &len, &after)) {
				p = skip_fenced(b, p, ch, len);
				line_start = 1;
				continue;
			}
		}
		char c = b[p];
		if (c == '\n') {
			p++;
			line_start = 1;
			continue;
		}
		if (c == '`') {
			size_t n = 0, end;
			while (b[p + n] == '`')
				n++;
			end = code_span_end(b, p + n, n);
			p = end ? end : p + n;
			continue;
		}
		struct heph_ref r;
		if (c == '[' && b[p + 1] == '[' && wiki_at(b, p, &r)) {
			if ((ret = fn(b, &r, ctx)))
				return ret;
			p = r.end;
			continue;
		}
		if (c == '#' && (p == 0 || b[p - 1] == ' ' || b[p - 1] == '\t' || b[p - 1] == '\n')) {
			size_t n = tag_len(b + p + 1);
			if (n) {
				memset(&r, 0, sizeof r);
				r.tag = 1;
				r.start = p;
				r.end = p + 1 + n;
				r.t0 = p + 1;
				r.t1 = p + 1 + n;
				if ((ret = fn(b, &r, ctx)))
					return ret;
				p = r.end;
				continue;
			}
		}
		p++;
	}
	return 0;
}

/* ---- targets ---- */

static void add_unique(json_t *arr, const char *v)
{
	size_t i;
	json_t *x;
	json_array_foreach(arr, i, x) if (strcmp(json_string_value(x), v) == 0) return;
	json_array_append_new(arr, json_string(v));
}

static void lower_ascii(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

struct targets {
	json_t *wiki, *tags;
};

static int collect(const char *b, const struct heph_ref *r, void *vctx)
{
	struct targets *t = vctx;
	size_t n = r->t1 - r->t0;
	char text[HEPH_WIKI_TARGET_MAX + 1];
	if (n > HEPH_WIKI_TARGET_MAX)
		return 0;
	memcpy(text, b + r->t0, n);
	text[n] = '\0';
	if (r->tag) {
		lower_ascii(text);
		add_unique(t->tags, text);
	} else if (n == HEPH_ID_LEN) {
		char id[HEPH_ID_LEN + 1];
		if (heph_id_normalize(text, id, sizeof id) == 0 && heph_id_valid(id))
			add_unique(t->wiki, id);
	}
	return 0;
}

void heph__body_targets(const char *body, json_t **wiki, json_t **tags)
{
	struct targets t = { json_array(), json_array() };
	heph__body_refs(body, collect, &t);
	*wiki = t.wiki;
	*tags = t.tags;
}

int heph__tag_name(const char *in, char out[HEPH_TAG_MAX + 1])
{
	const char *s = in && in[0] == '#' ? in + 1 : in;
	size_t n = s ? tag_len(s) : 0;
	if (!n || s[n] != '\0')
		return heph_error_set(HEPH_EINVALID,
				      "bad tag \"%.40s\" (a letter, then letters, digits, _ - /; at most %d bytes)",
				      in ? in : "", HEPH_TAG_MAX);
	memcpy(out, s, n + 1);
	lower_ascii(out);
	return 0;
}

/* ---- resolution ---- */

static int exists_any(heph_store *s, const char *id)
{
	sqlite3_stmt *st = heph__stmt(s, "SELECT 1 FROM nodes WHERE id = ?1");
	if (!st)
		return -1;
	heph__bind_str(st, 1, id);
	int hit = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return hit;
}

static const char *const kind_order[] = { "task", "project", "journal", "doc", "tag" };

/* Of candidate (id, kind) rows, the one of the first kind in kind_order that
 * has exactly one; 1 when found, 0 when ambiguous. */
static int prefer(json_t *cands, char out[HEPH_ID_LEN + 1])
{
	for (size_t k = 0; k < sizeof kind_order / sizeof kind_order[0]; k++) {
		size_t i, hits = 0;
		json_t *c;
		const char *at = NULL;
		json_array_foreach(cands, i, c) {
			if (strcmp(json_string_value(json_array_get(c, 1)), kind_order[k]) == 0) {
				hits++;
				at = json_string_value(json_array_get(c, 0));
			}
		}
		if (hits == 1) {
			snprintf(out, HEPH_ID_LEN + 1, "%s", at);
			return 1;
		}
		if (hits > 1)
			return 0;
	}
	return 0;
}

/* Rows of (id, kind) from a statement whose ?1 is text, into *out (a new
 * array); a heph error when SQLite fails. */
static int rows(heph_store *s, const char *sql, const char *a, const char *b, json_t **out)
{
	sqlite3_stmt *st = heph__stmt(s, sql);
	int rc;
	*out = NULL;
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, a);
	if (b)
		heph__bind_str(st, 2, b);
	json_t *arr = json_array();
	while ((rc = heph__row(s, st)) > 0)
		json_array_append_new(arr, json_pack("[s, s]", (const char *)sqlite3_column_text(st, 0),
						     (const char *)sqlite3_column_text(st, 1)));
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return 0;
}

/* Whether line-separated list has an entry equal to name (ASCII case
 * folded). */
static int list_has(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; *p;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && strncasecmp(p, name, n) == 0)
			return 1;
		p += len + (e ? 1 : 0);
	}
	return 0;
}

enum { R_NONE = 0, R_OK = 1, R_AMBIGUOUS = 2 };

/* How a target matched. */
enum { BY_ID, BY_PREFIX, BY_NAME };

static int first_id(json_t *c, char out[HEPH_ID_LEN + 1])
{
	snprintf(out, HEPH_ID_LEN + 1, "%s", json_string_value(json_array_get(json_array_get(c, 0), 0)));
	return 1;
}

/* Resolve a wiki target written by a user: a full id of any node, a unique
 * prefix of a live node's id, an alias, a title. */
static int resolve_target(heph_store *s, const char *t, char out[HEPH_ID_LEN + 1], int *how)
{
	char norm[HEPH_ID_LEN + 1];
	size_t n = strlen(t);
	int ambiguous = 0, ok, rc;
	json_t *c;
	*how = BY_NAME;
	if (n >= 4 && n <= HEPH_ID_LEN && heph_id_normalize(t, norm, sizeof norm) == 0) {
		if (n == HEPH_ID_LEN && heph_id_valid(norm) && exists_any(s, norm) == 1) {
			memcpy(out, norm, sizeof norm);
			*how = BY_ID;
			return R_OK;
		}
		if (n < HEPH_ID_LEN) {
			char hi[HEPH_ID_LEN + 2];
			snprintf(hi, sizeof hi, "%s~", norm); /* '~' sorts after every base32 digit */
			if ((rc = rows(s, "SELECT id, kind FROM nodes WHERE id >= ?1 AND id < ?2 AND tombstone_hlc IS NULL "
					  "ORDER BY id LIMIT 16", norm, hi, &c)))
				return rc;
			size_t hits = json_array_size(c);
			ok = hits == 1 ? first_id(c, out) : hits > 1 ? prefer(c, out) : 0;
			json_decref(c);
			if (ok) {
				*how = BY_PREFIX;
				return R_OK;
			}
			ambiguous = hits > 1;
		}
	}
	/* aliases: few nodes have any, and a partial index finds them */
	sqlite3_stmt *st = heph__stmt(s, "SELECT id, aliases FROM nodes WHERE aliases <> '' AND tombstone_hlc IS NULL");
	if (!st)
		return HEPH_ERROR;
	int hits = 0;
	while ((rc = heph__row(s, st)) > 0) {
		if (list_has((const char *)sqlite3_column_text(st, 1), t) && hits++ == 0)
			snprintf(out, HEPH_ID_LEN + 1, "%s", (const char *)sqlite3_column_text(st, 0));
	}
	if (rc < 0)
		return rc;
	if (hits == 1)
		return R_OK;
	if (hits > 1)
		return R_AMBIGUOUS;
	if ((rc = rows(s, "SELECT id, kind FROM nodes WHERE kind IN ('task', 'project', 'journal', 'doc', 'tag') "
			  "AND title = ?1 COLLATE NOCASE AND tombstone_hlc IS NULL ORDER BY id LIMIT 32", t, NULL, &c)))
		return rc;
	size_t nt = json_array_size(c);
	ok = nt == 1 ? first_id(c, out) : nt > 1 ? prefer(c, out) : 0;
	json_decref(c);
	if (ok)
		return R_OK;
	return nt > 1 || ambiguous ? R_AMBIGUOUS : R_NONE;
}

struct prep {
	heph_store *s;
	struct buf out;
	size_t done;          /* body bytes already copied */
	json_t *unresolved;   /* borrowed, may be NULL */
	int err;
};

static void note_unresolved(json_t *arr, const char *target, const char *reason)
{
	size_t i;
	json_t *x;
	if (!arr)
		return;
	json_array_foreach(arr, i, x) if (strcmp(json_string_value(json_object_get(x, "target")), target) == 0) return;
	json_array_append_new(arr, json_pack("{s:s, s:s}", "target", target, "reason", reason));
}

static int prep_one(const char *b, const struct heph_ref *r, void *vctx)
{
	struct prep *p = vctx;
	char t[HEPH_WIKI_TARGET_MAX + 1], id[HEPH_ID_LEN + 1];
	int how, rc;
	if (r->tag)
		return 0;
	memcpy(t, b + r->t0, r->t1 - r->t0);
	t[r->t1 - r->t0] = '\0';
	rc = resolve_target(p->s, t, id, &how);
	if (rc < 0) {
		p->err = rc;
		return 1;
	}
	if (rc != R_OK) {
		note_unresolved(p->unresolved, t, rc == R_AMBIGUOUS ? "ambiguous" : "not found");
		return 0;
	}
	if (how == BY_ID && strncmp(b + r->t0, id, HEPH_ID_LEN) == 0)
		return 0; /* already an id: leave it exactly as written */
	buf_add(&p->out, b + p->done, r->start - p->done);
	buf_str(&p->out, "[[");
	buf_str(&p->out, id);
	if (r->l0 != r->l1) {
		buf_str(&p->out, "|");
		buf_add(&p->out, b + r->l0, r->l1 - r->l0);
	} else if (how == BY_NAME) {
		buf_str(&p->out, "|"); /* the name the user wrote stays as the label */
		buf_str(&p->out, t);
	}
	buf_str(&p->out, "]]");
	p->done = r->end;
	return 0;
}

int heph__body_prepare(heph_store *s, const char *body, char **out, json_t *unresolved)
{
	struct prep p = { .s = s, .unresolved = unresolved };
	*out = NULL;
	heph__body_refs(body, prep_one, &p);
	if (p.err) {
		free(p.out.p);
		return p.err;
	}
	buf_str(&p.out, body + p.done);
	*out = buf_take(&p.out);
	return 0;
}

/* ---- the index ---- */

int heph__tag_node(heph_store *s, const char *name, int create, char out[HEPH_ID_LEN + 1])
{
	sqlite3_stmt *st = heph__stmt(s, "SELECT id FROM nodes WHERE kind = 'tag' AND title = ?1 COLLATE NOCASE "
					 "AND tombstone_hlc IS NULL ORDER BY id LIMIT 1");
	char text[HEPH_TAG_MAX + 8];
	int found;
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, name);
	found = sqlite3_step(st) == SQLITE_ROW;
	if (found)
		snprintf(out, HEPH_ID_LEN + 1, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (found)
		return 0;
	if (!create)
		return heph_error_set(HEPH_ENOTFOUND, "no tag \"%.64s\"", name);
	/* Derived from the name, so that two devices tagging with a new name
	 * offline create one node; a fresh id if that node was deleted. */
	snprintf(text, sizeof text, "tag:%s", name);
	heph_id_hashed(0, text, out);
	if (exists_any(s, out))
		heph__new_id(s, out);
	return heph__emit(s, "node.create", json_pack("{s:s, s:s, s:s}", "node_id", out, "kind", "tag", "title", name),
			  NULL);
}

/* The live links src -[type]-> * as {dst: [link ids]}. */
static int live_links(heph_store *s, const char *src, const char *type, json_t **out)
{
	sqlite3_stmt *st = heph__stmt(s, "SELECT dst, id FROM links WHERE src = ?1 AND type = ?2 ORDER BY dst, id");
	json_t *map = json_object();
	int rc;
	if (!st) {
		json_decref(map);
		return HEPH_ERROR;
	}
	heph__bind_str(st, 1, src);
	heph__bind_str(st, 2, type);
	while ((rc = heph__row(s, st)) > 0) {
		const char *d = (const char *)sqlite3_column_text(st, 0);
		json_t *arr = json_object_get(map, d);
		if (!arr)
			json_object_set_new(map, d, arr = json_array());
		json_array_append_new(arr, json_string((const char *)sqlite3_column_text(st, 1)));
	}
	sqlite3_reset(st);
	if (rc < 0) {
		json_decref(map);
		return rc;
	}
	*out = map;
	return 0;
}

static int in_array(json_t *arr, const char *v)
{
	size_t i;
	json_t *x;
	json_array_foreach(arr, i, x) if (strcmp(json_string_value(x), v) == 0) return 1;
	return 0;
}

/* Make the live links src -[type]-> * exactly the ids in want. */
static int sync_links(heph_store *s, const char *src, const char *type, json_t *want)
{
	json_t *have, *tags, *v;
	const char *dst;
	size_t i;
	int err;
	if ((err = live_links(s, src, type, &have)))
		return err;
	json_object_foreach(have, dst, tags) {
		if (in_array(want, dst))
			continue;
		if ((err = heph__emit(s, "link.remove",
				      json_pack("{s:s, s:s, s:s, s:O}", "src", src, "dst", dst, "type", type, "link_ids",
						tags),
				      NULL)))
			goto out;
	}
	json_array_foreach(want, i, v) {
		if (!json_object_get(have, json_string_value(v)) &&
		    (err = heph__link_add(s, src, json_string_value(v), type, NULL)))
			goto out;
	}
out:
	json_decref(have);
	return err;
}

int heph__body_index(heph_store *s, const char *node_id, const char *body)
{
	json_t *wiki, *tags, *want_wiki = json_array(), *want_tags = json_array(), *v;
	size_t i;
	int err = 0;
	heph__body_targets(body, &wiki, &tags);
	json_array_foreach(wiki, i, v) {
		const char *id = json_string_value(v);
		int e = exists_any(s, id);
		if (e < 0) {
			err = HEPH_ERROR;
			goto out;
		}
		if (e && strcmp(id, node_id) != 0)
			json_array_append(want_wiki, v);
	}
	json_array_foreach(tags, i, v) {
		char tid[HEPH_ID_LEN + 1];
		if ((err = heph__tag_node(s, json_string_value(v), 1, tid)))
			goto out;
		if (strcmp(tid, node_id) != 0)
			add_unique(want_tags, tid);
	}
	if ((err = sync_links(s, node_id, "wiki", want_wiki)) == 0)
		err = sync_links(s, node_id, "tag", want_tags);
out:
	json_decref(wiki);
	json_decref(tags);
	json_decref(want_wiki);
	json_decref(want_tags);
	return err;
}

/* ---- reads ---- */

struct expand {
	heph_store *s;
	struct buf out;
	size_t done;
};

static int expand_one(const char *b, const struct heph_ref *r, void *vctx)
{
	struct expand *e = vctx;
	char id[HEPH_ID_LEN + 1];
	if (r->tag || r->l0 != r->l1 || r->t1 - r->t0 != HEPH_ID_LEN)
		return 0;
	memcpy(id, b + r->t0, HEPH_ID_LEN);
	id[HEPH_ID_LEN] = '\0';
	sqlite3_stmt *st = heph__stmt(e->s, "SELECT title FROM nodes WHERE id = ?1");
	if (!st)
		return 0;
	heph__bind_str(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *title = (const char *)sqlite3_column_text(st, 0);
		/* The title as the label, its \\ [ ] | escaped with a backslash
		 * so that any title round-trips (wiki_at reads them back). */
		if (title[0] && !strchr(title, '\n')) {
			buf_add(&e->out, b + e->done, r->start - e->done);
			buf_str(&e->out, "[[");
			buf_str(&e->out, id);
			buf_str(&e->out, "|");
			for (const char *t = title; *t; t++) {
				if (strchr("\\[]|", *t))
					buf_add(&e->out, "\\", 1);
				buf_add(&e->out, t, 1);
			}
			buf_str(&e->out, "]]");
			e->done = r->end;
		}
	}
	sqlite3_reset(st);
	return 0;
}

char *heph__body_expand(heph_store *s, const char *body)
{
	struct expand e = { .s = s };
	heph__body_refs(body, expand_one, &e);
	buf_str(&e.out, body + e.done);
	return buf_take(&e.out);
}

json_t *heph__aliases_json(heph_store *s, const char *node_id)
{
	json_t *arr = json_array();
	sqlite3_stmt *st = heph__stmt(s, "SELECT aliases FROM nodes WHERE id = ?1");
	if (!st)
		return arr;
	heph__bind_str(st, 1, node_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(st, 0);
		while (p && *p) {
			const char *e = strchr(p, '\n');
			size_t len = e ? (size_t)(e - p) : strlen(p);
			if (len)
				json_array_append_new(arr, json_stringn(p, len));
			p += len + (e ? 1 : 0);
		}
	}
	sqlite3_reset(st);
	return arr;
}
