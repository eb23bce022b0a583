/* http.c — the hub: libmicrohttpd with a thread pool in front of the same
 * store and engine every replica runs.
 *
 *   endpoint          auth   what
 *   POST /sync/push   yes    take a batch of ops (heph_sync_push_apply), all or none
 *   GET  /sync/pull   yes    a page of ops after a cursor (heph_sync_pull_page)
 *   POST /rpc         yes    the JSON-RPC method table (heph_rpc_handle)
 *   GET  /config      no     what a client needs before it logs in
 *   GET  /healthz     no     200 while the database answers
 *   GET  anything     no     files under --web-root; a path without a dot in
 *                            its last segment falls back to index.html
 *   OPTIONS /rpc, /config, /healthz   a CORS preflight (no credential)
 *
 * /rpc, /config and /healthz allow any origin (CORS): a web app served from
 * elsewhere may call them, but only with a bearer token, which a browser
 * never adds by itself. A POST /rpc may carry Idempotency-Key: the hub keeps
 * the answers of writing requests by key in its database (heph/idem.h) and
 * answers a repeated key with the kept answer instead of running it again,
 * so that a client that lost an answer, or whose hub restarted, can retry
 * without doing twice. The answer is kept in a transaction right after the
 * request's own: only a crash between the two commits forgets it.
 *
 * Errors are JSON, {"error":{"code":C,"name":N,"message":M}}, with the
 * status heph_error_http_status() gives. A body over --max-body is refused
 * with 413 before it is read when its length is declared, and counted and
 * dropped otherwise. libmicrohttpd closes a connection that stays silent for
 * --timeout seconds, so a stalled client holds nothing for long, and its
 * thread pool serves other connections meanwhile.
 *
 * Reads use a store per pool thread, opened on first use (a thread-specific
 * key closes it when the pool stops). Writes go through one writer store
 * under d->write_lock, which keeps its page cache warm. Pushes are checked
 * (parsed, every op validated) before the lock and committed in groups:
 * pushes that arrive while another holds the lock queue up, and the next
 * holder applies all of them in one transaction, each in its own savepoint
 * (so one failing push fails alone), and answers them after the commit.
 */
#include "hephd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "heph/error.h"
#include "heph/fleet.h"
#include "heph/idem.h"
#include "heph/op.h"
#include "heph/sync.h"

/* A push waiting for the group commit. */
struct push_job {
	heph_sync_push *push;      /* decoded */
	int done;                  /* set, under write_lock, once answered */
	int err;                   /* 0 or the heph error */
	char msg[1024];            /* the error message */
	char *out;                 /* the response body */
	size_t len;
	struct push_job *next;
};

#define HUB_READER_CACHE_KB 4096 /* page cache of each pool thread's reading store */

struct hub {
	struct MHD_Daemon *mhd;
	pthread_key_t store_key;   /* this pool thread's reading heph_store */
	char *web_real;            /* realpath of --web-root, or NULL */
	heph_store *writer;        /* the writing store; under write_lock */
	pthread_mutex_t queue_mu;  /* guards the queue */
	struct push_job *queue;    /* pushes waiting, newest first */
};

enum route { R_NONE, R_PUSH, R_PULL, R_RPC, R_CONFIG, R_HEALTH, R_STATIC, R_OPTIONS };

struct req {
	enum route route;
	char *body;        /* the upload so far */
	size_t len, cap;
	size_t dropped;    /* bytes past max_body, not kept */
	char owner[HEPHD_OWNER_MAX]; /* who the credential speaks for */
};

/* The token name of an owner from hub_authenticate(), or NULL. */
static const char *token_of(const char *owner)
{
	return strncmp(owner, "token:", 6) == 0 ? owner + 6 : NULL;
}

/* ---- responses ---- */

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, char *text, size_t len,
				 const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, "*");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"heph\"");
	if (status == MHD_HTTP_UPGRADE_REQUIRED) {
		char up[32];
		snprintf(up, sizeof up, "heph-sync/%d", HEPH_SYNC_PROTOCOL);
		MHD_add_response_header(r, MHD_HTTP_HEADER_UPGRADE, up);
	}
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!text)
		abort();
	return send_text(c, status, text, strlen(text), "application/json");
}

