/* test_token.c — device tokens: the hash the hub stores, the compare, and
 * making, checking and revoking tokens on a real database file; and the
 * answers a hub keeps by Idempotency-Key. */
#include "helpers.h"

#include "heph/idem.h"
#include "heph/token.h"

static struct fake_clock clk = { T0 };

static void token_hash__is_the_sha256_of_the_token_in_hex(void **state)
{
	(void)state;
	char h[HEPH_TOKEN_HASH_LEN + 1];
	heph_token_hash("abc", h);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	heph_token_hash("", h);
	assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void token_equal__needs_every_byte_to_match(void **state)
{
	(void)state;
	assert_true(heph_token_equal("abcdef", "abcdef", 6));
	assert_false(heph_token_equal("abcdef", "abcdeF", 6));
	assert_false(heph_token_equal("Xbcdef", "abcdef", 6));
	assert_true(heph_token_equal("abcdef", "abcXYZ", 3));
}

static void token_create__shows_the_token_once_and_stores_only_its_hash(void **state)
{
	(void)state;
	char *path = temp_db(), *tok = NULL, hash[HEPH_TOKEN_HASH_LEN + 1];
	heph_store *s = open_at(path, &clk, NULL);
	assert_int_equal(heph_token_create(s, "laptop", &tok), 0);
	assert_int_equal(strlen(tok), HEPH_TOKEN_LEN);
	assert_memory_equal(tok, "heph_", 5);
	heph_token_hash(tok, hash);
	heph_store_close(s);
	/* the file holds the hash and never the token */
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 1 << 20);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	int has_hash = 0, has_token = 0;
	for (size_t i = 0; i + HEPH_TOKEN_LEN <= n; i++) {
		has_hash |= memcmp(buf + i, hash, HEPH_TOKEN_HASH_LEN) == 0;
		has_token |= memcmp(buf + i, tok + 5, 64) == 0;
	}
	/* the WAL may still hold the pages; look there too */
	char wal[4200];
	snprintf(wal, sizeof wal, "%s-wal", path);
	if ((f = fopen(wal, "rb"))) {
		n = fread(buf, 1, (1 << 20) - 1, f);
		fclose(f);
		for (size_t i = 0; i + HEPH_TOKEN_LEN <= n; i++) {
			has_hash |= memcmp(buf + i, hash, HEPH_TOKEN_HASH_LEN) == 0;
			has_token |= memcmp(buf + i, tok + 5, 64) == 0;
		}
	}
	assert_true(has_hash);
	assert_false(has_token);
	free(buf);
	free(tok);
	drop_db(path);
}

static void token_verify__takes_live_tokens_and_refuses_wrong_and_revoked_ones(void **state)
{
	(void)state;
	heph_store *s = open_at(":memory:", &clk, NULL);
	char *a = NULL, *b = NULL, name[HEPH_TOKEN_NAME_MAX + 1];
	assert_int_equal(heph_token_create(s, "laptop", &a), 0);
	assert_int_equal(heph_token_create(s, "phone", &b), 0);
	assert_string_not_equal(a, b);
	char a_hash[HEPH_TOKEN_HASH_LEN + 1], a_secret[HEPH_TOKEN_LEN + 1];
	heph_token_hash(a, a_hash);
	snprintf(a_secret, sizeof a_secret, "%s", a + strlen(HEPH_TOKEN_PREFIX));
	assert_int_equal(heph_token_verify(s, a, name), 0);
	assert_string_equal(name, "laptop");
	assert_int_equal(heph_token_verify(s, b, name), 0);
	assert_string_equal(name, "phone");
	a[10] = a[10] == '0' ? '1' : '0';
	assert_int_equal(heph_token_verify(s, a, name), HEPH_EAUTH);
	assert_string_equal(name, "");
	assert_int_equal(heph_token_verify(s, "", name), HEPH_EAUTH);
	assert_int_equal(heph_token_revoke(s, "phone"), 0);
	assert_int_equal(heph_token_verify(s, b, name), HEPH_EAUTH);
	assert_int_equal(heph_token_revoke(s, "phone"), HEPH_ENOTFOUND);
	json_t *list = NULL;
	assert_int_equal(heph_token_list(s, &list), 0);
	assert_int_equal(json_array_size(list), 2);
	assert_true(json_is_string(json_object_get(json_array_get(list, 1), "revoked_at")));
	assert_null(json_object_get(json_array_get(list, 0), "hash")); /* the list never shows hashes */
	json_decref(list);
	/* the export (hephd migrate) gives each token's hash: the secret's
	 * SHA-256, never the secret */
	char hash[HEPH_TOKEN_HASH_LEN + 1];
	assert_int_equal(heph_token_export(s, &list), 0);
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "name")), "laptop");
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "hash")), a_hash);
	assert_true(json_is_null(json_object_get(json_array_get(list, 0), "revoked_at")) ||
		    !json_object_get(json_array_get(list, 0), "revoked_at"));
	heph_token_hash(b, hash);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 1), "hash")), hash);
	assert_true(json_is_string(json_object_get(json_array_get(list, 1), "revoked_at")));
	char *dump = json_dumps(list, 0);
	assert_null(strstr(dump, a_secret));
	assert_null(strstr(dump, b + strlen(HEPH_TOKEN_PREFIX)));
	free(dump);
	json_decref(list);
	free(a);
	free(b);
	heph_store_close(s);
}

