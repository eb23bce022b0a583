/* test_sync.c — the sync engine and its wire format without a network: a
 * hub store and spoke stores hand each other the bodies hephd would carry
 * (pull pages, push bodies, push answers). */
#include "helpers.h"

#include "heph/sync.h"
#include "internal.h"

#include <pthread.h>

static struct fake_clock clk = { T0 };

static heph_store *mem(void) { return open_at(":memory:", &clk, "2026-11-18"); }

static json_t *parse(const char *text, size_t len)
{
	json_t *j = json_loadb(text, len, 0, NULL);
	if (!j)
		fail_msg("not JSON: %.200s", text);
	return j;
}

static void add_tasks(heph_store *s, int n)
{
	char params[64];
	for (int i = 0; i < n; i++) {
		snprintf(params, sizeof params, "{\"title\":\"task %d\"}", i);
		json_decref(call_ok(s, "task.create", params));
	}
}

/* Pull every page from hub into spoke, limit ops at a time; returns pages. */
static int pull_all(heph_store *hub, heph_store *spoke, int limit)
{
	int pages = 0;
	for (;;) {
		int64_t after;
		char *page;
		size_t len;
		heph_sync_page info;
		assert_int_equal(heph_sync_pull_cursor(spoke, &after), 0);
		assert_int_equal(heph_sync_pull_page(hub, after, limit, &page, &len), 0);
		if (heph_sync_take_page(spoke, after, page, len, &info))
			fail_msg("take_page: %s", heph_error_last());
		free(page);
		pages++;
		if (!info.more)
			return pages;
	}
}

/* Push everything pending from spoke to hub; returns ops pushed. */
static int push_all(heph_store *spoke, heph_store *hub, int limit)
{
	int pushed = 0;
	for (;;) {
		char *body, *answer;
		size_t len, alen;
		int count;
		int64_t after, last;
		assert_int_equal(heph_sync_push_body(spoke, limit, 0, &body, &len, &count, &after, &last), 0);
		if (count == 0)
			return pushed;
		if (heph_sync_accept(hub, body, len, &answer, &alen))
			fail_msg("accept: %s", heph_error_last());
		assert_int_equal(heph_sync_pushed(spoke, answer, alen, after, last), 0);
		free(body);
		free(answer);
		pushed += count;
	}
}

static void pull_page__is_bounded_and_continues_at_the_cursor(void **state)
{
	(void)state;
	heph_store *hub = mem();
	add_tasks(hub, 3); /* 9 ops */
	char *page;
	size_t len;
	assert_int_equal(heph_sync_pull_page(hub, 0, 4, &page, &len), 0);
	json_t *j = parse(page, len);
	assert_int_equal(json_integer_value(json_object_get(j, "protocol")), HEPH_SYNC_PROTOCOL);
	assert_string_equal(json_string_value(json_object_get(j, "hub")), heph_store_origin(hub));
	assert_int_equal(json_integer_value(json_object_get(j, "head")), 9);
	assert_int_equal(json_array_size(json_object_get(j, "ops")), 4);
	assert_int_equal(json_integer_value(json_object_get(j, "next")), 4);
	assert_true(json_is_true(json_object_get(j, "more")));
	json_t *op = json_array_get(json_object_get(j, "ops"), 0);
	assert_int_equal(json_integer_value(json_object_get(op, "seq")), 1);
	heph_op decoded;
	assert_int_equal(heph_op_from_json(op, &decoded), 0); /* an op envelope with a seq */
	assert_string_equal(decoded.type, "task.create");
	heph_op_clear(&decoded);
	json_decref(j);
	free(page);
	assert_int_equal(heph_sync_pull_page(hub, 8, 4, &page, &len), 0);
	j = parse(page, len);
	assert_int_equal(json_array_size(json_object_get(j, "ops")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "next")), 9);
	assert_true(json_is_false(json_object_get(j, "more")));
	json_decref(j);
	free(page);
	assert_int_equal(heph_sync_pull_page(hub, 9, 4, &page, &len), 0);
	j = parse(page, len);
	assert_int_equal(json_array_size(json_object_get(j, "ops")), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "next")), 9); /* the cursor stays */
	json_decref(j);
	free(page);
	heph_store_close(hub);
}

