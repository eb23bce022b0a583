/* test_store.c — opening, migrating, refusing, and the persisted clock. */
#include "helpers.h"

#include <sys/stat.h>

#include "../../src/lib/internal.h"

#ifndef DATA_DIR
#define DATA_DIR "tests/data"
#endif

static char *max_local_hlc(heph_store *s)
{
	sqlite3_stmt *st;
	char *out = NULL;
	sqlite3_prepare_v2(s->db, "SELECT max(hlc) FROM oplog WHERE local = 1", -1, &st, NULL);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		out = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

static void store_clock__survives_restart_and_a_wall_clock_stepping_back(void **state)
{
	(void)state;
	char *path = temp_db();
	struct fake_clock clk = { T0 };
	heph_store *s = open_at(path, &clk, NULL);
	json_decref(call_ok(s, "task.create", "{\"title\":\"one\"}"));
	char *first = max_local_hlc(s);
	heph_store_close(s);

	clk.now = T0 - 3600 * 1000; /* the wall clock jumped an hour back */
	s = open_at(path, &clk, NULL);
	json_decref(call_ok(s, "task.create", "{\"title\":\"two\"}"));
	char *second = max_local_hlc(s);
	assert_true(strcmp(second, first) > 0);
	heph_hlc h;
	assert_int_equal(heph_hlc_parse(second, &h), 0);
	assert_int_equal(h.ms, T0); /* the clock held its ground */
	free(first);
	free(second);
	heph_store_close(s);
	drop_db(path);
}

static void store__two_handles_on_one_file_take_turns(void **state)
{
	(void)state;
	char *path = temp_db();
	struct fake_clock clk = { T0 };
	heph_store *a = open_at(path, &clk, NULL), *b = open_at(path, &clk, NULL);
	for (int i = 0; i < 20; i++)
		json_decref(call_ok(i % 2 ? a : b, "task.create", "{\"title\":\"t\"}"));
	json_t *la = rows_ok(a, "task.list", NULL), *lb = rows_ok(b, "task.list", NULL);
	assert_int_equal(json_array_size(la), 20);
	assert_int_equal(json_array_size(lb), 20);
	/* one clock for the file: every HLC distinct and strictly increasing */
	sqlite3_stmt *st;
	sqlite3_prepare_v2(a->db, "SELECT count(DISTINCT hlc), count(*) FROM oplog", -1, &st, NULL);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), sqlite3_column_int(st, 1));
	sqlite3_finalize(st);
	json_decref(la);
	json_decref(lb);
	heph_store_close(a);
	heph_store_close(b);
	drop_db(path);
}

static void store__refuses_a_newer_database_and_leaves_it_untouched(void **state)
{
	(void)state;
	char *path = temp_db();
	struct fake_clock clk = { T0 };
	heph_store *s = open_at(path, &clk, NULL);
	json_decref(call_ok(s, "task.create", "{\"title\":\"keep me\"}"));
	sqlite3_exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA user_version = 999", NULL, NULL, NULL);
	heph_store_close(s);

	struct stat before, after;
	assert_int_equal(stat(path, &before), 0);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *bytes = malloc((size_t)before.st_size);
	assert_int_equal(fread(bytes, 1, (size_t)before.st_size, f), (size_t)before.st_size);
	fclose(f);

	heph_store_opts o = { .clock = fake_now, .clock_ctx = &clk };
	heph_store *t = NULL;
	assert_int_equal(heph_store_open(path, &o, &t), HEPH_ESCHEMA);
	assert_null(t);
	assert_non_null(strstr(heph_error_last(), "999"));
	char mine[16];
	snprintf(mine, sizeof mine, "(%d)", heph_schema_version());
	assert_non_null(strstr(heph_error_last(), mine));

	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(after.st_size, before.st_size);
	f = fopen(path, "rb");
	char *now = malloc((size_t)after.st_size);
	assert_int_equal(fread(now, 1, (size_t)after.st_size, f), (size_t)after.st_size);
	fclose(f);
	assert_memory_equal(bytes, now, (size_t)after.st_size);
	free(bytes);
	free(now);
	drop_db(path);
}

