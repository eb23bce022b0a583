/* rpc_util.c — parameters and references for the method handlers. */
#include "rpc_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int heph__p_str(const json_t *params, const char *key, int required, const char **out)
{
	const json_t *v = json_object_get(params, key);
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return heph_error_set(HEPH_EINVALID, "missing parameter \"%s\"", key);
		return 0;
	}
	if (!json_is_string(v))
		return heph_error_set(HEPH_EINVALID, "parameter \"%s\" must be a string", key);
	*out = json_string_value(v);
	return 0;
}

int heph__p_bool(const json_t *params, const char *key, int dflt, int *out)
{
	const json_t *v = json_object_get(params, key);
	*out = dflt;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return heph_error_set(HEPH_EINVALID, "parameter \"%s\" must be true or false", key);
	*out = json_is_true(v);
	return 0;
}

int heph__p_int(const json_t *params, const char *key, long long dflt, long long min, long long max,
		long long *out)
{
	const json_t *v = json_object_get(params, key);
	*out = dflt;
	if (!v || json_is_null(v))
		return 0;
	long long n;
	if (json_is_integer(v)) {
		n = json_integer_value(v);
	} else if (json_is_string(v) && json_string_value(v)[0]) {
		/* command lines and forms send numbers as text */
		char *end;
		n = strtoll(json_string_value(v), &end, 10);
		if (*end)
			n = min - 1;
	} else {
		n = min - 1;
	}
	if (n < min || n > max)
		return heph_error_set(HEPH_EINVALID, "parameter \"%s\" must be an integer from %lld to %lld",
				      key, min, max);
	*out = n;
	return 0;
}

int heph__p_date(heph_store *s, const json_t *params, const char *key, int *set,
		 char out[HEPH_DATE_LEN + 1])
{
	const char *w;
	*set = 0;
	out[0] = '\0';
	if (!json_object_get(params, key))
		return 0;
	if (json_is_null(json_object_get(params, key))) {
		*set = 1;
		return 0;
	}
	if (heph__p_str(params, key, 1, &w))
		return HEPH_EINVALID;
	if (heph_date_parse(w, heph_store_today(s), out))
		return heph_error_wrap(HEPH_EINVALID, "%s: ", key);
	*set = 1;
	return 0;
}

static unsigned kind_bit(const char *kind)
{
	static const struct {
		const char *name;
		unsigned bit;
	} k[] = { { "task", HEPH_K_TASK }, { "project", HEPH_K_PROJECT }, { "doc", HEPH_K_DOC },
		  { "tag", HEPH_K_TAG },   { "journal", HEPH_K_JOURNAL } };
	for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
		if (strcmp(kind, k[i].name) == 0)
			return k[i].bit;
	return 1u << 7; /* kinds of later versions */
}

static const char *kinds_word(unsigned kinds)
{
	if (kinds == HEPH_K_TASK)
		return "task";
	if (kinds == HEPH_K_PROJECT)
		return "project";
	return "node";
}

#define MAX_CANDIDATES 8

struct candidates {
	char id[MAX_CANDIDATES][HEPH_ID_LEN + 1];
	char kind[MAX_CANDIDATES][33];
	int n;      /* listed */
	long more;  /* matched beyond the listed */
};

static void candidate(struct candidates *c, const char *id, const char *kind)
{
	for (int i = 0; i < c->n; i++)
		if (strcmp(c->id[i], id) == 0)
			return;
	if (c->n == MAX_CANDIDATES) {
		c->more++;
		return;
	}
	snprintf(c->id[c->n], sizeof c->id[c->n], "%s", id);
	snprintf(c->kind[c->n], sizeof c->kind[c->n], "%s", kind);
	c->n++;
}

/* Tasks whose handle starts with norm: the outstanding ones in *open, the
 * others in *rest (tasks_handle: a range of the index). */
static int by_handle(heph_store *s, const char *norm, struct candidates *open, struct candidates *rest)
{
	char hi[HEPH_ID_LEN + 2];
	int rc;
	snprintf(hi, sizeof hi, "%s~", norm); /* '~' sorts after every base32 digit */
	sqlite3_stmt *st = heph__stmt(s, "SELECT t.node_id, t.state = 'outstanding' AND t.deleted = 0 FROM tasks t "
					 "WHERE t.handle >= ?1 AND t.handle < ?2 AND t.deleted = 0 LIMIT 1000");
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, norm);
	heph__bind_str(st, 2, hi);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		candidate(sqlite3_column_int(st, 1) ? open : rest, (const char *)sqlite3_column_text(st, 0), "task");
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : heph__sqlerr(s, rc, "finding a handle");
}

/* The one node of ids whose id starts with norm, preferring the one node
 * of the highest kind (a task and its context doc share a creation
 * millisecond and so a long prefix). */
static int by_prefix(heph_store *s, const char *norm, unsigned kinds, struct candidates *c)
{
	char hi[HEPH_ID_LEN + 2];
	int rc;
	snprintf(hi, sizeof hi, "%s~", norm);
	sqlite3_stmt *st = heph__stmt(s, "SELECT id, kind FROM nodes WHERE id >= ?1 AND id < ?2 "
					 "AND tombstone_hlc IS NULL ORDER BY id LIMIT 1000");
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, norm);
	heph__bind_str(st, 2, hi);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(st, 1);
		if (kind_bit(kind) & kinds)
			candidate(c, (const char *)sqlite3_column_text(st, 0), kind);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : heph__sqlerr(s, rc, "finding an id");
}