static void sync__spokes_converge_through_the_hub_page_by_page(void **state)
{
	(void)state;
	heph_store *hub = mem(), *a = mem(), *b = mem();
	add_tasks(a, 5);
	add_tasks(b, 4);
	pull_all(hub, a, 3);
	assert_int_equal(push_all(a, hub, 4), 15);
	assert_int_equal(pull_all(hub, b, 3), 5); /* 15 ops in pages of 3, then the empty tail */
	assert_int_equal(push_all(b, hub, 4), 12); /* only b's own ops go back */
	pull_all(hub, a, 3);
	assert_same_digest(a, hub);
	assert_same_digest(b, hub);
	int64_t n;
	assert_int_equal(heph_sync_pending(a, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(heph_sync_pending(b, &n), 0);
	assert_int_equal(n, 0);
	heph_store_close(hub);
	heph_store_close(a);
	heph_store_close(b);
}

static void push_body__skips_what_came_from_the_hub(void **state)
{
	(void)state;
	heph_store *hub = mem(), *a = mem(), *b = mem();
	add_tasks(a, 2);
	pull_all(hub, a, 0);
	push_all(a, hub, 0);
	add_tasks(b, 1); /* b's own, pending while it pulls */
	pull_all(hub, b, 2);
	add_tasks(b, 1); /* and one made after */
	int64_t n;
	assert_int_equal(heph_sync_pending(b, &n), 0);
	assert_int_equal(n, 6);
	char *body;
	size_t len;
	int count;
	int64_t last;
	assert_int_equal(heph_sync_push_body(b, 0, 0, &body, &len, &count, NULL, &last), 0);
	assert_int_equal(count, 6);
	json_t *j = parse(body, len);
	size_t i;
	json_t *op;
	json_array_foreach(json_object_get(j, "ops"), i, op)
		assert_string_equal(json_string_value(json_object_get(op, "origin")), heph_store_origin(b));
	json_decref(j);
	free(body);
	assert_int_equal(push_all(b, hub, 4), 6);
	assert_int_equal(heph_sync_pending(b, &n), 0);
	assert_int_equal(n, 0);
	heph_store_close(hub);
	heph_store_close(a);
	heph_store_close(b);
}

static void accept__a_second_push_of_the_same_ops_changes_nothing(void **state)
{
	(void)state;
	heph_store *hub = mem(), *a = mem();
	add_tasks(a, 2);
	char *body, *ans1, *ans2;
	size_t len, l1, l2;
	int count;
	int64_t last;
	assert_int_equal(heph_sync_push_body(a, 0, 0, &body, &len, &count, NULL, &last), 0);
	assert_int_equal(heph_sync_accept(hub, body, len, &ans1, &l1), 0);
	char *before = digest_of(hub);
	assert_int_equal(heph_sync_accept(hub, body, len, &ans2, &l2), 0);
	json_t *j1 = parse(ans1, l1), *j2 = parse(ans2, l2);
	assert_int_equal(json_integer_value(json_object_get(j1, "applied")), 6);
	assert_int_equal(json_integer_value(json_object_get(j2, "applied")), 0);
	assert_int_equal(json_integer_value(json_object_get(j2, "duplicate")), 6);
	assert_int_equal(json_integer_value(json_object_get(j2, "head")), 6);
	char *after = digest_of(hub);
	assert_string_equal(before, after);
	json_decref(j1);
	json_decref(j2);
	free(before);
	free(after);
	free(body);
	free(ans1);
	free(ans2);
	heph_store_close(hub);
	heph_store_close(a);
}

static void accept__one_invalid_op_and_nothing_is_applied(void **state)
{
	(void)state;
	heph_store *hub = mem(), *a = mem();
	add_tasks(a, 1);
	char *body, *ans = NULL;
	size_t len, alen;
	int count;
	int64_t last;
	assert_int_equal(heph_sync_push_body(a, 0, 0, &body, &len, &count, NULL, &last), 0);
	json_t *j = parse(body, len);
	json_array_append_new(json_object_get(j, "ops"),
			      json_pack("{s:s, s:s, s:s, s:s, s:{}}", "op_id", "01K00000000000000000000X99", "hlc",
					"001795000000000-00000-aaaaaaaaaaaaaaaa", "origin", "aaaaaaaaaaaaaaaa", "type",
					"link.add", "payload"));
	char *bad = json_dumps(j, JSON_COMPACT);
	char *before = digest_of(hub);
	assert_int_equal(heph_sync_accept(hub, bad, strlen(bad), &ans, &alen), HEPH_EINVALID);
	assert_null(ans);
	assert_non_null(strstr(heph_error_last(), "ops[3]"));
	char *after = digest_of(hub);
	assert_string_equal(before, after);
	assert_int_equal(heph_sync_accept(hub, "{\"protocol\":1,\"ops\":[", 21, &ans, &alen), HEPH_EINVALID);
	assert_non_null(strstr(heph_error_last(), "malformed JSON"));
	assert_int_equal(heph_sync_accept(hub, "{\"protocol\":1}", 14, &ans, &alen), HEPH_EINVALID);
	json_decref(j);
	free(bad);
	free(body);
	free(before);
	free(after);
	heph_store_close(hub);
	heph_store_close(a);
}

static void protocol__another_version_is_refused_naming_both(void **state)
{
	(void)state;
	heph_store *hub = mem();
	char *ans = NULL;
	size_t alen;
	const char *v2 = "{\"protocol\":2,\"ops\":[]}";
	assert_int_equal(heph_sync_accept(hub, v2, strlen(v2), &ans, &alen), HEPH_EPROTOCOL);
	assert_non_null(strstr(heph_error_last(), "protocol 1"));
	assert_non_null(strstr(heph_error_last(), "protocol 2"));
	assert_int_equal(heph_error_http_status(HEPH_EPROTOCOL), 426);
	const char *none = "{\"ops\":[]}";
	assert_int_equal(heph_sync_accept(hub, none, strlen(none), &ans, &alen), HEPH_EINVALID);
	const char *text = "{\"protocol\":\"1\",\"ops\":[]}";
	assert_int_equal(heph_sync_accept(hub, text, strlen(text), &ans, &alen), HEPH_EINVALID);
	assert_null(ans);
	heph_store_close(hub);
}

static void accept__ignores_unknown_envelope_fields(void **state)
{
	(void)state;
	heph_store *hub = mem();
	char *ans = NULL;
	size_t alen;
	const char *body = "{\"protocol\":1,\"origin\":\"aaaaaaaaaaaaaaaa\",\"compression\":\"zstd\",\"extra\":{\"a\":[1]},"
			   "\"ops\":[{\"op_id\":\"01K00000000000000000000X01\",\"hlc\":\"001795000000000-00000-aaaaaaaaaaaaaaaa\","
			   "\"origin\":\"aaaaaaaaaaaaaaaa\",\"type\":\"node.create\",\"seq\":77,\"note\":\"x\","
			   "\"payload\":{\"node_id\":\"01K00000000000000000000N01\",\"kind\":\"doc\",\"title\":\"t\",\"colour\":\"red\"}}]}";
	assert_int_equal(heph_sync_accept(hub, body, strlen(body), &ans, &alen), 0);
	json_t *j = parse(ans, alen);
	assert_int_equal(json_integer_value(json_object_get(j, "applied")), 1);
	json_decref(j);
	free(ans);
	heph_store_close(hub);
}

static void push_apply__inside_a_group_transaction_each_push_stands_alone(void **state)
{
	(void)state;
	heph_store *hub = mem(), *a = mem();
	add_tasks(a, 3); /* 9 ops: three pushes of 3 */
	char *body, *out[3] = { NULL };
	size_t len, olen[3];
	int count, err[3];
	int64_t last;
	assert_int_equal(heph_sync_push_body(a, 0, 0, &body, &len, &count, NULL, &last), 0);
	json_t *whole = parse(body, len), *all = json_object_get(whole, "ops");
	heph_sync_push *p[3];
	for (int i = 0; i < 3; i++) {
		json_t *part = json_pack("{s:i, s:[]}", "protocol", HEPH_SYNC_PROTOCOL, "ops");
		for (int k = 0; k < 3; k++)
			json_array_append(json_object_get(part, "ops"), json_array_get(all, (size_t)(3 * i + k)));
		if (i == 1) /* the second push also carries an op an hour ahead */
			json_array_append_new(json_object_get(part, "ops"),
					      json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s}}", "op_id", "01K00000000000000000000X55",
							"hlc", "001795003600000-00000-aaaaaaaaaaaaaaaa", "origin", "aaaaaaaaaaaaaaaa",
							"type", "node.create", "payload", "node_id", "01K00000000000000000000N55",
							"kind", "doc"));
		char *text = json_dumps(part, JSON_COMPACT);
		assert_int_equal(heph_sync_push_decode(text, strlen(text), &p[i]), 0);
		free(text);
		json_decref(part);
	}
	assert_int_equal(heph_store_begin(hub), 0);
	for (int i = 0; i < 3; i++)
		err[i] = heph_sync_push_apply(hub, p[i], &out[i], &olen[i]);
	assert_int_equal(heph_store_commit(hub), 0);
	assert_int_equal(err[0], 0);
	assert_int_equal(err[1], HEPH_EFUTURE);
	assert_null(out[1]);
	assert_int_equal(err[2], 0);
	int64_t after;
	char *page;
	size_t plen;
	assert_int_equal(heph_sync_pull_page(hub, 0, 0, &page, &plen), 0);
	json_t *pg = parse(page, plen);
	assert_int_equal(json_integer_value(json_object_get(pg, "head")), 6); /* pushes 1 and 3 */
	json_t *ans = parse(out[2], olen[2]);
	after = json_integer_value(json_object_get(ans, "head"));
	assert_int_equal(after, 6);
	json_decref(ans);
	json_decref(whole);
	for (int i = 0; i < 3; i++) {
		heph_sync_push_free(p[i]);
		free(out[i]);
	}
	json_decref(pg);
	free(page);
	free(body);
	heph_store_close(hub);
	heph_store_close(a);
}

