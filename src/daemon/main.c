/* main.c — hephd: one binary, three modes, and the hub's token commands.
 *
 *   hephd --mode local   a replica on this device: JSON-RPC on a unix socket,
 *                        background sync with its hub (if one is set)
 *   hephd --mode server  the hub: HTTP (sync, /rpc, /config, the web app)
 *   hephd --mode client  a socket that forwards every call to a hub's /rpc
 *   hephd token create NAME | list | revoke NAME   device tokens of a hub
 *
 * Signals: SIGTERM, SIGINT and SIGHUP stop it cleanly (blocked in every
 * thread and read from a signalfd by the main thread).
 */
#include "hephd.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "heph/backup.h"
#include "heph/error.h"
#include "heph/sync.h"
#include "heph/token.h"
#include "net.h"
#include "render_rpc.h"

/* The install layout (meson sets these from its prefix, bindir and
 * datadir): the web app is DATADIR/heph/web, found relative to where hephd
 * itself is (see installed_web_root()). */
#ifndef HEPH_PREFIX
#define HEPH_PREFIX "/usr/local"
#endif
#ifndef HEPH_BINDIR
#define HEPH_BINDIR "bin"
#endif
#ifndef HEPH_DATADIR
#define HEPH_DATADIR "share"
#endif

static const char usage_text[] =
	"usage: hephd [--mode local|server|client] [OPTIONS]\n"
	"       hephd token create NAME | token list [--json] | token revoke NAME  [--db PATH]\n"
	"       hephd backup DIR [--db PATH]   a consistent copy of the database, taken while it\n"
	"                                      serves, as DIR/heph-YYYYMMDDTHHMMSSZ.db\n"
	"\n"
	"hephd keeps a heph replica available to other programs and in sync.\n"
	"  local   (default) serve this device's database on a unix socket and sync it\n"
	"          with its hub in the background, every --sync-interval seconds and\n"
	"          at once after a change\n"
	"  server  the hub: HTTP with POST /sync/push, GET /sync/pull, POST /rpc,\n"
	"          GET /config, GET /healthz, GET /metrics (Prometheus) and the web app\n"
	"          under --web-root\n"
	"  client  serve the unix socket, forwarding every call to the hub's /rpc\n"
	"\n"
	"Options:\n"
	"  --db PATH             database (default $HEPH_DB, else $XDG_DATA_HOME/heph/heph.db)\n"
	"  --socket PATH         unix socket (default $HEPH_SOCKET, else\n"
	"                        $XDG_RUNTIME_DIR/heph/hephd.sock, else /tmp/heph-UID/hephd.sock)\n"
	"  --http-addr HOST:PORT where the hub listens (default 127.0.0.1:8420; port 0 picks one)\n"
	"  --web-root DIR        serve the web app from DIR (server; default the one installed\n"
	"                        with hephd, ../" HEPH_DATADIR "/heph/web from hephd's directory, when\n"
	"                        it exists; none: no web app)\n"
	"  --hub-url URL         the hub (local, client; default: heph hub set)\n"
	"  --token-file FILE     the bearer token for the hub (default: heph hub set)\n"
	"  --metrics-token-file FILE  a bearer token that may read GET /metrics (server; from\n"
	"                        loopback it is readable without one)\n"
	"  --sync-interval SECS  seconds between background syncs (default 30)\n"
	"  --sync-batch N        ops per sync request (default 20000 pulled, 1000 pushed)\n"
	"  --no-auth             serve without credentials; only on a loopback address\n"
	"  --oidc-issuer URL     also accept access tokens of this OpenID Connect provider\n"
	"                        (server; the exact issuer, e.g. https://id.example.org/application/o/heph/)\n"
	"  --oidc-audience AUD   the audience (aud) its access tokens for this hub carry\n"
	"  --oidc-client-id ID   the client id heph and the web app log in with (default: AUD)\n"
	"  --oidc-web-client-id ID  the web app's own client id, if it has one (default: the above)\n"
	"  --authorized-sub SUB  an identity (sub) allowed besides the first one, which claims the\n"
	"                        hub; repeatable. When given, only a listed identity can claim it\n"
	"  --oidc-jwks-refetch SECS  the least time between two fetches of the provider's keys\n"
	"                        for tokens naming an unknown key (default 10)\n"
	"  --max-body BYTES      the largest request body the hub takes (default 33554432)\n"
	"  --timeout SECS        close a connection silent this long (default 30)\n"
	"  --request-timeout SECS  close a connection whose request (headers and body)\n"
	"                        takes longer than this to arrive (default 60)\n"
	"  --max-per-address N   open connections one client address may hold (default 64;\n"
	"                        behind a reverse proxy every client shares its address)\n"
	"  --allow-host NAME     a host name the hub is reached by (repeatable); requests\n"
	"                        naming another Host are refused (IP literals, localhost\n"
	"                        and this machine's name always pass)\n"
	"  --allow-origin ORIGIN a web origin (https://app.example) allowed to call the hub\n"
	"                        from a browser (CORS; repeatable). The hub's own origin\n"
	"                        needs none\n"
	"  --threads N           HTTP worker threads (default 2 per CPU, at most 16)\n"
	"  --pid-file FILE       write the process id here\n"
	"  --ready-file FILE     once serving, write the hub's URL (server) or the socket\n"
	"                        path here\n"
	"  --version             print the version\n"
	"  --help                this help\n"
	"\n"
	"Exit status: 0 stopped cleanly, 1 error, 2 usage, 6 another hephd serves the socket,\n"
	"14 the address is in use. See docs/how-to/set-up-a-hub.md.\n";

