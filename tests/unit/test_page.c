/* test_page.c — paged reads (rpc_page.c): base64url, the cursor's round
 * trip and its refusals, and task.list / tag.list read page by page giving
 * every row once, in order, however rows before the cursor change. */
#include "helpers.h"

#include "heph/buf.h"

#include "../../src/lib/rpc_internal.h"

static struct fake_clock clk = { T0 };

static heph_store *mem(void) { return open_at(":memory:", &clk, "2026-11-18"); }

static int call_json(heph_store *s, const char *method, json_t *params, json_t **result)
{
	heph_rpc_env env = { .store = s };
	int err = heph_rpc_call(&env, method, params, result);
	json_decref(params);
	return err;
}

/* n tasks of every band, a quarter of them late (late-on before today). */
static void make_tasks(heph_store *s, int n)
{
	static const char *const bands[] = { "white", "red", "blue", "orange" };
	for (int i = 0; i < n; i++) {
		json_t *r = NULL, *p = json_pack("{s:s, s:s}", "title", "t", "attention", bands[i % 4]);
		char title[32];
		snprintf(title, sizeof title, "task %d", i);
		json_object_set_new(p, "title", json_string(title));
		if (i % 4 == 1)
			json_object_set_new(p, "late_on", json_string(i % 8 == 1 ? "2026-11-01" : "2026-11-10"));
		if (call_json(s, "task.create", p, &r))
			fail_msg("task.create: %s", heph_error_last());
		json_decref(r);
	}
}

/* The node ids of a list of rows, in order, as one array of strings. */
static json_t *ids(const json_t *rows)
{
	json_t *out = json_array(), *row;
	size_t i;
	json_array_foreach(rows, i, row) json_array_append(out, json_object_get(row, "node_id"));
	return out;
}

static void b64url__round_trips_every_length_and_refuses_other_alphabets(void **state)
{
	(void)state;
	unsigned char in[40], *out;
	size_t len;
	for (size_t n = 0; n < sizeof in; n++) {
		heph_buf b = { 0 };
		for (size_t i = 0; i < n; i++)
			in[i] = (unsigned char)(i * 37 + n * 11 + 250);
		heph_buf_put_b64url(&b, in, n);
		assert_int_equal(b.n, (n * 4 + 2) / 3); /* unpadded */
		assert_int_equal(heph_b64url_decode(b.p ? b.p : "", b.n, &out, &len), 0);
		assert_int_equal(len, n);
		assert_memory_equal(out, in, n);
		assert_null(strpbrk(b.p ? b.p : "", "+/= "));
		free(out);
		heph_buf_free(&b);
	}
	static const char *const bad[] = { "a b", "ab+c", "ab/c", "abc=", "a", "AB" /* leftover bits */ };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(heph_b64url_decode(bad[i], strlen(bad[i]), &out, &len), HEPH_EINVALID);
}

static void cursor__round_trips_its_key_and_only_for_the_read_that_made_it(void **state)
{
	(void)state;
	json_t *params = json_pack("{s:b, s:s, s:n}", "all", 1, "tag", "x", "project"); /* null is absent */
	json_t *key = json_pack("[s, i, s]", "2026-11-18", 1, "01ABC"), *back = NULL;
	char *c = heph__cursor_encode("task.list", params, key);
	assert_int_equal(heph__cursor_decode("task.list", params, c, &back), 0);
	assert_true(json_equal(back, key));
	json_decref(back);
	/* limit and cursor are not part of the read; key order is not either */
	json_t *same = json_pack("{s:s, s:b, s:i, s:s}", "tag", "x", "all", 1, "limit", 7, "cursor", c);
	assert_int_equal(heph__cursor_decode("task.list", same, c, NULL), 0);
	/* another method, other parameters: refused, saying so */
	assert_int_equal(heph__cursor_decode("tag.list", params, c, NULL), HEPH_EINVALID);
	assert_non_null(strstr(heph_error_last(), "another read"));
	json_t *other = json_pack("{s:b, s:s}", "all", 0, "tag", "x");
	assert_int_equal(heph__cursor_decode("task.list", other, c, NULL), HEPH_EINVALID);
	assert_non_null(strstr(heph_error_last(), "another read"));
	/* text that is not one heph wrote */
	heph_buf b = { 0 };
	heph_buf_puts(&b, "[2,\"0000000000000000\",1]");
	char *v2 = NULL;
	heph_buf v2b = { 0 };
	heph_buf_put_b64url(&v2b, b.p, b.n);
	v2 = v2b.p;
	static const char *const junk[] = { "abc", "a b", "WzEs+Ig", "", "bm90IGpzb24" /* "not json" */ };
	for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
		assert_int_equal(heph__cursor_decode("task.list", params, junk[i], NULL), HEPH_EINVALID);
		assert_non_null(strstr(heph_error_last(), "not a cursor heph wrote"));
	}
	assert_int_equal(heph__cursor_decode("task.list", params, v2, NULL), HEPH_EINVALID);
	heph_buf_free(&b);
	heph_buf_free(&v2b);
	free(c);
	json_decref(params);
	json_decref(same);
	json_decref(other);
	json_decref(key);
}