static void take_page__from_another_hub_starts_over(void **state)
{
	(void)state;
	heph_store *hub1 = mem(), *hub2 = mem(), *a = mem();
	add_tasks(hub1, 1);
	add_tasks(a, 1);
	pull_all(hub1, a, 0);
	push_all(a, hub1, 0);
	int64_t cursor, pending;
	assert_int_equal(heph_sync_pull_cursor(a, &cursor), 0);
	assert_int_equal(cursor, 3); /* its own pushed ops are not pulled back yet */
	/* the hub is replaced by an empty one: its first page resets us */
	char *page;
	size_t len;
	heph_sync_page info;
	assert_int_equal(heph_sync_pull_page(hub2, cursor, 0, &page, &len), 0);
	assert_int_equal(heph_sync_take_page(a, cursor, page, len, &info), 0);
	assert_true(info.reset);
	free(page);
	assert_int_equal(heph_sync_pull_cursor(a, &cursor), 0);
	assert_int_equal(cursor, 0);
	assert_int_equal(heph_sync_pending(a, &pending), 0);
	assert_int_equal(pending, 6); /* everything, the first hub's ops included */
	assert_int_equal(push_all(a, hub2, 0), 6);
	assert_same_digest(a, hub2);
	heph_store_close(hub1);
	heph_store_close(hub2);
	heph_store_close(a);
}

