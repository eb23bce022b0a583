/* test_rpc.c — the method table and the JSON-RPC dispatcher: error
 * mapping, batches, id and name resolution, the project tree, conflicts. */
#include "helpers.h"

#include "heph/id.h"

#include "../../src/lib/internal.h"

static struct fake_clock clk = { T0 };

static heph_store *mem(void) { return open_at(":memory:", &clk, "2026-11-18"); }

static json_t *handle(heph_store *s, const char *req)
{
	heph_rpc_env env = { .store = s };
	char *out = heph_rpc_handle(&env, req, strlen(req));
	if (!out)
		return NULL;
	json_t *j = json_loads(out, 0, NULL);
	free(out);
	assert_non_null(j);
	return j;
}

static long long error_code(json_t *resp)
{
	return json_integer_value(json_object_get(json_object_get(resp, "error"), "code"));
}

static void rpc_handle__maps_errors_to_json_rpc_codes(void **state)
{
	(void)state;
	heph_store *s = mem();
	json_t *r;
	r = handle(s, "{not json");
	assert_int_equal(error_code(r), -32700);
	json_decref(r);
	r = handle(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"no.such\"}");
	assert_int_equal(error_code(r), -32601);
	json_decref(r);
	r = handle(s, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"task.create\",\"params\":{}}");
	assert_int_equal(error_code(r), -32602);
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(r, "error"), "message")), "title"));
	json_decref(r);
	r = handle(s, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"node.get\",\"params\":{\"id\":\"01ZZZZZZ\"}}");
	assert_int_equal(error_code(r), heph_error_rpc_code(HEPH_ENOTFOUND));
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_object_get(r, "error"), "data"), "name")),
			    "not_found");
	json_decref(r);
	r = handle(s, "{\"id\":4,\"method\":\"digest\"}"); /* no jsonrpc member */
	assert_int_equal(error_code(r), -32600);
	json_decref(r);
	heph_store_close(s);
}

static void rpc_handle__answers_batches_and_ignores_notifications(void **state)
{
	(void)state;
	heph_store *s = mem();
	json_t *r = handle(s, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"task.create\",\"params\":{\"title\":\"a\"}},"
			      "{\"jsonrpc\":\"2.0\",\"method\":\"task.create\",\"params\":{\"title\":\"b\"}},"
			      "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"task.list\"}]");
	assert_true(json_is_array(r));
	assert_int_equal(json_array_size(r), 2);
	json_t *list = json_object_get(json_object_get(json_array_get(r, 1), "result"), "tasks");
	assert_int_equal(json_array_size(list), 2); /* the notification still ran */
	json_decref(r);
	assert_null(handle(s, "{\"jsonrpc\":\"2.0\",\"method\":\"task.create\",\"params\":{\"title\":\"c\"}}"));
	heph_store_close(s);
}

static void rpc_call__a_failed_write_changes_nothing(void **state)
{
	(void)state;
	heph_store *s = mem();
	char id[32], params[256];
	take_id(call_ok(s, "task.create", "{\"title\":\"t\"}"), id);
	char *before = digest_of(s);
	/* the title is valid but the date is not: neither may be written */
	snprintf(params, sizeof params, "{\"id\":\"%s\",\"title\":\"new\",\"do_date\":\"someday\"}", id);
	call_fails(s, "task.edit", params, HEPH_EINVALID);
	snprintf(params, sizeof params, "{\"id\":\"%s\",\"attention\":\"purple\"}", id);
	call_fails(s, "task.edit", params, HEPH_EINVALID);
	snprintf(params, sizeof params, "{\"id\":\"%s\",\"project\":\"Nowhere\"}", id);
	call_fails(s, "task.edit", params, HEPH_ENOTFOUND);
	call_fails(s, "task.create", "{\"title\":\"   \"}", HEPH_EINVALID);
	call_fails(s, "task.create", "{\"title\":\"x\",\"late_on\":\"2026-02-31\"}", HEPH_EINVALID);
	char *after = digest_of(s);
	assert_string_equal(before, after);
	free(before);
	free(after);
	heph_store_close(s);
}