static void task_list__pages_give_every_task_once_in_rank_order(void **state)
{
	(void)state;
	heph_store *s = mem();
	int n = HEPH_RPC_PAGE_DEFAULT + 37, limit = 64;
	make_tasks(s, n);
	/* the whole list in one page (n is below the largest limit) */
	json_t *one = NULL;
	assert_int_equal(call_json(s, "task.list", json_pack("{s:i}", "limit", HEPH_RPC_PAGE_MAX), &one), 0);
	assert_true(json_is_null(json_object_get(one, "next_cursor")));
	json_t *want = ids(json_object_get(one, "tasks"));
	assert_int_equal(json_array_size(want), n);
	/* the first task is late and red-banded before the rest: the order is the rank's */
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(one, "tasks"), 0), "late_on")),
			    "2026-11-01");
	/* no limit: a bounded default page, and a cursor */
	json_t *first = NULL;
	assert_int_equal(call_json(s, "task.list", NULL, &first), 0);
	assert_int_equal(json_array_size(json_object_get(first, "tasks")), HEPH_RPC_PAGE_DEFAULT);
	assert_true(json_is_string(json_object_get(first, "next_cursor")));
	/* page by page */
	json_t *got = json_array();
	const char *cursor = NULL;
	json_t *page = NULL;
	int pages = 0;
	do {
		json_t *p = json_pack("{s:i}", "limit", limit), *next = NULL;
		if (cursor)
			json_object_set_new(p, "cursor", json_string(cursor));
		assert_int_equal(call_json(s, "task.list", p, &next), 0);
		json_decref(page);
		page = next;
		assert_true(json_array_size(json_object_get(page, "tasks")) <= (size_t)limit);
		json_t *part = ids(json_object_get(page, "tasks"));
		json_array_extend(got, part);
		json_decref(part);
		cursor = json_string_value(json_object_get(page, "next_cursor"));
		pages++;
	} while (cursor);
	assert_int_equal(pages, (n + limit - 1) / limit);
	assert_true(json_equal(got, want));
	/* and heph_rpc_call_all, as the CLI, the TUI and completion read it */
	json_t *all = rows_ok(s, "task.list", NULL), *all_ids = ids(all);
	assert_true(json_equal(all_ids, want));
	json_decref(all);
	json_decref(all_ids);
	json_decref(page);
	json_decref(got);
	json_decref(first);
	json_decref(want);
	json_decref(one);
	heph_store_close(s);
}

/* The outstanding list is read part by part from indexes (late, then each
 * band: query.c); a read of every state sorts all its rows in one
 * statement. On tasks that are all outstanding the two give one order,
 * page by page too, whatever page boundary falls at a part's end. */
static void task_list__read_from_indexes_gives_the_order_of_the_full_sort(void **state)
{
	(void)state;
	heph_store *s = mem();
	int n = 41;
	make_tasks(s, n);
	/* and of every band, some late, some due to be late later, some not dated */
	static const char *const bands[] = { "red", "orange", "white", "blue" };
	static const char *const late[] = { "2026-11-05", "2026-12-01", NULL };
	for (int i = 0; i < 24; i++, n++) {
		json_t *r = NULL, *p = json_pack("{s:s, s:s}", "title", "u", "attention", bands[i % 4]);
		if (late[i % 3])
			json_object_set_new(p, "late_on", json_string(late[i % 3]));
		if (call_json(s, "task.create", p, &r))
			fail_msg("task.create: %s", heph_error_last());
		json_decref(r);
	}
	json_t *sorted = rows_ok(s, "task.list", "{\"all\": true}"), *want = ids(sorted);
	assert_int_equal(json_array_size(want), n);
	static const int limits[] = { 1, 2, 3, 5, 10, 11, 64, 65 };
	for (size_t k = 0; k < sizeof limits / sizeof limits[0]; k++) {
		json_t *got = json_array(), *page = NULL;
		const char *cursor = NULL;
		do {
			json_t *p = json_pack("{s:i}", "limit", limits[k]), *next = NULL;
			if (cursor)
				json_object_set_new(p, "cursor", json_string(cursor));
			assert_int_equal(call_json(s, "task.list", p, &next), 0);
			json_decref(page);
			page = next;
			json_t *part = ids(json_object_get(page, "tasks"));
			json_array_extend(got, part);
			json_decref(part);
			cursor = json_string_value(json_object_get(page, "next_cursor"));
		} while (cursor);
		assert_true(json_equal(got, want));
		json_decref(page);
		json_decref(got);
	}
	json_decref(sorted);
	json_decref(want);
	heph_store_close(s);
}

