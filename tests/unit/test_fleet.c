/* test_fleet.c — the fleet (what a device reports, the hub's devices table,
 * who applies what), the schema stamp of feature-level migrations, and the
 * backfill of a register from the op-log. */
#include "helpers.h"

#include <sqlite3.h>

#include "heph/fleet.h"
#include "heph/sync.h"
#include "internal.h"

static struct fake_clock clk = { T0 };

static heph_store *mem(void) { return open_at(":memory:", &clk, "2026-11-18"); }

static json_t *report(const char *origin, const char *name, const char *version, const char *extra_type)
{
	json_t *types = json_array();
	for (const char *const *t = heph_op_types(); *t; t++)
		json_array_append_new(types, json_string(*t));
	if (extra_type)
		json_array_append_new(types, json_string(extra_type));
	return json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:o, s:i, s:i}", "origin", origin, "name", name, "version",
			 version, "level", 2, "schema", 8, "protocol", 1, "op_types", types, "unapplied", 0, "deferred",
			 0);
}

/* An op of a type this build does not know, for node id. */
static void apply_unknown(heph_store *s, const char *op_id, const char *type)
{
	heph_op op;
	heph_op_status st;
	char line[512];
	snprintf(line, sizeof line,
		 "{\"op_id\":\"%s\",\"hlc\":\"001795000000000-00000-00000000000000aa\",\"origin\":\"00000000000000aa\","
		 "\"type\":\"%s\",\"payload\":{\"node_id\":\"01M8E4HFT8E6PF440Q8GBDCNNG\"}}",
		 op_id, type);
	assert_int_equal(heph_op_decode(line, strlen(line), &op), 0);
	assert_int_equal(heph_store_apply(s, &op, &st), 0);
	assert_int_equal(st, HEPH_OP_UNKNOWN);
	heph_op_clear(&op);
}

static void fleet_self__reports_version_schema_and_op_types(void **state)
{
	(void)state;
	heph_store *s = mem();
	json_t *r = NULL;
	assert_int_equal(heph_store_setting_set(s, HEPH_SETTING_DEVICE_NAME, "laptop"), 0);
	assert_int_equal(heph_fleet_self(s, &r), 0);
	assert_string_equal(json_string_value(json_object_get(r, "name")), "laptop");
	assert_string_equal(json_string_value(json_object_get(r, "version")), heph_version());
	assert_int_equal(json_integer_value(json_object_get(r, "schema")), heph_schema_version());
	assert_int_equal(json_integer_value(json_object_get(r, "level")), heph_feature_level());
	size_t ntypes = 0;
	for (const char *const *t = heph_op_types(); *t; t++)
		ntypes++;
	assert_int_equal(json_array_size(json_object_get(r, "op_types")), ntypes);
	assert_int_equal(heph_fleet_check(r), 0);
	json_decref(r);

	char *q = NULL;
	assert_int_equal(heph_fleet_self_query(s, &q), 0);
	assert_non_null(strstr(q, "&name=laptop"));
	assert_non_null(strstr(q, "&op_types=node.create,node.set,"));
	assert_null(strchr(q, ' '));
	free(q);
	heph_store_close(s);
}

static void fleet_self_query__percent_encodes_what_is_not_plain(void **state)
{
	(void)state;
	heph_store *s = mem();
	char *q = NULL;
	assert_int_equal(heph_store_setting_set(s, HEPH_SETTING_DEVICE_NAME, "Anna's phone+1"), 0);
	assert_int_equal(heph_fleet_self_query(s, &q), 0);
	assert_non_null(strstr(q, "&name=Anna%27s%20phone%2B1&"));
	free(q);
	heph_store_close(s);
}

