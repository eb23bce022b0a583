/* rpc_search.c — full-text search over titles and bodies (SQLite FTS5).
 *
 * The index (table `search`, migration 3) holds every live node's title and
 * body and is kept in step by triggers on `nodes`, so it follows every op
 * the engine applies, synced ones included, and never holds a tombstone.
 *
 * A query is words: each is matched as a token (case and diacritics
 * folded), all must occur, and a word ending in '*' matches as a prefix.
 * With raw the query is FTS5's own syntax (AND, OR, NOT, "phrases",
 * NEAR(), column:). Hits are ranked by heph_rank() below (BM25 without
 * document frequencies, the title weighing four times the body). A task's context doc stands for its task: a hit on it is
 * reported as the task, and a task is reported once.
 */
#include "rpc_internal.h"

#include <stdlib.h>
#include <string.h>

#define SEARCH_MAX_LIMIT 200
#define QUERY_MAX 1000

/* The FTS5 query for the words of q: each a quoted token, '*' kept as a
 * prefix mark; NULL (error set) when no word is left. */
static char *fts_query(const char *q)
{
	size_t n = strlen(q), cap = 3 * n + 16, len = 0;
	char *out = malloc(cap);
	if (!out)
		abort();
	out[0] = '\0';
	for (size_t i = 0; i < n;) {
		while (i < n && (q[i] == ' ' || q[i] == '\t' || q[i] == '\n' || q[i] == '\r'))
			i++;
		size_t j = i;
		while (j < n && q[j] != ' ' && q[j] != '\t' && q[j] != '\n' && q[j] != '\r')
			j++;
		if (j == i)
			break;
		size_t end = j;
		int prefix = 0;
		while (end > i && q[end - 1] == '*') {
			end--;
			prefix = 1;
		}
		/* a word of punctuation alone has no token to match */
		int has_token = 0;
		for (size_t k = i; k < end; k++)
			if ((unsigned char)q[k] >= 0x80 || (q[k] >= '0' && q[k] <= '9') || ((q[k] | 32) >= 'a' && (q[k] | 32) <= 'z'))
				has_token = 1;
		if (has_token) {
			if (len)
				out[len++] = ' ';
			out[len++] = '"';
			for (size_t k = i; k < end; k++) {
				if (q[k] == '"')
					out[len++] = '"';
				out[len++] = q[k];
			}
			out[len++] = '"';
			if (prefix)
				out[len++] = '*';
			out[len] = '\0';
		}
		i = j;
	}
	if (!len) {
		free(out);
		heph_error_set(HEPH_EINVALID, "nothing to search for in \"%.60s\"", q);
		return NULL;
	}
	return out;
}

/* A snippet with each [[ID|label]] shown as [[label]]: ids are noise in a
 * one-line excerpt. Malloc'd. */
static char *tidy_snippet(const char *in)
{
	size_t n = strlen(in), j = 0;
	char *out = malloc(n + 1);
	if (!out)
		abort();
	for (size_t i = 0; i < n;) {
		if (in[i] == '[' && in[i + 1] == '[' && i + 2 + HEPH_ID_LEN < n && in[i + 2 + HEPH_ID_LEN] == '|') {
			char id[HEPH_ID_LEN + 1];
			memcpy(id, in + i + 2, HEPH_ID_LEN);
			id[HEPH_ID_LEN] = '\0';
			if (heph_id_valid(id)) {
				out[j++] = '[';
				out[j++] = '[';
				i += 3 + HEPH_ID_LEN;
				continue;
			}
		}
		out[j++] = in[i++];
	}
	out[j] = '\0';
	return out;
}