static int fail(int code)
{
	fprintf(stderr, "hephd: %s\n", heph_error_last());
	return heph_error_exit_status(code);
}

static char *absolute(const char *path)
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

static int write_file(const char *path, const char *text)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f || fprintf(f, "%s\n", text) < 0 || fclose(f) != 0 || rename(tmp, path) != 0)
		return heph_error_set(HEPH_ERROR, "cannot write %s: %s", path, strerror(errno));
	return 0;
}

/* Directory of DIR joined with rel, where rel is relative to prefix and
 * bindir is too: the prefix is bindir's depth above the directory hephd
 * runs from. NULL when bindir is absolute or hephd's path is unknown. */
static char *relocated(const char *rel)
{
	char exe[PATH_MAX], *out = NULL;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0 || HEPH_BINDIR[0] == '/' || rel[0] == '/')
		return NULL;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0'; /* the directory hephd runs from: PREFIX/BINDIR */
	/* Up one directory per component of BINDIR ("bin", "lib/heph/bin"). */
	for (const char *c = HEPH_BINDIR; *c;) {
		size_t len = strcspn(c, "/");
		if (len > 0 && !(len == 1 && c[0] == '.')) {
			if (!(slash = strrchr(exe, '/')))
				return NULL;
			*slash = '\0';
		}
		c += len + (c[len] == '/');
	}
	if (asprintf(&out, "%s/%s", exe, rel) < 0)
		abort();
	return out;
}

/* The web app installed with this hephd: relative to the directory hephd
 * runs from (an install under any prefix, moved or not), else where the
 * build's prefix put it. NULL if neither holds an index.html. Malloc'd. */
static char *installed_web_root(void)
{
	char *dir = relocated(HEPH_DATADIR "/heph/web"), *index = NULL;
	if (dir && asprintf(&index, "%s/index.html", dir) >= 0 && access(index, R_OK) == 0) {
		free(index);
		return dir;
	}
	free(index);
	free(dir);
	const char *fixed = HEPH_DATADIR[0] == '/' ? HEPH_DATADIR "/heph/web" : HEPH_PREFIX "/" HEPH_DATADIR "/heph/web";
	return access(HEPH_DATADIR[0] == '/' ? HEPH_DATADIR "/heph/web/index.html"
					     : HEPH_PREFIX "/" HEPH_DATADIR "/heph/web/index.html", R_OK) == 0
		       ? strdup(fixed)
		       : NULL;
}

