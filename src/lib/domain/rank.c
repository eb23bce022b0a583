/* rank.c — "what is next" and the views: candidacy, rank order, and the
 * limit that never hides a red task.
 *
 * Rank order, lexicographically:
 *   1. tasks past their late_on (late_on < today) first, the furthest past
 *      first;
 *   2. attention band: red, orange, white (and blue, for views showing it);
 *   3. creation time (created_hlc), oldest first;
 *   4. node id.
 * The do-date only gates candidacy (the actionable filter); it never orders.
 * A task already past its late_on passes the gate whatever its do-date: a
 * late task is never hidden behind a do-date still to come.
 * After the first `limit` tasks, every remaining red candidate is appended.
 *
 * Reading O(limit) rows, not every candidate: the candidates split into
 * disjoint parts, each read in its own index order, and the top `limit` of
 * the whole lie within the top `limit` of each part:
 *
 *   part            rows read                 index
 *   red             every red candidate       tasks_open_band (attention, created_hlc)
 *   late, not red   first `limit` by late_on  tasks_open_late (late_on)
 *   band B, on time first `limit` by created  tasks_open_band (attention, created_hlc)
 *
 * The parts read rank keys only (from the index, where no project filter
 * needs the row) and are merged with the comparator below; task objects
 * are built for the rows shown. A filter scoped to a project subtree reads
 * the subtree's tasks once, through tasks_open_project, and ranks them all.
 */
#include "rpc_internal.h"

#include <stdlib.h>
#include <string.h>

static const char *const band_names[4] = { "red", "orange", "white", "blue" };

int heph__band_of(const char *attention)
{
	for (int i = 0; i < 4; i++)
		if (attention && strcmp(attention, band_names[i]) == 0)
			return i;
	return 3;
}

/* ---- the statements: {part} x {scope} ---- */

/* The parts read only rank keys, from the indexes where they can; the task
 * objects are built for the rows shown, at the end. */
#define RANK_SELECT "SELECT t.node_id, t.late_on, t.attention, t.created_hlc FROM tasks t "
/* ?1 today, ?2 actionable gate, ?3 excluded project ids (JSON) or NULL,
 * ?4 scope project ids (JSON), ?5 band(s), ?6 limit (-1: none) */
#define RANK_COMMON                                                                         \
	"WHERE t.state = 'outstanding' AND t.deleted = 0 "                                  \
	"AND (?2 = 0 OR t.do_date IS NULL OR t.do_date <= ?1 OR t.late_on < ?1) "           \
	"AND (?3 IS NULL OR t.project_id IS NULL OR t.project_id NOT IN (SELECT value FROM json_each(?3))) "
#define SCOPE_ALL ""
#define SCOPE_UNF "AND t.project_id IS NULL "
#define PART_RED "AND t.attention = ?5 ORDER BY t.created_hlc, t.node_id LIMIT ?6"
#define PART_LATE                                                                           \
	"AND t.late_on IS NOT NULL AND t.late_on < ?1 AND instr(?5, ',' || t.attention || ',') > 0 " \
	"ORDER BY t.late_on, CASE t.attention WHEN 'red' THEN 0 WHEN 'orange' THEN 1 "          \
	"WHEN 'white' THEN 2 ELSE 3 END, t.created_hlc, t.node_id LIMIT ?6"
#define PART_BAND                                                                           \
	"AND t.attention = ?5 AND (t.late_on IS NULL OR t.late_on >= ?1) "                   \
	"ORDER BY t.created_hlc, t.node_id LIMIT ?6"

enum { P_RED, P_LATE, P_BAND };
enum { S_ALL, S_UNF };

/* String literals with fixed addresses: the statement cache's keys. */
static const char *const sql[3][2] = {
	{ RANK_SELECT RANK_COMMON SCOPE_ALL PART_RED, RANK_SELECT RANK_COMMON SCOPE_UNF PART_RED },
	{ RANK_SELECT RANK_COMMON SCOPE_ALL PART_LATE, RANK_SELECT RANK_COMMON SCOPE_UNF PART_LATE },
	{ RANK_SELECT RANK_COMMON SCOPE_ALL PART_BAND, RANK_SELECT RANK_COMMON SCOPE_UNF PART_BAND },
};
/* A project's subtree has few tasks: read them all through the project
 * index (+t.attention keeps SQLite off the band index) and rank them here. */
