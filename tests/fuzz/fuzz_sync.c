/* fuzz_sync.c — sync bodies from the network: a pull page taken by a spoke
 * (the first byte even) or a push body taken by a hub (odd), on a replica.
 * Whatever arrives, nothing may crash, leak or half-apply. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "heph/sync.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	if (data[0] % 2 == 0) {
		heph_sync_page page;
		int64_t after = 0;
		heph_sync_pull_cursor(fuzz_store(), &after);
		heph_sync_take_page(fuzz_store(), after, text, len, &page);
	} else {
		char *out = NULL;
		size_t olen;
		heph_sync_accept(fuzz_store(), text, len, &out, &olen);
		free(out);
	}
	return 0;
}