struct taker {
	heph_store *s;
	json_t *rows; /* what the taker got, in order */
	int stop_at;  /* stop (HEPH_ERROR) at this many rows; 0: never */
};

static int take(void *ctx, json_t *row)
{
	struct taker *t = ctx;
	if (t->stop_at && (int)json_array_size(t->rows) == t->stop_at)
		return HEPH_ERROR;
	json_array_append(t->rows, row);
	return 0;
}

/* A caller that lets the read stream its rows to the taker. */
static int streaming_call(void *ctx, const char *method, json_t *params, json_t **result)
{
	struct taker *t = ctx;
	heph_rpc_env env = { .store = t->s, .row = take, .row_ctx = t };
	return heph_rpc_call(&env, method, params, result);
}

static void task_list__streams_its_rows_to_a_caller_that_takes_them(void **state)
{
	(void)state;
	heph_store *s = mem();
	make_tasks(s, 23);
	json_t *want = rows_ok(s, "task.list", NULL);
	/* one page: the rows go to the taker, the array is empty, the cursor as always */
	struct taker t = { s, json_array(), 0 };
	json_t *page = NULL, *p = json_pack("{s:i}", "limit", 5), *collected = NULL;
	assert_int_equal(streaming_call(&t, "task.list", p, &page), 0);
	assert_int_equal(json_array_size(json_object_get(page, "tasks")), 0);
	assert_int_equal(json_array_size(t.rows), 5);
	assert_int_equal(call_json(s, "task.list", json_incref(p), &collected), 0);
	assert_true(json_equal(json_object_get(collected, "next_cursor"), json_object_get(page, "next_cursor")));
	/* the whole read, page by page, through heph_rpc_call_each: every row once, in order */
	json_array_clear(t.rows);
	json_object_set_new(p, "limit", json_integer(4)); /* ignored: call_each pages by the largest limit */
	assert_int_equal(heph_rpc_call_each(heph_rpc_find("task.list"), p, streaming_call, &t, take, &t), 0);
	assert_true(json_equal(t.rows, want));
	/* a taker's error stops the read with it */
	json_array_clear(t.rows);
	t.stop_at = 7;
	assert_int_equal(heph_rpc_call_each(heph_rpc_find("task.list"), NULL, streaming_call, &t, take, &t), HEPH_ERROR);
	assert_int_equal(json_array_size(t.rows), 7);
	json_decref(p);
	json_decref(page);
	json_decref(collected);
	json_decref(t.rows);
	json_decref(want);
	heph_store_close(s);
}

static void task_list__continues_after_its_last_row_when_rows_before_it_change(void **state)
{
	(void)state;
	heph_store *s = mem();
	make_tasks(s, 40);
	json_t *whole = rows_ok(s, "task.list", NULL), *want = ids(whole), *p1 = NULL, *p2 = NULL, *r = NULL;
	assert_int_equal(call_json(s, "task.list", json_pack("{s:i}", "limit", 10), &p1), 0);
	/* meanwhile: a task of the first page is done, and a new one, late the
	 * longest, ranks first */
	const char *gone = json_string_value(json_array_get(want, 3));
	assert_int_equal(call_json(s, "task.done", json_pack("{s:s}", "id", gone), &r), 0);
	json_decref(r);
	assert_int_equal(call_json(s, "task.create", json_pack("{s:s, s:s}", "title", "new", "late_on", "2026-10-01"), &r), 0);
	json_decref(r);
	json_t *p = json_pack("{s:i, s:O}", "limit", 10, "cursor", json_object_get(p1, "next_cursor"));
	assert_int_equal(call_json(s, "task.list", p, &p2), 0);
	/* the second page is rows 11-20 of the first reading: none skipped, none twice */
	json_t *second = ids(json_object_get(p2, "tasks"));
	for (size_t i = 0; i < 10; i++)
		assert_string_equal(json_string_value(json_array_get(second, i)),
				    json_string_value(json_array_get(want, 10 + i)));
	json_decref(second);
	json_decref(p1);
	json_decref(p2);
	json_decref(want);
	json_decref(whole);
	heph_store_close(s);
}

