/* http.c — the hub: libmicrohttpd with a thread pool in front of the same
 * store and engine every replica runs.
 *
 *   endpoint          auth   what
 *   POST /sync/push   yes    take a batch of ops (heph_sync_push_apply), all or none
 *   GET  /sync/pull   yes    a page of ops after a cursor (heph_sync_pull_page)
 *   GET  /sync/snapshot  yes  the replica as one file, resumable (snapshot.c)
 *   POST /rpc         yes    the JSON-RPC method table (heph_rpc_request_run)
 *   GET  /config      no     what a client needs before it logs in
 *   GET  /healthz     no     200 while the database answers
 *   GET  /calendar/SECRET.ics  the secret   the owner's calendar feed (heph/calendar.h):
 *                            read-only, ETag and Last-Modified, 304 when
 *                            unchanged; any other secret is 404, as a wrong
 *                            path is, and the request log shows no secret
 *   GET  anything     no     files under --web-root; a path without a dot in
 *                            its last segment falls back to index.html
 *   OPTIONS /rpc, /config, /healthz   a CORS preflight, for --allow-origin origins
 *
 * What a request must pass, in order, once its headers are in and before a
 * byte of its body is read (docs/explanation/hub-threats.md says why):
 *   - its Host names this hub: an IP literal, localhost, or an --allow-host
 *     name (421 otherwise; a DNS-rebinding page names its own host);
 *   - an Origin, when sent, is the hub's own (the scheme and the Host) or an
 *     --allow-origin one (403 otherwise; a page elsewhere cannot even send
 *     a "simple" request that needs no preflight);
 *   - the method is the route's (405, with Allow);
 *   - a route that takes no body is sent none (400), one Content-Length at
 *     most (400: a proxy in front might read another);
 *   - POST routes: the credential (401/403), then a declared length within
 *     --max-body (413).
 * A chunked body past --max-body is read and dropped without being kept,
 * and answered 413 once it ends. CORS headers go only to --allow-origin
 * origins: the hub's own pages need none. A POST /rpc may carry
 * Idempotency-Key: the hub keeps the answers of writing requests by the
 * caller, the key and the request (heph/idem.h) and answers a retry with the
 * kept answer instead of running it again; the same key with another
 * request is 422. The answer is kept in a transaction right after the
 * request's own: only a crash between the two commits forgets it.
 *
 * Connections. libmicrohttpd closes one that stays silent for --timeout
 * seconds; the watchdog here closes one whose request has been arriving
 * for more than --request-timeout seconds however it trickles (the
 * slow-loris attack), and one address may hold at most --max-per-address
 * connections. Such drops are logged once per address every ten minutes,
 * and libmicrohttpd's own lines once with a count of their repeats.
 *
 * Errors are JSON, {"error":{"code":C,"name":N,"message":M}}, with the
 * status heph_error_http_status() gives.
 *
 * Reads use a store per pool thread, opened on first use (a thread-specific
 * key closes it when the pool stops). Writes go through one writer store
 * under d->write_lock, which keeps its page cache warm. Pushes are checked
 * (parsed, every op validated) on the pool thread and committed in groups
 * by one committer thread (commit.c) while their connections are
 * suspended: every push queued during a commit goes into the next one, each
 * in its own savepoint (so one failing push fails alone), and each is
 * answered after the commit.
 */
#include "hephd.h"
#include "metrics.h"
#include "pg.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include "mhd_lazy.h"
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "heph/calendar.h"
#include "heph/buf.h"
#include "heph/error.h"
#include "heph/fleet.h"
#include "heph/token.h"
#include "heph/idem.h"
#include "heph/op.h"
#include "heph/sync.h"

#define HUB_READER_CACHE_KB 4096 /* page cache of each pool thread's reading store */

/* One connection, from accept to close (libmicrohttpd's socket context). */
struct conn {
	int fd;                         /* its socket */
	int64_t since_ms;               /* when the request now arriving began; 0: none is */
	char addr[INET6_ADDRSTRLEN];    /* the client's address */
	unsigned status;                /* the status answered to its current request; 0: none yet */
	struct conn *prev, *next;
};

#define LOGGED_MAX 64                  /* addresses whose drops were logged lately */
#define LOG_AGAIN_MS (10 * 60 * 1000)  /* log an address's drops again after this */

struct hub {
	struct MHD_Daemon *mhd;
	pthread_key_t store_key;   /* this pool thread's reading heph_store */
	char *web_real;            /* realpath of --web-root, or NULL */
	heph_store *writer;        /* the writing store; under write_lock */
	struct committer *committer; /* applies the pushes (commit.c) */
	const struct hephd *d;     /* the configuration */
	char self[256];            /* this machine's host name (gethostname), or "" */
	pthread_mutex_t conns_mu;  /* guards conns, logged and stopping */
	pthread_cond_t conns_cv;   /* wakes the watchdog to stop */
	struct conn *conns;        /* every open connection */
	struct {
		char addr[INET6_ADDRSTRLEN];
		int64_t at_ms;
	} logged[LOGGED_MAX];      /* where drops were logged, and when */
	int stopping;              /* the watchdog should end */
	int watching;              /* the watchdog runs */
	pthread_t watchdog;
	struct live *live;         /* pulls waiting for news (live.c) */
	pthread_mutex_t log_mu;    /* guards the three below */
	char last_log[1024];       /* libmicrohttpd's last line */
	int64_t last_log_ms;       /* when it was logged */
	unsigned repeats;          /* and how often it came again since */
	pthread_mutex_t feed_mu;   /* guards the two below */
	char feed_etag[40];        /* the calendar feed's ETag as last served, or "" */
	time_t feed_modified;      /* when that text was first served: its Last-Modified */
};

enum route { R_NONE, R_PUSH, R_PULL, R_RPC, R_CONFIG, R_HEALTH, R_STATIC, R_OPTIONS, R_METRICS, R_CALENDAR,
	     R_SNAPSHOT };
/* Each route's name in the request log and in /metrics. */
static const char *const route_name[] = { "none", "push", "pull", "rpc", "config", "healthz", "static", "options",
					  "metrics", "calendar", "snapshot" };

struct req {
	enum route route;
	heph_buf body;     /* the upload so far */
	size_t dropped;    /* bytes past max_body, not kept */
	char owner[HEPHD_OWNER_MAX]; /* who the credential speaks for */
	uint64_t id;       /* the request id of the log line */
	int64_t start_us;  /* when its headers were in (monotonic) */
	char method[12];   /* for the log line */
	char path[200];    /* likewise, cut */
	struct live_wait wait; /* a pull parked until news (live.c) */
	struct commit_job *job; /* a push queued for the committer, or NULL */
	int64_t deadline_ms; /* a parked pull's: answer by then (0: not parked yet) */
};

/* The upload as a string ("" when none came). */
static const char *body_of(const struct req *q) { return q->body.p ? q->body.p : ""; }

static int64_t now_us(void) { return hephd_now_us(CLOCK_MONOTONIC); }

static int64_t now_ms(void) { return hephd_now_us(CLOCK_MONOTONIC) / 1000; }

/* The text of a socket address ("" when it is neither IPv4 nor IPv6). */
static void addr_text(const struct sockaddr *sa, char out[INET6_ADDRSTRLEN])
{
	out[0] = '\0';
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out, INET6_ADDRSTRLEN);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out, INET6_ADDRSTRLEN);
}

/* The token name of an owner from hub_authenticate(), or NULL. */
static const char *token_of(const char *owner)
{
	const char *slash = strchr(owner, '/');
	if (slash && strncmp(owner, "oidc:", 5) != 0) /* a PostgreSQL hub's OWNER/token:NAME */
		owner = slash + 1;
	return strncmp(owner, "token:", 6) == 0 ? owner + 6 : NULL;
}

/* ---- responses ---- */

/* Whether origin is one of --allow-origin's. */
static int origin_listed(const struct hephd *d, const char *origin)
{
	for (int i = 0; origin && i < d->n_allow_origins; i++)
		if (strcmp(origin, d->allow_origins[i]) == 0)
			return 1;
	return 0;
}

/* The headers every answer carries: nothing of the hub's may be framed,
 * sniffed as another type or leak its URL as a referrer. */