/* The error response for a heph code and the thread's message. */
static enum MHD_Result send_error(struct MHD_Connection *c, int code)
{
	json_t *e = json_pack("{s:{s:i, s:s, s:s}}", "error", "code", heph_error_rpc_code(code), "name",
			      heph_error_name(code), "message", heph_error_last());
	if (code == HEPH_EPROTOCOL)
		json_object_set_new(e, "protocol", json_integer(HEPH_SYNC_PROTOCOL));
	return send_json(c, (unsigned)heph_error_http_status(code), e);
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
	long long n = strtoll(v, &end, 10);
	if (!*v || *end || errno)
		return heph_error_set(HEPH_EINVALID, "query parameter %s must be an integer, not \"%.20s\"", name, v);
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
	r = json_pack("{s:s, s:I}", "origin", origin, "protocol", (json_int_t)proto);
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, texts[i]);
		if (v)
			json_object_set_new(r, texts[i], json_string(v));
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
			json_array_append_new(a, json_stringn(p, n));
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

static enum MHD_Result do_pull(struct hephd *d, struct MHD_Connection *c, heph_store *s, const char *owner)
{
	long long proto, after, limit;
	int has_proto, err, stale = 0;
	char *out;
	size_t len;
	json_t *report = NULL;
	if ((err = int_arg(c, "protocol", 0, &proto, &has_proto)))
		return send_error(c, err);
	if (!has_proto) {
		heph_error_set(HEPH_EINVALID, "missing protocol version: GET /sync/pull?protocol=%d&after=SEQ",
			       HEPH_SYNC_PROTOCOL);
		return send_error(c, HEPH_EINVALID);
	}
	json_t *pv = json_integer(proto);
	err = heph_sync_check_protocol(pv);
	json_decref(pv);
	if (err)
		return send_error(c, err);
	if ((err = int_arg(c, "after", 0, &after, NULL)) ||
	    (err = int_arg(c, "limit", HEPH_SYNC_PULL_LIMIT, &limit, NULL)))
		return send_error(c, err);
	if (after < 0 || limit < 1) {
		heph_error_set(HEPH_EINVALID, "after must be 0 or more and limit 1 or more");
		return send_error(c, HEPH_EINVALID);
	}
	if ((err = pull_report(c, proto, &report)))
		return send_error(c, err);
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
	json_decref(report);
	if (err)
		return send_error(c, err);
	return send_text(c, MHD_HTTP_OK, out, len, "application/json");
}

/* The writer store; call with write_lock held. */
static int writer(struct hephd *d, heph_store **out)
{
	int err;
	if (!d->hub->writer && (err = hephd_open_store(d, 0, &d->hub->writer)))
		return err;
	*out = d->hub->writer;
	return 0;
}

/* Apply every queued push in one transaction; call with write_lock held. */
static void group_commit(struct hephd *d)
{
	struct push_job *batch, *j, *rev = NULL;
	heph_store *w = NULL;
	int err;
	pthread_mutex_lock(&d->hub->queue_mu);
	batch = d->hub->queue;
	d->hub->queue = NULL;
	pthread_mutex_unlock(&d->hub->queue_mu);
	while (batch) { /* oldest first */
		j = batch->next;
		batch->next = rev;
		rev = batch;
		batch = j;
	}
	if ((err = writer(d, &w)) == 0 && (err = heph_store_begin(w)) == 0) {
		for (j = rev; j; j = j->next) {
			if ((j->err = heph_sync_push_apply(w, j->push, &j->out, &j->len)))
				snprintf(j->msg, sizeof j->msg, "%s", heph_error_last());
		}
		if ((err = heph_store_commit(w)) != 0)
			for (j = rev; j; j = j->next) {
				free(j->out);
				j->out = NULL;
			}
	}
	for (j = rev; j; j = j->next) {
		if (err && !j->err) {
			j->err = err;
			snprintf(j->msg, sizeof j->msg, "%s", heph_error_last());
		}
		j->done = 1;
	}
}

static enum MHD_Result do_push(struct hephd *d, struct MHD_Connection *c, struct req *q)
{
	struct push_job job = { 0 };
	int err = heph_sync_push_decode_from(q->body ? q->body : "", q->len, token_of(q->owner), &job.push);
	if (err)
		return send_error(c, err);
	pthread_mutex_lock(&d->hub->queue_mu);
	job.next = d->hub->queue;
	d->hub->queue = &job;
	pthread_mutex_unlock(&d->hub->queue_mu);
	/* Whoever holds the lock next commits everything queued by then;
	 * our push may already be done when we get it. */
	pthread_mutex_lock(&d->write_lock);
	if (!job.done)
		group_commit(d);
	pthread_mutex_unlock(&d->write_lock);
	heph_sync_push_free(job.push);
	if (job.err) {
		heph_error_set(job.err, "%s", job.msg);
		return send_error(c, job.err);
	}
	return send_text(c, MHD_HTTP_OK, job.out, job.len, "application/json");
}

