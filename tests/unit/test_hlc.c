/* test_hlc.c — the hybrid logical clock's rules. */
#include "helpers.h"

#include "heph/hlc.h"

static heph_hlc make(int64_t ms, uint32_t c, const char *origin)
{
	heph_hlc h = { .ms = ms, .counter = c };
	snprintf(h.origin, sizeof h.origin, "%s", origin);
	return h;
}

static void hlc_format__is_fixed_width_and_round_trips(void **state)
{
	(void)state;
	heph_hlc h = make(1795000000123, 42, "0123456789abcdef"), back;
	char text[HEPH_HLC_LEN + 1];
	heph_hlc_format(&h, text);
	assert_string_equal(text, "001795000000123-00042-0123456789abcdef");
	assert_int_equal(strlen(text), HEPH_HLC_LEN);
	assert_int_equal(heph_hlc_parse(text, &back), 0);
	assert_int_equal(heph_hlc_compare(&h, &back), 0);
}

static void hlc_text_order__matches_causal_order(void **state)
{
	(void)state;
	heph_hlc a[] = { make(5, 0, "ffffffffffffffff"), make(5, 1, "0000000000000000"),
			 make(5, 10, "0000000000000000"), make(6, 0, "0000000000000000"),
			 make(1000, 0, "0000000000000001"), make(1000, 0, "0000000000000002") };
	for (size_t i = 0; i + 1 < sizeof a / sizeof a[0]; i++) {
		char x[HEPH_HLC_LEN + 1], y[HEPH_HLC_LEN + 1];
		heph_hlc_format(&a[i], x);
		heph_hlc_format(&a[i + 1], y);
		assert_true(heph_hlc_compare(&a[i], &a[i + 1]) < 0);
		assert_true(strcmp(x, y) < 0);
	}
}

static void hlc_parse__rejects_malformed_text(void **state)
{
	(void)state;
	heph_hlc h;
	const char *bad[] = { "", "001795000000123-00042-0123456789abcde",
			      "001795000000123-00042-0123456789abcdeF", "00179500000012x-00042-0123456789abcdef",
			      "001795000000123_00042-0123456789abcdef", "001795000000123-00042-0123456789abcdef0" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(heph_hlc_parse(bad[i], &h), HEPH_EINVALID);
	assert_int_equal(heph_hlc_parse(NULL, &h), HEPH_EINVALID);
}

static void hlc_tick__stays_monotonic_when_wall_clock_steps_back(void **state)
{
	(void)state;
	heph_hlc c = make(0, 0, "0123456789abcdef"), prev;
	int64_t walls[] = { 1000, 1000, 1001, 900, 500, 500, 1500, 1499 };
	heph_hlc_tick(&c, walls[0]);
	for (size_t i = 1; i < sizeof walls / sizeof walls[0]; i++) {
		prev = c;
		heph_hlc_tick(&c, walls[i]);
		assert_true(heph_hlc_compare(&prev, &c) < 0);
		assert_true(c.ms >= walls[i]);
	}
	/* never more than the largest wall reading seen */
	assert_int_equal(c.ms, 1500);
}

static void hlc_tick__carries_counter_overflow_into_the_millisecond(void **state)
{
	(void)state;
	heph_hlc c = make(1000, HEPH_HLC_COUNTER_MAX, "0123456789abcdef"), prev = c;
	heph_hlc_tick(&c, 1000);
	assert_true(heph_hlc_compare(&prev, &c) < 0);
	assert_int_equal(c.ms, 1001);
	assert_int_equal(c.counter, 0);
}

static void hlc_recv__result_is_after_both_clocks(void **state)
{
	(void)state;
	heph_hlc local = make(1000, 3, "0123456789abcdef");
	heph_hlc remote = make(2000, 7, "fedcba9876543210");
	heph_hlc c = local;
	assert_int_equal(heph_hlc_recv(&c, &remote, 1500, 600000), 0);
	assert_true(heph_hlc_compare(&c, &remote) > 0);
	assert_true(heph_hlc_compare(&c, &local) > 0);
	assert_int_equal(c.ms, 2000);
	assert_int_equal(c.counter, 8);
	assert_string_equal(c.origin, "0123456789abcdef");

	/* equal physical parts: the larger counter wins, plus one */
	heph_hlc c2 = make(3000, 9, "0123456789abcdef"), r2 = make(3000, 4, "fedcba9876543210");
	assert_int_equal(heph_hlc_recv(&c2, &r2, 100, 600000), 0);
	assert_int_equal(c2.ms, 3000);
	assert_int_equal(c2.counter, 10);

	/* a wall clock ahead of both resets the counter */
	heph_hlc c3 = make(3000, 9, "0123456789abcdef"), r3 = make(3000, 4, "fedcba9876543210");
	assert_int_equal(heph_hlc_recv(&c3, &r3, 4000, 600000), 0);
	assert_int_equal(c3.ms, 4000);
	assert_int_equal(c3.counter, 0);
}

static void hlc_recv__refuses_a_clock_beyond_the_drift_bound(void **state)
{
	(void)state;
	heph_hlc c = make(1000, 0, "0123456789abcdef"), before = c;
	heph_hlc ahead = make(1000 + 600001, 0, "fedcba9876543210");
	assert_int_equal(heph_hlc_recv(&c, &ahead, 1000, 600000), HEPH_EFUTURE);
	assert_int_equal(heph_hlc_compare(&c, &before), 0);
	assert_non_null(strstr(heph_error_last(), "ahead"));
	heph_hlc edge = make(1000 + 600000, 0, "fedcba9876543210");
	assert_int_equal(heph_hlc_recv(&c, &edge, 1000, 600000), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hlc_format__is_fixed_width_and_round_trips),
		cmocka_unit_test(hlc_text_order__matches_causal_order),
		cmocka_unit_test(hlc_parse__rejects_malformed_text),
		cmocka_unit_test(hlc_tick__stays_monotonic_when_wall_clock_steps_back),
		cmocka_unit_test(hlc_tick__carries_counter_overflow_into_the_millisecond),
		cmocka_unit_test(hlc_recv__result_is_after_both_clocks),
		cmocka_unit_test(hlc_recv__refuses_a_clock_beyond_the_drift_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
