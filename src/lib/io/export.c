/* export.c — the replica as markdown files and as an iCalendar
 * (heph/export.h lays out both formats). Nothing here writes the database. */
#include "heph/export.h"
#include "heph/calendar.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libical/ical.h>

#include "ical_lazy.h"

#include "body.h"
#include "rpc_internal.h"

/* ---- markdown ---- */

/* A YAML double-quoted scalar: JSON's escapes are YAML's. */
static void yaml_str(FILE *f, const char *v)
{
	if (!v) {
		fputs("null", f);
		return;
	}
	json_t *j = json_string(v);
	char *text = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	fputs(text ? text : "\"\"", f);
	free(text);
	json_decref(j);
}

static void yaml_list(FILE *f, const char *key, json_t *arr)
{
	size_t i;
	json_t *v;
	fprintf(f, "%s: [", key);
	json_array_foreach(arr, i, v) {
		if (i)
			fputs(", ", f);
		yaml_str(f, json_string_value(v));
	}
	fputs("]\n", f);
}

static void yaml_field(FILE *f, const char *key, const char *v, int quote)
{
	fprintf(f, "%s: ", key);
	if (!v)
		fputs("null", f);
	else if (quote)
		yaml_str(f, v);
	else
		fputs(v, f);
	fputc('\n', f);
}

static int mkdir_p(const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(buf, 0755) != 0 && errno != EEXIST)
				return heph_error_set(HEPH_ERROR, "cannot create %s: %s", buf, strerror(errno));
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

/* Write one node's file: frontmatter then body. */
static int write_node(heph_store *s, const char *dir, sqlite3_stmt *row)
{
	const char *id = (const char *)sqlite3_column_text(row, 0);
	const char *kind = (const char *)sqlite3_column_text(row, 1);
	const char *body = (const char *)sqlite3_column_text(row, 3);
	const char *parent = (const char *)sqlite3_column_text(row, 6);
	char path[4096], tmp[4200], when[32];
	json_t *links = NULL, *aliases, *tags, *task = NULL, *l;
	size_t i;
	int err = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, kind);
	if ((err = mkdir_p(path)))
		return err;
	snprintf(path, sizeof path, "%s/%s/%s.md", dir, kind, id);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if (!(f = fopen(tmp, "w")))
		return heph_error_set(HEPH_ERROR, "cannot write %s: %s", tmp, strerror(errno));
	fputs("---\n", f);
	yaml_field(f, "id", id, 0);
	yaml_field(f, "kind", kind, 0);
	yaml_field(f, "title", (const char *)sqlite3_column_text(row, 2), 1);
	heph__hlc_time((const char *)sqlite3_column_text(row, 4), when);
	yaml_field(f, "created", when, 0);
	heph__hlc_time((const char *)sqlite3_column_text(row, 5), when);
	yaml_field(f, "updated", when, 0);
	if (strcmp(kind, "task") == 0 && (task = heph__task_json(s, id))) {
		static const char *const keys[] = { "state", "attention", "do_date", "late_on", "recurrence" };
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
			yaml_field(f, keys[k], json_string_value(json_object_get(task, keys[k])),
				   strcmp(keys[k], "recurrence") == 0);
		yaml_field(f, "project", json_string_value(json_object_get(task, "project")), 1);
		yaml_field(f, "project_id", json_string_value(json_object_get(task, "project_id")), 0);
		yaml_field(f, "context", json_string_value(json_object_get(task, "context_id")), 0);
	}
	if (parent)
		yaml_field(f, "parent", parent, 0);
	aliases = heph__aliases_json(s, id);
	yaml_list(f, "aliases", aliases);
	json_decref(aliases);
	if ((err = heph__node_tags(s, id, &tags)))
		goto out;
	yaml_list(f, "tags", tags);
	json_decref(tags);
	if ((err = heph__links_json(s, id, 0, &links)))
		goto out;
	fputs(json_array_size(links) ? "links:\n" : "links: []\n", f);
	json_array_foreach(links, i, l) {
		fprintf(f, "  - {type: %s, id: %s, title: ", json_string_value(json_object_get(l, "type")),
			json_string_value(json_object_get(l, "dst")));
		yaml_str(f, json_string_value(json_object_get(l, "title")));
		fputs("}\n", f);
	}
	fputs("---\n", f);
	fputs(body, f);
