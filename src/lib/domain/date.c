/* date.c — the one date grammar (heph/date.h) and day arithmetic on civil
 * dates, with no time zones involved: a day is a day. The weekday and
 * month names live here only; recurrence phrases (recur.c) and quick add
 * (quickadd.c) read them through heph_date_weekday_of/heph_date_month_of
 * and heph_date_words. */
#include "heph/date.h"
#include "heph/error.h"
#include "internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Days since 1970-01-01 of a civil date, and back (H. Hinnant's algorithm). */
static long days_from_civil(long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

static void civil_from_days(long z, long *y, unsigned *m, unsigned *d)
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (long)yoe + era * 400 + (*m <= 2);
}

static int to_days(const char *date, long *out)
{
	if (heph__check_date(date))
		return HEPH_EINVALID;
	long y = strtol(date, NULL, 10);
	unsigned m = (unsigned)strtol(date + 5, NULL, 10), d = (unsigned)strtol(date + 8, NULL, 10);
	*out = days_from_civil(y, m, d);
	return 0;
}

static int from_days(long z, char out[HEPH_DATE_LEN + 1])
{
	long y;
	unsigned m, d;
	civil_from_days(z, &y, &m, &d);
	if (y < 1 || y > 9999)
		return heph_error_set(HEPH_EINVALID, "date out of range");
	snprintf(out, HEPH_DATE_LEN + 1, "%04ld-%02u-%02u", y, m, d);
	return 0;
}

int heph_date_add_days(const char *date, int days, char out[HEPH_DATE_LEN + 1])
{
	long z;
	if (to_days(date, &z))
		return HEPH_EINVALID;
	return from_days(z + days, out);
}

int heph_date_days_in_month(long y, int m)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m < 1 || m > 12)
		return 0;
	return dim[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}

int heph_date_add_months(const char *date, int months, char out[HEPH_DATE_LEN + 1])
{
	if (heph__check_date(date))
		return HEPH_EINVALID;
	long y = strtol(date, NULL, 10);
	long m = strtol(date + 5, NULL, 10) - 1 + months;
	int d = (int)strtol(date + 8, NULL, 10);
	y += m >= 0 ? m / 12 : -((11 - m) / 12);
	m = ((m % 12) + 12) % 12;
	int last = heph_date_days_in_month(y, (int)m + 1);
	if (d > last)
		d = last; /* Jan 31 + 1 month = the last day of February */
	if (y < 1 || y > 9999)
		return heph_error_set(HEPH_EINVALID, "date out of range");
	snprintf(out, HEPH_DATE_LEN + 1, "%04ld-%02ld-%02d", y, m + 1, d);
	return 0;
}

long heph_date_diff(const char *a, const char *b)
{
	long x, y;
	if (to_days(a, &x) || to_days(b, &y))
		return 0;
	return y - x;
}

int heph_date_weekday(const char *date)
{
	long z;
	if (to_days(date, &z))
		return -1;
	/* 1970-01-01 was a Thursday (3 when Monday is 0). */
	return (int)(((z % 7) + 7 + 3) % 7);
}

/* ---- names ---- */

static const char *const weekday_names[7] = { "monday", "tuesday", "wednesday", "thursday",
					      "friday", "saturday", "sunday" };
static const char *const month_names[12] = { "january", "february", "march", "april", "may", "june",
					     "july", "august", "september", "october", "november",
					     "december" };

static int prefix_of(const char *word, const char *const *names, int count)
{
	size_t n = word ? strlen(word) : 0;
	if (n < 3)
		return -1;
	for (int i = 0; i < count; i++)
		if (n <= strlen(names[i]) && strncasecmp(word, names[i], n) == 0)
			return i;
	return -1;
}

int heph_date_weekday_of(const char *word) { return prefix_of(word, weekday_names, 7); }

const char *heph_date_weekday_name(int wd) { return wd >= 0 && wd < 7 ? weekday_names[wd] : NULL; }

const char *heph_date_month_name(int m) { return m >= 1 && m <= 12 ? month_names[m - 1] : NULL; }

int heph_date_month_of(const char *word)
{
	int m = prefix_of(word, month_names, 12);
	return m < 0 ? -1 : m + 1;
}

/* ---- the grammar ---- */

#define HINT "try today, tomorrow, fri, next week, in 3 days, +2w, dec 15, eom, YYYY-MM-DD or none"
#define MAX_AHEAD 3650 /* "+N" and "in N" reach at most this many units */

static int not_a_date(void) { return heph_error_set(HEPH_ENOTFOUND, "not a date (" HINT ")"); }

static int no_such_day(long y, int m, int d)
{
	if (m < 1 || m > 12)
		return heph_error_set(HEPH_EINVALID, "there is no month %d (1 to 12)", m);
	if (y)
		return heph_error_set(HEPH_EINVALID, "there is no %s %d in %ld (it has %d days)", month_names[m - 1],
				      d, y, heph_date_days_in_month(y, m));
	return heph_error_set(HEPH_EINVALID, "there is no %s %d (it has at most %d days)", month_names[m - 1], d,
			      heph_date_days_in_month(2000, m));
}

