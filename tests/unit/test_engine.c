/* test_engine.c — the merge engine: every op type, idempotence, conflicts,
 * the links OR-set, deferral, unknown types and fields, and order
 * independence, the last both from the merge cases in tests/data/merge
 * (replayed in many orders) and from random edits on three replicas. */
#include "helpers.h"

#include <dirent.h>

#include "../../src/lib/internal.h"

#ifndef MERGE_DIR
#define MERGE_DIR "tests/data/merge"
#endif

static struct fake_clock clk = { T0 };

/* ---- helpers ---- */

static heph_store *mem_store(void)
{
	return open_at(":memory:", &clk, "2026-11-18");
}

static json_t *parse(const char *line)
{
	json_error_t e;
	json_t *j = json_loads(line, 0, &e);
	if (!j)
		fail_msg("bad JSON in test data: %s", e.text);
	return j;
}

static int apply_json(heph_store *s, json_t *j, heph_op_status *st)
{
	heph_op op;
	int err = heph_op_from_json(j, &op);
	if (err)
		return err;
	err = heph_store_apply(s, &op, st);
	heph_op_clear(&op);
	return err;
}

static void apply_text(heph_store *s, const char *line)
{
	json_t *j = parse(line);
	if (apply_json(s, j, NULL))
		fail_msg("apply %s: %s", line, heph_error_last());
	json_decref(j);
}

static char *query_text(heph_store *s, const char *sql, const char *arg)
{
	sqlite3_stmt *st;
	char *out = NULL;
	assert_int_equal(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL), SQLITE_OK);
	if (arg)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		out = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

/* Assert that a query's text result equals want (NULL: SQL NULL). */
static void expect_text(heph_store *s, const char *sql, const char *arg, const char *want)
{
	char *got = query_text(s, sql, arg);
	if ((got == NULL) != (want == NULL) || (got && strcmp(got, want) != 0))
		fail_msg("%s [%s]: got %s, want %s", sql, arg ? arg : "", got ? got : "NULL", want ? want : "NULL");
	free(got);
}

static long long query_int(heph_store *s, const char *sql, const char *arg)
{
	char *t = query_text(s, sql, arg);
	long long v = t ? atoll(t) : -1;
	free(t);
	return v;
}

/* Collect every op of a store as JSON objects. */
static int collect(const heph_op *op, heph_op_status st, int64_t seq, void *ctx)
{
	(void)st;
	(void)seq;
	json_array_append_new(ctx, heph_op_to_json(op));
	return 0;
}

static json_t *all_ops(heph_store *s)
{
	json_t *arr = json_array();
	assert_int_equal(heph_store_ops_foreach(s, 0, 0, collect, arr), 0);
	return arr;
}

static void shuffle(json_t *arr, unsigned *seed)
{
	size_t n = json_array_size(arr);
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)rand_r(seed) % i;
		json_t *a = json_incref(json_array_get(arr, i - 1)), *b = json_incref(json_array_get(arr, j));
		json_array_set_new(arr, i - 1, b);
		json_array_set_new(arr, j, a);
	}
}

/* ---- op types through the RPC layer ---- */

static void task_create__makes_a_task_with_its_context_doc(void **state)
{
	(void)state;
	heph_store *s = mem_store();
	char id[32];
	take_id(call_ok(s, "task.create", "{\"title\":\"Buy milk\",\"attention\":\"orange\",\"do_date\":\"tomorrow\"}"), id);
	json_t *t;
	char params[128];
	snprintf(params, sizeof params, "{\"id\":\"%s\"}", id);
	t = call_ok(s, "node.get", params);
	assert_string_equal(json_string_value(json_object_get(t, "title")), "Buy milk");
	assert_string_equal(json_string_value(json_object_get(t, "attention")), "orange");
	assert_string_equal(json_string_value(json_object_get(t, "do_date")), "2026-11-19");
	assert_string_equal(json_string_value(json_object_get(t, "state")), "outstanding");
	const char *ctx = json_string_value(json_object_get(t, "context_id"));
	assert_non_null(ctx);
	expect_text(s, "SELECT kind FROM nodes WHERE id = ?1", ctx, "doc");
	assert_int_equal(query_int(s, "SELECT count(*) FROM links WHERE src = ?1 AND type = 'canonical-context'", id), 1);
	json_decref(t);
	heph_store_close(s);
}

