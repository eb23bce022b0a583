/* import_tw.c — Taskwarrior's `task export` JSON into heph.
 *
 *   Taskwarrior              heph
 *   description              title (one line)
 *   project a.b.c            nested projects a > b > c (found by name, else made)
 *   scheduled, wait          do_date: the later of the two, as a local day
 *   due                      late_on (local day); for a recurring task, the
 *                            next pending instance's due is its do_date
 *   priority H / M / L       attention red / orange / white
 *   recur, until             recurrence, as an RRULE (until its UNTIL)
 *   tags                     tag links
 *   annotations              entries of the task's log doc ("- DATE: text")
 *   depends                  `depends-on` links to the tasks it waits for
 *   status pending, waiting  outstanding
 *   status recurring         the recurring task itself (outstanding)
 *   status completed         done
 *   status deleted           dropped: kept, like `task all` keeps it, not
 *                            tombstoned (a tombstone is final and hides it)
 *   any other field (a UDA   kept as a line "- name: value" under "Taskwarrior
 *   such as estimate, size)  fields" in the task's context doc (so heph export
 *                            carries it too); the result's "udas" counts them
 *   instances (parent set)   not tasks of their own: the recurring task
 *                            stands for them; their annotations join its
 *                            log, and each one completed is logged "done"
 *                            on its due day, as heph logs an occurrence
 *
 * Ids are derived from the uuid (heph_id_hashed over "taskwarrior:UUID",
 * the entry time as the ULID's time), so importing a file twice creates
 * nothing new, a task already imported is left as heph now has it, and two
 * devices importing the same file converge. One deleted in heph since stays
 * deleted (reported as already_deleted). Tasks are created in entry
 * order, so "oldest first" in heph is Taskwarrior's order. One call is one
 * transaction: a malformed task makes the whole import fail, naming it.
 */
#include "rpc_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "body.h"
#include "heph/recur.h"

struct tw {
	heph_store *s;
	json_t *projects;   /* lower-cased path -> id */
	json_t *entries;    /* uuid -> entry time, for the ids of dependencies */
	json_t *warnings;   /* strings */
	json_t *udas;       /* field name -> how many tasks carried it */
	long long created, existing, deleted, projects_made, links;
};

static void warn(struct tw *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(struct tw *t, const char *fmt, ...)
{
	char buf[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (json_array_size(t->warnings) < 100)
		json_array_append_new(t->warnings, json_string(buf));
}

/* "20261127T081215Z" (or "2026-11-27T08:12:15Z") as epoch seconds; -1 if
 * it is not one. */
static int64_t tw_time(const char *v)
{
	struct tm tm;
	int n = 0;
	memset(&tm, 0, sizeof tm);
	if (!v)
		return -1;
	if (sscanf(v, "%4d%2d%2dT%2d%2d%2dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
		   &tm.tm_sec, &n) == 6 && n == 16 && v[16] == '\0') {
	} else if (sscanf(v, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
			  &tm.tm_min, &tm.tm_sec, &n) == 6 && v[n] == '\0') {
	} else {
		return -1;
	}
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm);
}

/* The local calendar day of a Taskwarrior time (which it stores in UTC
 * after reading the user's local time). */
static int tw_day(const char *v, char out[HEPH_DATE_LEN + 1])
{
	int64_t t = tw_time(v);
	struct tm tm;
	time_t tt = (time_t)t;
	if (t < 0 || !localtime_r(&tt, &tm))
		return -1;
	strftime(out, HEPH_DATE_LEN + 1, "%Y-%m-%d", &tm);
	return 0;
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The fields Taskwarrior itself writes; every other field of a task is a
 * UDA (user-defined attribute) and is kept in the context doc. */
static int tw_field(const char *key)
{
	static const char *const known[] = { "uuid", "description", "status", "entry", "modified", "end",
					     "start", "project", "priority", "scheduled", "wait", "due",
					     "until", "recur", "tags", "annotations", "depends", "parent",
					     "mask", "imask", "id", "urgency", "rtype", "template", "last" };
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strcmp(key, known[i]) == 0)
			return 1;
	return 0;
}

/* The context doc's text for a task's UDAs ("Taskwarrior fields:" and a
 * line "- name: value" each, in the export's key order), or NULL when it has
 * none; counted in t->udas. Caller frees. */
static char *uda_text(struct tw *t, const json_t *task)
{
	const char *key;
	const json_t *v;
	size_t len = 0, cap = 256;
	char *out = malloc(cap);
	int any = 0;
	if (!out)
		abort();
	len = (size_t)snprintf(out, cap, "Taskwarrior fields:\n");
	json_object_foreach((json_t *)task, key, v) {
		char *val;
		if (tw_field(key) || json_is_null(v))
			continue;
		val = json_is_string(v) ? strdup(json_string_value(v)) : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!val)
			abort();
		for (char *p = val; *p; p++)
			if (*p == '\n' || *p == '\r' || *p == '\t')
				*p = ' ';
		size_t need = len + strlen(key) + strlen(val) + 8;
		if (need > cap && !(out = realloc(out, cap = need * 2)))
			abort();
		len += (size_t)snprintf(out + len, cap - len, "- %s: %s\n", key, val);
		free(val);
		json_t *n = json_object_get(t->udas, key);
		json_object_set_new(t->udas, key, json_integer(n ? json_integer_value(n) + 1 : 1));
		any = 1;
	}
	if (!any) {
		free(out);
		return NULL;
	}
	return out;
}

