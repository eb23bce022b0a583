/* pq_lazy.c — opening libpq when hephd first opens a PostgreSQL store (see
 * pq_lazy.h). */
#define HEPHD_PQ_NO_MACROS
#include "pq_lazy.h"

#include "heph/error.h"
#include "heph/lazy.h"

struct hephd_pq_fns hephd_pq;

#define SYM(f) { #f, (void **)&hephd_pq.p_##f },
static const heph_lazy_sym syms[] = { HEPHD_PQ_FUNCS(SYM) { NULL, NULL } };
#undef SYM
/* Debian 12's soname (libpq5), then the development link. */
static const char *const sonames[] = { "libpq.so.5", "libpq.so", NULL };
static heph_lazy lib = HEPH_LAZY_INIT(sonames, syms,
				       "a PostgreSQL store needs libpq (libpq.so.5, Debian's libpq5)",
				       "PostgreSQL 10's or later is needed", HEPH_EUNAVAIL);

int hephd_pq_load(void) { return heph_lazy_load(&lib); }
