/* heph/rpc.h — the one JSON-RPC method table.
 *
 * Every verb of every surface is a method here: the CLI calls it in-process,
 * hephd serves it on its unix socket and at POST /rpc, the TUI and the PWA
 * reach it the same way. Parameters and results are JSON objects; the table
 * (name, parameter synopsis, summary, handler) drives dispatch, help and the
 * generated docs/reference/rpc.md.
 *
 * Ownership: heph_rpc_call() gives the caller a new reference in *result
 * (decref it); params are borrowed. heph_rpc_handle() returns a malloc'd
 * response the caller frees. The table and its strings are static.
 */
#ifndef HEPH_RPC_H
#define HEPH_RPC_H

#include <jansson.h>

#include "heph/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Services a host program (hephd, or the heph CLI itself) lends to methods
 * that need more than the database; each may be NULL. s is the store of the
 * call. Without sync_now, sync.now fails with HEPH_EUNAVAIL. */
typedef struct heph_rpc_host {
	void *ctx;
	int (*sync_now)(void *ctx, heph_store *s, json_t **result); /* one sync cycle, now */
	int (*sync_status)(void *ctx, heph_store *s, json_t *status); /* add the host's view */
	void (*changed)(void *ctx); /* a write method committed */
} heph_rpc_host;

typedef struct heph_rpc_env {
	heph_store *store;         /* the replica the method works on */
	const heph_rpc_host *host; /* NULL when called in-process */
} heph_rpc_env;

typedef int (*heph_rpc_fn)(heph_rpc_env *env, json_t *params, json_t **result);

enum {
	HEPH_RPC_WRITE = 1 << 0, /* runs in one write transaction */
};

typedef struct heph_rpc_method {
	const char *name;     /* "task.create" */
	const char *params;   /* synopsis: "title, project?, do_date?" */
	const char *summary;  /* one line */
	heph_rpc_fn fn;       /* handler */
	unsigned flags;       /* HEPH_RPC_* */
} heph_rpc_method;

/* The table, terminated by an entry whose name is NULL. */
const heph_rpc_method *heph_rpc_methods(void);
/* A method of the table or of the host's segment below; NULL if none. */
const heph_rpc_method *heph_rpc_find(const char *name);

/* A second segment of the table, for methods only a host program carries
 * (hephd's doc.render links cmark-gfm, which the CLI does not load). Set it
 * once, before any call; names must not repeat the table's. The segment is
 * dispatched, listed by rpc.methods and documented like the table. */
void heph_rpc_extend(const heph_rpc_method *segment);
/* The segment set by heph_rpc_extend(), or NULL. */
const heph_rpc_method *heph_rpc_extension(void);

/* Call a method. params may be NULL (an empty object). On success *result is
 * the result; on failure the error code is returned and the message set, and
 * for write methods nothing was changed. */
int heph_rpc_call(heph_rpc_env *env, const char *method, json_t *params, json_t **result);

/* Handle one JSON-RPC 2.0 request text (an object or a batch array) and
 * return the response text, or NULL for a notification. Errors are mapped
 * with heph_error_rpc_code(); data.name carries heph_error_name(). A request
 * object may carry "today": "YYYY-MM-DD" beside its params: the caller's
 * date, which date words in that call are relative to (a phone in another
 * time zone, or a change queued offline yesterday). */
char *heph_rpc_handle(heph_rpc_env *env, const char *request, size_t len);

/* A JSON-RPC request text parsed once, for a server that must know what
 * it calls before running it (the hub takes its write lock only for
 * writing requests) and what HTTP status its answer deserves. */
typedef struct heph_rpc_request heph_rpc_request;

/* Parse a request text (an object or a batch). Never fails: a text that is
 * not JSON is kept, and answered with a parse error by
 * heph_rpc_request_run(). Free it with heph_rpc_request_free(). */
heph_rpc_request *heph_rpc_request_parse(const char *text, size_t len);

/* Whether it calls a method of the table flagged HEPH_RPC_WRITE. */
int heph_rpc_request_writes(const heph_rpc_request *r);

/* Run it, as heph_rpc_handle() does: the response text (malloc'd), or NULL
 * when it held only notifications. *http_status is the status the answer
 * deserves over HTTP: a lone request that failed gets its error's
 * (heph_error_http_status(); 400 for a text that is not JSON-RPC), a batch
 * or a success 200, nothing to answer 204. */
char *heph_rpc_request_run(heph_rpc_env *env, heph_rpc_request *r, int *http_status);

void heph_rpc_request_free(heph_rpc_request *r);

/* The JSON-RPC error object for a code and message (new reference). */
json_t *heph_rpc_error_json(int code, const char *message);

#ifdef __cplusplus
}
#endif
#endif
