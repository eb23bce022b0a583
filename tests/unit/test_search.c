/* test_search.c — full-text search: ranking (titles over bodies, more
 * occurrences over fewer), the index following every applied op (synced
 * ones, renames, tombstones), context docs standing for their task, prefix
 * words, and clear errors for bad queries. */
#include "helpers.h"

#include "../../src/lib/internal.h"

static struct fake_clock clk = { T0 };

static heph_store *mem(void) { return open_at(":memory:", &clk, "2026-11-18"); }

static json_t *search(heph_store *s, const char *params)
{
	return call_ok(s, "search", params);
}

/* The titles of a search's results, joined by '|'. */
static char *titles(json_t *r)
{
	char *out = calloc(1, 4096);
	size_t i;
	json_t *h;
	json_array_foreach(r, i, h) {
		if (i)
			strcat(out, "|");
		strcat(out, json_string_value(json_object_get(h, "title")));
	}
	json_decref(r);
	return out;
}

static void expect_titles(heph_store *s, const char *params, const char *want)
{
	char *got = titles(search(s, params));
	if (strcmp(got, want) != 0)
		fail_msg("search %s: got [%s], want [%s]", params, got, want);
	free(got);
}

static void doc(heph_store *s, const char *title, const char *body, char id[32])
{
	json_t *p = json_pack("{s:s, s:s}", "title", title, "body", body);
	char *text = json_dumps(p, 0);
	take_id(call_ok(s, "doc.create", text), id);
	free(text);
	json_decref(p);
}

static void search__ranks_title_hits_above_body_hits_and_more_above_fewer(void **state)
{
	(void)state;
	heph_store *s = mem();
	char id[32];
	doc(s, "Notes", "compost once", id);
	doc(s, "Compost heap", "how to build it", id);
	doc(s, "Garden", "compost compost compost, compost all the things", id);
	doc(s, "Unrelated", "nothing here", id);
	expect_titles(s, "{\"query\":\"compost\"}", "Compost heap|Garden|Notes");
	expect_titles(s, "{\"query\":\"COMPOST\",\"limit\":1}", "Compost heap");
	/* every word must occur; accents and case are folded */
	doc(s, "Café visit", "the compost café", id);
	expect_titles(s, "{\"query\":\"cafe compost\"}", "Café visit");
	expect_titles(s, "{\"query\":\"comp*\",\"kind\":\"doc\",\"limit\":2}", "Compost heap|Garden");
	expect_titles(s, "{\"query\":\"xyzzy\"}", "");
	heph_store_close(s);
}

static void search__follows_edits_renames_and_deletes(void **state)
{
	(void)state;
	heph_store *s = mem();
	char id[32], params[256];
	doc(s, "Alpha", "first text", id);
	expect_titles(s, "{\"query\":\"first\"}", "Alpha");
	snprintf(params, sizeof params, "{\"id\":\"%s\",\"body\":\"second text\",\"title\":\"Beta\"}", id);
	json_decref(call_ok(s, "doc.edit", params));
	expect_titles(s, "{\"query\":\"first\"}", "");
	expect_titles(s, "{\"query\":\"second\"}", "Beta");
	expect_titles(s, "{\"query\":\"alpha\"}", "");
	snprintf(params, sizeof params, "{\"id\":\"%s\"}", id);
	json_decref(call_ok(s, "node.remove", params));
	expect_titles(s, "{\"query\":\"second\"}", "");
	heph_store_close(s);
}

static void search__indexes_ops_that_arrive_by_sync(void **state)
{
	(void)state;
	heph_store *s = mem();
	const char *line = "{\"op_id\":\"01K00000000000000000000S01\",\"hlc\":\"001795000000000-00000-aaaaaaaaaaaaaaaa\","
			   "\"origin\":\"aaaaaaaaaaaaaaaa\",\"type\":\"node.create\",\"payload\":{\"node_id\":"
			   "\"01K00000000000000000000D01\",\"kind\":\"doc\",\"title\":\"From afar\",\"body\":\"remote words\"}}";
	heph_op op;
	assert_int_equal(heph_op_decode(line, strlen(line), &op), 0);
	assert_int_equal(heph_store_apply(s, &op, NULL), 0);
	heph_op_clear(&op);
	expect_titles(s, "{\"query\":\"remote\"}", "From afar");
	line = "{\"op_id\":\"01K00000000000000000000S02\",\"hlc\":\"001795000000001-00000-aaaaaaaaaaaaaaaa\","
	       "\"origin\":\"aaaaaaaaaaaaaaaa\",\"type\":\"node.tombstone\",\"payload\":{\"node_id\":"
	       "\"01K00000000000000000000D01\"}}";
	assert_int_equal(heph_op_decode(line, strlen(line), &op), 0);
	assert_int_equal(heph_store_apply(s, &op, NULL), 0);
	heph_op_clear(&op);
	expect_titles(s, "{\"query\":\"remote\"}", "");
	heph_store_close(s);
}

static void search__reports_a_context_doc_hit_as_its_task_once(void **state)
{
	(void)state;
	heph_store *s = mem();
	char t[32];
	take_id(call_ok(s, "task.create", "{\"title\":\"Repair bike\",\"body\":\"new chain for the bike\"}"), t);
	json_t *r = search(s, "{\"query\":\"bike\"}");
	assert_int_equal(json_array_size(r), 1);
	json_t *h = json_array_get(r, 0);
	assert_string_equal(json_string_value(json_object_get(h, "node_id")), t);
	assert_string_equal(json_string_value(json_object_get(h, "kind")), "task");
	assert_string_equal(json_string_value(json_object_get(h, "state")), "outstanding");
	json_decref(r);
	r = search(s, "{\"query\":\"chain\"}");
	h = json_array_get(r, 0);
	assert_string_equal(json_string_value(json_object_get(h, "node_id")), t);
	assert_non_null(strstr(json_string_value(json_object_get(h, "snippet")), "**chain**"));
	assert_string_not_equal(json_string_value(json_object_get(h, "matched_id")), t);
	json_decref(r);
	heph_store_close(s);
}

static void search__refuses_bad_queries_clearly(void **state)
{
	(void)state;
	heph_store *s = mem();
	call_fails(s, "search", "{}", HEPH_EINVALID);
	call_fails(s, "search", "{\"query\":\"  !! \"}", HEPH_EINVALID);
	call_fails(s, "search", "{\"query\":\"\\\"open\",\"raw\":true}", HEPH_EINVALID);
	call_fails(s, "search", "{\"query\":\"nosuchcolumn: x\",\"raw\":true}", HEPH_EINVALID);
	call_fails(s, "search", "{\"query\":\"x\",\"limit\":0}", HEPH_EINVALID);
	call_fails(s, "search", "{\"query\":\"x\",\"kind\":\"Bad Kind\"}", HEPH_EINVALID);
	/* quotes and operators in plain words are just words */
	json_decref(search(s, "{\"query\":\"\\\"a\\\" OR NOT ( b\"}"));
	heph_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(search__ranks_title_hits_above_body_hits_and_more_above_fewer),
		cmocka_unit_test(search__follows_edits_renames_and_deletes),
		cmocka_unit_test(search__indexes_ops_that_arrive_by_sync),
		cmocka_unit_test(search__reports_a_context_doc_hit_as_its_task_once),
		cmocka_unit_test(search__refuses_bad_queries_clearly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
