/* heph/date.h — the one date grammar every surface accepts: options
 * (--do-date, --late-on), RPC date parameters, quick add, the TUI and the
 * web app (which sends the words to the hub). Words are case-insensitive,
 * separated by spaces; surrounding spaces are ignored; "on" may lead.
 *
 *   today tonight                    today
 *   tomorrow tmrw tmr, yesterday     a day either side
 *   +3d +2w +1m +1y, -1d             days, weeks, months, years from today
 *   in 3 days|weeks|months|years     the same; "in a week", "in 1 day"
 *   mon ... sun, monday ... sunday   the next such day, strictly after today
 *                                    (any prefix of 3 letters or more: "thur")
 *   next fri                         that day in next week (weeks start Monday)
 *   next week | next month | next year
 *                                    next Monday, the 1st of next month, Jan 1st
 *   dec 15, 15 december, 15th dec    the next such day from today on; a year
 *   dec 15 2027, 15 dec 2027         may follow
 *   end of month | eom               the last day of this month
 *   end of week | eow                this week's Sunday (today on a Sunday)
 *   end of year | eoy                December 31st
 *   YYYY-MM-DD                       that day
 *   none, clear                      no date (clears a field)
 *
 * A day that cannot exist (2026-02-30, feb 30, 31 april) is an error, never
 * something else: heph_date_words() tells it apart from words that are no
 * date, so that quick add refuses it instead of keeping it in a title.
 *
 * Days are calendar days as "YYYY-MM-DD" strings, which sort correctly.
 * Ownership: callers pass buffers of HEPH_DATE_LEN + 1 bytes; nothing is
 * allocated.
 */
#ifndef HEPH_DATE_H
#define HEPH_DATE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HEPH_DATE_LEN 10

/* Parse a phrase relative to today ("YYYY-MM-DD"). On success out holds
 * the date, or "" for "none". HEPH_EINVALID with a message naming the
 * phrase and what to write otherwise. */
int heph_date_parse(const char *phrase, const char *today, char out[HEPH_DATE_LEN + 1]);

/* Read exactly the n words as one date phrase (any case). 0 and the date
 * ("" for "none"); HEPH_ENOTFOUND when the words are no date phrase;
 * HEPH_EINVALID when they name a day that does not exist (feb 30,
 * 2026-13-01) or today is bad. Each case sets a message. */
int heph_date_words(const char *const *words, size_t n, const char *today, char out[HEPH_DATE_LEN + 1]);

/* Day arithmetic on "YYYY-MM-DD" strings; 0 or HEPH_EINVALID. */
int heph_date_add_days(const char *date, int days, char out[HEPH_DATE_LEN + 1]);
int heph_date_add_months(const char *date, int months, char out[HEPH_DATE_LEN + 1]);
/* Days from a to b (b - a); 0 on a bad date. */
long heph_date_diff(const char *a, const char *b);
/* 0 = Monday ... 6 = Sunday; -1 on a bad date. */
int heph_date_weekday(const char *date);
/* Days in month m (1-12) of year y; 0 when m is out of range. */
int heph_date_days_in_month(long y, int m);
/* A weekday name or a prefix of it of 3 letters or more, any case:
 * 0 = Monday ... 6 = Sunday, else -1. */
int heph_date_weekday_of(const char *word);
/* The name of weekday wd (0 = Monday ... 6 = Sunday) in lower case
 * ("friday"; its first three letters are the short name); NULL when wd is
 * out of range. */
const char *heph_date_weekday_name(int wd);
/* A month name or a prefix of it of 3 letters or more, any case: 1 ... 12,
 * else -1. */
int heph_date_month_of(const char *word);

/* The name of month m (1 ... 12) in lower case ("december"); NULL when m is
 * out of range. */
const char *heph_date_month_name(int m);

#ifdef __cplusplus
}
#endif
#endif
