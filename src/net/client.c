/* client.c — HTTP requests to a hub with libcurl, and where a replica's hub
 * and token come from. One curl handle per net_client, so a sync cycle
 * reuses one connection.
 *
 * libcurl is loaded with dlopen() on first use instead of being linked:
 * loading it and the libraries it pulls in (TLS, Kerberos, LDAP, ...) costs
 * every process about 16 ms before main() runs, five times what a whole
 * `heph list` takes, and most heph commands never talk to a hub. The calls
 * go through the table `cu` below; curl.h still gives the types. hephd
 * loads it when it first syncs, so a replica without a hub never does. */
#include "net.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "heph/buf.h"
#include "heph/error.h"
#include "heph/sync.h"

#ifndef HEPH_VERSION
#define HEPH_VERSION "0.0.0"
#endif

static struct {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *c, CURLoption o, ...);
	CURLcode (*easy_perform)(CURL *c);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO i, ...);
	void (*easy_cleanup)(CURL *c);
	const char *(*easy_strerror)(CURLcode rc);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
} cu;

static pthread_once_t cu_once = PTHREAD_ONCE_INIT;
static char cu_error[512]; /* why libcurl could not be loaded, or "" */

static void load_curl(void)
{
	void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(cu_error, sizeof cu_error, "talking to a hub needs libcurl (libcurl.so.4): %s", dlerror());
		return;
	}
#define SYM(field, name)                                                                                     \
	if (!(*(void **)&cu.field = dlsym(h, name))) {                                                    \
		snprintf(cu_error, sizeof cu_error, "libcurl.so.4 lacks %s", name);                         \
		return;                                                                                        \
	}
	SYM(global_init, "curl_global_init")
	SYM(easy_init, "curl_easy_init")
	SYM(easy_setopt, "curl_easy_setopt")
	SYM(easy_perform, "curl_easy_perform")
	SYM(easy_getinfo, "curl_easy_getinfo")
	SYM(easy_cleanup, "curl_easy_cleanup")
	SYM(easy_strerror, "curl_easy_strerror")
	SYM(slist_append, "curl_slist_append")
	SYM(slist_free_all, "curl_slist_free_all")
#undef SYM
	if (cu.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		snprintf(cu_error, sizeof cu_error, "libcurl failed to initialise");
}

int net_init(void)
{
	pthread_once(&cu_once, load_curl);
	return cu_error[0] ? heph_error_set(HEPH_EUNAVAIL, "%s", cu_error) : 0;
}

