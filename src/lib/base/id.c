/* id.c — ULIDs: Crockford base32, 48-bit time, 80 random bits. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static void encode(int64_t ms, const unsigned char rnd[10], char out[HEPH_ID_LEN + 1])
{
	uint64_t t = (uint64_t)ms;
	for (int i = 9; i >= 0; i--) {
		out[i] = alphabet[t & 31];
		t >>= 5;
	}
	/* 80 random bits as 16 base32 digits: two 40-bit halves. */
	for (int half = 0; half < 2; half++) {
		uint64_t v = 0;
		for (int b = 0; b < 5; b++)
			v = (v << 8) | rnd[half * 5 + b];
		for (int i = 7; i >= 0; i--) {
			out[10 + half * 8 + i] = alphabet[v & 31];
			v >>= 5;
		}
	}
	out[HEPH_ID_LEN] = '\0';
}

void heph_id_new(int64_t ms, char out[HEPH_ID_LEN + 1])
{
	unsigned char rnd[10];
	size_t got = 0;
	while (got < sizeof rnd) {
		ssize_t n = getrandom(rnd + got, sizeof rnd - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			abort(); /* no entropy source at all: nothing sane to do */
		}
		got += (size_t)n;
	}
	encode(ms, rnd, out);
}

void heph_id_derived(int64_t ms, const char *tag, char out[HEPH_ID_LEN + 1])
{
	unsigned char rnd[10] = { 0 };
	size_t n = strlen(tag);
	memcpy(rnd, tag, n < sizeof rnd ? n : sizeof rnd);
	encode(ms, rnd, out);
}

void heph_id_hashed(int64_t ms, const char *text, char out[HEPH_ID_LEN + 1])
{
	unsigned char md[32];
	heph_sha256 c;
	heph__sha256_init(&c);
	heph__sha256_update(&c, text, strlen(text));
	heph__sha256_final(&c, md);
	encode(ms, md, out);
}

void heph_id_handle(const char *id, char out[HEPH_HANDLE_LEN + 1])
{
	unsigned char md[32];
	heph_sha256 c;
	heph__sha256_init(&c);
	heph__sha256_update(&c, id, strlen(id));
	heph__sha256_final(&c, md);
	uint64_t bits = 0;
	for (int i = 0; i < 8; i++)
		bits = bits << 8 | md[i];
	for (int i = 0; i < HEPH_HANDLE_LEN; i++)
		out[i] = alphabet[(bits >> (64 - 5 * (i + 1))) & 31];
	out[HEPH_HANDLE_LEN] = '\0';
}

static int digit(char c)
{
	return c && strchr(alphabet, c) != NULL;
}

int heph_id_valid(const char *s)
{
	if (!s || strlen(s) != HEPH_ID_LEN || s[0] > '7')
		return 0;
	for (int i = 0; i < HEPH_ID_LEN; i++)
		if (!digit(s[i]))
			return 0;
	return 1;
}

int heph_id_normalize(const char *s, char *out, int cap)
{
	int i;
	for (i = 0; s[i] && i < cap - 1; i++) {
		char c = s[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (!digit(c))
			return -1;
		out[i] = c;
	}
	out[i] = '\0';
	return s[i] ? -1 : 0;
}