static void resolve__takes_prefixes_names_and_explains_ambiguity(void **state)
{
	(void)state;
	heph_store *s = mem();
	char t[32], p[32], params[256];
	take_id(call_ok(s, "project.add", "{\"name\":\"Home Admin\"}"), p);
	snprintf(params, sizeof params, "{\"title\":\"t\",\"project\":\"home admin\"}");
	take_id(call_ok(s, "task.create", params), t);
	/* a prefix of the task also prefixes its context doc: the task wins */
	snprintf(params, sizeof params, "{\"id\":\"%.12s\"}", t);
	json_t *r = call_ok(s, "node.get", params);
	assert_string_equal(json_string_value(json_object_get(r, "node_id")), t);
	assert_string_equal(json_string_value(json_object_get(r, "project_id")), p);
	json_decref(r);
	/* lower case works too */
	snprintf(params, sizeof params, "{\"id\":\"%s\"}", t);
	for (char *c = params; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	json_decref(call_ok(s, "task.done", params));
	/* too short, unknown, ambiguous */
	call_fails(s, "node.get", "{\"id\":\"01\"}", HEPH_EINVALID);
	assert_non_null(strstr(heph_error_last(), "too short: type at least 4 characters"));
	call_fails(s, "node.get", "{\"id\":\"7ZZZZZ\"}", HEPH_ENOTFOUND);
	json_decref(call_ok(s, "project.add", "{\"name\":\"Dup\"}"));
	json_decref(call_ok(s, "project.add", "{\"name\":\"Dup\",\"parent\":\"Home Admin\"}"));
	call_fails(s, "task.create", "{\"title\":\"x\",\"project\":\"dup\"}", HEPH_EAMBIGUOUS);
	assert_non_null(strstr(heph_error_last(), "ambiguous"));
	call_fails(s, "project.add", "{\"name\":\"Dup\"}", HEPH_ECONFLICT);
	heph_store_close(s);
}

/* Handles: what task.list shows names the task on every method, in any
 * case; every replica computes the same one from the id. */
static void resolve__takes_the_handles_lists_show(void **state)
{
	(void)state;
	heph_store *s = mem();
	char t[32], params[256];
	for (int i = 0; i < 12; i++)
		take_id(call_ok(s, "task.create", "{\"title\":\"same millisecond\"}"), t);
	json_t *list = rows_ok(s, "task.list", NULL);
	size_t i;
	json_t *row;
	json_array_foreach(list, i, row) {
		const char *id = json_string_value(json_object_get(row, "node_id"));
		const char *h = json_string_value(json_object_get(row, "handle"));
		char full[HEPH_HANDLE_LEN + 1], lower[16];
		assert_non_null(h);
		assert_true(strlen(h) >= HEPH_HANDLE_MIN && strlen(h) <= HEPH_HANDLE_LEN);
		heph_id_handle(id, full);
		assert_memory_equal(full, h, strlen(h)); /* a prefix of the id's handle */
		for (size_t k = 0; k <= strlen(h); k++)
			lower[k] = (char)(h[k] >= 'A' && h[k] <= 'Z' ? h[k] - 'A' + 'a' : h[k]);
		snprintf(params, sizeof params, "{\"id\":\"%s\"}", lower);
		json_t *r = call_ok(s, "node.get", params);
		assert_string_equal(json_string_value(json_object_get(r, "node_id")), id);
		assert_string_equal(json_string_value(json_object_get(r, "handle")), h);
		json_decref(r);
	}
	/* done by handle; the handle of a task no longer outstanding still works */
	const char *id0 = json_string_value(json_object_get(json_array_get(list, 0), "node_id"));
	snprintf(params, sizeof params, "{\"id\":\"%s\"}",
		 json_string_value(json_object_get(json_array_get(list, 0), "handle")));
	json_decref(call_ok(s, "task.done", params));
	json_t *r = call_ok(s, "node.get", params);
	assert_string_equal(json_string_value(json_object_get(r, "node_id")), id0);
	assert_string_equal(json_string_value(json_object_get(r, "state")), "done");
	json_decref(r);
	/* one millisecond's ids: ambiguous, with the candidates and how many more */
	snprintf(params, sizeof params, "{\"id\":\"%.10s\"}", t);
	call_fails(s, "node.get", params, HEPH_EAMBIGUOUS);
	assert_non_null(strstr(heph_error_last(), "(task)"));
	assert_non_null(strstr(heph_error_last(), " more; type more characters"));
	json_decref(list);
	heph_store_close(s);
}

static json_t *find_project(json_t *tree, const char *title)
{
	size_t i;
	json_t *p;
	json_array_foreach(tree, i, p) if (strcmp(json_string_value(json_object_get(p, "title")), title) == 0) return p;
	fail_msg("no project %s", title);
	return NULL;
}

static void project_tree__is_empty_without_projects(void **state)
{
	(void)state;
	heph_store *s = mem();
	json_decref(call_ok(s, "task.create", "{\"title\":\"unfiled\"}"));
	json_t *tree = call_ok(s, "project.list", NULL);
	assert_int_equal(json_array_size(tree), 0);
	json_decref(tree);
	heph_store_close(s);
}

static void project_tree__nests_and_counts(void **state)
{
	(void)state;
	heph_store *s = mem();
	char a[32], b[32], c[32], t[32], params[256];
	take_id(call_ok(s, "project.add", "{\"name\":\"A\"}"), a);
	take_id(call_ok(s, "project.add", "{\"name\":\"B\",\"parent\":\"A\"}"), b);
	take_id(call_ok(s, "project.add", "{\"name\":\"C\",\"parent\":\"B\"}"), c);
	json_decref(call_ok(s, "project.add", "{\"name\":\"Z\"}"));
	json_decref(call_ok(s, "task.create", "{\"title\":\"1\",\"project\":\"A\"}"));
	json_decref(call_ok(s, "task.create", "{\"title\":\"2\",\"project\":\"C\"}"));
	json_decref(call_ok(s, "task.create", "{\"title\":\"3\",\"project\":\"C\"}"));
	take_id(call_ok(s, "task.create", "{\"title\":\"4\",\"project\":\"B\"}"), t);
	snprintf(params, sizeof params, "{\"id\":\"%s\"}", t);
	json_decref(call_ok(s, "task.done", params));
	json_t *tree = call_ok(s, "project.list", NULL);
	assert_int_equal(json_array_size(tree), 4);
	const char *order[] = { "A", "B", "C", "Z" };
	const int depth[] = { 0, 1, 2, 0 }, own[] = { 1, 0, 2, 0 }, total[] = { 3, 2, 2, 0 };
	for (int i = 0; i < 4; i++) {
		json_t *p = json_array_get(tree, (size_t)i);
		assert_string_equal(json_string_value(json_object_get(p, "title")), order[i]);
		assert_int_equal(json_integer_value(json_object_get(p, "depth")), depth[i]);
		assert_int_equal(json_integer_value(json_object_get(p, "open_count")), own[i]);
		assert_int_equal(json_integer_value(json_object_get(p, "open_count_total")), total[i]);
	}
	assert_string_equal(json_string_value(json_object_get(find_project(tree, "C"), "parent_id")), b);
	json_decref(tree);
	/* a project cannot become its own ancestor */
	snprintf(params, sizeof params, "{\"src\":\"%s\",\"dst\":\"%s\",\"type\":\"parent\"}", a, c);
	call_fails(s, "link.add", params, HEPH_EINVALID);
	/* the subtree of B lists C's tasks too */
	json_t *l = rows_ok(s, "task.list", "{\"project\":\"B\"}");
	assert_int_equal(json_array_size(l), 2);
	json_decref(l);
	heph_store_close(s);
}

static void project_tree__survives_a_cycle_made_by_two_devices(void **state)
{
	(void)state;
	heph_store *s = mem();
	/* device a puts Q under P while device b puts P under Q */
	const char *ops[] = {
		"{\"op_id\":\"1\",\"hlc\":\"001795000000000-00000-aaaaaaaaaaaaaaaa\",\"origin\":\"aaaaaaaaaaaaaaaa\",\"type\":\"node.create\",\"payload\":{\"node_id\":\"01K00000000000000000000P01\",\"kind\":\"project\",\"title\":\"P\"}}",
		"{\"op_id\":\"2\",\"hlc\":\"001795000000000-00001-aaaaaaaaaaaaaaaa\",\"origin\":\"aaaaaaaaaaaaaaaa\",\"type\":\"node.create\",\"payload\":{\"node_id\":\"01K00000000000000000000Q01\",\"kind\":\"project\",\"title\":\"Q\"}}",
		"{\"op_id\":\"3\",\"hlc\":\"001795000000010-00000-aaaaaaaaaaaaaaaa\",\"origin\":\"aaaaaaaaaaaaaaaa\",\"type\":\"link.add\",\"payload\":{\"link_id\":\"01K00000000000000000000N01\",\"src\":\"01K00000000000000000000Q01\",\"dst\":\"01K00000000000000000000P01\",\"type\":\"parent\"}}",
		"{\"op_id\":\"4\",\"hlc\":\"001795000000011-00000-bbbbbbbbbbbbbbbb\",\"origin\":\"bbbbbbbbbbbbbbbb\",\"type\":\"link.add\",\"payload\":{\"link_id\":\"01K00000000000000000000N02\",\"src\":\"01K00000000000000000000P01\",\"dst\":\"01K00000000000000000000Q01\",\"type\":\"parent\"}}",
	};
	for (int i = 0; i < 4; i++) {
		heph_op op;
		assert_int_equal(heph_op_decode(ops[i], strlen(ops[i]), &op), 0);
		assert_int_equal(heph_store_apply(s, &op, NULL), 0);
		heph_op_clear(&op);
	}
	json_t *tree = call_ok(s, "project.list", NULL);
	assert_int_equal(json_array_size(tree), 2); /* both shown, once each */
	assert_int_equal(json_integer_value(json_object_get(json_array_get(tree, 0), "depth")), 0);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(tree, 1), "depth")), 1);
	json_decref(tree);
	heph_store_close(s);
}