static void every_op_type__applies(void **state)
{
	(void)state;
	heph_store *s = mem_store();
	char t[32], p[32], d[32], params[256];
	take_id(call_ok(s, "project.add", "{\"name\":\"Work\"}"), p);
	snprintf(params, sizeof params, "{\"title\":\"Report\",\"project\":\"%s\"}", p);
	take_id(call_ok(s, "task.create", params), t);
	take_id(call_ok(s, "doc.create", "{\"title\":\"Notes\",\"body\":\"hello\"}"), d);
	snprintf(params, sizeof params, "{\"id\":\"%s\",\"title\":\"Final report\",\"late_on\":\"2026-12-01\"}", t);
	json_decref(call_ok(s, "task.edit", params));
	snprintf(params, sizeof params, "{\"src\":\"%s\",\"dst\":\"%s\",\"type\":\"see-also\"}", t, d);
	json_decref(call_ok(s, "link.add", params));
	json_decref(call_ok(s, "link.remove", params));
	snprintf(params, sizeof params, "{\"id\":\"%s\"}", d);
	json_decref(call_ok(s, "node.remove", params));
	const char *types[] = { "node.create", "node.set", "node.tombstone", "task.create", "task.set", "link.add",
				"link.remove" };
	for (size_t i = 0; i < 7; i++)
		assert_true(query_int(s, "SELECT count(*) FROM oplog WHERE type = ?1 AND status = 0", types[i]) >= 1);
	expect_text(s, "SELECT title FROM nodes WHERE id = ?1", t, "Final report");
	expect_text(s, "SELECT late_on FROM tasks WHERE node_id = ?1", t, "2026-12-01");
	expect_text(s, "SELECT project_id FROM tasks WHERE node_id = ?1", t, p);
	assert_int_equal(query_int(s, "SELECT tombstone_hlc IS NOT NULL FROM nodes WHERE id = ?1", d), 1);
	assert_int_equal(query_int(s, "SELECT count(*) FROM links WHERE type = 'see-also'", NULL), 0);
	heph_store_close(s);
}

static void apply__is_idempotent(void **state)
{
	(void)state;
	heph_store *a = mem_store(), *b = mem_store();
	json_decref(call_ok(a, "task.create", "{\"title\":\"x\"}"));
	json_decref(call_ok(a, "project.add", "{\"name\":\"P\"}"));
	json_t *ops = all_ops(a), *op;
	size_t i;
	for (int round = 0; round < 3; round++)
		json_array_foreach(ops, i, op) {
			heph_op_status st;
			assert_int_equal(apply_json(b, op, &st), 0);
			assert_int_equal(st, round == 0 ? HEPH_OP_APPLIED : HEPH_OP_DUPLICATE);
		}
	assert_same_digest(a, b);
	assert_int_equal(query_int(b, "SELECT count(*) FROM oplog", NULL), (long long)json_array_size(ops));
	json_decref(ops);
	heph_store_close(a);
	heph_store_close(b);
}

static void apply__defers_an_op_until_its_node_arrives(void **state)
{
	(void)state;
	heph_store *s = mem_store();
	const char *set = "{\"op_id\":\"op-set\",\"hlc\":\"001795000000010-00000-bbbbbbbbbbbbbbbb\","
			  "\"origin\":\"bbbbbbbbbbbbbbbb\",\"type\":\"task.set\",\"payload\":{\"node_id\":"
			  "\"01K00000000000000000000T01\",\"state\":\"done\"}}";
	const char *create = "{\"op_id\":\"op-create\",\"hlc\":\"001795000000000-00000-aaaaaaaaaaaaaaaa\","
			     "\"origin\":\"aaaaaaaaaaaaaaaa\",\"type\":\"task.create\",\"payload\":{\"node_id\":"
			     "\"01K00000000000000000000T01\",\"title\":\"t\"}}";
	json_t *j = parse(set);
	heph_op_status st;
	assert_int_equal(apply_json(s, j, &st), 0);
	assert_int_equal(st, HEPH_OP_DEFERRED);
	json_decref(j);
	assert_int_equal(query_int(s, "SELECT status FROM oplog WHERE op_id = 'op-set'", NULL), HEPH_OP_DEFERRED);
	apply_text(s, create);
	assert_int_equal(query_int(s, "SELECT status FROM oplog WHERE op_id = 'op-set'", NULL), HEPH_OP_APPLIED);
	expect_text(s, "SELECT state FROM tasks WHERE node_id = '01K00000000000000000000T01'", NULL, "done");
	assert_int_equal(query_int(s, "SELECT count(*) FROM deferred", NULL), 0);
	heph_store_close(s);
}

