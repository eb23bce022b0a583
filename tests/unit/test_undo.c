/* test_undo.c — undo: each kind of op is compensated, changes are undone
 * last first and once, a value changed since on another device is left
 * alone, a dry run changes nothing, and an undo made after a merge reaches
 * the other replica. */
#include "helpers.h"

#include "../../src/lib/rpc_internal.h"

static struct fake_clock clk = { T0 };

static heph_store *mem(void) { return open_at(":memory:", &clk, "2026-11-18"); }

static char *field(heph_store *s, const char *id, const char *key)
{
	char params[64];
	snprintf(params, sizeof params, "{\"id\":\"%s\"}", id);
	json_t *r = call_ok(s, "node.get", params), *v = json_object_get(r, key);
	char *out = strdup(json_is_string(v) ? json_string_value(v) : json_is_true(v) ? "true" : json_is_false(v) ? "false" : "null");
	json_decref(r);
	return out;
}

static void expect_field(heph_store *s, const char *id, const char *key, const char *want)
{
	char *got = field(s, id, key);
	if (strcmp(got, want) != 0)
		fail_msg("%s of %s: got [%s], want [%s]", key, id, got, want);
	free(got);
}

static int deleted(heph_store *s, const char *id)
{
	sqlite3_stmt *st;
	int dead = -1;
	sqlite3_prepare_v2(s->db, "SELECT tombstone_hlc IS NOT NULL FROM nodes WHERE id = ?1", -1, &st, NULL);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		dead = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return dead;
}

static json_t *undo(heph_store *s) { return call_ok(s, "undo", NULL); }

static void undo_ok(heph_store *s)
{
	json_t *r = undo(s);
	if (!json_is_true(json_object_get(r, "undone")))
		fail_msg("undo reversed nothing");
	json_decref(r);
}

static void undo__reverses_sets_and_creates_last_change_first(void **state)
{
	(void)state;
	heph_store *s = mem();
	char t[32], params[256];
	take_id(call_ok(s, "task.create", "{\"title\":\"Buy milk\",\"attention\":\"orange\"}"), t);
	snprintf(params, sizeof params, "{\"id\":\"%s\",\"title\":\"Buy oat milk\",\"attention\":\"red\",\"do_date\":\"tomorrow\"}", t);
	json_decref(call_ok(s, "task.edit", params));
	snprintf(params, sizeof params, "{\"id\":\"%s\"}", t);
	json_decref(call_ok(s, "task.done", params));

	undo_ok(s);
	expect_field(s, t, "state", "outstanding");
	expect_field(s, t, "title", "Buy oat milk");
	undo_ok(s);
	expect_field(s, t, "title", "Buy milk");
	expect_field(s, t, "attention", "orange");
	expect_field(s, t, "do_date", "null");
	undo_ok(s);
	assert_int_equal(deleted(s, t), 1);
	call_fails(s, "undo", NULL, HEPH_ENOTFOUND);
	heph_store_close(s);
}

