/* checklist.c — GFM checklist lines outside fenced code (heph/checklist.h).
 * A line scanner rather than a markdown parser: it needs only fences and
 * list markers, and a reset must keep every other byte as it was. */
#include "heph/checklist.h"

#include <stdlib.h>
#include <string.h>

/* A fence opening or closing: 3+ backticks or tildes after indentation.
 * *ch and *len describe it; 0 when the line is no fence. For a closing
 * fence nothing but whitespace may follow. */
static int fence(const char *p, const char *end, int closing, char *ch, size_t *len)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || (*p != '`' && *p != '~'))
		return 0;
	char c = *p;
	size_t n = 0;
	while (p < end && *p == c) {
		p++;
		n++;
	}
	if (n < 3)
		return 0;
	if (closing) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		if (p != end)
			return 0;
	} else if (c == '`' && memchr(p, '`', (size_t)(end - p))) {
		return 0; /* an info string may not hold a backtick */
	}
	*ch = c;
	*len = n;
	return 1;
}

/* Read one line as an item; 1 when it is one. */
static int item(const char *body, const char *p, const char *end, heph_check_item *it)
{
	size_t indent = 0;
	while (p < end && (*p == ' ' || *p == '\t')) {
		indent += *p == '\t' ? 4 : 1;
		p++;
	}
	if (p < end && (*p == '-' || *p == '*' || *p == '+')) {
		p++;
	} else {
		const char *d = p;
		while (p < end && *p >= '0' && *p <= '9' && p - d < 10)
			p++;
		if (p == d || p - d > 9 || p == end || (*p != '.' && *p != ')'))
			return 0;
		p++;
	}
	if (p == end || (*p != ' ' && *p != '\t'))
		return 0;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (end - p < 3 || p[0] != '[' || p[2] != ']' || (p[1] != ' ' && p[1] != 'x' && p[1] != 'X'))
		return 0;
	const char *after = p + 3;
	if (after < end && *after != ' ' && *after != '\t' && *after != '\r')
		return 0;
	it->mark = (size_t)(p + 1 - body);
	it->done = p[1] != ' ';
	it->indent = indent;
	while (after < end && (*after == ' ' || *after == '\t'))
		after++;
	const char *tend = end;
	while (tend > after && (tend[-1] == ' ' || tend[-1] == '\t' || tend[-1] == '\r'))
		tend--;
	it->text = after;
	it->text_len = (size_t)(tend - after);
	return 1;
}

int heph_checklist_foreach(const char *body, heph_checklist_fn fn, void *ctx)
{
	const char *p = body;
	size_t line = 0, flen = 0;
	char fch = 0; /* the open fence's character, 0 when outside code */
	int ret;
	if (!body)
		return 0;
	while (*p) {
		const char *end = strchr(p, '\n');
		if (!end)
			end = p + strlen(p);
		line++;
		char c;
		size_t n;
		if (fch) {
			if (fence(p, end, 1, &c, &n) && c == fch && n >= flen)
				fch = 0;
		} else if (fence(p, end, 0, &c, &n)) {
			fch = c;
			flen = n;
		} else {
			heph_check_item it;
			if (item(body, p, end, &it)) {
				it.line = line;
				if ((ret = fn(&it, ctx)) != 0)
					return ret;
			}
		}
		p = *end ? end + 1 : end;
	}
	return 0;
}

struct reset {
	char *copy;
	int changed;
};

static int uncheck(const heph_check_item *it, void *ctx)
{
	struct reset *r = ctx;
	if (it->done) {
		r->copy[it->mark] = ' ';
		r->changed = 1;
	}
	return 0;
}

char *heph_checklist_reset(const char *body, int *changed)
{
	struct reset r = { strdup(body ? body : ""), 0 };
	if (!r.copy)
		abort();
	heph_checklist_foreach(body, uncheck, &r);
	if (changed)
		*changed = r.changed;
	return r.copy;
}