static void conflicts__are_listed_and_resolved(void **state)
{
	(void)state;
	heph_store *s = mem();
	char id[32], params[256];
	take_id(call_ok(s, "task.create", "{\"title\":\"t\"}"), id);
	char created[HEPH_HLC_LEN + 1];
	heph__field_clock(s, id, "title", created);
	/* another device renamed it concurrently, and lost */
	char line[512];
	snprintf(line, sizeof line,
		 "{\"op_id\":\"remote\",\"hlc\":\"%.15s-00000-bbbbbbbbbbbbbbbb\",\"origin\":\"bbbbbbbbbbbbbbbb\","
		 "\"type\":\"node.set\",\"payload\":{\"node_id\":\"%s\",\"title\":\"theirs\",\"base\":{\"title\":\"%s\"}}}",
		 "001795000000001", id, created);
	snprintf(params, sizeof params, "{\"id\":\"%s\",\"title\":\"mine\"}", id);
	clk.now += 10;
	json_decref(call_ok(s, "task.edit", params));
	heph_op op;
	assert_int_equal(heph_op_decode(line, strlen(line), &op), 0);
	assert_int_equal(heph_store_apply(s, &op, NULL), 0);
	heph_op_clear(&op);
	json_t *c = call_ok(s, "conflicts.list", NULL);
	assert_int_equal(json_array_size(c), 1);
	json_t *one = json_array_get(c, 0);
	assert_string_equal(json_string_value(json_object_get(one, "current")), "mine");
	assert_string_equal(json_string_value(json_object_get(one, "other")), "theirs");
	assert_string_equal(json_string_value(json_object_get(one, "mine")), "current");
	long long cid = json_integer_value(json_object_get(one, "id"));
	json_decref(c);
	snprintf(params, sizeof params, "{\"id\":%lld,\"keep\":\"theirs\"}", cid);
	json_decref(call_ok(s, "conflicts.resolve", params));
	snprintf(params, sizeof params, "{\"id\":\"%s\"}", id);
	json_t *t = call_ok(s, "node.get", params);
	assert_string_equal(json_string_value(json_object_get(t, "title")), "theirs");
	json_decref(t);
	c = call_ok(s, "conflicts.list", NULL);
	assert_int_equal(json_array_size(c), 0);
	json_decref(c);
	call_fails(s, "conflicts.resolve", "{\"id\":999,\"keep\":\"mine\"}", HEPH_ENOTFOUND);
	call_fails(s, "conflicts.resolve", "{\"id\":1,\"keep\":\"both\"}", HEPH_EINVALID);
	heph_store_close(s);
}

