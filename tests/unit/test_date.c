/* test_date.c — the date words. */
#include "helpers.h"

#include "heph/date.h"

static void expect(const char *word, const char *today, const char *want)
{
	char out[HEPH_DATE_LEN + 1];
	int err = heph_date_parse(word, today, out);
	if (err)
		fail_msg("%s: %s", word, heph_error_last());
	if (strcmp(out, want) != 0)
		fail_msg("%s from %s: got %s, want %s", word, today, out, want);
}

static void date_parse__understands_the_date_words(void **state)
{
	(void)state;
	/* 2026-11-18 is a Wednesday */
	expect("today", "2026-11-18", "2026-11-18");
	expect("tomorrow", "2026-11-18", "2026-11-19");
	expect("Tomorrow", "2026-11-18", "2026-11-19");
	expect("yesterday", "2026-11-18", "2026-11-17");
	expect("+3d", "2026-11-18", "2026-11-21");
	expect("+2w", "2026-11-18", "2026-12-02");
	expect("+1m", "2026-01-31", "2026-02-28");
	expect("+1m", "2024-01-31", "2024-02-29");
	expect("-1d", "2026-03-01", "2026-02-28");
	expect("+20d", "2026-12-25", "2027-01-14");
	expect("2027-02-03", "2026-11-18", "2027-02-03");
	expect("none", "2026-11-18", "");
}

static void date_parse__weekday_names_mean_the_next_such_day(void **state)
{
	(void)state;
	expect("thu", "2026-11-18", "2026-11-19");
	expect("friday", "2026-11-18", "2026-11-20");
	expect("mon", "2026-11-18", "2026-11-23");
	expect("wed", "2026-11-18", "2026-11-25"); /* strictly after today */
	expect("sun", "2026-11-18", "2026-11-22");
}

static void date_parse__rejects_everything_else(void **state)
{
	(void)state;
	const char *bad[] = { "", "tomorow", "2026-02-30", "2026-13-01", "26-11-18", "+3", "+d", "+3x",
			      "2026-11-18x", "someday", "mo", "+99999d", "--3d", "+-3d", "-+3d", "+ 3d",
			      "--22222222222212820y" };
	char out[HEPH_DATE_LEN + 1];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (heph_date_parse(bad[i], "2026-11-18", out) != HEPH_EINVALID)
			fail_msg("accepted \"%s\"", bad[i]);
	assert_int_equal(heph_date_parse(NULL, "2026-11-18", out), HEPH_EINVALID);
}

static void date_weekday__knows_the_calendar(void **state)
{
	(void)state;
	assert_int_equal(heph_date_weekday("1970-01-01"), 3);
	assert_int_equal(heph_date_weekday("2026-11-18"), 2);
	assert_int_equal(heph_date_weekday("2000-02-29"), 1);
	assert_int_equal(heph_date_diff("2026-11-18", "2027-11-18"), 365);
	assert_int_equal(heph_date_diff("2027-11-18", "2028-11-18"), 366);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(date_parse__understands_the_date_words),
		cmocka_unit_test(date_parse__weekday_names_mean_the_next_such_day),
		cmocka_unit_test(date_parse__rejects_everything_else),
		cmocka_unit_test(date_weekday__knows_the_calendar),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