static void fleet_check__refuses_each_malformed_field(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"{\"name\":\"x\"}",
		"{\"origin\":\"nothex\"}",
		"{\"origin\":\"00000000000000aa\",\"name\":\"two\\nlines\"}",
		"{\"origin\":\"00000000000000aa\",\"name\":\"\"}",
		"{\"origin\":\"00000000000000aa\",\"schema\":-1}",
		"{\"origin\":\"00000000000000aa\",\"unapplied\":\"3\"}",
		"{\"origin\":\"00000000000000aa\",\"op_types\":[\"Task.Set\"]}",
		"{\"origin\":\"00000000000000aa\",\"op_types\":\"task.set\"}",
		"[]",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_t *r = json_loads(bad[i], 0, NULL);
		assert_non_null(r);
		if (heph_fleet_check(r) != HEPH_EINVALID)
			fail_msg("accepted %s", bad[i]);
		json_decref(r);
	}
	json_t *ok = json_loads("{\"origin\":\"00000000000000aa\",\"future_field\":[1,2]}", 0, NULL);
	assert_int_equal(heph_fleet_check(ok), 0); /* unknown fields are ignored */
	json_decref(ok);
}

static void fleet_note__keeps_one_row_per_device_with_its_latest_report(void **state)
{
	(void)state;
	heph_store *hub = mem();
	json_t *r1 = report("00000000000000aa", "tablet", "0.1.0+fl2", "task.snooze");
	json_t *r2 = report("00000000000000aa", "tablet", "0.1.1+fl2", "task.snooze");
	json_t *old = json_pack("{s:s}", "origin", "00000000000000bb");
	json_t *list = NULL;
	assert_int_equal(heph_fleet_note(hub, r1, "tablet-token", T0), 0);
	assert_int_equal(heph_fleet_note(hub, r2, "tablet-token", T0 + 1000), 0);
	assert_int_equal(heph_fleet_note(hub, old, NULL, T0 + 2000), 0);
	assert_int_equal(heph_fleet_list(hub, &list), 0);
	assert_int_equal(json_array_size(list), 3); /* the hub, then two devices */
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "role")), "hub");
	json_t *old_row = json_array_get(list, 1), *tab = json_array_get(list, 2); /* a NULL name sorts first */
	assert_string_equal(json_string_value(json_object_get(tab, "version")), "0.1.1+fl2");
	assert_string_equal(json_string_value(json_object_get(tab, "token")), "tablet-token");
	assert_int_equal(json_integer_value(json_object_get(tab, "last_seen_ms")), T0 + 1000);
	assert_string_equal(json_string_value(json_array_get(json_object_get(tab, "extra_op_types"), 0)), "task.snooze");
	assert_int_equal(json_array_size(json_object_get(tab, "missing_op_types")), 0);
	assert_true(json_is_null(json_object_get(old_row, "version")));
	assert_true(json_is_null(json_object_get(old_row, "missing_op_types")));
	json_decref(list);
	json_decref(r1);
	json_decref(r2);
	json_decref(old);
	heph_store_close(hub);
}

static void fleet_stale__only_when_the_report_changes_or_time_passes(void **state)
{
	(void)state;
	heph_store *hub = mem();
	json_t *r = report("00000000000000aa", "tablet", "0.1.0+fl2", NULL);
	int stale;
	assert_int_equal(heph_fleet_stale(hub, r, NULL, T0, &stale), 0);
	assert_true(stale); /* a new device */
	assert_int_equal(heph_fleet_note(hub, r, NULL, T0), 0);
	assert_int_equal(heph_fleet_stale(hub, r, NULL, T0 + 100, &stale), 0);
	assert_false(stale);
	assert_int_equal(heph_fleet_stale(hub, r, "another-token", T0 + 100, &stale), 0);
	assert_true(stale);
	assert_int_equal(heph_fleet_stale(hub, r, NULL, T0 + HEPH_FLEET_SEEN_MS, &stale), 0);
	assert_true(stale);
	json_object_set_new(r, "unapplied", json_integer(2));
	assert_int_equal(heph_fleet_stale(hub, r, NULL, T0 + 100, &stale), 0);
	assert_true(stale);
	json_decref(r);
	heph_store_close(hub);
}

