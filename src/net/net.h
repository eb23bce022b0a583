/* net.h — what heph and hephd share to reach a hub and a local hephd: HTTP
 * requests (libcurl), the spoke's sync cycle, JSON-RPC over HTTP, and the
 * unix socket client. Built as a small static library linked by both.
 *
 * Ownership: replies, hubs and clients are freed with their *_free(), which
 * accept NULL. json_t ** results are new references; inputs are borrowed.
 * Errors are heph error codes with the thread's message set (heph/error.h).
 */
#ifndef HEPH_NET_H
#define HEPH_NET_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "heph/buf.h"
#include "heph/store.h"

/* Load libcurl (once, thread-safely; it is not linked, see client.c).
 * net_client_new() calls it when first needed. HEPH_EUNAVAIL when libcurl
 * cannot be loaded. */
int net_init(void);

/* ---- HTTP ---- */

#define NET_REPLY_MAX (64u << 20) /* the largest reply body taken */

struct net_reply {
	long status;  /* HTTP status */
	char *body;   /* NUL-terminated, may be "" */
	size_t len;   /* bytes in body */
};

void net_reply_free(struct net_reply *r);

/* The error a non-2xx reply stands for: the code and message of its JSON
 * error ({"error":{...}} or a JSON-RPC error) when it has one, else the
 * HTTP status mapped by heph_error_from_http_status(). what prefixes the
 * message ("hub http://h:1"). */
int net_reply_error(const struct net_reply *r, const char *what);

/* A connection to one base URL, reused across requests (keep-alive). token
 * may be NULL (no Authorization header). Fails only when libcurl cannot be
 * loaded. */
typedef struct net_client net_client;
int net_client_new(const char *base_url, const char *token, net_client **out);
void net_client_free(net_client *c);
const char *net_client_url(const net_client *c);

/* One request: method "GET" or "POST", path appended to the base URL, body
 * (POST, JSON) may be NULL. A reply of any status is 0 with *out filled;
 * an unreachable hub or a broken transfer is HEPH_EUNAVAIL. */
int net_client_request(net_client *c, const char *method, const char *path, const char *body, size_t len,
		       struct net_reply *out);

/* POST an application/x-www-form-urlencoded body (OAuth endpoints) to
 * base URL + path, asking for JSON back; no Authorization header. */
int net_client_post_form(net_client *c, const char *path, const char *form, struct net_reply *out);

/* What a download's reply said of itself (its Heph-Snapshot-* headers). */
struct net_download {
	long status;      /* HTTP status: 200 (the whole file), 206 (the rest), other */
	int64_t got;      /* body bytes written by this request */
	int cut;          /* the reply was cut short once the hub answered (worth asking again) */
	char etag[72];    /* ETag, as sent (quoted) */
	char sha[72];     /* Heph-Snapshot-Sha256 */
	char hub[72];     /* Heph-Snapshot-Hub */
	int64_t format;   /* Heph-Snapshot-Format (0: none) */
	int64_t seq;      /* Heph-Snapshot-Seq */
	int64_t size;     /* Heph-Snapshot-Size: the whole file's bytes */
};

/* GET path into the file fd: with offset > 0 ask for the bytes from offset
 * on (Range), if the file is still if_range (an ETag; If-Range). A 206
 * reply is written at offset, a 200 reply over the whole file (truncated
 * first). A reply of another status is 0 with *error filled (its body
 * kept, for net_reply_error). A transfer cut short is HEPH_EUNAVAIL with
 * what came written (out->got bytes). */
int net_client_download(net_client *c, const char *path, int fd, int64_t offset, const char *if_range,
			struct net_download *out, struct net_reply *error);

/* Give up on a request after ms milliseconds (connecting included). */
void net_client_set_timeout(net_client *c, long ms);

/* Abort a request under way (HEPH_EUNAVAIL) within about a second of *flag
 * becoming non-zero (read atomically: another thread may set it). */
void net_client_set_cancel(net_client *c, const int *flag);

/* s percent-encoded for a form body or a query (malloc'd). */
char *net_form_escape(const char *s);

/* ---- the hub this replica syncs with ---- */

struct net_hub {
	char *url;         /* base URL, without a trailing slash */
	char *token;       /* bearer token, or NULL: the login's (heph auth login), if any */
	char *token_file;  /* where the token came from, or NULL */
	char *token_cmd;   /* or the command that printed it (heph hub set --token-cmd), or NULL */
};

/* Read a token file: its first line, trimmed. HEPH_ENOTFOUND/HEPH_EINVALID
 * with a message naming the file. */
int net_read_token_file(const char *path, char **out);

/* The hub of a store: url and token_file given here win over the store's
 * settings (heph hub set). HEPH_EUSAGE when no hub is set anywhere. */
int net_hub_load(heph_store *s, const char *url, const char *token_file, struct net_hub *out);
void net_hub_free(struct net_hub *h);

/* Run a token command (sh -c CMD, as `pass show heph/laptop`): the first
 * line it prints, trimmed, checked as a token file's is. HEPH_EAUTH when it
 * fails or prints no token, naming the command, never the output. */
int net_run_token_cmd(const char *cmd, char **out);

/* Run a token save command (sh -c CMD, as `pass insert -m heph/laptop`)
 * with token and a newline on its standard input. HEPH_EAUTH when it cannot
 * be run, does not read the token or fails, naming the command. */
int net_run_save_cmd(const char *cmd, const char *token);