static void security_headers(struct MHD_Response *r)
{
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
}

/* And those of the API's answers: an --allow-origin origin may read them
 * (CORS), others get nothing that allows them. Static files do not vary by
 * Origin: the service worker's cache matches them by Vary, and the app's
 * module scripts are fetched with an Origin its install did not send. */
static void common_headers(const struct hephd *d, struct MHD_Connection *c, struct MHD_Response *r)
{
	const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	security_headers(r);
	MHD_add_response_header(r, "Vary", "Origin");
	if (origin_listed(d, origin))
		MHD_add_response_header(r, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, origin);
}

/* Queue text (malloc'd; taken) as the answer; allow: the Allow header of a
 * 405, or NULL. */
/* Remember the status answered on c, for the request's log line. */
static void note_status(const struct hephd *d, struct MHD_Connection *c, unsigned status)
{
	const union MHD_ConnectionInfo *i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn *k = i ? i->socket_context : NULL;
	if (!k)
		return;
	pthread_mutex_lock(&d->hub->conns_mu);
	k->status = status;
	pthread_mutex_unlock(&d->hub->conns_mu);
}

/* An answer; with closing, the connection closes after it (Connection:
 * close). */
static enum MHD_Result send_answer_closing(const struct hephd *d, struct MHD_Connection *c, unsigned status,
					   char *text, size_t len, const char *type, const char *allow, int closing)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;
	if (!r) {
		free(text);
		return MHD_NO;
	}
	common_headers(d, c, r);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"heph\"");
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE) /* the database is away: a moment, then again */
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "2");
	if (status == MHD_HTTP_UPGRADE_REQUIRED) {
		char up[32];
		snprintf(up, sizeof up, "heph-sync/%d", HEPH_SYNC_PROTOCOL);
		MHD_add_response_header(r, MHD_HTTP_HEADER_UPGRADE, up);
	}
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	if (closing)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	note_status(d, c, status);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_answer(const struct hephd *d, struct MHD_Connection *c, unsigned status, char *text,
				   size_t len, const char *type, const char *allow)
{
	return send_answer_closing(d, c, status, text, len, type, allow, 0);
}

static enum MHD_Result send_text(const struct hephd *d, struct MHD_Connection *c, unsigned status, char *text,
				 size_t len, const char *type)
{
	return send_answer(d, c, status, text, len, type, NULL);
}

static enum MHD_Result send_json(const struct hephd *d, struct MHD_Connection *c, unsigned status, json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!text)
		abort();
	return send_text(d, c, status, text, strlen(text), "application/json");
}

/* An error answer with a status and a name of its own. */
static enum MHD_Result send_error_as(const struct hephd *d, struct MHD_Connection *c, unsigned status, int code,
				     const char *name)
{
	json_t *e = json_pack("{s:{s:i, s:s, s:s}}", "error", "code", heph_error_rpc_code(code), "name", name,
			      "message", heph_error_last());
	metrics_error(code);
	if (code == HEPH_EPROTOCOL)
		json_object_set_new(e, "protocol", json_integer(HEPH_SYNC_PROTOCOL));
	return send_json(d, c, status, e);
}

/* The error response for a heph code and the thread's message. */
static enum MHD_Result send_error(const struct hephd *d, struct MHD_Connection *c, int code)
{
	return send_error_as(d, c, (unsigned)heph_error_http_status(code), code, heph_error_name(code));
}

/* ---- the store of this pool thread ---- */

static void close_store(void *p)
{
	heph_store_close(p);
}

static int thread_store(struct hephd *d, heph_store **out)
{
	heph_store *s = pthread_getspecific(d->hub->store_key);
	int err;
	if (d->pg) /* a PostgreSQL hub has no database file of its own */
		return heph_error_set(HEPH_ENOTFOUND, "not available on a hub whose store is PostgreSQL");
	if (!s) {
		/* Readers mostly stream the op-log to pulls, which a cache does
		 * not speed up; keep each pool thread's small. */
		if ((err = hephd_open_store(d, HUB_READER_CACHE_KB, &s)))
			return err;
		pthread_setspecific(d->hub->store_key, s);
	}
	*out = s;
	return 0;
}

/* ---- endpoints ---- */

/* A decimal integer argument: 0 and *out, HEPH_EINVALID when not one. */
static int int_arg(struct MHD_Connection *c, const char *name, long long dflt, long long *out, int *present)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
	char *end;
	*out = dflt;
	if (present)
		*present = v != NULL;
	if (!v)
		return 0;
	errno = 0;
	/* Digits only: strtoll alone takes leading spaces and a "+". */
	const char *digits = v[0] == '-' ? v + 1 : v;
	long long n = isdigit((unsigned char)digits[0]) ? strtoll(v, &end, 10) : 0;
	if (!isdigit((unsigned char)digits[0]) || *end || errno)
		return heph_error_set(HEPH_EINVALID, "query parameter %s must be an integer (digits only), not \"%.20s\"",
				      name, v);
	*out = n;
	return 0;
}

/* The puller's report of itself from the query (heph/fleet.h), or NULL
 * when it sent none (a version before fleet reporting). */
static int pull_report(struct MHD_Connection *c, long long proto, json_t **out)
{
	static const char *const texts[] = { "name", "version" };
	static const char *const nums[] = { "level", "schema", "unapplied", "deferred" };
	const char *origin = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "origin");
	const char *types = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "op_types");
	json_t *r;
	int err;
	*out = NULL;
	if (!origin)
		return 0;
	if (!json_string_value(r = json_string(origin))) /* NULL: not UTF-8 */
		return heph_error_set(HEPH_EINVALID, "pull: the query parameter origin is not valid UTF-8");
	json_decref(r);
	r = json_pack("{s:s, s:I}", "origin", origin, "protocol", (json_int_t)proto);
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, texts[i]);
		json_t *t = v ? json_string(v) : NULL;
		if (v && !t) {
			json_decref(r);
			return heph_error_set(HEPH_EINVALID, "pull: the query parameter %s is not valid UTF-8 text",
					      texts[i]);
		}
		if (t)
			json_object_set_new(r, texts[i], t);
	}
	for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		long long n;
		int present;
		if ((err = int_arg(c, nums[i], 0, &n, &present))) {
			json_decref(r);
			return err;
		}
		if (present)
			json_object_set_new(r, nums[i], json_integer(n));
	}
	if (types) {
		json_t *a = json_array();
		for (const char *p = types; *p;) {
			const char *e = strchr(p, ',');
			size_t n = e ? (size_t)(e - p) : strlen(p);
			json_t *t = json_stringn(p, n);
			if (!t) {
				json_decref(a);
				json_decref(r);
				return heph_error_set(HEPH_EINVALID, "pull: the query parameter op_types is not valid UTF-8 text");
			}
			json_array_append_new(a, t);
			p += n + (e ? 1 : 0);
		}
		json_object_set_new(r, "op_types", a);
	}
	if ((err = heph_fleet_check(r))) {
		json_decref(r);
		return heph_error_wrap(err, "pull: ");
	}
	*out = r;
	return 0;
}

static int writer(struct hephd *d, heph_store **out);

/* The "head" a pull page states (the writer's own format). */
static int64_t page_head(const char *page)
{
	const char *h = strstr(page, "\"head\":");
	return h ? strtoll(h + 7, NULL, 10) : -1;
}

#define PULL_WAIT_MAX 60 /* the longest wait=SECS a pull may ask */