static void token_create__refuses_bad_names_and_a_live_duplicate(void **state)
{
	(void)state;
	heph_store *s = open_at(":memory:", &clk, NULL);
	char *t = NULL;
	assert_int_equal(heph_token_create(s, "", &t), HEPH_EINVALID);
	assert_int_equal(heph_token_create(s, "has space", &t), HEPH_EINVALID);
	assert_int_equal(heph_token_create(s, "x/y", &t), HEPH_EINVALID);
	assert_null(t);
	assert_int_equal(heph_token_create(s, "dev-1.home_x", &t), 0);
	free(t);
	assert_int_equal(heph_token_create(s, "dev-1.home_x", &t), HEPH_ECONFLICT);
	assert_int_equal(heph_token_revoke(s, "dev-1.home_x"), 0);
	assert_int_equal(heph_token_create(s, "dev-1.home_x", &t), 0); /* a revoked name is free again */
	free(t);
	heph_store_close(s);
}

static void idem__keeps_answers_by_key_and_drops_the_oldest_beyond_the_limit(void **state)
{
	(void)state;
	char *path = temp_db(), *a = NULL, key[32];
	heph_store *s = open_at(path, &clk, NULL);
	assert_true(heph_idem_key_ok("k-1"));
	assert_false(heph_idem_key_ok(""));
	assert_false(heph_idem_key_ok("two words"));
	assert_false(heph_idem_key_ok("caf\xc3\xa9"));
#define REQ(r) r, strlen(r)
	assert_int_equal(heph_idem_put(s, "token:a", "two words", REQ("req"), "{}"), HEPH_EINVALID);
	assert_int_equal(heph_idem_get(s, "token:a", "k-1", REQ("req"), &a), 0);
	assert_null(a);
	assert_int_equal(heph_store_begin(s), 0);
	for (int i = 0; i < HEPH_IDEM_KEEP + 3; i++) {
		snprintf(key, sizeof key, "k-%d", i);
		assert_int_equal(heph_idem_put(s, "token:a", key, REQ("req"), key), 0);
	}
	assert_int_equal(heph_store_commit(s), 0);
	heph_store_close(s);
	s = open_at(path, &clk, NULL); /* kept in the file */
	for (int i = 0; i < 3; i++) {
		snprintf(key, sizeof key, "k-%d", i);
		assert_int_equal(heph_idem_get(s, "token:a", key, REQ("req"), &a), 0);
		assert_null(a); /* the oldest three went */
	}
	snprintf(key, sizeof key, "k-%d", 3);
	assert_int_equal(heph_idem_get(s, "token:a", key, REQ("req"), &a), 0);
	assert_string_equal(a, "k-3");
	free(a);
	assert_int_equal(heph_idem_put(s, "token:a", "k-3", REQ("req2"), "again"), 0); /* kept again: the new answer */
	assert_int_equal(heph_idem_get(s, "token:a", "k-3", REQ("req2"), &a), 0);
	assert_string_equal(a, "again");
	free(a);
	heph_store_close(s);
	drop_db(path);
}

static void idem__scopes_a_key_to_its_principal_and_its_request(void **state)
{
	(void)state;
	char *path = temp_db(), *a = NULL;
	heph_store *s = open_at(path, &clk, NULL);
	assert_int_equal(heph_idem_put(s, "token:alice", "k", REQ("create A"), "alice's answer"), 0);
	assert_int_equal(heph_idem_get(s, "token:bob", "k", REQ("create A"), &a), 0);
	assert_null(a); /* bob's "k" is not alice's */
	assert_int_equal(heph_idem_get(s, "token:alice", "k", REQ("create B"), &a), HEPH_ECONFLICT);
	assert_null(a);
	assert_non_null(strstr(heph_error_last(), "another request"));
	assert_int_equal(heph_idem_get(s, "token:alice", "k", REQ("create A"), &a), 0);
	assert_string_equal(a, "alice's answer");
	free(a);
	heph_store_close(s);
	drop_db(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(token_hash__is_the_sha256_of_the_token_in_hex),
		cmocka_unit_test(token_equal__needs_every_byte_to_match),
		cmocka_unit_test(token_create__shows_the_token_once_and_stores_only_its_hash),
		cmocka_unit_test(token_verify__takes_live_tokens_and_refuses_wrong_and_revoked_ones),
		cmocka_unit_test(token_create__refuses_bad_names_and_a_live_duplicate),
		cmocka_unit_test(idem__keeps_answers_by_key_and_drops_the_oldest_beyond_the_limit),
		cmocka_unit_test(idem__scopes_a_key_to_its_principal_and_its_request),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
