/* buf.c — the growable byte buffer (heph/buf.h). */
#include "heph/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void heph_buf_put(heph_buf *b, const void *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->n + n + 1)
			cap *= 2;
		if (!(b->p = realloc(b->p, cap)))
			abort();
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

void heph_buf_puts(heph_buf *b, const char *s) { heph_buf_put(b, s, strlen(s)); }

void heph_buf_put_i64(heph_buf *b, int64_t v)
{
	char t[32];
	int n = snprintf(t, sizeof t, "%lld", (long long)v);
	heph_buf_put(b, t, (size_t)n);
}

void heph_buf_put_jstr(heph_buf *b, const char *s)
{
	heph_buf_put(b, "\"", 1);
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			heph_buf_put(b, e, 2);
		} else if (c < 0x20) {
			char e[8];
			snprintf(e, sizeof e, "\\u%04x", c);
			heph_buf_put(b, e, 6);
		} else {
			heph_buf_put(b, p, 1);
		}
	}
	heph_buf_put(b, "\"", 1);
}

void heph_buf_free(heph_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}
