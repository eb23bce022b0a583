/* auth.c — the hub's one credential check: a request's Authorization
 * header to the owner it speaks for. Two kinds of bearer token:
 *   heph_...   a device token this hub made (heph/token.h)
 *   a JWT      an access token of the identity provider the hub trusts
 *              (hephd --oidc-issuer; verified in oidc.c)
 * Both may be enabled; every endpoint that needs a credential asks here. */
#include "hephd.h"
#include "pg.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "heph/error.h"
#include "heph/token.h"

int hephd_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

int hub_authenticate(struct hephd *d, heph_store *s, const char *authorization, char owner[HEPHD_OWNER_MAX])
{
	char name[HEPH_TOKEN_NAME_MAX + 1];
	const char *tok;
	int err;
	owner[0] = '\0';
	if (d->no_auth) {
		snprintf(owner, HEPHD_OWNER_MAX, "anyone (--no-auth)");
		return 0;
	}
	if (!authorization || !*authorization)
		return heph_error_set(HEPH_EAUTH, d->oidc ? "missing credential: send Authorization: Bearer TOKEN "
							    "(log in with heph auth login, or use a device token)"
							  : "missing credential: send Authorization: Bearer TOKEN "
							    "(make one on the hub with hephd token create NAME)");
	if (strncasecmp(authorization, "Bearer ", 7) != 0)
		return heph_error_set(HEPH_EAUTH, "unsupported credential: want Authorization: Bearer TOKEN");
	tok = authorization + 7;
	while (*tok == ' ')
		tok++;
	if (strncmp(tok, HEPH_TOKEN_PREFIX, strlen(HEPH_TOKEN_PREFIX)) != 0)
		return oidc_authenticate(d, s, tok, owner);
	if (d->pg) {
		char tenant[PG_OWNER_MAX + 1];
		if ((err = pg_authenticate(d->pg, tok, tenant, name, sizeof name)))
			return err;
		snprintf(owner, HEPHD_OWNER_MAX, "%s/token:%s", tenant, name);
		return 0;
	}
	if ((err = heph_token_verify(s, tok, name)))
		return err;
	/* Every device token is issued by this hub for its one owner. */
	snprintf(owner, HEPHD_OWNER_MAX, "token:%s", name);
	return 0;
}

void hub_owner_split(const char *owner, char tenant[HEPHD_OWNER_MAX], const char **principal)
{
	size_t n = strcspn(owner, "/");
	snprintf(tenant, HEPHD_OWNER_MAX, "%.*s", (int)n, owner);
	*principal = owner;
}