static enum MHD_Result do_pull(struct hephd *d, struct MHD_Connection *c, heph_store *s, const char *owner,
			       struct req *q)
{
	long long proto, after, limit, wait;
	int has_proto, err, stale = 0;
	char *out;
	size_t len;
	json_t *report = NULL;
	if ((err = int_arg(c, "protocol", 0, &proto, &has_proto)))
		return send_error(d, c, err);
	if (!has_proto) {
		heph_error_set(HEPH_EINVALID, "missing protocol version: GET /sync/pull?protocol=%d&after=SEQ",
			       HEPH_SYNC_PROTOCOL);
		return send_error(d, c, HEPH_EINVALID);
	}
	json_t *pv = json_integer(proto);
	err = heph_sync_check_protocol(pv);
	json_decref(pv);
	if (err)
		return send_error(d, c, err);
	if ((err = int_arg(c, "after", 0, &after, NULL)) ||
	    (err = int_arg(c, "limit", HEPH_SYNC_PULL_LIMIT, &limit, NULL)) ||
	    (err = int_arg(c, "wait", 0, &wait, NULL)))
		return send_error(d, c, err);
	if (after < 0 || limit < 1) {
		heph_error_set(HEPH_EINVALID, "after must be 0 or more and limit 1 or more");
		return send_error(d, c, HEPH_EINVALID);
	}
	if (wait < 0 || wait > PULL_WAIT_MAX) {
		heph_error_set(HEPH_EINVALID, "wait is 0 to %d seconds, not %lld", PULL_WAIT_MAX, wait);
		return send_error(d, c, HEPH_EINVALID);
	}
	/* read before the page: a commit after it is news (live.c) */
	unsigned gen = live_generation(d->hub->live);
	if ((err = pull_report(c, proto, &report)))
		return send_error(d, c, err);
	if (d->pg) {
		char tenant[HEPHD_OWNER_MAX];
		const char *principal;
		hub_owner_split(owner, tenant, &principal);
		err = pg_pull(d->pg, tenant, after, limit > HEPH_SYNC_PULL_LIMIT ? HEPH_SYNC_PULL_LIMIT : (int)limit,
			      report, token_of(owner), &out, &len);
		goto paged;
	}
	/* Most pulls find the device's row as it was a moment ago: no write. */
	int64_t now = heph_store_now_ms(s);
	if (report && (err = heph_fleet_stale(s, report, token_of(owner), now, &stale)) == 0 && stale) {
		heph_store *w = NULL;
		pthread_mutex_lock(&d->write_lock);
		if ((err = writer(d, &w)) == 0)
			err = heph_fleet_note(w, report, token_of(owner), now);
		pthread_mutex_unlock(&d->write_lock);
	}
	if (!err)
		err = heph_sync_pull_page_for(s, after, limit > HEPH_SYNC_PULL_LIMIT ? HEPH_SYNC_PULL_LIMIT : (int)limit,
					      report, &out, &len);
paged:
	json_decref(report);
	if (err)
		return send_error(d, c, err);
	if (wait > 0 && page_head(out) <= after && (!q->deadline_ms || now_ms() < q->deadline_ms)) {
		/* Nothing new: answer at the next commit that brings news, or
		 * in wait seconds (a wake with nothing new parks again). */
		if (!q->deadline_ms)
			q->deadline_ms = now_ms() + wait * 1000;
		int parked = live_park(d->hub->live, c, &q->wait, gen, q->deadline_ms);
		if (parked > 0) {
			free(out);
			return MHD_YES;
		}
		if (parked == 0) {
			/* a commit came meanwhile: its ops may be on this page or the next */
			free(out);
			return do_pull(d, c, s, owner, q);
		}
		/* the hub stops: answer what there is */
	}
	metrics_pull();
	/* A live pull closes its connection: one kept alive after an answer
	 * holds libmicrohttpd's whole memory pool (64 KiB) while its next
	 * pull waits, against about 10 KB for a fresh one. */
	return send_answer_closing(d, c, MHD_HTTP_OK, out, len, "application/json", NULL, wait > 0);
}

/* GET /sync/snapshot: snapshot.c writes the answer. */
static enum MHD_Result do_snapshot(struct hephd *d, struct MHD_Connection *c, heph_store *s, const char *owner)
{
	unsigned status;
	struct MHD_Response *r;
	char tenant[HEPHD_OWNER_MAX];
	const char *principal;
	hub_owner_split(owner, tenant, &principal);
	int err = snapshot_response(d, c, s, tenant, &r, &status);
	if (err)
		return status ? send_error_as(d, c, status, err, heph_error_name(err)) : send_error(d, c, err);
	security_headers(r);
	note_status(d, c, status);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* The writer store; call with write_lock held. */
static int writer(struct hephd *d, heph_store **out)
{
	int err;
	if (d->pg) /* a PostgreSQL hub has no database file of its own */
		return heph_error_set(HEPH_ENOTFOUND, "not available on a hub whose store is PostgreSQL");
	if (!d->hub->writer && (err = hephd_open_store(d, 0, &d->hub->writer)))
		return err;
	*out = d->hub->writer;
	return 0;
}

/* A push: decoded and checked here, then queued for the committer
 * (commit.c) with the connection suspended; the handler is called again
 * once it is committed, and answers. */
static enum MHD_Result do_push(struct hephd *d, struct MHD_Connection *c, struct req *q)
{
	struct commit_job *job = q->job;
	int err;
	if (!job) {
		if (!(job = calloc(1, sizeof *job)))
			abort();
		if (d->pg) {
			const char *principal;
			hub_owner_split(q->owner, job->tenant, &principal);
			job->token = token_of(q->owner);
		}
		if ((err = heph_sync_push_decode_from(body_of(q), q->body.n, token_of(q->owner), &job->push)) ||
		    (err = committer_submit(d->hub->committer, c, job))) {
			heph_sync_push_free(job->push);
			free(job);
			return send_error(d, c, err);
		}
		q->job = job;
		return MHD_YES;
	}
	if (!committer_done(job))
		return MHD_YES; /* not resumed by the committer: wait on */
	heph_sync_push_free(job->push);
	job->push = NULL;
	if (job->err) {
		heph_error_set(job->err, "%s", job->msg);
		return send_error(d, c, job->err);
	}
	metrics_push(job->out, job->len);
	char *out = job->out;
	job->out = NULL;
	return send_text(d, c, MHD_HTTP_OK, out, job->len, "application/json");
}

static int hub_sync_status(void *ctx, heph_store *s, json_t *status)
{
	(void)ctx;
	(void)s;
	json_object_set_new(status, "role", json_string("hub"));
	return 0;
}

static const heph_rpc_host hub_host = { NULL, NULL, hub_sync_status, NULL };

/* The request's Idempotency-Key when it is one worth keeping, else NULL. */
static const char *idem_key(struct MHD_Connection *c)
{
	const char *k = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key");
	return heph_idem_key_ok(k) ? k : NULL;
}

/* The status of a kept answer (a replay, the rare path: its text is read
 * again): a lone error's, else 200. */
static int kept_status(const char *answer)
{
	json_t *j = json_loads(answer, 0, NULL), *e = json_object_get(j, "error");
	int status = 200;
	if (json_is_object(j) && json_is_object(e))
		status = heph_error_http_status(heph_error_from_rpc_code((int)json_integer_value(json_object_get(e, "code"))));
	json_decref(j);
	return status;
}

/* The request is parsed once: whether it writes (then it takes the write
 * lock, and an Idempotency-Key is looked up and kept) and the status of its
 * answer come from that one parse. */
static enum MHD_Result do_rpc(struct hephd *d, struct MHD_Connection *c, heph_store *s, struct req *q)
{
	heph_rpc_env env = { .store = s, .host = &hub_host, .remote = 1 }; /* /rpc: a caller on another machine */
	const char *body = body_of(q), *key = NULL;
	heph_rpc_request *r = heph_rpc_request_parse(body, q->body.n);
	char *out = NULL;
	int status = 200, err = 0;
	if (d->pg) {
		/* the owner's replica on this instance (pg.c) */
		char tenant[HEPHD_OWNER_MAX];
		const char *principal;
		hub_owner_split(q->owner, tenant, &principal);
		key = heph_rpc_request_writes(r) ? idem_key(c) : NULL;
		err = pg_rpc(d->pg, tenant, principal, body, q->body.n, key, &hub_host, &out, &status);
		if (!err && heph_rpc_request_writes(r))
			live_wake(d->hub->live);
	} else if (heph_rpc_request_writes(r)) {
		key = idem_key(c);
		pthread_mutex_lock(&d->write_lock);
		if ((err = writer(d, &env.store)) == 0 && key)
			err = heph_idem_get(env.store, q->owner, key, body, q->body.n, &out);
		if (!err && !out) {
			out = heph_rpc_request_run(&env, r, &status);
			/* Not kept: the request was run; a retry would run it again. */
			if (key && out && heph_idem_put(env.store, q->owner, key, body, q->body.n, out))
				hephd_log("keeping the answer of Idempotency-Key %s: %s", key, heph_error_last());
		} else if (!err) {
			status = kept_status(out);
		}
		pthread_mutex_unlock(&d->write_lock);
		/* a write through /rpc (the web app's) is news for waiting pulls */
		live_wake(d->hub->live);
	} else {
		out = heph_rpc_request_run(&env, r, &status);
	}
	heph_rpc_request_free(r);
	if (err == HEPH_ECONFLICT && key)
		return send_error_as(d, c, 422, err, "idempotency_key_reused");
	if (err)
		return send_error(d, c, err);
	if (!out)
		return send_text(d, c, MHD_HTTP_NO_CONTENT, strdup(""), 0, "application/json");
	return send_text(d, c, (unsigned)status, out, strlen(out), "application/json");
}

static enum MHD_Result do_config(struct hephd *d, struct MHD_Connection *c, heph_store *s)
{
	json_t *types = json_array();
	json_t *methods = json_array();
	for (const char *const *t = heph_op_types(); *t; t++)
		json_array_append_new(types, json_string(*t));
	if (!d->no_auth) {
		json_array_append_new(methods, json_string("bearer-token"));
		if (d->oidc)
			json_array_append_new(methods, json_string("oidc"));
	}
	const char *how = d->no_auth ? "no credential needed (--no-auth, loopback only)"
		: d->oidc ? "send Authorization: Bearer TOKEN, an access token of the identity provider (heph auth "
			    "login; the web app's Log in) or a device token (hephd token create NAME)"
			  : "send Authorization: Bearer TOKEN; the hub's owner makes a device token with "
			    "hephd token create NAME";
	json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:[i], s:i, s:o, s:i, s:{s:o, s:s, s:b, s:o}}", "name", "heph",
			      "version", heph_version(), "hub", d->pg ? pg_store_id(d->pg) : heph_store_origin(s), "protocol", HEPH_SYNC_PROTOCOL,
			      "protocols", HEPH_SYNC_PROTOCOL, "schema", heph_schema_version(), "op_types", types,
			      "max_body", (int)(d->max_body > INT_MAX ? INT_MAX : d->max_body), "auth", "methods",
			      methods, "how", how, "required", !d->no_auth, "oidc", oidc_config(d));
	return send_json(d, c, MHD_HTTP_OK, j);
}

