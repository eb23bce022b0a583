/* options.c — hephd's command-line options: one table that parses them and
 * prints hephd --help, from which the build writes hephd(8)
 * (scripts/gen-man.py). An option is one row: its name, its value's
 * placeholder, where the value goes in struct hephd, its range and its
 * help, so that a new option cannot be parsed without being documented,
 * nor documented without being parsed.
 */
#include "hephd.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heph/error.h"
#include "heph/sync.h"
#include "net.h"

#ifndef HEPH_DATADIR
#define HEPH_DATADIR "share" /* meson sets it from the install layout */
#endif

enum kind {
	K_FLAG,   /* int, set to 1 */
	K_STR,    /* char *, a copy */
	K_PATH,   /* char *, made absolute (relative to the directory hephd starts in) */
	K_INT,    /* int in [min, max] */
	K_SIZE,   /* size_t in [min, max] */
	K_LIST,   /* char ** with its count at count_off; repeatable */
	K_MODE,   /* enum hephd_mode */
	K_WEB,    /* a path, or none */
	K_SECRET, /* char *, the first line of a private file */
	K_ACTION, /* --help, --version: main acts on it */
};

struct hopt {
	const char *name;      /* "sync-interval" */
	const char *meta;      /* "SECS" (NULL: takes no value) */
	enum kind kind;
	size_t off, count_off; /* offsetof(struct hephd, ...) */
	long long min, max;    /* K_INT, K_SIZE */
	int (*check)(const char *v);
	const char *help;      /* lines: the first beside the option, the rest under it */
};

static int check_sub(const char *v)
{
	return *v ? 0 : heph_error_set(HEPH_EUSAGE, "--authorized-sub and --sub want a subject (the sub claim), not \"\"");
}

static int check_store(const char *v)
{
	return strncmp(v, "postgresql://", 13) == 0 || strncmp(v, "postgres://", 11) == 0
		       ? 0
		       : heph_error_set(HEPH_EUSAGE, "--store and --to want a PostgreSQL URI (postgresql://…), not \"%s\"", v);
}

static int check_host(const char *v)
{
	return *v && !strpbrk(v, "/:@ ")
		       ? 0
		       : heph_error_set(HEPH_EUSAGE, "--allow-host wants a host name (hub.example.org), not \"%s\"", v);
}

static int check_origin(const char *v)
{
	const char *rest = strncmp(v, "https://", 8) == 0 ? v + 8 : strncmp(v, "http://", 7) == 0 ? v + 7 : NULL;
	if (rest && *rest && !strchr(rest, '/'))
		return 0;
	return heph_error_set(HEPH_EUSAGE, "--allow-origin wants an origin (https://app.example.org, no path), not \"%s\"",
			      v);
}

static int check_snapshot(const char *v)
{
	return strcmp(v, "auto") == 0 || strcmp(v, "always") == 0 || strcmp(v, "never") == 0
		       ? 0
		       : heph_error_set(HEPH_EUSAGE, "--sync-snapshot is auto, always or never, not \"%s\"", v);
}

#define AT(field) offsetof(struct hephd, field)
#define LIST(field, count) AT(field), AT(count)