static void undo__puts_a_moved_task_back_and_brings_back_a_deleted_one_as_a_copy(void **state)
{
	(void)state;
	heph_store *s = mem();
	char a[32], b[32], t[32], params[256];
	take_id(call_ok(s, "project.add", "{\"name\":\"A\"}"), a);
	take_id(call_ok(s, "project.add", "{\"name\":\"B\"}"), b);
	take_id(call_ok(s, "task.create", "{\"title\":\"Move me\",\"project\":\"A\",\"tags\":[\"x\"],\"late_on\":\"2026-12-01\"}"), t);
	snprintf(params, sizeof params, "{\"id\":\"%s\",\"project\":\"B\"}", t);
	json_decref(call_ok(s, "task.edit", params));
	expect_field(s, t, "project_id", b);
	undo_ok(s);
	expect_field(s, t, "project_id", a);

	snprintf(params, sizeof params, "{\"id\":\"%s\"}", t);
	json_decref(call_ok(s, "node.remove", params));
	json_t *r = undo(s);
	const char *copy = json_string_value(json_object_get(json_array_get(json_object_get(r, "actions"), 0), "node_id"));
	char c[32];
	snprintf(c, sizeof c, "%s", copy);
	json_decref(r);
	assert_string_not_equal(c, t);
	assert_int_equal(deleted(s, c), 0);
	expect_field(s, c, "title", "Move me");
	expect_field(s, c, "project_id", a);
	expect_field(s, c, "late_on", "2026-12-01");
	sqlite3_stmt *st;
	sqlite3_prepare_v2(s->db, "SELECT context_id FROM tasks WHERE node_id = ?1", -1, &st, NULL);
	sqlite3_bind_text(st, 1, t, -1, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	expect_field(s, c, "context_id", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	snprintf(params, sizeof params, "{\"id\":\"%s\"}", c);
	r = call_ok(s, "node.get", params);
	assert_string_equal(json_string_value(json_array_get(json_object_get(r, "tags"), 0)), "x");
	json_decref(r);

	/* a deleted project comes back with its tasks */
	snprintf(params, sizeof params, "{\"id\":\"%s\"}", a);
	json_decref(call_ok(s, "node.remove", params));
	r = undo(s);
	char a2[32];
	snprintf(a2, sizeof a2, "%s",
		 json_string_value(json_object_get(json_array_get(json_object_get(r, "actions"), 0), "node_id")));
	json_decref(r);
	expect_field(s, c, "project_id", a2);
	heph_store_close(s);
}

static void undo__restores_a_body_and_its_links(void **state)
{
	(void)state;
	heph_store *s = mem();
	char x[32], d[32], params[256];
	take_id(call_ok(s, "doc.create", "{\"title\":\"X\"}"), x);
	snprintf(params, sizeof params, "{\"title\":\"D\",\"body\":\"see [[%s]] #old\"}", x);
	take_id(call_ok(s, "doc.create", params), d);
	snprintf(params, sizeof params, "{\"id\":\"%s\",\"body\":\"nothing #new\"}", d);
	json_decref(call_ok(s, "doc.edit", params));
	undo_ok(s);
	char *body = field(s, d, "body");
	char want[128];
	snprintf(want, sizeof want, "see [[%s]] #old", x);
	assert_string_equal(body, want);
	free(body);
	snprintf(params, sizeof params, "{\"id\":\"%s\"}", d);
	json_t *r = call_ok(s, "node.get", params);
	assert_int_equal(json_array_size(json_object_get(r, "tags")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(r, "tags"), 0)), "old");
	size_t i, wiki = 0;
	json_t *l;
	json_array_foreach(json_object_get(r, "links"), i, l) wiki += strcmp(json_string_value(json_object_get(l, "type")), "wiki") == 0;
	assert_int_equal(wiki, 1);
	json_decref(r);
	heph_store_close(s);
}

static int copy_op(const heph_op *op, heph_op_status st, int64_t seq, void *ctx)
{
	(void)st;
	(void)seq;
	return heph_store_apply(ctx, op, NULL);
}

static void undo__after_a_merge_reaches_the_other_replica(void **state)
{
	(void)state;
	heph_store *a = mem(), *b = mem();
	char t[32], params[256];
	take_id(call_ok(a, "task.create", "{\"title\":\"Shared\"}"), t);
	snprintf(params, sizeof params, "{\"id\":\"%s\",\"title\":\"Renamed on A\",\"attention\":\"red\"}", t);
	json_decref(call_ok(a, "task.edit", params));
	assert_int_equal(heph_store_ops_foreach(a, 0, 0, copy_op, b), 0);
	/* B changes the attention afterwards; A's undo must leave that alone */
	clk.now += 1000;
	snprintf(params, sizeof params, "{\"id\":\"%s\",\"attention\":\"blue\"}", t);
	json_decref(call_ok(b, "task.edit", params));
	assert_int_equal(heph_store_ops_foreach(b, 0, 0, copy_op, a), 0);
	clk.now += 1000;
	json_t *r = undo(a);
	assert_true(json_is_true(json_object_get(r, "undone")));
	int skipped = 0;
	size_t i;
	json_t *act;
	json_array_foreach(json_object_get(r, "actions"), i, act) if (json_object_get(act, "skipped")) {
		skipped++;
		assert_string_equal(json_string_value(json_object_get(act, "skipped")), "changed since on another device");
	}
	assert_int_equal(skipped, 1);
	json_decref(r);
	assert_int_equal(heph_store_ops_foreach(a, 0, 0, copy_op, b), 0);
	expect_field(b, t, "title", "Shared");
	expect_field(b, t, "attention", "blue");
	assert_same_digest(a, b);
	/* changes merged from elsewhere are not this device's to undo */
	r = call_ok(b, "undo.list", NULL);
	assert_int_equal(json_array_size(json_object_get(r, "changes")), 1);
	json_decref(r);
	heph_store_close(a);
	heph_store_close(b);
}

static void undo__dry_run_and_list_change_nothing(void **state)
{
	(void)state;
	heph_store *s = mem();
	char t[32];
	take_id(call_ok(s, "task.create", "{\"title\":\"Keep\"}"), t);
	char *before = digest_of(s);
	json_t *r = call_ok(s, "undo", "{\"dry_run\":true}");
	assert_false(json_is_true(json_object_get(r, "undone")));
	assert_true(json_array_size(json_object_get(r, "actions")) >= 2);
	json_decref(r);
	r = call_ok(s, "undo.list", NULL);
	assert_int_equal(json_array_size(json_object_get(r, "changes")), 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(r, "next"), "change"), "method")),
			    "task.create");
	json_decref(r);
	char *after = digest_of(s);
	assert_string_equal(before, after);
	free(before);
	free(after);
	heph_store_close(s);
}

