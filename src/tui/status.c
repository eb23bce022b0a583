/* status.c — the status line's words (see status.h). The fields read are
 * those of sync.status: hub, last_success, last_error, last_error_name,
 * auth_failed, pending_push, conflicts, and daemon (an object while a hephd
 * serves the database, false when none does), and health (a health result:
 * its database, schema, unapplied and clock lines when not ok); absent fields are skipped, so an
 * older or newer libheph degrades to fewer words, never to an error. */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void tui_status_age(long s, char *buf, size_t cap)
{
	if (s < 5)
		snprintf(buf, cap, "just now");
	else if (s < 60)
		snprintf(buf, cap, "%lds ago", s);
	else if (s < 3600)
		snprintf(buf, cap, "%ldm ago", s / 60);
	else if (s < 86400)
		snprintf(buf, cap, "%ldh ago", s / 3600);
	else
		snprintf(buf, cap, "%ldd ago", s / 86400);
}

time_t tui_status_parse_time(const char *iso)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	if (!iso)
		return -1;
	const char *end = strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end || (*end && *end != 'Z' && *end != '.'))
		return -1;
	return timegm(&tm);
}

static void add(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add(char *buf, size_t cap, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;
	if (used + 4 >= cap)
		return;
	if (used) {
		snprintf(buf + used, cap - used, " \xc2\xb7 "); /* " · " */
		used = strlen(buf);
	}
	va_start(ap, fmt);
	vsnprintf(buf + used, cap - used, fmt, ap);
	va_end(ap);
}

enum tui_status_level tui_status_text(json_t *sync, long conflicts, time_t now, char *buf, size_t cap)
{
	enum tui_status_level level = TUI_STATUS_OK;
	char age[32];
	buf[0] = '\0';
	if (!sync) {
		add(buf, cap, "local");
	} else if (!json_string_value(json_object_get(sync, "hub"))) {
		add(buf, cap, "no hub");
	} else {
		const char *err = json_string_value(json_object_get(sync, "last_error"));
		const char *name = json_string_value(json_object_get(sync, "last_error_name"));
		time_t ok = tui_status_parse_time(json_string_value(json_object_get(sync, "last_success")));
		if (json_is_true(json_object_get(sync, "auth_failed"))) {
			add(buf, cap, "auth failed: heph auth login");
			level = TUI_STATUS_BAD;
		} else if (err && name && strcmp(name, "unavailable") == 0) {
			add(buf, cap, "offline");
			level = TUI_STATUS_WARN;
		} else if (err) {
			add(buf, cap, "sync error: %s", err);
			level = TUI_STATUS_BAD;
		}
		json_t *daemon = json_object_get(sync, "daemon");
		if (json_is_false(daemon)) {
			add(buf, cap, "no hephd");
		} else if (json_is_true(json_object_get(daemon, "running"))) {
			add(buf, cap, "syncing");
		}
		if (ok >= 0) {
			tui_status_age(now > ok ? (long)(now - ok) : 0, age, sizeof age);
			add(buf, cap, "synced %s", age);
		} else {
			add(buf, cap, "never synced");
			if (level == TUI_STATUS_OK)
				level = TUI_STATUS_WARN;
		}
		json_t *pending = json_object_get(sync, "pending_push");
		if (json_is_integer(pending) && json_integer_value(pending) > 0)
			add(buf, cap, "%lld to push", (long long)json_integer_value(pending));
	}
	/* heph health's lines that the words above do not already say */
	static const char *const extra[] = { "database", "schema", "unapplied", "clock" };
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(json_object_get(sync, "health"), "checks"), i, c) {
		const char *name = json_string_value(json_object_get(c, "name"));
		const char *st = json_string_value(json_object_get(c, "status"));
		if (!name || !st || strcmp(st, "ok") == 0)
			continue;
		for (size_t k = 0; k < sizeof extra / sizeof extra[0]; k++) {
			if (strcmp(name, extra[k]) != 0)
				continue;
			add(buf, cap, "%s %s: heph health", name, st);
			if (strcmp(st, "error") == 0)
				level = TUI_STATUS_BAD;
			else if (level == TUI_STATUS_OK)
				level = TUI_STATUS_WARN;
		}
	}
	if (conflicts > 0) {
		add(buf, cap, "%ld conflict%s", conflicts, conflicts == 1 ? "" : "s");
		if (level == TUI_STATUS_OK)
			level = TUI_STATUS_WARN;
	}
	return level;
}
