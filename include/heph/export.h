/* heph/export.h — a replica as files: markdown for every live node, and an
 * iCalendar of the outstanding tasks that have a date.
 *
 * Markdown: DIR/<kind>/<id>.md, one file per live node, written atomically
 * (a temporary file renamed into place); the file of a node that has since
 * been deleted is removed. Each file is YAML frontmatter then the body:
 *
 *   key         value
 *   id          the node id
 *   kind        task, project, doc, journal, tag, ...
 *   title       a double-quoted string (JSON escapes, which YAML reads)
 *   created     ISO 8601 UTC time of the node's creation (its HLC)
 *   updated     likewise, of its last change
 *   state, attention, do_date, late_on, recurrence, project, project_id,
 *   context     tasks only; absent values are null
 *   parent      projects under another project
 *   aliases     a flow list of strings
 *   tags        a flow list of tag names
 *   links       outgoing links, one per line: {type, id, title}
 *
 * Ownership: heph_export_ical() gives the caller a malloc'd text; its options
 * are borrowed.
 */
#ifndef HEPH_EXPORT_H
#define HEPH_EXPORT_H

#include <stdint.h>

#include "heph/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct heph_export_stats {
	int64_t written;  /* files written */
	int64_t removed;  /* files of deleted nodes removed */
} heph_export_stats;

/* Export every live node under dir (created if missing). Reads one
 * consistent snapshot. HEPH_ERROR with the path on a file system error;
 * files written before it stay. stats may be NULL. */
int heph_export_markdown(heph_store *s, const char *dir, heph_export_stats *stats);

/* What an iCalendar holds beyond the tasks (heph_export_ical()). */
typedef struct heph_ical_opts {
	int events;            /* 0: one VTODO per task (task apps); 1: all-day VEVENTs (calendar apps) */
	unsigned alarm_bands;  /* attention colours whose late-on gets a VALARM: 1 red, 2 orange, 4 white, 8 blue */
	const char *alarm_offset; /* when it rings, an RFC 5545 duration from the start of the late-on day
				   * ("PT9H": 9:00 that day, "-PT15H": 9:00 the day before); NULL: PT9H */
	const char *refresh;   /* a feed's REFRESH-INTERVAL and X-PUBLISHED-TTL ("PT15M"), or NULL: none */
} heph_ical_opts;

/* The one iCalendar (RFC 5545) writer, for `heph export --ical` and the
 * hub's calendar feed alike: every outstanding, live task with a do-date or
 * a late-on, whole days, ordered by id. Each task gives
 *
 *   VTODO (events 0)   UID <id>@heph, DTSTART the do-date (left out when it
 *                      is not before the late-on), DUE the late-on, RRULE
 *                      its recurrence, and its alarm relative to DUE
 *   VEVENTs (events 1) UID <id>@heph on the do-date, with the RRULE; UID
 *                      <id>-late@heph on the late-on ("Last day: title"),
 *                      with the alarm. A task whose do-date is its late-on
 *                      and that does not recur has only the second.
 *
 * and in both SUMMARY the title, PRIORITY 1 for red and 5 for orange,
 * CATEGORIES its project, DESCRIPTION its context doc, DTSTAMP and
 * LAST-MODIFIED the last change of the task or its context doc (so the same
 * state always gives the same text, which a feed's ETag relies on), and a
 * VALARM (ACTION DISPLAY) when its attention is in alarm_bands. o NULL:
 * VTODOs without alarms. *count (may be NULL) is the number of tasks.
 * HEPH_EINVALID for an alarm_offset that is not a duration; HEPH_ERROR when
 * libical cannot be loaded. */
int heph_export_ical(heph_store *s, const heph_ical_opts *o, char **out, int64_t *count);

#ifdef __cplusplus
}
#endif
#endif
