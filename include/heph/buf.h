/* heph/buf.h — a growable byte buffer, the one every part of heph builds
 * text in (sync bodies, op lines, query strings, HTTP bodies).
 *
 * The contents are always followed by a NUL, so p is a C string once
 * anything was put. Ownership: the buffer owns p; heph_buf_free() frees it
 * and leaves an empty buffer; a caller that keeps p takes it (and frees it
 * with free()) instead. Out of memory aborts, as everywhere in heph.
 */
#ifndef HEPH_BUF_H
#define HEPH_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct heph_buf {
	char *p;    /* the contents and a NUL, or NULL while empty */
	size_t n;   /* bytes of contents */
	size_t cap; /* bytes allocated */
} heph_buf;

/* Append n bytes of s. */
void heph_buf_put(heph_buf *b, const void *s, size_t n);

/* Append a C string. */
void heph_buf_puts(heph_buf *b, const char *s);

/* Append v in decimal. */
void heph_buf_put_i64(heph_buf *b, int64_t v);

/* Append s as a JSON string: quoted, with quotes, backslashes and control
 * characters escaped (the rest, UTF-8 included, as it is). */
void heph_buf_put_jstr(heph_buf *b, const char *s);

/* Append all that is left to read from in, to its end. 0, or -1 when
 * reading failed (ferror(in); what was read stays in b). b->p is a string
 * afterwards even when nothing was read. */
int heph_buf_read(heph_buf *b, FILE *in);

/* Free the contents; b is empty again. */
void heph_buf_free(heph_buf *b);

/* Append n bytes of s as unpadded base64url (RFC 4648 section 5, as JWTs
 * and heph's page cursors write it). */
void heph_buf_put_b64url(heph_buf *b, const void *s, size_t n);

/* Decode unpadded base64url strictly: padding, '+', '/', spaces and
 * non-zero leftover bits are HEPH_EINVALID (one text per value). *out is
 * malloc'd and NUL-terminated past *outlen. */
int heph_b64url_decode(const char *in, size_t n, unsigned char **out, size_t *outlen);

#ifdef __cplusplus
}
#endif

#endif