static enum MHD_Result do_health(struct hephd *d, struct MHD_Connection *c, heph_store *s)
{
	json_t *r = NULL;
	heph_rpc_env env = { .store = s };
	if (d->pg) /* every owner has a head of their own: none here */
		return pg_ping(d->pg) ? send_error(d, c, HEPH_EUNAVAIL)
				      : send_json(d, c, MHD_HTTP_OK, json_pack("{s:b, s:i}", "ok", 1, "schema",
									       heph_schema_version()));
	int err = heph_rpc_call(&env, "store.info", NULL, &r);
	if (err)
		return send_error(d, c, HEPH_EUNAVAIL);
	json_t *j = json_pack("{s:b, s:O, s:O}", "ok", 1, "schema", json_object_get(r, "schema"), "head",
			      json_object_get(r, "head"));
	json_decref(r);
	return send_json(d, c, MHD_HTTP_OK, j);
}

/* ---- the calendar feed ---- */

/* GET /calendar/SECRET.ics. The text is made afresh for each request (a
 * few hundred tasks cost little), so the ETag is its hash: the same tasks
 * give the same text (heph_export_ical() stamps each task with its last
 * change, not with now). Last-Modified is when this hub first served that
 * text, kept in memory: after a restart it is the first answer's time,
 * which only costs a client one full answer. A client's If-None-Match wins
 * over its If-Modified-Since (RFC 9110 13.2.2). */
struct feed {
	const char *secret;
	char *text;
	size_t len;
};

/* pg_replica_do()'s work: the feed, once the replica says the secret is
 * its owner's. */
static int feed_of(heph_store *s, const char *hub, void *arg)
{
	struct feed *f = arg;
	int err;
	(void)hub;
	if ((err = heph_calendar_verify(s, f->secret)))
		return err;
	return heph_calendar_feed(s, &f->text, &f->len);
}

/* A PostgreSQL hub's feed: the owner the secret's hash names
 * (heph_settings), from this instance's replica of that owner. */
static int calendar_of_owner(struct hephd *d, const char *secret, char **text, size_t *len)
{
	char owner[PG_OWNER_MAX + 1];
	struct feed f = { .secret = secret };
	int err = pg_calendar_owner(d->pg, secret, owner);
	if (err == HEPH_EAUTH)
		err = heph_error_set(HEPH_ENOTFOUND, "no such calendar");
	if (!err && (err = pg_replica_do(d->pg, owner, feed_of, &f)) == HEPH_EAUTH)
		err = heph_error_set(HEPH_ENOTFOUND, "no such calendar"); /* the owner was removed */
	*text = f.text;
	*len = f.len;
	return err;
}

