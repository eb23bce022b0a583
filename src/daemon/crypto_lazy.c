/* crypto_lazy.c — opening libcrypto when the hub first needs it (see
 * crypto_lazy.h). */
#define HEPHD_CRYPTO_NO_MACROS
#include "crypto_lazy.h"

#include "heph/error.h"
#include "heph/lazy.h"

struct hephd_crypto_fns hephd_crypto;

#define SYM(f) { #f, (void **)&hephd_crypto.p_##f },
static const heph_lazy_sym syms[] = { HEPHD_CRYPTO_FUNCS(SYM) { NULL, NULL } };
#undef SYM
/* OpenSSL 3's soname (Debian 12's libssl3), then the development link. */
static const char *const sonames[] = { "libcrypto.so.3", "libcrypto.so", NULL };
static heph_lazy lib = HEPH_LAZY_INIT(sonames, syms,
				       "checking identity provider tokens needs OpenSSL 3 (libcrypto.so.3)",
				       "OpenSSL 3 is needed", HEPH_EUNAVAIL);

int hephd_crypto_load(void) { return heph_lazy_load(&lib); }
