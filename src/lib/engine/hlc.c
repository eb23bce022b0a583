/* hlc.c — the hybrid logical clock; see heph/hlc.h for the format and rules. */
#include "heph/hlc.h"
#include "heph/error.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define MS_MAX INT64_C(999999999999999) /* 15 decimal digits */

void heph_hlc_format(const heph_hlc *h, char out[HEPH_HLC_LEN + 1])
{
	snprintf(out, HEPH_HLC_LEN + 1, "%015" PRId64 "-%05" PRIu32 "-%.16s",
		 h->ms, h->counter, h->origin);
}

int heph_origin_valid(const char *t)
{
	size_t i;
	for (i = 0; i < HEPH_ORIGIN_LEN; i++) {
		char c = t[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return 0;
	}
	return t[i] == '\0';
}

static int digits(const char *t, size_t n, int64_t *out)
{
	int64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (t[i] < '0' || t[i] > '9')
			return -1;
		v = v * 10 + (t[i] - '0');
	}
	*out = v;
	return 0;
}

int heph_hlc_parse(const char *text, heph_hlc *out)
{
	int64_t ms, counter;
	if (!text || strlen(text) != HEPH_HLC_LEN || text[15] != '-' || text[21] != '-' ||
	    digits(text, 15, &ms) || digits(text + 16, 5, &counter) ||
	    !heph_origin_valid(text + 22))
		return heph_error_set(HEPH_EINVALID,
				      "bad HLC \"%.60s\" (want 15 digits-5 digits-16 hex)",
				      text ? text : "(null)");
	out->ms = ms;
	out->counter = (uint32_t)counter;
	memcpy(out->origin, text + 22, HEPH_ORIGIN_LEN + 1);
	return 0;
}

int heph_hlc_compare(const heph_hlc *a, const heph_hlc *b)
{
	if (a->ms != b->ms)
		return a->ms < b->ms ? -1 : 1;
	if (a->counter != b->counter)
		return a->counter < b->counter ? -1 : 1;
	return strcmp(a->origin, b->origin);
}

/* Set (ms, counter), carrying a counter overflow into the millisecond. */
static void settle(heph_hlc *c, int64_t ms, uint64_t counter)
{
	if (counter > HEPH_HLC_COUNTER_MAX) {
		ms += 1;
		counter = 0;
	}
	c->ms = ms > MS_MAX ? MS_MAX : ms;
	c->counter = (uint32_t)counter;
}

void heph_hlc_tick(heph_hlc *c, int64_t wall)
{
	if (wall > c->ms)
		settle(c, wall, 0);
	else
		settle(c, c->ms, (uint64_t)c->counter + 1);
}

int heph_hlc_recv(heph_hlc *c, const heph_hlc *r, int64_t wall, int64_t max_drift)
{
	if (r->ms > wall + max_drift)
		return heph_error_set(HEPH_EFUTURE,
				      "op clock is %" PRId64 " ms ahead of this device (limit %" PRId64
				      " ms); check the clock of device %s",
				      r->ms - wall, max_drift, r->origin);
	int64_t m = c->ms;
	if (r->ms > m)
		m = r->ms;
	if (wall > m)
		m = wall;
	if (m == c->ms && m == r->ms)
		settle(c, m, (uint64_t)(c->counter > r->counter ? c->counter : r->counter) + 1);
	else if (m == c->ms)
		settle(c, m, (uint64_t)c->counter + 1);
	else if (m == r->ms)
		settle(c, m, (uint64_t)r->counter + 1);
	else
		settle(c, m, 0);
	return 0;
}