static void task_list__refuses_a_cursor_of_another_read_or_a_forged_key(void **state)
{
	(void)state;
	heph_store *s = mem();
	make_tasks(s, 5);
	json_t *p1 = NULL, *r = NULL;
	assert_int_equal(call_json(s, "task.list", json_pack("{s:i}", "limit", 2), &p1), 0);
	json_t *c = json_object_get(p1, "next_cursor");
	/* the same cursor with other parameters, or to another method */
	assert_int_equal(call_json(s, "task.list", json_pack("{s:b, s:O}", "all", 1, "cursor", c), &r), HEPH_EINVALID);
	assert_int_equal(call_json(s, "tag.list", json_pack("{s:O}", "cursor", c), &r), HEPH_EINVALID);
	/* not text, too long, not a cursor */
	assert_int_equal(call_json(s, "task.list", json_pack("{s:i}", "cursor", 3), &r), HEPH_EINVALID);
	char *longc = malloc(3001);
	memset(longc, 'A', 3000);
	longc[3000] = '\0';
	assert_int_equal(call_json(s, "task.list", json_pack("{s:s}", "cursor", longc), &r), HEPH_EINVALID);
	free(longc);
	/* a key of the right read but the wrong shape: refused, nothing read */
	json_t *empty = json_object(), *key = json_pack("[s]", "x");
	char *forged = heph__cursor_encode("task.list", empty, key);
	assert_int_equal(call_json(s, "task.list", json_pack("{s:s}", "cursor", forged), &r), HEPH_EINVALID);
	assert_non_null(strstr(heph_error_last(), "place in this read"));
	free(forged);
	/* limits out of range */
	assert_int_equal(call_json(s, "task.list", json_pack("{s:i}", "limit", 0), &r), HEPH_EINVALID);
	assert_int_equal(call_json(s, "task.list", json_pack("{s:i}", "limit", HEPH_RPC_PAGE_MAX + 1), &r),
			 HEPH_EINVALID);
	assert_null(r);
	json_decref(key);
	json_decref(empty);
	json_decref(p1);
	heph_store_close(s);
}

static void tag_list__pages_by_name(void **state)
{
	(void)state;
	heph_store *s = mem();
	int n = 23;
	for (int i = 0; i < n; i++) {
		char tag[16];
		json_t *r = NULL;
		snprintf(tag, sizeof tag, "tag%02d", (i * 7) % n); /* made out of order */
		assert_int_equal(call_json(s, "task.create", json_pack("{s:s, s:s}", "title", "x", "tags", tag), &r), 0);
		json_decref(r);
	}
	json_t *got = json_array(), *page = NULL;
	const char *cursor = NULL;
	do {
		json_t *p = json_pack("{s:i}", "limit", 5), *next = NULL;
		if (cursor)
			json_object_set_new(p, "cursor", json_string(cursor));
		assert_int_equal(call_json(s, "tag.list", p, &next), 0);
		json_decref(page);
		page = next;
		json_array_extend(got, json_object_get(page, "tags"));
		cursor = json_string_value(json_object_get(page, "next_cursor"));
	} while (cursor);
	assert_int_equal(json_array_size(got), n);
	for (int i = 0; i < n; i++) {
		char tag[16];
		snprintf(tag, sizeof tag, "tag%02d", i);
		assert_string_equal(json_string_value(json_object_get(json_array_get(got, (size_t)i), "name")), tag);
	}
	json_decref(page);
	json_decref(got);
	heph_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(b64url__round_trips_every_length_and_refuses_other_alphabets),
		cmocka_unit_test(cursor__round_trips_its_key_and_only_for_the_read_that_made_it),
		cmocka_unit_test(task_list__pages_give_every_task_once_in_rank_order),
		cmocka_unit_test(task_list__read_from_indexes_gives_the_order_of_the_full_sort),
		cmocka_unit_test(task_list__streams_its_rows_to_a_caller_that_takes_them),
		cmocka_unit_test(task_list__continues_after_its_last_row_when_rows_before_it_change),
		cmocka_unit_test(task_list__refuses_a_cursor_of_another_read_or_a_forged_key),
		cmocka_unit_test(tag_list__pages_by_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
