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
 * Ownership: heph_export_ical() gives the caller a malloc'd text.
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

/* The iCalendar (RFC 5545) text of every outstanding, live task with a
 * do-date or a late-on: one VTODO each, DTSTART the do-date, DUE the late-on
 * (both whole days), RRULE its recurrence, PRIORITY 1 for red and 5 for
 * orange, CATEGORIES its project, DESCRIPTION its context doc. *count may
 * be NULL. */
int heph_export_ical(heph_store *s, char **out, int64_t *count);

#ifdef __cplusplus
}
#endif
#endif
