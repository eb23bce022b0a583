/* fuzz_op.c — one op line: decoded (the fast path checked against jansson
 * on every input) and, when valid, applied to a replica. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_common.h"
#include "heph/op.h"
#include "internal.h"

/* Whatever the fast path accepts, jansson accepts and reads the same. */
static void differential(const char *text, size_t len)
{
	const char *span = NULL;
	size_t span_len = 0;
	json_t *fast = heph__json_fast(text, len, "payload", &span, &span_len);
	if (!fast)
		return;
	json_t *slow = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	if (!slow || !json_equal(fast, slow)) {
		fprintf(stderr, "fast JSON path disagrees with jansson\n");
		abort();
	}
	if (span) {
		json_t *p = json_loadb(span, span_len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
		if (!p || !json_equal(p, json_object_get(slow, "payload"))) {
			fprintf(stderr, "payload span is not the payload\n");
			abort();
		}
		json_decref(p);
	}
	json_decref(fast);
	json_decref(slow);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	heph_op op;
	const char *text = (const char *)data;
	differential(text, size);
	if (heph_op_decode(text, size, &op) == 0) {
		heph_op_status st;
		heph_store_apply(fuzz_store(), &op, &st);
		heph_op_clear(&op);
	}
	return 0;
}