/* Two syncs of one database run at once; the hub has been replaced by an
 * empty one. One process meets it first and starts over; the other asked
 * for its page after the old cursor and takes it after the reset: the page
 * must not move the cursor past the new hub's first ops. */
static void take_page__asked_for_before_another_process_started_over_takes_nothing(void **state)
{
	(void)state;
	heph_store *hub1 = mem(), *hub2 = mem(), *a = mem(), *b = mem();
	add_tasks(hub1, 3);
	pull_all(hub1, a, 0);
	int64_t stale, cursor;
	assert_int_equal(heph_sync_pull_cursor(a, &stale), 0);
	assert_true(stale > 0);
	/* the new hub fills up from another spoke past the old cursor */
	add_tasks(b, 5);
	pull_all(hub2, b, 0);
	push_all(b, hub2, 0);
	/* one process meets the new hub and starts over */
	char *page;
	size_t len;
	heph_sync_page info;
	assert_int_equal(heph_sync_pull_page(hub2, stale, 0, &page, &len), 0);
	assert_int_equal(heph_sync_take_page(a, stale, page, len, &info), 0);
	free(page);
	assert_true(info.reset);
	/* the other one's page, asked for after the stale cursor */
	assert_int_equal(heph_sync_pull_page(hub2, stale, 0, &page, &len), 0);
	assert_int_equal(heph_sync_take_page(a, stale, page, len, &info), 0);
	free(page);
	assert_int_equal(info.added, 0);
	assert_true(info.more);
	assert_int_equal(heph_sync_pull_cursor(a, &cursor), 0);
	assert_int_equal(cursor, 0);
	/* the next syncs bring everything together */
	pull_all(hub2, a, 0);
	push_all(a, hub2, 0);
	pull_all(hub2, b, 0);
	assert_same_digest(a, hub2);
	assert_same_digest(b, hub2);
	heph_store_close(hub1);
	heph_store_close(hub2);
	heph_store_close(a);
	heph_store_close(b);
}

/* The same race on the push side: a push body made before another process
 * started over with a new hub must not move the push cursor past the ops
 * that now wait for the new hub. */
