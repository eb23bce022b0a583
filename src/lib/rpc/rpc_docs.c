/* rpc_docs.c — docs, journals, aliases and tags: the methods that write
 * bodies (through heph__set_body, so that wiki links and tags stay indexed)
 * and name nodes. */
#include "rpc_internal.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "body.h"

#define ALIAS_MAX 200

/* body + text as a new paragraph line: the body ends with a newline first. */
static char *appended(const char *body, const char *text)
{
	size_t bn = strlen(body), tn = strlen(text);
	char *out = malloc(bn + tn + 3);
	if (!out)
		abort();
	memcpy(out, body, bn);
	if (bn && body[bn - 1] != '\n')
		out[bn++] = '\n';
	memcpy(out + bn, text, tn);
	bn += tn;
	if (!tn || text[tn - 1] != '\n')
		out[bn++] = '\n';
	out[bn] = '\0';
	return out;
}

/* Apply the body or append parameter (at most one) to node id. */
static int write_body(heph_store *s, const char *id, const json_t *params, int *changed, json_t *unresolved)
{
	const char *body, *append;
	int err;
	*changed = 0;
	if ((err = heph__p_str(params, "body", 0, &body)) || (err = heph__p_str(params, "append", 0, &append)))
		return err;
	if (body && append)
		return heph_error_set(HEPH_EINVALID, "give body or append, not both");
	if (body) {
		*changed = 1;
		return heph__set_body_ex(s, id, body, unresolved);
	}
	if (append) {
		char *cur = heph__node_body(s, id), *text;
		if (!cur)
			return heph_error_set(HEPH_ENOTFOUND, "no node %s", id);
		text = appended(cur, append);
		err = heph__set_body_ex(s, id, text, unresolved);
		free(cur);
		free(text);
		*changed = 1;
		return err;
	}
	return 0;
}

