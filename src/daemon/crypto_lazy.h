/* crypto_lazy.h — OpenSSL's libcrypto, loaded when the hub first needs it.
 *
 * Only a hub that trusts an identity provider (hephd --oidc-issuer) checks
 * signatures. Linking libcrypto would cost every hephd process (a spoke's
 * local replica too) about 6 MB of resident memory and its relocation time
 * at start, so hephd opens it with dlopen() when OIDC is configured and
 * calls it through this table, the way libcurl (src/net/client.c) and libical
 * (src/lib/ical_lazy.h) are loaded. The headers give the types; a file that
 * uses libcrypto includes this header and writes plain OpenSSL calls: the
 * macros below send them through the table.
 *
 * To use another function, add it to HEPHD_CRYPTO_FUNCS and add its #define
 * at the bottom.
 */
#ifndef HEPHD_CRYPTO_LAZY_H
#define HEPHD_CRYPTO_LAZY_H

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#define HEPHD_CRYPTO_FUNCS(X) \
	X(BN_bin2bn) \
	X(BN_free) \
	X(ECDSA_SIG_free) \
	X(ECDSA_SIG_new) \
	X(ECDSA_SIG_set0) \
	X(ERR_clear_error) \
	X(EVP_DigestVerify) \
	X(EVP_DigestVerifyInit) \
	X(EVP_MD_CTX_free) \
	X(EVP_MD_CTX_new) \
	X(EVP_PKEY_CTX_free) \
	X(EVP_PKEY_CTX_new_from_name) \
	X(EVP_PKEY_CTX_new_from_pkey) \
	X(EVP_PKEY_free) \
	X(EVP_PKEY_fromdata) \
	X(EVP_PKEY_fromdata_init) \
	X(EVP_PKEY_get_bits) \
	X(EVP_PKEY_public_check) \
	X(EVP_PKEY_up_ref) \
	X(EVP_sha256) \
	X(OSSL_PARAM_BLD_free) \
	X(OSSL_PARAM_BLD_new) \
	X(OSSL_PARAM_BLD_push_BN) \
	X(OSSL_PARAM_BLD_push_octet_string) \
	X(OSSL_PARAM_BLD_push_utf8_string) \
	X(OSSL_PARAM_BLD_to_param) \
	X(OSSL_PARAM_free) \
	X(i2d_ECDSA_SIG)

struct hephd_crypto_fns {
#define HEPHD_CRYPTO_MEMBER(f) __typeof__(f) *p_##f;
	HEPHD_CRYPTO_FUNCS(HEPHD_CRYPTO_MEMBER)
#undef HEPHD_CRYPTO_MEMBER
};

/* Load libcrypto (once per process, thread-safely). 0, or HEPH_EUNAVAIL
 * with a message when the library or one of its functions is missing. */
int hephd_crypto_load(void);

/* The table; call hephd_crypto_load() first (it aborts otherwise). */
extern struct hephd_crypto_fns hephd_crypto;

#ifndef HEPHD_CRYPTO_NO_MACROS
#define BN_bin2bn (hephd_crypto.p_BN_bin2bn)
#define BN_free (hephd_crypto.p_BN_free)
#define ECDSA_SIG_free (hephd_crypto.p_ECDSA_SIG_free)
#define ECDSA_SIG_new (hephd_crypto.p_ECDSA_SIG_new)
#define ECDSA_SIG_set0 (hephd_crypto.p_ECDSA_SIG_set0)
#define ERR_clear_error (hephd_crypto.p_ERR_clear_error)
#define EVP_DigestVerify (hephd_crypto.p_EVP_DigestVerify)
#define EVP_DigestVerifyInit (hephd_crypto.p_EVP_DigestVerifyInit)
#define EVP_MD_CTX_free (hephd_crypto.p_EVP_MD_CTX_free)
#define EVP_MD_CTX_new (hephd_crypto.p_EVP_MD_CTX_new)
#define EVP_PKEY_CTX_free (hephd_crypto.p_EVP_PKEY_CTX_free)
#define EVP_PKEY_CTX_new_from_name (hephd_crypto.p_EVP_PKEY_CTX_new_from_name)
#define EVP_PKEY_CTX_new_from_pkey (hephd_crypto.p_EVP_PKEY_CTX_new_from_pkey)
#define EVP_PKEY_free (hephd_crypto.p_EVP_PKEY_free)
#define EVP_PKEY_fromdata (hephd_crypto.p_EVP_PKEY_fromdata)
#define EVP_PKEY_fromdata_init (hephd_crypto.p_EVP_PKEY_fromdata_init)
#define EVP_PKEY_get_bits (hephd_crypto.p_EVP_PKEY_get_bits)
#define EVP_PKEY_public_check (hephd_crypto.p_EVP_PKEY_public_check)
#define EVP_PKEY_up_ref (hephd_crypto.p_EVP_PKEY_up_ref)
#define EVP_sha256 (hephd_crypto.p_EVP_sha256)
#define OSSL_PARAM_BLD_free (hephd_crypto.p_OSSL_PARAM_BLD_free)
#define OSSL_PARAM_BLD_new (hephd_crypto.p_OSSL_PARAM_BLD_new)
#define OSSL_PARAM_BLD_push_BN (hephd_crypto.p_OSSL_PARAM_BLD_push_BN)
#define OSSL_PARAM_BLD_push_octet_string (hephd_crypto.p_OSSL_PARAM_BLD_push_octet_string)
#define OSSL_PARAM_BLD_push_utf8_string (hephd_crypto.p_OSSL_PARAM_BLD_push_utf8_string)
#define OSSL_PARAM_BLD_to_param (hephd_crypto.p_OSSL_PARAM_BLD_to_param)
#define OSSL_PARAM_free (hephd_crypto.p_OSSL_PARAM_free)
#define i2d_ECDSA_SIG (hephd_crypto.p_i2d_ECDSA_SIG)
#endif

#endif
