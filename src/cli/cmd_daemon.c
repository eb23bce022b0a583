/* cmd_daemon.c — `heph daemon start|stop|restart|status|install`, and
 * finding the hephd that serves this database (cli_daemon_fd).
 *
 * Daemon files: the socket S is $HEPH_SOCKET, else
 * $XDG_RUNTIME_DIR/heph/hephd.sock, else /tmp/heph-UID/hephd.sock; the pid
 * file and the log sit beside it as S without ".sock" plus ".pid" / ".log".
 */
#include "cli.h"
#include "heph/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int cli_daemon_fd(struct cli *cli)
{
	char path[PATH_MAX];
	json_t *info = NULL;
	if (cli->remote || cli_store(cli))
		return -1;
	net_socket_default(path, sizeof path);
	int fd = net_socket_connect(path);
	if (fd < 0)
		return -1;
	if (net_socket_call(fd, "store.info", NULL, &info) != 0 ||
	    !json_is_string(json_object_get(info, "origin")) ||
	    strcmp(json_string_value(json_object_get(info, "origin")), heph_store_origin(cli->store)) != 0) {
		json_decref(info);
		close(fd);
		return -1;
	}
	json_decref(info);
	return fd;
}


struct dpaths {
	char sock[PATH_MAX];
	char pid[PATH_MAX];
	char log[PATH_MAX];
};

static void daemon_paths(struct dpaths *p)
{
	size_t n;
	net_socket_default(p->sock, sizeof p->sock);
	n = strlen(p->sock);
	if (n > 5 && strcmp(p->sock + n - 5, ".sock") == 0)
		n -= 5;
	snprintf(p->pid, sizeof p->pid, "%.*s.pid", (int)n, p->sock);
	snprintf(p->log, sizeof p->log, "%.*s.log", (int)n, p->sock);
}

/* The pid in the pid file when that process is a live hephd; 0 otherwise. */
static pid_t live_pid(const char *pidfile)
{
	char buf[64], path[64], cmd[PATH_MAX];
	FILE *f = fopen(pidfile, "r");
	pid_t pid = 0;
	if (!f)
		return 0;
	if (fgets(buf, sizeof buf, f))
		pid = (pid_t)atol(buf);
	fclose(f);
	if (pid <= 0 || kill(pid, 0) != 0)
		return 0;
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got = fd >= 0 ? read(fd, cmd, sizeof cmd - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (got <= 0)
		return 0;
	cmd[got] = '\0';
	const char *base = strrchr(cmd, '/');
	return strcmp(base ? base + 1 : cmd, "hephd") == 0 ? pid : 0; /* not a reused pid */
}

/* hephd next to this heph (installed side by side, or the build tree). */
static void find_hephd(char *out, size_t n)
{
	char self[PATH_MAX];
	const char *env = getenv("HEPHD");
	if (env && *env) {
		snprintf(out, n, "%s", env);
		return;
	}
	ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
	if (len > 0) {
		self[len] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(out, n, "%s/hephd", self);
			if (access(out, X_OK) == 0)
				return;
			snprintf(out, n, "%s/../daemon/hephd", self);
			if (access(out, X_OK) == 0)
				return;
		}
	}
	snprintf(out, n, "hephd");
}

static int daemon_status(struct cli *cli, const struct dpaths *p, int quiet)
{
	json_t *st = NULL;
	int fd = cli_daemon_fd(cli);
	if (fd >= 0) {
		int err = net_socket_call(fd, "sync.status", NULL, &st);
		close(fd);
		if (err)
			return err;
	}
	if (quiet) {
		json_decref(st);
		return st ? 0 : HEPH_EUNAVAIL;
	}
	json_t *dm = json_object_get(st, "daemon");
	if (cli->json) {
		json_t *o = json_pack("{s:b, s:s, s:s, s:s, s:s}", "running", st != NULL, "socket", p->sock, "pid_file",
				      p->pid, "log", p->log, "db", cli->db_path);
		if (dm)
			json_object_set(o, "pid", json_object_get(dm, "pid"));
		if (st)
			json_object_set(o, "sync", st);
		print_json(cli, o);
		json_decref(o);
	} else {
		if (st)
			fprintf(cli->out, "hephd running, pid %lld\n", (long long)json_integer_value(json_object_get(dm, "pid")));
		else
			fprintf(cli->out, "hephd not running for this database\n");
		fprintf(cli->out, "socket    %s\ndatabase  %s\nlog       %s\n", p->sock, cli->db_path, p->log);
		if (st) {
			fprintf(cli->out, "\n");
			cli_print_sync_status(cli, st);
		}
	}
	json_decref(st);
	if (!st)
		return heph_error_set(HEPH_EUNAVAIL, "hephd is not running for %s", cli->db_path);
	return 0;
}

