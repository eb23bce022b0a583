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
#include "pg.h"

#include <errno.h>
#include <limits.h>
#include <malloc.h>
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

static const char usage_head[] =
	"usage: hephd [--mode local|server|client] [OPTIONS]\n"
	"       hephd token create NAME | token list [--json] | token revoke NAME  [--db PATH]\n"
	"       hephd token create NAME --owner OWNER | token list [--owner OWNER] [--json] |\n"
	"             token revoke NAME --owner OWNER  --store URL   tokens of a PostgreSQL hub\n"
	"       hephd owner add NAME [--sub SUBJECT]... | owner list [--json] | owner remove NAME\n"
	"             --store URL   the owners of a PostgreSQL hub (remove deletes all their data)\n"
	"       hephd migrate --db hub.db --to URL --owner NAME   move a SQLite hub into a new\n"
	"             owner of a PostgreSQL hub, with its device tokens; its spokes continue\n"
	"             where they are, with the tokens they have\n"
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
	"Options:\n";

static const char usage_tail[] =
	"\n"
	"Exit status: 0 stopped cleanly, 1 error, 2 usage, 6 another hephd serves the socket,\n"
	"14 the address is in use. See docs/how-to/set-up-a-hub.md.\n";

static int fail(int code)
{
	fprintf(stderr, "hephd: %s\n", heph_error_last());
	return heph_error_exit_status(code);
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

/* ---- a PostgreSQL hub's owners and tokens ---- */

static void print_json(json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);
	printf("%s\n", text);
	free(text);
}

/* hephd owner add|list|remove … --store URL */
static int owners(const struct hephd *d, int argc, char **argv)
{
	struct pg *p = NULL;
	json_t *list = NULL, *o;
	size_t i;
	int err;
	static const char usage[] = "usage: hephd owner add NAME [--sub SUBJECT]... | list [--json] | remove NAME  --store URL";
	if (!d->store)
		return heph_error_set(HEPH_EUSAGE, "owners belong to a PostgreSQL hub: hephd owner … --store postgresql://…");
	if (argc < 1 || !((strcmp(argv[0], "add") == 0 && argc == 2) || (strcmp(argv[0], "list") == 0 && argc == 1) ||
			  (strcmp(argv[0], "remove") == 0 && argc == 2)))
		return heph_error_set(HEPH_EUSAGE, "%s", usage);
	if (d->n_subs && strcmp(argv[0], "add") != 0)
		return heph_error_set(HEPH_EUSAGE, "--sub goes with hephd owner add");
	if ((err = pg_open(d->store, NULL, &p)))
		return err;
	if (strcmp(argv[0], "add") == 0) {
		if (!(err = pg_owner_add(p, argv[1], d->subs, d->n_subs)))
			fprintf(stderr, "hephd: added owner \"%s\"; make a device token with hephd token create NAME "
					"--owner %s --store URL\n", argv[1], argv[1]);
	} else if (strcmp(argv[0], "remove") == 0) {
		if (!(err = pg_owner_remove(p, argv[1])))
			fprintf(stderr, "hephd: removed owner \"%s\" with their op-log, tokens and devices\n", argv[1]);
	} else if (!(err = pg_owner_list(p, &list))) {
		if (d->json)
			print_json(list);
		else
			json_array_foreach(list, i, o)
				printf("%-24s %lld op(s), %lld live token(s), since %s\n",
				       json_string_value(json_object_get(o, "name")),
				       (long long)json_integer_value(json_object_get(o, "head")),
				       (long long)json_integer_value(json_object_get(o, "tokens")),
				       json_string_value(json_object_get(o, "created_at")));
	}
	json_decref(list);
	pg_close(p);
	return err;
}

/* hephd token create|list|revoke … --store URL [--owner OWNER] */
static int pg_tokens(const struct hephd *d, int argc, char **argv)
{
	struct pg *p = NULL;
	json_t *list = NULL, *t;
	size_t i;
	int err;
	static const char usage[] = "usage: hephd token create NAME --owner OWNER | list [--owner OWNER] [--json] | "
				    "revoke NAME --owner OWNER  --store URL";
	int create = argc == 2 && strcmp(argv[0], "create") == 0, revoke = argc == 2 && strcmp(argv[0], "revoke") == 0;
	if (!create && !revoke && !(argc == 1 && strcmp(argv[0], "list") == 0))
		return heph_error_set(HEPH_EUSAGE, "%s", usage);
	if ((create || revoke) && !d->owner)
		return heph_error_set(HEPH_EUSAGE, "a PostgreSQL hub's token belongs to an owner: add --owner OWNER");
	if ((err = pg_open(d->store, NULL, &p)))
		return err;
	if (create) {
		char *tok = NULL;
		if (!(err = pg_token_create(p, d->owner, argv[1], &tok))) {
			struct stat st;
			if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077))
				fchmod(STDOUT_FILENO, st.st_mode & 0700);
			printf("%s\n", tok);
			fprintf(stderr, "hephd: made token \"%s\" of owner %s; it is shown only now. Keep it in a file "
					"only you can read\nand give the file to the device: heph hub set URL --token-file FILE\n",
				argv[1], d->owner);
		}
		free(tok);
	} else if (revoke) {
		if (!(err = pg_token_revoke(p, d->owner, argv[1])))
			fprintf(stderr, "hephd: revoked token \"%s\" of owner %s\n", argv[1], d->owner);
	} else if (!(err = pg_token_list(p, d->owner, &list))) {
		if (d->json)
			print_json(list);
		else
			json_array_foreach(list, i, t) {
				const char *rev = json_string_value(json_object_get(t, "revoked_at"));
				printf("%-16s %-24s created %s%s%s\n", json_string_value(json_object_get(t, "owner")),
				       json_string_value(json_object_get(t, "name")),
				       json_string_value(json_object_get(t, "created_at")), rev ? ", revoked " : "",
				       rev ? rev : "");
			}
	}
	json_decref(list);
	pg_close(p);
	return err;
}