out:
	json_decref(task);
	json_decref(links);
	if (fclose(f) != 0 && !err)
		err = heph_error_set(HEPH_ERROR, "cannot write %s: %s", tmp, strerror(errno));
	if (!err && rename(tmp, path) != 0)
		err = heph_error_set(HEPH_ERROR, "cannot write %s: %s", path, strerror(errno));
	if (err)
		unlink(tmp);
	return err;
}

int heph_export_markdown(heph_store *s, const char *dir, heph_export_stats *stats)
{
	heph_export_stats z = { 0 };
	sqlite3_stmt *st;
	int rc, err;
	if (!stats)
		stats = &z;
	memset(stats, 0, sizeof *stats);
	if ((err = mkdir_p(dir)))
		return err;
	/* one read transaction (unless the caller has one open): every file
	 * describes the same state */
	int own = s->depth == 0;
	if (own && (err = heph__exec(s, "BEGIN")))
		return err;
	rc = sqlite3_prepare_v2(s->db, "SELECT id, kind, title, body, created_hlc, updated_hlc, parent_id, "
				       "tombstone_hlc IS NOT NULL FROM nodes ORDER BY id",
				-1, &st, NULL);
	if (rc != SQLITE_OK) {
		err = heph__sqlerr(s, rc, "export");
		if (own)
			heph__exec(s, "COMMIT");
		return err;
	}
	while ((rc = heph__row(s, st)) > 0) {
		if (sqlite3_column_int(st, 7)) {
			char path[4096];
			snprintf(path, sizeof path, "%s/%s/%s.md", dir, (const char *)sqlite3_column_text(st, 1),
				 (const char *)sqlite3_column_text(st, 0));
			if (unlink(path) == 0)
				stats->removed++;
			continue;
		}
		if ((err = write_node(s, dir, st)))
			break;
		stats->written++;
	}
	sqlite3_finalize(st);
	if (own)
		heph__exec(s, "COMMIT");
	if (!err && rc < 0)
		err = rc;
	return err;
}

/* ---- iCalendar: the one writer (heph/export.h) ---- */

static struct icaltimetype day(const char *date)
{
	struct icaltimetype t = icaltime_null_date();
	t.year = atoi(date);
	t.month = atoi(date + 5);
	t.day = atoi(date + 8);
	return t;
}

/* The UTC time of an HLC (its physical part), or of now when it has none. */
static struct icaltimetype hlc_utc(heph_store *s, const char *hlc)
{
	char iso[32];
	struct tm tm = { 0 };
	time_t t = (time_t)(heph_store_now_ms(s) / 1000);
	heph__hlc_time(hlc, iso);
	if (sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
		   &tm.tm_sec) == 6) {
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		t = timegm(&tm);
	}
	return icaltime_from_timet_with_zone(t, 0, icaltimezone_get_utc_timezone());
}

/* One task's row, as the writer's query selects it. */
struct ical_task {
	const char *id, *title, *attention, *do_date, *late_on, *rule, *project, *desc;
	struct icaltimetype stamp; /* the last change of the task or its context doc */
};

/* What every component of a task carries. */
static void common_props(icalcomponent *c, const struct ical_task *t, const char *uid, const char *summary)
{
	icalcomponent_add_property(c, icalproperty_new_uid(uid));
	icalcomponent_add_property(c, icalproperty_new_dtstamp(t->stamp));
	icalcomponent_add_property(c, icalproperty_new_lastmodified(t->stamp));
	icalcomponent_add_property(c, icalproperty_new_summary(summary));
	if (strcmp(t->attention, "red") == 0 || strcmp(t->attention, "orange") == 0)
		icalcomponent_add_property(c, icalproperty_new_priority(t->attention[0] == 'r' ? 1 : 5));
	if (t->project)
		icalcomponent_add_property(c, icalproperty_new_categories(t->project));
	if (t->desc && t->desc[0])
		icalcomponent_add_property(c, icalproperty_new_description(t->desc));
}