/* tests/data/schema-v1.sql is a database made by the first schema version,
 * with data. Every later version must migrate it and keep the data. */
static void store__migrates_a_version_1_database(void **state)
{
	(void)state;
	char *path = temp_db();
	sqlite3 *db;
	char *sql = NULL;
	size_t cap = 0;
	FILE *f = fopen(DATA_DIR "/schema-v1.sql", "r");
	assert_non_null(f);
	ssize_t n = getdelim(&sql, &cap, '\0', f);
	fclose(f);
	assert_true(n > 0);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	free(sql);

	struct fake_clock clk = { T0 };
	heph_store *s = open_at(path, &clk, "2026-11-18");
	sqlite3_stmt *st;
	sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
	sqlite3_step(st);
	assert_int_equal(sqlite3_column_int(st, 0), heph_schema_version());
	sqlite3_finalize(st);
	json_t *tasks = rows_ok(s, "task.list", "{\"all\":true}");
	assert_int_equal(json_array_size(tasks), 2);
	json_t *tree = call_ok(s, "project.list", NULL);
	assert_int_equal(json_array_size(tree), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(tree, 0), "open_count_total")), 1);
	json_decref(tasks);
	json_decref(tree);
	/* and it still takes changes */
	json_decref(call_ok(s, "task.create", "{\"title\":\"after migration\"}"));
	heph_store_close(s);
	drop_db(path);
}

static void store__creates_a_fresh_database_at_the_current_version(void **state)
{
	(void)state;
	char *path = temp_db();
	struct fake_clock clk = { T0 };
	heph_store *s = open_at(path, &clk, NULL);
	assert_true(heph_origin_valid(heph_store_origin(s)));
	sqlite3_stmt *st;
	sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
	sqlite3_step(st);
	assert_int_equal(sqlite3_column_int(st, 0), heph_schema_version());
	sqlite3_finalize(st);
	sqlite3_prepare_v2(s->db, "PRAGMA journal_mode", -1, &st, NULL);
	sqlite3_step(st);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	heph_store_close(s);
	drop_db(path);
}

static void store__settings_are_device_local(void **state)
{
	(void)state;
	char *path = temp_db();
	struct fake_clock clk = { T0 };
	heph_store *s = open_at(path, &clk, NULL);
	char *v;
	assert_int_equal(heph_store_setting_set(s, "hub.url", "http://127.0.0.1:1"), 0);
	assert_int_equal(heph_store_setting_get(s, "hub.url", &v), 0);
	assert_string_equal(v, "http://127.0.0.1:1");
	free(v);
	char *d1 = digest_of(s);
	assert_int_equal(heph_store_setting_set(s, "hub.url", NULL), 0);
	assert_int_equal(heph_store_setting_get(s, "hub.url", &v), 0);
	assert_null(v);
	char *d2 = digest_of(s);
	assert_string_equal(d1, d2); /* settings are not replicated state */
	free(d1);
	free(d2);
	heph_store_close(s);
	drop_db(path);
}

static long file_size(const char *path, const char *suffix)
{
	char buf[4200];
	struct stat st;
	snprintf(buf, sizeof buf, "%s%s", path, suffix);
	return stat(buf, &st) == 0 ? (long)st.st_size : -1;
}

/* Each heph command is a process of its own: the WAL must neither be
 * checkpointed by every one of them (fsyncs) nor grow without bound (every
 * new process reads all of it). */
static void store__keeps_the_wal_small_across_many_short_sessions(void **state)
{
	(void)state;
	char *path = temp_db();
	struct fake_clock clk = { T0 };
	long largest = 0;
	int kept = 0;
	for (int i = 0; i < 60; i++) {
		heph_store *s = open_at(path, &clk, NULL);
		json_decref(call_ok(s, "task.create", "{\"title\":\"one more\"}"));
		heph_store_close(s);
		long wal = file_size(path, "-wal");
		if (wal > largest)
			largest = wal;
		kept += wal > 0;
		clk.now += 1000;
	}
	assert_true(kept > 30);                 /* most closes leave the WAL alone */
	assert_true(largest < 200 * 4200);      /* and it stays near 128 frames */
	heph_store *s = open_at(path, &clk, NULL);
	json_t *all = rows_ok(s, "task.list", NULL);
	assert_int_equal(json_array_size(all), 60);
	json_decref(all);
	heph_store_close(s);
	drop_db(path);
}