void heph__body_hash(const char *body, char out[HEPH_BODY_HASH_LEN + 1])
{
	heph_sha256 md;
	unsigned char d[32];
	heph__sha256_init(&md);
	heph__sha256_update(&md, body, strlen(body));
	heph__sha256_final(&md, d);
	for (size_t i = 0; i < sizeof d; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* The check runs in the write's own transaction, so nothing can change the
 * body between it and the write. */
int heph__body_if_match(heph_store *s, const json_t *params, const char *id)
{
	const char *want;
	char have[HEPH_BODY_HASH_LEN + 1];
	char *cur;
	int err;
	if ((err = heph__p_str(params, "if_match", 0, &want)) || !want)
		return err;
	if (!(cur = heph__node_body(s, id)))
		return heph_error_set(HEPH_ENOTFOUND, "no node %s", id);
	heph__body_hash(cur, have);
	free(cur);
	if (strcmp(want, have) != 0)
		return heph_error_set(HEPH_ECONFLICT,
				      "the text of %.8s changed since it was read (if_match %.12s, now %.12s): "
				      "read it again, nothing was saved",
				      id, want, have);
	return 0;
}

HEPH_RPC_HANDLER(heph__rpc_doc_create)
{
	heph_store *s = env->store;
	const char *title, *body;
	char id[HEPH_ID_LEN + 1];
	json_t *unresolved = json_array();
	int err;
	if ((err = heph__p_str(params, "title", 1, &title)) || (err = heph__one_line("a title", title)) ||
	    (err = heph__p_str(params, "body", 0, &body)))
		goto out;
	heph__new_id(s, id);
	if ((err = heph__node_create(s, id, "doc", title, body, unresolved)))
		goto out;
	*result = json_pack("{s:s, s:O}", "node_id", id, "unresolved", unresolved);
out:
	json_decref(unresolved);
	return err;
}

HEPH_RPC_HANDLER(heph__rpc_doc_edit)
{
	heph_store *s = env->store;
	char id[HEPH_ID_LEN + 1], kind[33];
	const char *title;
	json_t *unresolved = json_array();
	int err, changed;
	if ((err = heph__p_node(s, params, "id", HEPH_K_ANY, id)) || (err = heph__p_str(params, "title", 0, &title)))
		goto out;
	heph__node_kind(s, id, kind);
	if (strcmp(kind, "task") == 0) {
		err = heph_error_set(HEPH_EINVALID, "a task's text lives in its context doc (heph context %.8s)", id);
		goto out;
	}
	if ((err = heph__body_if_match(s, params, id)))
		goto out;
	if (title) {
		json_t *f;
		if ((err = heph__one_line("a title", title)))
			goto out;
		f = json_pack("{s:s}", "title", title);
		err = heph__set_fields(s, id, 0, f);
		json_decref(f);
		if (err)
			goto out;
	}
	if ((err = write_body(s, id, params, &changed, unresolved)))
		goto out;
	if (!title && !changed) {
		err = heph_error_set(HEPH_EINVALID, "nothing to change (give a title, body or append)");
		goto out;
	}
	*result = json_pack("{s:s, s:O}", "node_id", id, "unresolved", unresolved);
out:
	json_decref(unresolved);
	return err;
}

/* ---- aliases ---- */

/* The strings of a parameter given as one string or an array of them. */
static int p_strings(const json_t *params, const char *key, json_t **out)
{
	const json_t *v = json_object_get(params, key), *x;
	size_t i;
	*out = json_array();
	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		json_array_append(*out, (json_t *)v);
		return 0;
	}
	if (!json_is_array(v))
		goto bad;
	json_array_foreach(v, i, x) {
		if (!json_is_string(x))
			goto bad;
		json_array_append(*out, (json_t *)x);
	}
	return 0;
bad:
	json_decref(*out);
	*out = NULL;
	return heph_error_set(HEPH_EINVALID, "parameter \"%s\" must be a string or an array of strings", key);
}

/* Trim an alias into out and check it can be written in a wiki link. */
static int clean_alias(const char *in, char out[ALIAS_MAX + 1])
{
	while (*in == ' ' || *in == '\t')
		in++;
	size_t n = strlen(in);
	while (n && (in[n - 1] == ' ' || in[n - 1] == '\t'))
		n--;
	if (n == 0)
		return heph_error_set(HEPH_EINVALID, "an alias cannot be empty");
	if (n > ALIAS_MAX)
		return heph_error_set(HEPH_EINVALID, "an alias is at most %d bytes", ALIAS_MAX);
	memcpy(out, in, n);
	out[n] = '\0';
	for (const char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == '[' || *p == ']' || *p == '|')
			return heph_error_set(HEPH_EINVALID, "alias \"%.60s\": one line without [ ] or |", out);
	char norm[HEPH_ID_LEN + 1];
	if (n == HEPH_ID_LEN && heph_id_normalize(out, norm, sizeof norm) == 0)
		return heph_error_set(HEPH_EINVALID, "alias \"%s\" looks like a node id", out);
	return 0;
}

static int alias_index(json_t *list, const char *a)
{
	size_t i;
	json_t *x;
	json_array_foreach(list, i, x) if (strcasecmp(json_string_value(x), a) == 0) return (int)i;
	return -1;
}

/* The live node other than self that already answers to alias a, if any. */
static int alias_owner(heph_store *s, const char *self, const char *a, char out[HEPH_ID_LEN + 1])
{
	sqlite3_stmt *st = heph__stmt(s, "SELECT id, aliases FROM nodes WHERE aliases <> '' AND tombstone_hlc IS NULL");
	int found = 0;
	if (!st)
		return HEPH_ERROR;
	int rc = 0;
	while (!found && (rc = heph__row(s, st)) > 0) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		if (strcmp(id, self) == 0)
			continue;
		for (const char *p = (const char *)sqlite3_column_text(st, 1); *p;) {
			const char *e = strchr(p, '\n');
			size_t len = e ? (size_t)(e - p) : strlen(p);
			if (len == strlen(a) && strncasecmp(p, a, len) == 0) {
				snprintf(out, HEPH_ID_LEN + 1, "%s", id);
				found = 1;
				break;
			}
			p += len + (e ? 1 : 0);
		}
	}
	sqlite3_reset(st);
	return rc < 0 ? rc : found;
}

HEPH_RPC_HANDLER(heph__rpc_node_aliases)
{
	heph_store *s = env->store;
	char id[HEPH_ID_LEN + 1], a[ALIAS_MAX + 1], other[HEPH_ID_LEN + 1];
	json_t *add = NULL, *rm = NULL, *list = NULL, *v;
	size_t i;
	int err, changed = 0;
	if ((err = heph__p_node(s, params, "id", HEPH_K_ANY, id)) || (err = p_strings(params, "add", &add)) ||
	    (err = p_strings(params, "remove", &rm)))
		goto out;
	list = heph__aliases_json(s, id);
	json_array_foreach(rm, i, v) {
		int at;
		if ((err = clean_alias(json_string_value(v), a)))
			goto out;
		if ((at = alias_index(list, a)) < 0) {
			err = heph_error_set(HEPH_ENOTFOUND, "%s has no alias \"%s\"", id, a);
			goto out;
		}
		json_array_remove(list, (size_t)at);
		changed = 1;
	}
	json_array_foreach(add, i, v) {
		if ((err = clean_alias(json_string_value(v), a)))
			goto out;
		if (alias_index(list, a) >= 0)
			continue;
		if ((err = alias_owner(s, id, a, other)) < 0)
			goto out;
		if (err) {
			err = heph_error_set(HEPH_ECONFLICT, "alias \"%s\" already names node %s", a, other);
			goto out;
		}
		json_array_append_new(list, json_string(a));
		changed = 1;
	}
	if (changed) {
		size_t len = 0;
		json_array_foreach(list, i, v) len += json_string_length(v) + 1;
		char *text = calloc(1, len + 1);
		if (!text)
			abort();
		json_array_foreach(list, i, v) {
			if (i)
				strcat(text, "\n");
			strcat(text, json_string_value(v));
		}
		json_t *f = json_pack("{s:s}", "aliases", text);
		free(text);
		err = heph__set_fields(s, id, 0, f);
		json_decref(f);
		if (err)
			goto out;
	}
	*result = json_pack("{s:s, s:O}", "node_id", id, "aliases", list);
out:
	json_decref(add);
	json_decref(rm);
	json_decref(list);
	return err;
}

