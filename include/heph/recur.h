/* heph/recur.h — recurrence: the words people write, the RFC 5545 RRULE
 * heph stores, the words it shows back, and the next instance (libical).
 *
 * What heph_recur_parse() accepts (case-insensitive):
 *
 *   none, never                     no recurrence
 *   daily weekly monthly yearly     presets (also annually, weekdays,
 *   weekdays biweekly fortnightly   biweekly = fortnightly = every other week)
 *   every day|week|month|year       also "every 3 days", "every other week"
 *   every mon,wed                   weekday names, full or from 3 letters;
 *   every monday and friday         lists with commas, "and" or "&"
 *   every weekday | every weekend
 *   every other week on tue         a week rule with its days
 *   every month on the 15th         also "on the 1st and 15th", "on the last
 *   monthly on the first mon        day", "on the last fri", "on the 2nd tue";
 *                                   a single 29th to 31st falls on the last
 *                                   day of shorter months (BYSETPOS=-1)
 *   every year on apr 15            also "on 15 apr", "yearly on apr 15"
 *   ... until YYYY-MM-DD            the last possible day
 *   ... for 3 times | ... 3 times   how many occurrences are left
 *   FREQ=...;... (or RRULE:FREQ=...) a raw rule, checked by libical
 *
 * Rules recur by days: HOURLY and finer, BYHOUR, BYMINUTE and BYSECOND are
 * refused. A stored rule is canonical (libical's spelling), so that two
 * devices writing the same rule write the same text.
 *
 * A task's series is anchored at its do-date: the instances are those of
 * the rule with DTSTART = the do-date. COUNT counts the occurrences left,
 * the current one included; heph lowers it as the series moves on.
 *
 * Ownership: strings returned through out pointers are malloc'd and belong
 * to the caller (free()). Dates are "YYYY-MM-DD" buffers of HEPH_DATE_LEN + 1.
 */
#ifndef HEPH_RECUR_H
#define HEPH_RECUR_H

#include "heph/date.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Parse a recurrence as a user writes it. *rrule is the canonical rule, or
 * NULL for "none". HEPH_EINVALID with a message naming the problem. */
int heph_recur_parse(const char *text, char **rrule);

/* A monthly rule that names no day of its own (FREQ=MONTHLY, "monthly",
 * "every 2 months"), anchored on the 29th, 30th or 31st, written so that it
 * falls on the month's last day in the months too short for that day:
 * BYMONTHDAY=-1 for the 31st, BYMONTHDAY=28,29,30;BYSETPOS=-1 for the 30th
 * (28,29 for the 29th). The rule itself carries the day, so every replica
 * computes the same dates. Returns the new rule (caller frees), or NULL when
 * the rule or the anchor needs nothing (other rules, days 1 to 28). */
char *heph_recur_month_end(const char *rrule, const char *anchor);

/* Check a raw RRULE and return it canonical in *canonical. HEPH_EINVALID
 * with libical's complaint otherwise. */
int heph_recur_check(const char *rrule, char **canonical);

/* The rule in words: "every other week", "monthly on the 15th",
 * "yearly on Apr 15". anchor (a date or NULL) names the day of a monthly
 * or yearly rule that does not name it itself. A rule with parts that have
 * no words here is returned as the rule. Never NULL. */
char *heph_recur_text(const char *rrule, const char *anchor);

/* The first instance strictly after `after` of the series that starts at
 * dtstart. next is "" when the series has no such instance (it ended).
 * When the rule has a COUNT, *rest (if rest is not NULL) is the rule to
 * store from next on, with COUNT lowered by the instances passed, else
 * NULL. HEPH_EINVALID for a bad rule or date. */
int heph_recur_next(const char *rrule, const char *dtstart, const char *after,
		    char next[HEPH_DATE_LEN + 1], char **rest);

/* The first instance on or after from of the rule started there: the do-date
 * a new recurring task gets. "" when the rule has none. */
int heph_recur_first(const char *rrule, const char *from, char out[HEPH_DATE_LEN + 1]);

#ifdef __cplusplus
}
#endif
#endif