/* Open (creating and migrating) the database once in the main thread, so
 * that the threads can open it without creating it. */
/* Make the database and its WAL and shared-memory files readable by their
 * owner only, whatever mode they were made with (hephd itself runs with
 * umask 077, but the file may come from a copy or an older version). */
static void private_files(const char *db)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	char path[PATH_MAX];
	struct stat st;
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		if ((size_t)snprintf(path, sizeof path, "%s%s", db, suffixes[i]) >= sizeof path)
			continue;
		if (stat(path, &st) == 0 && (st.st_mode & 077)) {
			if (chmod(path, st.st_mode & 0700) == 0)
				hephd_log("%s was readable by others (mode %03o); it is now %03o", path,
					  (unsigned)(st.st_mode & 0777), (unsigned)(st.st_mode & 0700));
			else
				hephd_log("WARNING: %s is readable by others (mode %03o) and cannot be changed: %s", path,
					  (unsigned)(st.st_mode & 0777), strerror(errno));
		}
	}
}

static int prepare_db(struct hephd *d)
{
	heph_store *s = NULL;
	if (heph_mkdirs(d->db) != 0)
		return heph_error_set(HEPH_ERROR, "cannot create the directory of %s: %s", d->db, strerror(errno));
	int err = heph_store_open(d->db, NULL, &s);
	heph_store_close(s);
	if (!err)
		private_files(d->db);
	return err;
}

static int parse_int(const char *flag, const char *v, long long min, long long max, long long *out)
{
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (!*v || *end || errno || n < min || n > max)
		return heph_error_set(HEPH_EUSAGE, "%s wants a number from %lld to %lld, not \"%s\"", flag, min, max, v);
	*out = n;
	return 0;
}

/* ---- hephd token ... ---- */

/* hephd backup DIR: a consistent copy of the hub's database, taken while it
 * serves, as DIR/heph-YYYYMMDDTHHMMSSZ.db (heph/backup.h). The database
 * must exist: a backup never creates one. */
static int backup(const char *db, int argc, char **argv, int json)
{
	heph_store *s = NULL;
	heph_store_opts o = { .no_create = 1 };
	heph_backup_info info;
	char *dest = NULL, when[32];
	struct tm tm;
	time_t t = time(NULL);
	int err;
	if (argc != 1 || !*argv[0])
		return heph_error_set(HEPH_EUSAGE, "usage: hephd backup DIR [--db PATH]");
	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y%m%dT%H%M%SZ", &tm);
	if (asprintf(&dest, "%s/heph-%s.db", argv[0], when) < 0)
		abort();
	if (mkdir(argv[0], 0700) != 0 && errno != EEXIST) {
		err = heph_error_set(HEPH_ERROR, "cannot create %s: %s", argv[0], strerror(errno));
		goto out;
	}
	if ((err = heph_store_open(db, &o, &s)) || (err = heph_backup(s, dest, &info)))
		goto out;
	if (json) {
		json_t *r = json_pack("{s:s, s:I, s:I, s:i}", "file", dest, "ops", (json_int_t)info.ops, "bytes",
				      (json_int_t)info.bytes, "schema", info.schema);
		char *text = json_dumps(r, JSON_COMPACT);
		printf("%s\n", text);
		free(text);
		json_decref(r);
	} else
		printf("%s\n", dest);
	fprintf(stderr, "hephd: backed up %lld op(s), %lld bytes, to %s\n", (long long)info.ops, (long long)info.bytes,
		dest);
out:
	heph_store_close(s);
	free(dest);
	return err;
}