static void add_rrule(icalcomponent *c, const struct ical_task *t)
{
	if (!t->rule || !t->do_date)
		return;
	struct icalrecurrencetype r = icalrecurrencetype_from_string(t->rule);
	if (r.freq != ICAL_NO_RECURRENCE)
		icalcomponent_add_property(c, icalproperty_new_rrule(r));
	icalerror_clear_errno();
}

/* A display alarm at the start of the late-on day plus offset; related_end:
 * the offset counts from DUE (a VTODO's late-on) rather than DTSTART. */
static void add_alarm(icalcomponent *c, const struct ical_task *t, struct icaldurationtype offset, int related_end)
{
	icalcomponent *a = icalcomponent_new_valarm();
	struct icaltriggertype trig = { .time = icaltime_null_time(), .duration = offset };
	icalproperty *p = icalproperty_new_trigger(trig);
	char text[600];
	if (related_end)
		icalproperty_add_parameter(p, icalparameter_new_related(ICAL_RELATED_END));
	snprintf(text, sizeof text, "Last day: %.500s", t->title);
	icalcomponent_add_property(a, icalproperty_new_action(ICAL_ACTION_DISPLAY));
	icalcomponent_add_property(a, p);
	icalcomponent_add_property(a, icalproperty_new_description(text));
	icalcomponent_add_component(c, a);
}

static icalproperty *x_prop(const char *name, const char *value)
{
	icalproperty *p = icalproperty_new_x(value);
	icalproperty_set_x_name(p, name);
	return p;
}