static enum MHD_Result do_calendar(struct hephd *d, struct MHD_Connection *c, const char *url)
{
	const char *name = url + strlen(HEPH_CALENDAR_PATH);
	char secret[HEPH_CALENDAR_SECRET_LEN + 1], hash[HEPH_TOKEN_HASH_LEN + 1], etag[40], modified[64];
	heph_store *s = NULL;
	char *text = NULL;
	size_t len = 0;
	struct tm tm;
	int err;
	if (strlen(name) != HEPH_CALENDAR_SECRET_LEN + 4 || strcmp(name + HEPH_CALENDAR_SECRET_LEN, ".ics") != 0) {
		heph_error_set(HEPH_ENOTFOUND, "no such calendar");
		return send_error(d, c, HEPH_ENOTFOUND);
	}
	memcpy(secret, name, HEPH_CALENDAR_SECRET_LEN);
	secret[HEPH_CALENDAR_SECRET_LEN] = '\0';
	if (d->pg) {
		err = calendar_of_owner(d, secret, &text, &len);
	} else {
		err = thread_store(d, &s);
		if (!err)
			err = heph_calendar_verify(s, secret);
		if (!err)
			err = heph_calendar_feed(s, &text, &len);
	}
	explicit_bzero(secret, sizeof secret);
	if (err)
		return send_error(d, c, err);
	heph_token_hash(text, hash);
	snprintf(etag, sizeof etag, "\"%.32s\"", hash);
	time_t now = time(NULL);
	pthread_mutex_lock(&d->hub->feed_mu);
	if (strcmp(etag, d->hub->feed_etag) != 0) {
		/* a new text is newer than the last one by a second at least:
		 * If-Modified-Since compares whole seconds */
		d->hub->feed_modified = now > d->hub->feed_modified ? now : d->hub->feed_modified + 1;
		snprintf(d->hub->feed_etag, sizeof d->hub->feed_etag, "%s", etag);
	}
	time_t lm = d->hub->feed_modified;
	pthread_mutex_unlock(&d->hub->feed_mu);
	gmtime_r(&lm, &tm);
	strftime(modified, sizeof modified, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	const char *ims = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
	int fresh = 0;
	if (inm) {
		fresh = strstr(inm, etag) != NULL || strcmp(inm, "*") == 0;
	} else if (ims) {
		struct tm since = { 0 };
		const char *end = strptime(ims, "%a, %d %b %Y %H:%M:%S GMT", &since);
		fresh = end && !*end && timegm(&since) >= lm;
	}
	struct MHD_Response *r;
	if (fresh) {
		free(text);
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	} else {
		r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
		if (!r)
			free(text);
	}
	if (!r)
		return MHD_NO;
	security_headers(r);
	if (!fresh)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/calendar; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
	MHD_add_response_header(r, MHD_HTTP_HEADER_LAST_MODIFIED, modified);
	/* a shared cache must not keep it (its URL is a secret); the app
	 * asks again with the validators above */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "private, no-cache");
	MHD_add_response_header(r, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
	note_status(d, c, fresh ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK);
	enum MHD_Result ret = MHD_queue_response(c, fresh ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- static files ---- */

/* The web app's policy: only this origin's scripts, styles and images run
 * or load (data: images for icons; no image from any other host: a doc's
 * remote image would tell that host when it was read), nothing frames it,
 * and it may call any hub (connect-src *: the web app can be pointed at
 * another hub, which must allow its origin). index.html carries the same
 * policy in a <meta> for when it is served by something else. */
#define APP_CSP                                                                                         \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src *; " \
	"object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

static const char *mime(const char *path)
{
	static const struct {
		const char *ext, *type;
	} t[] = {
		{ ".html", "text/html; charset=utf-8" }, { ".js", "text/javascript; charset=utf-8" },
		{ ".mjs", "text/javascript; charset=utf-8" }, { ".css", "text/css; charset=utf-8" },
		{ ".json", "application/json" }, { ".webmanifest", "application/manifest+json" },
		{ ".svg", "image/svg+xml" }, { ".png", "image/png" }, { ".ico", "image/x-icon" },
		{ ".txt", "text/plain; charset=utf-8" }, { ".woff2", "font/woff2" }, { ".map", "application/json" },
	};
	const char *dot = strrchr(path, '.');
	for (size_t i = 0; dot && i < sizeof t / sizeof t[0]; i++)
		if (strcmp(dot, t[i].ext) == 0)
			return t[i].type;
	return "application/octet-stream";
}

/* Whether real (a resolved path) is root or inside it, compared by whole
 * components: a root "/srv/web" does not hold "/srv/webx/index.html". */
static int inside(const char *root, const char *real)
{
	size_t rl = strlen(root);
	return strncmp(real, root, rl) == 0 && (real[rl] == '/' || real[rl] == '\0' || (rl == 1 && root[0] == '/'));
}

/* Open root/rel if it resolves inside root and is a regular file (a
 * directory means its index.html). -1 otherwise. */
static int open_inside(const char *root, const char *rel, char *resolved, size_t n)
{
	char path[PATH_MAX], real[PATH_MAX];
	struct stat st;
	if ((size_t)snprintf(path, sizeof path, "%s/%s", root, rel) >= sizeof path || !realpath(path, real) ||
	    !inside(root, real) || stat(real, &st) != 0)
		return -1; /* missing, or a symlink out of the web root */
	if (S_ISDIR(st.st_mode)) {
		if ((size_t)snprintf(path, sizeof path, "%s/index.html", real) >= sizeof path || !realpath(path, real) ||
		    !inside(root, real) || stat(real, &st) != 0)
			return -1;
	}
	if (!S_ISREG(st.st_mode))
		return -1;
	snprintf(resolved, n, "%s", real);
	return open(real, O_RDONLY | O_CLOEXEC);
}

/* Every file is revalidated (no-cache) against its ETag and Last-Modified:
 * an unchanged one costs a 304, and a new sw.js or index.html is seen on
 * the next load, so the service worker never pins an old app. */
static enum MHD_Result send_file(struct hephd *d, struct MHD_Connection *c, int fd, const char *path)
{
	struct stat st;
	char etag[64], modified[64];
	struct tm tm;
	if (fstat(fd, &st) != 0) {
		close(fd);
		heph_error_set(HEPH_ERROR, "cannot read a file of the web root");
		return send_error(d, c, HEPH_ERROR);
	}
	snprintf(etag, sizeof etag, "\"%llx-%llx-%lx\"", (unsigned long long)st.st_size,
		 (unsigned long long)st.st_mtim.tv_sec, (unsigned long)st.st_mtim.tv_nsec);
	gmtime_r(&st.st_mtim.tv_sec, &tm);
	strftime(modified, sizeof modified, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	const char *ims = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
	int fresh = inm ? strstr(inm, etag) != NULL : ims && strcmp(ims, modified) == 0;
	struct MHD_Response *r;
	if (fresh) {
		close(fd);
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	} else {
		r = MHD_create_response_from_fd64((uint64_t)st.st_size, fd);
	}
	if (!r) {
		if (!fresh)
			close(fd);
		return MHD_NO;
	}
	security_headers(r);
	if (!fresh)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, mime(path));
	MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
	MHD_add_response_header(r, MHD_HTTP_HEADER_LAST_MODIFIED, modified);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	MHD_add_response_header(r, "Content-Security-Policy", APP_CSP);
	note_status(d, c, fresh ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK);
	enum MHD_Result ret = MHD_queue_response(c, fresh ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result do_static(struct hephd *d, struct MHD_Connection *c, const char *url)
{
	char rel[PATH_MAX], resolved[PATH_MAX];
	const char *root = d->hub->web_real;
	size_t n = 0;
	int fd = -1;
	if (!root) {
		heph_error_set(HEPH_ENOTFOUND, "no such endpoint: %.200s", url);
		return send_error(d, c, HEPH_ENOTFOUND);
	}
	/* Rebuild the path from its segments: no "..", no empty or "." parts,
	 * no dotfile (.git, .env, .htpasswd are never the app's). */
	const char *p = url, *last = url;
	while (*p) {
		while (*p == '/')
			p++;
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == 0)
			break;
		last = p;
		if ((p[0] == '.' && !(len == 1)) || memchr(p, '\\', len)) {
			heph_error_set(HEPH_ENOTFOUND, "no such file: %.200s", url);
			return send_error(d, c, HEPH_ENOTFOUND);
		}
		if (!(len == 1 && p[0] == '.')) {
			if (n + len + 2 >= sizeof rel) {
				heph_error_set(HEPH_ENOTFOUND, "no such file");
				return send_error(d, c, HEPH_ENOTFOUND);
			}
			if (n)
				rel[n++] = '/';
			memcpy(rel + n, p, len);
			n += len;
		}
		p += len;
	}
	rel[n] = '\0';
	fd = open_inside(root, n ? rel : ".", resolved, sizeof resolved);
	if (fd < 0 && !strchr(last, '.'))
		fd = open_inside(root, "index.html", resolved, sizeof resolved); /* an app route */
	if (fd < 0) {
		heph_error_set(HEPH_ENOTFOUND, "no such file: %.200s", url);
		return send_error(d, c, HEPH_ENOTFOUND);
	}
	return send_file(d, c, fd, resolved);
}

/* A CORS preflight from an --allow-origin origin (checked before). */
static enum MHD_Result do_preflight(struct hephd *d, struct MHD_Connection *c)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	common_headers(d, c, r);
	MHD_add_response_header(r, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
	MHD_add_response_header(r, "Access-Control-Allow-Headers", "Authorization, Content-Type, Idempotency-Key");
	MHD_add_response_header(r, "Access-Control-Max-Age", "600");
	note_status(d, c, MHD_HTTP_NO_CONTENT);
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_NO_CONTENT, r);
	MHD_destroy_response(r);
	return ret;
}

/* GET /metrics: Prometheus' text, for a client on loopback or one that
 * sends the --metrics-token-file token as its bearer token. */
static int loopback(const char *addr)
{
	return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0 || strncmp(addr, "::ffff:127.", 11) == 0;
}

static enum MHD_Result do_metrics(struct hephd *d, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	const struct conn *k = i ? i->socket_context : NULL;
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	heph_store *s = NULL;
	char *text = NULL;
	size_t len = 0;
	int err, ok = k && loopback(k->addr);
	if (!ok && d->metrics_token && auth && strncmp(auth, "Bearer ", 7) == 0) {
		const char *t = auth + 7;
		size_t n = strlen(t), m = strlen(d->metrics_token);
		unsigned diff = (unsigned)(n ^ m);
		for (size_t j = 0; j < n && j < m; j++)
			diff |= (unsigned)(t[j] ^ d->metrics_token[j]);
		ok = diff == 0;
	}
	if (!ok) {
		heph_error_set(HEPH_EFORBIDDEN, "/metrics is readable from loopback, or with the token of hephd "
				"--metrics-token-file as the bearer token");
		return send_error_as(d, c, 403, HEPH_EFORBIDDEN, "forbidden");
	}
	if ((!d->pg && (err = thread_store(d, &s))) || (err = metrics_render(s, d->db, &text, &len)))
		return send_error(d, c, err);
	return send_text(d, c, MHD_HTTP_OK, text, len, "text/plain; version=0.0.4; charset=utf-8");
}

/* ---- what a request must pass before its body is read ---- */

static enum route route_of(const char *url)
{
	if (strcmp(url, "/sync/push") == 0)
		return R_PUSH;
	if (strcmp(url, "/sync/pull") == 0)
		return R_PULL;
	if (strcmp(url, "/sync/snapshot") == 0)
		return R_SNAPSHOT;
	if (strcmp(url, "/rpc") == 0)
		return R_RPC;
	if (strcmp(url, "/config") == 0)
		return R_CONFIG;
	if (strcmp(url, "/healthz") == 0)
		return R_HEALTH;
	if (strcmp(url, "/metrics") == 0)
		return R_METRICS;
	if (strncmp(url, HEPH_CALENDAR_PATH, strlen(HEPH_CALENDAR_PATH)) == 0)
		return R_CALENDAR;
	return R_STATIC;
}

/* The methods a route answers (the Allow header of its 405). */
static const char *allowed(enum route r)
{
	switch (r) {
	case R_PUSH:
		return "POST";
	case R_RPC:
		return "POST, OPTIONS";
	case R_CONFIG:
	case R_HEALTH:
		return "GET, HEAD, OPTIONS";
	default:
		return "GET, HEAD";
	}
}

static enum MHD_Result method_not_allowed(struct hephd *d, struct MHD_Connection *c, const char *method,
					  const char *url, enum route r)
{
	heph_error_set(HEPH_EINVALID, "%.20s is not allowed on %.200s; it answers %s", method, url, allowed(r));
	json_t *e = json_pack("{s:{s:i, s:s, s:s}}", "error", "code", heph_error_rpc_code(HEPH_EINVALID), "name",
			      "method_not_allowed", "message", heph_error_last());
	char *text = json_dumps(e, JSON_COMPACT);
	json_decref(e);
	if (!text)
		abort();
	return send_answer(d, c, MHD_HTTP_METHOD_NOT_ALLOWED, text, strlen(text), "application/json", allowed(r));
}

/* Whether the Host header names this hub: an IP literal, localhost, the
 * host of --http-addr, this machine's name (and NAME.local) or an
 * --allow-host name (the port is not checked). A
 * request without one (HTTP/1.0) passes: browsers always send it. */
static int host_ok(const struct hephd *d, const char *host)
{
	char name[256];
	unsigned char buf[sizeof(struct in6_addr)];
	size_t n;
	if (!host)
		return 1;
	if (host[0] == '[') {
		const char *e = strchr(host, ']');
		if (!e || (size_t)(e - host - 1) >= sizeof name || (e[1] && e[1] != ':'))
			return 0;
		snprintf(name, sizeof name, "%.*s", (int)(e - host - 1), host + 1);
		return inet_pton(AF_INET6, name, buf) == 1;
	}
	n = strcspn(host, ":");
	if (n == 0 || n >= sizeof name)
		return 0;
	snprintf(name, sizeof name, "%.*s", (int)n, host);
	if (inet_pton(AF_INET, name, buf) == 1 || strcasecmp(name, "localhost") == 0)
		return 1;
	const char *colon = strrchr(d->http_addr, ':');
	if (colon && (size_t)(colon - d->http_addr) == n && strncasecmp(d->http_addr, name, n) == 0)
		return 1;
	/* This machine's own name, and its mDNS name NAME.local. */
	size_t sl = strlen(d->hub->self);
	if (sl && strncasecmp(name, d->hub->self, sl) == 0 && (!name[sl] || strcasecmp(name + sl, ".local") == 0))
		return 1;
	for (int i = 0; i < d->n_allow_hosts; i++)
		if (strcasecmp(name, d->allow_hosts[i]) == 0)
			return 1;
	return 0;
}

/* Whether a browser page at origin may call: the hub's own origin (its
 * scheme and the request's Host) or an --allow-origin one. */
static int origin_ok(const struct hephd *d, const char *origin, const char *host)
{
	const char *rest = strncmp(origin, "http://", 7) == 0 ? origin + 7
			   : strncmp(origin, "https://", 8) == 0 ? origin + 8 : NULL;
	if (rest && host && strcasecmp(rest, host) == 0)
		return 1;
	return origin_listed(d, origin);
}

struct lengths {
	int n;              /* Content-Length headers seen */
	const char *first;  /* the first one's value */
	int differ;         /* a later one said another length */
};

static enum MHD_Result count_length(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct lengths *l = cls;
	(void)kind;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		if (l->n++ == 0)
			l->first = value;
		else if (!value || !l->first || strcmp(value, l->first) != 0)
			l->differ = 1;
	}
	return MHD_YES;
}

/* The checks of the header comment, in its order: 0 to go on, or an
 * answer was queued (*ret). */
/* The request line and the headers are kept in libmicrohttpd's memory pool
 * of each connection (MHD_OPTION_CONNECTION_MEMORY_LIMIT, 64 KiB): past it,
 * libmicrohttpd itself answers 414 or 431 with a body of its own (HTML)
 * before any handler runs. Below these limits of hephd's own, lower than
 * that pool, the hub answers the same statuses itself, in JSON. */
#define HUB_TARGET_MAX (16 * 1024)  /* the request target: path and query */
#define HUB_HEADERS_MAX (32 * 1024) /* the header fields, names and values */

/* Adds a value's size as it came on the wire (name, separator, value,
 * line end) to *cls (a size_t). */
static enum MHD_Result add_size(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	*(size_t *)cls += strlen(key) + (value ? strlen(value) : 0) + 4;
	return MHD_YES;
}

static int admit(struct hephd *d, struct MHD_Connection *c, struct req *q, const char *url, const char *method,
		 enum MHD_Result *ret)
{
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	int post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
	int get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	int options = strcmp(method, MHD_HTTP_METHOD_OPTIONS) == 0;
	struct lengths l = { 0 };
	heph_store *s = NULL;
	size_t target = strlen(url), headers = 0;
	int err;
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_size, &target);
	MHD_get_connection_values(c, MHD_HEADER_KIND, add_size, &headers);
	if (target > HUB_TARGET_MAX) {
		heph_error_set(HEPH_ETOOBIG, "the request's target (its path and query) is over %d bytes", HUB_TARGET_MAX);
		*ret = send_error_as(d, c, 414, HEPH_ETOOBIG, "uri_too_long");
		return 1;
	}
	if (headers > HUB_HEADERS_MAX) {
		heph_error_set(HEPH_ETOOBIG, "the request's header fields are over %d bytes together", HUB_HEADERS_MAX);
		*ret = send_error_as(d, c, 431, HEPH_ETOOBIG, "headers_too_large");
		return 1;
	}
	if (!host_ok(d, host)) {
		heph_error_set(HEPH_EFORBIDDEN, "this hub does not serve the host \"%.100s\"; its owner can add it with "
				"hephd --allow-host NAME", host);
		*ret = send_error_as(d, c, 421, HEPH_EFORBIDDEN, "misdirected");
		return 1;
	}
	if (origin && !origin_ok(d, origin, host)) {
		heph_error_set(HEPH_EFORBIDDEN, "a page from %.100s may not call this hub; its owner can allow it with "
				"hephd --allow-origin ORIGIN", origin);
		*ret = send_error_as(d, c, 403, HEPH_EFORBIDDEN, "origin_not_allowed");
		return 1;
	}
	if (options && (q->route == R_RPC || q->route == R_CONFIG || q->route == R_HEALTH)) {
		if (!origin_listed(d, origin)) {
			heph_error_set(HEPH_EFORBIDDEN, "a CORS preflight is answered only for an origin given with "
					"hephd --allow-origin; %.100s is not one", origin ? origin : "a request without Origin");
			*ret = send_error_as(d, c, 403, HEPH_EFORBIDDEN, "origin_not_allowed");
			return 1;
		}
		q->route = R_OPTIONS; /* answered once the request is complete */
	} else if (((q->route == R_PUSH || q->route == R_RPC) && !post) ||
		   (q->route != R_PUSH && q->route != R_RPC && !get)) {
		*ret = method_not_allowed(d, c, method, url, q->route);
		return 1;
	}
	MHD_get_connection_values(c, MHD_HEADER_KIND, count_length, &l);
	if (l.differ || (te && cl)) {
		heph_error_set(HEPH_EINVALID, "a request carries one Content-Length, or Transfer-Encoding alone; this "
				"one has %s", l.differ ? "Content-Lengths that disagree" : "both");
		*ret = send_error(d, c, HEPH_EINVALID);
		return 1;
	}
	if (!post && (te || (cl && strcmp(cl, "0") != 0))) {
		heph_error_set(HEPH_EINVALID, "%.20s %.200s takes no request body; send it without one", method, url);
		*ret = send_error(d, c, HEPH_EINVALID);
		return 1;
	}
	if (!post)
		return 0;
	if ((!d->pg && (err = thread_store(d, &s))) ||
	    (err = hub_authenticate(d, s, MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
				    q->owner))) {
		*ret = send_error(d, c, err);
		return 1;
	}
	if (cl && strtoull(cl, NULL, 10) > d->max_body) {
		heph_error_set(HEPH_ETOOBIG, "request body of %.30s bytes is over this hub's limit of %zu", cl, d->max_body);
		*ret = send_error(d, c, HEPH_ETOOBIG);
		return 1;
	}
	return 0;
}

/* ---- connections: the per-address limit and the request deadline ---- */

/* Whether drops of addr should be logged now (once per address every
 * LOG_AGAIN_MS); call with conns_mu held. */
static int log_due(struct hub *h, const char *addr, int64_t now)
{
	int oldest = 0;
	for (int i = 0; i < LOGGED_MAX; i++) {
		if (strcmp(h->logged[i].addr, addr) == 0) {
			if (now - h->logged[i].at_ms < LOG_AGAIN_MS)
				return 0;
			h->logged[i].at_ms = now;
			return 1;
		}
		if (h->logged[i].at_ms < h->logged[oldest].at_ms)
			oldest = i;
	}
	snprintf(h->logged[oldest].addr, sizeof h->logged[oldest].addr, "%s", addr);
	h->logged[oldest].at_ms = now;
	return 1;
}

static enum MHD_Result accept_policy(void *cls, const struct sockaddr *sa, socklen_t len)
{
	struct hub *h = cls;
	char addr[INET6_ADDRSTRLEN];
	int open = 0;
	(void)len;
	addr_text(sa, addr);
	pthread_mutex_lock(&h->conns_mu);
	for (struct conn *k = h->conns; k; k = k->next)
		open += strcmp(k->addr, addr) == 0;
	int refuse = open >= h->d->max_per_address;
	if (refuse && log_due(h, addr, now_ms()))
		hephd_log("http: %s holds %d connections, the most one address may (--max-per-address); refusing "
			  "more from it (logged once per address every 10 minutes)", addr, open);
	pthread_mutex_unlock(&h->conns_mu);
	return refuse ? MHD_NO : MHD_YES;
}

static void notify(void *cls, struct MHD_Connection *c, void **socket_context, enum MHD_ConnectionNotificationCode toe)
{
	struct hub *h = cls;
	struct conn *k = *socket_context;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *sa = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (!(k = calloc(1, sizeof *k)))
			abort();
		k->fd = fd ? fd->connect_fd : -1;
		addr_text(sa ? sa->client_addr : NULL, k->addr);
		k->since_ms = now_ms();
		metrics_connection(1);
		pthread_mutex_lock(&h->conns_mu);
		k->next = h->conns;
		if (h->conns)
			h->conns->prev = k;
		h->conns = k;
		/* Pool threads accept side by side, so two may both pass
		 * accept_policy for an address's last slot: the later one ends
		 * here. */
		int open = 0;
		for (struct conn *o = h->conns; o; o = o->next)
			open += strcmp(o->addr, k->addr) == 0;
		if (open > h->d->max_per_address && k->fd >= 0) {
			shutdown(k->fd, SHUT_RDWR);
			k->since_ms = 0;
		}
		pthread_mutex_unlock(&h->conns_mu);
		*socket_context = k;
	} else if (k) {
		/* libmicrohttpd closes the socket after this returns: the
		 * watchdog, under the same lock, never touches a closed one. */
		pthread_mutex_lock(&h->conns_mu);
		if (k->prev)
			k->prev->next = k->next;
		else
			h->conns = k->next;
		if (k->next)
			k->next->prev = k->prev;
		pthread_mutex_unlock(&h->conns_mu);
		free(k);
		metrics_connection(-1);
		*socket_context = NULL;
	}
}