static void undo__marks_a_change_with_nothing_left_and_moves_on(void **state)
{
	(void)state;
	heph_store *s = mem(), *other = mem();
	char t[32], params[256];
	take_id(call_ok(s, "task.create", "{\"title\":\"One\"}"), t);
	snprintf(params, sizeof params, "{\"id\":\"%s\",\"title\":\"Two\"}", t);
	json_decref(call_ok(s, "task.edit", params));
	/* another device renames it later: the edit has nothing left to undo */
	assert_int_equal(heph_store_ops_foreach(s, 0, 0, copy_op, other), 0);
	clk.now += 1000;
	snprintf(params, sizeof params, "{\"id\":\"%s\",\"title\":\"Three\"}", t);
	json_decref(call_ok(other, "task.edit", params));
	assert_int_equal(heph_store_ops_foreach(other, 0, 0, copy_op, s), 0);
	json_t *r = undo(s);
	assert_false(json_is_true(json_object_get(r, "undone")));
	json_decref(r);
	expect_field(s, t, "title", "Three");
	/* the next undo goes on to the creation */
	undo_ok(s);
	assert_int_equal(deleted(s, t), 1);
	heph_store_close(s);
	heph_store_close(other);
}

static void undo__empties_a_log_doc_made_for_an_existing_task_rather_than_deleting_it(void **state)
{
	(void)state;
	heph_store *s = mem();
	char t[32], log[HEPH_ID_LEN + 1];
	take_id(call_ok(s, "task.create", "{\"title\":\"Water plants\"}"), t);
	/* what appending to a task's log for the first time does: a doc with
	 * an id derived from the task's, linked to it by log-of */
	assert_int_equal(heph_store_begin(s), 0);
	heph_id_hashed(T0, "log of the task", log);
	assert_int_equal(heph__node_create(s, log, "doc", "Water plants (log)", "- 2026-11-18: done\n", NULL), 0);
	assert_int_equal(heph__link_add(s, log, t, "log-of", NULL), 0);
	assert_int_equal(heph__undo_record(s, "log.append"), 0);
	assert_int_equal(heph_store_commit(s), 0);
	undo_ok(s);
	assert_int_equal(deleted(s, log), 0);
	expect_field(s, log, "body", "");
	/* the link stays, so the task's next entry goes to the same doc */
	char params[64];
	snprintf(params, sizeof params, "{\"id\":\"%s\"}", t);
	json_t *r = call_ok(s, "link.backlinks", params);
	size_t i, logs = 0;
	json_t *l;
	json_array_foreach(r, i, l) logs += strcmp(json_string_value(json_object_get(l, "type")), "log-of") == 0;
	assert_int_equal(logs, 1);
	json_decref(r);
	heph_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(undo__reverses_sets_and_creates_last_change_first),
		cmocka_unit_test(undo__puts_a_moved_task_back_and_brings_back_a_deleted_one_as_a_copy),
		cmocka_unit_test(undo__restores_a_body_and_its_links),
		cmocka_unit_test(undo__after_a_merge_reaches_the_other_replica),
		cmocka_unit_test(undo__dry_run_and_list_change_nothing),
		cmocka_unit_test(undo__marks_a_change_with_nothing_left_and_moves_on),
		cmocka_unit_test(undo__empties_a_log_doc_made_for_an_existing_task_rather_than_deleting_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
