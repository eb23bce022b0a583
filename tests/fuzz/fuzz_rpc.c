/* fuzz_rpc.c — a JSON-RPC request (or batch) through the dispatcher, on a
 * replica that keeps what earlier inputs wrote. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "heph/rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	heph_rpc_env env = { .store = fuzz_store(), .host = NULL };
	free(heph_rpc_handle(&env, (const char *)data, size));
	return 0;
}