static int daemon_start(struct cli *cli, const struct dpaths *p, int argc, char **argv)
{
	char hephd[PATH_MAX], db[PATH_MAX];
	int err;
	if ((err = cli_store(cli)))
		return err;
	if (daemon_status(cli, p, 1) == 0) {
		fprintf(cli->out, "hephd is already running for %s\n", cli->db_path);
		return 0;
	}
	if (!realpath(cli->db_path, db))
		return heph_error_set(HEPH_ERROR, "%s: %s", cli->db_path, strerror(errno));
	if (heph_mkdirs(p->sock) != 0)
		return heph_error_set(HEPH_ERROR, "cannot make the directory of %s: %s", p->sock, strerror(errno));
	find_hephd(hephd, sizeof hephd);
	pid_t child = fork();
	if (child < 0)
		return heph_error_set(HEPH_ERROR, "fork: %s", strerror(errno));
	if (child == 0) {
		/* Detach: a new session, then a grandchild that init adopts. */
		setsid();
		if (fork() != 0)
			_exit(0);
		int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int log = open(p->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (in < 0 || log < 0)
			_exit(127);
		dup2(in, 0);
		dup2(log, 1);
		dup2(log, 2);
		char **args = calloc((size_t)argc + 12, sizeof *args);
		int n = 0;
		if (!args)
			_exit(127);
		args[n++] = hephd;
		args[n++] = "--mode";
		args[n++] = "local";
		args[n++] = "--db";
		args[n++] = db;
		args[n++] = "--socket";
		args[n++] = (char *)p->sock;
		args[n++] = "--pid-file";
		args[n++] = (char *)p->pid;
		for (int i = 0; i < argc; i++)
			args[n++] = argv[i];
		args[n] = NULL;
		execvp(hephd, args);
		fprintf(stderr, "heph daemon start: cannot run %s: %s\n", hephd, strerror(errno));
		_exit(127);
	}
	waitpid(child, NULL, 0);
	/* Wait until it answers for this database, or give up. */
	for (int i = 0; i < 200; i++) {
		if (daemon_status(cli, p, 1) == 0) {
			fprintf(cli->out, "hephd started (pid %d), log %s\n", (int)live_pid(p->pid), p->log);
			return 0;
		}
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
	}
	return heph_error_set(HEPH_EUNAVAIL, "hephd did not start; see %s", p->log);
}

/* The options the hephd of pid file p was given beyond the ones
 * daemon_start itself passes (--mode, --db, --socket, --pid-file and their
 * values), read from /proc/PID/cmdline, for restart to pass again. *buf
 * holds the strings *argv points into; both are malloc'd (NULL, 0 when no
 * hephd started by daemon start runs). */
static void started_options(const struct dpaths *p, char **buf, char ***argv, int *argc)
{
	char path[64];
	pid_t pid = live_pid(p->pid);
	heph_buf b = { 0 };
	*buf = NULL;
	*argv = NULL;
	*argc = 0;
	if (!pid)
		return;
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	heph_buf_read(&b, f); /* what was read before an error is what it had */
	fclose(f);
	*buf = b.p;
	size_t len = b.n;
	/* hephd --mode local --db DB --socket SOCK --pid-file PID [OPTIONS] */
	size_t n = 0;
	for (size_t i = 0; i < len; i += strlen(*buf + i) + 1)
		n++;
	if (!(*argv = calloc(n + 1, sizeof **argv)))
		abort();
	int k = 0, ours = 0;
	for (size_t i = 0; i < len; i += strlen(*buf + i) + 1, k++) {
		if (k == 7)
			ours = strcmp(*buf + i, "--pid-file") == 0;
		else if (k >= 9 && ours)
			(*argv)[(*argc)++] = *buf + i;
	}
}

static int daemon_stop(struct cli *cli, const struct dpaths *p)
{
	pid_t pid = live_pid(p->pid);
	if (!pid) {
		/* Started by systemd, say: the socket knows its pid. */
		json_t *st = NULL;
		int fd = cli_daemon_fd(cli);
		if (fd >= 0 && net_socket_call(fd, "sync.status", NULL, &st) == 0)
			pid = (pid_t)json_integer_value(json_object_get(json_object_get(st, "daemon"), "pid"));
		if (fd >= 0)
			close(fd);
		json_decref(st);
	}
	if (pid <= 0) {
		fprintf(cli->out, "hephd is not running for %s\n", cli->db_path);
		return 0;
	}
	if (kill(pid, SIGTERM) != 0)
		return heph_error_set(HEPH_ERROR, "cannot stop hephd (pid %d): %s", (int)pid, strerror(errno));
	for (int i = 0; i < 200; i++) {
		if (kill(pid, 0) != 0) {
			fprintf(cli->out, "hephd stopped (pid %d)\n", (int)pid);
			return 0;
		}
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
	}
	return heph_error_set(HEPH_EBUSY, "hephd (pid %d) did not stop within 10 s", (int)pid);
}

/* One ExecStart= argument, double-quoted: '"' and '\\' escaped, and '%'
 * doubled unless keep_specifiers (systemd.service(5), "Command lines"). */
static void unit_arg(FILE *f, const char *s, int keep_specifiers)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		else if (*s == '%' && !keep_specifiers)
			fputc('%', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static int daemon_install(struct cli *cli, const struct dpaths *p)
{
	char hephd[PATH_MAX], real[PATH_MAX], db[PATH_MAX], unit[PATH_MAX];
	const char *cfg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME"), *env_sock = getenv("HEPH_SOCKET");
	int err;
	if ((err = cli_store(cli)))
		return err;
	if (!realpath(cli->db_path, db))
		return heph_error_set(HEPH_ERROR, "%s: %s", cli->db_path, strerror(errno));
	find_hephd(hephd, sizeof hephd);
	if (!realpath(hephd, real))
		return heph_error_set(HEPH_ENOTFOUND, "cannot find hephd (looked for %s); install it or set HEPHD", hephd);
	if (cfg && *cfg)
		snprintf(unit, sizeof unit, "%s/systemd/user/hephd.service", cfg);
	else
		snprintf(unit, sizeof unit, "%s/.config/systemd/user/hephd.service", home && *home ? home : ".");
	if (heph_mkdirs(unit) != 0)
		return heph_error_set(HEPH_ERROR, "cannot make the directory of %s: %s", unit, strerror(errno));
	FILE *f = fopen(unit, "w");
	if (!f)
		return heph_error_set(HEPH_ERROR, "cannot write %s: %s", unit, strerror(errno));
	/* No After=network-online.target: a user manager cannot order after a
	 * system target, and hephd needs no network to start (it serves the
	 * local replica and retries the hub until it answers). */
	fprintf(f,
		"# Written by heph daemon install.\n"
		"[Unit]\n"
		"Description=heph replica and background sync (hephd)\n"
		"\n"
		"[Service]\n"
		"Type=simple\n"
		"ExecStart=");
	unit_arg(f, real, 0);
	fprintf(f, " --mode local --db ");
	unit_arg(f, db, 0);
	fprintf(f, " --socket ");
	if (env_sock && *env_sock)
		unit_arg(f, p->sock, 0);
	else
		unit_arg(f, "%t/heph/hephd.sock", 1);
	fprintf(f,
		"\n"
		"Restart=on-failure\n"
		"RestartSec=5\n"
		"\n"
		"[Install]\n"
		"WantedBy=default.target\n");
	if (fclose(f) != 0)
		return heph_error_set(HEPH_ERROR, "cannot write %s: %s", unit, strerror(errno));
	if (cli->json) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "unit", unit, "hephd", real, "db", db);
		print_json(cli, o);
		json_decref(o);
	} else {
		fprintf(cli->out, "wrote %s\nstart it now and at every login with:\n"
				  "  systemctl --user daemon-reload && systemctl --user enable --now hephd\n",
			unit);
	}
	return 0;
}

