/* crypto_lazy.c — opening libcrypto when the hub first needs it (see
 * crypto_lazy.h). */
#define HEPHD_CRYPTO_NO_MACROS
#include "crypto_lazy.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include "heph/error.h"

struct hephd_crypto_fns hephd_crypto;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char failure[256]; /* why loading failed, "" when it worked */

static void load(void)
{
	/* OpenSSL 3's soname (Debian 12's libssl3), then the development link. */
	static const char *const names[] = { "libcrypto.so.3", "libcrypto.so" };
	void *h = NULL;
	for (size_t i = 0; i < sizeof names / sizeof names[0] && !h; i++)
		h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(failure, sizeof failure, "checking identity provider tokens needs OpenSSL 3 (libcrypto.so.3): %s",
			 dlerror());
		return;
	}
#define HEPHD_CRYPTO_RESOLVE(f)                                                                \
	if (!(*(void **)&hephd_crypto.p_##f = dlsym(h, #f))) {                                    \
		snprintf(failure, sizeof failure, "libcrypto has no %s (OpenSSL 3 is needed)", #f); \
		return;                                                                           \
	}
	HEPHD_CRYPTO_FUNCS(HEPHD_CRYPTO_RESOLVE)
#undef HEPHD_CRYPTO_RESOLVE
}

int hephd_crypto_load(void)
{
	pthread_once(&once, load);
	if (failure[0])
		return heph_error_set(HEPH_EUNAVAIL, "%s", failure);
	return 0;
}
