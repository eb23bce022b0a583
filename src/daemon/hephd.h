/* hephd.h — what hephd's parts share: its configuration, the hub (http.c),
 * the socket server (socket.c), the background sync of a spoke (spoke.c)
 * and the one credential check (auth.c).
 *
 * Threads: a heph_store belongs to one thread, so every thread that touches
 * the database opens its own (http.c keeps one per pool thread, socket.c
 * one per connection, spoke.c its own). SQLite's WAL lets readers run
 * beside the one writer.
 *
 * The writing rule: every write is one BEGIN IMMEDIATE transaction
 * (heph_store_begin), and SQLite orders the writers: those of hephd's
 * threads, and those of other processes (heph on the same database, a
 * second hephd), which no mutex of ours could reach. A writer that finds the
 * database locked waits in SQLite's busy handler (5 s, heph_store_open) and
 * then fails with a clear error; it never loses a change silently.
 * d->write_lock is not part of that rule: it only lets the hub's HTTP
 * writers (/rpc writes, /sync/push, login) queue in order on one shared,
 * warm writer store instead of polling in the busy handler. socket.c's
 * connections (one user's commands) and spoke.c's sync (which holds a cycle
 * across network round trips, so it must not hold a mutex) do not take it.
 * tests/sync/writers.sh writes through every path at once and checks that
 * nothing is lost.
 */
#ifndef HEPHD_H
#define HEPHD_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <stdio.h>

#include <jansson.h>

#include "heph/rpc.h"
#include "heph/store.h"
#include "heph/sync.h"

enum hephd_mode { MODE_LOCAL, MODE_SERVER, MODE_CLIENT };

struct spoke;
struct hub;
struct oidc;
struct snapshots;

struct hephd {
	enum hephd_mode mode;        /* --mode */
	int json;                    /* --json (token, backup) */
	char *db;                    /* --db, absolute */
	char *store;                 /* --store postgresql://…, or NULL: the SQLite hub of --db */
	char *state_dir;             /* --state-dir, absolute: replicas of a PostgreSQL hub's owners */
	char *owner;                 /* --owner NAME (hephd token … --store) */
	char *migrate_to;            /* --to URL (hephd migrate) */
	char **subs;                 /* --sub SUBJECT, repeatable (hephd owner add) */
	int n_subs;
	char *socket;                /* --socket (local, client) */
	char *http_addr;             /* --http-addr HOST:PORT (server) */
	char *web_root;              /* --web-root, absolute, or NULL */
	int no_web_root;             /* --web-root none */
	char *hub_url;               /* --hub-url, or NULL: the database's setting */
	char *token_file;            /* --token-file, or NULL: the database's setting */
	char *metrics_token;         /* the token of --metrics-token-file: a bearer that may read /metrics */
	int sync_interval;           /* --sync-interval seconds */
	int sync_batch;              /* --sync-batch ops per request (0: protocol default) */
	char *sync_snapshot;         /* --sync-snapshot auto|always|never, or NULL: $HEPH_SYNC_SNAPSHOT */
	int no_auth;                 /* --no-auth (loopback only) */
	size_t max_body;             /* --max-body bytes */
	int timeout;                 /* --timeout seconds of silence before a connection is closed */
	int threads;                 /* --threads in the HTTP pool */
	int request_timeout;         /* --request-timeout: seconds a request may take to arrive */
	int max_per_address;         /* --max-per-address: open connections from one address */
	int max_connections;         /* --max-connections: open connections in all */
	char **allow_hosts;          /* --allow-host NAME, repeatable: Host names served */
	int n_allow_hosts;
	char **allow_origins;        /* --allow-origin ORIGIN, repeatable: CORS for these */
	int n_allow_origins;
	char *ready_file;            /* --ready-file: written once serving */
	char *pid_file;              /* --pid-file */
	char *oidc_issuer;           /* --oidc-issuer URL, or NULL: device tokens only */
	char *oidc_audience;         /* --oidc-audience: the aud access tokens must carry */
	char *oidc_client_id;        /* --oidc-client-id (default: the audience), told by /config */
	char *oidc_web_client_id;    /* --oidc-web-client-id (default: oidc_client_id) */
	char **authorized_subs;      /* --authorized-sub, repeatable */
	int n_authorized_subs;
	int oidc_refetch;            /* --oidc-jwks-refetch: least seconds between key fetches */
	struct oidc *oidc;           /* server mode with an issuer: the token check (oidc.c) */
	pthread_mutex_t write_lock;  /* the hub's HTTP writers, in turn (see the writing rule above) */
	struct spoke *spoke;         /* local mode: the background sync */
	struct hub *hub;             /* server mode: the HTTP server */
	struct snapshots *snapshots; /* server mode: the snapshot files (snapshot.c) */
	struct pg *pg;               /* server mode with --store: the PostgreSQL store (pg.h) */
};