/* ---- journals ---- */

/* The id of date's journal: derived from the date, so that two devices
 * opening the same day offline create one node. A journal that was deleted
 * cannot come back (tombstones are final), so the next generation's id is
 * derived from the date and a number. */
int heph__journal_id(heph_store *s, const char *date, char out[HEPH_ID_LEN + 1], int *live)
{
	long days = heph_date_diff("1970-01-01", date);
	int64_t ms = (int64_t)days * 86400000;
	*live = 0;
	for (int gen = 1; gen <= 64; gen++) {
		if (gen == 1) {
			heph_id_derived(ms, date, out);
		} else {
			char text[64];
			snprintf(text, sizeof text, "journal:%s:%d", date, gen);
			heph_id_hashed(ms, text, out);
		}
		sqlite3_stmt *st = heph__stmt(s, "SELECT tombstone_hlc IS NULL FROM nodes WHERE id = ?1");
		if (!st)
			return HEPH_ERROR;
		heph__bind_str(st, 1, out);
		int rc = sqlite3_step(st), alive = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			return 0; /* free: to be created */
		if (alive) {
			*live = 1;
			return 0;
		}
	}
	return heph_error_set(HEPH_ECONFLICT, "the journal of %s was deleted too often", date);
}

HEPH_RPC_HANDLER(heph__rpc_journal_open)
{
	heph_store *s = env->store;
	const char *word;
	char date[HEPH_DATE_LEN + 1], id[HEPH_ID_LEN + 1];
	json_t *unresolved = json_array(), *get = NULL;
	int err, live, changed;
	if ((err = heph__p_str(params, "date", 0, &word)))
		goto out;
	if ((err = heph_date_parse(word ? word : "today", heph_store_today(s), date))) {
		heph_error_wrap(err, "date: ");
		goto out;
	}
	if (!date[0]) {
		err = heph_error_set(HEPH_EINVALID, "a journal needs a day, not \"none\"");
		goto out;
	}
	if ((err = heph__journal_id(s, date, id, &live)))
		goto out;
	if (!live && (err = heph__node_create(s, id, "journal", date, NULL, NULL)))
		goto out;
	if ((err = write_body(s, id, params, &changed, unresolved)))
		goto out;
	get = json_pack("{s:s}", "id", id);
	if ((err = heph__rpc_node_get(env, get, result)))
		goto out;
	json_object_set_new(*result, "created", json_boolean(!live));
	json_object_set(*result, "unresolved", unresolved);
out:
	json_decref(get);
	json_decref(unresolved);
	return err;
}

/* ---- tags ---- */

int heph__node_tags(heph_store *s, const char *id, json_t **out)
{
	return heph__texts_of(s,
		"SELECT DISTINCT g.title FROM links l JOIN nodes g ON g.id = l.dst AND g.tombstone_hlc IS NULL "
		"WHERE l.type = 'tag' AND (l.src = ?1 OR l.src = (SELECT context_id FROM tasks WHERE node_id = ?1)) "
		"ORDER BY g.title", id, out);
}

int heph__tag_task(heph_store *s, const char *task_id, const json_t *names, int remove)
{
	json_t *list = json_is_string(names) ? json_pack("[O]", names) : json_incref((json_t *)names);
	const json_t *v;
	size_t i;
	int err = 0;
	json_array_foreach(list, i, v) {
		char name[HEPH_TAG_MAX + 1], tid[HEPH_ID_LEN + 1];
		int have, gone;
		if ((err = heph__tag_name(json_string_value(v), name)) || (err = heph__tag_node(s, name, !remove, tid)))
			break;
		sqlite3_stmt *st = heph__stmt(s, "SELECT 1 FROM links WHERE src = ?1 AND dst = ?2 AND type = 'tag'");
		if (!st) {
			err = HEPH_ERROR;
			break;
		}
		heph__bind_str(st, 1, task_id);
		heph__bind_str(st, 2, tid);
		have = heph__row(s, st);
		sqlite3_reset(st);
		if (have < 0) {
			err = have;
			break;
		}
		if (!remove && !have && (err = heph__link_add(s, task_id, tid, "tag", NULL)))
			break;
		if (remove && have && (err = heph__link_remove(s, task_id, tid, "tag", &gone)))
			break;
	}
	json_decref(list);
	return err;
}