static const struct hopt opts[] = {
	{ "mode", "local|server|client", K_MODE, AT(mode), 0, 0, 0, NULL, "what hephd is (default local; see above)" },
	{ "db", "PATH", K_PATH, AT(db), 0, 0, 0, NULL,
	  "database (default $HEPH_DB, else $XDG_DATA_HOME/heph/heph.db)" },
	{ "store", "URL", K_STR, AT(store), 0, 0, 0, check_store,
	  "keep the hub in PostgreSQL (server; postgresql://…, libpq's URI)\ninstead of --db: many owners, any number of "
	  "hephd instances\non one database (docs/how-to/run-a-hub-for-many-people.md)" },
	{ "state-dir", "DIR", K_PATH, AT(state_dir), 0, 0, 0, NULL,
	  "where a PostgreSQL hub keeps each owner's replica for /rpc and\nthe web app (default: hub-replicas beside --db)" },
	{ "owner", "NAME", K_STR, AT(owner), 0, 0, 0, NULL, "the owner a token is for (hephd token … --store)" },
	{ "to", "URL", K_STR, AT(migrate_to), 0, 0, 0, check_store, "the PostgreSQL store hephd migrate moves --db into" },
	{ "sub", "SUBJECT", K_LIST, LIST(subs, n_subs), 0, 0, check_sub,
	  "an identity provider's subject that speaks for the owner\n(hephd owner add; repeatable)" },
	{ "socket", "PATH", K_PATH, AT(socket), 0, 0, 0, NULL,
	  "unix socket (default $HEPH_SOCKET, else\n$XDG_RUNTIME_DIR/heph/hephd.sock, else /tmp/heph-UID/hephd.sock)" },
	{ "http-addr", "HOST:PORT", K_STR, AT(http_addr), 0, 0, 0, NULL,
	  "where the hub listens (default 127.0.0.1:8420; port 0 picks one)" },
	{ "web-root", "DIR", K_WEB, AT(web_root), 0, 0, 0, NULL,
	  "serve the web app from DIR (server; default the one installed\nwith hephd, ../" HEPH_DATADIR
	  "/heph/web from hephd's directory, when\nit exists; none: no web app)" },
	{ "hub-url", "URL", K_STR, AT(hub_url), 0, 0, 0, NULL, "the hub (local, client; default: heph hub set)" },
	{ "token-file", "FILE", K_PATH, AT(token_file), 0, 0, 0, NULL,
	  "the bearer token for the hub (default: heph hub set)" },
	{ "metrics-token-file", "FILE", K_SECRET, AT(metrics_token), 0, 0, 0, NULL,
	  "a bearer token that may read GET /metrics (server; from\nloopback it is readable without one)" },
	{ "sync-interval", "SECS", K_INT, AT(sync_interval), 0, 1, 86400, NULL,
	  "seconds between background syncs (default 30)" },
	{ "sync-batch", "N", K_INT, AT(sync_batch), 0, 1, HEPH_SYNC_PULL_LIMIT, NULL,
	  "ops per sync request (default 20000 pulled, 1000 pushed)" },
	{ "sync-snapshot", "auto|always|never", K_STR, AT(sync_snapshot), 0, 0, 0, check_snapshot,
	  "an empty replica starts from the hub's snapshot: auto (when the\nhub holds over 20000 ops), always, never "
	  "(replay the op-log);\ndefault $HEPH_SYNC_SNAPSHOT, else auto" },
	{ "no-auth", NULL, K_FLAG, AT(no_auth), 0, 0, 0, NULL, "serve without credentials; only on a loopback address" },
	{ "oidc-issuer", "URL", K_STR, AT(oidc_issuer), 0, 0, 0, NULL,
	  "also accept access tokens of this OpenID Connect provider\n(server; the exact issuer, e.g. "
	  "https://id.example.org/application/o/heph/)" },
	{ "oidc-audience", "AUD", K_STR, AT(oidc_audience), 0, 0, 0, NULL,
	  "the audience (aud) its access tokens for this hub carry" },
	{ "oidc-client-id", "ID", K_STR, AT(oidc_client_id), 0, 0, 0, NULL,
	  "the client id heph and the web app log in with (default: AUD)" },
	{ "oidc-web-client-id", "ID", K_STR, AT(oidc_web_client_id), 0, 0, 0, NULL,
	  "the web app's own client id, if it has one (default: the above)" },
	{ "authorized-sub", "SUB", K_LIST, LIST(authorized_subs, n_authorized_subs), 0, 0, check_sub,
	  "an identity (sub) allowed besides the first one, which claims the\nhub; repeatable. When given, only a "
	  "listed identity can claim it" },
	{ "oidc-jwks-refetch", "SECS", K_INT, AT(oidc_refetch), 0, 0, 86400, NULL,
	  "the least time between two fetches of the provider's keys\nfor tokens naming an unknown key (default 10)" },
	{ "max-body", "BYTES", K_SIZE, AT(max_body), 0, 1024, (long long)1 << 32, NULL,
	  "the largest request body the hub takes (default 33554432)" },
	{ "timeout", "SECS", K_INT, AT(timeout), 0, 1, 3600, NULL, "close a connection silent this long (default 30)" },
	{ "request-timeout", "SECS", K_INT, AT(request_timeout), 0, 1, 3600, NULL,
	  "close a connection whose request (headers and body)\ntakes longer than this to arrive (default 60)" },
	{ "max-connections", "N", K_INT, AT(max_connections), 0, 16, 100000, NULL,
	  "open connections in all, waiting pulls of live sync included\n(default 1000; hephd raises its open-file limit to fit)" },
	{ "max-per-address", "N", K_INT, AT(max_per_address), 0, 1, 100000, NULL,
	  "open connections one client address may hold (default 64;\nbehind a reverse proxy every client shares its "
	  "address)" },
	{ "allow-host", "NAME", K_LIST, LIST(allow_hosts, n_allow_hosts), 0, 0, check_host,
	  "a host name the hub is reached by (repeatable); requests\nnaming another Host are refused (IP literals, "
	  "localhost\nand this machine's name always pass)" },
	{ "allow-origin", "ORIGIN", K_LIST, LIST(allow_origins, n_allow_origins), 0, 0, check_origin,
	  "a web origin (https://app.example) allowed to call the hub\nfrom a browser (CORS; repeatable). The hub's "
	  "own origin\nneeds none" },
	{ "threads", "N", K_INT, AT(threads), 0, 1, 256, NULL, "HTTP worker threads (default 2 per CPU, at most 16)" },
	{ "pid-file", "FILE", K_PATH, AT(pid_file), 0, 0, 0, NULL, "write the process id here" },
	{ "ready-file", "FILE", K_PATH, AT(ready_file), 0, 0, 0, NULL,
	  "once serving, write the hub's URL (server) or the socket\npath here" },
	{ "json", NULL, K_FLAG, AT(json), 0, 0, 0, NULL, "machine-readable output (token, backup)" },
	{ "version", NULL, K_ACTION, 0, 0, 0, 0, NULL, "print the version" },
	{ "help", NULL, K_ACTION, 0, 0, 0, 0, NULL, "this help" },
};