/* ---- live sync on the hub (live.c) ---- */

struct MHD_Connection;
struct live;

/* A parked pull; it lives in the request it belongs to. */
struct live_wait {
	struct MHD_Connection *c;
	int64_t deadline_ms;    /* answer by then (monotonic ms) even with nothing new */
	int parked;
	struct live_wait *prev, *next;
};

struct live *live_new(void);
void live_free(struct live *l);
/* Commits so far: read before a pull reads its page. */
unsigned live_generation(struct live *l);
/* Suspend c (from its request handler) until the next commit or
 * deadline_ms: 1. 0 when a commit came since gen (read the page again),
 * -1 when the hub stops (answer now). */
int live_park(struct live *l, struct MHD_Connection *c, struct live_wait *w, unsigned gen, int64_t deadline_ms);
/* A write committed: resume every parked pull, at once or, when the last
 * wake was under 250 ms ago, at the watchdog's next live_expire. */
void live_wake(struct live *l);
/* Resume the parked pulls whose wait is over. */
void live_expire(struct live *l, int64_t now_ms);
/* Resume them all and park no more (before the HTTP server stops). */
void live_stop(struct live *l);

/* ---- the hub's group commit (commit.c) ---- */

struct committer;

/* A push waiting for the committer; it lives in the request it belongs to. */
#define HEPHD_OWNER_MAX 300 /* bytes of the owner a request speaks for (auth.c) */

struct commit_job {
	heph_sync_push *push;      /* decoded and checked; the caller's */
	char tenant[HEPHD_OWNER_MAX]; /* a PostgreSQL hub: the owner whose log takes it */
	const char *token;         /* a PostgreSQL hub: the device token's name, or NULL */
	struct MHD_Connection *c;  /* suspended until the job is done */
	int done;                  /* set (atomically) once answered */
	int err;                   /* 0 or the heph error */
	char msg[1024];            /* the error message */
	char *out;                 /* the answer's body (the caller frees it) */
	size_t len;
	struct commit_job *next;
};

/* Start the committer thread; writer gives the writer store, called with
 * d->write_lock held; live is woken after each commit. NULL when no thread
 * can be started. */
struct committer *committer_start(struct hephd *d, int (*writer)(struct hephd *d, heph_store **out),
				  struct live *live);
/* Queue j and suspend c (from its request handler): 0. The handler is
 * called again once committer_done(j). HEPH_EUNAVAIL once stopping. */
int committer_submit(struct committer *k, struct MHD_Connection *c, struct commit_job *j);
int committer_done(const struct commit_job *j);
/* Answer what is queued, refuse more, end the thread, log how many pushes
and groups it committed; accepts NULL. */
void committer_stop(struct committer *k);
/* Free it, once nothing can submit (the HTTP server stopped); accepts NULL. */
void committer_free(struct committer *k);

/* ---- the command line (options.c) ---- */

/* Parse argv's options into d (its defaults set by the caller); the other
 * words go to rest (*nrest of them). *action is "help" or "version" when
 * that option was given (parsing stops there), else NULL. HEPH_EUSAGE with
 * the message for an unknown option, a missing or bad value. */
int hephd_options_parse(struct hephd *d, int argc, char **argv, char **rest, int *nrest, const char **action);

/* The options' part of hephd --help, from the same table. */
void hephd_options_help(FILE *f);

/* Free what the options' fields of d hold (strings and lists). */
void hephd_options_free(struct hephd *d);

/* path made absolute against the current directory (malloc'd). */
char *hephd_absolute(const char *path);

