/* recur.c — recurrence phrases to RRULEs and back, and the next instance
 * (heph/recur.h). libical parses, canonicalizes and iterates the rules;
 * the phrase grammar and the words are ours.
 *
 * A phrase is read as tokens (lower-cased, split at spaces and commas; "the",
 * "and" and "&" are dropped) by a small recursive-descent reader:
 *
 *   phrase  := "every" body | preset [on] [tail]
 *   body    := [interval] unit [on] [tail] | days [tail] | ordinals [tail]
 *   interval:= N | "other"              unit := day|week|month|year (plural ok)
 *   on      := "on" (days | ordinals | nth weekday | month day | day month)
 *   tail    := "until" YYYY-MM-DD | ["for"] N "times" | "once"
 */
#include "heph/recur.h"
#include "heph/error.h"

#include <libical/ical.h>

#include "ical_lazy.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_TOKS 48
#define MAX_ITER 2000000 /* instances walked before giving up on a rule */

static const char *const day_codes[7] = { "MO", "TU", "WE", "TH", "FR", "SA", "SU" };

/* A weekday's or month's short name as a rule reads: "Mon", "Dec". */
struct short_name {
	char s[4];
};

static struct short_name short_name(const char *name)
{
	struct short_name n = { { 0 } };
	if (name) {
		memcpy(n.s, name, 3);
		n.s[0] = (char)(n.s[0] - 'a' + 'A');
	}
	return n;
}

/* ---- libical glue ---- */

/* Parse a rule with libical; 0 and *r, or HEPH_EINVALID. */
static int ical_rule(const char *rrule, struct icalrecurrencetype *r)
{
	icalerror_clear_errno();
	*r = icalrecurrencetype_from_string(rrule);
	if (r->freq == ICAL_NO_RECURRENCE)
		return heph_error_set(HEPH_EINVALID, "bad recurrence rule \"%.80s\"%s", rrule,
				      icalerrno != ICAL_NO_ERROR ? " (libical cannot read it)" : " (no FREQ)");
	if (r->freq < ICAL_DAILY_RECURRENCE)
		return heph_error_set(HEPH_EINVALID, "recurrence \"%.80s\": heph recurs by days, not by hours or minutes",
				      rrule);
	if (r->by_hour[0] != ICAL_RECURRENCE_ARRAY_MAX || r->by_minute[0] != ICAL_RECURRENCE_ARRAY_MAX ||
	    r->by_second[0] != ICAL_RECURRENCE_ARRAY_MAX)
		return heph_error_set(HEPH_EINVALID, "recurrence \"%.80s\": BYHOUR, BYMINUTE and BYSECOND have no "
				      "meaning for day-long tasks", rrule);
	if (r->rscale) {
		free(r->rscale);
		r->rscale = NULL;
		return heph_error_set(HEPH_EINVALID, "recurrence \"%.80s\": RSCALE is not supported", rrule);
	}
	return 0;
}

static char *ical_string(struct icalrecurrencetype *r)
{
	char *s = icalrecurrencetype_as_string_r(r);
	char *out = strdup(s ? s : "");
	icalmemory_free_buffer(s);
	if (!out)
		abort();
	return out;
}

static struct icaltimetype ical_date(const char *d)
{
	char compact[9];
	snprintf(compact, sizeof compact, "%.4s%.2s%.2s", d, d + 5, d + 8);
	return icaltime_from_string(compact);
}

static void date_text(struct icaltimetype t, char out[HEPH_DATE_LEN + 1])
{
	snprintf(out, HEPH_DATE_LEN + 1, "%04d-%02d-%02d", t.year, t.month, t.day);
}

