/* mhd_lazy.c — opening libmicrohttpd when hephd starts a hub (see
 * mhd_lazy.h). */
#define HEPHD_MHD_NO_MACROS
#include "mhd_lazy.h"

#include "heph/error.h"
#include "heph/lazy.h"

struct hephd_mhd_fns hephd_mhd;

#define SYM(f) { #f, (void **)&hephd_mhd.p_##f },
static const heph_lazy_sym syms[] = { HEPHD_MHD_FUNCS(SYM) { NULL, NULL } };
#undef SYM
/* Debian 12's soname (libmicrohttpd12), then the development link. */
static const char *const sonames[] = { "libmicrohttpd.so.12", "libmicrohttpd.so", NULL };
static heph_lazy lib = HEPH_LAZY_INIT(sonames, syms,
				       "serving a hub needs libmicrohttpd (libmicrohttpd.so.12)",
				       "0.9.71 or later is needed", HEPH_EUNAVAIL);

int hephd_mhd_load(void) { return heph_lazy_load(&lib); }