static int hub_sync_status(void *ctx, heph_store *s, json_t *status)
{
	(void)ctx;
	(void)s;
	json_object_set_new(status, "role", json_string("hub"));
	return 0;
}

static const heph_rpc_host hub_host = { NULL, NULL, hub_sync_status, NULL };

/* Whether a JSON-RPC request text calls a write method (then it takes the
 * write lock). Unparsable text calls nothing. */
static int writes(const char *body, size_t len)
{
	json_t *j = json_loadb(body, len, 0, NULL), *one;
	size_t i;
	int w = 0;
	if (json_is_object(j)) {
		const char *name = json_string_value(json_object_get(j, "method"));
		const heph_rpc_method *m = name ? heph_rpc_find(name) : NULL;
		w = m && (m->flags & HEPH_RPC_WRITE);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, one) {
			const char *name = json_string_value(json_object_get(one, "method"));
			const heph_rpc_method *m = name ? heph_rpc_find(name) : NULL;
			w |= m && (m->flags & HEPH_RPC_WRITE);
		}
	}
	json_decref(j);
	return w;
}

/* The request's Idempotency-Key when it is one worth keeping, else NULL. */
static const char *idem_key(struct MHD_Connection *c)
{
	const char *k = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key");
	return heph_idem_key_ok(k) ? k : NULL;
}

static enum MHD_Result do_rpc(struct hephd *d, struct MHD_Connection *c, heph_store *s, struct req *q)
{
	heph_rpc_env env = { .store = s, .host = &hub_host };
	const char *key = NULL;
	char *out;
	if (writes(q->body ? q->body : "", q->len)) {
		int err;
		key = idem_key(c);
		pthread_mutex_lock(&d->write_lock);
		if ((err = writer(d, &env.store))) {
			pthread_mutex_unlock(&d->write_lock);
			return send_error(c, err);
		}
		out = NULL;
		if (key && (err = heph_idem_get(env.store, key, &out))) {
			pthread_mutex_unlock(&d->write_lock);
			return send_error(c, err);
		}
		if (!out) {
			out = heph_rpc_handle(&env, q->body ? q->body : "", q->len);
			/* Not kept: the request was run; a retry would run it again. */
			if (key && out && heph_idem_put(env.store, key, out))
				fprintf(stderr, "hephd: keeping the answer of Idempotency-Key %s: %s\n", key,
					heph_error_last());
		}
		pthread_mutex_unlock(&d->write_lock);
	} else {
		out = heph_rpc_handle(&env, q->body ? q->body : "", q->len);
	}
	if (!out)
		return send_text(c, MHD_HTTP_NO_CONTENT, strdup(""), 0, "application/json");
	/* One request that failed gets its error's HTTP status; batches 200. */
	unsigned status = MHD_HTTP_OK;
	json_t *j = json_loads(out, 0, NULL);
	json_t *e = json_object_get(j, "error");
	if (json_is_object(j) && json_is_object(e)) {
		int rpc = (int)json_integer_value(json_object_get(e, "code"));
		status = rpc == -32700 || rpc == -32600 ? 400 : (unsigned)heph_error_http_status(heph_error_from_rpc_code(rpc));
	}
	json_decref(j);
	return send_text(c, status, out, strlen(out), "application/json");
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
			      "version", heph_version(), "hub", heph_store_origin(s), "protocol", HEPH_SYNC_PROTOCOL,
			      "protocols", HEPH_SYNC_PROTOCOL, "schema", heph_schema_version(), "op_types", types,
			      "max_body", (int)(d->max_body > INT_MAX ? INT_MAX : d->max_body), "auth", "methods",
			      methods, "how", how, "required", !d->no_auth, "oidc", oidc_config(d));
	return send_json(c, MHD_HTTP_OK, j);
}

static enum MHD_Result do_health(struct MHD_Connection *c, heph_store *s)
{
	json_t *r = NULL;
	heph_rpc_env env = { .store = s };
	int err = heph_rpc_call(&env, "store.info", NULL, &r);
	if (err)
		return send_error(c, HEPH_EUNAVAIL);
	json_t *j = json_pack("{s:b, s:O, s:O}", "ok", 1, "schema", json_object_get(r, "schema"), "head",
			      json_object_get(r, "head"));
	json_decref(r);
	return send_json(c, MHD_HTTP_OK, j);
}

