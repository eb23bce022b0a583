/* helpers.h — fixtures shared by the unit tests: a temporary database file
 * per test, an injected clock the test moves by hand, and small wrappers
 * around the RPC table. */
#ifndef HEPH_TEST_HELPERS_H
#define HEPH_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "heph/error.h"
#include "heph/op.h"
#include "heph/rpc.h"
#include "heph/store.h"

/* A clock the test sets: ms since the epoch. */
struct fake_clock {
	int64_t now;
};

static inline int64_t fake_now(void *ctx)
{
	return ((struct fake_clock *)ctx)->now;
}

#define T0 INT64_C(1795000000000) /* 2026-11-18, a fixed "now" */

/* A fresh database path under $TMPDIR; the caller unlinks it (and -wal,
 * -shm) with drop_db(). */
static inline char *temp_db(void)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	if (asprintf(&path, "%s/heph-unit-XXXXXX", dir && *dir ? dir : "/tmp") < 0)
		abort();
	int fd = mkstemp(path);
	if (fd < 0)
		abort();
	close(fd);
	unlink(path);
	return path;
}

static inline void drop_db(char *path)
{
	char buf[4200];
	unlink(path);
	snprintf(buf, sizeof buf, "%s-wal", path);
	unlink(buf);
	snprintf(buf, sizeof buf, "%s-shm", path);
	unlink(buf);
	free(path);
}

static inline heph_store *open_at(const char *path, struct fake_clock *clk, const char *today)
{
	heph_store_opts o = { .clock = fake_now, .clock_ctx = clk, .today = today };
	heph_store *s = NULL;
	int err = heph_store_open(path, &o, &s);
	if (err)
		fail_msg("open %s: %s", path, heph_error_last());
	return s;
}

/* Call an RPC method with params given as a JSON text; fail the test on
 * error. Returns the result (caller decrefs). */
static inline json_t *call_ok(heph_store *s, const char *method, const char *params_json)
{
	json_error_t e;
	json_t *params = params_json ? json_loads(params_json, 0, &e) : NULL;
	json_t *result = NULL;
	heph_rpc_env env = { .store = s };
	if (params_json && !params)
		fail_msg("bad test params %s: %s", params_json, e.text);
	int err = heph_rpc_call(&env, method, params, &result);
	json_decref(params);
	if (err)
		fail_msg("%s %s: %s", method, params_json ? params_json : "", heph_error_last());
	return result;
}

static inline int rows_call(void *ctx, const char *method, json_t *params, json_t **result)
{
	heph_rpc_env env = { .store = ctx };
	return heph_rpc_call(&env, method, params, result);
}

/* Every row of a paged read (task.list, tag.list), page after page, as
 * one array (new reference); fails the test on error. */
static inline json_t *rows_ok(heph_store *s, const char *method, const char *params_json)
{
	json_error_t e;
	json_t *params = params_json ? json_loads(params_json, 0, &e) : NULL;
	json_t *rows = NULL;
	if (params_json && !params)
		fail_msg("bad test params %s: %s", params_json, e.text);
	int err = heph_rpc_call_all(heph_rpc_find(method), params, rows_call, s, &rows);
	json_decref(params);
	if (err)
		fail_msg("%s %s: %s", method, params_json ? params_json : "", heph_error_last());
	return rows;
}

/* The same, expecting failure with code; returns nothing. */
static inline void call_fails(heph_store *s, const char *method, const char *params_json, int code)
{
	json_t *params = params_json ? json_loads(params_json, 0, NULL) : NULL;
	json_t *result = NULL;
	heph_rpc_env env = { .store = s };
	int err = heph_rpc_call(&env, method, params, &result);
	json_decref(params);
	json_decref(result);
	if (err != code)
		fail_msg("%s %s: want error %d, got %d (%s)", method, params_json ? params_json : "", code, err,
			 heph_error_last());
}

/* The id in a {"node_id": ...} result, copied into out. */
static inline void take_id(json_t *r, char out[32])
{
	const char *id = json_string_value(json_object_get(r, "node_id"));
	if (!id)
		fail_msg("result has no node_id");
	snprintf(out, 32, "%s", id);
	json_decref(r);
}

static inline char *digest_of(heph_store *s)
{
	json_t *r = call_ok(s, "digest", NULL);
	char *d = strdup(json_string_value(json_object_get(r, "digest")));
	json_decref(r);
	return d;
}

/* Two stores hold the same replicated state. */
static inline void assert_same_digest(heph_store *a, heph_store *b)
{
	char *da = digest_of(a), *db = digest_of(b);
	assert_string_equal(da, db);
	free(da);
	free(db);
}

#endif