static int all_digits(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);
	if (n < min || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* A day of the month: "15", "15th", "1st", "2nd", "3rd"; 1-31, else 0. */
static int month_day(const char *s)
{
	size_t n = strlen(s), k = 0;
	while (k < n && isdigit((unsigned char)s[k]))
		k++;
	if (k < 1 || k > 2 || (k < n && strcmp(s + k, "st") && strcmp(s + k, "nd") && strcmp(s + k, "rd") &&
			       strcmp(s + k, "th")))
		return 0;
	int d = atoi(s);
	return d >= 1 && d <= 31 ? d : 0;
}

static int put(long y, int m, int d, char out[HEPH_DATE_LEN + 1])
{
	if (y < 1 || y > 9999)
		return heph_error_set(HEPH_EINVALID, "date out of range (years 1 to 9999)");
	snprintf(out, HEPH_DATE_LEN + 1, "%04ld-%02d-%02d", y, m, d);
	return 0;
}

/* "dec 15" / "15 dec", with year (0: the next such day from today on). */
static int month_and_day(int m, int d, const char *year, const char *today, char out[HEPH_DATE_LEN + 1])
{
	long ty = strtol(today, NULL, 10);
	if (year) {
		if (!all_digits(year, 4, 4))
			return not_a_date();
		long y = strtol(year, NULL, 10);
		if (d > heph_date_days_in_month(y, m))
			return no_such_day(y, m, d);
		return put(y, m, d, out);
	}
	if (d > heph_date_days_in_month(2000, m)) /* 2000 is a leap year */
		return no_such_day(0, m, d);
	for (long y = ty; y <= ty + 8; y++) {
		if (d > heph_date_days_in_month(y, m))
			continue; /* February 29th: the next leap year */
		if (put(y, m, d, out))
			return HEPH_EINVALID;
		if (strcmp(out, today) >= 0)
			return 0;
	}
	return heph_error_set(HEPH_EINVALID, "date out of range");
}

/* N days, weeks, months or years from today (unit d, w, m, y). */
static int ahead(const char *today, long k, char unit, char out[HEPH_DATE_LEN + 1])
{
	if (k < -MAX_AHEAD || k > MAX_AHEAD)
		return heph_error_set(HEPH_EINVALID, "too far: at most %d days, weeks, months or years",
				      MAX_AHEAD);
	switch (unit) {
	case 'd': return heph_date_add_days(today, (int)k, out);
	case 'w': return heph_date_add_days(today, (int)k * 7, out);
	case 'm': return heph_date_add_months(today, (int)k, out);
	case 'y': return heph_date_add_months(today, (int)k * 12, out);
	default: return not_a_date();
	}
}

static char unit_of(const char *w)
{
	static const struct {
		const char *name;
		char code;
	} units[] = { { "day", 'd' },   { "days", 'd' },   { "week", 'w' }, { "weeks", 'w' },
		      { "month", 'm' }, { "months", 'm' }, { "year", 'y' }, { "years", 'y' } };
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(w, units[i].name) == 0)
			return units[i].code;
	return 0;
}

/* "end of" week, month or year: w, m or y. */
static int end_of(const char *today, char unit, char out[HEPH_DATE_LEN + 1])
{
	long y = strtol(today, NULL, 10);
	int m = atoi(today + 5);
	switch (unit) {
	case 'w': return heph_date_add_days(today, 6 - heph_date_weekday(today), out);
	case 'm': return put(y, m, heph_date_days_in_month(y, m), out);
	case 'y': return put(y, 12, 31, out);
	default: return not_a_date();
	}
}

/* One word. */
static int one(const char *w, const char *today, char out[HEPH_DATE_LEN + 1])
{
	int wd;
	if (strcmp(w, "today") == 0 || strcmp(w, "tonight") == 0)
		return heph_date_add_days(today, 0, out);
	if (strcmp(w, "tomorrow") == 0 || strcmp(w, "tmrw") == 0 || strcmp(w, "tmr") == 0)
		return heph_date_add_days(today, 1, out);
	if (strcmp(w, "yesterday") == 0)
		return heph_date_add_days(today, -1, out);
	if (strcmp(w, "eom") == 0 || strcmp(w, "eow") == 0 || strcmp(w, "eoy") == 0)
		return end_of(today, w[2], out);
	if ((w[0] == '+' || w[0] == '-') && isdigit((unsigned char)w[1])) {
		size_t n = strlen(w);
		char num[8];
		if (n < 3 || n - 2 >= sizeof num || !strchr("dwmy", w[n - 1]))
			return not_a_date();
		memcpy(num, w + 1, n - 2);
		num[n - 2] = '\0';
		if (!all_digits(num, 1, 6))
			return not_a_date();
		long k = strtol(num, NULL, 10);
		return ahead(today, w[0] == '-' ? -k : k, w[n - 1], out);
	}
	if (strlen(w) == HEPH_DATE_LEN && w[4] == '-' && w[7] == '-') {
		char y[5], m[3], d[3];
		memcpy(y, w, 4), y[4] = '\0';
		memcpy(m, w + 5, 2), m[2] = '\0';
		memcpy(d, w + 8, 2), d[2] = '\0';
		if (!all_digits(y, 4, 4) || !all_digits(m, 2, 2) || !all_digits(d, 2, 2))
			return not_a_date();
		if (heph__check_date(w))
			return no_such_day(strtol(y, NULL, 10), atoi(m), atoi(d));
		memcpy(out, w, HEPH_DATE_LEN + 1);
		return 0;
	}
	if ((wd = heph_date_weekday_of(w)) >= 0) {
		int ahead_days = ((wd - heph_date_weekday(today)) % 7 + 7) % 7;
		return heph_date_add_days(today, ahead_days ? ahead_days : 7, out);
	}
	return not_a_date();
}