static void rpc_handle__date_words_follow_the_callers_today_for_that_call_only(void **state)
{
	(void)state;
	heph_store *s = mem(); /* today is 2026-11-18 */
	json_t *r = handle(s, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"task.create\","
			      "\"params\":{\"title\":\"a\",\"do_date\":\"tomorrow\"},\"today\":\"2030-01-05\"},"
			      "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"task.create\",\"params\":{\"title\":\"b\",\"do_date\":\"tomorrow\"}},"
			      "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"task.create\","
			      "\"params\":{\"title\":\"c\"},\"today\":\"2030-02-30\"},"
			      "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"task.list\"}]");
	assert_int_equal(json_array_size(r), 4);
	assert_int_equal(error_code(json_array_get(r, 2)), -32602); /* not a real day: refused, nothing made */
	json_t *list = json_object_get(json_object_get(json_array_get(r, 3), "result"), "tasks");
	assert_int_equal(json_array_size(list), 2);
	int seen = 0;
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *t = json_array_get(list, i);
		const char *title = json_string_value(json_object_get(t, "title"));
		const char *d = json_string_value(json_object_get(t, "do_date"));
		if (strcmp(title, "a") == 0)
			assert_string_equal(d, "2030-01-06"), seen++;
		else
			assert_string_equal(d, "2026-11-19"), seen++;
	}
	assert_int_equal(seen, 2);
	assert_string_equal(heph_store_today(s), "2026-11-18");
	json_decref(r);
	heph_store_close(s);
}