static void fleet_unapplied__names_the_versions_that_apply_what_is_held(void **state)
{
	(void)state;
	heph_store *hub = mem();
	json_t *tab = report("00000000000000aa", "tablet", "0.1.0+fl2", "task.snooze");
	json_t *u = NULL;
	apply_unknown(hub, "01M8E4HFT8E6PF440Q8GBDCNN1", "task.snooze");
	apply_unknown(hub, "01M8E4HFT8E6PF440Q8GBDCNN2", "task.snooze");
	apply_unknown(hub, "01M8E4HFT8E6PF440Q8GBDCNN3", "task.archive");
	assert_int_equal(heph_fleet_note(hub, tab, NULL, T0), 0);
	assert_int_equal(heph_fleet_unapplied(hub, &u), 0);
	assert_int_equal(json_integer_value(json_object_get(u, "ops")), 3);
	json_t *types = json_object_get(u, "types");
	assert_int_equal(json_array_size(types), 2);
	json_t *archive = json_array_get(types, 0), *snooze = json_array_get(types, 1);
	assert_string_equal(json_string_value(json_object_get(snooze, "type")), "task.snooze");
	assert_int_equal(json_integer_value(json_object_get(snooze, "ops")), 2);
	json_t *by = json_array_get(json_object_get(snooze, "applied_by"), 0);
	assert_string_equal(json_string_value(json_object_get(by, "version")), "0.1.0+fl2");
	assert_string_equal(json_string_value(json_array_get(json_object_get(by, "devices"), 0)), "tablet");
	assert_int_equal(json_array_size(json_object_get(archive, "applied_by")), 0); /* nobody */
	json_decref(u);

	/* the report carries the count */
	json_t *self = NULL;
	assert_int_equal(heph_fleet_self(hub, &self), 0);
	assert_int_equal(json_integer_value(json_object_get(self, "unapplied")), 3);
	json_decref(self);
	json_decref(tab);
	heph_store_close(hub);
}

static void sync__a_pull_tells_the_spoke_who_applies_what_it_lacks(void **state)
{
	(void)state;
	heph_store *hub = mem(), *spoke = mem();
	json_t *tab = report("00000000000000aa", "tablet", "0.1.0+fl2", "task.snooze"), *me = NULL, *u = NULL;
	char *page;
	size_t len;
	heph_sync_page info;
	apply_unknown(hub, "01M8E4HFT8E6PF440Q8GBDCNN1", "task.snooze");
	assert_int_equal(heph_fleet_note(hub, tab, NULL, T0), 0);

	/* before any pull the spoke cannot say */
	apply_unknown(spoke, "01M8E4HFT8E6PF440Q8GBDCNN1", "task.snooze");
	assert_int_equal(heph_fleet_unapplied(spoke, &u), 0);
	assert_true(json_is_null(json_object_get(json_array_get(json_object_get(u, "types"), 0), "applied_by")));
	json_decref(u);

	assert_int_equal(heph_fleet_self(spoke, &me), 0);
	assert_int_equal(heph_sync_pull_page_for(hub, 0, 0, me, &page, &len), 0);
	assert_non_null(strstr(page, "\"known_by\":{\"task.snooze\""));
	assert_int_equal(heph_sync_take_page(spoke, 0, page, len, &info), 0);
	free(page);
	assert_int_equal(heph_fleet_unapplied(spoke, &u), 0);
	json_t *by = json_array_get(json_object_get(json_array_get(json_object_get(u, "types"), 0), "applied_by"), 0);
	assert_string_equal(json_string_value(json_object_get(by, "version")), "0.1.0+fl2");
	json_decref(u);

	/* a pull that reports nothing gets no known_by (an old spoke's) */
	assert_int_equal(heph_sync_pull_page(hub, 0, 0, &page, &len), 0);
	assert_null(strstr(page, "known_by"));
	free(page);
	json_decref(me);
	json_decref(tab);
	heph_store_close(hub);
	heph_store_close(spoke);
}