int heph_recur_check(const char *rrule, char **canonical)
{
	struct icalrecurrencetype r;
	char buf[1100];
	size_t n;
	*canonical = NULL;
	if (!rrule)
		return heph_error_set(HEPH_EINVALID, "empty recurrence rule");
	while (isspace((unsigned char)*rrule))
		rrule++;
	if (strncasecmp(rrule, "RRULE:", 6) == 0)
		rrule += 6;
	n = strlen(rrule);
	while (n && isspace((unsigned char)rrule[n - 1]))
		n--;
	if (n == 0 || n >= sizeof buf - 1)
		return heph_error_set(HEPH_EINVALID, "a recurrence rule is 1 to %zu characters", sizeof buf - 2);
	for (size_t i = 0; i < n; i++) {
		if (!isprint((unsigned char)rrule[i]) || rrule[i] == ' ')
			return heph_error_set(HEPH_EINVALID, "bad recurrence rule \"%.80s\"", rrule);
		buf[i] = (char)toupper((unsigned char)rrule[i]);
	}
	buf[n] = '\0';
	/* libical reads COUNT=0 as no COUNT at all; it means no occurrence. */
	for (const char *c = buf; (c = strstr(c, "COUNT=")); c += 6)
		if ((c == buf || c[-1] == ';') && atoi(c + 6) < 1)
			return heph_error_set(HEPH_EINVALID, "recurrence \"%.80s\": COUNT must be 1 or more", buf);
	if (ical_rule(buf, &r))
		return HEPH_EINVALID;
	*canonical = ical_string(&r);
	return 0;
}

/* A monthly rule kept to day d of each month, or the month's last day in a
 * month too short for it: d = 31 is BYMONTHDAY=-1; 29 and 30 pick the last
 * of 28..d that the month has (BYMONTHDAY=28,...,d;BYSETPOS=-1). Written
 * into r; r must name no day of its own. */
static void month_end(struct icalrecurrencetype *r, int d)
{
	int k = 0;
	if (d >= 31) {
		r->by_month_day[k++] = -1;
	} else {
		for (int day = 28; day <= d; day++)
			r->by_month_day[k++] = (short)day;
		r->by_set_pos[0] = -1;
		r->by_set_pos[1] = ICAL_RECURRENCE_ARRAY_MAX;
	}
	r->by_month_day[k] = ICAL_RECURRENCE_ARRAY_MAX;
}

/* 1 when r is monthly and names no day, week, month or position. */
static int month_plain(const struct icalrecurrencetype *r)
{
	return r->freq == ICAL_MONTHLY_RECURRENCE && r->by_day[0] == ICAL_RECURRENCE_ARRAY_MAX &&
	       r->by_month_day[0] == ICAL_RECURRENCE_ARRAY_MAX && r->by_month[0] == ICAL_RECURRENCE_ARRAY_MAX &&
	       r->by_set_pos[0] == ICAL_RECURRENCE_ARRAY_MAX && r->by_year_day[0] == ICAL_RECURRENCE_ARRAY_MAX &&
	       r->by_week_no[0] == ICAL_RECURRENCE_ARRAY_MAX;
}

char *heph_recur_month_end(const char *rrule, const char *anchor)
{
	struct icalrecurrencetype r;
	int d;
	if (!rrule || !anchor || strlen(anchor) != HEPH_DATE_LEN || (d = atoi(anchor + 8)) < 29)
		return NULL;
	if (ical_rule(rrule, &r)) {
		heph_error_clear();
		return NULL;
	}
	if (!month_plain(&r))
		return NULL;
	month_end(&r, d);
	return ical_string(&r);
}

/* The days 28..d with BYSETPOS=-1 (d = 29 or 30), as month_end() writes
 * them: d, else 0. */
static int month_end_day(const struct icalrecurrencetype *r, int nmday)
{
	if (r->by_set_pos[0] != -1 || r->by_set_pos[1] != ICAL_RECURRENCE_ARRAY_MAX || nmday < 2 || nmday > 3)
		return 0;
	for (int i = 0; i < nmday; i++)
		if (r->by_month_day[i] != 28 + i)
			return 0;
	return 27 + nmday;
}

/* ---- phrases ---- */

struct reader {
	char *tok[MAX_TOKS]; /* lower-case tokens */
	int n, i;
	char freq[8];        /* DAILY ... YEARLY, "" until known */
	int interval;        /* 0: not said */
	char byday[64];      /* "MO,WE" or "1MO" */
	char bymonthday[128];
	int bymonth;
	int count;
	char until[HEPH_DATE_LEN + 1];
};

static const char *peek(struct reader *r) { return r->i < r->n ? r->tok[r->i] : NULL; }

static int accept(struct reader *r, const char *w)
{
	if (peek(r) && strcmp(peek(r), w) == 0) {
		r->i++;
		return 1;
	}
	return 0;
}

