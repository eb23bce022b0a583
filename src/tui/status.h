/* status.h — the words of the status line: sync age, auth trouble, offline,
 * open conflicts and ops not yet pushed, from a sync.status result.
 * Pure: unit-tested without a terminal. */
#ifndef HEPH_TUI_STATUS_H
#define HEPH_TUI_STATUS_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

/* Severity of what the status line says, for its colour. */
enum tui_status_level { TUI_STATUS_OK, TUI_STATUS_WARN, TUI_STATUS_BAD };

/* Write the sync part of the status line into buf (cap bytes) and return its
 * level. sync is a sync.status result (borrowed) or NULL when this libheph
 * has no sync state; conflicts is the open-conflict count or -1 when
 * unknown; now is the wall clock. */
enum tui_status_level tui_status_text(json_t *sync, long conflicts, time_t now, char *buf, size_t cap);

/* "just now", "42s ago", "5m ago", "3h ago", "2d ago" for an age in seconds. */
void tui_status_age(long seconds, char *buf, size_t cap);

/* Parse "YYYY-MM-DDTHH:MM:SSZ" (UTC); -1 when malformed. */
time_t tui_status_parse_time(const char *iso);

#endif