/* Taskwarrior's recurrence periods as RRULEs; NULL when unknown. */
static int tw_rrule(const char *recur, char out[80])
{
	static const struct {
		const char *name, *rule;
	} named[] = {
		{ "daily", "FREQ=DAILY" },	    { "day", "FREQ=DAILY" },
		{ "weekdays", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR" },
		{ "weekly", "FREQ=WEEKLY" },	    { "week", "FREQ=WEEKLY" },
		{ "biweekly", "FREQ=WEEKLY;INTERVAL=2" }, { "fortnight", "FREQ=WEEKLY;INTERVAL=2" },
		{ "monthly", "FREQ=MONTHLY" },	    { "month", "FREQ=MONTHLY" },
		{ "bimonthly", "FREQ=MONTHLY;INTERVAL=2" },
		{ "quarterly", "FREQ=MONTHLY;INTERVAL=3" }, { "semiannual", "FREQ=MONTHLY;INTERVAL=6" },
		{ "yearly", "FREQ=YEARLY" },	    { "annual", "FREQ=YEARLY" },
		{ "year", "FREQ=YEARLY" },	    { "biannual", "FREQ=YEARLY;INTERVAL=2" },
		{ "biyearly", "FREQ=YEARLY;INTERVAL=2" },
	};
	for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
		if (strcasecmp(recur, named[i].name) == 0) {
			snprintf(out, 80, "%s", named[i].rule);
			return 0;
		}
	/* 3d, 2wks, 6 months, P2W, P1Y ... */
	const char *p = recur;
	if (*p == 'P' || *p == 'p')
		p++;
	char *end;
	long n = strtol(p, &end, 10);
	if (end == p)
		n = 1;
	while (*end == ' ')
		end++;
	if (n < 1 || n > 999)
		return -1;
	static const struct {
		const char *unit, *freq;
		int mult;
	} units[] = {
		{ "d", "DAILY", 1 },	 { "day", "DAILY", 1 },	    { "days", "DAILY", 1 },
		{ "w", "WEEKLY", 1 },	 { "wk", "WEEKLY", 1 },	    { "wks", "WEEKLY", 1 },
		{ "week", "WEEKLY", 1 }, { "weeks", "WEEKLY", 1 },  { "m", "MONTHLY", 1 },
		{ "mo", "MONTHLY", 1 },	 { "mos", "MONTHLY", 1 },   { "mth", "MONTHLY", 1 },
		{ "mths", "MONTHLY", 1 }, { "month", "MONTHLY", 1 }, { "months", "MONTHLY", 1 },
		{ "q", "MONTHLY", 3 },	 { "qtr", "MONTHLY", 3 },   { "qtrs", "MONTHLY", 3 },
		{ "quarter", "MONTHLY", 3 }, { "quarters", "MONTHLY", 3 },
		{ "y", "YEARLY", 1 },	 { "yr", "YEARLY", 1 },	    { "yrs", "YEARLY", 1 },
		{ "year", "YEARLY", 1 }, { "years", "YEARLY", 1 },
	};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcasecmp(end, units[i].unit) == 0) {
			long k = n * units[i].mult;
			if (k == 1)
				snprintf(out, 80, "FREQ=%s", units[i].freq);
			else
				snprintf(out, 80, "FREQ=%s;INTERVAL=%ld", units[i].freq, k);
			return 0;
		}
	return -1;
}