static int number(const char *t, int *out)
{
	char *end;
	if (!t || !isdigit((unsigned char)t[0]))
		return 0;
	long v = strtol(t, &end, 10);
	if (*end || v < 1 || v > 100000)
		return 0;
	*out = (int)v;
	return 1;
}

/* A weekday name (full, or at least its first three letters; a plural s
 * allowed): 0 = Monday ... 6 = Sunday, else -1. */
static int weekday(const char *t)
{
	char w[16];
	size_t n = t ? strlen(t) : 0;
	int d;
	if ((d = heph_date_weekday_of(t)) >= 0 || n <= 3 || n >= sizeof w || t[n - 1] != 's')
		return d;
	memcpy(w, t, n - 1); /* "mondays" */
	w[n - 1] = '\0';
	return heph_date_weekday_of(w);
}

static int month_of(const char *t) { return heph_date_month_of(t); }

/* "1st", "22nd", "15", "first" ... "fifth", "last": the position, with
 * -1 for last; 0 when not an ordinal. */
static int ordinal(const char *t)
{
	static const char *const words[] = { "first", "second", "third", "fourth", "fifth" };
	int v;
	char *end;
	if (!t)
		return 0;
	if (strcmp(t, "last") == 0)
		return -1;
	for (int i = 0; i < 5; i++)
		if (strcmp(t, words[i]) == 0)
			return i + 1;
	if (!isdigit((unsigned char)t[0]))
		return 0;
	v = (int)strtol(t, &end, 10);
	if (v < 1 || v > 31)
		return 0;
	if (*end && strcmp(end, "st") && strcmp(end, "nd") && strcmp(end, "rd") && strcmp(end, "th"))
		return 0;
	return v;
}

static void add_item(char *list, size_t cap, const char *item)
{
	size_t used = strlen(list);
	snprintf(list + used, cap - used, "%s%s", used ? "," : "", item);
}

static int set_freq(struct reader *r, const char *unit)
{
	static const struct {
		const char *word, *freq;
	} units[] = { { "day", "DAILY" },     { "days", "DAILY" },     { "week", "WEEKLY" },
		      { "weeks", "WEEKLY" },  { "month", "MONTHLY" }, { "months", "MONTHLY" },
		      { "year", "YEARLY" },   { "years", "YEARLY" } };
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (unit && strcmp(unit, units[i].word) == 0) {
			snprintf(r->freq, sizeof r->freq, "%s", units[i].freq);
			return 1;
		}
	return 0;
}

/* A list of weekdays; at least one. */
static int days(struct reader *r)
{
	int n = 0, d;
	while ((d = weekday(peek(r))) >= 0) {
		if (!strstr(r->byday, day_codes[d]))
			add_item(r->byday, sizeof r->byday, day_codes[d]);
		r->i++;
		n++;
	}
	return n;
}

static int weekday_set(struct reader *r)
{
	if (accept(r, "weekday") || accept(r, "weekdays")) {
		snprintf(r->byday, sizeof r->byday, "MO,TU,WE,TH,FR");
		return 1;
	}
	if (accept(r, "weekend") || accept(r, "weekends")) {
		snprintf(r->byday, sizeof r->byday, "SA,SU");
		return 1;
	}
	return 0;
}

/* Month days ("15th", "1st and 15th", "last day") or one nth weekday
 * ("first mon", "last fri"). */
static int month_days(struct reader *r)
{
	int n = 0, o;
	while ((o = ordinal(peek(r))) != 0) {
		char item[8];
		int d = r->i + 1 < r->n ? weekday(r->tok[r->i + 1]) : -1;
		if (d >= 0 && o >= -1 && o <= 5) {
			/* the nth weekday of the month */
			if (r->byday[0] || n)
				return 0;
			snprintf(r->byday, sizeof r->byday, "%d%s", o, day_codes[d]);
			r->i += 2;
			return 1;
		}
		if (o > 31)
			return 0;
		snprintf(item, sizeof item, "%d", o);
		add_item(r->bymonthday, sizeof r->bymonthday, item);
		r->i++;
		n++;
		accept(r, "day");
	}
	return n > 0;
}

