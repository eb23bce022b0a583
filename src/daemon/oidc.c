/* oidc.c — the hub's check of an identity provider's access tokens.
 *
 * hephd --oidc-issuer URL --oidc-audience AUD trusts the OpenID Connect
 * provider at URL: a bearer token that is a JWT signed by one of the
 * provider's keys, issued by exactly URL for exactly AUD, within its
 * lifetime and naming a subject, speaks for that subject.
 *
 *   discovery   URL/.well-known/openid-configuration, once (its issuer must
 *               be URL itself); it names the key set (jwks_uri) and the
 *               endpoints /config passes on to clients
 *   keys        the JWKS, fetched at start, kept, and fetched again when a
 *               token names a key id we do not hold, or when the set is
 *               older than KEYS_TTL_MS; never more often than once per
 *               --oidc-jwks-refetch seconds, so tokens with made-up key ids
 *               cannot make the hub hammer the provider
 *   algorithm   taken from the key, never from the token: an RSA key (of at
 *               least 2048 bits) verifies RS256, an EC P-256 key ES256, and
 *               the token's "alg" must say the same. "none", HS256 (which
 *               would make a public key an HMAC secret) and every other
 *               algorithm are refused; so are keys of any other kind
 *   claims      iss == URL, aud == AUD (or a list holding it), exp and nbf
 *               with LEEWAY_S seconds of clock skew, sub present
 *   owner       the first subject with a valid token claims the hub (kept
 *               in the hub's device-local settings); any other gets 403
 *               unless listed with --authorized-sub. When subjects are
 *               listed, only a listed one can make the first claim.
 *
 * Signatures are checked by OpenSSL 3's libcrypto (loaded on demand, see
 * crypto_lazy.h): keys are built from the JWK's n/e or x/y with
 * EVP_PKEY_fromdata and checked with EVP_DigestVerify.
 *
 * Threads: pool threads verify concurrently. The key set and the owner are
 * guarded by o->mu; a fetch happens under it, so a burst of requests that
 * all need a new key waits for one fetch. A key in use holds its own
 * reference (EVP_PKEY_up_ref), so replacing the set never frees it early.
 */
#include "hephd.h"
#include "pg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto_lazy.h"
#include "heph/error.h"
#include "net.h"

#define LEEWAY_S 60                /* clock skew allowed on exp and nbf */
#define TOKEN_MAX 16384            /* the longest token looked at */
#define KEYS_MAX 32                /* keys kept from a JWKS */
#define KEYS_TTL_MS (3600 * 1000)  /* refetch a key set this old on next use */
#define FETCH_TIMEOUT_MS 5000      /* a request to the provider */
#define OWNER_SETTING "hub.oidc_owner"

enum alg { ALG_RS256, ALG_ES256 };
static const char *const alg_names[] = { "RS256", "ES256" };

struct key {
	char kid[128];   /* "" when the JWK has none */
	enum alg alg;
	EVP_PKEY *pkey;
};

struct oidc {
	pthread_mutex_t mu;
	/* discovery, once it worked */
	char *jwks_uri, *authorization_endpoint, *token_endpoint, *device_endpoint, *revocation_endpoint;
	/* the key set */
	struct key keys[KEYS_MAX];
	int nkeys;
	int64_t tried_ms;   /* the last fetch attempt (monotonic), 0: never */
	int64_t loaded_ms;  /* the last fetch that worked */
	int last_failed;    /* the last attempt failed */
	char last_error[512];
	/* the owner, once read from the settings */
	int owner_known;
	char *owner_iss, *owner_sub; /* NULL while unclaimed */
};

static int64_t mono_ms(void) { return hephd_now_us(CLOCK_MONOTONIC) / 1000; }

/* ---- fetching ---- */