/* The project for a dotted path, made level by level as needed. */
static int project_for(struct tw *t, const char *path, char out[HEPH_ID_LEN + 1])
{
	char key[1024], parent[HEPH_ID_LEN + 1] = "";
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof key)
		return heph_error_set(HEPH_EINVALID, "bad project \"%.60s\"", path);
	for (size_t i = 0; i <= n; i++) {
		if (path[i] != '.' && path[i] != '\0')
			continue;
		/* key: the path up to here, lower-cased */
		for (size_t k = 0; k < i; k++)
			key[k] = (path[k] >= 'A' && path[k] <= 'Z') ? (char)(path[k] - 'A' + 'a') : path[k];
		key[i] = '\0';
		const char *known = json_string_value(json_object_get(t->projects, key));
		if (known) {
			snprintf(parent, sizeof parent, "%s", known);
			continue;
		}
		const char *name = path + (strrchr(key, '.') ? (size_t)(strrchr(key, '.') - key) + 1 : 0);
		size_t len = i - (size_t)(name - path);
		char title[256];
		if (len == 0 || len >= sizeof title)
			return heph_error_set(HEPH_EINVALID, "bad project \"%.60s\"", path);
		memcpy(title, name, len);
		title[len] = '\0';
		char id[HEPH_ID_LEN + 1] = "";
		sqlite3_stmt *st = heph__stmt(t->s, "SELECT id FROM nodes WHERE kind = 'project' AND title = ?1 COLLATE NOCASE "
						    "AND tombstone_hlc IS NULL AND parent_id IS ?2 ORDER BY id LIMIT 1");
		if (!st)
			return HEPH_ERROR;
		heph__bind_str(st, 1, title);
		heph__bind_str(st, 2, parent[0] ? parent : NULL);
		if (sqlite3_step(st) == SQLITE_ROW)
			snprintf(id, sizeof id, "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_reset(st);
		if (!id[0]) {
			char text[1100];
			int err;
			snprintf(text, sizeof text, "taskwarrior-project:%s", key);
			heph_id_hashed(0, text, id);
			if (!(st = heph__stmt(t->s, "SELECT 1 FROM nodes WHERE id = ?1")))
				return HEPH_ERROR;
			heph__bind_str(st, 1, id);
			int taken = sqlite3_step(st) == SQLITE_ROW;
			sqlite3_reset(st);
			if (taken)
				heph__new_id(t->s, id);
			if ((err = heph__emit(t->s, "node.create",
					      json_pack("{s:s, s:s, s:s}", "node_id", id, "kind", "project", "title", title),
					      NULL)) ||
			    (parent[0] && (err = heph__link_add(t->s, id, parent, "parent", NULL))))
				return err;
			t->projects_made++;
		}
		json_object_set_new(t->projects, key, json_string(id));
		snprintf(parent, sizeof parent, "%s", id);
	}
	snprintf(out, HEPH_ID_LEN + 1, "%s", parent);
	return 0;
}

static void task_ids(const json_t *task, char id[HEPH_ID_LEN + 1], char doc[HEPH_ID_LEN + 1])
{
	char text[128];
	int64_t entry = tw_time(str(task, "entry"));
	int64_t ms = entry > 0 ? entry * 1000 : 0;
	snprintf(text, sizeof text, "taskwarrior:%s", str(task, "uuid"));
	heph_id_hashed(ms, text, id);
	snprintf(text, sizeof text, "taskwarrior-context:%s", str(task, "uuid"));
	heph_id_hashed(ms, text, doc);
}

