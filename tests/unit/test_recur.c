/* test_recur.c — the recurrence grammar, the words shown back, and the
 * next instance, including a comparison of the fast path (jumping close to
 * the date) against walking the series from its start. */
#include "helpers.h"

#include "heph/recur.h"

static void parse_is(const char *text, const char *want)
{
	char *got = NULL;
	int err = heph_recur_parse(text, &got);
	if (err)
		fail_msg("\"%s\": %s", text, heph_error_last());
	if (!want) {
		if (got)
			fail_msg("\"%s\": want none, got %s", text, got);
		return;
	}
	if (!got || strcmp(got, want) != 0)
		fail_msg("\"%s\": want %s, got %s", text, want, got ? got : "(none)");
	free(got);
}

static void recur_parse__reads_presets_phrases_and_rules(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{ "daily", "FREQ=DAILY" },
		{ "Weekly", "FREQ=WEEKLY" },
		{ "monthly", "FREQ=MONTHLY" },
		{ "yearly", "FREQ=YEARLY" },
		{ "annually", "FREQ=YEARLY" },
		{ "weekdays", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR" },
		{ "biweekly", "FREQ=WEEKLY;INTERVAL=2" },
		{ "every day", "FREQ=DAILY" },
		{ "every 3 days", "FREQ=DAILY;INTERVAL=3" },
		{ "every other week", "FREQ=WEEKLY;INTERVAL=2" },
		{ "every 2 weeks", "FREQ=WEEKLY;INTERVAL=2" },
		{ "every fortnight", "FREQ=WEEKLY;INTERVAL=2" },
		{ "every month", "FREQ=MONTHLY" },
		{ "every 6 months", "FREQ=MONTHLY;INTERVAL=6" },
		{ "every year", "FREQ=YEARLY" },
		{ "every mon", "FREQ=WEEKLY;BYDAY=MO" },
		{ "every mon,wed", "FREQ=WEEKLY;BYDAY=MO,WE" },
		{ "every Monday and Friday", "FREQ=WEEKLY;BYDAY=MO,FR" },
		{ "every tues, thurs & sat", "FREQ=WEEKLY;BYDAY=TU,TH,SA" },
		{ "every mondays", "FREQ=WEEKLY;BYDAY=MO" },
		{ "every other monday", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO" },
		{ "every weekday", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR" },
		{ "every weekend", "FREQ=WEEKLY;BYDAY=SA,SU" },
		{ "every other week on tue", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU" },
		{ "weekly on mon, thu", "FREQ=WEEKLY;BYDAY=MO,TH" },
		{ "every month on the 15th", "FREQ=MONTHLY;BYMONTHDAY=15" },
		{ "every month on the 1st and 15th", "FREQ=MONTHLY;BYMONTHDAY=1,15" },
		{ "every month on the last day", "FREQ=MONTHLY;BYMONTHDAY=-1" },
		{ "monthly on the first mon", "FREQ=MONTHLY;BYDAY=1MO" },
		{ "every month on the last fri", "FREQ=MONTHLY;BYDAY=-1FR" },
		{ "every 15th", "FREQ=MONTHLY;BYMONTHDAY=15" },
		{ "every 2nd tue", "FREQ=MONTHLY;BYDAY=2TU" },
		{ "every year on apr 15", "FREQ=YEARLY;BYMONTHDAY=15;BYMONTH=4" },
		{ "yearly on 15 April", "FREQ=YEARLY;BYMONTHDAY=15;BYMONTH=4" },
		{ "every day until 2026-12-31", "FREQ=DAILY;UNTIL=20261231" },
		{ "every week for 3 times", "FREQ=WEEKLY;COUNT=3" },
		{ "daily 5 times", "FREQ=DAILY;COUNT=5" },
		{ "FREQ=WEEKLY;INTERVAL=2", "FREQ=WEEKLY;INTERVAL=2" },
		{ "rrule:freq=monthly;bymonthday=15", "FREQ=MONTHLY;BYMONTHDAY=15" },
		{ "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=15;COUNT=2", "FREQ=MONTHLY;COUNT=2;INTERVAL=2;BYMONTHDAY=15" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		parse_is(cases[i][0], cases[i][1]);
	parse_is("none", NULL);
	parse_is("Never", NULL);
}

static void recur_parse__refuses_what_it_cannot_read(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "sometimes", "every", "every blue moon", "every 0 days", "every -1 days",
		"every month on the 45th", "every mon until tomorrow", "daily for ever times",
		"FREQ=HOURLY", "FREQ=DAILY;BYHOUR=9", "FREQ=BOGUS", "FREQ=DAILY;INTERVAL=0",
		"BYDAY=MO", "FREQ=DAILY;FOO=1", "every day every day", "weekly on",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *got = NULL;
		int err = heph_recur_parse(bad[i], &got);
		if (err != HEPH_EINVALID)
			fail_msg("\"%s\" was accepted as %s", bad[i], got ? got : "(none)");
		assert_null(got);
		assert_true(strlen(heph_error_last()) > 0);
	}
}

static void text_is(const char *rule, const char *anchor, const char *want)
{
	char *got = heph_recur_text(rule, anchor);
	if (strcmp(got, want) != 0)
		fail_msg("%s (anchor %s): want \"%s\", got \"%s\"", rule, anchor ? anchor : "-", want, got);
	free(got);
}

static void recur_text__says_rules_in_words(void **state)
{
	(void)state;
	text_is("FREQ=DAILY", NULL, "every day");
	text_is("FREQ=DAILY;INTERVAL=2", NULL, "every other day");
	text_is("FREQ=DAILY;INTERVAL=3", NULL, "every 3 days");
	text_is("FREQ=WEEKLY", "2026-11-18", "every week");
	text_is("FREQ=WEEKLY;INTERVAL=2", NULL, "every other week");
	text_is("FREQ=WEEKLY;INTERVAL=4", NULL, "every 4 weeks");
	text_is("FREQ=WEEKLY;BYDAY=MO,WE", NULL, "every Mon, Wed");
	text_is("FREQ=DAILY;BYDAY=SA,SU", NULL, "every Sat, Sun");
	text_is("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", NULL, "every weekday");
	text_is("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TU,WE,TH,FR", NULL, "every other week on weekdays");
	text_is("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", NULL, "every other week on Tue");
	text_is("FREQ=MONTHLY", NULL, "every month");
	text_is("FREQ=MONTHLY", "2026-11-18", "every month on the 18th");
	text_is("FREQ=MONTHLY;BYMONTHDAY=15", NULL, "every month on the 15th");
	text_is("FREQ=MONTHLY;BYMONTHDAY=1,15", NULL, "every month on the 1st and 15th");
	text_is("FREQ=MONTHLY;BYMONTHDAY=-1", NULL, "every month on the last day");
	text_is("FREQ=MONTHLY;BYDAY=1MO", NULL, "every month on the first Mon");
	text_is("FREQ=MONTHLY;BYDAY=-1FR", NULL, "every month on the last Fri");
	text_is("FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=22", NULL, "every 3 months on the 22nd");
	text_is("FREQ=YEARLY", "2026-04-15", "yearly on Apr 15");
	text_is("FREQ=YEARLY", NULL, "yearly");
	text_is("FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=15", NULL, "yearly on Apr 15");
	text_is("FREQ=MONTHLY;BYMONTHDAY=28,29,30;BYSETPOS=-1", NULL, "every month on the 30th or the last day");
	text_is("FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=28,29;BYSETPOS=-1", NULL,
		"every other month on the 29th or the last day");
	text_is("FREQ=MONTHLY;BYMONTHDAY=1,2;BYSETPOS=-1", NULL, "FREQ=MONTHLY;BYMONTHDAY=1,2;BYSETPOS=-1");
	text_is("FREQ=DAILY;COUNT=3", NULL, "every day, 3 times");
	text_is("FREQ=DAILY;COUNT=1", NULL, "every day, once");
	text_is("FREQ=WEEKLY;UNTIL=20261231", NULL, "every week, until 2026-12-31");
	/* what has no words is shown as the rule */
	text_is("FREQ=YEARLY;BYWEEKNO=20", NULL, "FREQ=YEARLY;BYWEEKNO=20");
	text_is("not a rule", NULL, "not a rule");
}

static void next_is(const char *rule, const char *start, const char *after, const char *want, const char *rest)
{
	char next[HEPH_DATE_LEN + 1], *r = NULL;
	if (heph_recur_next(rule, start, after, next, &r))
		fail_msg("%s from %s after %s: %s", rule, start, after, heph_error_last());
	if (strcmp(next, want) != 0)
		fail_msg("%s from %s after %s: want \"%s\", got \"%s\"", rule, start, after, want, next);
	if (rest || r) {
		if (!rest || !r || strcmp(rest, r) != 0)
			fail_msg("%s: want rest %s, got %s", rule, rest ? rest : "-", r ? r : "-");
	}
	free(r);
}

static void recur_next__is_the_first_instance_strictly_after(void **state)
{
	(void)state;
	next_is("FREQ=DAILY", "2026-11-18", "2026-11-18", "2026-11-19", NULL);
	next_is("FREQ=WEEKLY", "2026-11-18", "2026-11-18", "2026-11-25", NULL);
	/* missed instances are skipped */
	next_is("FREQ=WEEKLY", "2026-11-04", "2026-11-18", "2026-11-25", NULL);
	next_is("FREQ=WEEKLY;INTERVAL=2", "2026-11-04", "2026-11-18", "2026-12-02", NULL);
	next_is("FREQ=WEEKLY;BYDAY=MO,WE", "2026-11-18", "2026-11-18", "2026-11-23", NULL);
	next_is("FREQ=MONTHLY;BYMONTHDAY=15", "2026-11-15", "2026-11-18", "2026-12-15", NULL);
	next_is("FREQ=MONTHLY;BYMONTHDAY=31", "2026-10-31", "2026-10-31", "2026-12-31", NULL);
	next_is("FREQ=YEARLY", "2026-04-15", "2026-11-18", "2027-04-15", NULL);
	next_is("FREQ=DAILY;INTERVAL=3", "1990-01-01", "2026-11-18", "2026-11-21", NULL);
	next_is("FREQ=DAILY;INTERVAL=3", "1990-01-02", "2026-11-18", "2026-11-19", NULL);
	/* a finished series has no next instance */
	next_is("FREQ=DAILY;UNTIL=20261120", "2026-11-18", "2026-11-20", "", NULL);
	next_is("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "2026-01-01", "2026-11-18", "", NULL);
	/* COUNT counts what is left; passing instances lowers it */
	next_is("FREQ=DAILY;COUNT=3", "2026-11-18", "2026-11-18", "2026-11-19", "FREQ=DAILY;COUNT=2");
	next_is("FREQ=DAILY;COUNT=5", "2026-11-10", "2026-11-12", "2026-11-13", "FREQ=DAILY;COUNT=2");
	next_is("FREQ=DAILY;COUNT=1", "2026-11-18", "2026-11-18", "", NULL);
	next_is("FREQ=DAILY;COUNT=3", "2026-11-10", "2026-11-18", "", NULL);
}

/* The fast path (set_start) agrees with walking the series. */
static void recur_next__jumping_ahead_agrees_with_walking(void **state)
{
	(void)state;
	static const char *const rules[] = {
		"FREQ=DAILY", "FREQ=DAILY;INTERVAL=3", "FREQ=WEEKLY;INTERVAL=2", "FREQ=WEEKLY;BYDAY=MO,WE,FR",
		"FREQ=WEEKLY;INTERVAL=3;BYDAY=TU,SU", "FREQ=MONTHLY;BYMONTHDAY=31", "FREQ=MONTHLY;INTERVAL=5",
		"FREQ=MONTHLY;BYDAY=-1FR", "FREQ=YEARLY", "FREQ=YEARLY;INTERVAL=2;BYMONTH=2;BYMONTHDAY=29",
	};
	unsigned seed = 7;
	for (size_t k = 0; k < sizeof rules / sizeof rules[0]; k++) {
		for (int trial = 0; trial < 40; trial++) {
			char start[HEPH_DATE_LEN + 1], after[HEPH_DATE_LEN + 1], fast[HEPH_DATE_LEN + 1];
			seed = seed * 1103515245u + 12345u;
			heph_date_add_days("2020-01-01", (int)(seed >> 8) % 2000, start);
			seed = seed * 1103515245u + 12345u;
			heph_date_add_days(start, (int)(seed >> 8) % 1500, after);
			assert_int_equal(heph_recur_next(rules[k], start, after, fast, NULL), 0);
			/* with a COUNT the series is walked from its start */
			char walked_rule[128], walk[HEPH_DATE_LEN + 1];
			snprintf(walked_rule, sizeof walked_rule, "%s;COUNT=100000", rules[k]);
			assert_int_equal(heph_recur_next(walked_rule, start, after, walk, NULL), 0);
			if (strcmp(fast, walk) != 0)
				fail_msg("%s from %s after %s: jump %s, walk %s", rules[k], start, after, fast, walk);
		}
	}
}

static void month_end_is(const char *rule, const char *anchor, const char *want)
{
	char *got = heph_recur_month_end(rule, anchor);
	if (want ? !got || strcmp(got, want) != 0 : got != NULL)
		fail_msg("%s on %s: want %s, got %s", rule, anchor ? anchor : "-", want ? want : "(unchanged)",
			 got ? got : "(unchanged)");
	free(got);
}

/* "monthly" started on the 29th to 31st keeps to that day or the month's
 * last day; each step is computed from the rule alone, so every replica
 * walks the same dates. */
static void recur_month_end__monthly_on_the_31st_falls_on_each_month_s_last_day(void **state)
{
	(void)state;
	month_end_is("FREQ=MONTHLY", "2027-01-31", "FREQ=MONTHLY;BYMONTHDAY=-1");
	month_end_is("FREQ=MONTHLY", "2027-01-30", "FREQ=MONTHLY;BYMONTHDAY=28,29,30;BYSETPOS=-1");
	month_end_is("FREQ=MONTHLY", "2027-01-29", "FREQ=MONTHLY;BYMONTHDAY=28,29;BYSETPOS=-1");
	month_end_is("FREQ=MONTHLY;INTERVAL=2;COUNT=4", "2027-12-31", "FREQ=MONTHLY;COUNT=4;INTERVAL=2;BYMONTHDAY=-1");
	month_end_is("FREQ=MONTHLY", "2027-01-28", NULL);
	month_end_is("FREQ=MONTHLY;BYMONTHDAY=31", "2027-01-31", NULL); /* a day of its own: RFC 5545 */
	month_end_is("FREQ=WEEKLY", "2027-01-31", NULL);
	month_end_is("FREQ=MONTHLY", NULL, NULL);
	/* the do-date walks Jan 31, Feb 28, Mar 31, Apr 30 (plain FREQ=MONTHLY would go to Mar 31) */
	next_is("FREQ=MONTHLY;BYMONTHDAY=-1", "2027-01-31", "2027-01-31", "2027-02-28", NULL);
	next_is("FREQ=MONTHLY;BYMONTHDAY=-1", "2027-02-28", "2027-02-28", "2027-03-31", NULL);
	next_is("FREQ=MONTHLY;BYMONTHDAY=-1", "2027-03-31", "2027-03-31", "2027-04-30", NULL);
	next_is("FREQ=MONTHLY;BYMONTHDAY=28,29,30;BYSETPOS=-1", "2027-01-30", "2027-01-30", "2027-02-28", NULL);
	next_is("FREQ=MONTHLY;BYMONTHDAY=28,29,30;BYSETPOS=-1", "2027-02-28", "2027-02-28", "2027-03-30", NULL);
	next_is("FREQ=MONTHLY;BYMONTHDAY=28,29;BYSETPOS=-1", "2028-01-29", "2028-01-29", "2028-02-29", NULL);
	next_is("FREQ=MONTHLY;BYMONTHDAY=28,29;BYSETPOS=-1", "2027-01-29", "2027-01-29", "2027-02-28", NULL);
	/* a raw rule keeps RFC 5545's meaning: the 31st skips short months */
	next_is("FREQ=MONTHLY", "2027-01-31", "2027-01-31", "2027-03-31", NULL);
	/* the phrase with a day of 29 to 31 says the same */
	parse_is("every month on the 31st", "FREQ=MONTHLY;BYMONTHDAY=-1");
	parse_is("every month on the 30th", "FREQ=MONTHLY;BYMONTHDAY=28,29,30;BYSETPOS=-1");
	parse_is("monthly on the 29th", "FREQ=MONTHLY;BYMONTHDAY=28,29;BYSETPOS=-1");
	parse_is("every month on the 1st and 31st", "FREQ=MONTHLY;BYMONTHDAY=1,31");
	parse_is("FREQ=MONTHLY;BYMONTHDAY=31", "FREQ=MONTHLY;BYMONTHDAY=31");
}

static void recur_first__is_on_or_after_the_day(void **state)
{
	(void)state;
	char d[HEPH_DATE_LEN + 1];
	assert_int_equal(heph_recur_first("FREQ=WEEKLY", "2026-11-18", d), 0);
	assert_string_equal(d, "2026-11-18");
	assert_int_equal(heph_recur_first("FREQ=WEEKLY;BYDAY=MO", "2026-11-18", d), 0);
	assert_string_equal(d, "2026-11-23");
	assert_int_equal(heph_recur_first("FREQ=MONTHLY;BYMONTHDAY=15", "2026-11-18", d), 0);
	assert_string_equal(d, "2026-12-15");
	assert_int_equal(heph_recur_first("FREQ=MONTHLY;BYMONTHDAY=18", "2026-11-18", d), 0);
	assert_string_equal(d, "2026-11-18");
	assert_int_equal(heph_recur_first("FREQ=DAILY", "2026-02-30", d), HEPH_EINVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(recur_parse__reads_presets_phrases_and_rules),
		cmocka_unit_test(recur_parse__refuses_what_it_cannot_read),
		cmocka_unit_test(recur_text__says_rules_in_words),
		cmocka_unit_test(recur_next__is_the_first_instance_strictly_after),
		cmocka_unit_test(recur_next__jumping_ahead_agrees_with_walking),
		cmocka_unit_test(recur_first__is_on_or_after_the_day),
		cmocka_unit_test(recur_month_end__monthly_on_the_31st_falls_on_each_month_s_last_day),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
