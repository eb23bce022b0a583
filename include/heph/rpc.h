/* heph/rpc.h — the one JSON-RPC method table.
 *
 * Every verb of every surface is a method here: the CLI calls it in-process,
 * hephd serves it on its unix socket and at POST /rpc, the TUI and the PWA
 * reach it the same way. Parameters and results are JSON objects; the table
 * (name, typed parameter schema, summary, handler, flags) drives dispatch,
 * the check of every call, the CLI's options and help, rpc.methods and the
 * generated docs/reference/rpc.md.
 *
 * Ownership: heph_rpc_call() gives the caller a new reference in *result
 * (decref it); params are borrowed. heph_rpc_handle() returns a malloc'd
 * response the caller frees. The table and its strings are static.
 */
#ifndef HEPH_RPC_H
#define HEPH_RPC_H

#include <stddef.h>

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

/* A taker of rows one at a time: row is borrowed for the call; a nonzero
 * return is an error code that stops the read. An in-process caller that
 * sets heph_rpc_env.row lets a paged read hand its rows over as it reads
 * them instead of collecting them (task.list does): that page's array is
 * then empty and its next_cursor as always. A read that does not stream
 * fills its array, so such a caller takes the rows of both (as
 * heph_rpc_call_each() does); the answer of every other caller is the same
 * whether or not a read streams. */
typedef int (*heph_rpc_row_fn)(void *ctx, json_t *row);

typedef struct heph_rpc_env {
	heph_store *store;         /* the replica the method works on */
	const heph_rpc_host *host; /* NULL when called in-process */
	int remote;                /* the caller is on another machine (the hub's /rpc):
				    * HEPH_RPC_LOCAL methods are refused, paths not shown */
	heph_rpc_row_fn row;       /* NULL, or where a paged read may stream its rows (below) */
	void *row_ctx;             /* row's ctx */
} heph_rpc_env;

typedef int (*heph_rpc_fn)(heph_rpc_env *env, json_t *params, json_t **result);

/* ---- the parameter schema ----
 *
 * Each method lists its parameters, and heph_rpc_call() checks every call
 * against that list before the handler runs, for every surface at once (the
 * CLI, the socket, /rpc, the TUI, the web app):
 *
 *   - params is an object; a name not in the list is refused, naming the
 *     nearest known one ("unknown parameter \"dodate\" (did you mean
 *     \"do_date\"?)");
 *   - a required parameter is present and not null; an optional one may be
 *     null (the same as absent, or "clear" where the method says so);
 *   - each value has its type (below): strings are valid UTF-8 without NUL
 *     and without control characters (multi-line text allows newline and
 *     tab), integers are in range, enums are one of their values, dates
 *     parse with heph_date_parse().
 *
 * A refused call is HEPH_EINVALID (JSON-RPC -32602, CLI exit 3) and runs
 * nothing. Handlers may rely on the checks and only convert values (resolve
 * a reference, parse a date word into a day). The same list generates the
 * CLI's options and --help, rpc.methods and docs/reference/rpc.md.
 *
 * To add a method: give it a NULL-name terminated array of heph_rpc_param
 * (HEPH_RPC_PARAMS() below makes one in place), a summary and a handler.
 * A parameter's `cli` names its command-line option when that differs from
 * the parameter's name with '_' as '-' (tags: --tag). */
typedef enum heph_rpc_type {
	HEPH_RPC_LINE = 1, /* one line of text: UTF-8, no control characters */
	HEPH_RPC_TEXT,     /* text: UTF-8, no control characters but newline and tab */
	HEPH_RPC_DATE,     /* a date word (heph/date.h), "none" clears */
	HEPH_RPC_NODE,     /* a node reference: id, unique id prefix (one line) */
	HEPH_RPC_PROJECT,  /* a project reference: id, prefix or name (one line) */
	HEPH_RPC_ATTENTION,/* red, orange, white or blue (any case) */
	HEPH_RPC_ENUM,     /* one of `values` ("mine|theirs") */
	HEPH_RPC_INT,      /* an integer in [min, max] (or its decimal text) */
	HEPH_RPC_BOOL,     /* true or false */
	HEPH_RPC_LINES,    /* one line of text, or an array of them */
	HEPH_RPC_OBJECT,   /* any JSON object; the handler checks its members */
	HEPH_RPC_ARRAY,    /* any JSON array; the handler checks its items */
	HEPH_RPC_TAG,      /* a tag's name: checked as LINE; completed with the tags */
	HEPH_RPC_TAGS,     /* tag names: checked as LINES; completed with the tags */
	HEPH_RPC_VIEW,     /* a view's name: checked as LINE; completed with the views */
	HEPH_RPC_CURSOR,   /* a paged read's next_cursor, given back as it came (below) */
} heph_rpc_type;

enum {
	HEPH_RPC_REQUIRED = 1 << 0, /* the call must give it (not null) */
	HEPH_RPC_OR_INT = 1 << 1,   /* a JSON integer is taken too (a line number given as one) */
};

typedef struct heph_rpc_param {
	const char *name;   /* "do_date" */
	heph_rpc_type type; /* HEPH_RPC_* type above */
	unsigned flags;     /* HEPH_RPC_REQUIRED, HEPH_RPC_OR_INT */
	const char *dflt;   /* the default, as text for help ("10"), or NULL */
	const char *help;   /* one line */
	const char *values; /* ENUM: the values, '|'-separated */
	long long min, max; /* INT: the range (both 0: any integer) */
	const char *cli;    /* the CLI option's name when not name with '-' (or NULL) */
} heph_rpc_param;