static void sync_accept_from__records_the_pusher_with_its_token(void **state)
{
	(void)state;
	heph_store *hub = mem(), *spoke = mem();
	char *body, *answer;
	size_t len, alen;
	int count;
	int64_t last;
	json_t *list = NULL;
	assert_int_equal(heph_store_setting_set(spoke, HEPH_SETTING_DEVICE_NAME, "phone"), 0);
	json_decref(call_ok(spoke, "task.create", "{\"title\":\"a task\"}"));
	assert_int_equal(heph_sync_push_body(spoke, 0, 0, &body, &len, &count, NULL, &last), 0);
	assert_non_null(strstr(body, "\"node\":{"));
	assert_int_equal(heph_sync_accept_from(hub, body, len, "phone-token", &answer, &alen), 0);
	free(answer);
	free(body);
	assert_int_equal(heph_fleet_list(hub, &list), 0);
	json_t *row = json_array_get(list, 1);
	assert_string_equal(json_string_value(json_object_get(row, "name")), "phone");
	assert_string_equal(json_string_value(json_object_get(row, "origin")), heph_store_origin(spoke));
	assert_string_equal(json_string_value(json_object_get(row, "token")), "phone-token");
	json_decref(list);

	/* a malformed report: nothing of the push is applied */
	const char *bad = "{\"protocol\":1,\"node\":{\"origin\":\"x\"},\"ops\":[]}";
	assert_int_equal(heph_sync_accept_from(hub, bad, strlen(bad), NULL, &answer, &alen), HEPH_EINVALID);
	assert_non_null(strstr(heph_error_last(), "origin"));
	heph_store_close(hub);
	heph_store_close(spoke);
}

