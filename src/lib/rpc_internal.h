/* rpc_internal.h — what the method handlers (rpc_*.c) share: parameter
 * access with clear errors, id and name resolution, and the JSON shapes of
 * tasks, nodes and projects. */
#ifndef HEPH_RPC_INTERNAL_H
#define HEPH_RPC_INTERNAL_H

#include "heph/date.h"
#include "heph/rpc.h"
#include "internal.h"

/* ---- parameters ---- */

/* A string parameter. Missing: HEPH_EINVALID if required, else *out = NULL.
 * The string is borrowed from params. */
int heph__p_str(const json_t *params, const char *key, int required, const char **out);
/* HEPH_EINVALID unless t is one line with something besides white space;
 * what names it in the message ("a title"). */
int heph__one_line(const char *what, const char *t);
/* A boolean (true/false, or absent = dflt). */
int heph__p_bool(const json_t *params, const char *key, int dflt, int *out);
/* An integer in [min, max] (absent = dflt). */
int heph__p_int(const json_t *params, const char *key, long long dflt, long long min,
		long long max, long long *out);

/* A date parameter in date words. *set = 0 when absent; otherwise out is the
 * date or "" for none. */
int heph__p_date(heph_store *s, const json_t *params, const char *key, int *set,
		 char out[HEPH_DATE_LEN + 1]);

/* ---- paged reads (rpc_page.c; heph/rpc.h says what they are) ---- */

/* The cursor of a page of method called with params whose last row has the
 * sort key key (an array, borrowed); malloc'd. */
char *heph__cursor_encode(const char *method, const json_t *params, const json_t *key);
/* The sort key a cursor holds (a new array in *key; key may be NULL to only
 * check). HEPH_EINVALID, naming the method, when it is not a cursor heph
 * wrote or another read (method, parameters) returned it. */
int heph__cursor_decode(const char *method, const json_t *params, const char *cursor, json_t **key);
/* A paged read's limit and the sort key to start after (*after a new
 * array, or NULL for the first page). */
int heph__page_args(const char *method, const json_t *params, long long *limit, json_t **after);
/* HEPH_EINVALID for a cursor whose key does not fit the read. */
int heph__bad_cursor(const char *method);
/* The page object {member: rows, next_cursor}: rows is stolen; next_key
 * (borrowed) is the sort key of the last row when more follow, else NULL. */
json_t *heph__page_json(const char *method, const json_t *params, const char *member, json_t *rows,
			const json_t *next_key);

/* ---- resolution ---- */

/* Kinds a reference may resolve to, as a bit set. */
enum {
	HEPH_K_TASK = 1 << 0,
	HEPH_K_PROJECT = 1 << 1,
	HEPH_K_DOC = 1 << 2,
	HEPH_K_TAG = 1 << 3,
	HEPH_K_JOURNAL = 1 << 4,
	HEPH_K_ANY = 0xff,
};

/* Resolve a user's reference to a live node id: a unique id prefix of at
 * least 4 characters (when several nodes share it, the one task, else the
 * one project, ... wins), or for projects an exact name (case-insensitive).
 * HEPH_ENOTFOUND / HEPH_EAMBIGUOUS (listing candidates) otherwise. */
int heph__resolve(heph_store *s, const char *ref, unsigned kinds, char out[HEPH_ID_LEN + 1]);

/* The same with the reference taken from a parameter (required). */
int heph__p_node(heph_store *s, const json_t *params, const char *key, unsigned kinds,
		 char out[HEPH_ID_LEN + 1]);

/* The kind of a node ("" when absent). */
int heph__node_kind(heph_store *s, const char *id, char out[33]);

/* ---- JSON shapes (query.c) ---- */

/* The shortest prefix (at least 8 characters) that names this task alone
 * among tasks. */
int heph__short_id(heph_store *s, const char *id, char out[HEPH_ID_LEN + 1]);

/* The task object of `list`, `next` and `show`: node_id, short_id, title,
 * state, attention, do_date, late_on, recurrence, recurrence_text,
 * project_id, project, context_id, created_at, updated_at, deleted. NULL
 * with the error set if missing. */
json_t *heph__task_json(heph_store *s, const char *id);

/* The columns and joins heph__task_row() reads, in its order. */
#define HEPH_TASK_COLS                                                                     \
	"n.id, n.title, t.state, t.attention, t.do_date, t.late_on, t.recurrence, t.project_id, " \
	"p.title, t.context_id, t.created_hlc, n.updated_hlc, n.tombstone_hlc"