/* The live task whose context doc is id, if any. */
static int owner_task(heph_store *s, const char *id, char out[HEPH_ID_LEN + 1])
{
	sqlite3_stmt *st = heph__stmt(s,
		"SELECT l.src FROM links l JOIN nodes t ON t.id = l.src AND t.tombstone_hlc IS NULL "
		"WHERE l.dst = ?1 AND l.type = 'canonical-context' ORDER BY l.hlc DESC LIMIT 1");
	int found;
	if (!st)
		return 0;
	heph__bind_str(st, 1, id);
	found = sqlite3_step(st) == SQLITE_ROW;
	if (found)
		snprintf(out, HEPH_ID_LEN + 1, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return found;
}

/* Ranking costs about a microsecond per match; past this many matches only
 * the most recently added ones are ranked. */
#define RANK_CAP 8000

/* heph_rank(search): BM25's saturating term frequency per column, the
 * title weighing four times the body; lower is better, as with bm25().
 * FTS5's own bm25() also normalises by each row's length, which costs an SQL
 * lookup per ranked row, and weighs terms by their document frequency,
 * which it computes on first use by reading each term's whole posting list:
 * together three times our budget on 100k tasks. Without them a score needs
 * only the match's positions, already in memory. Ties go to the newest. */
static void rank_fn(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int nval,
		    sqlite3_value **val)
{
	static const double weight[2] = { 4.0, 1.0 }, k1 = 1.2;
	double tf[2] = { 0, 0 }, score = 0;
	int n = 0;
	(void)nval;
	(void)val;
	if (api->xInstCount(fts, &n) != SQLITE_OK) {
		sqlite3_result_error(ctx, "heph_rank: cannot read the match", -1);
		return;
	}
	for (int i = 0; i < n; i++) {
		int phrase, col, off;
		if (api->xInst(fts, i, &phrase, &col, &off) == SQLITE_OK && col >= 0 && col < 2)
			tf[col] += 1;
	}
	for (int c = 0; c < 2; c++)
		score += weight[c] * tf[c] * (k1 + 1) / (tf[c] + k1);
	sqlite3_result_double(ctx, -score);
}

/* Make heph_rank() known to this connection (cheap; done per search). */
static int register_rank(heph_store *s)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, "SELECT fts5(?1)", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return heph__sqlerr(s, rc, "search");
	sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	if (!api || api->iVersion < 2)
		return heph_error_set(HEPH_ERROR, "this SQLite has no usable FTS5");
	rc = api->xCreateFunction(api, "heph_rank", NULL, rank_fn, NULL);
	return rc == SQLITE_OK ? 0 : heph__sqlerr(s, rc, "search");
}

/* The smallest search rowid among the RANK_CAP most recent matches, or 0
 * when there are fewer. */
static int rank_floor(heph_store *s, const char *fts, int64_t *floor)
{
	sqlite3_stmt *st = heph__stmt(s, "SELECT rowid FROM search WHERE search MATCH ?1 ORDER BY rowid DESC "
					 "LIMIT 1 OFFSET ?2");
	int rc;
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, fts);
	sqlite3_bind_int(st, 2, RANK_CAP - 1);
	rc = sqlite3_step(st);
	*floor = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : rc;
}

/* Snippets of the ranked hits (a JSON array of [rowid, rank]) in one pass
 * over the matches between the smallest and largest of them: a query per
 * hit would read the posting lists again each time. Returns {rowid: [node
 * id, kind, snippet]}. */
static int snippets(heph_store *s, const char *fts, json_t *ranked, json_t **out)
{
	json_t *ids = json_array(), *v, *map = json_object();
	json_int_t lo = INT64_MAX, hi = 0;
	size_t i;
	int rc;
	json_array_foreach(ranked, i, v) {
		json_int_t r = json_integer_value(json_array_get(v, 0));
		json_array_append_new(ids, json_integer(r));
		lo = r < lo ? r : lo;
		hi = r > hi ? r : hi;
	}
	char *list = json_dumps(ids, JSON_COMPACT);
	json_decref(ids);
	/* "+rowid IN" keeps FTS5 from running the match once per id */
	sqlite3_stmt *st = heph__stmt(s,
		"SELECT search.rowid, m.node_id, n.kind, snippet(search, -1, '**', '**', '…', 12) FROM search "
		"JOIN search_ids m ON m.rid = search.rowid JOIN nodes n ON n.id = m.node_id "
		"WHERE search MATCH ?1 AND search.rowid BETWEEN ?2 AND ?3 "
		"AND +search.rowid IN (SELECT value FROM json_each(?4))");
	if (!st) {
		free(list);
		json_decref(map);
		return HEPH_ERROR;
	}
	heph__bind_str(st, 1, fts);
	sqlite3_bind_int64(st, 2, lo);
	sqlite3_bind_int64(st, 3, hi);
	heph__bind_str(st, 4, list);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char key[24];
		char *snip = tidy_snippet((const char *)sqlite3_column_text(st, 3));
		snprintf(key, sizeof key, "%lld", (long long)sqlite3_column_int64(st, 0));
		json_object_set_new(map, key, json_pack("[s, s, s]", (const char *)sqlite3_column_text(st, 1),
						       (const char *)sqlite3_column_text(st, 2), snip));
		free(snip);
	}
	sqlite3_reset(st);
	free(list);
	if (rc != SQLITE_DONE) {
		json_decref(map);
		return rc;
	}
	*out = map;
	return 0;
}

/* The result row of one hit (NULL when filtered out or already reported
 * through its task); seen holds the ids already reported. */
