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

int heph__resolve(heph_store *s, const char *ref, unsigned kinds, char out[HEPH_ID_LEN + 1])
{
	char norm[HEPH_ID_LEN + 1], cand[MAX_CANDIDATES][HEPH_ID_LEN + 1];
	char ckind[MAX_CANDIDATES][33];
	int n = 0, rc;
	sqlite3_stmt *st;

	if (!ref || !ref[0])
		return heph_error_set(HEPH_EINVALID, "empty %s reference", kinds_word(kinds));
	if (strlen(ref) >= 4 && strlen(ref) <= HEPH_ID_LEN && heph_id_normalize(ref, norm, sizeof norm) == 0) {
		char hi[HEPH_ID_LEN + 2];
		snprintf(hi, sizeof hi, "%s~", norm); /* '~' sorts after every base32 digit */
		st = heph__stmt(s, "SELECT id, kind FROM nodes WHERE id >= ?1 AND id < ?2 "
				   "AND tombstone_hlc IS NULL ORDER BY id LIMIT 64");
		if (!st)
			return HEPH_ERROR;
		heph__bind_str(st, 1, norm);
		heph__bind_str(st, 2, hi);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < MAX_CANDIDATES) {
			const char *kind = (const char *)sqlite3_column_text(st, 1);
			if (!(kind_bit(kind) & kinds))
				continue;
			snprintf(cand[n], sizeof cand[n], "%s", (const char *)sqlite3_column_text(st, 0));
			snprintf(ckind[n], sizeof ckind[n], "%s", kind);
			n++;
		}
		sqlite3_reset(st);
		if (n > 1) {
			/* A task and its context doc share a creation millisecond and so
			 * a long prefix: prefer the one node of the highest kind. */
			static const char *const order[] = { "task", "project", "journal", "doc", "tag" };
			for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
				int hits = 0, at = -1;
				for (int i = 0; i < n; i++)
					if (strcmp(ckind[i], order[k]) == 0) {
						hits++;
						at = i;
					}
				if (hits == 1) {
					memcpy(out, cand[at], HEPH_ID_LEN + 1);
					return 0;
				}
				if (hits > 1)
					break;
			}
		}
		if (n == 1) {
			memcpy(out, cand[0], HEPH_ID_LEN + 1);
			return 0;
		}
	}
	if (n == 0 && (kinds & HEPH_K_PROJECT)) {
		st = heph__stmt(s, "SELECT id FROM nodes WHERE kind = 'project' AND title = ?1 COLLATE NOCASE "
				   "AND tombstone_hlc IS NULL ORDER BY id LIMIT 8");
		if (!st)
			return HEPH_ERROR;
		heph__bind_str(st, 1, ref);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < MAX_CANDIDATES) {
			snprintf(cand[n], sizeof cand[n], "%s", (const char *)sqlite3_column_text(st, 0));
			snprintf(ckind[n], sizeof ckind[n], "project");
			n++;
		}
		sqlite3_reset(st);
		if (n == 1) {
			memcpy(out, cand[0], HEPH_ID_LEN + 1);
			return 0;
		}
	}
	if (n == 0)
		return heph_error_set(HEPH_ENOTFOUND, "no %s matches \"%.60s\"", kinds_word(kinds), ref);
	char list[MAX_CANDIDATES * (HEPH_ID_LEN + 12)] = "";
	for (int i = 0; i < n; i++) {
		size_t used = strlen(list);
		snprintf(list + used, sizeof list - used, "%s%s (%s)", i ? ", " : "", cand[i], ckind[i]);
	}
	return heph_error_set(HEPH_EAMBIGUOUS, "\"%.60s\" is ambiguous: %s", ref, list);
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