static int tokens(const char *db, int argc, char **argv, int json)
{
	heph_store *s = NULL;
	heph_store_opts o = { 0 };
	int err;
	if (argc < 1)
		return heph_error_set(HEPH_EUSAGE, "usage: hephd token create NAME | list | revoke NAME");
	if (heph_mkdirs(db) != 0)
		return heph_error_set(HEPH_ERROR, "cannot create the directory of %s: %s", db, strerror(errno));
	if (strcmp(argv[0], "create") == 0 && argc == 2) {
		char *tok = NULL;
		if ((err = heph_store_open(db, &o, &s)) || (err = heph_token_create(s, argv[1], &tok)))
			goto out;
		struct stat st;
		/* hephd token create NAME > FILE: the file holds a secret. */
		if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077) &&
		    fchmod(STDOUT_FILENO, st.st_mode & 0700) == 0)
			fprintf(stderr, "hephd: the file the token goes to is now readable by you only (it was %03o)\n",
				(unsigned)(st.st_mode & 0777));
		printf("%s\n", tok);
		fprintf(stderr, "hephd: made token \"%s\"; it is shown only now. Keep it in a file only you can read\n"
				"and give the file to the device: heph hub set URL --token-file FILE\n",
			argv[1]);
		free(tok);
	} else if (strcmp(argv[0], "revoke") == 0 && argc == 2) {
		if ((err = heph_store_open(db, &o, &s)) || (err = heph_token_revoke(s, argv[1])))
			goto out;
		fprintf(stderr, "hephd: revoked token \"%s\"\n", argv[1]);
	} else if (strcmp(argv[0], "list") == 0 && argc == 1) {
		json_t *list = NULL, *t;
		size_t i;
		if ((err = heph_store_open(db, &o, &s)) || (err = heph_token_list(s, &list)))
			goto out;
		if (json) {
			char *text = json_dumps(list, JSON_COMPACT);
			printf("%s\n", text);
			free(text);
		} else {
			json_array_foreach(list, i, t) {
				const char *rev = json_string_value(json_object_get(t, "revoked_at"));
				printf("%-24s created %s%s%s\n", json_string_value(json_object_get(t, "name")),
				       json_string_value(json_object_get(t, "created_at")), rev ? ", revoked " : "",
				       rev ? rev : "");
			}
		}
		json_decref(list);
	} else {
		err = heph_error_set(HEPH_EUSAGE, "usage: hephd token create NAME | list | revoke NAME");
	}
out:
	heph_store_close(s);
	return err;
}

/* ---- serving ---- */

static int stop_fd(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Blocked before any thread starts, so every thread inherits it. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_CLOEXEC);
}