void net_reply_free(struct net_reply *r)
{
	if (!r)
		return;
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

int net_reply_error(const struct net_reply *r, const char *what)
{
	json_t *j = r->body ? json_loadb(r->body, r->len, 0, NULL) : NULL;
	json_t *e = json_object_get(j, "error"); /* borrowed */
	int code = heph_error_from_http_status((int)r->status);
	if (code == HEPH_OK)
		code = HEPH_ERROR;
	if (json_is_object(e) && json_is_string(json_object_get(e, "message"))) {
		if (json_is_integer(json_object_get(e, "code")))
			code = heph_error_from_rpc_code((int)json_integer_value(json_object_get(e, "code")));
		heph_error_set(code, "%s: %s", what, json_string_value(json_object_get(e, "message")));
	} else {
		heph_error_set(code, "%s answered HTTP %ld", what, r->status);
	}
	json_decref(j);
	return code;
}

struct net_client {
	CURL *curl;
	char *base;                   /* base URL */
	struct curl_slist *headers;   /* Authorization, Content-Type, Expect */
	char errbuf[CURL_ERROR_SIZE]; /* curl's message for a failed transfer */
};

int net_client_new(const char *base_url, const char *token, net_client **out)
{
	int err;
	*out = NULL;
	if ((err = net_init()))
		return err;
	net_client *c = calloc(1, sizeof *c);
	if (!c || !(c->curl = cu.easy_init()) || !(c->base = strdup(base_url)))
		abort();
	for (size_t n = strlen(c->base); n > 0 && c->base[n - 1] == '/'; n--)
		c->base[n - 1] = '\0';
	if (token) {
		char *h;
		if (asprintf(&h, "Authorization: Bearer %s", token) < 0)
			abort();
		c->headers = cu.slist_append(c->headers, h);
		explicit_bzero(h, strlen(h));
		free(h);
	}
	c->headers = cu.slist_append(c->headers, "Content-Type: application/json");
	c->headers = cu.slist_append(c->headers, "Expect:");
	cu.easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
	cu.easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	cu.easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	/* A stalled hub: give up after 60 s without a byte. */
	cu.easy_setopt(c->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	cu.easy_setopt(c->curl, CURLOPT_LOW_SPEED_TIME, 60L);
	cu.easy_setopt(c->curl, CURLOPT_USERAGENT, "heph/" HEPH_VERSION);
	cu.easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
	cu.easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	cu.easy_setopt(c->curl, CURLOPT_TCP_NODELAY, 1L);
	*out = c;
	return 0;
}

void net_client_free(net_client *c)
{
	if (!c)
		return;
	cu.easy_cleanup(c->curl);
	cu.slist_free_all(c->headers);
	free(c->base);
	free(c);
}

const char *net_client_url(const net_client *c) { return c->base; }

struct sink {
	heph_buf b; /* the reply so far */
	int over;   /* the reply passed NET_REPLY_MAX */
};

static size_t take(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct sink *k = ctx;
	size_t n = size * nmemb;
	if (k->b.n + n > NET_REPLY_MAX) {
		k->over = 1;
		return 0; /* stops the transfer */
	}
	heph_buf_put(&k->b, data, n);
	return n;
}

static int perform(net_client *c, const char *method, const char *path, const char *body, size_t len,
		   struct curl_slist *headers, struct net_reply *out)
{
	struct sink k = { 0 };
	char *url;
	CURLcode rc;
	memset(out, 0, sizeof *out);
	if (asprintf(&url, "%s%s", c->base, path) < 0)
		abort();
	cu.easy_setopt(c->curl, CURLOPT_URL, url);
	cu.easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, take);
	cu.easy_setopt(c->curl, CURLOPT_WRITEDATA, &k);
	cu.easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
	if (strcmp(method, "POST") == 0) {
		cu.easy_setopt(c->curl, CURLOPT_POST, 1L);
		cu.easy_setopt(c->curl, CURLOPT_POSTFIELDS, body ? body : "");
		cu.easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? len : 0));
	} else {
		cu.easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	}
	c->errbuf[0] = '\0';
	rc = cu.easy_perform(c->curl);
	cu.easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
	free(url);
	if (rc != CURLE_OK) {
		heph_buf_free(&k.b);
		if (k.over)
			return heph_error_set(HEPH_ETOOBIG, "%s sent a reply over %u bytes", c->base, NET_REPLY_MAX);
		return heph_error_set(HEPH_EUNAVAIL, "cannot reach %s: %s", c->base,
				      c->errbuf[0] ? c->errbuf : cu.easy_strerror(rc));
	}
	cu.easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &out->status);
	if (!k.b.p)
		heph_buf_put(&k.b, "", 0); /* "" for an empty reply */
	out->body = k.b.p; /* the reply takes the buffer */
	out->len = k.b.n;
	return 0;
}

int net_client_request(net_client *c, const char *method, const char *path, const char *body, size_t len,
		       struct net_reply *out)
{
	return perform(c, method, path, body, len, c->headers, out);
}

int net_client_post_form(net_client *c, const char *path, const char *form, struct net_reply *out)
{
	struct curl_slist *h = NULL;
	h = cu.slist_append(h, "Content-Type: application/x-www-form-urlencoded");
	h = cu.slist_append(h, "Accept: application/json");
	h = cu.slist_append(h, "Expect:");
	int err = perform(c, "POST", path, form, strlen(form), h, out);
	cu.slist_free_all(h);
	return err;
}

/* ---- a download to a file (GET /sync/snapshot) ---- */

