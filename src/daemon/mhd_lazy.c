/* mhd_lazy.c — opening libmicrohttpd when hephd starts a hub (see
 * mhd_lazy.h). */
#define HEPHD_MHD_NO_MACROS
#include "mhd_lazy.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include "heph/error.h"

struct hephd_mhd_fns hephd_mhd;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char failure[256]; /* why loading failed, "" when it worked */

static void load(void)
{
	/* Debian 12's soname (libmicrohttpd12), then the development link. */
	static const char *const names[] = { "libmicrohttpd.so.12", "libmicrohttpd.so" };
	void *h = NULL;
	for (size_t i = 0; i < sizeof names / sizeof names[0] && !h; i++)
		h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(failure, sizeof failure, "serving a hub needs libmicrohttpd (libmicrohttpd.so.12): %s",
			 dlerror());
		return;
	}
#define HEPHD_MHD_RESOLVE(f)                                                                   \
	if (!(*(void **)&hephd_mhd.p_##f = dlsym(h, #f))) {                                       \
		snprintf(failure, sizeof failure, "libmicrohttpd has no %s (0.9.71 or later is needed)", #f); \
		return;                                                                           \
	}
	HEPHD_MHD_FUNCS(HEPHD_MHD_RESOLVE)
#undef HEPHD_MHD_RESOLVE
}

int hephd_mhd_load(void)
{
	pthread_once(&once, load);
	if (failure[0])
		return heph_error_set(HEPH_EUNAVAIL, "%s", failure);
	return 0;
}