static void apply__refuses_invalid_ops_and_changes_nothing(void **state)
{
	(void)state;
	heph_store *s = mem_store();
	char *before = digest_of(s);
	const char *bad[] = {
		"not json",
		"{\"op_id\":\"x\"}",
		"{\"op_id\":\"x\",\"hlc\":\"nonsense\",\"origin\":\"aaaaaaaaaaaaaaaa\",\"type\":\"task.set\",\"payload\":{}}",
		/* origin differs from the HLC's */
		"{\"op_id\":\"x\",\"hlc\":\"001795000000000-00000-aaaaaaaaaaaaaaaa\",\"origin\":\"bbbbbbbbbbbbbbbb\","
		"\"type\":\"task.create\",\"payload\":{\"node_id\":\"01K00000000000000000000T01\"}}",
		/* bad attention colour */
		"{\"op_id\":\"x\",\"hlc\":\"001795000000000-00000-aaaaaaaaaaaaaaaa\",\"origin\":\"aaaaaaaaaaaaaaaa\","
		"\"type\":\"task.create\",\"payload\":{\"node_id\":\"01K00000000000000000000T01\",\"attention\":\"purple\"}}",
		/* bad date */
		"{\"op_id\":\"x\",\"hlc\":\"001795000000000-00000-aaaaaaaaaaaaaaaa\",\"origin\":\"aaaaaaaaaaaaaaaa\","
		"\"type\":\"task.create\",\"payload\":{\"node_id\":\"01K00000000000000000000T01\",\"do_date\":\"2026-02-30\"}}",
		/* node id that is not a ULID */
		"{\"op_id\":\"x\",\"hlc\":\"001795000000000-00000-aaaaaaaaaaaaaaaa\",\"origin\":\"aaaaaaaaaaaaaaaa\","
		"\"type\":\"node.tombstone\",\"payload\":{\"node_id\":\"hello\"}}",
		/* payload not an object */
		"{\"op_id\":\"x\",\"hlc\":\"001795000000000-00000-aaaaaaaaaaaaaaaa\",\"origin\":\"aaaaaaaaaaaaaaaa\","
		"\"type\":\"node.tombstone\",\"payload\":[]}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		heph_op op;
		assert_int_equal(heph_op_decode(bad[i], strlen(bad[i]), &op), HEPH_EINVALID);
	}
	/* an op from a clock 11 minutes ahead is refused at apply time */
	char far[512];
	snprintf(far, sizeof far,
		 "{\"op_id\":\"x\",\"hlc\":\"%015lld-00000-aaaaaaaaaaaaaaaa\",\"origin\":\"aaaaaaaaaaaaaaaa\","
		 "\"type\":\"task.create\",\"payload\":{\"node_id\":\"01K00000000000000000000T01\"}}",
		 (long long)(T0 + 11 * 60 * 1000));
	json_t *j = parse(far);
	assert_int_equal(apply_json(s, j, NULL), HEPH_EFUTURE);
	json_decref(j);
	char *after = digest_of(s);
	assert_string_equal(before, after);
	assert_int_equal(query_int(s, "SELECT count(*) FROM oplog", NULL), 0);
	free(before);
	free(after);
	heph_store_close(s);
}

static void apply__stores_unknown_types_and_replays_them_after_an_upgrade(void **state)
{
	(void)state;
	char *path = temp_db();
	heph_store *s = open_at(path, &clk, NULL);
	apply_text(s, "{\"op_id\":\"c\",\"hlc\":\"001795000000000-00000-aaaaaaaaaaaaaaaa\",\"origin\":\"aaaaaaaaaaaaaaaa\","
		      "\"type\":\"task.create\",\"payload\":{\"node_id\":\"01K00000000000000000000T01\",\"title\":\"t\"}}");
	heph_op_status st;
	json_t *j = parse("{\"op_id\":\"u\",\"hlc\":\"001795000000005-00000-bbbbbbbbbbbbbbbb\",\"origin\":\"bbbbbbbbbbbbbbbb\","
			  "\"type\":\"task.snooze\",\"payload\":{\"node_id\":\"01K00000000000000000000T01\",\"days\":3}}");
	assert_int_equal(apply_json(s, j, &st), 0);
	json_decref(j);
	assert_int_equal(st, HEPH_OP_UNKNOWN);
	char *p = query_text(s, "SELECT payload FROM oplog WHERE op_id = 'u'", NULL);
	assert_non_null(strstr(p, "\"days\":3")); /* kept whole for a later version */
	free(p);
	/* An older version stored a task.set it did not know: status unknown.
	 * This version knows task.set, so opening the database applies it. */
	sqlite3_exec(s->db,
		     "INSERT INTO oplog(op_id, hlc, origin, type, payload, status, local) VALUES('old', "
		     "'001795000000009-00000-bbbbbbbbbbbbbbbb', 'bbbbbbbbbbbbbbbb', 'task.set', "
		     "'{\"node_id\":\"01K00000000000000000000T01\",\"attention\":\"red\"}', 2, 0)",
		     NULL, NULL, NULL);
	expect_text(s, "SELECT attention FROM tasks", NULL, "white");
	heph_store_close(s);
	s = open_at(path, &clk, NULL);
	expect_text(s, "SELECT attention FROM tasks", NULL, "red");
	assert_int_equal(query_int(s, "SELECT status FROM oplog WHERE op_id = 'old'", NULL), HEPH_OP_APPLIED);
	assert_int_equal(query_int(s, "SELECT status FROM oplog WHERE op_id = 'u'", NULL), HEPH_OP_UNKNOWN);
	heph_store_close(s);
	drop_db(path);
}

