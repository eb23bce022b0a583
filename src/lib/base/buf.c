/* buf.c — the growable byte buffer (heph/buf.h). */
#include "heph/buf.h"
#include "heph/error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for n more bytes and the NUL. */
static void reserve(heph_buf *b, size_t n)
{
	if (b->n + n + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->n + n + 1)
		cap *= 2;
	if (!(b->p = realloc(b->p, cap)))
		abort();
	b->cap = cap;
}

void heph_buf_put(heph_buf *b, const void *s, size_t n)
{
	reserve(b, n);
	if (n)
		memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

int heph_buf_read(heph_buf *b, FILE *in)
{
	size_t got;
	do {
		reserve(b, 4096); /* doubles the buffer when it is short of that */
		got = fread(b->p + b->n, 1, b->cap - b->n - 1, in);
		b->n += got;
		b->p[b->n] = '\0';
	} while (got > 0);
	return ferror(in) ? -1 : 0;
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

void heph_buf_put_b64url(heph_buf *b, const void *s, size_t n)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *p = s;
	char q[4];
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
		size_t k = n - i >= 3 ? 4 : n - i + 1; /* 1 byte: 2 characters, 2 bytes: 3 */
		q[0] = alpha[v >> 18];
		q[1] = alpha[(v >> 12) & 63];
		q[2] = alpha[(v >> 6) & 63];
		q[3] = alpha[v & 63];
		heph_buf_put(b, q, k);
	}
}

int heph_b64url_decode(const char *in, size_t n, unsigned char **out, size_t *outlen)
{
	unsigned char *buf = malloc(n * 3 / 4 + 3);
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	*out = NULL;
	*outlen = 0;
	if (!buf)
		abort();
	if (n % 4 == 1)
		goto bad; /* no base64 text has that length */
	for (size_t i = 0; i < n; i++) {
		int v;
		char ch = in[i];
		if (ch >= 'A' && ch <= 'Z')
			v = ch - 'A';
		else if (ch >= 'a' && ch <= 'z')
			v = ch - 'a' + 26;
		else if (ch >= '0' && ch <= '9')
			v = ch - '0' + 52;
		else if (ch == '-')
			v = 62;
		else if (ch == '_')
			v = 63;
		else
			goto bad; /* padding, '+', '/', spaces: not base64url */
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)
		goto bad; /* leftover bits must be zero: one text per value */
	buf[o] = '\0';
	*out = buf;
	*outlen = o;
	return 0;
bad:
	free(buf);
	return heph_error_set(HEPH_EINVALID, "not base64url");
}
