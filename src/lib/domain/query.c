/* query.c — read-side queries and the JSON shapes every surface shows.
 * Nothing here writes. */
#include "rpc_internal.h"
#include "ext.h"
#include "heph/recur.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

void heph__hlc_time(const char *hlc, char out[32])
{
	heph_hlc h;
	out[0] = '\0';
	if (!hlc || heph_hlc_parse(hlc, &h))
		return;
	time_t t = (time_t)(h.ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static size_t common(const char *a, const char *b)
{
	size_t i = 0;
	while (a[i] && a[i] == b[i])
		i++;
	return i;
}

/* The shortest prefix of id, at least min characters, that differs from
 * both of its neighbours in id order (either may be NULL). */
static void shortest(const char *id, size_t min, const char *prev, const char *next, char out[HEPH_ID_LEN + 1])
{
	size_t need = min, len = strlen(id);
	if (prev && common(id, prev) + 1 > need)
		need = common(id, prev) + 1;
	if (next && common(id, next) + 1 > need)
		need = common(id, next) + 1;
	if (need > len)
		need = len;
	memcpy(out, id, need);
	out[need] = '\0';
}

int heph__short_id(heph_store *s, const char *id, char out[HEPH_ID_LEN + 1])
{
	sqlite3_stmt *st = heph__stmt(s, "SELECT (SELECT max(node_id) FROM tasks WHERE node_id < ?1), "
					 "(SELECT min(node_id) FROM tasks WHERE node_id > ?1)");
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		shortest(id, 8, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1), out);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : heph__sqlerr(s, rc, "short id");
}

/* The neighbours of a handle among the outstanding tasks, in the order of
 * tasks_open_handle: one index probe each. */
#define HANDLE_PREV_OF(h) \
	"(SELECT max(handle) FROM tasks WHERE state = 'outstanding' AND deleted = 0 AND handle < " h ")"
#define HANDLE_NEXT_OF(h) \
	"(SELECT min(handle) FROM tasks WHERE state = 'outstanding' AND deleted = 0 AND handle > " h ")"

/* The handle a task is shown by: the shortest prefix of its handle, at
 * least HEPH_HANDLE_MIN characters, that no other outstanding task's
 * handle starts with. "" for a node without a task row. */
static int shown_handle(heph_store *s, const char *id, char out[HEPH_ID_LEN + 1])
{
	sqlite3_stmt *st = heph__stmt(s, "SELECT t.handle, " HANDLE_PREV_OF("t.handle") ", " HANDLE_NEXT_OF("t.handle")
					 " FROM tasks t WHERE t.node_id = ?1");
	out[0] = '\0';
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		shortest((const char *)sqlite3_column_text(st, 0), HEPH_HANDLE_MIN,
			 (const char *)sqlite3_column_text(st, 1), (const char *)sqlite3_column_text(st, 2), out);
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : heph__sqlerr(s, rc, "task handle");
}

#define TASK_COLS HEPH_TASK_COLS
#define TASK_FROM HEPH_TASK_FROM

static void set_str(json_t *o, const char *key, sqlite3_stmt *st, int col)
{
	const char *v = (const char *)sqlite3_column_text(st, col);
	json_object_set_new(o, key, v ? json_string(v) : json_null());
}

json_t *heph__task_row(heph_store *s, sqlite3_stmt *st, int with_short_id)
{
	char sid[HEPH_ID_LEN + 1], when[32];
	const char *id = (const char *)sqlite3_column_text(st, 0);
	json_t *o = json_object();
	json_object_set_new(o, "node_id", json_string(id));
	if (with_short_id && heph__short_id(s, id, sid) == 0)
		json_object_set_new(o, "short_id", json_string(sid));
	if (with_short_id && shown_handle(s, id, sid) == 0 && sid[0])
		json_object_set_new(o, "handle", json_string(sid));
	set_str(o, "title", st, 1);
	set_str(o, "state", st, 2);
	set_str(o, "attention", st, 3);
	set_str(o, "do_date", st, 4);
	set_str(o, "late_on", st, 5);
	set_str(o, "recurrence", st, 6);
	if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
		char *words = heph_recur_text((const char *)sqlite3_column_text(st, 6),
					      (const char *)sqlite3_column_text(st, 4));
		json_object_set_new(o, "recurrence_text", json_string(words));
		free(words);
	} else {
		json_object_set_new(o, "recurrence_text", json_null());
	}
	set_str(o, "project_id", st, 7);
	set_str(o, "project", st, 8);
	set_str(o, "context_id", st, 9);
	heph__hlc_time((const char *)sqlite3_column_text(st, 10), when);
	json_object_set_new(o, "created_at", json_string(when));
	heph__hlc_time((const char *)sqlite3_column_text(st, 11), when);
	json_object_set_new(o, "updated_at", json_string(when));
	json_object_set_new(o, "deleted", json_boolean(sqlite3_column_type(st, 12) != SQLITE_NULL));
	return o;
}