static int month_and_day(struct reader *r)
{
	int m = month_of(peek(r)), d;
	if (m > 0 && r->i + 1 < r->n && (d = ordinal(r->tok[r->i + 1])) > 0) {
		r->i += 2;
	} else if ((d = ordinal(peek(r))) > 0 && r->i + 1 < r->n && (m = month_of(r->tok[r->i + 1])) > 0) {
		r->i += 2;
		accept(r, "of");
	} else {
		return 0;
	}
	char item[8];
	r->bymonth = m;
	snprintf(item, sizeof item, "%d", d);
	add_item(r->bymonthday, sizeof r->bymonthday, item);
	return 1;
}

static int on_clause(struct reader *r)
{
	if (!accept(r, "on") && !accept(r, "every"))
		return 1; /* optional */
	if (strcmp(r->freq, "WEEKLY") == 0 || strcmp(r->freq, "DAILY") == 0)
		return days(r) > 0 || weekday_set(r);
	if (strcmp(r->freq, "MONTHLY") == 0)
		return month_days(r);
	if (strcmp(r->freq, "YEARLY") == 0)
		return month_and_day(r);
	return 0;
}

static int tail(struct reader *r)
{
	int n;
	while (peek(r)) {
		if (accept(r, "until") || accept(r, "till")) {
			const char *d = peek(r);
			if (!d || strlen(d) != HEPH_DATE_LEN || d[4] != '-' || d[7] != '-')
				return 0;
			snprintf(r->until, sizeof r->until, "%s", d);
			r->i++;
		} else if (accept(r, "once")) {
			r->count = 1;
		} else if (accept(r, "for") || number(peek(r), &n)) {
			if (!number(peek(r), &n))
				return 0;
			r->i++;
			if (!accept(r, "times") && !accept(r, "time") && !accept(r, "x"))
				return 0;
			r->count = n;
		} else if (accept(r, "forever")) {
			continue;
		} else {
			return 0;
		}
	}
	return 1;
}

static int body(struct reader *r)
{
	int n;
	if (weekday_set(r) || days(r) > 0) {
		snprintf(r->freq, sizeof r->freq, "WEEKLY");
		return 1;
	}
	if (number(peek(r), &n) && r->i + 1 < r->n && set_freq(r, r->tok[r->i + 1])) {
		r->interval = n;
		r->i += 2;
		return on_clause(r);
	}
	if (accept(r, "other")) {
		r->interval = 2;
		if (weekday(peek(r)) >= 0) { /* "every other monday" */
			snprintf(r->freq, sizeof r->freq, "WEEKLY");
			return days(r) > 0;
		}
		if (!set_freq(r, peek(r)))
			return 0;
		r->i++;
		return on_clause(r);
	}
	if (set_freq(r, peek(r))) {
		r->i++;
		return on_clause(r);
	}
	if (accept(r, "fortnight")) {
		snprintf(r->freq, sizeof r->freq, "WEEKLY");
		r->interval = 2;
		return on_clause(r);
	}
	if (ordinal(peek(r)) > 0) { /* "every 15th" */
		snprintf(r->freq, sizeof r->freq, "MONTHLY");
		if (!month_days(r))
			return 0;
		accept(r, "each");
		accept(r, "month"); /* "every 15th of the month" */
		return 1;
	}
	return 0;
}

static int preset(struct reader *r)
{
	static const struct {
		const char *word, *freq;
		int interval;
		const char *byday;
	} p[] = {
		{ "daily", "DAILY", 0, NULL },         { "weekly", "WEEKLY", 0, NULL },
		{ "monthly", "MONTHLY", 0, NULL },     { "yearly", "YEARLY", 0, NULL },
		{ "annually", "YEARLY", 0, NULL },     { "weekdays", "WEEKLY", 0, "MO,TU,WE,TH,FR" },
		{ "weekends", "WEEKLY", 0, "SA,SU" },  { "biweekly", "WEEKLY", 2, NULL },
		{ "fortnightly", "WEEKLY", 2, NULL },
	};
	for (size_t i = 0; i < sizeof p / sizeof p[0]; i++)
		if (accept(r, p[i].word)) {
			snprintf(r->freq, sizeof r->freq, "%s", p[i].freq);
			r->interval = p[i].interval;
			if (p[i].byday)
				snprintf(r->byday, sizeof r->byday, "%s", p[i].byday);
			return p[i].byday ? 1 : on_clause(r);
		}
	return 0;
}

