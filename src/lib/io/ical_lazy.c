/* ical_lazy.c — opening libical on first use (see ical_lazy.h). */
#define HEPH_ICAL_NO_MACROS
#include "ical_lazy.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heph/error.h"

static struct heph__ical_fns heph__ical;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char failure[256]; /* why loading failed, "" when it worked */

static void load(void)
{
	/* The soname of libical 3 (Debian 12's libical3), then the development link. */
	static const char *const names[] = { "libical.so.3", "libical.so" };
	void *h = NULL;
	for (size_t i = 0; i < sizeof names / sizeof names[0] && !h; i++)
		h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(failure, sizeof failure, "cannot load libical: %s", dlerror());
		return;
	}
#define HEPH_ICAL_RESOLVE(f)                                                               \
	if (!(*(void **)&heph__ical.p_##f = dlsym(h, #f))) {                                 \
		snprintf(failure, sizeof failure, "libical has no %s", #f);                 \
		return;                                                                      \
	}
	HEPH_ICAL_FUNCS(HEPH_ICAL_RESOLVE)
#undef HEPH_ICAL_RESOLVE
}

int heph__ical_load(void)
{
	pthread_once(&once, load);
	if (failure[0])
		return heph_error_set(HEPH_ERROR, "%s", failure);
	return 0;
}

const struct heph__ical_fns *heph__ical_fns(void)
{
	pthread_once(&once, load);
	if (failure[0]) {
		fprintf(stderr, "heph: %s\n", failure);
		abort();
	}
	return &heph__ical;
}
