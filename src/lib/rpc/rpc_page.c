/* rpc_page.c — paged reads (heph/rpc.h, "paged reads"): the cursor, its
 * check, and following cursors to the last page.
 *
 * A cursor is the unpadded base64url of a compact JSON array:
 *
 *   index  value                 meaning
 *   0      1                     the layout's version
 *   1      "0123456789abcdef"    FNV-1a 64 (hex) of the method's name, a NUL, and
 *                                its parameters other than limit and cursor
 *                                (null ones left out) as compact JSON, keys sorted
 *   2...   the sort key of the page's last row, as the method reads it:
 *            task.list  today, late (0: late, 1: not), late_on or "", band (0-3),
 *                       created_hlc, node_id
 *            tag.list   name, node_id
 *
 * The next page is the rows strictly after that key in the method's order
 * (keyset paging), so rows added or removed before it shift nothing. The
 * hash ties a cursor to the read that returned it: a cursor given to
 * another method, or with other parameters, is refused rather than
 * continuing some other list. The hash is no secret and guards no data: a
 * caller can read every row anyway; it catches mistakes. */
#include "rpc_internal.h"
#include "heph/buf.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CURSOR_VERSION 1
/* The longest cursor taken (the check refuses longer text unread). */
#define CURSOR_MAX 2048

/* The hash of a read: method and its parameters but limit and cursor, as
 * 16 hex digits. */