static void tokenize(struct reader *r, char *text)
{
	char *save = NULL;
	for (char *p = text; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	for (char *t = strtok_r(text, " \t\n,;", &save); t && r->n < MAX_TOKS; t = strtok_r(NULL, " \t\n,;", &save)) {
		if (strcmp(t, "the") == 0 || strcmp(t, "and") == 0 || strcmp(t, "&") == 0 || strcmp(t, "of") == 0)
			continue;
		r->tok[r->n++] = t;
	}
}

int heph_recur_parse(const char *text, char **rrule)
{
	struct reader r;
	char *copy, buf[512];
	int ok, setpos = 0;
	*rrule = NULL;
	if (!text)
		return heph_error_set(HEPH_EINVALID, "empty recurrence");
	if (strchr(text, '='))
		return heph_recur_check(text, rrule);
	if (strlen(text) > 300)
		return heph_error_set(HEPH_EINVALID, "recurrence too long");
	memset(&r, 0, sizeof r);
	if (!(copy = strdup(text)))
		abort();
	tokenize(&r, copy);
	if (r.n == 1 && (strcmp(r.tok[0], "none") == 0 || strcmp(r.tok[0], "never") == 0)) {
		free(copy);
		return 0;
	}
	ok = r.n > 0 && r.n < MAX_TOKS && (accept(&r, "every") ? body(&r) : preset(&r)) && tail(&r) && r.i == r.n;
	free(copy);
	if (!ok)
		return heph_error_set(HEPH_EINVALID,
				      "cannot read recurrence \"%.80s\" (try daily, weekly, every 3 days, every other "
				      "week, every mon,wed, every month on the 15th, none, or an RRULE)",
				      text);
	snprintf(buf, sizeof buf, "FREQ=%s", r.freq);
	if (r.interval > 1)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), ";INTERVAL=%d", r.interval);
	if (r.byday[0])
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), ";BYDAY=%s", r.byday);
	/* "on the 29th" to "31st" of every month: the month's last day in the
	 * months too short for it (as people mean it; an RRULE keeps RFC 5545's
	 * skipping). */
	if (strcmp(r.freq, "MONTHLY") == 0 && !r.byday[0] && (!strcmp(r.bymonthday, "29") ||
	    !strcmp(r.bymonthday, "30") || !strcmp(r.bymonthday, "31"))) {
		int d = atoi(r.bymonthday);
		snprintf(r.bymonthday, sizeof r.bymonthday, "%s", d == 31 ? "-1" : d == 30 ? "28,29,30" : "28,29");
		if (d < 31)
			setpos = 1;
	}
	if (r.bymonthday[0])
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), ";BYMONTHDAY=%s", r.bymonthday);
	if (setpos)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), ";BYSETPOS=-1");
	if (r.bymonth)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), ";BYMONTH=%d", r.bymonth);
	if (r.count)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), ";COUNT=%d", r.count);
	if (r.until[0])
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), ";UNTIL=%.4s%.2s%.2s", r.until, r.until + 5,
			 r.until + 8);
	if (heph_recur_check(buf, rrule))
		return heph_error_wrap(HEPH_EINVALID, "recurrence \"%.60s\": ", text);
	return 0;
}

/* ---- words ---- */