static void pushed__after_another_process_started_over_keeps_the_cursor(void **state)
{
	(void)state;
	heph_store *hub1 = mem(), *hub2 = mem(), *a = mem();
	add_tasks(a, 2);
	pull_all(hub1, a, 0);
	push_all(a, hub1, 0);
	add_tasks(a, 1);
	char *body, *answer, *page;
	size_t len, alen, plen;
	int count;
	int64_t after, last, pending;
	assert_int_equal(heph_sync_push_body(a, 0, 0, &body, &len, &count, &after, &last), 0);
	assert_true(after > 0);
	/* another process meets the new hub and starts over */
	heph_sync_page info;
	assert_int_equal(heph_sync_pull_page(hub2, 0, 0, &page, &plen), 0);
	assert_int_equal(heph_sync_take_page(a, 0, page, plen, &info), 0);
	free(page);
	assert_true(info.reset);
	/* the first process's push reaches the new hub */
	assert_int_equal(heph_sync_accept(hub2, body, len, &answer, &alen), 0);
	assert_int_equal(heph_sync_pushed(a, answer, alen, after, last), 0);
	free(body);
	free(answer);
	assert_int_equal(heph_sync_pending(a, &pending), 0);
	assert_true(pending >= after); /* the ops before the body still wait */
	push_all(a, hub2, 0);
	assert_same_digest(a, hub2);
	heph_store_close(hub1);
	heph_store_close(hub2);
	heph_store_close(a);
}

static void take_page__refuses_ops_out_of_sequence_and_applies_nothing(void **state)
{
	(void)state;
	heph_store *hub = mem(), *a = mem();
	add_tasks(hub, 1);
	char *page;
	size_t len;
	heph_sync_page info;
	assert_int_equal(heph_sync_pull_page(hub, 0, 0, &page, &len), 0);
	json_t *j = parse(page, len);
	json_object_set_new(json_array_get(json_object_get(j, "ops"), 2), "seq", json_integer(1));
	char *bad = json_dumps(j, JSON_COMPACT);
	char *before = digest_of(a);
	assert_int_equal(heph_sync_take_page(a, 0, bad, strlen(bad), &info), HEPH_EINVALID);
	char *after = digest_of(a);
	assert_string_equal(before, after);
	int64_t cursor;
	assert_int_equal(heph_sync_pull_cursor(a, &cursor), 0);
	assert_int_equal(cursor, 0);
	json_decref(j);
	free(bad);
	free(page);
	free(before);
	free(after);
	heph_store_close(hub);
	heph_store_close(a);
}

static void take_page__reads_any_layout_of_the_same_page_alike(void **state)
{
	(void)state;
	heph_store *hub = mem();
	add_tasks(hub, 2);
	json_decref(call_ok(hub, "doc.create", "{\"title\":\"odd \\\"quotes\\\" } ] { [ and \\\\ slashes\","
					   "\"body\":\"caf\\u00e9 \\ud83d\\ude00 \\n\\t,:\"}"));
	char *page;
	size_t len;
	assert_int_equal(heph_sync_pull_page(hub, 0, 0, &page, &len), 0);
	json_t *j = parse(page, len);
	/* unknown members of every kind, before and after the ops */
	json_object_set_new(j, "aaa", json_pack("{s:[s, {s:s}]}", "x", "]}", "y", "\"{"));
	json_object_set_new(j, "zzz", json_pack("[i, b, n, f]", 1, 0, 2.5));
	const size_t flags[] = { JSON_COMPACT, JSON_INDENT(3), JSON_COMPACT | JSON_SORT_KEYS, JSON_INDENT(1) | JSON_SORT_KEYS };
	char *want = NULL;
	for (size_t f = 0; f < sizeof flags / sizeof flags[0]; f++) {
		char *text = json_dumps(j, flags[f]);
		heph_store *a = mem();
		heph_sync_page info;
		if (heph_sync_take_page(a, 0, text, strlen(text), &info))
			fail_msg("layout %zu: %s", f, heph_error_last());
		assert_int_equal(info.added, 7);
		assert_false(info.more);
		char *d = digest_of(a);
		if (!want)
			want = digest_of(hub);
		assert_string_equal(d, want);
		free(d);
		free(text);
		heph_store_close(a);
	}
	/* a page cut short is refused, and nothing of it applied */
	heph_store *b = mem();
	heph_sync_page info;
	char *before = digest_of(b);
	assert_int_equal(heph_sync_take_page(b, 0, page, len - 20, &info), HEPH_EINVALID);
	char *after = digest_of(b);
	assert_string_equal(before, after);
	free(before);
	free(after);
	heph_store_close(b);
	free(want);
	json_decref(j);
	free(page);
	heph_store_close(hub);
}