int cmd_daemon(struct cli *cli, int argc, char **argv)
{
	struct dpaths p;
	int err;
	if (cli->remote)
		return heph_error_set(HEPH_EUSAGE, "heph daemon manages this device's hephd; drop --remote");
	if (argc < 1)
		return heph_error_set(HEPH_EUSAGE, "usage: heph daemon start|stop|restart|status|install");
	daemon_paths(&p);
	if (strcmp(argv[0], "start") == 0)
		return daemon_start(cli, &p, argc - 1, argv + 1);
	if (strcmp(argv[0], "restart") == 0) {
		/* With no options of its own, the running hephd's again. */
		char *buf = NULL, **opts = NULL;
		int nopts = 0;
		if (argc == 1)
			started_options(&p, &buf, &opts, &nopts);
		if (!(err = daemon_stop(cli, &p)))
			err = argc > 1 ? daemon_start(cli, &p, argc - 1, argv + 1) : daemon_start(cli, &p, nopts, opts);
		free(opts);
		free(buf);
		return err;
	}
	if (argc > 1)
		return heph_error_set(HEPH_EUSAGE, "daemon %s: unexpected argument \"%s\"", argv[0], argv[1]);
	if (strcmp(argv[0], "stop") == 0)
		return daemon_stop(cli, &p);
	if (strcmp(argv[0], "status") == 0)
		return daemon_status(cli, &p, 0);
	if (strcmp(argv[0], "install") == 0)
		return daemon_install(cli, &p);
	return heph_error_set(HEPH_EUSAGE, "usage: heph daemon start|stop|restart|status|install");
}