static void apply__absorbs_remote_clocks(void **state)
{
	(void)state;
	heph_store *s = mem_store();
	char remote[] = "001795000000000-00000-bbbbbbbbbbbbbbbb";
	snprintf(remote, sizeof remote, "%015lld-00042-bbbbbbbbbbbbbbbb", (long long)(T0 + 5 * 60 * 1000));
	char line[512];
	snprintf(line, sizeof line,
		 "{\"op_id\":\"r\",\"hlc\":\"%s\",\"origin\":\"bbbbbbbbbbbbbbbb\",\"type\":\"task.create\","
		 "\"payload\":{\"node_id\":\"01K00000000000000000000T01\",\"title\":\"t\"}}",
		 remote);
	apply_text(s, line);
	json_decref(call_ok(s, "task.create", "{\"title\":\"local\"}"));
	char *mine = query_text(s, "SELECT max(hlc) FROM oplog WHERE local = 1", NULL);
	assert_true(strcmp(mine, remote) > 0); /* the local op is after the remote one */
	free(mine);
	heph_store_close(s);
}

/* ---- merge cases as data, replayed in many orders ---- */

static void check_expectation(heph_store *s, json_t *e, const char *file)
{
	const char *kind = json_string_value(json_object_get(e, "expect"));
	const char *id = json_string_value(json_object_get(e, "node_id"));
	const char *k;
	json_t *v;
	if (strcmp(kind, "conflicts") == 0) {
		/* "count" (all, settled too) and "open", each when given: which
		 * losers a replica records can depend on the arrival order */
		long long n = query_int(s, "SELECT count(*) FROM conflicts", NULL);
		if (json_object_get(e, "count") && n != json_integer_value(json_object_get(e, "count")))
			fail_msg("%s: %lld conflicts, want %lld", file, n, (long long)json_integer_value(json_object_get(e, "count")));
		if (json_object_get(e, "open") &&
		    (n = query_int(s, "SELECT count(*) FROM conflicts WHERE resolved = 0", NULL)) !=
			    json_integer_value(json_object_get(e, "open")))
			fail_msg("%s: %lld open conflicts, want %lld", file, n,
				 (long long)json_integer_value(json_object_get(e, "open")));
		return;
	}
	if (strcmp(kind, "status") == 0) {
		char sql[256];
		snprintf(sql, sizeof sql, "SELECT status FROM oplog WHERE type = ?1");
		long long st = query_int(s, sql, json_string_value(json_object_get(e, "type")));
		if (st != HEPH_OP_UNKNOWN)
			fail_msg("%s: status %lld", file, st);
		return;
	}
	if (strcmp(kind, "links") == 0) {
		json_t *want = json_object_get(e, "ids");
		sqlite3_stmt *st;
		sqlite3_prepare_v2(s->db, "SELECT id FROM links WHERE src = ?1 AND type = ?2 ORDER BY id", -1, &st, NULL);
		sqlite3_bind_text(st, 1, json_string_value(json_object_get(e, "src")), -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, json_string_value(json_object_get(e, "type")), -1, SQLITE_TRANSIENT);
		size_t n = 0;
		while (sqlite3_step(st) == SQLITE_ROW) {
			if (n >= json_array_size(want) ||
			    strcmp((const char *)sqlite3_column_text(st, 0), json_string_value(json_array_get(want, n))) != 0)
				fail_msg("%s: unexpected link %s", file, sqlite3_column_text(st, 0));
			n++;
		}
		sqlite3_finalize(st);
		if (n != json_array_size(want))
			fail_msg("%s: %zu links, want %zu", file, n, json_array_size(want));
		return;
	}
	json_object_foreach(e, k, v) {
		char sql[256];
		if (strcmp(k, "expect") == 0 || strcmp(k, "node_id") == 0)
			continue;
		if (strcmp(k, "deleted") == 0)
			snprintf(sql, sizeof sql, "SELECT tombstone_hlc IS NOT NULL FROM nodes WHERE id = ?1");
		else if (strcmp(kind, "task") == 0)
			snprintf(sql, sizeof sql, "SELECT %s FROM tasks WHERE node_id = ?1", k);
		else
			snprintf(sql, sizeof sql, "SELECT %s FROM nodes WHERE id = ?1", k);
		char *got = query_text(s, sql, id);
		const char *want = json_is_boolean(v) ? (json_is_true(v) ? "1" : "0") : json_string_value(v);
		if ((got == NULL) != (want == NULL) || (got && strcmp(got, want) != 0))
			fail_msg("%s: %s.%s is %s, want %s", file, id, k, got ? got : "NULL", want ? want : "NULL");
		free(got);
	}
}