#define HEPH_TASK_FROM "FROM tasks t JOIN nodes n ON n.id = t.node_id LEFT JOIN nodes p ON p.id = t.project_id "

/* The task object of a row selected with HEPH_TASK_COLS (new reference);
 * short_id only when with_short_id (it costs two index probes). */
json_t *heph__task_row(heph_store *s, sqlite3_stmt *st, int with_short_id);

/* The rank order as five ascending keys over `t` (tasks), ?1 today: late
 * (0) before not (1); the older late-on first among late ones ("" for the
 * rest); band (0 red .. 3 blue); created HLC; node id. The same order as
 * heph__rank_compare(). */
#define HEPH_RANK_KEYS                                                                     \
	"CASE WHEN t.late_on < ?1 THEN 0 ELSE 1 END, "                                      \
	"CASE WHEN t.late_on < ?1 THEN t.late_on ELSE '' END, "                             \
	"CASE t.attention WHEN 'red' THEN 0 WHEN 'orange' THEN 1 WHEN 'white' THEN 2 ELSE 3 END, " \
	"t.created_hlc, t.node_id"

/* A page of the tasks matching a WHERE clause over `t` (tasks) in rank
 * order; ?2 is bound to arg (may be NULL). open_only: the clause keeps
 * only outstanding, live tasks (state = 'outstanding' AND deleted = 0),
 * so the page is read in index order and costs its rows (query.c); else
 * every match is sorted. after: NULL for the first page, else the sort key
 * of the previous page's last row (today, then the five HEPH_RANK_KEYS;
 * the handler has checked its shape), whose today orders this page too.
 * *rows: at most limit (<= 0: all) task objects, or none when env (may
 * be NULL) has a row taker, which gets them one at a time instead; *next:
 * the sort key of the last one when more follow, else NULL (new
 * references). */
int heph__task_query(heph_store *s, const heph_rpc_env *env, const char *where_sql, const char *arg, int open_only,
		     long long limit, const json_t *after, json_t **rows, json_t **next);

/* ---- what is next and views (rank.c, views.c) ---- */

/* Attention bands as bits of heph__filter.bands. */
enum {
	HEPH_BAND_RED = 1 << 0,
	HEPH_BAND_ORANGE = 1 << 1,
	HEPH_BAND_WHITE = 1 << 2,
	HEPH_BAND_BLUE = 1 << 3,
};

/* Which outstanding, live tasks a ranked read shows. */
typedef struct heph__filter {
	unsigned bands;  /* HEPH_BAND_* of the attention colours shown */
	int actionable;  /* only tasks whose do_date is empty or not after today, or that are late */
	int unfiled;     /* only tasks in no project */
	json_t *scope;   /* project ids whose tasks are shown (a subtree), or NULL: all (borrowed) */
	json_t *exclude; /* project ids whose tasks are left out, or NULL (borrowed) */
} heph__filter;

/* The tasks passing f in rank order: the first `limit` (<= 0: all), then
 * every red one beyond. *out is a new JSON array of task objects. */
int heph__rank(heph_store *s, const heph__filter *f, long long limit, json_t **out);

/* How many tasks pass f (what heph__rank with no limit would list). */
int heph__rank_count(heph_store *s, const heph__filter *f, long long *count);

/* 0 red, 1 orange, 2 white, 3 blue (and anything unknown). */
int heph__band_of(const char *attention);

/* The rank order of two tasks (<0: a first): late before not late, then
 * older late_on, then band, then created HLC, then id. */
int heph__rank_compare(int a_late, const char *a_late_on, int a_band, const char *a_created, const char *a_id,
		       int b_late, const char *b_late_on, int b_band, const char *b_created, const char *b_id);

/* The project tree: every live project in tree order with node_id, title,
 * parent_id, depth, open_count, open_count_total. */
int heph__project_tree(heph_store *s, json_t **out);

/* Ids of a project and its live subprojects, as a JSON array. */
int heph__project_subtree(heph_store *s, const char *id, json_t **out);

/* Outgoing (dir = 0) or incoming (dir = 1) links of a node: link_id, src,
 * dst, type, and the other end's title and kind. */
int heph__links_json(heph_store *s, const char *id, int dir, json_t **out);

/* ISO 8601 UTC time of an HLC's physical part. */
void heph__hlc_time(const char *hlc, char out[32]);

/* ---- changes (model.c) ---- */

/* Create a task with its context doc and, if project_id is given, its
 * project link. fields: title (required), attention, do_date, late_on,
 * recurrence, body (for the context doc). */
int heph__task_create(heph_store *s, json_t *fields, const char *project_id,
		      char id_out[HEPH_ID_LEN + 1]);