static int extra_fn(heph_rpc_env *env, json_t *params, json_t **result)
{
	(void)env;
	(void)params;
	*result = json_pack("{s:s}", "from", "host");
	return 0;
}

static const heph_rpc_method extra[] = {
	{ "host.thing", HEPH_RPC_NO_PARAMS, "A method only a host carries", extra_fn, 0, NULL },
	{ NULL, NULL, NULL, NULL, 0, NULL },
};

static void rpc_extend__adds_a_hosts_methods_to_dispatch_and_the_list(void **state)
{
	(void)state;
	heph_store *s = mem();
	json_t *r = handle(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"host.thing\"}");
	assert_int_equal(error_code(r), -32601);
	json_decref(r);
	heph_rpc_extend(extra);
	r = handle(s, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"host.thing\"},"
			      "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"rpc.methods\"}]");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(r, 0), "result"), "from")), "host");
	json_t *list = json_object_get(json_array_get(r, 1), "result");
	const char *last = json_string_value(json_object_get(json_array_get(list, json_array_size(list) - 1), "name"));
	assert_string_equal(last, "host.thing");
	assert_ptr_equal(heph_rpc_find("host.thing"), &extra[0]);
	heph_rpc_extend(NULL);
	assert_null(heph_rpc_find("host.thing"));
	json_decref(r);
	heph_store_close(s);
}

static void methods__every_entry_is_complete(void **state)
{
	(void)state;
	int n = 0;
	for (const heph_rpc_method *m = heph_rpc_methods(); m->name; m++, n++) {
		assert_non_null(m->fn);
		assert_non_null(m->summary);
		assert_non_null(m->params);
		assert_ptr_equal(heph_rpc_find(m->name), m);
	}
	assert_true(n >= 15);
}

/* Call method with params (stolen) in env; the error code, the message in msg. */
static int call_env(heph_rpc_env *env, const char *method, json_t *params, char msg[256])
{
	json_t *r = NULL;
	int err = heph_rpc_call(env, method, params, &r);
	snprintf(msg, 256, "%s", err ? heph_error_last() : "");
	json_decref(params);
	json_decref(r);
	return err;
}

static long long task_count(heph_store *s)
{
	json_t *r = call_ok(s, "task.count", "{\"all\":true}");
	long long n = json_integer_value(json_object_get(r, "count"));
	json_decref(r);
	return n;
}

static void rpc_check__refuses_an_unknown_parameter_naming_the_nearest_known_one(void **state)
{
	(void)state;
	heph_store *s = mem();
	heph_rpc_env env = { .store = s };
	char msg[256];
	assert_int_equal(call_env(&env, "task.create", json_pack("{s:s, s:s}", "title", "x", "dodate", "fri"), msg),
			 HEPH_EINVALID);
	assert_non_null(strstr(msg, "\"dodate\""));
	assert_non_null(strstr(msg, "did you mean \"do_date\""));
	assert_int_equal(call_env(&env, "project.list", json_pack("{s:b}", "all", 1), msg), HEPH_EINVALID);
	assert_non_null(strstr(msg, "takes no parameters"));
	assert_int_equal(call_env(&env, "task.create", json_pack("[s]", "x"), msg), HEPH_EINVALID);
	assert_int_equal(task_count(s), 0);
	heph_store_close(s);
}