static void status__keeps_the_last_error_and_clears_it_on_success(void **state)
{
	(void)state;
	heph_store *a = mem();
	json_t *st = NULL;
	assert_int_equal(heph_sync_record(a, T0, HEPH_EAUTH, "hub: invalid or revoked token", 0, 0), 0);
	assert_int_equal(heph_sync_status(a, &st), 0);
	assert_true(json_is_true(json_object_get(st, "auth_failed")));
	assert_string_equal(json_string_value(json_object_get(st, "last_error")), "hub: invalid or revoked token");
	assert_string_equal(json_string_value(json_object_get(st, "last_error_name")), "unauthorized");
	assert_true(json_is_null(json_object_get(st, "last_success")));
	assert_string_equal(json_string_value(json_object_get(st, "last_attempt")), "2026-11-18T11:06:40Z");
	json_decref(st);
	assert_int_equal(heph_sync_record(a, T0 + 1000, 0, NULL, 3, 4), 0);
	assert_int_equal(heph_sync_status(a, &st), 0);
	assert_true(json_is_false(json_object_get(st, "auth_failed")));
	assert_true(json_is_null(json_object_get(st, "last_error")));
	assert_string_equal(json_string_value(json_object_get(st, "last_success")), "2026-11-18T11:06:41Z");
	assert_int_equal(json_integer_value(json_object_get(st, "last_pushed")), 4);
	json_decref(st);
	heph_store_close(a);
}

/* ---- snapshots ---- */

