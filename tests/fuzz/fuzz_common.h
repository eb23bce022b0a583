/* fuzz_common.h — what the libFuzzer targets share: an in-memory replica
 * with a fixed clock, reopened now and then so that it stays small. */
#ifndef HEPH_FUZZ_COMMON_H
#define HEPH_FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>

#include "heph/error.h"
#include "heph/store.h"

#define FUZZ_NOW INT64_C(1795000000000) /* 2026-11-18 */
#define FUZZ_REOPEN 500                 /* inputs per replica */

static int64_t fuzz_clock(void *ctx)
{
	(void)ctx;
	return FUZZ_NOW;
}

/* The replica for this input; a fresh one every FUZZ_REOPEN inputs. */
static heph_store *fuzz_store(void)
{
	static heph_store *s;
	static unsigned uses;
	if (s && ++uses % FUZZ_REOPEN == 0) {
		heph_store_close(s);
		s = NULL;
	}
	if (!s) {
		heph_store_opts o = { .clock = fuzz_clock, .today = "2026-11-18" };
		if (heph_store_open(":memory:", &o, &s) != 0)
			abort();
	}
	return s;
}

#endif