struct dl_sink {
	net_client *c;
	int fd;                 /* where the body goes */
	struct net_download *d;
	int started;            /* the first byte of this reply came */
	int64_t at;             /* the file offset of the next byte */
	int io_error;           /* writing the file failed (errno) */
	heph_buf err;           /* the body of a reply that is not 200/206 */
};

static size_t dl_take(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct dl_sink *k = ctx;
	size_t n = size * nmemb;
	if (!k->started) {
		k->started = 1;
		cu.easy_getinfo(k->c->curl, CURLINFO_RESPONSE_CODE, &k->d->status);
		if (k->d->status == 200) {
			/* the whole file: start it over */
			if (ftruncate(k->fd, 0) != 0) {
				k->io_error = errno;
				return 0;
			}
			k->at = 0;
		}
	}
	if (k->d->status != 200 && k->d->status != 206) {
		if (k->err.n + n > 65536)
			return n; /* an error body is read, not kept, past this */
		heph_buf_put(&k->err, data, n);
		return n;
	}
	for (size_t done = 0; done < n;) {
		ssize_t w = pwrite(k->fd, data + done, n - done, (off_t)k->at);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			k->io_error = errno;
			return 0;
		}
		done += (size_t)w;
		k->at += w;
		k->d->got += w;
	}
	return n;
}

/* Header lines: the Heph-Snapshot-* members and the ETag. */
static size_t dl_header(char *line, size_t size, size_t nmemb, void *ctx)
{
	struct dl_sink *k = ctx;
	size_t n = size * nmemb;
	char text[256];
	snprintf(text, sizeof text, "%.*s", (int)(n < sizeof text ? n : sizeof text - 1), line);
	text[strcspn(text, "\r\n")] = '\0';
	char *colon = strchr(text, ':');
	if (strncmp(text, "HTTP/", 5) == 0) {
		/* a new reply (after a redirect or 100): forget the last one's */
		int64_t got = k->d->got;
		memset(k->d, 0, sizeof *k->d);
		k->d->got = got;
		return n;
	}
	if (!colon)
		return n;
	*colon = '\0';
	char *v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	if (strcasecmp(text, "ETag") == 0)
		snprintf(k->d->etag, sizeof k->d->etag, "%s", v);
	else if (strcasecmp(text, "Heph-Snapshot-Sha256") == 0)
		snprintf(k->d->sha, sizeof k->d->sha, "%s", v);
	else if (strcasecmp(text, "Heph-Snapshot-Hub") == 0)
		snprintf(k->d->hub, sizeof k->d->hub, "%s", v);
	else if (strcasecmp(text, "Heph-Snapshot-Format") == 0)
		k->d->format = strtoll(v, NULL, 10);
	else if (strcasecmp(text, "Heph-Snapshot-Seq") == 0)
		k->d->seq = strtoll(v, NULL, 10);
	else if (strcasecmp(text, "Heph-Snapshot-Size") == 0)
		k->d->size = strtoll(v, NULL, 10);
	return n;
}