/* The one integer sql answers on s's connection. */
static int64_t count_of(heph_store *s, const char *sql)
{
	sqlite3_stmt *st;
	int64_t n = -1;
	assert_int_equal(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void snapshot__installs_what_a_replay_gives_and_keeps_the_spokes_own_ops(void **state)
{
	(void)state;
	heph_store *hub = mem(), *replayed = mem(), *spoke = mem();
	char *path = temp_db();
	int64_t seq, pending;
	heph_sync_snapshot_result res;
	add_tasks(hub, 5);
	add_tasks(spoke, 2); /* made before its first sync */
	char origin[HEPH_ORIGIN_LEN + 1];
	snprintf(origin, sizeof origin, "%s", heph_store_origin(spoke));
	if (heph_sync_snapshot_write(hub, path, &seq))
		fail_msg("write: %s", heph_error_last());
	assert_int_equal(seq, 15);
	if (heph_sync_snapshot_install(spoke, path, heph_store_origin(hub), &res))
		fail_msg("install: %s", heph_error_last());
	assert_int_equal(res.seq, 15);
	assert_int_equal(res.ops, 15);
	assert_int_equal(res.kept, 6);
	assert_string_equal(res.hub, heph_store_origin(hub));
	assert_string_equal(heph_store_origin(spoke), origin);
	assert_int_equal(heph_sync_pending(spoke, &pending), 0);
	assert_int_equal(pending, 6); /* its own, waiting to be pushed */
	assert_int_equal(push_all(spoke, hub, 0), 6);
	pull_all(hub, spoke, 0);
	pull_all(hub, replayed, 0);
	assert_same_digest(spoke, hub);
	assert_same_digest(replayed, hub);
	heph_store_close(hub);
	heph_store_close(replayed);
	heph_store_close(spoke);
	drop_db(path);
}

static void snapshot_write_replica__states_its_hubs_id_and_seq_and_installs_as_the_hubs(void **state)
{
	(void)state;
	heph_store *hub = mem(), *replica = mem(), *spoke = mem();
	char *path = temp_db();
	int64_t seq, head, cursor;
	heph_sync_snapshot_result res;
	add_tasks(hub, 5);
	add_tasks(replica, 1); /* its own op-log rows come first, then the hub's */
	pull_all(hub, replica, 0);
	push_all(replica, hub, 0);
	pull_all(hub, replica, 0);
	assert_int_equal(heph_sync_head(hub, &head), 0);
	assert_int_equal(heph_sync_pull_cursor(replica, &cursor), 0);
	assert_int_equal(cursor, head);
	/* not a replica of that hub: refused, no file left */
	assert_int_equal(heph_sync_snapshot_write_replica(replica, path, heph_store_origin(spoke), &seq), HEPH_ERROR);
	assert_int_equal(access(path, F_OK), -1);
	if (heph_sync_snapshot_write_replica(replica, path, heph_store_origin(hub), &seq))
		fail_msg("write: %s", heph_error_last());
	assert_int_equal(seq, head);
	/* a spoke of the hub takes it as the hub's and pulls on from the hub */
	if (heph_sync_snapshot_install(spoke, path, heph_store_origin(hub), &res))
		fail_msg("install: %s", heph_error_last());
	assert_int_equal(res.seq, head);
	assert_string_equal(res.hub, heph_store_origin(hub));
	add_tasks(hub, 2);
	pull_all(hub, spoke, 0);
	assert_int_equal(heph_sync_pull_cursor(spoke, &cursor), 0);
	assert_int_equal(heph_sync_head(hub, &head), 0);
	assert_int_equal(cursor, head);
	assert_same_digest(spoke, hub);
	heph_store_close(hub);
	heph_store_close(replica);
	heph_store_close(spoke);
	drop_db(path);
}

static void snapshot_write__refuses_while_a_table_is_undecided(void **state)
{
	(void)state;
	heph_store *hub = mem();
	char *path = temp_db();
	int64_t seq;
	add_tasks(hub, 1);
	assert_int_equal(sqlite3_exec(hub->db, "CREATE TABLE not_in_the_list (x)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(heph_sync_snapshot_write(hub, path, &seq), HEPH_ERROR);
	assert_non_null(strstr(heph_error_last(), "not_in_the_list"));
	assert_int_equal(access(path, F_OK), -1); /* nothing left behind */
	heph_store_close(hub);
	drop_db(path);
}

static void snapshot_install__refuses_what_is_not_one_and_changes_nothing(void **state)
{
	(void)state;
	heph_store *spoke = mem(), *other = mem();
	char *path = temp_db(), *before, *after;
	heph_sync_snapshot_result res;
	int64_t seq;
	add_tasks(spoke, 2);
	before = digest_of(spoke);
	/* not SQLite */
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("not a database at all, but long enough to have a header of a hundred bytes, which it still is not.....", f);
	fclose(f);
	assert_int_equal(heph_sync_snapshot_install(spoke, path, NULL, &res), HEPH_EINVALID);
	unlink(path);
	add_tasks(other, 1);
	assert_int_equal(heph_sync_snapshot_write(other, path, &seq), 0);
	/* a snapshot of another hub than the one asked */
	assert_int_equal(heph_sync_snapshot_install(spoke, path, heph_store_origin(spoke), &res), HEPH_EINVALID);
	unlink(path);
	/* pages of another schema (here one index more): the op-log instead */
	assert_int_equal(sqlite3_exec(other->db, "CREATE INDEX not_in_the_spokes ON nodes(id)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(heph_sync_snapshot_write(other, path, &seq), 0);
	assert_int_equal(heph_sync_snapshot_install(spoke, path, NULL, &res), HEPH_EPROTOCOL);
	assert_non_null(strstr(heph_error_last(), "schema"));
	after = digest_of(spoke);
	assert_string_equal(after, before);
	free(after);
	free(before);
	heph_store_close(spoke);
	heph_store_close(other);
	drop_db(path);
}

static void snapshot_install__a_reader_of_the_spoke_sees_the_old_state_then_the_new(void **state)
{
	(void)state;
	heph_store *hub = mem();
	char *path = temp_db(), *spoke_path = temp_db();
	heph_store *spoke = open_at(spoke_path, &clk, "2026-11-18"), *reader = open_at(spoke_path, &clk, "2026-11-18");
	heph_sync_snapshot_result res;
	int64_t seq, before, during, after, installed;
	add_tasks(hub, 5);
	add_tasks(spoke, 1);
	assert_int_equal(heph_sync_snapshot_write(hub, path, &seq), 0);
	/* another process reading the spoke's database when the snapshot
	 * lands: the copy does not wait for it, nor does it see half */
	assert_int_equal(sqlite3_exec(reader->db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	before = count_of(reader, "SELECT count(*) FROM nodes");
	if (heph_sync_snapshot_install(spoke, path, NULL, &res))
		fail_msg("install: %s", heph_error_last());
	during = count_of(reader, "SELECT count(*) FROM nodes");
	assert_int_equal(sqlite3_exec(reader->db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	after = count_of(reader, "SELECT count(*) FROM nodes");
	installed = count_of(spoke, "SELECT count(*) FROM nodes");
	assert_int_equal(during, before);
	assert_int_equal(after, installed);
	assert_true(installed > before);
	assert_same_digest(reader, spoke);
	heph_store_close(reader);
	heph_store_close(spoke);
	heph_store_close(hub);
	drop_db(path);
	drop_db(spoke_path);
}

/* Another process's write transaction, open when the snapshot is to be
 * installed: the task it adds is committed a while after. */
struct writer {
	heph_store *s;
	int ready[2]; /* a byte once the transaction holds the database */
};

static void *write_a_task_slowly(void *arg)
{
	struct writer *w = arg;
	heph_rpc_env env = { .store = w->s };
	json_t *params = json_pack("{s:s}", "title", "written meanwhile"), *r = NULL;
	int err = heph_store_begin(w->s) || heph_rpc_call(&env, "task.create", params, &r);
	json_decref(params);
	json_decref(r);
	if (err)
		return (void *)1;
	if (write(w->ready[1], "x", 1) != 1)
		return (void *)1;
	usleep(400 * 1000);
	return (void *)(intptr_t)(heph_store_commit(w->s) != 0);
}

static void snapshot_install__gives_way_to_a_writer_and_changes_nothing(void **state)
{
	(void)state;
	heph_store *hub = mem();
	char *path = temp_db(), *again = temp_db(), *spoke_path = temp_db();
	heph_store *spoke = open_at(spoke_path, &clk, "2026-11-18");
	struct writer w = { .s = open_at(spoke_path, &clk, "2026-11-18") };
	heph_sync_snapshot_result res;
	pthread_t t;
	void *failed;
	char byte;
	int64_t seq, cursor;
	add_tasks(hub, 5);
	add_tasks(spoke, 1);
	assert_int_equal(heph_sync_snapshot_write(hub, path, &seq), 0);
	assert_int_equal(pipe(w.ready), 0);
	assert_int_equal(pthread_create(&t, NULL, write_a_task_slowly, &w), 0);
	assert_int_equal(read(w.ready[0], &byte, 1), 1);
	/* the writer commits after the install would have copied its pages:
	 * had the install waited for it, the copy would erase its task */
	assert_int_equal(heph_sync_snapshot_install(spoke, path, NULL, &res), HEPH_EUNAVAIL);
	assert_non_null(strstr(heph_error_last(), "another process"));
	assert_int_equal(pthread_join(t, &failed), 0);
	assert_null(failed);
	assert_int_equal(count_of(spoke, "SELECT count(*) FROM nodes WHERE kind = 'task' AND title = 'written meanwhile'"), 1);
	assert_int_equal(heph_sync_pull_cursor(spoke, &cursor), 0);
	assert_int_equal(cursor, 0);
	/* once the writer is done, the next download installs */
	assert_int_equal(heph_sync_snapshot_write(hub, again, &seq), 0);
	if (heph_sync_snapshot_install(spoke, again, NULL, &res))
		fail_msg("install: %s", heph_error_last());
	assert_int_equal(count_of(spoke, "SELECT count(*) FROM nodes WHERE kind = 'task' AND title = 'written meanwhile'"), 1);
	close(w.ready[0]);
	close(w.ready[1]);
	heph_store_close(w.s);
	heph_store_close(spoke);
	heph_store_close(hub);
	drop_db(path);
	drop_db(again);
	drop_db(spoke_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pull_page__is_bounded_and_continues_at_the_cursor),
		cmocka_unit_test(sync__spokes_converge_through_the_hub_page_by_page),
		cmocka_unit_test(push_body__skips_what_came_from_the_hub),
		cmocka_unit_test(accept__a_second_push_of_the_same_ops_changes_nothing),
		cmocka_unit_test(accept__one_invalid_op_and_nothing_is_applied),
		cmocka_unit_test(protocol__another_version_is_refused_naming_both),
		cmocka_unit_test(accept__ignores_unknown_envelope_fields),
		cmocka_unit_test(push_apply__inside_a_group_transaction_each_push_stands_alone),
		cmocka_unit_test(take_page__from_another_hub_starts_over),
		cmocka_unit_test(take_page__asked_for_before_another_process_started_over_takes_nothing),
		cmocka_unit_test(pushed__after_another_process_started_over_keeps_the_cursor),
		cmocka_unit_test(take_page__refuses_ops_out_of_sequence_and_applies_nothing),
		cmocka_unit_test(take_page__reads_any_layout_of_the_same_page_alike),
		cmocka_unit_test(status__keeps_the_last_error_and_clears_it_on_success),
		cmocka_unit_test(snapshot__installs_what_a_replay_gives_and_keeps_the_spokes_own_ops),
		cmocka_unit_test(snapshot_write_replica__states_its_hubs_id_and_seq_and_installs_as_the_hubs),
		cmocka_unit_test(snapshot_write__refuses_while_a_table_is_undecided),
		cmocka_unit_test(snapshot_install__refuses_what_is_not_one_and_changes_nothing),
		cmocka_unit_test(snapshot_install__a_reader_of_the_spoke_sees_the_old_state_then_the_new),
		cmocka_unit_test(snapshot_install__gives_way_to_a_writer_and_changes_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