static void run_case(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *first = NULL;
	size_t cap = 0;
	json_t *ops = json_array(), *expects = json_array();
	assert_non_null(f);
	while (getline(&line, &cap, f) > 0) {
		json_t *j = parse(line);
		json_array_append_new(json_object_get(j, "expect") ? expects : ops, j);
	}
	free(line);
	fclose(f);
	unsigned seed = 7;
	for (int order = 0; order < 60; order++) {
		json_t *perm = json_copy(ops), *op;
		size_t i;
		if (order > 0)
			shuffle(perm, &seed);
		heph_store *s = mem_store();
		if (order % 2 == 0) {
			/* deliver each op once, and some twice */
			json_array_foreach(perm, i, op) {
				if (apply_json(s, op, NULL))
					fail_msg("%s: %s", path, heph_error_last());
				if (rand_r(&seed) % 4 == 0 && apply_json(s, op, NULL))
					fail_msg("%s: %s", path, heph_error_last());
			}
		} else {
			/* or all as one batch, as `heph apply` and a pull page take
			 * them: the state must be the same to the bit */
			char *text = NULL;
			size_t len = 0;
			FILE *w = open_memstream(&text, &len);
			json_array_foreach(perm, i, op) {
				json_dumpf(op, w, JSON_COMPACT);
				fputc('\n', w);
			}
			fclose(w);
			FILE *in = fmemopen(text, len, "r");
			if (heph_store_apply_stream(s, in, NULL))
				fail_msg("%s: as one batch: %s", path, heph_error_last());
			fclose(in);
			free(text);
		}
		json_array_foreach(expects, i, op) check_expectation(s, op, path);
		char *d = digest_of(s);
		if (!first)
			first = d;
		else {
			if (strcmp(first, d) != 0)
				fail_msg("%s: order %d gives another digest", path, order);
			free(d);
		}
		assert_int_equal(query_int(s, "SELECT count(*) FROM deferred", NULL), 0);
		heph_store_close(s);
		json_decref(perm);
	}
	free(first);
	json_decref(ops);
	json_decref(expects);
}

static void merge_cases__converge_in_every_order(void **state)
{
	(void)state;
	DIR *d = opendir(MERGE_DIR);
	struct dirent *e;
	int n = 0;
	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[1024];
		if (!strstr(e->d_name, ".jsonl"))
			continue;
		snprintf(path, sizeof path, "%s/%s", MERGE_DIR, e->d_name);
		run_case(path);
		n++;
	}
	closedir(d);
	assert_true(n >= 8);
}

/* ---- random edits on three replicas ---- */