/* Write a node's body: names in wiki links become ids, a node.set is
 * emitted when the text changed, and the node's `wiki` and `tag` links are
 * brought in step with the body (body.h). Every body write goes through
 * here. _ex appends the wiki targets it could not resolve to unresolved
 * (may be NULL) as {"target", "reason"}. */
int heph__set_body(heph_store *s, const char *node_id, const char *body);
int heph__set_body_ex(heph_store *s, const char *node_id, const char *body, json_t *unresolved);

/* Create a node of kind with id, title and body (NULL: empty), the body
 * prepared and indexed as heph__set_body() does. */
int heph__node_create(heph_store *s, const char *id, const char *kind, const char *title, const char *body,
		      json_t *unresolved);

/* Emit task.set/node.set for the given fields, each with its base clock. */
int heph__set_fields(heph_store *s, const char *id, int task, json_t *fields);

/* Point a task's in-project (or a project's parent) link at dst, or at
 * nothing when dst is NULL: removes the live links of that type, adds one. */
int heph__relink(heph_store *s, const char *src, const char *type, const char *dst);

/* Add a link of type; id_out may be NULL. */
int heph__link_add(heph_store *s, const char *src, const char *dst, const char *type,
		   char id_out[HEPH_ID_LEN + 1]);

/* Remove every live link src -[type]-> dst; *removed counts them. */
int heph__link_remove(heph_store *s, const char *src, const char *dst, const char *type,
		      int *removed);

/* ---- the lifecycle: context doc, log doc, recurrence (lifecycle.c) ---- */

/* The task's live context doc in out ("" when it has none and !create;
 * with create, one is made, with an id derived from the task's). */
int heph__task_context(heph_store *s, const char *task_id, int create, char out[HEPH_ID_LEN + 1]);

/* The checklist items of a body as JSON: [{text, done, line, indent}]. */
json_t *heph__checklist_json(const char *body);

/* The task's log doc: a live doc linked to it by log-of (*exists = 1), or
 * the id its first entry will create (derived from the task's). */
int heph__task_log(heph_store *s, const char *task_id, char out[HEPH_ID_LEN + 1], int *exists);

/* Append "- DATE: text" to the task's log doc, creating it and its log-of
 * link on first use; log_id gets its id. With date NULL, text is whole
 * entries already in that form (an import writing several at once, so that
 * the doc's create carries them all). */
int heph__log_append(heph_store *s, const char *task_id, const char *date, const char *text,
		     char log_id[HEPH_ID_LEN + 1]);

/* {task_id, log_id (null: none yet), entries: the last `lines` (<= 0: all)
 * non-empty lines of the log doc}; NULL with the error set. */
json_t *heph__log_tail(heph_store *s, const char *task_id, long long lines);

/* The recur (phrase) or rrule (raw) parameter: *set when one was given,
 * *phrase when it was recur, *value the canonical rule or JSON null for none
 * (new reference). */
int heph__recur_param(const json_t *params, int *set, int *phrase, json_t **value);

/* The do-date a task given rrule gets when it has none: the first instance
 * from today on. HEPH_EINVALID when the rule has none. */
int heph__recur_first_day(heph_store *s, const char *rrule, char out[HEPH_DATE_LEN + 1]);

/* Whether the task is outstanding and recurs. */
int heph__task_recurs(heph_store *s, const char *id, int *recurs);

/* Move a recurring task to its next occurrence: reset its checklist, log
 * the occurrence when done, set do_date to the first instance strictly after
 * both today and the current do-date (COUNT lowered by the instances
 * passed), or mark it done when the series is over. *info: {occurrence,
 * next, finished, logged, checklist_reset}. HEPH_ECONFLICT unless the task
 * is outstanding and recurs. */
int heph__task_advance(heph_store *s, const char *id, int done, json_t **info);

/* heph__task_advance() and the task's JSON with the info merged in. */
int heph__task_roll(heph_store *s, const char *id, int done, json_t **result);

/* ---- docs, tags (rpc_docs.c) ---- */

/* The names of the tags of a node (for a task, its context doc's too) into
 * *out (a new array); a heph error when SQLite fails. */
int heph__node_tags(heph_store *s, const char *id, json_t **out);

/* Link a task to the tag nodes of names (a string or an array of them, as
 * the schema's "tags" type checked; "#x" and "x" alike), creating them as
 * needed; links it already has are kept. With remove, unlink them instead
 * (a tag it does not carry is no error). */
int heph__tag_task(heph_store *s, const char *task_id, const json_t *names, int remove);