/* Open a store for the calling thread (the database exists by now).
 * cache_kb: its page cache (0: libheph's default). */
int hephd_open_store(const struct hephd *d, int cache_kb, heph_store **out);

/* Log one line to stderr with a timestamp. */
void hephd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Microseconds on clock c (CLOCK_MONOTONIC for intervals, CLOCK_REALTIME for
 * wall-clock stamps). */
int64_t hephd_now_us(clockid_t c);

/* ---- the hub (http.c) ---- */

/* Start serving HTTP on d->http_addr; *url_out (malloc'd) is the base URL
 * actually bound (the port filled in when 0 was asked). */
int hub_start(struct hephd *d, char **url_out);
void hub_stop(struct hephd *d);

/* ---- snapshots on the hub (snapshot.c) ---- */

struct MHD_Response;
void snapshots_init(struct hephd *d);
void snapshots_free(struct hephd *d);
/* The answer to an authenticated GET /sync/snapshot (s: the thread's
 * store; with a PostgreSQL store NULL, and owner the owner asking, else
 * ignored): *out with *status 200 or 206, or a heph error with its message
 * set and *status the HTTP status to answer (0: the error's own). */
int snapshot_response(struct hephd *d, struct MHD_Connection *c, heph_store *s, const char *owner,
		      struct MHD_Response **out, unsigned *status);

/* ---- auth (auth.c) ---- */

/* The one credential check: map a request's Authorization header (may be
 * NULL) to the owner it speaks for, or fail with HEPH_EAUTH (missing, bad or
 * revoked credential), HEPH_EFORBIDDEN (a valid identity that is not this
 * hub's owner) or HEPH_EUNAVAIL (the identity provider could not be reached
 * for a key). Device tokens and the identity provider's access tokens. */
int hub_authenticate(struct hephd *d, heph_store *s, const char *authorization,
		     char owner[HEPHD_OWNER_MAX]);

/* With a PostgreSQL store (d->pg) the owner hub_authenticate() gives is
 * "OWNER/token:NAME" or "OWNER/oidc:SUB": the owner whose data the request
 * may reach, then the principal. These split it (tenant: the part before
 * the slash; principal: the whole text, which is unique across owners). */
void hub_owner_split(const char *owner, char tenant[HEPHD_OWNER_MAX], const char **principal);

/* ---- identity provider tokens (oidc.c) ---- */

/* Set up the check of the provider's access tokens (d->oidc): load
 * libcrypto and try discovery and the key set once (a provider that is down
 * now is tried again when a token needs it). */
int oidc_start(struct hephd *d);
void oidc_stop(struct hephd *d);

/* Verify an access token (a JWT) and map its subject to the owner it
 * speaks for: HEPH_EAUTH for a token that is not valid, HEPH_EFORBIDDEN for
 * a valid identity that may not use this hub, HEPH_EUNAVAIL when a key had
 * to be fetched and the provider could not be reached. */
int oidc_authenticate(struct hephd *d, heph_store *s, const char *jwt, char owner[HEPHD_OWNER_MAX]);

/* What /config tells clients about logging in (a new reference). */
json_t *oidc_config(struct hephd *d);

/* True when host (a literal address or "localhost") is a loopback address. */
int hephd_is_loopback(const char *host);

/* ---- the unix socket (socket.c) ---- */

/* Bind the socket (removing a stale one, refusing a live one), mode 0600. */
int socket_listen(struct hephd *d, int *fd_out);

/* Serve connections until *stop is set or stop_fd is readable: each
 * connection gets a thread that answers JSON-RPC lines (local: against the
 * database, with the spoke's hooks; client: forwarded to the hub). */
int socket_serve(struct hephd *d, int listen_fd, int stop_fd);

/* ---- background sync (spoke.c) ---- */

/* Start the sync thread of a local hephd (a no-op thread until a hub is
 * set). */
int spoke_start(struct hephd *d);
void spoke_stop(struct hephd *d);

/* The host hooks a local hephd lends to the methods (sync.now waits for a
 * cycle of the sync thread; writes wake it). */
const heph_rpc_host *spoke_host(struct hephd *d);

#endif
