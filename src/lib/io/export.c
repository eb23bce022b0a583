/* export.c — the replica as markdown files and as an iCalendar
 * (heph/export.h lays out both formats). Nothing here writes the database. */
#include "heph/export.h"

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

/* ---- iCalendar ---- */

static struct icaltimetype day(const char *date)
{
	struct icaltimetype t = icaltime_null_date();
	t.year = atoi(date);
	t.month = atoi(date + 5);
	t.day = atoi(date + 8);
	return t;
}

int heph_export_ical(heph_store *s, char **out, int64_t *count)
{
	sqlite3_stmt *st;
	int rc, err = 0;
	int64_t n = 0;
	*out = NULL;
	if (heph__ical_load())
		return HEPH_ERROR;
	icalcomponent *cal = icalcomponent_new_vcalendar();
	struct icaltimetype stamp = icaltime_from_timet_with_zone((time_t)(heph_store_now_ms(s) / 1000), 0,
								  icaltimezone_get_utc_timezone());
	*out = NULL;
	icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
	icalcomponent_add_property(cal, icalproperty_new_prodid("-//heph//heph " HEPH_VERSION "//EN"));
	rc = sqlite3_prepare_v2(s->db,
				"SELECT n.id, n.title, t.attention, t.do_date, t.late_on, t.recurrence, p.title, c.body "
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
		const char *id = (const char *)sqlite3_column_text(st, 0);
		const char *att = (const char *)sqlite3_column_text(st, 2);
		const char *doo = (const char *)sqlite3_column_text(st, 3);
		const char *late = (const char *)sqlite3_column_text(st, 4);
		const char *rule = (const char *)sqlite3_column_text(st, 5);
		const char *proj = (const char *)sqlite3_column_text(st, 6);
		const char *desc = (const char *)sqlite3_column_text(st, 7);
		char uid[64];
		icalcomponent *todo = icalcomponent_new_vtodo();
		snprintf(uid, sizeof uid, "%s@heph", id);
		icalcomponent_add_property(todo, icalproperty_new_uid(uid));
		icalcomponent_add_property(todo, icalproperty_new_dtstamp(stamp));
		icalcomponent_add_property(todo, icalproperty_new_summary((const char *)sqlite3_column_text(st, 1)));
		icalcomponent_add_property(todo, icalproperty_new_status(ICAL_STATUS_NEEDSACTION));
		/* RFC 5545 wants DUE after DTSTART: a do-date on or after the
		 * late-on is left out, the late-on being the date that matters */
		if (doo && (!late || strcmp(doo, late) < 0))
			icalcomponent_add_property(todo, icalproperty_new_dtstart(day(doo)));
		if (late)
			icalcomponent_add_property(todo, icalproperty_new_due(day(late)));
		if (strcmp(att, "red") == 0 || strcmp(att, "orange") == 0)
			icalcomponent_add_property(todo, icalproperty_new_priority(att[0] == 'r' ? 1 : 5));
		if (rule && doo) {
			struct icalrecurrencetype r = icalrecurrencetype_from_string(rule);
			if (r.freq != ICAL_NO_RECURRENCE)
				icalcomponent_add_property(todo, icalproperty_new_rrule(r));
			icalerror_clear_errno();
		}
		if (proj)
			icalcomponent_add_property(todo, icalproperty_new_categories(proj));
		if (desc && desc[0])
			icalcomponent_add_property(todo, icalproperty_new_description(desc));
		icalcomponent_add_component(cal, todo);
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

/* RPC: the calendar as text, for a hub to serve as a feed. */
HEPH_RPC_HANDLER(heph__rpc_export_ical)
{
	char *text = NULL;
	int64_t n = 0;
	int err;
	(void)params;
	if ((err = heph_export_ical(env->store, &text, &n)))
		return err;
	*result = json_pack("{s:s, s:I}", "ical", text, "count", (json_int_t)n);
	free(text);
	return 0;
}