char *hephd_absolute(const char *path)
{
	char cwd[PATH_MAX], *out;
	if (path[0] == '/' || !getcwd(cwd, sizeof cwd))
		out = strdup(path);
	else if (asprintf(&out, "%s/%s", cwd, path) < 0)
		out = NULL;
	if (!out)
		abort();
	return out;
}

static char *copy(const char *v)
{
	char *c = strdup(v);
	if (!c)
		abort();
	return c;
}

static int set(struct hephd *d, const struct hopt *o, const char *v)
{
	char *base = (char *)d, **str = (char **)(base + o->off);
	char *end;
	long long n;
	int err;
	if (o->check && (err = o->check(v)))
		return err;
	switch (o->kind) {
	case K_FLAG:
		*(int *)(base + o->off) = 1;
		return 0;
	case K_STR:
	case K_PATH:
		free(*str);
		*str = o->kind == K_PATH ? hephd_absolute(v) : copy(v);
		return 0;
	case K_WEB:
		free(*str);
		*str = strcmp(v, "none") == 0 ? NULL : hephd_absolute(v);
		d->no_web_root = *str == NULL;
		return 0;
	case K_SECRET:
		free(*str);
		*str = NULL;
		return net_read_token_file(v, str);
	case K_INT:
	case K_SIZE:
		errno = 0;
		n = strtoll(v, &end, 10);
		if (!*v || *end || errno || n < o->min || n > o->max)
			return heph_error_set(HEPH_EUSAGE, "--%s wants a number from %lld to %lld, not \"%s\"", o->name,
					      o->min, o->max, v);
		if (o->kind == K_INT)
			*(int *)(base + o->off) = (int)n;
		else
			*(size_t *)(base + o->off) = (size_t)n;
		return 0;
	case K_LIST: {
		char ***arr = (char ***)(base + o->off);
		int *count = (int *)(base + o->count_off);
		if (!(*arr = realloc(*arr, sizeof **arr * (size_t)(*count + 1))))
			abort();
		(*arr)[(*count)++] = copy(v);
		return 0;
	}
	case K_MODE: {
		static const char *const modes[] = { [MODE_LOCAL] = "local", [MODE_SERVER] = "server",
						     [MODE_CLIENT] = "client" };
		for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
			if (strcmp(v, modes[i]) == 0) {
				d->mode = (enum hephd_mode)i;
				return 0;
			}
		return heph_error_set(HEPH_EUSAGE, "--mode is local, server or client, not \"%s\"", v);
	}
	case K_ACTION:
		break;
	}
	return 0;
}