static int fetch_json(const char *url, const char *what, json_t **out)
{
	net_client *c = NULL;
	struct net_reply r;
	json_error_t je;
	int err;
	*out = NULL;
	if ((err = net_client_new(url, NULL, &c)))
		return err;
	net_client_set_timeout(c, FETCH_TIMEOUT_MS);
	err = net_client_request(c, "GET", "", NULL, 0, &r);
	net_client_free(c);
	if (err)
		return heph_error_wrap(HEPH_EUNAVAIL, "the identity provider cannot be reached for its %s: ", what);
	if (r.status != 200) {
		net_reply_free(&r);
		return heph_error_set(HEPH_EUNAVAIL, "the identity provider answered HTTP %ld for its %s (%s)", r.status,
				      what, url);
	}
	*out = json_loadb(r.body, r.len, 0, &je);
	net_reply_free(&r);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return heph_error_set(HEPH_EUNAVAIL, "the identity provider's %s at %s is not a JSON object", what, url);
	}
	return 0;
}

static char *dup_str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	char *d = v ? strdup(v) : NULL;
	if (v && !d)
		abort();
	return d;
}

/* Discovery (under o->mu). */
static int discover(struct hephd *d)
{
	struct oidc *o = d->oidc;
	char url[2048];
	json_t *doc = NULL;
	size_t n = strlen(d->oidc_issuer);
	int err;
	if (o->jwks_uri)
		return 0;
	/* OpenID Connect Discovery: the issuer without a trailing slash. */
	while (n > 0 && d->oidc_issuer[n - 1] == '/')
		n--;
	snprintf(url, sizeof url, "%.*s/.well-known/openid-configuration", (int)n, d->oidc_issuer);
	if ((err = fetch_json(url, "discovery document", &doc)))
		return err;
	const char *iss = json_string_value(json_object_get(doc, "issuer"));
	if (!iss || strcmp(iss, d->oidc_issuer) != 0) {
		err = heph_error_set(HEPH_EUNAVAIL, "the discovery document at %s names issuer \"%.200s\", not \"%s\" "
				     "(--oidc-issuer must be exactly the provider's issuer)",
				     url, iss ? iss : "", d->oidc_issuer);
		json_decref(doc);
		return err;
	}
	const char *jwks = json_string_value(json_object_get(doc, "jwks_uri"));
	if (!jwks || (strncmp(jwks, "https://", 8) != 0 && strncmp(jwks, "http://", 7) != 0)) {
		json_decref(doc);
		return heph_error_set(HEPH_EUNAVAIL, "the discovery document at %s has no jwks_uri", url);
	}
	o->authorization_endpoint = dup_str(doc, "authorization_endpoint");
	o->token_endpoint = dup_str(doc, "token_endpoint");
	o->device_endpoint = dup_str(doc, "device_authorization_endpoint");
	o->revocation_endpoint = dup_str(doc, "revocation_endpoint");
	o->jwks_uri = dup_str(doc, "jwks_uri");
	json_decref(doc);
	return 0;
}

/* ---- keys ---- */

static int b64_field(json_t *jwk, const char *name, unsigned char **out, size_t *len)
{
	const char *v = json_string_value(json_object_get(jwk, name));
	if (!v || !*v)
		return HEPH_EINVALID;
	return heph_b64url_decode(v, strlen(v), out, len);
}

/* An EVP_PKEY from a JWK the hub accepts (RSA n/e, EC P-256 x/y), with the
 * algorithm it verifies; NULL for any other key. */
