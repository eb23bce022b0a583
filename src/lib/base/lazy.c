/* lazy.c — opening a shared library on first use (heph/lazy.h). */
#include "heph/lazy.h"
#include "heph/error.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static void load(heph_lazy *l)
{
	void *h = NULL;
	const char *first = l->sonames[0];
	for (const char *const *n = l->sonames; *n && !h; n++)
		h = dlopen(*n, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(l->failure, sizeof l->failure, "%s: %s", l->missing, dlerror());
		return;
	}
	for (const heph_lazy_sym *s = l->syms; s->name; s++)
		if (!(*s->slot = dlsym(h, s->name))) {
			size_t stem = strcspn(first, ".");
			snprintf(l->failure, sizeof l->failure, "%.*s has no %s (%s)", (int)stem, first, s->name,
				 l->too_old);
			return;
		}
}

int heph_lazy_load(heph_lazy *l)
{
	/* Every call through a table may come here: once tried, no lock. */
	if (!__atomic_load_n(&l->tried, __ATOMIC_ACQUIRE)) {
		pthread_mutex_lock(&l->mu);
		if (!l->tried) {
			load(l);
			__atomic_store_n(&l->tried, 1, __ATOMIC_RELEASE);
		}
		pthread_mutex_unlock(&l->mu);
	}
	return l->failure[0] ? heph_error_set(l->err, "%s", l->failure) : 0;
}