static int serve(struct hephd *d)
{
	int sfd = stop_fd(), lfd = -1, err = 0;
	char *url = NULL;
	if (sfd < 0)
		return heph_error_set(HEPH_ERROR, "signalfd: %s", strerror(errno));
	if (d->mode != MODE_CLIENT && (err = prepare_db(d)))
		goto out;
	if (d->pid_file) {
		char pid[32];
		snprintf(pid, sizeof pid, "%d", (int)getpid());
		if ((err = write_file(d->pid_file, pid)))
			goto out;
	}
	if (d->mode == MODE_SERVER) {
		if ((err = oidc_start(d)) || (err = hub_start(d, &url)))
			goto out;
		if (d->no_auth)
			hephd_log("WARNING: --no-auth: anyone who can connect to %s can read and change every task "
				  "on this hub. Use it only for a local test.", url);
		hephd_log("hub serving %s (database %s, protocol %d, %d threads)", url, d->db, HEPH_SYNC_PROTOCOL,
			  d->threads);
		if (d->oidc_issuer)
			hephd_log("identity provider %s (audience %s)", d->oidc_issuer, d->oidc_audience);
		if (d->web_root)
			hephd_log("web app from %s", d->web_root);
		else
			hephd_log("no web app (none installed with hephd in ../%s/heph/web nor in %s/%s/heph/web; "
				  "see --web-root)", HEPH_DATADIR, HEPH_PREFIX, HEPH_DATADIR);
		if (d->ready_file && (err = write_file(d->ready_file, url)))
			goto out;
		struct pollfd p = { .fd = sfd, .events = POLLIN };
		while (poll(&p, 1, -1) < 0 && errno == EINTR)
			;
	} else {
		if (d->mode == MODE_CLIENT) {
			struct net_hub hub;
			if ((err = net_hub_load(NULL, d->hub_url, d->token_file, &hub)))
				goto out;
			hephd_log("client of %s", hub.url);
			net_hub_free(&hub);
		}
		if ((err = socket_listen(d, &lfd)))
			goto out;
		if (d->mode == MODE_LOCAL && (err = spoke_start(d)))
			goto out;
		hephd_log("serving %s (%s%s%s)", d->socket, d->mode == MODE_LOCAL ? "local, database " : "client of ",
			  d->mode == MODE_LOCAL ? d->db : d->hub_url, "");
		if (d->ready_file && (err = write_file(d->ready_file, d->socket)))
			goto out;
		err = socket_serve(d, lfd, sfd);
	}
	hephd_log("stopping");
out:
	spoke_stop(d);
	hub_stop(d);
	oidc_stop(d);
	if (lfd >= 0) {
		close(lfd);
		unlink(d->socket);
	}
	if (d->ready_file)
		unlink(d->ready_file);
	if (d->pid_file)
		unlink(d->pid_file);
	free(url);
	close(sfd);
	return err;
}

/* Append a copy of v to a growing array of strings. */
static void push_str(char ***arr, int *n, const char *v)
{
	if (!(*arr = realloc(*arr, sizeof **arr * (size_t)(*n + 1))) || !((*arr)[(*n)++] = strdup(v)))
		abort();
}