/* Mark the connection's request as arrived (since 0) or as starting now. */
static void arriving(struct hub *h, struct MHD_Connection *c, int starts)
{
	const union MHD_ConnectionInfo *i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn *k = i ? i->socket_context : NULL;
	if (!k)
		return;
	pthread_mutex_lock(&h->conns_mu);
	k->since_ms = starts ? now_ms() : 0;
	pthread_mutex_unlock(&h->conns_mu);
}

/* Close, by shutting its socket down, every connection whose request has
 * been arriving for longer than --request-timeout; libmicrohttpd then sees
 * the end of it and cleans up as for a client that left. */
static void *watchdog(void *arg)
{
	struct hub *h = arg;
	int64_t limit = (int64_t)h->d->request_timeout * 1000;
	pthread_mutex_lock(&h->conns_mu);
	while (!h->stopping) {
		struct timespec t;
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_nsec += 250 * 1000000L;
		if (t.tv_nsec >= 1000000000L) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&h->conns_cv, &h->conns_mu, &t);
		int64_t now = now_ms();
		live_expire(h->live, now);
		for (struct conn *k = h->conns; k && !h->stopping; k = k->next) {
			if (!k->since_ms || now - k->since_ms <= limit || k->fd < 0)
				continue;
			shutdown(k->fd, SHUT_RDWR);
			k->since_ms = 0;
			if (log_due(h, k->addr, now))
				hephd_log("http: a request from %s took over %d s to arrive (--request-timeout); closing "
					  "its connection (logged once per address every 10 minutes)",
					  k->addr, h->d->request_timeout);
		}
	}
	pthread_mutex_unlock(&h->conns_mu);
	return NULL;
}

