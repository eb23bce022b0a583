/* date.c — the date grammar (heph/date.h) and day arithmetic on civil
 * dates, with no time zones involved: a day is a day. */
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

int heph_date_add_months(const char *date, int months, char out[HEPH_DATE_LEN + 1])
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (heph__check_date(date))
		return HEPH_EINVALID;
	long y = strtol(date, NULL, 10);
	long m = strtol(date + 5, NULL, 10) - 1 + months;
	int d = (int)strtol(date + 8, NULL, 10);
	y += m >= 0 ? m / 12 : -((11 - m) / 12);
	m = ((m % 12) + 12) % 12;
	int last = dim[m] + (m == 1 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
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

static const char *const weekdays[] = { "monday", "tuesday", "wednesday", "thursday",
					"friday", "saturday", "sunday" };

/* "mon", "tue", "tues", "wed", ..., or the full name. */
static int weekday_of(const char *w)
{
	size_t n = strlen(w);
	if (n < 3)
		return -1;
	for (int i = 0; i < 7; i++)
		if (n <= strlen(weekdays[i]) && strncasecmp(w, weekdays[i], n) == 0)
			return i;
	return -1;
}

int heph_date_parse(const char *word, const char *today, char out[HEPH_DATE_LEN + 1])
{
	char w[32];
	size_t n = word ? strlen(word) : 0;
	int wd;
	if (n == 0 || n >= sizeof w)
		goto bad;
	for (size_t i = 0; i <= n; i++)
		w[i] = (char)tolower((unsigned char)word[i]);
	if (strcmp(w, "none") == 0 || strcmp(w, "clear") == 0) {
		out[0] = '\0';
		return 0;
	}
	if (heph__check_date(today))
		return heph_error_set(HEPH_EINVALID, "bad today \"%s\"", today);
	if (strcmp(w, "today") == 0 || strcmp(w, "tod") == 0)
		return heph_date_add_days(today, 0, out);
	if (strcmp(w, "tomorrow") == 0 || strcmp(w, "tom") == 0 || strcmp(w, "tmr") == 0)
		return heph_date_add_days(today, 1, out);
	if (strcmp(w, "yesterday") == 0)
		return heph_date_add_days(today, -1, out);
	if (w[0] == '+' || w[0] == '-') {
		char *end;
		if (w[1] < '0' || w[1] > '9')
			goto bad; /* strtol would also take a second sign or spaces */
		long k = strtol(w + 1, &end, 10);
		if (end == w + 1 || k < 0 || k > 3650 || end[0] == '\0' || end[1] != '\0')
			goto bad;
		if (w[0] == '-')
			k = -k;
		switch (end[0]) {
		case 'd': return heph_date_add_days(today, (int)k, out);
		case 'w': return heph_date_add_days(today, (int)k * 7, out);
		case 'm': return heph_date_add_months(today, (int)k, out);
		case 'y': return heph_date_add_months(today, (int)k * 12, out);
		default: goto bad;
		}
	}
	if ((wd = weekday_of(w)) >= 0) {
		int now = heph_date_weekday(today);
		int ahead = ((wd - now) % 7 + 7) % 7;
		return heph_date_add_days(today, ahead ? ahead : 7, out);
	}
	if (heph__check_date(w) == 0) {
		memcpy(out, w, HEPH_DATE_LEN + 1);
		return 0;
	}
bad:
	return heph_error_set(HEPH_EINVALID,
			      "bad date \"%.40s\" (try today, tomorrow, +3d, +2w, fri, YYYY-MM-DD or none)",
			      word ? word : "");
}