/* The one candidate to take, or -1. */
static int the_one(const struct candidates *c)
{
	static const char *const order[] = { "task", "project", "journal", "doc", "tag" };
	if (c->n == 1 && !c->more)
		return 0;
	if (c->more)
		return -1;
	for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
		int hits = 0, at = -1;
		for (int i = 0; i < c->n; i++)
			if (strcmp(c->kind[i], order[k]) == 0) {
				hits++;
				at = i;
			}
		if (hits == 1)
			return at;
		if (hits > 1)
			return -1;
	}
	return -1;
}

int heph__resolve(heph_store *s, const char *ref, unsigned kinds, char out[HEPH_ID_LEN + 1])
{
	char norm[HEPH_ID_LEN + 1];
	struct candidates open = { .n = 0 }, rest = { .n = 0 }, ids = { .n = 0 }, all = { .n = 0 };
	const struct candidates *pick = NULL;
	int rc, at, err, typed;
	sqlite3_stmt *st;

	if (!ref || !ref[0])
		return heph_error_set(HEPH_EINVALID, "empty %s reference", kinds_word(kinds));
	typed = strlen(ref) <= HEPH_ID_LEN && heph_id_normalize(ref, norm, sizeof norm) == 0;
	if (typed && strlen(ref) >= HEPH_HANDLE_MIN) {
		/* A handle as lists show it names one outstanding task; then an
		 * id or its prefix; then the handle of a task done or dropped. */
		if ((kinds & HEPH_K_TASK) && strlen(ref) <= HEPH_HANDLE_LEN &&
		    (err = by_handle(s, norm, &open, &rest)))
			return err;
		if ((err = by_prefix(s, norm, kinds, &ids)))
			return err;
		if (open.n == 1 && !open.more)
			pick = &open;
		else if (!open.n && (at = the_one(&ids)) >= 0)
			pick = &ids;
		else if (!open.n && !ids.n && rest.n == 1 && !rest.more)
			pick = &rest;
		if (pick) {
			at = pick == &ids ? the_one(&ids) : 0;
			memcpy(out, pick->id[at], HEPH_ID_LEN + 1);
			return 0;
		}
	}
	if (kinds & HEPH_K_PROJECT) {
		struct candidates named = { .n = 0 };
		st = heph__stmt(s, "SELECT id FROM nodes WHERE kind = 'project' AND title = ?1 COLLATE NOCASE "
				   "AND tombstone_hlc IS NULL ORDER BY id LIMIT 1000");
		if (!st)
			return HEPH_ERROR;
		heph__bind_str(st, 1, ref);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			candidate(&named, (const char *)sqlite3_column_text(st, 0), "project");
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return heph__sqlerr(s, rc, "finding a project");
		if (named.n == 1 && !open.n && !ids.n && !rest.n) {
			memcpy(out, named.id[0], HEPH_ID_LEN + 1);
			return 0;
		}
		for (int i = 0; i < named.n; i++)
			candidate(&all, named.id[i], "project");
		all.more += named.more;
	}
	const struct candidates *parts[] = { &open, &ids, &rest };
	for (size_t p = 0; p < 3; p++) {
		for (int i = 0; i < parts[p]->n; i++)
			candidate(&all, parts[p]->id[i], parts[p]->kind[i]);
		all.more += parts[p]->more;
	}
	if (all.n == 0 && typed && strlen(ref) < HEPH_HANDLE_MIN)
		return heph_error_set(HEPH_EINVALID,
				      "\"%.60s\" is too short: type at least %d characters of a handle or id, as "
				      "heph list shows them",
				      ref, HEPH_HANDLE_MIN);
	if (all.n == 0)
		return heph_error_set(HEPH_ENOTFOUND, "no %s matches \"%.60s\"", kinds_word(kinds), ref);
	char list[MAX_CANDIDATES * (HEPH_ID_LEN + 48)] = "";
	for (int i = 0; i < all.n; i++) {
		size_t used = strlen(list);
		snprintf(list + used, sizeof list - used, "%s%s (%s)", i ? ", " : "", all.id[i], all.kind[i]);
	}
	if (all.more) {
		size_t used = strlen(list);
		snprintf(list + used, sizeof list - used, " and %ld more", all.more);
	}
	return heph_error_set(HEPH_EAMBIGUOUS, "\"%.60s\" is ambiguous: %s; type more characters", ref, list);
}

int heph__p_node(heph_store *s, const json_t *params, const char *key, unsigned kinds,
		 char out[HEPH_ID_LEN + 1])
{
	const char *ref;
	if (heph__p_str(params, key, 1, &ref))
		return HEPH_EINVALID;
	return heph__resolve(s, ref, kinds, out);
}

int heph__node_kind(heph_store *s, const char *id, char out[33])
{
	sqlite3_stmt *st = heph__stmt(s, "SELECT kind FROM nodes WHERE id = ?1");
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, id);
	out[0] = '\0';
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(out, 33, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return 0;
}

int heph__one_line(const char *what, const char *t)
{
	const char *p = t;
	while (*p && isspace((unsigned char)*p))
		p++;
	if (!*p)
		return heph_error_set(HEPH_EINVALID, "%s cannot be empty", what);
	if (strchr(t, '\n'))
		return heph_error_set(HEPH_EINVALID, "%s is one line", what);
	return 0;
}