static void random_edit(heph_store *s, unsigned *seed, json_t *shared_ids)
{
	char params[512];
	size_t n = json_array_size(shared_ids);
	const char *id = n ? json_string_value(json_array_get(shared_ids, (size_t)rand_r(seed) % n)) : NULL;
	static const char *const atts[] = { "red", "orange", "white", "blue" };
	static const char *const dates[] = { "2026-11-20", "2026-12-01", "none", "tomorrow" };
	int what = id ? rand_r(seed) % 6 : 0;
	heph_rpc_env env = { .store = s };
	json_t *r = NULL;
	switch (what) {
	case 0:
		snprintf(params, sizeof params, "{\"title\":\"task %d\"}", rand_r(seed) % 1000);
		break;
	case 1:
		snprintf(params, sizeof params, "{\"id\":\"%s\",\"title\":\"renamed %d\"}", id, rand_r(seed) % 1000);
		break;
	case 2:
		snprintf(params, sizeof params, "{\"id\":\"%s\",\"attention\":\"%s\",\"do_date\":\"%s\"}", id,
			 atts[rand_r(seed) % 4], dates[rand_r(seed) % 4]);
		break;
	case 3:
		snprintf(params, sizeof params, "{\"id\":\"%s\"}", id);
		break;
	case 4: {
		const char *other = json_string_value(json_array_get(shared_ids, (size_t)rand_r(seed) % n));
		snprintf(params, sizeof params, "{\"src\":\"%s\",\"dst\":\"%s\",\"type\":\"related\"}", id, other);
		break;
	}
	default: {
		const char *other = json_string_value(json_array_get(shared_ids, (size_t)rand_r(seed) % n));
		snprintf(params, sizeof params, "{\"src\":\"%s\",\"dst\":\"%s\",\"type\":\"related\"}", id, other);
		break;
	}
	}
	static const char *const methods[] = { "task.create", "task.edit", "task.edit", "task.done", "link.add",
					       "link.remove" };
	json_t *p = json_loads(params, 0, NULL);
	/* some edits are refused (a done task, a missing link): that is fine */
	if (heph_rpc_call(&env, methods[what], p, &r) == 0 && what == 0)
		json_array_append_new(shared_ids, json_string(json_string_value(json_object_get(r, "node_id"))));
	json_decref(p);
	json_decref(r);
}

static void three_replicas__converge_whatever_the_delivery_order(void **state)
{
	(void)state;
	unsigned seed = 12345;
	heph_store *rep[3] = { mem_store(), mem_store(), mem_store() };
	json_t *ids[3] = { json_array(), json_array(), json_array() };
	/* a shared start: replica 0 makes tasks, everyone receives them */
	for (int i = 0; i < 5; i++)
		random_edit(rep[0], &seed, ids[0]);
	json_t *start = all_ops(rep[0]), *op;
	size_t i;
	for (int r = 1; r < 3; r++) {
		json_array_foreach(start, i, op) assert_int_equal(apply_json(rep[r], op, NULL), 0);
		json_array_extend(ids[r], ids[0]);
	}
	json_decref(start);
	/* concurrent edits, offline */
	for (int round = 0; round < 40; round++) {
		int r = rand_r(&seed) % 3;
		clk.now += rand_r(&seed) % 3;
		random_edit(rep[r], &seed, ids[r]);
	}
	/* the union of all ops, delivered in random orders to fresh replicas */
	json_t *every = json_array();
	for (int r = 0; r < 3; r++) {
		json_t *o = all_ops(rep[r]);
		json_array_extend(every, o);
		json_decref(o);
	}
	char *first = NULL;
	for (int order = 0; order < 20; order++) {
		json_t *perm = json_copy(every);
		shuffle(perm, &seed);
		heph_store *s = mem_store();
		json_array_foreach(perm, i, op) assert_int_equal(apply_json(s, op, NULL), 0);
		char *d = digest_of(s);
		if (!first)
			first = d;
		else {
			assert_string_equal(first, d);
			free(d);
		}
		heph_store_close(s);
		json_decref(perm);
	}
	/* and each original replica, after receiving everything, agrees too */
	for (int r = 0; r < 3; r++) {
		json_array_foreach(every, i, op) assert_int_equal(apply_json(rep[r], op, NULL), 0);
		char *d = digest_of(rep[r]);
		assert_string_equal(first, d);
		free(d);
		heph_store_close(rep[r]);
		json_decref(ids[r]);
	}
	free(first);
	json_decref(every);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(task_create__makes_a_task_with_its_context_doc),
		cmocka_unit_test(every_op_type__applies),
		cmocka_unit_test(apply__is_idempotent),
		cmocka_unit_test(apply__defers_an_op_until_its_node_arrives),
		cmocka_unit_test(apply__refuses_invalid_ops_and_changes_nothing),
		cmocka_unit_test(apply__stores_unknown_types_and_replays_them_after_an_upgrade),
		cmocka_unit_test(apply__absorbs_remote_clocks),
		cmocka_unit_test(merge_cases__converge_in_every_order),
		cmocka_unit_test(three_replicas__converge_whatever_the_delivery_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