static size_t hits(heph_store *s, const char *query)
{
	char params[128];
	snprintf(params, sizeof params, "{\"query\":\"%s\"}", query);
	json_t *r = call_ok(s, "search", params);
	size_t n = json_array_size(json_is_array(r) ? r : json_object_get(r, "results"));
	json_decref(r);
	return n;
}

/* The search index is brought up to date at commit, for every change the
 * transaction made, in whatever order they came. */
static void store__search_index_follows_every_change_of_a_transaction(void **state)
{
	(void)state;
	char *path = temp_db();
	struct fake_clock clk = { T0 };
	heph_store *s = open_at(path, &clk, NULL);
	char gone[32], kept[32];
	take_id(call_ok(s, "doc.create", "{\"title\":\"walrus manual\"}"), gone);
	assert_int_equal(hits(s, "walrus"), 1);

	assert_int_equal(heph_store_begin(s), 0);
	take_id(call_ok(s, "task.create", "{\"title\":\"feed the pelican\"}"), kept);
	char params[160];
	snprintf(params, sizeof params, "{\"id\":\"%s\",\"title\":\"feed the heron\"}", kept);
	json_decref(call_ok(s, "task.edit", params));
	snprintf(params, sizeof params, "{\"id\":\"%s\"}", gone);
	json_decref(call_ok(s, "node.remove", params));
	char brief[32];
	take_id(call_ok(s, "doc.create", "{\"title\":\"osprey log\"}"), brief);
	snprintf(params, sizeof params, "{\"id\":\"%s\"}", brief);
	json_decref(call_ok(s, "node.remove", params));
	assert_int_equal(heph_store_commit(s), 0);

	assert_int_equal(hits(s, "osprey"), 0);  /* made and deleted in the transaction */
	assert_true(hits(s, "heron") >= 1);      /* the task's last title is in it */
	assert_int_equal(hits(s, "walrus"), 0);  /* a tombstoned node is not */
	sqlite3_stmt *st;
	sqlite3_prepare_v2(s->db, "SELECT count(*) FROM search_dirty", -1, &st, NULL);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 0);
	sqlite3_finalize(st);
	heph_store_close(s);
	drop_db(path);
}

static void sha256__matches_the_standard_vectors(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		const char *hex;
	} v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		heph_sha256 c;
		unsigned char out[32];
		char hex[65];
		heph__sha256_init(&c);
		/* fed one byte at a time, to cross block boundaries */
		for (const char *p = v[i].in; *p; p++)
			heph__sha256_update(&c, p, 1);
		heph__sha256_final(&c, out);
		for (int k = 0; k < 32; k++)
			snprintf(hex + 2 * k, 3, "%02x", out[k]);
		assert_string_equal(hex, v[i].hex);
	}
	/* a million 'a's in uneven chunks */
	heph_sha256 c;
	unsigned char out[32], chunk[997];
	char hex[65];
	memset(chunk, 'a', sizeof chunk);
	heph__sha256_init(&c);
	size_t left = 1000000;
	while (left) {
		size_t n = left < sizeof chunk ? left : sizeof chunk;
		heph__sha256_update(&c, chunk, n);
		left -= n;
	}
	heph__sha256_final(&c, out);
	for (int k = 0; k < 32; k++)
		snprintf(hex + 2 * k, 3, "%02x", out[k]);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(store_clock__survives_restart_and_a_wall_clock_stepping_back),
		cmocka_unit_test(store__two_handles_on_one_file_take_turns),
		cmocka_unit_test(store__refuses_a_newer_database_and_leaves_it_untouched),
		cmocka_unit_test(store__migrates_a_version_1_database),
		cmocka_unit_test(store__creates_a_fresh_database_at_the_current_version),
		cmocka_unit_test(store__settings_are_device_local),
		cmocka_unit_test(store__keeps_the_wal_small_across_many_short_sessions),
		cmocka_unit_test(sha256__matches_the_standard_vectors),
		cmocka_unit_test(store__search_index_follows_every_change_of_a_transaction),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