/* ---- the handler ---- */

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct hephd *d = cls;
	struct req *q = *con_cls;
	heph_store *s = NULL;
	enum MHD_Result ret;
	int err;
	(void)version;
	if (!q) {
		/* Headers are in: route and admit before reading any body. */
		if (!(q = calloc(1, sizeof *q)))
			abort();
		*con_cls = q;
		q->route = route_of(url);
		q->id = metrics_request_id();
		q->start_us = now_us();
		snprintf(q->method, sizeof q->method, "%s", method);
		/* the feed's path is its credential: never logged */
		snprintf(q->path, sizeof q->path, "%s", q->route == R_CALENDAR ? HEPH_CALENDAR_PATH "..." : url);
		if (admit(d, c, q, url, method, &ret)) {
			arriving(d->hub, c, 0);
			return ret;
		}
		/* Everything else is answered once the request is complete, so
		 * that its connection can be kept alive. */
		return MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (q->dropped || q->body.n + n > d->max_body) {
			/* Read to its end without keeping it: the answer (413)
			 * can only be given then. --request-timeout bounds how
			 * long that may take. */
			q->dropped += n;
			heph_buf_free(&q->body);
			return MHD_YES;
		}
		heph_buf_put(&q->body, upload, n);
		return MHD_YES;
	}
	/* The whole request is in. */
	arriving(d->hub, c, 0);
	if (q->route == R_STATIC)
		return do_static(d, c, url);
	if (q->route == R_OPTIONS)
		return do_preflight(d, c);
	if (q->route == R_METRICS)
		return do_metrics(d, c);
	if (q->route == R_CALENDAR)
		return do_calendar(d, c, url);
	if ((q->route == R_PULL || q->route == R_SNAPSHOT || q->route == R_CONFIG || q->route == R_HEALTH)) {
		if (!d->pg && (err = thread_store(d, &s)))
			return send_error(d, c, err);
		if (q->route == R_CONFIG)
			return do_config(d, c, s);
		if (q->route == R_HEALTH)
			return do_health(d, c, s);
		char owner[HEPHD_OWNER_MAX];
		if ((err = hub_authenticate(d, s, MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
					    owner)))
			return send_error(d, c, err);
		if (q->route == R_SNAPSHOT)
			return do_snapshot(d, c, s, owner);
		return do_pull(d, c, s, owner, q);
	}
	if (q->dropped) {
		heph_error_set(HEPH_ETOOBIG, "request body of %zu bytes is over this hub's limit of %zu bytes",
			       q->dropped, d->max_body);
		return send_error(d, c, HEPH_ETOOBIG);
	}
	if (!d->pg && (err = thread_store(d, &s)))
		return send_error(d, c, err);
	if (q->route == R_PUSH)
		return do_push(d, c, q);
	return do_rpc(d, c, s, q);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode why)
{
	struct hephd *d = cls;
	struct req *q = *con_cls;
	(void)why;
	if (q) {
		/* One log line per request, and its count and time. */
		const union MHD_ConnectionInfo *i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		struct conn *k = i ? i->socket_context : NULL;
		char addr[INET6_ADDRSTRLEN] = "";
		unsigned status = 0;
		if (k) {
			pthread_mutex_lock(&d->hub->conns_mu);
			snprintf(addr, sizeof addr, "%s", k->addr);
			status = k->status;
			k->status = 0;
			pthread_mutex_unlock(&d->hub->conns_mu);
		}
		metrics_request_done(q->id, route_name[q->route], addr, q->method, q->path, status, now_us() - q->start_us);
		if (q->job) {
			heph_sync_push_free(q->job->push);
			free(q->job->out);
			free(q->job);
		}
		heph_buf_free(&q->body);
		free(q);
		*con_cls = NULL;
	}
	arriving(d->hub, c, 1); /* the next request on this connection may start */
}