int net_client_download(net_client *c, const char *path, int fd, int64_t offset, const char *if_range,
			struct net_download *out, struct net_reply *error)
{
	struct dl_sink k = { .c = c, .fd = fd, .d = out, .at = offset };
	struct curl_slist *h = NULL;
	char *url, range[32], *ir = NULL;
	CURLcode rc;
	memset(out, 0, sizeof *out);
	memset(error, 0, sizeof *error);
	for (struct curl_slist *l = c->headers; l; l = l->next)
		h = cu.slist_append(h, l->data);
	if (offset > 0 && if_range) {
		if (asprintf(&ir, "If-Range: %s", if_range) < 0)
			abort();
		h = cu.slist_append(h, ir);
		free(ir);
	}
	if (asprintf(&url, "%s%s", c->base, path) < 0)
		abort();
	snprintf(range, sizeof range, "%lld-", (long long)offset);
	cu.easy_setopt(c->curl, CURLOPT_URL, url);
	cu.easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	cu.easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
	cu.easy_setopt(c->curl, CURLOPT_RANGE, offset > 0 ? range : NULL);
	cu.easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, dl_take);
	cu.easy_setopt(c->curl, CURLOPT_WRITEDATA, &k);
	cu.easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, dl_header);
	cu.easy_setopt(c->curl, CURLOPT_HEADERDATA, &k);
	c->errbuf[0] = '\0';
	rc = cu.easy_perform(c->curl);
	if (!k.started)
		cu.easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &out->status);
	cu.easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
	cu.easy_setopt(c->curl, CURLOPT_RANGE, NULL);
	cu.easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, NULL);
	cu.easy_setopt(c->curl, CURLOPT_HEADERDATA, NULL);
	cu.slist_free_all(h);
	free(url);
	if (k.io_error) {
		heph_buf_free(&k.err);
		return heph_error_set(HEPH_ERROR, "cannot write the download from %s: %s", c->base, strerror(k.io_error));
	}
	/* Cut once connected: in the body, or in the headers (which libcurl
	 * may take for a reply without a status). */
	out->cut = (rc == CURLE_OK && out->status == 0) || rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR ||
		   rc == CURLE_GOT_NOTHING;
	if (rc != CURLE_OK || out->status == 0) {
		heph_buf_free(&k.err);
		return heph_error_set(HEPH_EUNAVAIL, "download from %s cut short: %s", c->base,
				      rc != CURLE_OK ? (c->errbuf[0] ? c->errbuf : cu.easy_strerror(rc)) : "no status line");
	}
	if (out->status != 200 && out->status != 206) {
		if (!k.err.p)
			heph_buf_put(&k.err, "", 0);
		error->status = out->status;
		error->body = k.err.p;
		error->len = k.err.n;
	}
	return 0;
}

static int cancelled(void *flag, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return __atomic_load_n((const int *)flag, __ATOMIC_RELAXED) != 0; /* non-zero aborts */
}

void net_client_set_cancel(net_client *c, const int *flag)
{
	cu.easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, cancelled);
	cu.easy_setopt(c->curl, CURLOPT_XFERINFODATA, (void *)flag);
	cu.easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L);
}

void net_client_set_timeout(net_client *c, long ms)
{
	cu.easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, ms);
	cu.easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, ms);
}