static EVP_PKEY *key_from_jwk(json_t *jwk, enum alg *alg)
{
	const char *kty = json_string_value(json_object_get(jwk, "kty"));
	const char *use = json_string_value(json_object_get(jwk, "use"));
	const char *want = json_string_value(json_object_get(jwk, "alg"));
	json_t *ops = json_object_get(jwk, "key_ops");
	unsigned char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *n = NULL, *e = NULL;
	unsigned char point[65]; /* EC: read when the params are built, below */
	if (!kty || (use && strcmp(use, "sig") != 0))
		return NULL;
	if (json_is_array(ops)) {
		size_t i;
		json_t *op;
		int verify = 0;
		json_array_foreach(ops, i, op) verify |= json_is_string(op) && strcmp(json_string_value(op), "verify") == 0;
		if (!verify)
			return NULL;
	}
	if (!(bld = OSSL_PARAM_BLD_new()))
		return NULL;
	if (strcmp(kty, "RSA") == 0) {
		*alg = ALG_RS256;
		if ((want && strcmp(want, "RS256") != 0) || b64_field(jwk, "n", &a, &alen) || b64_field(jwk, "e", &b, &blen) ||
		    alen > 1024 || blen > 16)
			goto out;
		if (!(n = BN_bin2bn(a, (int)alen, NULL)) || !(e = BN_bin2bn(b, (int)blen, NULL)) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
			goto out;
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	} else if (strcmp(kty, "EC") == 0) {
		const char *crv = json_string_value(json_object_get(jwk, "crv"));
		*alg = ALG_ES256;
		if (!crv || strcmp(crv, "P-256") != 0 || (want && strcmp(want, "ES256") != 0) ||
		    b64_field(jwk, "x", &a, &alen) || b64_field(jwk, "y", &b, &blen) || alen != 32 || blen != 32)
			goto out;
		point[0] = 0x04; /* uncompressed: x then y */
		memcpy(point + 1, a, 32);
		memcpy(point + 33, b, 32);
		if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
		    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point))
			goto out;
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	} else {
		goto out; /* "oct" (a shared secret) and everything else: never */
	}
	if (!ctx || !(params = OSSL_PARAM_BLD_to_param(bld)) || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		pkey = NULL;
		goto out;
	}
	if (*alg == ALG_RS256 && EVP_PKEY_get_bits(pkey) < 2048) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	} else if (*alg == ALG_ES256) {
		/* The point must lie on the curve. */
		EVP_PKEY_CTX *chk = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
		if (!chk || EVP_PKEY_public_check(chk) <= 0) {
			EVP_PKEY_free(pkey);
			pkey = NULL;
		}
		EVP_PKEY_CTX_free(chk);
	}
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	free(a);
	free(b);
	ERR_clear_error();
	return pkey;
}

static void keys_clear(struct oidc *o)
{
	for (int i = 0; i < o->nkeys; i++)
		EVP_PKEY_free(o->keys[i].pkey);
	o->nkeys = 0;
}

/* Discover if need be, then fetch the key set and replace ours (under
 * o->mu). A failed fetch keeps the keys we had. */
static int fetch_keys(struct hephd *d)
{
	struct oidc *o = d->oidc;
	json_t *set = NULL, *jwk;
	struct key fresh[KEYS_MAX];
	int n = 0, err;
	size_t i;
	o->tried_ms = mono_ms();
	if ((err = discover(d)) || (err = fetch_json(o->jwks_uri, "key set (JWKS)", &set)))
		goto failed;
	json_array_foreach(json_object_get(set, "keys"), i, jwk) {
		enum alg alg;
		EVP_PKEY *pk;
		const char *kid = json_string_value(json_object_get(jwk, "kid"));
		if (n == KEYS_MAX || !json_is_object(jwk) || (kid && strlen(kid) >= sizeof fresh[0].kid))
			continue;
		if (!(pk = key_from_jwk(jwk, &alg)))
			continue;
		snprintf(fresh[n].kid, sizeof fresh[n].kid, "%s", kid ? kid : "");
		fresh[n].alg = alg;
		fresh[n].pkey = pk;
		n++;
	}
	json_decref(set);
	if (n == 0) {
		err = heph_error_set(HEPH_EUNAVAIL, "the identity provider's key set at %s holds no RS256 or ES256 "
				     "signing key", o->jwks_uri);
		goto failed;
	}
	keys_clear(o);
	memcpy(o->keys, fresh, sizeof fresh[0] * (size_t)n);
	o->nkeys = n;
	o->loaded_ms = o->tried_ms;
	o->last_failed = 0;
	o->last_error[0] = '\0';
	hephd_log("oidc: %d signing key%s from %s", n, n == 1 ? "" : "s", o->jwks_uri);
	return 0;
failed:
	o->last_failed = 1;
	snprintf(o->last_error, sizeof o->last_error, "%s", heph_error_last());
	hephd_log("oidc: %s", o->last_error);
	return heph_error_set(err, "%s", o->last_error);
}