static void rpc_check__refuses_invalid_utf8_nul_and_control_characters_in_any_string(void **state)
{
	(void)state;
	heph_store *s = mem();
	heph_rpc_env env = { .store = s };
	char msg[256];
	/* not UTF-8: only an in-process caller can build such a string */
	json_t *p = json_pack("{s:o}", "title", json_stringn_nocheck("caf\xe9", 4));
	assert_int_equal(call_env(&env, "task.create", p, msg), HEPH_EINVALID);
	assert_non_null(strstr(msg, "not valid UTF-8"));
	p = json_pack("{s:s, s:o}", "title", "x", "body", json_stringn("a\0b", 3));
	assert_int_equal(call_env(&env, "task.create", p, msg), HEPH_EINVALID);
	assert_non_null(strstr(msg, "U+0000"));
	assert_int_equal(call_env(&env, "task.create", json_pack("{s:s}", "title", "red \x1b[31mtitle"), msg),
			 HEPH_EINVALID);
	assert_non_null(strstr(msg, "U+001B"));
	assert_int_equal(call_env(&env, "task.create", json_pack("{s:s}", "title", "two\nlines"), msg), HEPH_EINVALID);
	assert_non_null(strstr(msg, "one line"));
	assert_int_equal(call_env(&env, "task.create", json_pack("{s:s}", "title", "c1 \xc2\x9b here"), msg),
			 HEPH_EINVALID);
	assert_int_equal(call_env(&env, "task.create", json_pack("{s:s, s:s}", "title", "x", "body", "a\rb"), msg),
			 HEPH_EINVALID);
	assert_int_equal(call_env(&env, "task.create", json_pack("{s:s, s:[s,s]}", "title", "x", "tags", "ok", "b\ad"), msg),
			 HEPH_EINVALID);
	assert_non_null(strstr(msg, "\"tags\""));
	assert_int_equal(call_env(&env, "task.create", json_pack("{s:s, s:s}", "title", "x", "body", "ends\r"), msg),
			 HEPH_EINVALID);
	assert_int_equal(task_count(s), 0);
	/* multi-line text takes newlines, tabs and CRLF line endings */
	json_decref(call_ok(s, "task.create", "{\"title\":\"x\",\"body\":\"line 1\\n\\tline 2\\n\"}"));
	json_decref(call_ok(s, "task.create", "{\"title\":\"y\",\"body\":\"- [ ] one\\r\\n- [ ] two\\r\\n\"}"));
	assert_int_equal(task_count(s), 2);
	heph_store_close(s);
}

static void rpc_check__checks_types_ranges_enums_dates_and_required_parameters(void **state)
{
	(void)state;
	heph_store *s = mem();
	heph_rpc_env env = { .store = s };
	char msg[256];
	assert_int_equal(call_env(&env, "task.next", json_pack("{s:s}", "limit", "ten"), msg), HEPH_EINVALID);
	assert_int_equal(call_env(&env, "task.next", json_pack("{s:i}", "limit", 2000000), msg), HEPH_EINVALID);
	assert_non_null(strstr(msg, "from 0 to 1000000"));
	assert_int_equal(call_env(&env, "task.next", json_pack("{s:b}", "limit", 1), msg), HEPH_EINVALID);
	assert_int_equal(call_env(&env, "task.list", json_pack("{s:s}", "all", "yes"), msg), HEPH_EINVALID);
	assert_int_equal(call_env(&env, "conflicts.resolve", json_pack("{s:i, s:s}", "id", 1, "keep", "yours"), msg),
			 HEPH_EINVALID);
	assert_non_null(strstr(msg, "mine, theirs"));
	assert_int_equal(call_env(&env, "task.create", json_pack("{s:s, s:s}", "title", "x", "do_date", "2026-02-30"), msg),
			 HEPH_EINVALID);
	assert_non_null(strstr(msg, "do_date"));
	assert_int_equal(call_env(&env, "task.create", json_pack("{s:s, s:i}", "title", "x", "body", 3), msg), HEPH_EINVALID);
	assert_int_equal(call_env(&env, "task.create", json_pack("{s:s}", "attention", "red"), msg), HEPH_EINVALID);
	assert_non_null(strstr(msg, "missing parameter \"title\""));
	assert_int_equal(call_env(&env, "task.create", json_pack("{s:n}", "title"), msg), HEPH_EINVALID);
	assert_int_equal(call_env(&env, "node.get", json_pack("{s:s}", "id", ""), msg), HEPH_EINVALID);
	assert_int_equal(task_count(s), 0);
	/* numbers as text (command lines, forms), any case of a colour, null for an optional one */
	json_t *r = call_ok(s, "task.create", "{\"title\":\"x\",\"attention\":\"RED\",\"late_on\":null}");
	json_t *t = call_ok(s, "task.next", "{\"limit\":\"5\"}");
	assert_string_equal(json_string_value(json_object_get(json_array_get(t, 0), "attention")), "red");
	json_decref(t);
	json_decref(r);
	heph_store_close(s);
}

