/* heph/date.h — the date words every surface accepts.
 *
 *   today, tomorrow, yesterday   relative to the store's today
 *   +3d, +2w, +1m, -1d           days, weeks, months from today
 *   mon ... sun (or full names)  the next such day, strictly after today
 *   YYYY-MM-DD                   that day
 *   none                         no date (clears a field)
 *
 * Days are calendar days as "YYYY-MM-DD" strings, which sort correctly.
 * Ownership: callers pass buffers of HEPH_DATE_LEN + 1 bytes.
 */
#ifndef HEPH_DATE_H
#define HEPH_DATE_H

#ifdef __cplusplus
extern "C" {
#endif

#define HEPH_DATE_LEN 10

/* Parse word relative to today ("YYYY-MM-DD"). On success out holds the
 * date, or "" for "none". HEPH_EINVALID with a message otherwise. */
int heph_date_parse(const char *word, const char *today, char out[HEPH_DATE_LEN + 1]);

/* Day arithmetic on "YYYY-MM-DD" strings; 0 or HEPH_EINVALID. */
int heph_date_add_days(const char *date, int days, char out[HEPH_DATE_LEN + 1]);
int heph_date_add_months(const char *date, int months, char out[HEPH_DATE_LEN + 1]);
/* Days from a to b (b - a); 0 on a bad date. */
long heph_date_diff(const char *a, const char *b);
/* 0 = Monday ... 6 = Sunday; -1 on a bad date. */
int heph_date_weekday(const char *date);

#ifdef __cplusplus
}
#endif
#endif