static struct key *find_key(struct oidc *o, const char *kid)
{
	if (!kid)
		return o->nkeys == 1 ? &o->keys[0] : NULL; /* no kid: only when there is one key */
	for (int i = 0; i < o->nkeys; i++)
		if (strcmp(o->keys[i].kid, kid) == 0)
			return &o->keys[i];
	return NULL;
}

/* The key for kid, fetching the key set when it is unknown or old and a
 * fetch is allowed now. *pkey holds a reference for the caller. */
static int key_for(struct hephd *d, const char *kid, EVP_PKEY **pkey, enum alg *alg)
{
	struct oidc *o = d->oidc;
	int err = 0;
	*pkey = NULL;
	pthread_mutex_lock(&o->mu);
	int64_t now = mono_ms();
	int may_fetch = o->tried_ms == 0 || now - o->tried_ms >= (int64_t)d->oidc_refetch * 1000;
	struct key *k = find_key(o, kid);
	if (may_fetch && (!k || now - o->loaded_ms >= KEYS_TTL_MS)) {
		err = fetch_keys(d);
		k = find_key(o, kid);
		if (err && !k) {
			pthread_mutex_unlock(&o->mu);
			return HEPH_EUNAVAIL; /* the message is fetch_keys' */
		}
	}
	if (!k) {
		if (o->nkeys == 0 && o->last_failed)
			err = heph_error_set(HEPH_EUNAVAIL, "the identity provider's keys are not known yet: %s",
					     o->last_error);
		else if (!kid)
			err = heph_error_set(HEPH_EAUTH, "invalid token: it names no key id (kid)");
		else
			err = heph_error_set(HEPH_EAUTH, "invalid token: signed with an unknown key (kid \"%.60s\")", kid);
		pthread_mutex_unlock(&o->mu);
		return err;
	}
	EVP_PKEY_up_ref(k->pkey);
	*pkey = k->pkey;
	*alg = k->alg;
	pthread_mutex_unlock(&o->mu);
	return 0;
}

/* ---- the token ---- */

static int verify_sig(EVP_PKEY *pkey, enum alg alg, const char *input, size_t ilen, const unsigned char *sig,
		      size_t slen)
{
	unsigned char der[80], *p = der;
	const unsigned char *s = sig;
	size_t dlen = slen;
	int ok = 0;
	if (alg == ALG_ES256) {
		/* JWS writes r || s (32 bytes each); OpenSSL wants DER. */
		ECDSA_SIG *es = ECDSA_SIG_new();
		BIGNUM *r = NULL, *ss = NULL;
		if (slen != 64 || !es)
			goto es_out;
		r = BN_bin2bn(sig, 32, NULL);
		ss = BN_bin2bn(sig + 32, 32, NULL);
		if (!r || !ss || !ECDSA_SIG_set0(es, r, ss))
			goto es_out;
		r = ss = NULL; /* owned by es now */
		int n = i2d_ECDSA_SIG(es, NULL);
		if (n <= 0 || n > (int)sizeof der || i2d_ECDSA_SIG(es, &p) != n)
			goto es_out;
		s = der;
		dlen = (size_t)n;
		ok = 1;
	es_out:
		BN_free(r);
		BN_free(ss);
		ECDSA_SIG_free(es);
		if (!ok) {
			ERR_clear_error();
			return 0;
		}
	}
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) == 1 &&
	     EVP_DigestVerify(md, s, dlen, (const unsigned char *)input, ilen) == 1;
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return ok;
}