static int node_exists(heph_store *s, const char *id)
{
	sqlite3_stmt *st = heph__stmt(s, "SELECT 1 FROM nodes WHERE id = ?1");
	int hit;
	if (!st)
		return 0;
	heph__bind_str(st, 1, id);
	hit = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return hit;
}

static int check_task(const json_t *task, size_t i)
{
	static const char *const statuses[] = { "pending", "waiting", "recurring", "completed", "deleted" };
	const char *uuid = str(task, "uuid"), *status = str(task, "status");
	int known = 0;
	if (!json_is_object(task))
		return heph_error_set(HEPH_EINVALID, "task %zu is not an object", i + 1);
	if (!uuid)
		return heph_error_set(HEPH_EINVALID, "task %zu has no uuid: import what `task export` writes, which "
				      "gives every task one (nothing was imported)", i + 1);
	if (strlen(uuid) < 8 || strlen(uuid) > 64)
		return heph_error_set(HEPH_EINVALID, "task %zu has uuid \"%.64s\", which is not a Taskwarrior uuid "
				      "(8 to 64 characters, as `task export` writes them); nothing was imported", i + 1,
				      uuid);
	if (!json_is_string(json_object_get(task, "description")))
		return heph_error_set(HEPH_EINVALID, "task %zu (%s) has no description", i + 1, uuid);
	for (size_t k = 0; status && k < sizeof statuses / sizeof statuses[0]; k++)
		known |= strcmp(status, statuses[k]) == 0;
	if (!known)
		return heph_error_set(HEPH_EINVALID, "task %zu (%s): unknown status \"%.20s\"", i + 1, uuid,
				      status ? status : "");
	static const char *const dates[] = { "entry", "due", "scheduled", "wait", "end", "modified", "until" };
	for (size_t k = 0; k < sizeof dates / sizeof dates[0]; k++) {
		const json_t *v = json_object_get(task, dates[k]);
		if (v && tw_time(json_string_value(v)) < 0)
			return heph_error_set(HEPH_EINVALID, "task %zu (%s): bad %s date \"%.30s\"", i + 1, uuid, dates[k],
					      json_string_value(v) ? json_string_value(v) : "(not a string)");
	}
	const json_t *p = json_object_get(task, "project");
	if (p && !json_is_string(p))
		return heph_error_set(HEPH_EINVALID, "task %zu (%s): project must be a string", i + 1, uuid);
	return 0;
}

static int by_entry(const void *a, const void *b)
{
	const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
	const char *ex = str(x, "entry"), *ey = str(y, "entry");
	int c = strcmp(ex ? ex : "", ey ? ey : "");
	return c ? c : strcmp(str(x, "uuid"), str(y, "uuid"));
}

/* Log entries of a task as [date, text]: its annotations, and for an
 * instance of a recurring task its own annotations and, when it was
 * completed, the occurrence ("done" on its due day). */
static void log_entries(const json_t *task, int instance, json_t *out)
{
	char day[HEPH_DATE_LEN + 1], fallback[HEPH_DATE_LEN + 1] = "";
	const json_t *a;
	size_t i;
	if (tw_day(str(task, "entry"), fallback))
		fallback[0] = '\0';
	json_array_foreach(json_object_get(task, "annotations"), i, a) {
		const char *d = str(a, "description");
		if (!d || !d[strspn(d, " \t\r\n")])
			continue;
		if (tw_day(str(a, "entry"), day))
			snprintf(day, sizeof day, "%s", fallback);
		if (day[0])
			json_array_append_new(out, json_pack("[s, s]", day, d));
	}
	if (instance && strcmp(str(task, "status"), "completed") == 0 &&
	    (tw_day(str(task, "due"), day) == 0 || tw_day(str(task, "end"), day) == 0))
		json_array_append_new(out, json_pack("[s, s]", day, "done"));
}

static int by_day(const void *a, const void *b)
{
	return strcmp(json_string_value(json_array_get(*(json_t *const *)a, 0)),
		      json_string_value(json_array_get(*(json_t *const *)b, 0)));
}

