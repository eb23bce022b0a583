/* sync_page.c — reading a hub's pull page, quickly (a spoke's side).
 *
 * A page is mostly its ops. Rather than building one tree of the whole page
 * (jansson reads a character at a time), the envelope is scanned for its
 * top-level members, each op is cut out of the array as a span of text and
 * read by the op-JSON reader (opjson.h), and its payload is stored as
 * received. Anything the scanner does not expect sends the page to jansson
 * instead, which then also words the error. Nothing here touches the
 * database.
 */
#include "internal.h"
#include "opjson.h"
#include "sync_internal.h"

#include "heph/sync.h"

#include <stdlib.h>
#include <string.h>

static const char *const env_keys[PG_COUNT] = { "protocol", "hub", "head", "next", "more", "known_by", "now" };

void heph__page_free(struct heph__page *pg)
{
	for (int i = 0; i < PG_COUNT; i++)
		json_decref(pg->env[i]);
	for (size_t i = 0; i < pg->n; i++)
		heph_op_clear(&pg->ops[i]);
	free(pg->ops);
	free(pg->span);
	free(pg->span_len);
	free(pg->seq);
	json_decref(pg->tree);
	memset(pg, 0, sizeof *pg);
}

static const char *ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* The end of the string starting at p (a quote), or NULL. */
static const char *skip_string(const char *p, const char *e)
{
	for (p++; p < e; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* The end of the value starting at p, or NULL. Containers are matched by
 * counting; their insides are checked later by whoever decodes them. */
static const char *skip_value(const char *p, const char *e)
{
	int depth = 0;
	if (p >= e)
		return NULL;
	if (*p == '"')
		return skip_string(p, e);
	if (*p != '{' && *p != '[') {
		while (p < e && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' && *p != '\t' &&
		       *p != '\r')
			p++;
		return p;
	}
	for (; p < e; p++) {
		if (*p == '"') {
			if (!(p = skip_string(p, e)))
				return NULL;
			p--;
		} else if (*p == '{' || *p == '[') {
			depth++;
		} else if (*p == '}' || *p == ']') {
			if (--depth == 0)
				return p + 1;
		}
	}
	return NULL;
}

/* One op of a page from its text; HEPH_EINVALID naming it. */
static int page_op(struct heph__page *pg, const char *text, size_t len)
{
	size_t i = pg->n;
	int err = heph__opjson_read(text, len, &pg->ops[i], &pg->seq[i], &pg->span[i], &pg->span_len[i]);
	if (err)
		return heph_error_wrap(err, "hub sent an invalid op (ops[%zu]): ", i);
	pg->n++;
	return 0;
}

static void page_grow(struct heph__page *pg, size_t cap)
{
	if (!(pg->ops = realloc(pg->ops, cap * sizeof *pg->ops)) || !(pg->span = realloc(pg->span, cap * sizeof *pg->span)) ||
	    !(pg->span_len = realloc(pg->span_len, cap * sizeof *pg->span_len)) ||
	    !(pg->seq = realloc(pg->seq, cap * sizeof *pg->seq)))
		abort();
}

/* Scan the page. 1: the scanner gave up (nothing decided), 0: read, or an
 * error about an op. */
static int scan_page(const char *body, size_t len, struct heph__page *pg)
{
	const char *p = ws(body, body + len), *e = body + len, *ops = NULL, *ops_end = NULL;
	if (p >= e || *p++ != '{')
		return 1;
	p = ws(p, e);
	for (int first = 1;; first = 0) {
		p = ws(p, e);
		if (first && p < e && *p == '}')
			break;
		const char *k = p, *ke;
		if (p >= e || *p != '"' || !(ke = skip_string(p, e)) || memchr(k, '\\', (size_t)(ke - k)))
			return 1;
		p = ws(ke, e);
		if (p >= e || *p++ != ':')
			return 1;
		const char *v = ws(p, e), *ve = skip_value(v, e);
		if (!ve)
			return 1;
		size_t kl = (size_t)(ke - k) - 2;
		if (kl == 3 && memcmp(k + 1, "ops", 3) == 0) {
			if (ops)
				return 1; /* a duplicate: jansson refuses it */
			ops = v;
			ops_end = ve;
		}
		for (int i = 0; i < PG_COUNT; i++) {
			if (strlen(env_keys[i]) == kl && memcmp(k + 1, env_keys[i], kl) == 0) {
				if (pg->env[i])
					return 1;
				if (!(pg->env[i] = json_loadb(v, (size_t)(ve - v), JSON_DECODE_ANY, NULL)))
					return 1;
			}
		}
		p = ws(ve, e);
		if (p < e && *p == ',') {
			p++;
			continue;
		}
		if (p < e && *p == '}')
			break;
		return 1;
	}
	if (ws(p + 1, e) != e || !ops || *ops != '[')
		return 1;
	size_t cap = 64;
	page_grow(pg, cap);
	p = ws(ops + 1, ops_end);
	if (p < ops_end && *p == ']')
		return ws(p + 1, ops_end) == ops_end ? 0 : 1;
	for (;;) {
		const char *v = ws(p, ops_end), *ve = skip_value(v, ops_end);
		if (!ve || v >= ops_end || *v != '{')
			return 1;
		if (pg->n == cap)
			page_grow(pg, cap *= 2);
		int err = page_op(pg, v, (size_t)(ve - v));
		if (err)
			return err;
		p = ws(ve, ops_end);
		if (p < ops_end && *p == ',') {
			p++;
			continue;
		}
		if (p < ops_end && *p == ']' && ws(p + 1, ops_end) == ops_end)
			return 0;
		return 1;
	}
}

/* Read a page: the fast scan, or jansson when the scan gives up. */
static int read_page(const char *body, size_t len, struct heph__page *pg)
{
	int err = scan_page(body, len, pg);
	if (err != 1)
		return err;
	heph__page_free(pg);
	if ((err = heph__sync_parse_object(body, len, "hub's pull page", &pg->tree)))
		return err;
	json_t *arr = json_object_get(pg->tree, "ops"), *v;
	size_t i;
	for (int k = 0; k < PG_COUNT; k++)
		pg->env[k] = json_incref(json_object_get(pg->tree, env_keys[k]));
	if (!json_is_array(arr))
		return heph_error_set(HEPH_EINVALID, "hub sent a page without head, next, more and ops");
	page_grow(pg, json_array_size(arr) + 1);
	json_array_foreach(arr, i, v) {
		json_t *seq = json_object_get(v, "seq");
		pg->seq[i] = json_is_integer(seq) ? json_integer_value(seq) : -1;
		if ((err = heph_op_from_json(v, &pg->ops[i])))
			return heph_error_wrap(err, "hub sent an invalid op (ops[%zu]): ", i);
		pg->span[i] = NULL;
		pg->span_len[i] = 0;
		pg->n++;
	}
	return 0;
}

/* Check a page's envelope and its ops' order. */
static int check_page(const struct heph__page *pg, int64_t after, const char **hub, int64_t *head, int64_t *next,
		      int *more)
{
	int64_t prev = after;
	int err;
	if ((err = heph__sync_protocol(pg->env[PG_PROTOCOL], "spoke", "hub")))
		return heph_error_wrap(err, "hub: ");
	*hub = json_string_value(pg->env[PG_HUB]);
	if (!*hub || !heph_origin_valid(*hub))
		return heph_error_set(HEPH_EINVALID, "hub sent a page without a valid hub id");
	if (!json_is_integer(pg->env[PG_HEAD]) || !json_is_integer(pg->env[PG_NEXT]) || !json_is_boolean(pg->env[PG_MORE]))
		return heph_error_set(HEPH_EINVALID, "hub sent a page without head, next, more and ops");
	*head = json_integer_value(pg->env[PG_HEAD]);
	*next = json_integer_value(pg->env[PG_NEXT]);
	*more = json_is_true(pg->env[PG_MORE]);
	if (*next < after)
		return heph_error_set(HEPH_EINVALID, "hub sent a page whose next (%lld) is before after (%lld)",
				      (long long)*next, (long long)after);
	for (size_t i = 0; i < pg->n; i++) {
		if (pg->seq[i] <= prev || pg->seq[i] > *next)
			return heph_error_set(HEPH_EINVALID, "hub sent ops[%zu] out of sequence", i);
		prev = pg->seq[i];
	}
	return 0;
}

int heph__page_read(const char *body, size_t len, int64_t after, struct heph__page *pg, const char **hub,
		    int64_t *head, int64_t *next, int *more)
{
	int err = read_page(body, len, pg);
	return err ? err : check_page(pg, after, hub, head, next, more);
}
