/* pq_lazy.c — opening libpq when hephd first opens a PostgreSQL store (see
 * pq_lazy.h). */
#define HEPHD_PQ_NO_MACROS
#include "pq_lazy.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include "heph/error.h"

struct hephd_pq_fns hephd_pq;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char failure[256]; /* why loading failed, "" when it worked */

static void load(void)
{
	/* Debian 12's soname (libpq5), then the development link. */
	static const char *const names[] = { "libpq.so.5", "libpq.so" };
	void *h = NULL;
	for (size_t i = 0; i < sizeof names / sizeof names[0] && !h; i++)
		h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(failure, sizeof failure, "a PostgreSQL store needs libpq (libpq.so.5, Debian's libpq5): %s",
			 dlerror());
		return;
	}
#define HEPHD_PQ_RESOLVE(f)                                                                  \
	if (!(*(void **)&hephd_pq.p_##f = dlsym(h, #f))) {                                     \
		snprintf(failure, sizeof failure, "libpq has no %s (PostgreSQL 10's or later is needed)", #f); \
		return;                                                                         \
	}
	HEPHD_PQ_FUNCS(HEPHD_PQ_RESOLVE)
#undef HEPHD_PQ_RESOLVE
}

int hephd_pq_load(void)
{
	pthread_once(&once, load);
	if (failure[0])
		return heph_error_set(HEPH_EUNAVAIL, "%s", failure);
	return 0;
}