char *net_form_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(strlen(s) * 3 + 1), *o = out;
	if (!out)
		abort();
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		    *p == '.' || *p == '_' || *p == '~') {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

/* ---- hub and token ---- */

int net_read_token_file(const char *path, char **out)
{
	char line[8192];
	FILE *f = fopen(path, "r");
	*out = NULL;
	if (!f)
		return heph_error_set(errno == ENOENT ? HEPH_ENOTFOUND : HEPH_ERROR, "cannot read token file %s: %s", path,
				      strerror(errno));
	/* A token is a password: say so, once per process, when others can
	 * read it (as ssh does for keys; a warning, not a refusal, so that a
	 * sync that worked yesterday still works). */
	static int warned;
	struct stat st;
	if (!warned && fstat(fileno(f), &st) == 0 && (st.st_mode & 077)) {
		warned = 1;
		fprintf(stderr, "heph: warning: token file %s can be read by others (mode %03o); anyone who reads it "
				"can use your hub. Make it private: chmod 600 %s\n",
			path, (unsigned)(st.st_mode & 0777), path);
	}
	if (!fgets(line, sizeof line, f))
		line[0] = '\0';
	fclose(f);
	char *p = line, *e;
	while (*p == ' ' || *p == '\t')
		p++;
	e = p + strlen(p);
	while (e > p && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	if (!*p)
		return heph_error_set(HEPH_EINVALID, "token file %s is empty", path);
	for (char *q = p; *q; q++)
		if ((unsigned char)*q < 0x21 || (unsigned char)*q > 0x7e)
			return heph_error_set(HEPH_EINVALID, "token file %s holds something that is not a token", path);
	if (!(*out = strdup(p)))
		abort();
	return 0;
}

int net_run_token_cmd(const char *cmd, char **out)
{
	char line[8192] = "";
	*out = NULL;
	fflush(NULL);
	FILE *p = popen(cmd, "r");
	if (!p)
		return heph_error_set(HEPH_EAUTH, "cannot run the token command `%.200s`: %s", cmd, strerror(errno));
	if (!fgets(line, sizeof line, p))
		line[0] = '\0';
	while (fgetc(p) != EOF) /* let it finish writing */
		;
	int st = pclose(p);
	if (st != 0) {
		memset(line, 0, sizeof line);
		return heph_error_set(HEPH_EAUTH, "the token command `%.200s` failed (%s %d); run it by hand to see why",
				      cmd, WIFEXITED(st) ? "exit status" : "signal",
				      WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? WTERMSIG(st) : st);
	}
	char *b = line, *e;
	while (*b == ' ' || *b == '\t')
		b++;
	e = b + strlen(b);
	while (e > b && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	int bad = !*b;
	for (char *q = b; *q; q++)
		bad |= (unsigned char)*q < 0x21 || (unsigned char)*q > 0x7e;
	if (bad) {
		memset(line, 0, sizeof line);
		return heph_error_set(HEPH_EAUTH, "the token command `%.200s` printed no token on its first line", cmd);
	}
	if (!(*out = strdup(b)))
		abort();
	memset(line, 0, sizeof line);
	return 0;
}

int net_run_save_cmd(const char *cmd, const char *token)
{
	sigset_t pipe_set, old;
	size_t len = strlen(token);
	int wrote = 1;
	fflush(NULL);
	/* A command that exits without reading must not kill us with SIGPIPE:
	 * block it in this thread, and take the one it may leave pending. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	FILE *p = popen(cmd, "w");
	if (!p) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return heph_error_set(HEPH_EAUTH, "cannot run the token save command `%.200s`: %s", cmd, strerror(errno));
	}
	if (fwrite(token, 1, len, p) != len || fputc('\n', p) == EOF || fflush(p) != 0)
		wrote = 0;
	int st = pclose(p);
	struct timespec zero = { 0, 0 };
	while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE)
		;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (st != 0)
		return heph_error_set(HEPH_EAUTH, "the token save command `%.200s` failed (%s %d); run it by hand to see why",
				      cmd, WIFEXITED(st) ? "exit status" : "signal",
				      WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? WTERMSIG(st) : st);
	if (!wrote)
		return heph_error_set(HEPH_EAUTH, "the token save command `%.200s` did not read the token it was given",
				      cmd);
	return 0;
}

int net_hub_load(heph_store *s, const char *url, const char *token_file, struct net_hub *out)
{
	char *set_url = NULL, *set_tf = NULL;
	int err = 0;
	memset(out, 0, sizeof *out);
	if (s && !url && (err = heph_store_setting_get(s, HEPH_SETTING_HUB_URL, &set_url)))
		return err;
	if (s && !token_file && (err = heph_store_setting_get(s, HEPH_SETTING_HUB_TOKEN_FILE, &set_tf))) {
		free(set_url);
		return err;
	}
	if (!url && !set_url) {
		free(set_tf);
		return heph_error_set(HEPH_EUSAGE, "no hub is set for this database (heph hub set URL [--token-file FILE])");
	}
	if (!(out->url = strdup(url ? url : set_url)))
		abort();
	for (size_t n = strlen(out->url); n > 0 && out->url[n - 1] == '/'; n--)
		out->url[n - 1] = '\0';
	if (token_file || set_tf) {
		if (!(out->token_file = strdup(token_file ? token_file : set_tf)))
			abort();
		err = net_read_token_file(out->token_file, &out->token);
	} else if (net_token_cmd_get(out->url, &out->token_cmd) == 0 && out->token_cmd) {
		err = net_run_token_cmd(out->token_cmd, &out->token);
	}
	free(set_url);
	free(set_tf);
	if (err)
		net_hub_free(out);
	return err;
}

void net_hub_free(struct net_hub *h)
{
	if (!h)
		return;
	free(h->url);
	if (h->token)
		memset(h->token, 0, strlen(h->token));
	free(h->token);
	free(h->token_file);
	free(h->token_cmd);
	memset(h, 0, sizeof *h);
}