/* "next" one word. */
static int next(const char *w, const char *today, char out[HEPH_DATE_LEN + 1])
{
	int wd = heph_date_weekday_of(w);
	long y = strtol(today, NULL, 10);
	int m = atoi(today + 5);
	if (strcmp(w, "week") == 0)
		wd = 0;
	if (wd >= 0) /* that day in the week that starts next Monday */
		return heph_date_add_days(today, 7 - heph_date_weekday(today) + wd, out);
	if (strcmp(w, "month") == 0)
		return m == 12 ? put(y + 1, 1, 1, out) : put(y, m + 1, 1, out);
	if (strcmp(w, "year") == 0)
		return put(y + 1, 1, 1, out);
	return not_a_date();
}

int heph_date_words(const char *const *words, size_t n, const char *today, char out[HEPH_DATE_LEN + 1])
{
	char w[4][32];
	int m, d;
	out[0] = '\0';
	if (n >= 2 && words[0] && strcasecmp(words[0], "on") == 0)
		words++, n--; /* "on friday" */
	if (n < 1 || n > 4)
		return not_a_date();
	for (size_t i = 0; i < n; i++) {
		size_t len = words[i] ? strlen(words[i]) : 0;
		if (len == 0 || len >= sizeof w[i])
			return not_a_date();
		for (size_t j = 0; j <= len; j++)
			w[i][j] = (char)tolower((unsigned char)words[i][j]);
	}
	if (n == 1 && (strcmp(w[0], "none") == 0 || strcmp(w[0], "clear") == 0))
		return 0;
	if (heph__check_date(today))
		return heph_error_set(HEPH_EINVALID, "bad today \"%.40s\"", today ? today : "");
	if (n == 1)
		return one(w[0], today, out);
	if (n == 2 && strcmp(w[0], "next") == 0)
		return next(w[1], today, out);
	if (n == 3 && strcmp(w[0], "in") == 0) {
		long k = -1;
		if (strcmp(w[1], "a") == 0 || strcmp(w[1], "an") == 0 || strcmp(w[1], "one") == 0)
			k = 1;
		else if (all_digits(w[1], 1, 6))
			k = strtol(w[1], NULL, 10);
		char unit = unit_of(w[2]);
		return k < 0 || !unit ? not_a_date() : ahead(today, k, unit, out);
	}
	if (n == 3 && strcmp(w[0], "end") == 0 && strcmp(w[1], "of") == 0) {
		char unit = unit_of(w[2]);
		return unit && unit != 'd' ? end_of(today, unit, out) : not_a_date();
	}
	if (n > 3)
		return not_a_date();
	/* "dec 15", "15 dec", "december 15th 2027" */
	if ((m = heph_date_month_of(w[0])) > 0 && (d = month_day(w[1])) > 0)
		return month_and_day(m, d, n == 3 ? w[2] : NULL, today, out);
	if ((d = month_day(w[0])) > 0 && (m = heph_date_month_of(w[1])) > 0)
		return month_and_day(m, d, n == 3 ? w[2] : NULL, today, out);
	return not_a_date();
}

int heph_date_parse(const char *phrase, const char *today, char out[HEPH_DATE_LEN + 1])
{
	char buf[128], *words[8], *save = NULL;
	size_t n = 0, len = phrase ? strlen(phrase) : 0;
	int err;
	out[0] = '\0';
	if (len == 0 || len >= sizeof buf)
		goto bad;
	memcpy(buf, phrase, len + 1);
	for (char *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == sizeof words / sizeof words[0])
			goto bad;
		words[n++] = t;
	}
	if (n == 0)
		goto bad;
	err = heph_date_words((const char *const *)words, n, today, out);
	if (err == 0)
		return 0;
	if (err != HEPH_ENOTFOUND)
		return heph_error_wrap(HEPH_EINVALID, "bad date \"%.40s\": ", phrase);
bad:
	return heph_error_set(HEPH_EINVALID, "bad date \"%.40s\" (" HINT ")", phrase ? phrase : "");
}