/* The id of the journal of date ("YYYY-MM-DD"), derived from the date;
 * *live tells whether that node exists and is live (else it is free). */
int heph__journal_id(heph_store *s, const char *date, char out[HEPH_ID_LEN + 1], int *live);

/* The version of a body that conditional writes compare (the if_match of
 * doc.edit and context.edit): its SHA-256 as 64 lower-case hex digits. */
#define HEPH_BODY_HASH_LEN 64
void heph__body_hash(const char *body, char out[HEPH_BODY_HASH_LEN + 1]);

/* HEPH_ECONFLICT when params carry an if_match that is not the hash of node
 * id's current body; 0 when they carry none or it matches. */
int heph__body_if_match(heph_store *s, const json_t *params, const char *id);

/* ---- handlers ---- */

#define HEPH_RPC_HANDLER(name) int name(heph_rpc_env *env, json_t *params, json_t **result)

HEPH_RPC_HANDLER(heph__rpc_task_create);
HEPH_RPC_HANDLER(heph__rpc_task_list);
HEPH_RPC_HANDLER(heph__rpc_task_count);
HEPH_RPC_HANDLER(heph__rpc_task_done);
HEPH_RPC_HANDLER(heph__rpc_task_drop);
HEPH_RPC_HANDLER(heph__rpc_task_edit);
HEPH_RPC_HANDLER(heph__rpc_node_get);
HEPH_RPC_HANDLER(heph__rpc_node_remove);
HEPH_RPC_HANDLER(heph__rpc_project_add);
HEPH_RPC_HANDLER(heph__rpc_project_list);
HEPH_RPC_HANDLER(heph__rpc_doc_create);
HEPH_RPC_HANDLER(heph__rpc_doc_edit);
HEPH_RPC_HANDLER(heph__rpc_node_complete);
HEPH_RPC_HANDLER(heph__rpc_node_aliases);
HEPH_RPC_HANDLER(heph__rpc_journal_open);
HEPH_RPC_HANDLER(heph__rpc_tag_list);
HEPH_RPC_HANDLER(heph__rpc_search);
HEPH_RPC_HANDLER(heph__rpc_export_ical);
HEPH_RPC_HANDLER(heph__rpc_calendar_url);
HEPH_RPC_HANDLER(heph__rpc_calendar_revoke);
HEPH_RPC_HANDLER(heph__rpc_calendar_alarms);
HEPH_RPC_HANDLER(heph__rpc_import_taskwarrior);
HEPH_RPC_HANDLER(heph__rpc_undo);
HEPH_RPC_HANDLER(heph__rpc_undo_list);
HEPH_RPC_HANDLER(heph__rpc_link_add);
HEPH_RPC_HANDLER(heph__rpc_link_remove);
HEPH_RPC_HANDLER(heph__rpc_link_list);
HEPH_RPC_HANDLER(heph__rpc_link_backlinks);
HEPH_RPC_HANDLER(heph__rpc_ops_list);
HEPH_RPC_HANDLER(heph__rpc_ops_apply);
HEPH_RPC_HANDLER(heph__rpc_conflicts_list);
HEPH_RPC_HANDLER(heph__rpc_conflicts_resolve);
HEPH_RPC_HANDLER(heph__rpc_digest);
HEPH_RPC_HANDLER(heph__rpc_methods);
HEPH_RPC_HANDLER(heph__rpc_task_next);
HEPH_RPC_HANDLER(heph__rpc_view_list);
HEPH_RPC_HANDLER(heph__rpc_view_show);
HEPH_RPC_HANDLER(heph__rpc_sync_now);
HEPH_RPC_HANDLER(heph__rpc_sync_status);
HEPH_RPC_HANDLER(heph__rpc_hub_set);
HEPH_RPC_HANDLER(heph__rpc_store_info);
HEPH_RPC_HANDLER(heph__rpc_task_skip);
HEPH_RPC_HANDLER(heph__rpc_context_get);
HEPH_RPC_HANDLER(heph__rpc_context_edit);
HEPH_RPC_HANDLER(heph__rpc_log_tail);
HEPH_RPC_HANDLER(heph__rpc_log_append);
HEPH_RPC_HANDLER(heph__rpc_quickadd_parse);
HEPH_RPC_HANDLER(heph__rpc_task_add);
HEPH_RPC_HANDLER(heph__rpc_fleet_list);
HEPH_RPC_HANDLER(heph__rpc_ops_unapplied);
HEPH_RPC_HANDLER(heph__rpc_health);
HEPH_RPC_HANDLER(heph__rpc_checklist_promote);

#endif
