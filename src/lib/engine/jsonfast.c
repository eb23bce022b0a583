/* jsonfast.c — a fast path for reading op lines.
 *
 * jansson's loader reads its input a character at a time through a stream
 * callback; on an op line that is most of the cost of applying the op. This
 * parser reads the common shape of JSON quickly and builds the same jansson
 * tree. It is deliberately a subset: whenever it meets anything it does not
 * handle exactly as jansson would (a number that is not a small integer, a
 * duplicate key, invalid UTF-8, deep nesting, any syntax error), it gives
 * up and the caller asks jansson, so errors and edge cases are jansson's.
 * The fuzz target tests/fuzz/fuzz_op.c checks that the two agree.
 *
 * Accepted: an object at the top level; objects, arrays, strings (valid
 * UTF-8, the escapes of RFC 8259 with surrogate pairs, no NUL), integers of
 * at most 18 digits, true, false, null; whitespace between tokens.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

struct parser {
	const char *p, *end;
	char *buf;              /* scratch for decoded strings */
	size_t cap;
	const char *want;       /* a top-level key whose value's text to report */
	const char *span;       /* where that value starts, */
	size_t span_len;        /* and its length */
};

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static void reserve(struct parser *ps, size_t n)
{
	if (n <= ps->cap)
		return;
	while (ps->cap < n)
		ps->cap = ps->cap ? ps->cap * 2 : 256;
	if (!(ps->buf = realloc(ps->buf, ps->cap)))
		abort();
}

static int hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0], v;
	size_t len;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, v = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, v = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, v = c & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && v < 0x800) || (len == 4 && v < 0x10000) || v > 0x10ffff ||
	    (v >= 0xd800 && v <= 0xdfff))
		return 0;
	return len;
}

static size_t put_utf8(char *o, unsigned v)
{
	if (v < 0x80) {
		o[0] = (char)v;
		return 1;
	}
	if (v < 0x800) {
		o[0] = (char)(0xc0 | (v >> 6));
		o[1] = (char)(0x80 | (v & 0x3f));
		return 2;
	}
	if (v < 0x10000) {
		o[0] = (char)(0xe0 | (v >> 12));
		o[1] = (char)(0x80 | ((v >> 6) & 0x3f));
		o[2] = (char)(0x80 | (v & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (v >> 18));
	o[1] = (char)(0x80 | ((v >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((v >> 6) & 0x3f));
	o[3] = (char)(0x80 | (v & 0x3f));
	return 4;
}

/* A string at ps->p (which is at the opening quote), decoded into ps->buf,
 * NUL-terminated; its length through *len. -1 to give up. */
static int string(struct parser *ps, size_t *len)
{
	const char *s = ps->p + 1;
	size_t n = 0;
	/* Decoding never grows the text. */
	reserve(ps, (size_t)(ps->end - s) + 1);
	while (s < ps->end) {
		unsigned char c = (unsigned char)*s;
		if (c == '"') {
			ps->buf[n] = '\0';
			*len = n;
			ps->p = s + 1;
			return 0;
		}
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			if (s + 1 >= ps->end)
				return -1;
			char e = s[1];
			unsigned v, lo;
			s += 2;
			switch (e) {
			case '"': ps->buf[n++] = '"'; break;
			case '\\': ps->buf[n++] = '\\'; break;
			case '/': ps->buf[n++] = '/'; break;
			case 'b': ps->buf[n++] = '\b'; break;
			case 'f': ps->buf[n++] = '\f'; break;
			case 'n': ps->buf[n++] = '\n'; break;
			case 'r': ps->buf[n++] = '\r'; break;
			case 't': ps->buf[n++] = '\t'; break;
			case 'u':
				if (ps->end - s < 4 || hex4(s, &v))
					return -1;
				s += 4;
				if (v >= 0xd800 && v <= 0xdbff) {
					if (ps->end - s < 6 || s[0] != '\\' || s[1] != 'u' || hex4(s + 2, &lo) ||
					    lo < 0xdc00 || lo > 0xdfff)
						return -1;
					s += 6;
					v = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
				} else if ((v >= 0xdc00 && v <= 0xdfff) || v == 0) {
					return -1;
				}
				n += put_utf8(ps->buf + n, v);
				break;
			default:
				return -1;
			}
			continue;
		}
		size_t k = utf8_len((const unsigned char *)s, (size_t)(ps->end - s));
		if (!k)
			return -1;
		memcpy(ps->buf + n, s, k);
		n += k;
		s += k;
	}
	return -1;
}

static json_t *value(struct parser *ps, int depth);

static json_t *object(struct parser *ps, int depth)
{
	json_t *o = json_object();
	ps->p++; /* { */
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return o;
	}
	for (;;) {
		size_t klen;
		if (ps->p >= ps->end || *ps->p != '"' || string(ps, &klen))
			goto fail;
		if (json_object_get(o, ps->buf)) /* a duplicate: jansson's error */
			goto fail;
		char *key = strdup(ps->buf);
		if (!key)
			abort();
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != ':') {
			free(key);
			goto fail;
		}
		ps->p++;
		skip_ws(ps);
		const char *start = ps->p;
		json_t *v = value(ps, depth + 1);
		if (!v) {
			free(key);
			goto fail;
		}
		if (depth == 0 && ps->want && strcmp(key, ps->want) == 0) {
			ps->span = start;
			ps->span_len = (size_t)(ps->p - start);
		}
		json_object_set_new_nocheck(o, key, v); /* steals v */
		free(key);
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			skip_ws(ps);
			continue;
		}
		if (ps->p < ps->end && *ps->p == '}') {
			ps->p++;
			return o;
		}
		goto fail;
	}
fail:
	json_decref(o);
	return NULL;
}

