/* heph/quickadd.h — the quick-add grammar: one line of text to a task.
 * Every surface uses this one parser (the CLI's `heph add`, the TUI's `a`
 * and the PWA, the last two through the task.add and quickadd.parse
 * methods).
 *
 *   Buy milk tomorrow p2 #Work every week
 *   -> title "Buy milk", do-date tomorrow, orange, project Work, weekly
 *
 * Words are separated by spaces. Recognised anywhere (the rightmost one
 * wins when a kind appears twice; the others stay in the title):
 *
 *   p1 p2 p3 p4           attention red, orange, blue, white
 *   #Name                 a project, matched greedily against the names
 *                         given, case-insensitively, multi-word names too
 *                         ("#Deep Work"); an unmatched #word stays in the title
 *   a date phrase         any phrase of the one date grammar (heph/date.h:
 *                         "tomorrow", "fri", "next week", "in 3 days", "+2w",
 *                         "dec 15", "eom", YYYY-MM-DD, optionally after "on")
 *                         is the do-date; the longest phrase ending at a word
 *                         wins. "none" is a word of the title here, and wed,
 *                         sat and sun are words too often ("buy sun cream")
 *                         to be dates unless no title word follows them.
 *                         A phrase naming a day that does not exist
 *                         ("2026-02-30", "feb 30") refuses the text.
 *   every ...             the longest suffix from an "every" that
 *                         heph_recur_parse() reads (only do-date words, p1-p4
 *                         and #words may follow it); daily, weekly,
 *                         monthly, yearly, weekdays as the last word too
 *   \word                 the word itself, never read as any of the above
 *                         nor as part of a longer expression
 *
 * A recurring task with no do-date gets the rule's first day from today.
 *
 * Ownership: heph_quickadd_parse() fills a struct the caller clears with
 * heph_quickadd_clear(); project names are borrowed for the call.
 */
#ifndef HEPH_QUICKADD_H
#define HEPH_QUICKADD_H

#include <stddef.h>

#include "heph/date.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HEPH_QUICKADD_SPANS 16

/* What a stretch of the text was read as, for showing it as a chip. */
typedef struct heph_quickadd_span {
	const char *kind;   /* "date", "attention", "project", "recurrence" (static) */
	size_t start, end;  /* byte offsets in the text, end exclusive */
} heph_quickadd_span;

typedef struct heph_quickadd {
	char *title;                     /* the words left, one space apart */
	char do_date[HEPH_DATE_LEN + 1]; /* "" when none */
	int do_date_from_rule;           /* the do-date is the recurrence's first day */
	const char *attention;           /* "red" ... "white", or NULL (static) */
	int project;                     /* index into the names given, or -1 */
	char *recurrence;                /* canonical RRULE, or NULL */
	heph_quickadd_span spans[HEPH_QUICKADD_SPANS];
	size_t nspans;                   /* spans in text order */
} heph_quickadd;

/* Parse text relative to today against the project names. HEPH_EINVALID
 * when nothing is left for a title, the text is over 1000 bytes, more than
 * one line or over 200 words, its recurrence has no day from today on, or
 * some words name a day that does not exist; never for anything else (tests/fuzz/fuzz_quickadd.c checks this and the
 * rest of this header on arbitrary text). */
int heph_quickadd_parse(const char *text, const char *today, const char *const *projects, size_t nprojects,
			heph_quickadd *out);

void heph_quickadd_clear(heph_quickadd *q);

#ifdef __cplusplus
}
#endif
#endif
