/* ical_lazy.c — opening libical on first use (see ical_lazy.h). */
#define HEPH_ICAL_NO_MACROS
#include "ical_lazy.h"

#include <stdio.h>
#include <stdlib.h>

#include "heph/error.h"
#include "heph/lazy.h"

static struct heph__ical_fns heph__ical;

#define SYM(f) { #f, (void **)&heph__ical.p_##f },
static const heph_lazy_sym syms[] = { HEPH_ICAL_FUNCS(SYM) { NULL, NULL } };
#undef SYM
/* The soname of libical 3 (Debian 12's libical3), then the development link. */
static const char *const sonames[] = { "libical.so.3", "libical.so", NULL };
static heph_lazy lib = HEPH_LAZY_INIT(sonames, syms, "cannot load libical", "libical 3 is needed", HEPH_ERROR);

int heph__ical_load(void) { return heph_lazy_load(&lib); }

const struct heph__ical_fns *heph__ical_fns(void)
{
	if (heph__ical_load()) {
		fprintf(stderr, "heph: %s\n", heph_error_last());
		abort();
	}
	return &heph__ical;
}