static void read_hash(const char *method, const json_t *params, char out[17])
{
	json_t *rest = json_object();
	const char *key;
	json_t *v;
	uint64_t h = 0xcbf29ce484222325ULL;
	if (params)
		json_object_foreach((json_t *)params, key, v) {
			if (strcmp(key, "limit") != 0 && strcmp(key, "cursor") != 0 && !json_is_null(v))
				json_object_set(rest, key, v); /* borrowed v, a new reference kept */
		}
	char *text = json_dumps(rest, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(rest);
	if (!text)
		abort();
	for (const char *p = method;; p++) {
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
		if (!*p)
			break;
	}
	for (const char *p = text; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	free(text);
	snprintf(out, 17, "%016" PRIx64, h);
}

char *heph__cursor_encode(const char *method, const json_t *params, const json_t *key)
{
	char hash[17];
	heph_buf b = { 0 };
	read_hash(method, params, hash);
	json_t *arr = json_pack("[i, s]", CURSOR_VERSION, hash);
	json_array_extend(arr, (json_t *)key);
	char *text = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	if (!text)
		abort();
	heph_buf_put_b64url(&b, text, strlen(text));
	free(text);
	return b.p;
}

int heph__cursor_decode(const char *method, const json_t *params, const char *cursor, json_t **key)
{
	unsigned char *raw = NULL;
	size_t len, n = strlen(cursor);
	json_t *arr = NULL;
	char hash[17];
	int err = 0;
	if (key)
		*key = NULL;
	if (n == 0 || n > CURSOR_MAX || heph_b64url_decode(cursor, n, &raw, &len) ||
	    !(arr = json_loadb((const char *)raw, len, 0, NULL)) || !json_is_array(arr) || json_array_size(arr) < 3 ||
	    json_integer_value(json_array_get(arr, 0)) != CURSOR_VERSION || !json_is_string(json_array_get(arr, 1))) {
		err = heph_error_set(HEPH_EINVALID,
				     "%s: parameter \"cursor\" is not a cursor heph wrote: give back a page's "
				     "next_cursor as it came, or leave it out for the first page",
				     method);
		goto out;
	}
	read_hash(method, params, hash);
	if (strcmp(json_string_value(json_array_get(arr, 1)), hash) != 0) {
		err = heph_error_set(HEPH_EINVALID,
				     "%s: parameter \"cursor\" belongs to another read (another method, or other "
				     "parameters): call with the parameters of the page that returned it, or leave it "
				     "out to start again",
				     method);
		goto out;
	}
	if (key) {
		*key = json_array();
		for (size_t i = 2; i < json_array_size(arr); i++)
			json_array_append(*key, json_array_get(arr, i));
	}
out:
	json_decref(arr);
	free(raw);
	return err;
}

int heph__page_args(const char *method, const json_t *params, long long *limit, json_t **after)
{
	const char *cursor;
	int err;
	*after = NULL;
	if ((err = heph__p_int(params, "limit", HEPH_RPC_PAGE_DEFAULT, 1, HEPH_RPC_PAGE_MAX, limit)) ||
	    (err = heph__p_str(params, "cursor", 0, &cursor)))
		return err;
	return cursor ? heph__cursor_decode(method, params, cursor, after) : 0;
}

int heph__bad_cursor(const char *method)
{
	return heph_error_set(HEPH_EINVALID, "%s: parameter \"cursor\" does not hold a row's place in this read: "
			      "give back a page's next_cursor as it came", method);
}

json_t *heph__page_json(const char *method, const json_t *params, const char *member, json_t *rows,
			const json_t *next_key)
{
	json_t *page = json_object();
	json_object_set_new(page, member, rows);
	if (next_key) {
		char *c = heph__cursor_encode(method, params, next_key);
		json_object_set_new(page, "next_cursor", json_string(c));
		free(c);
	} else {
		json_object_set_new(page, "next_cursor", json_null());
	}
	return page;
}

int heph_rpc_call_each(const heph_rpc_method *m, json_t *params, heph_rpc_caller call, void *ctx,
		       heph_rpc_row_fn each, void *each_ctx)
{
	json_t *p = params ? json_deep_copy(params) : json_object();
	int err = 0;
	if (!m->page) {
		err = heph_error_set(HEPH_ERROR, "%s is not a paged read", m->name);
		goto out;
	}
	json_object_del(p, "cursor");
	json_object_set_new(p, "limit", json_integer(HEPH_RPC_PAGE_MAX)); /* fewest round trips */
	for (;;) {
		json_t *page = NULL, *row;
		size_t i;
		if ((err = call(ctx, m->name, p, &page)))
			goto out;
		/* a hub from before pages answers the whole list at once: its rows */
		int whole = json_is_array(page) && !json_object_get(p, "cursor");
		json_t *got = whole ? page : json_object_get(page, m->page);
		json_t *next = whole ? NULL : json_object_get(page, "next_cursor");
		if (!json_is_array(got) || (next && !json_is_null(next) && !json_is_string(next))) {
			json_decref(page);
			err = heph_error_set(HEPH_ERROR, "%s answered something that is not a page of \"%s\"", m->name,
					     m->page);
			goto out;
		}
		/* a page that streamed its rows is empty: only a cursor that stays
		 * where it was would loop */
		if (json_is_string(next) && json_equal(next, json_object_get(p, "cursor"))) {
			json_decref(page);
			err = heph_error_set(HEPH_ERROR, "%s answered a next_cursor that does not move on", m->name);
			goto out;
		}
		json_array_foreach(got, i, row) {
			if ((err = each(each_ctx, row)))
				break;
		}
		if (err || !json_is_string(next)) {
			json_decref(page);
			goto out;
		}
		json_object_set(p, "cursor", next); /* a new reference, before page goes */
		json_decref(page);
	}
out:
	json_decref(p);
	return err;
}

static int append(void *ctx, json_t *row)
{
	json_array_append((json_t *)ctx, row); /* borrowed row, a new reference kept */
	return 0;
}

int heph_rpc_call_all(const heph_rpc_method *m, json_t *params, heph_rpc_caller call, void *ctx, json_t **rows)
{
	json_t *all = json_array();
	int err = heph_rpc_call_each(m, params, call, ctx, append, all);
	if (err) {
		json_decref(all);
		all = NULL;
	}
	*rows = all;
	return err;
}