static json_t *decode_part(const char *p, size_t n)
{
	unsigned char *raw = NULL;
	size_t len;
	if (heph_b64url_decode(p, n, &raw, &len))
		return NULL;
	json_t *j = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, NULL);
	free(raw);
	if (!json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static int claim_time(json_t *payload, const char *name, int required, int64_t *out)
{
	json_t *v = json_object_get(payload, name);
	if (!v)
		return required ? heph_error_set(HEPH_EAUTH, "invalid token: it has no \"%s\" claim", name) : 1;
	if (!json_is_number(v))
		return heph_error_set(HEPH_EAUTH, "invalid token: \"%s\" is not a number", name);
	*out = (int64_t)json_number_value(v);
	return 0;
}

static int has_audience(json_t *aud, const char *want)
{
	size_t i;
	json_t *a;
	if (json_is_string(aud))
		return strcmp(json_string_value(aud), want) == 0;
	json_array_foreach(aud, i, a) if (json_is_string(a) && strcmp(json_string_value(a), want) == 0) return 1;
	return 0;
}

static void fmt_time(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Verify the token; *sub (malloc'd) is its subject. */
static int verify(struct hephd *d, const char *jwt, char **sub)
{
	const char *dot1, *dot2;
	json_t *header = NULL, *payload = NULL;
	unsigned char *sig = NULL;
	size_t slen = 0;
	EVP_PKEY *pkey = NULL;
	enum alg alg = ALG_RS256;
	int err;
	int64_t exp, nbf, now = (int64_t)time(NULL);
	*sub = NULL;
	size_t n = strlen(jwt);
	if (n > TOKEN_MAX)
		return heph_error_set(HEPH_EAUTH, "invalid token: longer than %d bytes", TOKEN_MAX);
	if (!(dot1 = strchr(jwt, '.')) || !(dot2 = strchr(dot1 + 1, '.')) || strchr(dot2 + 1, '.'))
		return heph_error_set(HEPH_EAUTH, "invalid token: neither a device token nor a JWT (header.payload.signature)");
	if (!(header = decode_part(jwt, (size_t)(dot1 - jwt))) ||
	    !(payload = decode_part(dot1 + 1, (size_t)(dot2 - dot1 - 1)))) {
		err = heph_error_set(HEPH_EAUTH, "invalid token: its header or payload is not base64url JSON");
		goto out;
	}
	const char *talg = json_string_value(json_object_get(header, "alg"));
	json_t *jkid = json_object_get(header, "kid");
	if (!talg || strcmp(talg, "none") == 0 || !*talg) {
		err = heph_error_set(HEPH_EAUTH, "invalid token: unsigned tokens (alg \"none\") are refused");
		goto out;
	}
	if (json_object_get(header, "crit")) {
		err = heph_error_set(HEPH_EAUTH, "invalid token: it has critical header parameters this hub does not know");
		goto out;
	}
	if (jkid && !json_is_string(jkid)) {
		err = heph_error_set(HEPH_EAUTH, "invalid token: its key id is not a string");
		goto out;
	}
	if (heph_b64url_decode(dot2 + 1, strlen(dot2 + 1), &sig, &slen) || slen == 0) {
		err = heph_error_set(HEPH_EAUTH, "invalid token: its signature is not base64url");
		goto out;
	}
	/* The key decides the algorithm; the token's "alg" must agree. */
	if ((err = key_for(d, json_string_value(jkid), &pkey, &alg)))
		goto out;
	if (strcmp(talg, alg_names[alg]) != 0) {
		err = heph_error_set(HEPH_EAUTH, "invalid token: it claims alg %.20s, but its key verifies %s only", talg,
				     alg_names[alg]);
		goto out;
	}
	if (!verify_sig(pkey, alg, jwt, (size_t)(dot2 - jwt), sig, slen)) {
		err = heph_error_set(HEPH_EAUTH, "invalid token: bad signature");
		goto out;
	}
	/* Claims. */
	const char *iss = json_string_value(json_object_get(payload, "iss"));
	if (!iss || strcmp(iss, d->oidc_issuer) != 0) {
		err = heph_error_set(HEPH_EAUTH, "invalid token: issued by \"%.200s\", not by %s", iss ? iss : "",
				     d->oidc_issuer);
		goto out;
	}
	if (!has_audience(json_object_get(payload, "aud"), d->oidc_audience)) {
		err = heph_error_set(HEPH_EAUTH, "invalid token: not meant for this hub (audience is not \"%s\")",
				     d->oidc_audience);
		goto out;
	}
	if ((err = claim_time(payload, "exp", 1, &exp)))
		goto out;
	if (now > exp + LEEWAY_S) {
		char when[32];
		fmt_time(exp, when, sizeof when);
		err = heph_error_set(HEPH_EAUTH, "invalid token: expired at %s", when);
		goto out;
	}
	if ((err = claim_time(payload, "nbf", 0, &nbf)) < 0)
		goto out;
	if (err == 0 && now + LEEWAY_S < nbf) {
		char when[32];
		fmt_time(nbf, when, sizeof when);
		err = heph_error_set(HEPH_EAUTH, "invalid token: not valid before %s", when);
		goto out;
	}
	err = 0;
	const char *s = json_string_value(json_object_get(payload, "sub"));
	if (!s || !*s || strlen(s) > 255) {
		err = heph_error_set(HEPH_EAUTH, "invalid token: it names no subject (sub)");
		goto out;
	}
	if (!(*sub = strdup(s)))
		abort();
out:
	if (pkey)
		EVP_PKEY_free(pkey);
	free(sig);
	json_decref(header);
	json_decref(payload);
	return err;
}

/* ---- the owner ---- */

static int listed(const struct hephd *d, const char *sub)
{
	for (int i = 0; i < d->n_authorized_subs; i++)
		if (strcmp(d->authorized_subs[i], sub) == 0)
			return 1;
	return 0;
}

/* Read the claimed owner from the settings (under o->mu). */
static int load_owner(struct hephd *d, heph_store *s)
{
	struct oidc *o = d->oidc;
	char *v = NULL;
	int err;
	if (o->owner_known)
		return 0;
	if ((err = heph_store_setting_get(s, OWNER_SETTING, &v)))
		return err;
	if (v) {
		json_t *j = json_loads(v, 0, NULL);
		o->owner_iss = dup_str(j, "iss");
		o->owner_sub = dup_str(j, "sub");
		json_decref(j);
		free(v);
	}
	o->owner_known = 1;
	return 0;
}

static int admit(struct hephd *d, heph_store *s, const char *sub)
{
	struct oidc *o = d->oidc;
	int err;
	pthread_mutex_lock(&o->mu);
	if ((err = load_owner(d, s)))
		goto out;
	if (o->owner_sub && strcmp(o->owner_sub, sub) == 0 && o->owner_iss && strcmp(o->owner_iss, d->oidc_issuer) == 0)
		goto out; /* the owner */
	if (listed(d, sub))
		goto out;
	if (!o->owner_sub && d->n_authorized_subs == 0) {
		/* Unclaimed: the first valid identity claims the hub. */
		json_t *j = json_pack("{s:s, s:s}", "iss", d->oidc_issuer, "sub", sub);
		char *text = json_dumps(j, JSON_COMPACT);
		json_decref(j);
		pthread_mutex_lock(&d->write_lock);
		err = heph_store_setting_set(s, OWNER_SETTING, text);
		pthread_mutex_unlock(&d->write_lock);
		free(text);
		if (err)
			goto out;
		if (!(o->owner_iss = strdup(d->oidc_issuer)) || !(o->owner_sub = strdup(sub)))
			abort();
		hephd_log("oidc: this hub is now owned by %s (issuer %s)", sub, d->oidc_issuer);
		goto out;
	}
	err = heph_error_set(HEPH_EFORBIDDEN, "%s is not allowed on this hub: it belongs to another identity "
			     "(its operator can add this one with hephd --authorized-sub %s)",
			     sub, sub);
out:
	pthread_mutex_unlock(&o->mu);
	return err;
}

int oidc_authenticate(struct hephd *d, heph_store *s, const char *jwt, char owner[HEPHD_OWNER_MAX])
{
	char *sub = NULL;
	int err;
	if (!d->oidc)
		return heph_error_set(HEPH_EAUTH, "invalid or revoked token");
	if ((err = verify(d, jwt, &sub)))
		return err;
	if (d->pg) {
		/* A PostgreSQL hub: the subject speaks for the owner it was
		 * given to (hephd owner add NAME --sub SUB), and for no other. */
		char tenant[PG_OWNER_MAX + 1];
		if (!(err = pg_subject_owner(d->pg, sub, tenant)))
			snprintf(owner, HEPHD_OWNER_MAX, "%s/oidc:%.200s", tenant, sub);
	} else if (!(err = admit(d, s, sub)))
		snprintf(owner, HEPHD_OWNER_MAX, "oidc:%s", sub);
	free(sub);
	return err;
}

/* ---- start, stop, /config ---- */

int oidc_start(struct hephd *d)
{
	int err;
	if (!d->oidc_issuer)
		return 0;
	if (strncmp(d->oidc_issuer, "https://", 8) != 0 && strncmp(d->oidc_issuer, "http://", 7) != 0)
		return heph_error_set(HEPH_EUSAGE, "--oidc-issuer wants the provider's URL (https://...), not \"%s\"",
				      d->oidc_issuer);
	if (!d->oidc_audience || !*d->oidc_audience)
		return heph_error_set(HEPH_EUSAGE, "--oidc-issuer needs --oidc-audience AUD: the audience (aud) the "
				      "provider puts in access tokens meant for this hub");
	if ((err = hephd_crypto_load()) || (err = net_init()))
		return err;
	if (!(d->oidc = calloc(1, sizeof *d->oidc)))
		abort();
	pthread_mutex_init(&d->oidc->mu, NULL);
	pthread_mutex_lock(&d->oidc->mu);
	if (fetch_keys(d) != 0)
		hephd_log("oidc: the provider will be asked again when a token needs its keys");
	pthread_mutex_unlock(&d->oidc->mu);
	return 0;
}

void oidc_stop(struct hephd *d)
{
	struct oidc *o = d->oidc;
	if (!o)
		return;
	keys_clear(o);
	free(o->jwks_uri);
	free(o->authorization_endpoint);
	free(o->token_endpoint);
	free(o->device_endpoint);
	free(o->revocation_endpoint);
	free(o->owner_iss);
	free(o->owner_sub);
	pthread_mutex_destroy(&o->mu);
	free(o);
	d->oidc = NULL;
}

json_t *oidc_config(struct hephd *d)
{
	struct oidc *o = d->oidc;
	if (!o)
		return json_null();
	const char *client = d->oidc_client_id ? d->oidc_client_id : d->oidc_audience;
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "issuer", d->oidc_issuer, "client_id", client,
			      "web_client_id", d->oidc_web_client_id ? d->oidc_web_client_id : client, "audience",
			      d->oidc_audience, "scopes", "openid offline_access");
	pthread_mutex_lock(&o->mu);
	if (o->authorization_endpoint)
		json_object_set_new(j, "authorization_endpoint", json_string(o->authorization_endpoint));
	if (o->token_endpoint)
		json_object_set_new(j, "token_endpoint", json_string(o->token_endpoint));
	if (o->device_endpoint)
		json_object_set_new(j, "device_authorization_endpoint", json_string(o->device_endpoint));
	if (o->revocation_endpoint)
		json_object_set_new(j, "revocation_endpoint", json_string(o->revocation_endpoint));
	pthread_mutex_unlock(&o->mu);
	return j;
}
