/* calendar.c — a hub's calendar feed (heph/calendar.h): its secret, kept
 * as a hash in the settings, its alarm settings, and the methods
 * calendar.url, calendar.revoke and calendar.alarms. The feed's text is
 * heph_export_ical()'s, the writer `heph export --ical` uses too. */
#include "rpc_internal.h"

#include "heph/calendar.h"
#include "heph/token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include <libical/ical.h>

#include "ical_lazy.h"

#define FEED_SETTING "calendar.feed"
#define ALARMS_SETTING "calendar.alarms"
#define DEFAULT_BANDS (HEPH_BAND_RED | HEPH_BAND_ORANGE)

static const char *const band_names[] = { "red", "orange", "white", "blue" };

/* The feed setting as JSON (NULL when there is none). */
static int read_json(heph_store *s, const char *key, json_t **out)
{
	char *text = NULL;
	int err;
	*out = NULL;
	if ((err = heph_store_setting_get(s, key, &text)))
		return err;
	if (text)
		*out = json_loads(text, 0, NULL);
	free(text);
	return 0;
}

static int write_json(heph_store *s, const char *key, json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		abort();
	int err = heph_store_setting_set(s, key, text);
	free(text);
	return err;
}

int heph_calendar_create(heph_store *s, char secret[HEPH_CALENDAR_SECRET_LEN + 1], char created_at[32])
{
	unsigned char raw[HEPH_CALENDAR_SECRET_LEN / 2];
	char hash[HEPH_TOKEN_HASH_LEN + 1];
	time_t now = (time_t)(heph_store_now_ms(s) / 1000);
	struct tm tm;
	int err;
	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
		return heph_error_set(HEPH_ERROR, "no randomness for a calendar secret");
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(secret + 2 * i, 3, "%02x", raw[i]);
	explicit_bzero(raw, sizeof raw);
	heph_token_hash(secret, hash);
	gmtime_r(&now, &tm);
	strftime(created_at, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *j = json_pack("{s:s, s:s}", "hash", hash, "created_at", created_at);
	err = write_json(s, FEED_SETTING, j);
	json_decref(j);
	if (err)
		explicit_bzero(secret, HEPH_CALENDAR_SECRET_LEN + 1);
	return err;
}

int heph_calendar_info(heph_store *s, int *exists, char created_at[32])
{
	json_t *j = NULL;
	int err = read_json(s, FEED_SETTING, &j);
	*exists = 0;
	created_at[0] = '\0';
	if (err)
		return err;
	if (json_is_string(json_object_get(j, "hash"))) {
		*exists = 1;
		const char *at = json_string_value(json_object_get(j, "created_at"));
		snprintf(created_at, 32, "%s", at ? at : "");
	}
	json_decref(j);
	return 0;
}

int heph_calendar_revoke(heph_store *s)
{
	int exists;
	char when[32];
	int err = heph_calendar_info(s, &exists, when);
	if (err)
		return err;
	if (!exists)
		return heph_error_set(HEPH_ENOTFOUND, "there is no calendar feed to revoke");
	return heph_store_setting_set(s, FEED_SETTING, NULL);
}

int heph_calendar_verify(heph_store *s, const char *secret)
{
	char hash[HEPH_TOKEN_HASH_LEN + 1];
	json_t *j = NULL;
	int err, ok = secret && strlen(secret) == HEPH_CALENDAR_SECRET_LEN;
	for (size_t i = 0; ok && secret[i]; i++)
		ok = (secret[i] >= '0' && secret[i] <= '9') || (secret[i] >= 'a' && secret[i] <= 'f');
	if ((err = read_json(s, FEED_SETTING, &j)))
		return err;
	const char *want = json_string_value(json_object_get(j, "hash"));
	if (ok && want && strlen(want) == HEPH_TOKEN_HASH_LEN) {
		heph_token_hash(secret, hash);
		ok = heph_token_equal(hash, want, HEPH_TOKEN_HASH_LEN);
	} else {
		ok = 0;
	}
	json_decref(j);
	return ok ? 0 : heph_error_set(HEPH_ENOTFOUND, "no such calendar");
}

int heph_calendar_alarms(heph_store *s, unsigned *bands, char offset[HEPH_CALENDAR_OFFSET_MAX + 1])
{
	json_t *j = NULL, *att, *v;
	size_t i;
	int err = read_json(s, ALARMS_SETTING, &j);
	*bands = DEFAULT_BANDS;
	snprintf(offset, HEPH_CALENDAR_OFFSET_MAX + 1, "%s", HEPH_CALENDAR_DEFAULT_OFFSET);
	if (err)
		return err;
	if (json_is_array(att = json_object_get(j, "attention"))) {
		*bands = 0;
		json_array_foreach(att, i, v) {
			if (json_is_string(v))
				*bands |= 1u << heph__band_of(json_string_value(v));
		}
	}
	if (json_is_string(v = json_object_get(j, "offset")) && strlen(json_string_value(v)) <= HEPH_CALENDAR_OFFSET_MAX)
		snprintf(offset, HEPH_CALENDAR_OFFSET_MAX + 1, "%s", json_string_value(v));
	json_decref(j);
	return 0;
}

int heph_calendar_feed(heph_store *s, char **out, size_t *len)
{
	char offset[HEPH_CALENDAR_OFFSET_MAX + 1];
	heph_ical_opts o = { .events = 1, .refresh = HEPH_CALENDAR_REFRESH };
	int err;
	*out = NULL;
	*len = 0;
	if ((err = heph_calendar_alarms(s, &o.alarm_bands, offset)))
		return err;
	o.alarm_offset = offset;
	if ((err = heph_export_ical(s, &o, out, NULL)))
		return err;
	*len = strlen(*out);
	return 0;
}

/* ---- the methods ---- */

HEPH_RPC_HANDLER(heph__rpc_calendar_url)
{
	char secret[HEPH_CALENDAR_SECRET_LEN + 1], when[32], path[128];
	int fresh, exists, err;
	if ((err = heph__p_bool(params, "new", 0, &fresh)) || (err = heph_calendar_info(env->store, &exists, when)))
		return err;
	if (exists && !fresh) {
		/* only its hash is kept: the URL was shown once, where it was made */
		*result = json_pack("{s:b, s:b, s:s, s:n}", "exists", 1, "created", 0, "created_at", when, "path");
		return 0;
	}
	if ((err = heph_calendar_create(env->store, secret, when)))
		return err;
	snprintf(path, sizeof path, "%s%s.ics", HEPH_CALENDAR_PATH, secret);
	*result = json_pack("{s:b, s:b, s:b, s:s, s:s}", "exists", 1, "created", 1, "replaced", exists, "created_at",
			    when, "path", path);
	explicit_bzero(secret, sizeof secret);
	explicit_bzero(path, sizeof path);
	return 0;
}

HEPH_RPC_HANDLER(heph__rpc_calendar_revoke)
{
	int err;
	(void)params;
	if ((err = heph_calendar_revoke(env->store)))
		return err;
	*result = json_pack("{s:b}", "revoked", 1);
	return 0;
}

/* The attention parameter as bands: colours, or "none" alone. */
static int parse_bands(const json_t *v, unsigned *bands)
{
	size_t i, n = json_is_array(v) ? json_array_size(v) : 1;
	*bands = 0;
	for (i = 0; i < n; i++) {
		const char *c = json_string_value(json_is_array(v) ? json_array_get(v, i) : v);
		int k;
		if (!c)
			return heph_error_set(HEPH_EINVALID, "calendar.alarms: attention takes colours");
		if (strcasecmp(c, "none") == 0) {
			if (n > 1)
				return heph_error_set(HEPH_EINVALID, "calendar.alarms: attention none stands alone (no "
						      "alarms), not beside colours");
			return 0;
		}
		for (k = 0; k < 4 && strcasecmp(c, band_names[k]) != 0; k++)
			;
		if (k == 4)
			return heph_error_set(HEPH_EINVALID, "calendar.alarms: attention \"%.40s\" is not red, orange, "
					      "white, blue or none",
					      c);
		*bands |= 1u << k;
	}
	return 0;
}

HEPH_RPC_HANDLER(heph__rpc_calendar_alarms)
{
	const json_t *att = json_object_get(params, "attention");
	const char *off = json_string_value(json_object_get(params, "offset"));
	char offset[HEPH_CALENDAR_OFFSET_MAX + 1];
	unsigned bands;
	int err;
	if ((err = heph_calendar_alarms(env->store, &bands, offset)))
		return err;
	int change = (att && !json_is_null(att)) || off;
	if (att && !json_is_null(att) && (err = parse_bands(att, &bands)))
		return err;
	if (off) {
		if (strlen(off) > HEPH_CALENDAR_OFFSET_MAX || heph__ical_load())
			return heph_error_set(HEPH_EINVALID, "calendar.alarms: offset \"%.60s\" is not an RFC 5545 "
					      "duration (PT9H, -PT15H, -P1D)", off);
		struct icaldurationtype d = icaldurationtype_from_string(off);
		icalerror_clear_errno();
		if (icaldurationtype_is_bad_duration(d))
			return heph_error_set(HEPH_EINVALID, "calendar.alarms: offset \"%.60s\" is not an RFC 5545 "
					      "duration: PT9H (9:00 on the late-on day), -PT15H (9:00 the day "
					      "before), -P1D",
					      off);
		snprintf(offset, sizeof offset, "%s", off);
	}
	json_t *names = json_array();
	for (int k = 0; k < 4; k++)
		if (bands & (1u << k))
			json_array_append_new(names, json_string(band_names[k]));
	if (change) {
		json_t *j = json_pack("{s:O, s:s}", "attention", names, "offset", offset);
		err = write_json(env->store, ALARMS_SETTING, j);
		json_decref(j);
		if (err) {
			json_decref(names);
			return err;
		}
	}
	*result = json_pack("{s:o, s:s, s:b}", "attention", names, "offset", offset, "changed", change);
	return 0;
}