/* ---- static files ---- */

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

/* Open root/rel if it resolves inside root and is a regular file (a
 * directory means its index.html). -1 otherwise. */
static int open_inside(const char *root, const char *rel, char *resolved, size_t n)
{
	char path[PATH_MAX], real[PATH_MAX];
	struct stat st;
	if ((size_t)snprintf(path, sizeof path, "%s/%s", root, rel) >= sizeof path || !realpath(path, real))
		return -1;
	size_t rl = strlen(root);
	if (strncmp(real, root, rl) != 0 || (real[rl] != '/' && real[rl] != '\0'))
		return -1; /* a symlink out of the web root */
	if (stat(real, &st) != 0)
		return -1;
	if (S_ISDIR(st.st_mode)) {
		if ((size_t)snprintf(path, sizeof path, "%s/index.html", real) >= sizeof path || !realpath(path, real) ||
		    strncmp(real, root, rl) != 0 || stat(real, &st) != 0)
			return -1;
	}
	if (!S_ISREG(st.st_mode))
		return -1;
	snprintf(resolved, n, "%s", real);
	return open(real, O_RDONLY | O_CLOEXEC);
}

static enum MHD_Result send_file(struct MHD_Connection *c, int fd, const char *path)
{
	struct stat st;
	if (fstat(fd, &st) != 0) {
		close(fd);
		heph_error_set(HEPH_ERROR, "cannot read a file of the web root");
		return send_error(c, HEPH_ERROR);
	}
	struct MHD_Response *r = MHD_create_response_from_fd64((uint64_t)st.st_size, fd);
	if (!r) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, mime(path));
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	const char *base = strrchr(path, '/');
	if (base && strcmp(base, "/index.html") == 0)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
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
		return send_error(c, HEPH_ENOTFOUND);
	}
	/* Rebuild the path from its segments: no "..", no empty or "." parts. */
	const char *p = url, *last = url;
	while (*p) {
		while (*p == '/')
			p++;
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == 0)
			break;
		last = p;
		if ((len == 2 && p[0] == '.' && p[1] == '.') || memchr(p, '\\', len)) {
			heph_error_set(HEPH_ENOTFOUND, "no such file");
			return send_error(c, HEPH_ENOTFOUND);
		}
		if (!(len == 1 && p[0] == '.')) {
			if (n + len + 2 >= sizeof rel) {
				heph_error_set(HEPH_ENOTFOUND, "no such file");
				return send_error(c, HEPH_ENOTFOUND);
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
		return send_error(c, HEPH_ENOTFOUND);
	}
	return send_file(c, fd, resolved);
}