static void rpc_call__refuses_device_local_methods_to_remote_callers_and_hides_paths(void **state)
{
	(void)state;
	heph_store *s = mem();
	heph_rpc_env remote = { .store = s, .remote = 1 }, local = { .store = s };
	char msg[256];
	json_t *r = NULL;
	assert_int_equal(call_env(&remote, "hub.set", json_pack("{s:s, s:s}", "url", "http://evil.example",
								 "token_file", "/etc/passwd"), msg),
			 HEPH_EFORBIDDEN);
	assert_non_null(strstr(msg, "not callable remotely"));
	assert_int_equal(call_env(&remote, "sync.now", NULL, msg), HEPH_EFORBIDDEN);
	assert_int_equal(heph_rpc_call(&remote, "store.info", NULL, &r), 0);
	assert_null(json_object_get(r, "path"));
	assert_non_null(json_object_get(r, "origin"));
	json_decref(r);
	assert_int_equal(heph_rpc_call(&local, "store.info", NULL, &r), 0);
	assert_non_null(json_object_get(r, "path"));
	json_decref(r);
	assert_int_equal(call_env(&local, "hub.set", json_pack("{s:s}", "url", "http://hub.example:8080"), msg), 0);
	heph_store_close(s);
}

static void methods__every_parameter_has_a_type_a_help_and_a_unique_name(void **state)
{
	(void)state;
	for (const heph_rpc_method *m = heph_rpc_methods(); m->name; m++) {
		for (const heph_rpc_param *p = m->params; p->name; p++) {
			assert_true(p->type >= HEPH_RPC_LINE && p->type <= HEPH_RPC_CURSOR);
			assert_non_null(p->help);
			assert_true(p->help[0] != '\0');
			assert_true(p->type != HEPH_RPC_ENUM || (p->values && p->values[0]));
			assert_true(p->min <= p->max);
			for (const heph_rpc_param *q = p + 1; q->name; q++)
				assert_string_not_equal(p->name, q->name);
		}
		json_t *params = heph_rpc_params_json(m);
		char syn[512];
		heph_rpc_synopsis(m, syn, sizeof syn);
		assert_true(json_array_size(params) == 0 || syn[0] != '\0');
		json_decref(params);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rpc_handle__maps_errors_to_json_rpc_codes),
		cmocka_unit_test(rpc_handle__answers_batches_and_ignores_notifications),
		cmocka_unit_test(rpc_call__a_failed_write_changes_nothing),
		cmocka_unit_test(rpc_handle__date_words_follow_the_callers_today_for_that_call_only),
		cmocka_unit_test(rpc_extend__adds_a_hosts_methods_to_dispatch_and_the_list),
		cmocka_unit_test(resolve__takes_prefixes_names_and_explains_ambiguity),
		cmocka_unit_test(resolve__takes_the_handles_lists_show),
		cmocka_unit_test(project_tree__is_empty_without_projects),
		cmocka_unit_test(project_tree__nests_and_counts),
		cmocka_unit_test(project_tree__survives_a_cycle_made_by_two_devices),
		cmocka_unit_test(conflicts__are_listed_and_resolved),
		cmocka_unit_test(methods__every_entry_is_complete),
		cmocka_unit_test(rpc_check__refuses_an_unknown_parameter_naming_the_nearest_known_one),
		cmocka_unit_test(rpc_check__refuses_invalid_utf8_nul_and_control_characters_in_any_string),
		cmocka_unit_test(rpc_check__checks_types_ranges_enums_dates_and_required_parameters),
		cmocka_unit_test(rpc_call__refuses_device_local_methods_to_remote_callers_and_hides_paths),
		cmocka_unit_test(methods__every_parameter_has_a_type_a_help_and_a_unique_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