/* A NULL-name terminated parameter list, in place: HEPH_RPC_PARAMS({...}, {...}). */
#define HEPH_RPC_PARAMS(...) ((const heph_rpc_param[]){ __VA_ARGS__, { 0 } })
/* The list of a method without parameters. */
#define HEPH_RPC_NO_PARAMS ((const heph_rpc_param[]){ { 0 } })

enum {
	HEPH_RPC_WRITE = 1 << 0, /* runs in one write transaction */
	HEPH_RPC_LOCAL = 1 << 1, /* configures this device (settings, files, the daemon):
				  * refused when env->remote */
	HEPH_RPC_HUB = 1 << 2,   /* answered by a hub only, over its /rpc (env->remote): what
				  * it makes is served by the hub's HTTP (the calendar feed) */
};

typedef struct heph_rpc_method {
	const char *name;              /* "task.create" */
	const heph_rpc_param *params;  /* the schema, NULL-name terminated */
	const char *summary;           /* one line */
	heph_rpc_fn fn;                /* handler */
	unsigned flags;                /* HEPH_RPC_WRITE, HEPH_RPC_LOCAL */
	const char *page;              /* a paged read: the result's member holding its rows; else NULL */
} heph_rpc_method;

/* ---- paged reads ----
 *
 * A read whose answer grows with the database (task.list, tag.list) is
 * paged: the method has a `page` member name, and takes
 *
 *   limit   integer 1..HEPH_RPC_PAGE_MAX, default HEPH_RPC_PAGE_DEFAULT:
 *           at most this many rows;
 *   cursor  the next_cursor of the previous page, unchanged.
 *
 * Its result is an object: { PAGE: [rows...], "next_cursor": "..." }, where
 * next_cursor is null on the last page. A cursor holds the sort key of the
 * page's last row (keyset paging: the next page is the rows after that key
 * in the read's order, however the rows before it changed meanwhile) and a
 * hash of the method and its other parameters: the check refuses a cursor
 * that is not one heph wrote, or that another read (method or parameters)
 * returned, with HEPH_EINVALID (-32602). Cursors are opaque to callers and
 * hold no secret; see src/lib/rpc/rpc_page.c for their layout. */
#define HEPH_RPC_PAGE_DEFAULT 500
#define HEPH_RPC_PAGE_MAX 5000

/* How a caller reaches a method (in-process, or a hub's /rpc): as
 * heph_rpc_call(), *result a new reference. */
typedef int (*heph_rpc_caller)(void *ctx, const char *method, json_t *params, json_t **result);

/* Every row of a paged method m: call it with params (borrowed; limit and
 * cursor are added to a copy), following next_cursor to the last page, and
 * give all the rows in one new array in *rows. The first error stops it
 * (*rows NULL); an answer that is not a page is HEPH_ERROR. */
int heph_rpc_call_all(const heph_rpc_method *m, json_t *params, heph_rpc_caller call, void *ctx, json_t **rows);

/* The same read, each row handed to each(each_ctx, row) as its page comes
 * (borrowed for the call) instead of collected. With a call that sets
 * heph_rpc_env.row to the same taker, the rows of a read that streams them
 * go from the query to each() one at a time: nothing holds the whole list.
 * The first error (or nonzero each()) stops it; an answer that is not a
 * page, or a next_cursor that does not move on, is HEPH_ERROR. */
int heph_rpc_call_each(const heph_rpc_method *m, json_t *params, heph_rpc_caller call, void *ctx,
		       heph_rpc_row_fn each, void *each_ctx);

/* Check params (an object, or NULL for none) against m's schema, as
 * heph_rpc_call() does before running m. 0, or HEPH_EINVALID with a message
 * naming the method, the parameter and what to do. s gives "today" for date
 * words (may be NULL: then dates are only checked for their form). Allocates
 * nothing unless it fails or params hold a cursor. */
int heph_rpc_check(const heph_rpc_method *m, heph_store *s, const json_t *params);

/* The type's name as rpc.methods and the docs spell it ("line", "date"). */
const char *heph_rpc_type_name(heph_rpc_type t);

/* A method's parameters as JSON, as rpc.methods returns them: an array of
 * {name, type, required, default?, help, values?, min?, max?, cli?} (new
 * reference). */
json_t *heph_rpc_params_json(const heph_rpc_method *m);

/* A one-line synopsis of a method's parameters ("title, project?, ...")
 * into buf (truncated to n). */
void heph_rpc_synopsis(const heph_rpc_method *m, char *buf, size_t n);

/* The table, terminated by an entry whose name is NULL. */
const heph_rpc_method *heph_rpc_methods(void);
/* A method of the table or of the host's segment below; NULL if none. */
const heph_rpc_method *heph_rpc_find(const char *name);
/* The edit distance of two short names, case-insensitive, for "did you
 * mean": names longer than 64 bytes count as 64 apart. */
size_t heph_rpc_distance(const char *a, const char *b);

/* A second segment of the table, for methods only a host program carries
 * (hephd's doc.render links cmark-gfm, which the CLI does not load). Set it
 * once, before any call; names must not repeat the table's. The segment is
 * dispatched, listed by rpc.methods and documented like the table. */
void heph_rpc_extend(const heph_rpc_method *segment);
/* The segment set by heph_rpc_extend(), or NULL. */
const heph_rpc_method *heph_rpc_extension(void);

/* Call a method. params may be NULL (an empty object). They are checked
 * against the method's schema first (heph_rpc_check); a HEPH_RPC_LOCAL
 * method is refused with HEPH_EFORBIDDEN when env->remote, a HEPH_RPC_HUB
 * one with HEPH_EUSAGE when not. On success
 * *result is the result; on failure the error code is returned and the
 * message set, and for write methods nothing was changed. */
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