/* hephd migrate --db hub.db --to URL --owner NAME */
static int migrate(const struct hephd *d, int argc)
{
	struct pg *p = NULL;
	int64_t n = 0, tokens = 0;
	int err;
	if (argc != 0 || !d->migrate_to || !d->owner)
		return heph_error_set(HEPH_EUSAGE, "usage: hephd migrate --db hub.db --to postgresql://… --owner NAME");
	if ((err = pg_open(d->migrate_to, NULL, &p)))
		return err;
	if (!(err = pg_migrate(p, d->db, d->owner, &n, &tokens))) {
		if (d->json) {
			json_t *j = json_pack("{s:s, s:I, s:I}", "owner", d->owner, "ops", (json_int_t)n, "tokens",
					      (json_int_t)tokens);
			print_json(j);
			json_decref(j);
		}
		fprintf(stderr, "hephd: moved %lld op(s) and %lld device token(s) of %s into owner %s, with the hub's "
				"id, seqs and fleet: its spokes continue where they are, with the tokens they have, once "
				"pointed at the new hub.\n", (long long)n, (long long)tokens, d->db, d->owner);
	}
	pg_close(p);
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
	if (d->mode != MODE_CLIENT && !d->store && (err = prepare_db(d)))
		goto out;
	if (d->store && (err = pg_open(d->store, d->state_dir, &d->pg)))
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
		hephd_log("hub serving %s (%s %s, protocol %d, %d threads)", url, d->pg ? "PostgreSQL store, replicas in" : "database",
			  d->pg ? d->state_dir : d->db, HEPH_SYNC_PROTOCOL, d->threads);
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
		/* One malloc arena: a local daemon's few threads (the socket's
		 * connections, the sync and its live listener) seldom allocate
		 * at once, and each extra arena kept some 100 KB of an idle
		 * spoke resident. The hub keeps glibc's default for its pool. */
		mallopt(M_ARENA_MAX, 1);
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
	pg_close(d->pg);
	d->pg = NULL;
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


int main(int argc, char **argv)
{
	struct hephd d = { .mode = MODE_LOCAL, .sync_interval = 30, .max_body = 32u << 20, .timeout = 30,
			   .request_timeout = 60, .max_per_address = 64, .max_connections = 1000,
			   .oidc_refetch = 10 };
	char sock[PATH_MAX];
	int err = 0, status;
	char **rest = calloc((size_t)argc + 1, sizeof *rest);
	int nrest = 0;
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

	const char *action;
	if ((err = hephd_options_parse(&d, argc, argv, rest, &nrest, &action)))
		goto done;
	if (action && strcmp(action, "help") == 0) {
		fputs(usage_head, stdout);
		hephd_options_help(stdout);
		fputs(usage_tail, stdout);
		goto done;
	}
	if (action && strcmp(action, "version") == 0) {
		printf("hephd %s (schema %d, sync protocol %d)\n", heph_version(), heph_schema_version(),
		       HEPH_SYNC_PROTOCOL);
		goto done;
	}
	if (!d.db) {
		char *db = heph_default_db_path();
		d.db = hephd_absolute(db);
		free(db);
	}
	if (nrest > 0 && strcmp(rest[0], "backup") == 0) {
		err = backup(d.db, nrest - 1, rest + 1, d.json);
		goto done;
	}
	if (nrest > 0 && strcmp(rest[0], "owner") == 0) {
		err = owners(&d, nrest - 1, rest + 1);
		goto done;
	}
	if (nrest > 0 && strcmp(rest[0], "migrate") == 0) {
		err = migrate(&d, nrest - 1);
		goto done;
	}
	if (nrest > 0 && strcmp(rest[0], "token") == 0 && d.store) {
		err = pg_tokens(&d, nrest - 1, rest + 1);
		goto done;
	}
	if (nrest > 0) {
		if (strcmp(rest[0], "token") != 0) {
			err = heph_error_set(HEPH_EUSAGE, "unknown command \"%s\" (see hephd --help)", rest[0]);
			goto done;
		}
		err = tokens(d.db, nrest - 1, rest + 1, d.json);
		goto done;
	}
	if (!d.socket) {
		net_socket_default(sock, sizeof sock);
		d.socket = hephd_absolute(sock);
	}
	if (!d.http_addr)
		d.http_addr = strdup("127.0.0.1:8420");
	if (!d.web_root && !d.no_web_root && d.mode == MODE_SERVER)
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
	if (d.store && (d.mode != MODE_SERVER || d.no_auth)) {
		err = heph_error_set(HEPH_EUSAGE, "--store is for the hub (--mode server), and every request to it names "
						  "its owner with a credential (no --no-auth)");
		goto done;
	}
	if (d.store && d.n_authorized_subs) {
		err = heph_error_set(HEPH_EUSAGE, "--authorized-sub is for the SQLite hub; a PostgreSQL hub's subjects belong "
						  "to owners: hephd owner add NAME --sub SUBJECT --store URL");
		goto done;
	}
	if (d.store && !d.state_dir) {
		char *dir = strdup(d.db), *slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		if (asprintf(&d.state_dir, "%s/hub-replicas", dir) < 0)
			abort();
		free(dir);
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
	hephd_options_free(&d);
	free(rest);
	pthread_mutex_destroy(&d.write_lock);
	return status;
}