/* The token command kept for hub_url in the credentials file (login.c), in
 * *cmd (malloc'd), or NULL when none; set replaces it, NULL removes it. The
 * command lives in the user's configuration, never in the database, so a
 * database file handed over cannot carry a command to run. When a token
 * save command is kept beside it (heph hub set --token-save-cmd), the
 * command prints the refresh token of the login (heph auth login), not a
 * bearer token: get then gives NULL, and the login reads it (login.c). */
int net_token_cmd_get(const char *hub_url, char **cmd);
int net_token_cmd_set(const char *hub_url, const char *cmd);
/* The token save command kept for hub_url (NULL: none), and setting it. */
int net_token_save_cmd_get(const char *hub_url, char **cmd);
int net_token_save_cmd_set(const char *hub_url, const char *cmd);

/* A string kept for hub_url in a section of the credentials file
 * ("token_cmds", "calendar_urls": the calendar feed's URL, which its hub
 * shows only once): get gives a malloc'd copy or NULL, set with NULL
 * removes it. */
int net_cred_get(const char *section, const char *hub_url, char **value);
int net_cred_set(const char *section, const char *hub_url, const char *value);

/* ---- logins with the hub's identity provider (login.c) ---- */

/* The credentials file: $XDG_CONFIG_HOME/heph/credentials.json, else
 * ~/.config/heph/credentials.json (mode 0600, locked while changed). */
int net_login_path(char *buf, size_t n);

/* What the device-code flow shows the person: where to go and the code
 * (uri_complete may be NULL), and notes while it waits. */
struct net_login_ui {
	void *ctx;
	void (*show)(void *ctx, const char *uri, const char *uri_complete, const char *user_code, int expires_in);
	void (*note)(void *ctx, const char *text);
};

/* Log in to the hub at hub_url with the OAuth device-code flow (RFC 8628)
 * against the provider its /config names, and keep the tokens. *result:
 * hub, issuer, sub, name, expires_at, refresh, file. HEPH_EAUTH when the
 * login is denied or the code expires, HEPH_EUNAVAIL when the provider or
 * the hub cannot be reached, HEPH_EUSAGE when the hub trusts no provider. */
int net_login_device(const char *hub_url, const struct net_login_ui *ui, json_t **result);

/* The access token for hub_url (malloc'd), refreshed first when it expires
 * within a minute (or force), the rotated refresh token saved at once.
 * HEPH_ENOTFOUND: not logged in; HEPH_EAUTH: the provider rejected the
 * refresh; HEPH_EUNAVAIL: the provider cannot be reached. */
int net_login_bearer(const char *hub_url, int force, char **token);

/* One hub's entry of the file (a new reference), or HEPH_ENOTFOUND. */
int net_login_get(const char *hub_url, json_t **entry);

/* Every entry, by hub URL (a new reference). */
int net_login_list(json_t **hubs);

/* Forget the login to hub_url; *had says whether there was one, *revoked
 * whether the provider also took back its refresh token (best effort). */
int net_login_forget(const char *hub_url, int *had, int *revoked);

/* ---- the sync cycle (sync.c) ---- */

/* When a spoke starts from the hub's snapshot (sync.c). */
enum net_snapshot_mode {
	NET_SNAPSHOT_ENV,     /* as $HEPH_SYNC_SNAPSHOT says; auto when unset */
	NET_SNAPSHOT_AUTO,    /* pull cursor 0 and the hub past HEPH_SYNC_SNAPSHOT_MIN ops */
	NET_SNAPSHOT_ALWAYS,  /* pull cursor 0 and the hub holds any op */
	NET_SNAPSHOT_NEVER,   /* replay the op-log */
};

struct net_sync_opts {
	int batch;  /* ops per pull page and per push; 0: the protocol's defaults */
	enum net_snapshot_mode snapshot;
};

/* $HEPH_SYNC_SNAPSHOT (auto, always, never) as a mode; HEPH_EUSAGE naming
 * the bad value. */
int net_snapshot_mode_env(enum net_snapshot_mode *out);

/* Pull and merge every page the hub has after our cursor, then push what
 * waits, recording the attempt in the store (heph sync --status). *result
 * (may be NULL): hub, pulled, pushed, head, pending_push. */
int net_sync_run(heph_store *s, const struct net_hub *hub, const struct net_sync_opts *o, json_t **result);

/* ---- JSON-RPC over HTTP (remote.c) ---- */

/* Send a JSON-RPC request text to hub/rpc; *response is the reply text
 * (a JSON-RPC response, malloc'd). Transport and auth failures are errors. */
int net_rpc_forward(net_client *c, const char *request, size_t len, char **response);

/* Call one method on hub/rpc; a JSON-RPC error comes back as its heph code
 * and message. */
int net_rpc_call(net_client *c, const char *method, json_t *params, json_t **result);

/* ---- defaults shared by heph and hephd (local.c) ---- */

/* ---- the local hephd's unix socket (local.c) ---- */

/* The socket path: $HEPH_SOCKET, else $XDG_RUNTIME_DIR/heph/hephd.sock, else
 * /tmp/heph-UID/hephd.sock. */
void net_socket_default(char *buf, size_t n);

/* Connect; -1 (errno set) when nothing listens there. */
int net_socket_connect(const char *path);

/* One call over a connected socket (a line out, a line back). */
int net_socket_call(int fd, const char *method, json_t *params, json_t **result);

/* Read one '\n'-terminated line of at most max bytes from fd into a
 * malloc'd string (without the newline); *out NULL at end of file. */
int net_read_line(int fd, char **out, size_t max);

/* Write all of buf. */
int net_write_all(int fd, const char *buf, size_t len);

/* The JSON-RPC error object of a response, as a heph code with the message
 * set; 0 when the response has a result (*result, new reference). */
int net_rpc_result(json_t *response, json_t **result);

#endif