/* A CORS preflight: any origin may send a bearer token to /rpc. */
static enum MHD_Result do_preflight(struct MHD_Connection *c)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, "*");
	MHD_add_response_header(r, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
	MHD_add_response_header(r, "Access-Control-Allow-Headers", "Authorization, Content-Type, Idempotency-Key");
	MHD_add_response_header(r, "Access-Control-Max-Age", "600");
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_NO_CONTENT, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- the handler ---- */

static enum route route_of(const char *url)
{
	if (strcmp(url, "/sync/push") == 0)
		return R_PUSH;
	if (strcmp(url, "/sync/pull") == 0)
		return R_PULL;
	if (strcmp(url, "/rpc") == 0)
		return R_RPC;
	if (strcmp(url, "/config") == 0)
		return R_CONFIG;
	if (strcmp(url, "/healthz") == 0)
		return R_HEALTH;
	return R_STATIC;
}

static enum MHD_Result method_not_allowed(struct MHD_Connection *c, const char *method, const char *url)
{
	heph_error_set(HEPH_EINVALID, "%s is not allowed on %.200s", method, url);
	json_t *e = json_pack("{s:{s:i, s:s, s:s}}", "error", "code", heph_error_rpc_code(HEPH_EINVALID), "name",
			      "method_not_allowed", "message", heph_error_last());
	return send_json(c, MHD_HTTP_METHOD_NOT_ALLOWED, e);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct hephd *d = cls;
	struct req *q = *con_cls;
	heph_store *s = NULL;
	int err;
	(void)version;
	if (!q) {
		/* Headers are in: route, check the method, the credential and the
		 * declared length before reading any body. */
		if (!(q = calloc(1, sizeof *q)))
			abort();
		*con_cls = q;
		q->route = route_of(url);
		int post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
		int get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
		if (strcmp(method, MHD_HTTP_METHOD_OPTIONS) == 0 &&
		    (q->route == R_RPC || q->route == R_CONFIG || q->route == R_HEALTH)) {
			q->route = R_OPTIONS; /* answered once the request is complete */
			return MHD_YES;
		}
		if (((q->route == R_PUSH || q->route == R_RPC) && !post) ||
		    (q->route != R_PUSH && q->route != R_RPC && !get))
			return method_not_allowed(c, method, url);
		/* A GET is answered on the next call, once the request is
		 * complete, so that its connection is kept alive. */
		if (get)
			return MHD_YES;
		if ((err = thread_store(d, &s)))
			return send_error(c, err);
		if ((err = hub_authenticate(d, s, MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
					    q->owner)))
			return send_error(c, err);
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > d->max_body) {
			heph_error_set(HEPH_ETOOBIG, "request body of %s bytes is over this hub's limit of %zu", cl, d->max_body);
			return send_error(c, HEPH_ETOOBIG);
		}
		return MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (q->dropped || q->len + n > d->max_body) {
			q->dropped += n;
			/* A body far past the limit is not worth reading to the end. */
			return q->dropped > d->max_body ? MHD_NO : MHD_YES;
		}
		if (q->len + n + 1 > q->cap) {
			size_t cap = q->cap ? q->cap : 16384;
			while (cap < q->len + n + 1)
				cap *= 2;
			if (!(q->body = realloc(q->body, cap)))
				abort();
			q->cap = cap;
		}
		memcpy(q->body + q->len, upload, n);
		q->len += n;
		q->body[q->len] = '\0';
		return MHD_YES;
	}
	/* The whole request is in. */
	if (q->route == R_STATIC)
		return do_static(d, c, url);
	if (q->route == R_OPTIONS)
		return do_preflight(c);
	if ((q->route == R_PULL || q->route == R_CONFIG || q->route == R_HEALTH)) {
		if ((err = thread_store(d, &s)))
			return send_error(c, err);
		if (q->route == R_CONFIG)
			return do_config(d, c, s);
		if (q->route == R_HEALTH)
			return do_health(c, s);
		char owner[HEPHD_OWNER_MAX];
		if ((err = hub_authenticate(d, s, MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
					    owner)))
			return send_error(c, err);
		return do_pull(d, c, s, owner);
	}
	if (q->dropped) {
		heph_error_set(HEPH_ETOOBIG, "request body is over this hub's limit of %zu bytes", d->max_body);
		return send_error(c, HEPH_ETOOBIG);
	}
	if ((err = thread_store(d, &s)))
		return send_error(c, err);
	if (q->route == R_PUSH)
		return do_push(d, c, q);
	return do_rpc(d, c, s, q);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode why)
{
	struct req *q = *con_cls;
	(void)cls;
	(void)c;
	(void)why;
	if (q) {
		free(q->body);
		free(q);
		*con_cls = NULL;
	}
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[1024];
	(void)cls;
	vsnprintf(line, sizeof line, fmt, ap);
	size_t n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	hephd_log("http: %s", line);
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
	if (!(d->hub = calloc(1, sizeof *d->hub)))
		abort();
	pthread_key_create(&d->hub->store_key, close_store);
	pthread_mutex_init(&d->hub->queue_mu, NULL);
	if (d->web_root) {
		if (!realpath(d->web_root, real)) {
			freeaddrinfo(ai);
			return heph_error_set(HEPH_EUSAGE, "--web-root %s: %s", d->web_root, strerror(errno));
		}
		d->hub->web_real = strdup(real);
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	d->hub->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handle, d,
				       MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				       MHD_OPTION_SOCK_ADDR, ai->ai_addr,
				       MHD_OPTION_THREAD_POOL_SIZE, (unsigned)d->threads,
				       MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)d->timeout,
				       MHD_OPTION_CONNECTION_LIMIT, 1000u,
				       MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
				       MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
				       MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
				       MHD_OPTION_END);
	freeaddrinfo(ai);
	if (!d->hub->mhd)
		return heph_error_set(HEPH_EUNAVAIL, "cannot listen on %s (in use, or not an address of this machine)",
				      d->http_addr);
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
	if (d->hub->mhd)
		MHD_stop_daemon(d->hub->mhd);
	heph_store_close(d->hub->writer);
	pthread_mutex_destroy(&d->hub->queue_mu);
	free(d->hub->web_real);
	free(d->hub);
	d->hub = NULL;
}