/* libmicrohttpd's own lines: a line that comes again within a minute is
 * counted, and the count logged with the next other line. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct hub *h = cls;
	char line[1024];
	vsnprintf(line, sizeof line, fmt, ap);
	size_t n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	int64_t now = now_ms();
	pthread_mutex_lock(&h->log_mu);
	if (strcmp(line, h->last_log) == 0 && now - h->last_log_ms < 60000) {
		h->repeats++;
	} else {
		if (h->repeats)
			hephd_log("http: (the line before came %u more times)", h->repeats);
		h->repeats = 0;
		snprintf(h->last_log, sizeof h->last_log, "%s", line);
		h->last_log_ms = now;
		hephd_log("http: %s", line);
	}
	pthread_mutex_unlock(&h->log_mu);
}

/* Every connection is a file descriptor: raise the soft limit on open
 * files (often 1024) towards the hard one so that --max-connections fit,
 * with room for the database, its WAL and the listening socket. */
static void room_for_connections(const struct hephd *d)
{
	struct rlimit r;
	rlim_t want = (rlim_t)d->max_connections + 64;
	if (getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur >= want)
		return;
	r.rlim_cur = r.rlim_max == RLIM_INFINITY || r.rlim_max >= want ? want : r.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur < want)
		hephd_log("WARNING: %lu open files allowed (ulimit -n), fewer than --max-connections %d needs",
			  (unsigned long)r.rlim_cur, d->max_connections);
}

static void news_elsewhere(void *live)
{
	live_wake(live);
}

int hub_start(struct hephd *d, char **url_out)
{
	char host[256], port[16], real[PATH_MAX];
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *ai = NULL;
	const char *colon = strrchr(d->http_addr, ':');
	*url_out = NULL;
	if (!colon || colon == d->http_addr || !colon[1])
		return heph_error_set(HEPH_EUSAGE, "--http-addr wants HOST:PORT, not \"%s\"", d->http_addr);
	snprintf(host, sizeof host, "%.*s", (int)(colon - d->http_addr), d->http_addr);
	snprintf(port, sizeof port, "%s", colon + 1);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	if (d->no_auth && !hephd_is_loopback(host))
		return heph_error_set(HEPH_EUSAGE, "--no-auth is refused on %s: it is only allowed on a loopback address "
				      "(127.0.0.1, ::1, localhost)", host);
	int rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0)
		return heph_error_set(HEPH_EUSAGE, "--http-addr %s: %s", d->http_addr, gai_strerror(rc));
	if ((rc = hephd_mhd_load())) {
		freeaddrinfo(ai);
		return rc;
	}
	room_for_connections(d);
	if (!(d->hub = calloc(1, sizeof *d->hub)))
		abort();
	pthread_key_create(&d->hub->store_key, close_store);
	d->hub->live = live_new();
	snapshots_init(d);
	pthread_mutex_init(&d->hub->conns_mu, NULL);
	pthread_cond_init(&d->hub->conns_cv, NULL);
	pthread_mutex_init(&d->hub->log_mu, NULL);
	pthread_mutex_init(&d->hub->feed_mu, NULL);
	d->hub->d = d;
	if (gethostname(d->hub->self, sizeof d->hub->self) != 0)
		d->hub->self[0] = '\0';
	d->hub->self[sizeof d->hub->self - 1] = '\0';
	if (d->web_root) {
		if (!realpath(d->web_root, real)) {
			freeaddrinfo(ai);
			return heph_error_set(HEPH_EUSAGE, "--web-root %s: %s", d->web_root, strerror(errno));
		}
		d->hub->web_real = strdup(real);
	}
	if (!(d->hub->committer = committer_start(d, writer, d->hub->live))) {
		freeaddrinfo(ai);
		return heph_error_set(HEPH_ERROR, "cannot start the committer thread: %s", strerror(errno));
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	d->hub->mhd = MHD_start_daemon(flags, 0, accept_policy, d->hub, handle, d,
				       MHD_OPTION_EXTERNAL_LOGGER, mhd_log, d->hub,
				       MHD_OPTION_NOTIFY_CONNECTION, notify, d->hub,
				       MHD_OPTION_SOCK_ADDR, ai->ai_addr,
				       MHD_OPTION_THREAD_POOL_SIZE, (unsigned)d->threads,
				       MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)d->timeout,
				       MHD_OPTION_CONNECTION_LIMIT, (unsigned)d->max_connections,
				       MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
				       MHD_OPTION_NOTIFY_COMPLETED, completed, d,
				       MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
				       MHD_OPTION_END);
	freeaddrinfo(ai);
	if (!d->hub->mhd)
		return heph_error_set(HEPH_EUNAVAIL, "cannot listen on %s (in use, or not an address of this machine)",
				      d->http_addr);
	if (pthread_create(&d->hub->watchdog, NULL, watchdog, d->hub) != 0)
		return heph_error_set(HEPH_ERROR, "cannot start the connection watchdog: %s", strerror(errno));
	d->hub->watching = 1;
	/* pushes through the other instances of a PostgreSQL hub wake pulls here */
	int err;
	if (d->pg && (err = pg_listen_start(d->pg, news_elsewhere, d->hub->live)))
		return err;
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d->hub->mhd, MHD_DAEMON_INFO_BIND_PORT);
	unsigned bound = info ? info->port : (unsigned)atoi(port);
	if (asprintf(url_out, strchr(host, ':') ? "http://[%s]:%u" : "http://%s:%u", host, bound) < 0)
		abort();
	return 0;
}

void hub_stop(struct hephd *d)
{
	if (!d->hub)
		return;
	pg_listen_stop(d->pg); /* before live is gone */
	/* libmicrohttpd stops only with no connection suspended */
	live_stop(d->hub->live);
	committer_stop(d->hub->committer);
	if (d->hub->watching) {
		pthread_mutex_lock(&d->hub->conns_mu);
		d->hub->stopping = 1;
		pthread_cond_signal(&d->hub->conns_cv);
		pthread_mutex_unlock(&d->hub->conns_mu);
		pthread_join(d->hub->watchdog, NULL);
	}
	if (d->hub->mhd)
		MHD_stop_daemon(d->hub->mhd);
	committer_free(d->hub->committer);
	heph_store_close(d->hub->writer);
	live_free(d->hub->live);
	pthread_mutex_destroy(&d->hub->conns_mu);
	pthread_cond_destroy(&d->hub->conns_cv);
	pthread_mutex_destroy(&d->hub->log_mu);
	pthread_mutex_destroy(&d->hub->feed_mu);
	free(d->hub->web_real);
	free(d->hub);
	d->hub = NULL;
	snapshots_free(d);
}