static const char *const sql_scope = RANK_SELECT RANK_COMMON
	"AND t.project_id IN (SELECT value FROM json_each(?4)) AND instr(?5, ',' || +t.attention || ',') > 0 "
	"LIMIT ?6";

/* ---- rows and their order ---- */

struct row {
	int late;               /* late_on < today */
	char late_on[HEPH_DATE_LEN + 1];
	int band;               /* 0 red .. 3 blue */
	char created[HEPH_HLC_LEN + 1];
	char id[HEPH_ID_LEN + 1];
};

struct rows {
	struct row *v;
	size_t n, cap;
};

int heph__rank_compare(int a_late, const char *a_late_on, int a_band, const char *a_created, const char *a_id,
		       int b_late, const char *b_late_on, int b_band, const char *b_created, const char *b_id)
{
	int c;
	if (a_late != b_late)
		return a_late ? -1 : 1;
	if (a_late && (c = strcmp(a_late_on, b_late_on)) != 0)
		return c;
	if (a_band != b_band)
		return a_band < b_band ? -1 : 1;
	if ((c = strcmp(a_created, b_created)) != 0)
		return c;
	return strcmp(a_id, b_id);
}

static int by_rank(const void *pa, const void *pb)
{
	const struct row *a = pa, *b = pb;
	return heph__rank_compare(a->late, a->late_on, a->band, a->created, a->id, b->late, b->late_on, b->band,
				  b->created, b->id);
}

static void bind_maybe(sqlite3_stmt *st, int i, const char *v)
{
	if (i <= sqlite3_bind_parameter_count(st))
		heph__bind_str(st, i, v);
}

/* Run one part (sql_scope when scope is given), appending its rows. */
static int read_part(heph_store *s, const heph__filter *f, int part, const char *bands, long long limit,
		     const char *exclude, const char *scope, struct rows *out)
{
	sqlite3_stmt *st = heph__stmt(s, scope ? sql_scope : sql[part][f->unfiled ? S_UNF : S_ALL]);
	const char *today = heph_store_today(s);
	int rc;
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, today);
	sqlite3_bind_int(st, 2, f->actionable);
	heph__bind_str(st, 3, exclude);
	bind_maybe(st, 4, scope);
	heph__bind_str(st, 5, bands);
	sqlite3_bind_int64(st, 6, limit > 0 ? limit : -1);
	while ((rc = heph__row(s, st)) > 0) {
		if (out->n == out->cap) {
			out->cap = out->cap ? out->cap * 2 : 64;
			if (!(out->v = realloc(out->v, out->cap * sizeof *out->v)))
				abort();
		}
		struct row *r = &out->v[out->n++];
		const char *late_on = (const char *)sqlite3_column_text(st, 1);
		snprintf(r->id, sizeof r->id, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(r->late_on, sizeof r->late_on, "%s", late_on ? late_on : "");
		r->late = late_on && strcmp(late_on, today) < 0;
		r->band = heph__band_of((const char *)sqlite3_column_text(st, 2));
		snprintf(r->created, sizeof r->created, "%s", (const char *)sqlite3_column_text(st, 3));
	}
	sqlite3_reset(st);
	return rc < 0 ? rc : 0;
}