int main(int argc, char **argv)
{
	struct hephd d = { .mode = MODE_LOCAL, .sync_interval = 30, .max_body = 32u << 20, .timeout = 30,
			   .request_timeout = 60, .max_per_address = 64, .oidc_refetch = 10 };
	char sock[PATH_MAX];
	int json = 0, err = 0, status, no_web = 0;
	char *db = NULL, **rest = calloc((size_t)argc + 1, sizeof *rest);
	int nrest = 0;
	long long n;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (!rest)
		abort();
	d.threads = (int)(ncpu > 0 ? ncpu * 2 : 2);
	if (d.threads > 16)
		d.threads = 16;
	pthread_mutex_init(&d.write_lock, NULL);
	/* Everything hephd makes (the database, its WAL, the socket) is its
	 * owner's alone: the database holds token hashes and every task. */
	umask(077);

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define TAKES(name) (strcmp(a, name) == 0 && (v ? (i++, 1) : (err = heph_error_set(HEPH_EUSAGE, "%s needs a value", name), 0)))
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage_text, stdout);
			goto done;
		} else if (strcmp(a, "--version") == 0) {
			printf("hephd %s (schema %d, sync protocol %d)\n", heph_version(), heph_schema_version(),
			       HEPH_SYNC_PROTOCOL);
			goto done;
		} else if (strcmp(a, "--json") == 0) {
			json = 1;
		} else if (strcmp(a, "--no-auth") == 0) {
			d.no_auth = 1;
		} else if (TAKES("--mode")) {
			if (strcmp(v, "local") == 0)
				d.mode = MODE_LOCAL;
			else if (strcmp(v, "server") == 0)
				d.mode = MODE_SERVER;
			else if (strcmp(v, "client") == 0)
				d.mode = MODE_CLIENT;
			else
				err = heph_error_set(HEPH_EUSAGE, "--mode is local, server or client, not \"%s\"", v);
		} else if (TAKES("--oidc-issuer")) {
			free(d.oidc_issuer);
			d.oidc_issuer = strdup(v);
		} else if (TAKES("--oidc-audience")) {
			free(d.oidc_audience);
			d.oidc_audience = strdup(v);
		} else if (TAKES("--oidc-client-id")) {
			free(d.oidc_client_id);
	free(d.oidc_web_client_id);
			d.oidc_client_id = strdup(v);
		} else if (TAKES("--oidc-web-client-id")) {
			free(d.oidc_web_client_id);
			d.oidc_web_client_id = strdup(v);
		} else if (TAKES("--authorized-sub")) {
			if (!*v)
				err = heph_error_set(HEPH_EUSAGE, "--authorized-sub wants a subject (the sub claim), not \"\"");
			else if (!(d.authorized_subs = realloc(d.authorized_subs, sizeof *d.authorized_subs *
											   (size_t)(d.n_authorized_subs + 1))) ||
				 !(d.authorized_subs[d.n_authorized_subs++] = strdup(v)))
				abort();
		} else if (TAKES("--oidc-jwks-refetch")) {
			if (!(err = parse_int(a, v, 0, 86400, &n)))
				d.oidc_refetch = (int)n;
		} else if (TAKES("--db")) {
			free(db);
			db = strdup(v);
		} else if (TAKES("--socket")) {
			free(d.socket);
			d.socket = absolute(v);
		} else if (TAKES("--http-addr")) {
			free(d.http_addr);
			d.http_addr = strdup(v);
		} else if (TAKES("--web-root")) {
			free(d.web_root);
			d.web_root = strcmp(v, "none") == 0 ? NULL : absolute(v);
			no_web = d.web_root == NULL;
		} else if (TAKES("--hub-url")) {
			free(d.hub_url);
			d.hub_url = strdup(v);
		} else if (TAKES("--token-file")) {
			free(d.token_file);
	free(d.metrics_token);
			d.token_file = absolute(v);
		} else if (TAKES("--metrics-token-file")) {
			free(d.metrics_token);
			d.metrics_token = NULL;
			if ((err = net_read_token_file(v, &d.metrics_token)))
				break;
		} else if (TAKES("--sync-interval")) {
			if (!(err = parse_int(a, v, 1, 86400, &n)))
				d.sync_interval = (int)n;
		} else if (TAKES("--sync-batch")) {
			if (!(err = parse_int(a, v, 1, HEPH_SYNC_PULL_LIMIT, &n)))
				d.sync_batch = (int)n;
		} else if (TAKES("--max-body")) {
			if (!(err = parse_int(a, v, 1024, (long long)1 << 32, &n)))
				d.max_body = (size_t)n;
		} else if (TAKES("--timeout")) {
			if (!(err = parse_int(a, v, 1, 3600, &n)))
				d.timeout = (int)n;
		} else if (TAKES("--request-timeout")) {
			if (!(err = parse_int(a, v, 1, 3600, &n)))
				d.request_timeout = (int)n;
		} else if (TAKES("--max-per-address")) {
			if (!(err = parse_int(a, v, 1, 1000, &n)))
				d.max_per_address = (int)n;
		} else if (TAKES("--allow-host")) {
			if (!*v || strpbrk(v, "/:@ "))
				err = heph_error_set(HEPH_EUSAGE, "--allow-host wants a host name (hub.example.org), not \"%s\"", v);
			else
				push_str(&d.allow_hosts, &d.n_allow_hosts, v);
		} else if (TAKES("--allow-origin")) {
			if (!(strncmp(v, "https://", 8) == 0 || strncmp(v, "http://", 7) == 0) || strchr(strstr(v, "//") + 2, '/'))
				err = heph_error_set(HEPH_EUSAGE, "--allow-origin wants an origin (https://app.example.org, "
								  "no path), not \"%s\"", v);
			else
				push_str(&d.allow_origins, &d.n_allow_origins, v);
		} else if (TAKES("--threads")) {
			if (!(err = parse_int(a, v, 1, 256, &n)))
				d.threads = (int)n;
		} else if (TAKES("--pid-file")) {
			free(d.pid_file);
			d.pid_file = absolute(v);
		} else if (TAKES("--ready-file")) {
			free(d.ready_file);
			d.ready_file = absolute(v);
		} else if (a[0] == '-' && a[1] == '-') {
			if (!err)
				err = heph_error_set(HEPH_EUSAGE, "unknown option %s (see hephd --help)", a);
		} else {
			rest[nrest++] = argv[i];
		}