static json_t *array(struct parser *ps, int depth)
{
	json_t *a = json_array();
	ps->p++; /* [ */
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		return a;
	}
	for (;;) {
		json_t *v = value(ps, depth + 1);
		if (!v)
			goto fail;
		json_array_append_new(a, v);
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			skip_ws(ps);
			continue;
		}
		if (ps->p < ps->end && *ps->p == ']') {
			ps->p++;
			return a;
		}
		goto fail;
	}
fail:
	json_decref(a);
	return NULL;
}

static int word(struct parser *ps, const char *w, size_t n)
{
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, w, n) != 0)
		return 0;
	ps->p += n;
	return 1;
}

static json_t *value(struct parser *ps, int depth)
{
	size_t len;
	if (ps->p >= ps->end || depth > MAX_DEPTH)
		return NULL;
	switch (*ps->p) {
	case '{':
		return object(ps, depth);
	case '[':
		return array(ps, depth);
	case '"':
		return string(ps, &len) ? NULL : json_stringn_nocheck(ps->buf, len);
	case 't':
		return word(ps, "true", 4) ? json_true() : NULL;
	case 'f':
		return word(ps, "false", 5) ? json_false() : NULL;
	case 'n':
		return word(ps, "null", 4) ? json_null() : NULL;
	default: {
		/* -?(0|[1-9][0-9]*), at most 18 digits; anything else is jansson's */
		const char *s = ps->p;
		int neg = *s == '-';
		json_int_t v = 0;
		size_t digits = 0;
		if (neg)
			s++;
		if (s >= ps->end || *s < '0' || *s > '9' || (*s == '0' && s + 1 < ps->end && s[1] >= '0' && s[1] <= '9'))
			return NULL;
		while (s < ps->end && *s >= '0' && *s <= '9') {
			if (++digits > 18)
				return NULL;
			v = v * 10 + (*s - '0');
			s++;
		}
		if (s < ps->end && (*s == '.' || *s == 'e' || *s == 'E'))
			return NULL;
		ps->p = s;
		return json_integer(neg ? -v : v);
	}
	}
}

json_t *heph__json_fast(const char *text, size_t len, const char *want, const char **span, size_t *span_len)
{
	struct parser ps = { .p = text, .end = text + len, .want = want };
	json_t *v = NULL;
	skip_ws(&ps);
	if (ps.p < ps.end && *ps.p == '{')
		v = object(&ps, 0);
	if (v) {
		skip_ws(&ps);
		if (ps.p != ps.end) {
			json_decref(v);
			v = NULL;
		}
	}
	free(ps.buf);
	if (v && span) {
		*span = ps.span;
		*span_len = ps.span_len;
	}
	return v;
}