/* Append the entries to the task's log doc, oldest first. */
static int write_log(heph_store *s, const char *id, json_t *entries)
{
	size_t n = json_array_size(entries);
	json_t **v;
	int err = 0;
	if (!n)
		return 0;
	if (!(v = malloc(n * sizeof *v)))
		abort();
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(entries, i);
	/* stable for equal days: a merge sort keeps Taskwarrior's order */
	for (size_t w = 1; w < n; w *= 2) {
		json_t **tmp = malloc(n * sizeof *tmp);
		if (!tmp)
			abort();
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n, i = lo, j = mid, k = lo;
			while (i < mid && j < hi)
				tmp[k++] = by_day(&v[j], &v[i]) < 0 ? v[j++] : v[i++];
			while (i < mid)
				tmp[k++] = v[i++];
			while (j < hi)
				tmp[k++] = v[j++];
		}
		free(v);
		v = tmp;
	}
	/* all entries in one append: the log doc's create carries them all, so
	 * two devices importing the same file write the same create */
	size_t cap = 64, len = 0;
	char *text = malloc(cap), log_id[HEPH_ID_LEN + 1];
	if (!text)
		abort();
	for (size_t i = 0; i < n; i++) {
		const char *day = json_string_value(json_array_get(v[i], 0));
		const char *t = json_string_value(json_array_get(v[i], 1));
		size_t need = len + strlen(t) * 3 + 32;
		if (need > cap && !(text = realloc(text, cap = need * 2)))
			abort();
		len += (size_t)sprintf(text + len, "- %s: ", day);
		/* as heph__log_append writes one: further lines indented */
		for (const char *p = t; *p; p++) {
			if (*p == '\r')
				continue;
			text[len++] = *p;
			if (*p == '\n' && p[1])
				text[len++] = ' ', text[len++] = ' ';
		}
		while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
			len--;
		text[len++] = '\n';
		text[len] = '\0';
	}
	err = heph__log_append(s, id, NULL, text, log_id);
	free(text);
	free(v);
	return err;
}

