/* socket.c — hephd's unix socket: line-delimited JSON-RPC 2.0, one request
 * (or batch) per line, one response per line (none for a notification).
 *
 * The socket is made with mode 0600 inside a directory of mode 0700. A
 * socket file nobody answers on is stale (a hephd that was killed) and is
 * replaced; one that answers means another hephd runs, and we refuse.
 *
 * Each connection has a thread: in local mode it opens its own store on
 * its first request and answers from the method table with the spoke's
 * hooks; in client mode it forwards every line to the hub's /rpc.
 */
#include "hephd.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "heph/error.h"
#include "net.h"

#define MAX_CONNS 64               /* connections served at once */
#define LINE_MAX_BYTES (64u << 20) /* the longest request line */

int socket_listen(struct hephd *d, int *fd_out)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;
	*fd_out = -1;
	if (strlen(d->socket) >= sizeof a.sun_path)
		return heph_error_set(HEPH_EUSAGE, "socket path %s is too long", d->socket);
	if (heph_mkdirs(d->socket) != 0)
		return heph_error_set(HEPH_ERROR, "cannot make the directory of %s: %s", d->socket, strerror(errno));
	if (lstat(d->socket, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return heph_error_set(HEPH_ECONFLICT, "%s exists and is not a socket; not touching it", d->socket);
		int probe = net_socket_connect(d->socket);
		if (probe >= 0) {
			close(probe);
			return heph_error_set(HEPH_ECONFLICT, "another hephd is serving %s", d->socket);
		}
		hephd_log("removing stale socket %s", d->socket);
		unlink(d->socket);
	}
	memcpy(a.sun_path, d->socket, strlen(d->socket) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return heph_error_set(HEPH_ERROR, "socket: %s", strerror(errno));
	mode_t old = umask(077);
	int rc = bind(fd, (struct sockaddr *)&a, sizeof a);
	umask(old);
	if (rc != 0 || chmod(d->socket, 0600) != 0 || listen(fd, 64) != 0) {
		int e = errno;
		close(fd);
		return heph_error_set(HEPH_ERROR, "cannot listen on %s: %s", d->socket, strerror(e));
	}
	*fd_out = fd;
	return 0;
}

struct conn {
	struct hephd *d;
	int fd;           /* the client; -1 once closed */
	pthread_t thread;
	int done;         /* the thread has finished */
};

static pthread_mutex_t conns_mu = PTHREAD_MUTEX_INITIALIZER;
static struct conn *conns[MAX_CONNS];

static char *error_line(json_t *id, int code)
{
	json_t *r = json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id ? id : json_null(), "error",
			      heph_rpc_error_json(code, heph_error_last()));
	char *t = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	return t;
}

/* Forward one line to the hub; a transport failure becomes an error
 * response carrying the request's id. */
static char *forward(net_client *c, const char *line, size_t len)
{
	char *resp = NULL;
	int err = net_rpc_forward(c, line, len, &resp);
	if (!err)
		return resp;
	json_t *req = json_loadb(line, len, 0, NULL);
	char *t = error_line(json_object_get(req, "id"), err);
	json_decref(req);
	return t;
}

static void *serve_conn(void *arg)
{
	struct conn *k = arg;
	struct hephd *d = k->d;
	heph_store *s = NULL;
	net_client *hub = NULL;
	struct net_hub cfg = { 0 };
	char *line = NULL;
	int err;
	if (d->mode == MODE_CLIENT) {
		if ((err = net_hub_load(NULL, d->hub_url, d->token_file, &cfg))) {
			hephd_log("client: %s", heph_error_last());
			goto out;
		}
		/* No token file: the login to the hub (heph auth login), if any,
		 * renewed for each connection. */
		if (!cfg.token && (err = net_login_bearer(cfg.url, 0, &cfg.token)) && err != HEPH_ENOTFOUND)
			hephd_log("client: %s", heph_error_last());
		if ((err = net_client_new(cfg.url, cfg.token, &hub))) {
			hephd_log("client: %s", heph_error_last());
			goto out;
		}
	}
	for (;;) {
		char *resp;
		if ((err = net_read_line(k->fd, &line, LINE_MAX_BYTES))) {
			char *t = error_line(NULL, err);
			net_write_all(k->fd, t, strlen(t));
			net_write_all(k->fd, "\n", 1);
			free(t);
			break;
		}
		if (!line)
			break;
		size_t len = strlen(line);
		if (len == 0) {
			free(line);
			continue;
		}
		if (hub) {
			resp = forward(hub, line, len);
		} else {
			if (!s && (err = hephd_open_store(d, 0, &s))) {
				resp = error_line(NULL, err);
			} else {
				heph_rpc_env env = { .store = s, .host = spoke_host(d) };
				resp = heph_rpc_handle(&env, line, len);
			}
		}
		free(line);
		line = NULL;
		if (resp) {
			err = net_write_all(k->fd, resp, strlen(resp));
			if (!err)
				err = net_write_all(k->fd, "\n", 1);
			free(resp);
			if (err)
				break;
		}
	}
out:
	free(line);
	net_client_free(hub);
	net_hub_free(&cfg);
	heph_store_close(s);
	pthread_mutex_lock(&conns_mu);
	close(k->fd);
	k->fd = -1;
	k->done = 1;
	pthread_mutex_unlock(&conns_mu);
	return NULL;
}

/* Join finished connection threads; with all, ask the rest to end first. */
static void reap(int all)
{
	for (int i = 0; i < MAX_CONNS; i++) {
		pthread_mutex_lock(&conns_mu);
		struct conn *k = conns[i];
		int done = k && k->done;
		if (k && !done && all && k->fd >= 0)
			shutdown(k->fd, SHUT_RDWR);
		pthread_mutex_unlock(&conns_mu);
		if (!k || (!done && !all))
			continue;
		pthread_join(k->thread, NULL);
		pthread_mutex_lock(&conns_mu);
		conns[i] = NULL;
		pthread_mutex_unlock(&conns_mu);
		free(k);
	}
}

int socket_serve(struct hephd *d, int listen_fd, int stop_fd)
{
	struct pollfd p[2] = { { .fd = listen_fd, .events = POLLIN }, { .fd = stop_fd, .events = POLLIN } };
	for (;;) {
		if (poll(p, 2, 1000) < 0 && errno != EINTR)
			return heph_error_set(HEPH_ERROR, "poll: %s", strerror(errno));
		reap(0);
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		int slot = -1;
		pthread_mutex_lock(&conns_mu);
		for (int i = 0; i < MAX_CONNS && slot < 0; i++)
			if (!conns[i])
				slot = i;
		pthread_mutex_unlock(&conns_mu);
		if (slot < 0) {
			heph_error_set(HEPH_EBUSY, "hephd is serving %d connections; try again", MAX_CONNS);
			char *t = error_line(NULL, HEPH_EBUSY);
			net_write_all(fd, t, strlen(t));
			net_write_all(fd, "\n", 1);
			free(t);
			close(fd);
			continue;
		}
		struct conn *k = calloc(1, sizeof *k);
		if (!k)
			abort();
		k->d = d;
		k->fd = fd;
		conns[slot] = k;
		if (pthread_create(&k->thread, NULL, serve_conn, k) != 0) {
			close(fd);
			conns[slot] = NULL;
			free(k);
		}
	}
	reap(1);
	return 0;
}