struct text {
	char buf[512];
	size_t n;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(t->buf + t->n, sizeof t->buf - t->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		t->n = t->n + (size_t)k < sizeof t->buf ? t->n + (size_t)k : sizeof t->buf - 1;
}

static const char *suffix(int n)
{
	if (n % 100 >= 11 && n % 100 <= 13)
		return "th";
	switch (n % 10) {
	case 1: return "st";
	case 2: return "nd";
	case 3: return "rd";
	default: return "th";
	}
}

static void nth(struct text *t, int n)
{
	static const char *const words[] = { "first", "second", "third", "fourth", "fifth" };
	if (n == -1)
		put(t, "last");
	else if (n < -1)
		put(t, "%d%s to last", -n, suffix(-n));
	else if (n <= 5)
		put(t, "%s", words[n - 1]);
	else
		put(t, "%d%s", n, suffix(n));
}

static int list_len(const short *a, int cap)
{
	int n = 0;
	while (n < cap && a[n] != ICAL_RECURRENCE_ARRAY_MAX)
		n++;
	return n;
}

/* 0 = Monday for an ical weekday (1 = Sunday). */
static int dow(short d)
{
	int w = (int)icalrecurrencetype_day_day_of_week(d);
	return (w + 5) % 7;
}

static void unit(struct text *t, int interval, const char *one, const char *word)
{
	if (interval <= 1)
		put(t, "%s", one);
	else if (interval == 2)
		put(t, "every other %s", word);
	else
		put(t, "every %d %ss", interval, word);
}

char *heph_recur_text(const char *rrule, const char *anchor)
{
	struct icalrecurrencetype r;
	struct text t = { .n = 0 };
	char *out;
	int nday, nmday, nmonth, weekdays_only = 0;
	if (!rrule || ical_rule(rrule, &r)) {
		heph_error_clear();
		return strdup(rrule ? rrule : "");
	}
	t.buf[0] = '\0';
	nday = list_len(r.by_day, ICAL_BY_DAY_SIZE);
	nmday = list_len(r.by_month_day, ICAL_BY_MONTHDAY_SIZE);
	nmonth = list_len(r.by_month, ICAL_BY_MONTH_SIZE);
	if (list_len(r.by_year_day, ICAL_BY_YEARDAY_SIZE) || list_len(r.by_week_no, ICAL_BY_WEEKNO_SIZE))
		goto raw;
	if (list_len(r.by_set_pos, ICAL_BY_SETPOS_SIZE)) {
		/* only the month-end form has words: the 29th or 30th, or the last day */
		int d = r.freq == ICAL_MONTHLY_RECURRENCE && !nday && !nmonth ? month_end_day(&r, nmday) : 0;
		if (!d)
			goto raw;
		unit(&t, r.interval, "every month", "month");
		put(&t, " on the %dth or the last day", d);
		goto tail;
	}
	if (nday == 5) {
		weekdays_only = 1;
		for (int i = 0; i < 5; i++)
			if (dow(r.by_day[i]) != i || icalrecurrencetype_day_position(r.by_day[i]) != 0)
				weekdays_only = 0;
	}
	anchor = anchor && strlen(anchor) == HEPH_DATE_LEN ? anchor : NULL;
	switch (r.freq) {
	case ICAL_DAILY_RECURRENCE:
	case ICAL_WEEKLY_RECURRENCE:
		if (nmday || nmonth)
			goto raw;
		if (r.freq == ICAL_DAILY_RECURRENCE && !nday) {
			unit(&t, r.interval, "every day", "day");
			break;
		}
		if (r.freq == ICAL_DAILY_RECURRENCE && r.interval > 1)
			goto raw;
		if (!nday) {
			unit(&t, r.interval, "every week", "week");
			break;
		}
		for (int i = 0; i < nday; i++)
			if (icalrecurrencetype_day_position(r.by_day[i]) != 0)
				goto raw;
		if (r.interval > 1) {
			unit(&t, r.interval, "every week", "week");
			put(&t, " on ");
		} else {
			put(&t, "every ");
		}
		if (weekdays_only) {
			put(&t, r.interval > 1 ? "weekdays" : "weekday");
			break;
		}
		for (int i = 0; i < nday; i++)
			put(&t, "%s%s", i ? ", " : "", short_name(heph_date_weekday_name(dow(r.by_day[i]))).s);
		break;
	case ICAL_MONTHLY_RECURRENCE:
		if (nmonth || (nday && nmday) || nday > 1)
			goto raw;
		unit(&t, r.interval, "every month", "month");
		if (nday) {
			int pos = icalrecurrencetype_day_position(r.by_day[0]);
			if (pos == 0)
				goto raw;
			put(&t, " on the ");
			nth(&t, pos);
			put(&t, " %s", short_name(heph_date_weekday_name(dow(r.by_day[0]))).s);
		} else if (nmday) {
			put(&t, " on the ");
			for (int i = 0; i < nmday; i++) {
				int d = r.by_month_day[i];
				put(&t, "%s", i == 0 ? "" : i == nmday - 1 ? " and " : ", ");
				if (d == -1)
					put(&t, "last day");
				else if (d < 0)
					put(&t, "%d%s to last day", -d, suffix(-d));
				else
					put(&t, "%d%s", d, suffix(d));
			}
		} else if (anchor) {
			int d = atoi(anchor + 8);
			put(&t, " on the %d%s", d, suffix(d));
		}
		break;
	case ICAL_YEARLY_RECURRENCE:
		if (nday || nmonth > 1 || nmday > 1 || (nmonth != nmday && !(nmonth == 1 && nmday == 0)))
			goto raw;
		unit(&t, r.interval, "yearly", "year");
		if (nmonth && nmday) {
			int m = icalrecurrencetype_month_month(r.by_month[0]);
			if (m < 1 || m > 12 || r.by_month_day[0] < 1)
				goto raw;
			put(&t, " on %s %d", short_name(heph_date_month_name(m)).s, r.by_month_day[0]);
		} else if (nmonth) {
			int m = icalrecurrencetype_month_month(r.by_month[0]);
			if (m < 1 || m > 12)
				goto raw;
			put(&t, " in %s", short_name(heph_date_month_name(m)).s);
		} else if (anchor) {
			int m = atoi(anchor + 5);
			put(&t, " on %s %d", short_name(heph_date_month_name(m)).s, atoi(anchor + 8));
		}
		break;
	default:
		goto raw;
	}
tail:
	if (r.count == 1)
		put(&t, ", once");
	else if (r.count > 1)
		put(&t, ", %d times", r.count);
	if (!icaltime_is_null_time(r.until))
		put(&t, ", until %04d-%02d-%02d", r.until.year, r.until.month, r.until.day);
	out = strdup(t.buf);
	if (!out)
		abort();
	return out;
raw:
	return ical_string(&r);
}

/* ---- instances ---- */

int heph_recur_next(const char *rrule, const char *dtstart, const char *after, char next[HEPH_DATE_LEN + 1],
		    char **rest)
{
	struct icalrecurrencetype r;
	struct icaltimetype start, limit, t;
	icalrecur_iterator *it;
	long passed = 0;
	char probe[HEPH_DATE_LEN + 1];
	next[0] = '\0';
	if (rest)
		*rest = NULL;
	if (!rrule || ical_rule(rrule, &r))
		return HEPH_EINVALID;
	if (heph_date_add_days(dtstart, 0, probe) || heph_date_add_days(after, 0, probe))
		return heph_error_wrap(HEPH_EINVALID, "recurrence: ");
	start = ical_date(dtstart);
	limit = ical_date(after);
	if (!(it = icalrecur_iterator_new(r, start)))
		return 0; /* a rule with no instance at all: the series is over */
	/* Without a COUNT, jump close to `after` instead of walking there. */
	if (r.count == 0 && icaltime_compare(limit, start) > 0)
		icalrecur_iterator_set_start(it, limit);
	for (long i = 0; i < MAX_ITER; i++) {
		t = icalrecur_iterator_next(it);
		if (icaltime_is_null_time(t))
			break;
		if (icaltime_compare_date_only(t, limit) > 0) {
			date_text(t, next);
			break;
		}
		passed++;
	}
	icalrecur_iterator_free(it);
	if (!next[0] && passed >= MAX_ITER)
		return heph_error_set(HEPH_EINVALID, "recurrence \"%.60s\" has no instance near %s", rrule, after);
	if (next[0] && r.count > 0 && rest) {
		r.count -= (int)passed;
		if (r.count < 1)
			r.count = 1;
		*rest = ical_string(&r);
	}
	return 0;
}

int heph_recur_first(const char *rrule, const char *from, char out[HEPH_DATE_LEN + 1])
{
	struct icalrecurrencetype r;
	struct icaltimetype t;
	icalrecur_iterator *it;
	char probe[HEPH_DATE_LEN + 1];
	out[0] = '\0';
	if (heph_date_add_days(from, 0, probe))
		return heph_error_wrap(HEPH_EINVALID, "recurrence: ");
	if (!rrule || ical_rule(rrule, &r))
		return HEPH_EINVALID;
	if (!(it = icalrecur_iterator_new(r, ical_date(from))))
		return 0;
	t = icalrecur_iterator_next(it);
	if (!icaltime_is_null_time(t))
		date_text(t, out);
	icalrecur_iterator_free(it);
	return 0;
}