static int import_one(struct tw *t, const json_t *task, const json_t *instances)
{
	heph_store *s = t->s;
	char id[HEPH_ID_LEN + 1], doc[HEPH_ID_LEN + 1], day[HEPH_DATE_LEN + 1], rule[80];
	const char *status = str(task, "status"), *uuid = str(task, "uuid");
	json_t *fields;
	int err = 0, recurring = strcmp(status, "recurring") == 0;
	json_t *entries;

	task_ids(task, id, doc);
	if (node_exists(s, id)) {
		t->existing++;
		sqlite3_stmt *st = heph__stmt(s, "SELECT 1 FROM nodes WHERE id = ?1 AND tombstone_hlc IS NOT NULL");
		if (st) {
			heph__bind_str(st, 1, id);
			t->deleted += sqlite3_step(st) == SQLITE_ROW;
			sqlite3_reset(st);
		}
		return 0;
	}
	entries = json_array();
	/* title: one line, not empty */
	char *title = strdup(str(task, "description"));
	if (!title)
		abort();
	for (char *p = title; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	if (!title[strspn(title, " ")]) {
		free(title);
		if (!(title = strdup("(no description)")))
			abort();
	}
	fields = json_pack("{s:s, s:s, s:s}", "node_id", id, "title", title, "state",
			   strcmp(status, "completed") == 0 ? "done" : strcmp(status, "deleted") == 0 ? "dropped" : "outstanding");
	const char *prio = str(task, "priority");
	if (prio && (strcmp(prio, "H") == 0 || strcmp(prio, "M") == 0))
		json_object_set_new(fields, "attention", json_string(prio[0] == 'H' ? "red" : "orange"));
	/* do-date: the later of scheduled and wait */
	char doo[HEPH_DATE_LEN + 1] = "", w[HEPH_DATE_LEN + 1];
	if (tw_day(str(task, "scheduled"), w) == 0)
		snprintf(doo, sizeof doo, "%s", w);
	if (tw_day(str(task, "wait"), w) == 0 && strcmp(w, doo) > 0)
		snprintf(doo, sizeof doo, "%s", w);
	if (recurring) {
		/* its occurrences are due dates: the next pending one is when to act */
		char next[HEPH_DATE_LEN + 1] = "";
		const json_t *in;
		size_t i;
		json_array_foreach(instances, i, in) {
			if (strcmp(str(in, "status"), "pending") == 0 && tw_day(str(in, "due"), day) == 0 &&
			    (!next[0] || strcmp(day, next) < 0))
				snprintf(next, sizeof next, "%s", day);
		}
		if (!next[0] && tw_day(str(task, "due"), day) == 0)
			snprintf(next, sizeof next, "%s", day);
		if (next[0] && strcmp(next, doo) > 0)
			snprintf(doo, sizeof doo, "%s", next);
	} else if (tw_day(str(task, "due"), day) == 0) {
		json_object_set_new(fields, "late_on", json_string(day));
	}
	if (doo[0])
		json_object_set_new(fields, "do_date", json_string(doo));
	const char *recur = str(task, "recur");
	if (recur && recurring) {
		char *canon = NULL;
		if (tw_rrule(recur, rule) == 0) {
			/* a series that ends: until is its last possible day */
			if (tw_day(str(task, "until"), day) == 0) {
				size_t n = strlen(rule);
				snprintf(rule + n, sizeof rule - n, ";UNTIL=%.4s%.2s%.2s", day, day + 5, day + 8);
			}
			if (heph_recur_check(rule, &canon) == 0) {
				/* Taskwarrior's monthly on the 29th to 31st falls on the last
				 * day of shorter months, as it does in Taskwarrior */
				char anchor[HEPH_DATE_LEN + 1];
				char *kept = heph_recur_month_end(
					canon, tw_day(str(task, "due"), anchor) == 0 ? anchor : doo[0] ? doo : NULL);
				json_object_set_new(fields, "recurrence", json_string(kept ? kept : canon));
				free(kept);
			}
			free(canon);
		}
		if (!json_object_get(fields, "recurrence"))
			warn(t, "%s: recurrence \"%s\" not understood; imported without it", uuid, recur);
		heph_error_clear();
	}
	if ((err = heph__emit(s, "task.create", fields, NULL)))
		goto out;
	const json_t *in;
	size_t i;
	char *udas = uda_text(t, task);
	err = heph__node_create(s, doc, "doc", title, udas, NULL);
	free(udas);
	if (err || (err = heph__link_add(s, id, doc, "canonical-context", NULL)))
		goto out;
	/* annotations, and the occurrences done, go to the task's log */
	log_entries(task, 0, entries);
	json_array_foreach(instances, i, in) log_entries(in, 1, entries);
	if ((err = write_log(s, id, entries)))
		goto out;
	const char *proj = str(task, "project");
	if (proj && proj[0]) {
		char pid[HEPH_ID_LEN + 1];
		if ((err = project_for(t, proj, pid)))
			goto out;
		if ((err = heph__link_add(s, id, pid, "in-project", NULL)))
			goto out;
	}
	/* tags Taskwarrior allows but heph cannot spell are reported, not lost silently */
	const json_t *tag;
	json_t *ok = json_array();
	json_array_foreach(json_object_get(task, "tags"), i, tag) {
		char name[HEPH_TAG_MAX + 1];
		if (json_is_string(tag) && heph__tag_name(json_string_value(tag), name) == 0)
			json_array_append_new(ok, json_string(name));
		else
			warn(t, "%s: tag \"%.40s\" is not a heph tag; skipped", uuid,
			     json_is_string(tag) ? json_string_value(tag) : "?");
	}
	heph_error_clear();
	err = heph__tag_task(s, id, ok, 0);
	json_decref(ok);
	if (err)
		goto out;
	t->created++;
out:
	free(title);
	json_decref(entries);
	return err;
}

/* depends-on links, once every task exists. */
static int link_depends(struct tw *t, const json_t *task)
{
	char id[HEPH_ID_LEN + 1], doc[HEPH_ID_LEN + 1];
	const json_t *deps = json_object_get(task, "depends"), *d;
	json_t *list = json_array();
	size_t i;
	int err = 0;
	if (json_is_string(deps)) {
		/* older exports: one comma-separated string */
		char *copy = strdup(json_string_value(deps)), *save = NULL;
		for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			json_array_append_new(list, json_string(tok));
		free(copy);
	} else if (json_is_array(deps)) {
		json_array_extend(list, (json_t *)deps);
	}
	task_ids(task, id, doc);
	json_array_foreach(list, i, d) {
		char did[HEPH_ID_LEN + 1], text[128];
		const char *uuid = json_string_value(d), *entry;
		sqlite3_stmt *st;
		if (!uuid)
			continue;
		entry = json_string_value(json_object_get(t->entries, uuid));
		int64_t e = tw_time(entry);
		snprintf(text, sizeof text, "taskwarrior:%s", uuid);
		heph_id_hashed(e > 0 ? e * 1000 : 0, text, did);
		if (!entry || !node_exists(t->s, did)) {
			warn(t, "%s depends on %s, which is not in the import", str(task, "uuid"), uuid);
			continue;
		}
		if (!(st = heph__stmt(t->s, "SELECT 1 FROM links WHERE src = ?1 AND dst = ?2 AND type = 'depends-on'"))) {
			err = HEPH_ERROR;
			break;
		}
		heph__bind_str(st, 1, id);
		heph__bind_str(st, 2, did);
		int have = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
		if (!have) {
			if ((err = heph__link_add(t->s, id, did, "depends-on", NULL)))
				break;
			t->links++;
		}
	}
	json_decref(list);
	return err;
}

HEPH_RPC_HANDLER(heph__rpc_import_taskwarrior)
{
	json_t *tasks = json_object_get(params, "tasks"), *v;
	struct tw t = { .s = env->store };
	const json_t **order = NULL;
	json_t *instances = json_object();
	size_t i, n, m = 0;
	int err = 0;
	if (!json_is_array(tasks))
		return heph_error_set(HEPH_EINVALID, "parameter \"tasks\" must be an array of Taskwarrior tasks");
	heph__cache_bulk(env->store);
	n = json_array_size(tasks);
	t.projects = json_object();
	t.warnings = json_array();
	t.udas = json_object();
	t.entries = json_object();
	json_array_foreach(tasks, i, v) {
		if ((err = check_task(v, i)))
			goto out;
		json_object_set_new(t.entries, str(v, "uuid"), json_string(str(v, "entry") ? str(v, "entry") : ""));
	}
	if (!(order = calloc(n ? n : 1, sizeof *order)))
		abort();
	json_array_foreach(tasks, i, v) {
		const char *parent = str(v, "parent");
		if (parent) {
			/* an instance of a recurring task: its template stands for it */
			json_t *list = json_object_get(instances, parent);
			if (!list)
				json_object_set_new(instances, parent, list = json_array());
			json_array_append(list, v);
			continue;
		}
		order[m++] = v;
	}
	qsort(order, m, sizeof *order, by_entry);
	for (i = 0; i < m; i++) {
		json_t *inst = json_object_get(instances, str(order[i], "uuid"));
		if ((err = import_one(&t, order[i], inst))) {
			heph_error_wrap(err, "task %s: ", str(order[i], "uuid"));
			goto out;
		}
	}
	/* instances whose recurring task is not in the file are imported alone */
	const char *puuid;
	json_object_foreach(instances, puuid, v) {
		if (json_object_get(t.entries, puuid))
			continue;
		size_t k;
		json_t *in;
		json_array_foreach(v, k, in) {
			json_t *alone = json_deep_copy(in);
			json_object_del(alone, "parent");
			err = import_one(&t, alone, NULL);
			json_decref(alone);
			if (err)
				goto out;
		}
	}
	for (i = 0; i < m; i++)
		if ((err = link_depends(&t, order[i])))
			goto out;
	*result = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:O, s:O}", "tasks", (json_int_t)n, "created",
			    (json_int_t)t.created, "already", (json_int_t)t.existing, "already_deleted",
			    (json_int_t)t.deleted, "projects", (json_int_t)t.projects_made, "dependencies",
			    (json_int_t)t.links, "warnings", t.warnings, "udas", t.udas);
out:
	free(order);
	json_decref(instances);
	json_decref(t.entries);
	json_decref(t.projects);
	json_decref(t.warnings);
	json_decref(t.udas);
	return err;
}
