/* heph/hlc.h — the hybrid logical clock.
 *
 * An HLC is (physical milliseconds, counter, origin device). Its text form is
 * fixed-width, so that comparing two encodings with strcmp() gives causal
 * order, which is what the op-log, the merge engine and SQLite indexes use:
 *
 *   offset  width  field
 *   0       15     physical time, ms since the Unix epoch, decimal, zero-padded
 *   15      1      '-'
 *   16      5      counter, decimal, zero-padded (0..99999)
 *   21      1      '-'
 *   22      16     origin: the device id, 16 lowercase hex digits
 *                  total 38 characters, e.g. 001795764000123-00000-9f86d081884c7d65
 *
 * Rules (Kulkarni et al., "Logical Physical Clocks"):
 *   tick  — a local event: ms = max(ms, wall); counter resets when ms moved,
 *           else increments. The result is strictly greater than the previous
 *           value even when the wall clock steps backwards.
 *   recv  — absorbing a remote HLC: the result is strictly greater than both
 *           the local clock and the remote one. A remote HLC whose physical
 *           part is more than max_drift ms ahead of the wall clock is refused.
 * A counter that would pass 99999 carries into the millisecond instead.
 *
 * Ownership: plain values, nothing to free.
 */
#ifndef HEPH_HLC_H
#define HEPH_HLC_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HEPH_ORIGIN_LEN 16
#define HEPH_HLC_LEN 38
#define HEPH_HLC_COUNTER_MAX 99999u
#define HEPH_HLC_DEFAULT_MAX_DRIFT_MS (10 * 60 * 1000)

typedef struct heph_hlc {
	int64_t ms;                        /* physical component, ms since epoch */
	uint32_t counter;                  /* logical component */
	char origin[HEPH_ORIGIN_LEN + 1];  /* device id, NUL-terminated */
} heph_hlc;

/* Write the 38-character encoding plus NUL into out. */
void heph_hlc_format(const heph_hlc *h, char out[HEPH_HLC_LEN + 1]);

/* Parse an encoding; HEPH_EINVALID (with a message) unless exactly the
 * format above. */
int heph_hlc_parse(const char *text, heph_hlc *out);

/* <0, 0, >0 as a is before, equal to, after b. */
int heph_hlc_compare(const heph_hlc *a, const heph_hlc *b);

/* Advance clock for a local event at wall time wall_ms. */
void heph_hlc_tick(heph_hlc *clock, int64_t wall_ms);

/* Absorb remote into clock. HEPH_EFUTURE (clock unchanged) when remote is
 * more than max_drift_ms ahead of wall_ms. */
int heph_hlc_recv(heph_hlc *clock, const heph_hlc *remote, int64_t wall_ms,
		  int64_t max_drift_ms);

/* True when text is a syntactically valid origin (16 lowercase hex). */
int heph_origin_valid(const char *text);

#ifdef __cplusplus
}
#endif
#endif