json_t *heph__task_json(heph_store *s, const char *id)
{
	sqlite3_stmt *st = heph__stmt(s, "SELECT " TASK_COLS " " TASK_FROM "WHERE t.node_id = ?1");
	json_t *o = NULL;
	if (!st)
		return NULL;
	heph__bind_str(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		o = heph__task_row(s, st, 1);
	sqlite3_reset(st);
	if (!o) {
		heph_error_set(HEPH_ENOTFOUND, "no task %s", id);
		return NULL;
	}
	if (heph__ext.task_json && heph__ext.task_json(s, id, o)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The rank order read from indexes: the open tasks split into parts that
 * follow one another in rank order, each read in an index's order and
 * stopped at the page's end, so that a page costs its rows, not every
 * matching task (the sort key's first part depends on today and cannot be
 * indexed itself):
 *
 *   part        rows                                 order              index
 *   0 late      late_on < today                      late_on, band,     tasks_open_late
 *                                                    created, id
 *   1..4 band   not late, attention red, orange,     created, id        tasks_open_band
 *               white, blue (band 0..3)
 *
 * Band 3 is blue alone: every op that writes attention is checked against
 * the four words (fields.c), so no other value reaches the table. A read
 * over every state (all) has no such index and sorts once instead. */
#define PART_NOT_LATE "(t.late_on IS NULL OR t.late_on >= ?1)"
static const struct {
	const char *where;  /* the part's rows */
	const char *after;  /* the rows after a cursor inside the part: ?3..?7 as in HEPH_RANK_KEYS */
	const char *order;  /* the part's order, an index's */
} parts[5] = {
	{ "t.late_on IS NOT NULL AND t.late_on < ?1",
	  " AND t.late_on >= ?4 AND (t.late_on, CASE t.attention WHEN 'red' THEN 0 WHEN 'orange' THEN 1 "
	  "WHEN 'white' THEN 2 ELSE 3 END, t.created_hlc, t.node_id) > (?4, ?5, ?6, ?7)",
	  "t.late_on, CASE t.attention WHEN 'red' THEN 0 WHEN 'orange' THEN 1 WHEN 'white' THEN 2 ELSE 3 END, "
	  "t.created_hlc, t.node_id" },
	{ "t.attention = 'red' AND " PART_NOT_LATE, NULL, NULL },
	{ "t.attention = 'orange' AND " PART_NOT_LATE, NULL, NULL },
	{ "t.attention = 'white' AND " PART_NOT_LATE, NULL, NULL },
	{ "t.attention = 'blue' AND " PART_NOT_LATE, NULL, NULL },
};
#define BAND_AFTER " AND t.created_hlc >= ?6 AND (t.created_hlc, t.node_id) > (?6, ?7)"
#define BAND_ORDER "t.created_hlc, t.node_id"

/* The columns of a page's rows, after its ids and keys (the CTE page). A
 * list asks for every row's neighbours in id order (for its short id) and
 * in handle order (for its handle) inside the one statement: index probes,
 * not more statements per row. */
#define PAGE_SELECT                                                                                        \
	"SELECT " TASK_COLS ", (SELECT max(node_id) FROM tasks WHERE node_id < t.node_id), "                \
	"(SELECT min(node_id) FROM tasks WHERE node_id > t.node_id), t.handle, " HANDLE_PREV_OF("t.handle") \
	", " HANDLE_NEXT_OF("t.handle") ", page.k1, page.k2, page.k3 "                                      \
	"FROM page JOIN tasks t ON t.node_id = page.id JOIN nodes n ON n.id = t.node_id "                 \
	"LEFT JOIN nodes p ON p.id = t.project_id ORDER BY page.k1, page.k2, page.k3, page.k4, page.id"

struct page {
	long long limit, got; /* rows asked for (<= 0: all), rows kept */
	const char *today;
	json_t *arr, *last, *next;
	const heph_rpc_env *env; /* its row taker, when set, takes the rows instead of arr */
};

/* Run one statement of a page (its rows in rank order) and keep its rows;
 * sets pg->next when it reads the row after the page's last. Returns 0, or
 * an error code. */
static int page_rows(heph_store *s, struct page *pg, const char *sql, const char *arg, const json_t *after)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return heph__sqlerr(s, rc, "task query");
	heph__bind_str(st, 1, pg->today);
	heph__bind_str(st, 2, arg);
	if (after) {
		sqlite3_bind_int64(st, 3, json_integer_value(json_array_get(after, 1)));
		heph__bind_str(st, 4, json_string_value(json_array_get(after, 2)));
		sqlite3_bind_int64(st, 5, json_integer_value(json_array_get(after, 3)));
		heph__bind_str(st, 6, json_string_value(json_array_get(after, 4)));
		heph__bind_str(st, 7, json_string_value(json_array_get(after, 5)));
	}
	while ((rc = heph__row(s, st)) > 0) {
		char sid[HEPH_ID_LEN + 1];
		if (pg->limit > 0 && pg->got == pg->limit) {
			/* one more than the page: the page's last row is where the next starts */
			pg->next = pg->last;
			pg->last = NULL;
			break;
		}
		json_t *o = heph__task_row(s, st, 0);
		shortest((const char *)sqlite3_column_text(st, 0), 8, (const char *)sqlite3_column_text(st, 13),
			 (const char *)sqlite3_column_text(st, 14), sid);
		json_object_set_new(o, "short_id", json_string(sid));
		if (sqlite3_column_type(st, 15) != SQLITE_NULL) {
			shortest((const char *)sqlite3_column_text(st, 15), HEPH_HANDLE_MIN,
				 (const char *)sqlite3_column_text(st, 16), (const char *)sqlite3_column_text(st, 17), sid);
			json_object_set_new(o, "handle", json_string(sid));
		}
		if (pg->env && pg->env->row) {
			int e = pg->env->row(pg->env->row_ctx, o);
			json_decref(o);
			if (e) {
				rc = e < 0 ? e : HEPH_ERROR;
				break;
			}
		} else {
			json_array_append_new(pg->arr, o);
		}
		pg->got++;
		json_decref(pg->last);
		pg->last = json_pack("[s, I, s, I, s, s]", pg->today, (json_int_t)sqlite3_column_int64(st, 18),
				     (const char *)sqlite3_column_text(st, 19), (json_int_t)sqlite3_column_int64(st, 20),
				     (const char *)sqlite3_column_text(st, 10), (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

int heph__task_query(heph_store *s, const heph_rpc_env *env, const char *where_sql, const char *arg, int open_only,
		     long long limit, const json_t *after, json_t **rows, json_t **next)
{
	struct page pg = { .limit = limit, .arr = json_array(), .env = env };
	char *sql = NULL;
	int err = 0;
	pg.today = after ? json_string_value(json_array_get(after, 0)) : heph_store_today(s);
	*rows = *next = NULL;
	if (!open_only) {
		/* Every state: the page's ids first, by their keys alone (one pass
		 * over the tasks, a sorter keeping limit + 1 rows: the one more says
		 * whether a next page exists); then only those rows' columns. */
		if (asprintf(&sql, "WITH page(id, k1, k2, k3, k4, k5) AS MATERIALIZED (SELECT t.node_id, "
				   HEPH_RANK_KEYS " FROM tasks t WHERE (%s)%s ORDER BY 2, 3, 4, 5, 6 LIMIT %lld) "
				   PAGE_SELECT,
			     where_sql, after ? " AND (" HEPH_RANK_KEYS ") > (?3, ?4, ?5, ?6, ?7)" : "",
			     limit > 0 ? limit + 1 : -1LL) < 0)
			abort();
		err = page_rows(s, &pg, sql, arg, after);
		free(sql);
		goto out;
	}
	/* The part the cursor is in (late: 0, else 1 + band); the parts before
	 * it are done. */
	int first = after ? (json_integer_value(json_array_get(after, 1)) == 0
				     ? 0
				     : 1 + (int)json_integer_value(json_array_get(after, 3)))
			  : 0;
	if (first < 0 || first > 4)
		first = 5; /* a band past blue: nothing follows it */
	for (int i = first; i < 5 && !err && !pg.next; i++) {
		long long want = limit > 0 ? limit + 1 - pg.got : -1;
		if (asprintf(&sql, "WITH page(id, k1, k2, k3, k4, k5) AS MATERIALIZED (SELECT t.node_id, "
				   HEPH_RANK_KEYS " FROM tasks t WHERE (%s) AND %s%s ORDER BY %s LIMIT %lld) " PAGE_SELECT,
			     where_sql, parts[i].where,
			     after && i == first ? (parts[i].after ? parts[i].after : BAND_AFTER) : "",
			     parts[i].order ? parts[i].order : BAND_ORDER, want) < 0)
			abort();
		err = page_rows(s, &pg, sql, arg, after && i == first ? after : NULL);
		free(sql);
	}
out:
	json_decref(pg.last);
	if (err) {
		json_decref(pg.arr);
		json_decref(pg.next);
		return err;
	}
	*rows = pg.arr;
	*next = pg.next;
	return 0;
}

/* ---- the project tree ---- */

struct proj {
	char *id, *title, *parent;
	int parent_ix;      /* index of the parent in the array, -1 for a root */
	long open, total;   /* outstanding tasks: own, with the subtree */
	int depth;
	int *kids;          /* child indexes, sorted by title */
	int nkids;
};

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct proj *)a)->id, ((const struct proj *)b)->id);
}

static int find_proj(struct proj *p, int n, const char *id)
{
	if (!id || n == 0)
		return -1;
	struct proj key = { .id = (char *)id };
	struct proj *hit = bsearch(&key, p, (size_t)n, sizeof *p, by_id);
	return hit ? (int)(hit - p) : -1;
}

static int by_title(const void *a, const void *b, void *ctx)
{
	const struct proj *base = ctx;
	const struct proj *x = &base[*(const int *)a], *y = &base[*(const int *)b];
	int c = strcasecmp(x->title, y->title);
	return c ? c : strcmp(x->id, y->id);
}

static void emit_tree(struct proj *p, int i, int depth, json_t *arr)
{
	p[i].depth = depth;
	json_array_append_new(arr, json_pack("{s:s, s:s, s:s?, s:i, s:i, s:i}", "node_id", p[i].id, "title",
					     p[i].title, "parent_id",
					     p[i].parent_ix >= 0 ? p[p[i].parent_ix].id : NULL, "depth",
					     depth, "open_count", (json_int_t)p[i].open, "open_count_total",
					     (json_int_t)p[i].total));
	for (int k = 0; k < p[i].nkids; k++)
		emit_tree(p, p[i].kids[k], depth + 1, arr);
}

static long sum_total(struct proj *p, int i)
{
	long t = p[i].open;
	for (int k = 0; k < p[i].nkids; k++)
		t += sum_total(p, p[i].kids[k]);
	return p[i].total = t;
}

int heph__project_tree(heph_store *s, json_t **out)
{
	struct proj *p = NULL;
	int n = 0, cap = 0, err = 0, rc;
	int *roots = NULL, nroots = 0;
	sqlite3_stmt *st = heph__stmt(s, "SELECT id, title, parent_id FROM nodes "
					 "WHERE kind = 'project' AND tombstone_hlc IS NULL");
	if (!st)
		return HEPH_ERROR;
	while ((rc = heph__row(s, st)) > 0) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if (!(p = realloc(p, (size_t)cap * sizeof *p)))
				abort();
		}
		memset(&p[n], 0, sizeof p[n]);
		p[n].id = heph__col_dup(st, 0);
		p[n].title = heph__col_dup(st, 1);
		p[n].parent = heph__col_dup(st, 2);
		n++;
	}
	sqlite3_reset(st);
	if (rc < 0) {
		err = rc;
		goto out;
	}
	if (n > 0)
		qsort(p, (size_t)n, sizeof *p, by_id); /* p is NULL when there are none */

	st = heph__stmt(s, "SELECT project_id, count(*) FROM tasks WHERE state = 'outstanding' AND deleted = 0 "
			   "AND project_id IS NOT NULL GROUP BY project_id");
	if (!st) {
		err = HEPH_ERROR;
		goto out;
	}
	while ((rc = heph__row(s, st)) > 0) {
		int i = find_proj(p, n, (const char *)sqlite3_column_text(st, 0));
		if (i >= 0)
			p[i].open = sqlite3_column_int64(st, 1);
	}
	if (rc < 0) {
		err = rc;
		goto out;
	}

	/* Parents; a project whose parent chain is missing, deleted or loops
	 * (two devices moving projects under each other) is shown as a root. */
	for (int i = 0; i < n; i++)
		p[i].parent_ix = find_proj(p, n, p[i].parent);
	for (int i = 0; i < n; i++) {
		int slow = i, fast = i, loop = 0;
		while (fast >= 0 && p[fast].parent_ix >= 0) {
			fast = p[p[fast].parent_ix].parent_ix;
			slow = p[slow].parent_ix;
			if (fast >= 0 && fast == slow) {
				loop = 1;
				break;
			}
		}
		if (loop) {
			/* Break the cycle deterministically at its smallest id. */
			int min = slow, j = p[slow].parent_ix;
			while (j != slow) {
				if (strcmp(p[j].id, p[min].id) < 0)
					min = j;
				j = p[j].parent_ix;
			}
			p[min].parent_ix = -1;
		}
	}
	for (int i = 0; i < n; i++) {
		int par = p[i].parent_ix;
		if (par < 0) {
			if (!(roots = realloc(roots, (size_t)(nroots + 1) * sizeof *roots)))
				abort();
			roots[nroots++] = i;
			continue;
		}
		if (!(p[par].kids = realloc(p[par].kids, (size_t)(p[par].nkids + 1) * sizeof(int))))
			abort();
		p[par].kids[p[par].nkids++] = i;
	}
	if (nroots > 1)
		qsort_r(roots, (size_t)nroots, sizeof *roots, by_title, p);
	for (int i = 0; i < n; i++)
		if (p[i].nkids > 1)
			qsort_r(p[i].kids, (size_t)p[i].nkids, sizeof(int), by_title, p);

	json_t *arr = json_array();
	for (int r = 0; r < nroots; r++) {
		sum_total(p, roots[r]);
		emit_tree(p, roots[r], 0, arr);
	}
	*out = arr;
out:
	for (int i = 0; i < n; i++) {
		free(p[i].id);
		free(p[i].title);
		free(p[i].parent);
		free(p[i].kids);
	}
	free(p);
	free(roots);
	return err;
}