int heph__rank(heph_store *s, const heph__filter *f, long long limit, json_t **out)
{
	struct rows rows = { 0 };
	char *exclude = NULL, *scope = NULL, late_bands[40] = ",";
	int err = 0;
	json_t *arr;

	*out = NULL;
	/* One read transaction: a consistent snapshot, and one lock instead
	 * of one per statement. */
	int own_txn = sqlite3_get_autocommit(s->db);
	if (own_txn && (err = heph__exec(s, "BEGIN")))
		return err;
	if (f->scope && json_array_size(f->scope) == 0) {
		*out = json_array(); /* a scope with no project in it */
		goto out;
	}
	if (f->exclude && json_array_size(f->exclude))
		exclude = json_dumps(f->exclude, JSON_COMPACT);
	if (f->scope)
		scope = json_dumps(f->scope, JSON_COMPACT);
	if (scope) {
		/* the whole scope at once; ranked and cut below */
		char all[40] = ",";
		for (int b = 0; b < 4; b++)
			if (f->bands & (1u << b)) {
				strcat(all, band_names[b]);
				strcat(all, ",");
			}
		if ((err = read_part(s, f, 0, all, 0, exclude, scope, &rows)))
			goto out;
	} else {
		/* red: all of it, late or not */
		if ((f->bands & HEPH_BAND_RED) && (err = read_part(s, f, P_RED, "red", 0, exclude, NULL, &rows)))
			goto out;
		for (int b = 1; b < 4; b++) {
			if (!(f->bands & (1u << b)))
				continue;
			strcat(late_bands, band_names[b]);
			strcat(late_bands, ",");
			if ((err = read_part(s, f, P_BAND, band_names[b], limit, exclude, NULL, &rows)))
				goto out;
		}
		if (late_bands[1] && (err = read_part(s, f, P_LATE, late_bands, limit, exclude, NULL, &rows)))
			goto out;
	}

	if (rows.n) /* qsort wants a non-null base even for no rows */
		qsort(rows.v, rows.n, sizeof *rows.v, by_rank);
	arr = json_array();
	for (size_t i = 0; i < rows.n; i++) {
		struct row *r = &rows.v[i];
		if (limit > 0 && (long long)i >= limit && r->band != 0)
			continue;
		json_t *t = heph__task_json(s, r->id);
		if (!t) {
			json_decref(arr);
			err = HEPH_ERROR;
			goto out;
		}
		json_array_append_new(arr, t);
	}
	*out = arr;
out:
	if (own_txn)
		heph__exec(s, "COMMIT");
	free(rows.v);
	free(exclude);
	free(scope);
	return err;
}

/* Counting reads no task row where it can: with neither a scope nor
 * unfiled, the filter's columns are all in tasks_open_band (a covering
 * scan); a scope or unfiled goes through tasks_open_project, and an
 * excluded subtree is counted as a scope and subtracted. ?1 today, ?2
 * actionable gate, ?3 bands, ?4 scope ids (JSON). */
#define COUNT_COMMON                                                                        \
	"SELECT count(*) FROM tasks t WHERE t.state = 'outstanding' AND t.deleted = 0 "     \
	"AND (?2 = 0 OR t.do_date IS NULL OR t.do_date <= ?1 OR t.late_on < ?1) "                       \
	"AND instr(?3, ',' || t.attention || ',') > 0 "
static const char *const sql_count[] = {
	COUNT_COMMON,
	COUNT_COMMON "AND t.project_id IN (SELECT value FROM json_each(?4))",
	COUNT_COMMON "AND t.project_id IS NULL",
};

static int count_part(heph_store *s, const heph__filter *f, int which, const char *bands, const json_t *ids,
		      long long *count)
{
	sqlite3_stmt *st = heph__stmt(s, sql_count[which]);
	char *arg = ids ? json_dumps(ids, JSON_COMPACT) : NULL;
	int rc;
	if (!st) {
		free(arg);
		return HEPH_ERROR;
	}
	heph__bind_str(st, 1, heph_store_today(s));
	sqlite3_bind_int(st, 2, f->actionable);
	heph__bind_str(st, 3, bands);
	if (which == 1)
		heph__bind_str(st, 4, arg);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*count = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	free(arg);
	return rc == SQLITE_ROW ? 0 : heph__sqlerr(s, rc, "counting a view");
}

int heph__rank_count(heph_store *s, const heph__filter *f, long long *count)
{
	char bands[40] = ",";
	long long left_out = 0;
	int err;
	*count = 0;
	for (int b = 0; b < 4; b++)
		if (f->bands & (1u << b)) {
			strcat(bands, band_names[b]);
			strcat(bands, ",");
		}
	if (f->scope)
		return count_part(s, f, 1, bands, f->scope, count);
	if (f->unfiled)
		return count_part(s, f, 2, bands, NULL, count);
	if ((err = count_part(s, f, 0, bands, NULL, count)))
		return err;
	if (f->exclude && json_array_size(f->exclude) && (err = count_part(s, f, 1, bands, f->exclude, &left_out)))
		return err;
	*count -= left_out;
	return 0;
}
