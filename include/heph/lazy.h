/* heph/lazy.h — a shared library opened on first use.
 *
 * Some libraries cost every process that links them (relocations, their own
 * dependencies, constructors) while few runs use them: libical for
 * iCalendar, and in hephd libcrypto, libmicrohttpd and libpq. Their users
 * open them with dlopen() on first use and call them through a table of
 * function pointers; this is the one loader behind those tables. Each
 * wrapper (ical_lazy.h, crypto_lazy.h, mhd_lazy.h, pq_lazy.h) lists its
 * functions once, in an X-macro that makes the table, the symbol list
 * below and the macros its callers write plain calls through.
 */
#ifndef HEPH_LAZY_H
#define HEPH_LAZY_H

#include <pthread.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One function to resolve: its name and the table's slot for it. */
typedef struct heph_lazy_sym {
	const char *name;
	void **slot;
} heph_lazy_sym;

typedef struct heph_lazy {
	const char *const *sonames; /* NULL-terminated, tried in order */
	const heph_lazy_sym *syms;  /* ends with a NULL name */
	const char *missing;        /* said when no soname opens ("… needs libpq (libpq.so.5)") */
	const char *too_old;        /* said after "LIB has no FUNCTION" ("PostgreSQL 10's or later is needed") */
	int err;                    /* the heph error a failure is */
	/* the loader's own */
	pthread_mutex_t mu;
	int tried;
	char failure[256]; /* why loading failed, "" when it worked */
} heph_lazy;

#define HEPH_LAZY_INIT(sonames, syms, missing, too_old, err) \
	{ (sonames), (syms), (missing), (too_old), (err), PTHREAD_MUTEX_INITIALIZER, 0, "" }

/* Open the library and fill every slot, once per process (thread-safe;
 * later calls answer as the first did). 0, or l->err with l->failure as
 * the message. */
int heph_lazy_load(heph_lazy *l);

#ifdef __cplusplus
}
#endif

#endif