/* Set something in a closed database file with SQLite itself. */
static void poke(const char *path, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void schema_check__refuses_a_database_a_level_2_build_migrated(void **state)
{
	(void)state;
	char *path = temp_db();
	heph_store *s = open_at(path, &clk, NULL), *again = NULL;
	heph_store_close(s);
	/* the stamp the first level-2 migration leaves, at each kind of version */
	poke(path, "INSERT OR REPLACE INTO meta(key, value) VALUES('feature_base', '6')");
	if (heph_feature_level() == 1) {
		assert_int_equal(heph_store_open(path, NULL, &again), HEPH_ESCHEMA);
		assert_non_null(strstr(heph_error_last(), "feature-level-2"));
		assert_non_null(strstr(heph_error_last(), "not changed"));
	} else {
		assert_int_equal(heph_store_open(path, NULL, &again), HEPH_ESCHEMA);
		assert_non_null(strstr(heph_error_last(), "level-1 schema 6"));
	}
	assert_null(again);
	/* the stamp this build itself leaves (none at level 1): fine again */
	char fix[128];
	if (heph_feature_level() == 1)
		snprintf(fix, sizeof fix, "DELETE FROM meta WHERE key = 'feature_base'");
	else
		snprintf(fix, sizeof fix, "UPDATE meta SET value = '%d' WHERE key = 'feature_base'", heph__schema_level1());
	poke(path, fix);
	assert_int_equal(heph_store_open(path, NULL, &again), 0);
	heph_store_close(again);
	drop_db(path);
}

static void schema_check__refuses_a_newer_schema_naming_both_versions(void **state)
{
	(void)state;
	char *path = temp_db(), pragma[64];
	heph_store *s = open_at(path, &clk, NULL), *again = NULL;
	heph_store_close(s);
	snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", heph_schema_version() + 1);
	poke(path, pragma);
	assert_int_equal(heph_store_open(path, NULL, &again), HEPH_ESCHEMA);
	char want[64];
	snprintf(want, sizeof want, "schema version %d", heph_schema_version() + 1);
	assert_non_null(strstr(heph_error_last(), want));
	snprintf(want, sizeof want, "(%d)", heph_schema_version());
	assert_non_null(strstr(heph_error_last(), want));
	drop_db(path);
}

static void backfill_register__rewrites_a_register_from_the_ops_that_carried_it(void **state)
{
	(void)state;
	heph_store *s = mem();
	char params[160];
	json_t *r = call_ok(s, "task.create", "{\"title\":\"one\",\"do_date\":\"2026-12-01\"}");
	char id[HEPH_ID_LEN + 1];
	snprintf(id, sizeof id, "%s", json_string_value(json_object_get(r, "node_id")));
	json_decref(r);
	r = call_ok(s, "task.create", "{\"title\":\"two\"}");
	char id2[HEPH_ID_LEN + 1];
	snprintf(id2, sizeof id2, "%s", json_string_value(json_object_get(r, "node_id")));
	json_decref(r);
	snprintf(params, sizeof params, "{\"id\":\"%s\",\"do_date\":\"2026-12-05\"}", id);
	json_decref(call_ok(s, "task.edit", params));
	snprintf(params, sizeof params, "{\"id\":\"%s\",\"do_date\":\"2026-12-07\"}", id2);
	json_decref(call_ok(s, "task.edit", params));
	snprintf(params, sizeof params, "{\"id\":\"%s\",\"do_date\":\"none\"}", id2);
	json_decref(call_ok(s, "task.edit", params));

	/* forget the register, as a column that did not exist would be */
	assert_int_equal(heph__exec(s, "UPDATE tasks SET do_date = NULL; DELETE FROM clocks WHERE field = 'do_date'"), 0);
	assert_int_equal(heph_store_begin(s), 0);
	assert_int_equal(heph__backfill_register(s, 1, "do_date"), 0);
	assert_int_equal(heph_store_commit(s), 0);

	snprintf(params, sizeof params, "{\"id\":\"%s\"}", id);
	r = call_ok(s, "node.get", params);
	assert_string_equal(json_string_value(json_object_get(r, "do_date")), "2026-12-05"); /* the latest write */
	json_decref(r);
	snprintf(params, sizeof params, "{\"id\":\"%s\"}", id2);
	r = call_ok(s, "node.get", params);
	assert_true(json_is_null(json_object_get(r, "do_date"))); /* cleared last */
	json_decref(r);

	/* and later writes still order against the refilled clocks */
	snprintf(params, sizeof params, "{\"id\":\"%s\",\"do_date\":\"2026-12-09\"}", id);
	json_decref(call_ok(s, "task.edit", params));
	snprintf(params, sizeof params, "{\"id\":\"%s\"}", id);
	r = call_ok(s, "node.get", params);
	assert_string_equal(json_string_value(json_object_get(r, "do_date")), "2026-12-09");
	json_decref(r);
	assert_int_equal(heph__backfill_register(s, 1, "no_such_field"), HEPH_ERROR);
	heph_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fleet_self__reports_version_schema_and_op_types),
		cmocka_unit_test(fleet_self_query__percent_encodes_what_is_not_plain),
		cmocka_unit_test(fleet_check__refuses_each_malformed_field),
		cmocka_unit_test(fleet_note__keeps_one_row_per_device_with_its_latest_report),
		cmocka_unit_test(fleet_stale__only_when_the_report_changes_or_time_passes),
		cmocka_unit_test(fleet_unapplied__names_the_versions_that_apply_what_is_held),
		cmocka_unit_test(sync__a_pull_tells_the_spoke_who_applies_what_it_lacks),
		cmocka_unit_test(sync_accept_from__records_the_pusher_with_its_token),
		cmocka_unit_test(schema_check__refuses_a_database_a_level_2_build_migrated),
		cmocka_unit_test(schema_check__refuses_a_newer_schema_naming_both_versions),
		cmocka_unit_test(backfill_register__rewrites_a_register_from_the_ops_that_carried_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
