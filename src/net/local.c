/* local.c — the client side of hephd's unix socket: where it is, and one
 * JSON-RPC call as a line out and a line back. */
#include "net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "heph/error.h"

void net_socket_default(char *buf, size_t n)
{
	const char *env = getenv("HEPH_SOCKET"), *run = getenv("XDG_RUNTIME_DIR");
	if (env && *env)
		snprintf(buf, n, "%s", env);
	else if (run && *run)
		snprintf(buf, n, "%s/heph/hephd.sock", run);
	else
		snprintf(buf, n, "/tmp/heph-%u/hephd.sock", (unsigned)getuid());
}

int net_socket_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof a.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int net_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return heph_error_set(HEPH_EUNAVAIL, "writing to hephd failed: %s", strerror(errno));
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int net_read_line(int fd, char **out, size_t max)
{
	char *line = NULL;
	size_t len = 0;
	*out = NULL;
	for (;;) {
		char chunk[65536];
		/* Peek, then take only up to the newline: what follows belongs to
		 * the next line. */
		ssize_t n = recv(fd, chunk, sizeof chunk, MSG_PEEK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(line);
			return heph_error_set(HEPH_EUNAVAIL, "reading from hephd failed: %s", strerror(errno));
		}
		if (n == 0) {
			if (len > 0)
				break; /* a last line without its newline */
			free(line);
			return 0;
		}
		char *nl = memchr(chunk, '\n', (size_t)n);
		size_t take = nl ? (size_t)(nl - chunk) + 1 : (size_t)n;
		if (len + take > max + 1) {
			free(line);
			return heph_error_set(HEPH_ETOOBIG, "a line over %zu bytes", max);
		}
		if (!(line = realloc(line, len + take + 1)))
			abort();
		if (recv(fd, line + len, take, MSG_WAITALL) != (ssize_t)take) {
			free(line);
			return heph_error_set(HEPH_EUNAVAIL, "reading from hephd failed: %s", strerror(errno));
		}
		len += take;
		if (nl) {
			len--; /* drop the newline */
			break;
		}
	}
	line[len] = '\0';
	*out = line;
	return 0;
}

int net_socket_call(int fd, const char *method, json_t *params, json_t **result)
{
	json_t *req = json_pack("{s:s, s:i, s:s, s:o}", "jsonrpc", "2.0", "id", 1, "method", method, "params",
				params ? json_incref(params) : json_object());
	char *text = json_dumps(req, JSON_COMPACT), *line = NULL;
	size_t len = strlen(text);
	int err;
	*result = NULL;
	json_decref(req);
	text = realloc(text, len + 2);
	if (!text)
		abort();
	text[len++] = '\n';
	text[len] = '\0';
	err = net_write_all(fd, text, len);
	free(text);
	if (err || (err = net_read_line(fd, &line, NET_REPLY_MAX)))
		return err;
	if (!line)
		return heph_error_set(HEPH_EUNAVAIL, "hephd closed the connection");
	json_t *resp = json_loads(line, 0, NULL);
	free(line);
	if (!resp)
		return heph_error_set(HEPH_ERROR, "hephd sent a malformed answer");
	err = net_rpc_result(resp, result);
	json_decref(resp);
	return err;
}