int heph_export_ical(heph_store *s, const heph_ical_opts *o, char **out, int64_t *count)
{
	static const heph_ical_opts todos = { 0 };
	struct icaldurationtype offset;
	sqlite3_stmt *st;
	int rc, err = 0;
	int64_t n = 0;
	*out = NULL;
	if (!o)
		o = &todos;
	if (heph__ical_load())
		return HEPH_ERROR;
	offset = icaldurationtype_from_string(o->alarm_offset ? o->alarm_offset : "PT9H");
	icalerror_clear_errno();
	if (icaldurationtype_is_bad_duration(offset))
		return heph_error_set(HEPH_EINVALID, "the alarm offset \"%.40s\" is not an RFC 5545 duration (PT9H, "
				      "-PT15H, -P1D)", o->alarm_offset);
	icalcomponent *cal = icalcomponent_new_vcalendar();
	icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
	icalcomponent_add_property(cal, icalproperty_new_prodid("-//heph//heph " HEPH_VERSION "//EN"));
	if (o->events)
		icalcomponent_add_property(cal, x_prop("X-WR-CALNAME", "heph"));
	if (o->refresh) {
		struct icaldurationtype every = icaldurationtype_from_string(o->refresh);
		icalproperty *p = icalproperty_new_refreshinterval(every);
		icalproperty_add_parameter(p, icalparameter_new_value(ICAL_VALUE_DURATION));
		icalcomponent_add_property(cal, p);
		icalcomponent_add_property(cal, x_prop("X-PUBLISHED-TTL", o->refresh));
	}
	rc = sqlite3_prepare_v2(s->db,
				"SELECT n.id, n.title, t.attention, t.do_date, t.late_on, t.recurrence, p.title, c.body, "
				"MAX(n.updated_hlc, COALESCE(c.updated_hlc, '')) "
				"FROM tasks t JOIN nodes n ON n.id = t.node_id "
				"LEFT JOIN nodes p ON p.id = t.project_id AND p.tombstone_hlc IS NULL "
				"LEFT JOIN nodes c ON c.id = t.context_id "
				"WHERE t.state = 'outstanding' AND t.deleted = 0 "
				"AND (t.do_date IS NOT NULL OR t.late_on IS NOT NULL) ORDER BY n.id",
				-1, &st, NULL);
	if (rc != SQLITE_OK) {
		err = heph__sqlerr(s, rc, "export");
		goto out;
	}
	while ((rc = heph__row(s, st)) > 0) {
		struct ical_task t = {
			.id = (const char *)sqlite3_column_text(st, 0),
			.title = (const char *)sqlite3_column_text(st, 1),
			.attention = (const char *)sqlite3_column_text(st, 2),
			.do_date = (const char *)sqlite3_column_text(st, 3),
			.late_on = (const char *)sqlite3_column_text(st, 4),
			.rule = (const char *)sqlite3_column_text(st, 5),
			.project = (const char *)sqlite3_column_text(st, 6),
			.desc = (const char *)sqlite3_column_text(st, 7),
			.stamp = hlc_utc(s, (const char *)sqlite3_column_text(st, 8)),
		};
		int alarm = t.late_on && (o->alarm_bands & (1u << heph__band_of(t.attention)));
		char uid[64], summary[600];
		if (!o->events) {
			icalcomponent *todo = icalcomponent_new_vtodo();
			snprintf(uid, sizeof uid, "%s@heph", t.id);
			common_props(todo, &t, uid, t.title);
			icalcomponent_add_property(todo, icalproperty_new_status(ICAL_STATUS_NEEDSACTION));
			/* RFC 5545 wants DUE after DTSTART: a do-date on or after
			 * the late-on is left out, the late-on being the date
			 * that matters */
			if (t.do_date && (!t.late_on || strcmp(t.do_date, t.late_on) < 0))
				icalcomponent_add_property(todo, icalproperty_new_dtstart(day(t.do_date)));
			if (t.late_on)
				icalcomponent_add_property(todo, icalproperty_new_due(day(t.late_on)));
			add_rrule(todo, &t);
			if (alarm)
				add_alarm(todo, &t, offset, 1);
			icalcomponent_add_component(cal, todo);
		} else {
			/* the do-date: the day it can be done from, and its repeats */
			if (t.do_date && !(t.late_on && !t.rule && strcmp(t.do_date, t.late_on) == 0)) {
				icalcomponent *ev = icalcomponent_new_vevent();
				snprintf(uid, sizeof uid, "%s@heph", t.id);
				common_props(ev, &t, uid, t.title);
				icalcomponent_add_property(ev, icalproperty_new_dtstart(day(t.do_date)));
				icalcomponent_add_property(ev, icalproperty_new_transp(ICAL_TRANSP_TRANSPARENT));
				add_rrule(ev, &t);
				icalcomponent_add_component(cal, ev);
			}
			/* the late-on: the last day before lateness has a consequence */
			if (t.late_on) {
				icalcomponent *ev = icalcomponent_new_vevent();
				snprintf(uid, sizeof uid, "%s-late@heph", t.id);
				snprintf(summary, sizeof summary, "Last day: %.500s", t.title);
				common_props(ev, &t, uid, summary);
				icalcomponent_add_property(ev, icalproperty_new_dtstart(day(t.late_on)));
				icalcomponent_add_property(ev, icalproperty_new_transp(ICAL_TRANSP_TRANSPARENT));
				if (alarm)
					add_alarm(ev, &t, offset, 0);
				icalcomponent_add_component(cal, ev);
			}
		}
		n++;
	}
	sqlite3_finalize(st);
	if (rc < 0) {
		err = rc;
		goto out;
	}
	char *text = icalcomponent_as_ical_string_r(cal);
	if (!text) {
		err = heph_error_set(HEPH_ERROR, "libical could not write the calendar");
		goto out;
	}
	if (!(*out = strdup(text)))
		abort();
	icalmemory_free_buffer(text);
	if (count)
		*count = n;
out:
	icalcomponent_free(cal);
	return err;
}

/* RPC: the calendar as text, as `heph export --ical` writes it: this
 * replica's alarm settings (heph/calendar.h), VTODOs unless form is event. */
HEPH_RPC_HANDLER(heph__rpc_export_ical)
{
	char *text = NULL, offset[HEPH_CALENDAR_OFFSET_MAX + 1];
	const char *form = json_string_value(json_object_get(params, "form"));
	heph_ical_opts o = { .events = form && strcmp(form, "event") == 0 };
	int64_t n = 0;
	int err;
	if ((err = heph_calendar_alarms(env->store, &o.alarm_bands, offset)))
		return err;
	o.alarm_offset = offset;
	if ((err = heph_export_ical(env->store, &o, &text, &n)))
		return err;
	*result = json_pack("{s:s, s:I}", "ical", text, "count", (json_int_t)n);
	free(text);
	return 0;
}
