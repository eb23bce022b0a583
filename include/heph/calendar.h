/* heph/calendar.h — a hub's calendar feed: the owner's dated outstanding
 * tasks as an iCalendar that phone and desktop calendar apps subscribe to,
 * at a secret, revocable URL, GET /calendar/SECRET.ics on the hub.
 *
 * Calendar apps cannot send a bearer token, so the secret in the path is
 * the credential. It is 64 hex digits (256 random bits); the hub keeps only
 * its SHA-256 (heph_token_hash()), in its device-local settings, so a copy
 * of the database does not give the feed away. A new secret replaces the
 * old one, and revoking forgets it: the old URL then answers 404 like any
 * wrong one.
 *
 * Settings (device-local, never synced):
 *   key               value
 *   calendar.feed     {"hash": SHA-256 hex of the secret, "created_at": ISO 8601 UTC}
 *   calendar.alarms   {"attention": ["red", "orange"], "offset": "PT9H"} (absent:
 *                     those defaults): which attention colours get an alarm
 *                     on their late-on day, and when it rings (an RFC 5545
 *                     duration from the start of that day)
 *
 * Ownership: heph_calendar_feed() gives the caller a malloc'd text.
 */
#ifndef HEPH_CALENDAR_H
#define HEPH_CALENDAR_H

#include <stddef.h>

#include "heph/export.h"
#include "heph/store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HEPH_CALENDAR_SECRET_LEN 64           /* hex digits */
#define HEPH_CALENDAR_PATH "/calendar/"        /* the feed is HEPH_CALENDAR_PATH SECRET ".ics" */
#define HEPH_CALENDAR_OFFSET_MAX 40           /* the longest alarm offset text kept */
#define HEPH_CALENDAR_DEFAULT_OFFSET "PT9H"    /* 9:00 on the late-on day */
#define HEPH_CALENDAR_REFRESH "PT15M"          /* how often the feed asks apps to look again */

/* Make a new secret, replacing any (the old URL stops working at once).
 * Call inside a transaction. created_at gets the time (ISO 8601 UTC). */
int heph_calendar_create(heph_store *s, char secret[HEPH_CALENDAR_SECRET_LEN + 1], char created_at[32]);

/* Forget the secret; HEPH_ENOTFOUND when there is none. */
int heph_calendar_revoke(heph_store *s);

/* Whether a feed exists (*exists), and since when (created_at, "" if not). */
int heph_calendar_info(heph_store *s, int *exists, char created_at[32]);

/* 0 when secret is the feed's; HEPH_ENOTFOUND (a message that tells
 * nothing about the real one) otherwise, or when there is no feed. The
 * hashes are compared in constant time. */
int heph_calendar_verify(heph_store *s, const char *secret);

/* The alarm settings: the attention bands (1 red, 2 orange, 4 white,
 * 8 blue) and the offset, the defaults when none were set. */
int heph_calendar_alarms(heph_store *s, unsigned *bands, char offset[HEPH_CALENDAR_OFFSET_MAX + 1]);

/* The feed: heph_export_ical() with VEVENTs, the alarm settings and a
 * refresh interval. */
int heph_calendar_feed(heph_store *s, char **out, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