int hephd_options_parse(struct hephd *d, int argc, char **argv, char **rest, int *nrest, const char **action)
{
	*nrest = 0;
	*action = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *eq, *v;
		const struct hopt *o = NULL;
		int err;
		if (strcmp(a, "-h") == 0)
			a = "--help";
		if (a[0] != '-' || a[1] != '-') {
			rest[(*nrest)++] = argv[i];
			continue;
		}
		eq = strchr(a, '=');
		size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++)
			if (strlen(opts[k].name) == len && strncmp(opts[k].name, a + 2, len) == 0)
				o = &opts[k];
		if (!o)
			return heph_error_set(HEPH_EUSAGE, "unknown option %.*s (see hephd --help)", (int)(len + 2), a);
		if (o->kind == K_ACTION) {
			*action = o->name;
			return 0;
		}
		if (!o->meta) {
			if (eq)
				return heph_error_set(HEPH_EUSAGE, "--%s takes no value", o->name);
			v = "";
		} else if (eq) {
			v = eq + 1;
		} else if (i + 1 < argc) {
			v = argv[++i];
		} else {
			return heph_error_set(HEPH_EUSAGE, "--%s needs a value (%s)", o->name, o->meta);
		}
		if ((err = set(d, o, v)))
			return err;
	}
	return 0;
}

void hephd_options_help(FILE *f)
{
	for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
		const struct hopt *o = &opts[k];
		char term[64];
		int w = snprintf(term, sizeof term, "--%s%s%s", o->name, o->meta ? " " : "", o->meta ? o->meta : "");
		/* the help beside the option from column 24, or two spaces after a long one */
		fprintf(f, "  %s%*s", term, w < 21 ? 22 - w : 2, "");
		for (const char *p = o->help; *p; p++) {
			fputc(*p, f);
			if (*p == '\n')
				fprintf(f, "%24s", "");
		}
		fputc('\n', f);
	}
}

void hephd_options_free(struct hephd *d)
{
	char *base = (char *)d;
	for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
		const struct hopt *o = &opts[k];
		switch (o->kind) {
		case K_STR:
		case K_PATH:
		case K_WEB:
		case K_SECRET:
			free(*(char **)(base + o->off));
			*(char **)(base + o->off) = NULL;
			break;
		case K_LIST: {
			char ***arr = (char ***)(base + o->off);
			int *count = (int *)(base + o->count_off);
			for (int i = 0; i < *count; i++)
				free((*arr)[i]);
			free(*arr);
			*arr = NULL;
			*count = 0;
			break;
		}
		default:
			break;
		}
	}
}