#undef TAKES
		if (err)
			break;
	}
	if (err)
		goto done;
	if (!db)
		db = heph_default_db_path();
	d.db = absolute(db);
	if (nrest > 0 && strcmp(rest[0], "backup") == 0) {
		err = backup(d.db, nrest - 1, rest + 1, json);
		goto done;
	}
	if (nrest > 0) {
		if (strcmp(rest[0], "token") != 0) {
			err = heph_error_set(HEPH_EUSAGE, "unknown command \"%s\" (see hephd --help)", rest[0]);
			goto done;
		}
		err = tokens(d.db, nrest - 1, rest + 1, json);
		goto done;
	}
	if (!d.socket) {
		net_socket_default(sock, sizeof sock);
		d.socket = absolute(sock);
	}
	if (!d.http_addr)
		d.http_addr = strdup("127.0.0.1:8420");
	if (!d.web_root && !no_web && d.mode == MODE_SERVER)
		d.web_root = installed_web_root();
	if ((d.oidc_audience || d.oidc_client_id || d.oidc_web_client_id || d.n_authorized_subs) && !d.oidc_issuer) {
		err = heph_error_set(HEPH_EUSAGE, "--oidc-audience, --oidc-client-id, --oidc-web-client-id and --authorized-sub "
						  "need --oidc-issuer URL");
		goto done;
	}
	if (d.oidc_issuer && d.mode != MODE_SERVER) {
		err = heph_error_set(HEPH_EUSAGE, "--oidc-issuer is for the hub (--mode server); a spoke logs in with heph auth login");
		goto done;
	}
	if (d.oidc_issuer && d.no_auth) {
		err = heph_error_set(HEPH_EUSAGE, "--oidc-issuer and --no-auth contradict each other");
		goto done;
	}
	if (d.mode == MODE_CLIENT && !d.hub_url) {
		/* The hub of this device's database, if it names one. */
		heph_store *s = NULL;
		heph_store_opts o = { .no_create = 1 };
		if (heph_store_open(d.db, &o, &s) == 0)
			heph_store_setting_get(s, HEPH_SETTING_HUB_URL, &d.hub_url);
		if (!d.token_file && s)
			heph_store_setting_get(s, HEPH_SETTING_HUB_TOKEN_FILE, &d.token_file);
		heph_store_close(s);
		if (!d.hub_url) {
			err = heph_error_set(HEPH_EUSAGE, "client mode needs --hub-url URL (or heph hub set URL)");
			goto done;
		}
	}
	/* Methods only hephd links join the table before any thread reads it. */
	heph_render_register();
	err = serve(&d);
done:
	status = err ? fail(err) : 0;
	free(db);
	free(d.db);
	free(d.socket);
	free(d.http_addr);
	free(d.web_root);
	free(d.hub_url);
	free(d.token_file);
	free(d.pid_file);
	free(d.ready_file);
	free(d.oidc_issuer);
	free(d.oidc_audience);
	free(d.oidc_client_id);
	free(d.oidc_web_client_id);
	for (int k = 0; k < d.n_authorized_subs; k++)
		free(d.authorized_subs[k]);
	free(d.authorized_subs);
	for (int k = 0; k < d.n_allow_hosts; k++)
		free(d.allow_hosts[k]);
	free(d.allow_hosts);
	for (int k = 0; k < d.n_allow_origins; k++)
		free(d.allow_origins[k]);
	free(d.allow_origins);
	free(rest);
	pthread_mutex_destroy(&d.write_lock);
	return status;
}