int heph__project_subtree(heph_store *s, const char *id, json_t **out)
{
	return heph__texts_of(s,
		"WITH RECURSIVE sub(id) AS (SELECT ?1 UNION SELECT n.id FROM nodes n JOIN sub ON n.parent_id = sub.id "
		"WHERE n.kind = 'project' AND n.tombstone_hlc IS NULL) SELECT id FROM sub", id, out);
}

int heph__links_json(heph_store *s, const char *id, int dir, json_t **out)
{
	/* A wiki link is shown only while its source's body names its target:
	 * after concurrent edits of one body the index may briefly hold a link
	 * the winning text dropped (see docs/explanation/wiki-links.md). One
	 * link is one row however many live adds (tags) it has: adding a link
	 * again, or on two devices, leaves two tags of one link; link_id is
	 * its earliest (SQLite takes the bare columns from the min() row). */
	sqlite3_stmt *st = heph__stmt(s, dir == 0
		? "SELECT l.id, l.src, l.dst, l.type, o.title, o.kind, min(l.hlc) AS first FROM links l "
		  "LEFT JOIN nodes o ON o.id = l.dst "
		  "WHERE l.src = ?1 AND (l.type <> 'wiki' OR instr((SELECT body FROM nodes WHERE id = ?1), l.dst) > 0) "
		  "GROUP BY l.type, l.dst ORDER BY l.type, first"
		: "SELECT l.id, l.src, l.dst, l.type, o.title, o.kind, min(l.hlc) AS first FROM links l "
		  "LEFT JOIN nodes o ON o.id = l.src "
		  "WHERE l.dst = ?1 AND (l.type <> 'wiki' OR instr(o.body, l.dst) > 0) "
		  "GROUP BY l.type, l.src ORDER BY l.type, first");
	json_t *arr = json_array();
	int rc;
	if (!st) {
		json_decref(arr);
		return HEPH_ERROR;
	}
	heph__bind_str(st, 1, id);
	while ((rc = heph__row(s, st)) > 0) {
		json_t *o = json_object();
		set_str(o, "link_id", st, 0);
		set_str(o, "src", st, 1);
		set_str(o, "dst", st, 2);
		set_str(o, "type", st, 3);
		set_str(o, "title", st, 4);
		set_str(o, "kind", st, 5);
		/* the other end as a person types it: a task's handle, else
		 * the shortest unique prefix of its id */
		const char *other = (const char *)sqlite3_column_text(st, dir == 0 ? 2 : 1);
		char ref[HEPH_ID_LEN + 1];
		if (other && heph__short_id(s, other, ref) == 0)
			json_object_set_new(o, "short_id", json_string(ref));
		if (other && shown_handle(s, other, ref) == 0 && ref[0])
			json_object_set_new(o, "handle", json_string(ref));
		json_array_append_new(arr, o);
	}
	sqlite3_reset(st);
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return 0;
}