static json_t *hit_row(heph_store *s, const char *hit, const char *hkind, const char *snip, double rank,
		       const char *kind, json_t *seen)
{
	char owner[HEPH_ID_LEN + 1];
	const char *id = hit;
	json_t *row = NULL;
	sqlite3_stmt *st;
	if (strcmp(hkind, "doc") == 0 && owner_task(s, hit, owner))
		id = owner;
	if (json_object_get(seen, id))
		return NULL;
	json_object_set_new(seen, id, json_true());
	if (!(st = heph__stmt(s, "SELECT kind, title FROM nodes WHERE id = ?1")))
		return NULL;
	heph__bind_str(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW && (!kind || strcmp(kind, (const char *)sqlite3_column_text(st, 0)) == 0))
		row = json_pack("{s:s, s:s, s:s, s:s, s:s, s:f}", "node_id", id, "kind",
				(const char *)sqlite3_column_text(st, 0), "title", (const char *)sqlite3_column_text(st, 1),
				"snippet", snip, "matched_id", hit, "rank", rank);
	sqlite3_reset(st);
	char sid[HEPH_ID_LEN + 1];
	if (row && heph__short_id(s, id, sid) == 0)
		json_object_set_new(row, "short_id", json_string(sid));
	if (row && strcmp(json_string_value(json_object_get(row, "kind")), "task") == 0) {
		json_t *t = heph__task_json(s, id);
		if (t) {
			json_object_set(row, "short_id", json_object_get(t, "short_id"));
			if (json_object_get(t, "handle"))
				json_object_set(row, "handle", json_object_get(t, "handle"));
			json_object_set(row, "state", json_object_get(t, "state"));
			json_object_set(row, "attention", json_object_get(t, "attention"));
			json_decref(t);
		}
	}
	return row;
}

HEPH_RPC_HANDLER(heph__rpc_search)
{
	heph_store *s = env->store;
	const char *q, *kind;
	long long limit;
	int raw, err, rc;
	int64_t floor = 0;
	char *fts = NULL;
	json_t *arr = NULL, *seen = NULL, *ranked = NULL, *snips = NULL, *v;
	size_t i;

	if ((err = heph__p_str(params, "query", 1, &q)) || (err = heph__p_str(params, "kind", 0, &kind)) ||
	    (err = heph__p_int(params, "limit", 20, 1, SEARCH_MAX_LIMIT, &limit)) ||
	    (err = heph__p_bool(params, "raw", 0, &raw)))
		return err;
	if (strlen(q) > QUERY_MAX)
		return heph_error_set(HEPH_ETOOBIG, "a query is at most %d bytes", QUERY_MAX);
	if (kind && (err = heph__check_kind(kind)))
		return err;
	if (raw) {
		if (!(fts = strdup(q)))
			abort();
	} else if (!(fts = fts_query(q))) {
		return HEPH_EINVALID;
	}
	if ((err = register_rank(s)))
		goto out;
	if ((rc = rank_floor(s, fts, &floor)))
		goto sqlfail;
	/* Rank first (rowids and scores only), then dress the winners: a
	 * snippet costs far more than a score. */
	sqlite3_stmt *st = heph__stmt(s, "SELECT rowid, heph_rank(search) AS r FROM search "
					 "WHERE search MATCH ?1 AND rowid >= ?2 ORDER BY r, rowid DESC LIMIT ?3");
	if (!st) {
		err = HEPH_ERROR;
		goto out;
	}
	heph__bind_str(st, 1, fts);
	sqlite3_bind_int64(st, 2, floor);
	/* room for hits that collapse into their task or fail the kind filter */
	sqlite3_bind_int64(st, 3, kind ? limit * 8 + 64 : limit * 2 + 16);
	ranked = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(ranked, json_pack("[I, f]", (json_int_t)sqlite3_column_int64(st, 0),
							sqlite3_column_double(st, 1)));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		goto sqlfail;
	arr = json_array();
	seen = json_object();
	if (json_array_size(ranked) && (rc = snippets(s, fts, ranked, &snips))) {
		if (rc < 0) {
			err = rc;
			goto out;
		}
		goto sqlfail;
	}
	json_array_foreach(ranked, i, v) {
		char key[24];
		json_t *hit, *row;
		if ((long long)json_array_size(arr) >= limit)
			break;
		snprintf(key, sizeof key, "%lld", (long long)json_integer_value(json_array_get(v, 0)));
		if (!(hit = json_object_get(snips, key)))
			continue;
		row = hit_row(s, json_string_value(json_array_get(hit, 0)), json_string_value(json_array_get(hit, 1)),
			      json_string_value(json_array_get(hit, 2)), json_real_value(json_array_get(v, 1)), kind,
			      seen);
		if (row)
			json_array_append_new(arr, row);
	}
	*result = arr;
	arr = NULL;
	goto out;
sqlfail:
	/* our own queries are always well-formed: a failure on a raw one is
	 * the query's */
	err = raw && (rc & 0xff) == SQLITE_ERROR
		      ? heph_error_set(HEPH_EINVALID, "bad search query: %s", sqlite3_errmsg(s->db))
		      : heph__sqlerr(s, rc, "search");
out:
	json_decref(snips);
	json_decref(ranked);
	json_decref(arr);
	json_decref(seen);
	free(fts);
	return err;
}