/* A page of tags by name (then id), counted (the key: name, node id). */
HEPH_RPC_HANDLER(heph__rpc_tag_list)
{
	heph_store *s = env->store;
	long long limit, got = 0;
	json_t *after = NULL, *arr = NULL, *next = NULL;
	int err, rc;
	if ((err = heph__page_args("tag.list", params, &limit, &after)))
		return err;
	if (after && (json_array_size(after) != 2 || !json_is_string(json_array_get(after, 0)) ||
		      !json_is_string(json_array_get(after, 1)))) {
		json_decref(after);
		return heph__bad_cursor("tag.list");
	}
	sqlite3_stmt *st = heph__stmt(s,
		"SELECT g.id, g.title, (SELECT count(DISTINCT l.src) FROM links l JOIN nodes n ON n.id = l.src "
		"AND n.tombstone_hlc IS NULL WHERE l.dst = g.id AND l.type = 'tag') FROM nodes g "
		"WHERE g.kind = 'tag' AND g.tombstone_hlc IS NULL AND (?1 IS NULL OR (g.title, g.id) > (?1, ?2)) "
		"ORDER BY g.title, g.id LIMIT ?3");
	if (!st) {
		json_decref(after);
		return HEPH_ERROR;
	}
	heph__bind_str(st, 1, json_string_value(json_array_get(after, 0)));
	heph__bind_str(st, 2, json_string_value(json_array_get(after, 1)));
	sqlite3_bind_int64(st, 3, limit + 1); /* one more: whether a next page exists */
	arr = json_array();
	while ((rc = heph__row(s, st)) > 0) {
		const char *id = (const char *)sqlite3_column_text(st, 0), *name = (const char *)sqlite3_column_text(st, 1);
		if (got++ == limit) {
			json_t *last = json_array_get(arr, json_array_size(arr) - 1);
			next = json_pack("[O, O]", json_object_get(last, "name"), json_object_get(last, "node_id"));
			break;
		}
		json_array_append_new(arr, json_pack("{s:s, s:s, s:I}", "node_id", id, "name", name, "count",
						     (json_int_t)sqlite3_column_int64(st, 2)));
	}
	sqlite3_reset(st);
	json_decref(after);
	if (rc < 0) {
		json_decref(arr);
		json_decref(next);
		return rc;
	}
	*result = heph__page_json("tag.list", params, "tags", arr, next);
	json_decref(next);
	return 0;
}

/* ---- completion of [[links]] ---- */

HEPH_RPC_HANDLER(heph__rpc_node_complete)
{
	heph_store *s = env->store;
	const char *prefix;
	long long limit;
	char *like = NULL;
	json_t *arr;
	int err;
	if ((err = heph__p_str(params, "prefix", 0, &prefix)) ||
	    (err = heph__p_int(params, "limit", 50, 1, 1000, &limit)))
		return err;
	/* LIKE with the user's text taken literally ('\\' escapes % and _) */
	size_t n = prefix ? strlen(prefix) : 0, j = 0;
	if (!(like = malloc(2 * n + 1)))
		abort();
	for (size_t i = 0; i < n; i++) {
		if (prefix[i] == '%' || prefix[i] == '_' || prefix[i] == '\\')
			like[j++] = '\\';
		like[j++] = prefix[i];
	}
	like[j] = '\0';
	sqlite3_stmt *st = heph__stmt(s,
		"SELECT n.id, n.kind, n.title FROM nodes n "
		"WHERE n.tombstone_hlc IS NULL AND n.kind IN ('doc', 'project', 'task', 'journal') "
		"AND n.title LIKE '%' || ?1 || '%' ESCAPE '\\' "
		"AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.context_id = n.id) "
		"AND NOT EXISTS (SELECT 1 FROM links l WHERE l.src = n.id AND l.type = 'log-of') "
		"ORDER BY n.title NOT LIKE ?1 || '%' ESCAPE '\\', n.title COLLATE NOCASE, n.id LIMIT ?2");
	if (!st) {
		free(like);
		return HEPH_ERROR;
	}
	heph__bind_str(st, 1, like);
	sqlite3_bind_int64(st, 2, limit);
	arr = json_array();
	int rc;
	while ((rc = heph__row(s, st)) > 0)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "node_id", (const char *)sqlite3_column_text(st, 0),
						     "kind", (const char *)sqlite3_column_text(st, 1), "title",
						     (const char *)sqlite3_column_text(st, 2)));
	sqlite3_reset(st);
	free(like);
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	*result = arr;
	return 0;
}
