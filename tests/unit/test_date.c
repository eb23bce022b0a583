/* test_date.c — the date words. */
#include "helpers.h"

#include "heph/date.h"
#include "heph/quickadd.h"

#include <ctype.h>

#ifndef DATA_DIR
#define DATA_DIR "tests/data"
#endif

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

/* The words of a phrase, one space apart. */
static void squeeze(const char *phrase, char *out, size_t size)
{
	size_t n = 0;
	for (const char *c = phrase; *c && n + 1 < size; c++)
		if (!isspace((unsigned char)*c))
			out[n++] = *c;
		else if (n && out[n - 1] != ' ' && c[1] && !isspace((unsigned char)c[1]))
			out[n++] = ' ';
	out[n] = '\0';
}

/* tests/data/dates.tsv through both paths: the date parser (as --do-date
 * and every date parameter use it) and quick add, where the phrase follows
 * a title. Both must read every phrase alike. */
static void date_grammar__quick_add_and_the_parser_agree_on_every_phrase(void **state)
{
	(void)state;
	FILE *f = fopen(DATA_DIR "/dates.tsv", "r");
	char line[256], phrase[128], words[128], text[160], out[HEPH_DATE_LEN + 1];
	int rows = 0;
	assert_non_null(f);
	while (fgets(line, sizeof line, f)) {
		char *tab = strchr(line, '\t'), *want;
		if (line[0] == '#' || !tab)
			continue;
		*tab = '\0';
		want = tab + 1;
		want[strcspn(want, "\n")] = '\0';
		snprintf(phrase, sizeof phrase, "%s", line);
		squeeze(phrase, words, sizeof words);
		rows++;
		int err = heph_date_parse(phrase, "2026-11-18", out);
		int bad = strcmp(want, "impossible") == 0, none = strcmp(want, "nodate") == 0;
		if (bad || none) {
			if (err != HEPH_EINVALID)
				fail_msg("--do-date \"%s\" gave %s, want an error", phrase, out);
		} else if (err) {
			fail_msg("--do-date \"%s\": %s", phrase, heph_error_last());
		} else if (strcmp(out, strcmp(want, "-") == 0 ? "" : want)) {
			fail_msg("--do-date \"%s\" gave \"%s\", want %s", phrase, out, want);
		}

		heph_quickadd q;
		snprintf(text, sizeof text, "Task %s", phrase);
		err = heph_quickadd_parse(text, "2026-11-18", NULL, 0, &q);
		if (bad) {
			if (err != HEPH_EINVALID)
				fail_msg("quick add \"%s\" gave \"%s\" %s, want an error", text, q.title, q.do_date);
			continue;
		}
		if (err)
			fail_msg("quick add \"%s\": %s", text, heph_error_last());
		char title[160];
		snprintf(title, sizeof title, "Task %s", words);
		/* "none" and words that are no date stay in the title */
		int kept = none || strcmp(want, "-") == 0;
		if (strcmp(q.title, kept ? title : "Task") || strcmp(q.do_date, kept ? "" : want))
			fail_msg("quick add \"%s\" gave [%s] [%s], want [%s] [%s]", text, q.title, q.do_date,
				 kept ? title : "Task", kept ? "" : want);
		heph_quickadd_clear(&q);
	}
	fclose(f);
	assert_true(rows >= 150);
}

static void date_parse__says_what_is_wrong(void **state)
{
	(void)state;
	char out[HEPH_DATE_LEN + 1];
	assert_int_equal(heph_date_parse("2026-02-30", "2026-11-18", out), HEPH_EINVALID);
	assert_non_null(strstr(heph_error_last(), "there is no february 30 in 2026 (it has 28 days)"));
	assert_int_equal(heph_date_parse("31 april", "2026-11-18", out), HEPH_EINVALID);
	assert_non_null(strstr(heph_error_last(), "there is no april 31"));
	assert_int_equal(heph_date_parse("someday", "2026-11-18", out), HEPH_EINVALID);
	assert_non_null(strstr(heph_error_last(), "\"someday\""));
	assert_non_null(strstr(heph_error_last(), "next week"));
	const char *w[] = { "in", "2", "weeks" };
	assert_int_equal(heph_date_words(w, 3, "2026-11-18", out), 0);
	assert_string_equal(out, "2026-12-02");
	assert_int_equal(heph_date_words(w, 2, "2026-11-18", out), HEPH_ENOTFOUND);
	assert_int_equal(heph_date_words(w, 0, "2026-11-18", out), HEPH_ENOTFOUND);
}

static void date_names__read_prefixes_of_three_letters_or_more(void **state)
{
	(void)state;
	assert_int_equal(heph_date_weekday_of("Thur"), 3);
	assert_int_equal(heph_date_weekday_of("th"), -1);
	assert_int_equal(heph_date_weekday_of("fridays"), -1);
	assert_int_equal(heph_date_month_of("SEPT"), 9);
	assert_int_equal(heph_date_month_of("ma"), -1);
	assert_int_equal(heph_date_month_of("decade"), -1);
	assert_int_equal(heph_date_days_in_month(2028, 2), 29);
	assert_int_equal(heph_date_days_in_month(2100, 2), 28);
	assert_int_equal(heph_date_days_in_month(2026, 13), 0);
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
		cmocka_unit_test(date_grammar__quick_add_and_the_parser_agree_on_every_phrase),
		cmocka_unit_test(date_parse__says_what_is_wrong),
		cmocka_unit_test(date_names__read_prefixes_of_three_letters_or_more),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
