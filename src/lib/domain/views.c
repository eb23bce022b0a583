/* views.c — the built-in views (one table of filters) and the methods
 * task.next, view.list and view.show.
 *
 * A view names a filter over outstanding, live tasks; its tasks come in
 * rank order (rank.c). Views that name a project find it by name (every
 * live project of that name, case-insensitively, with its subprojects), so
 * they work on any database: a view scoped to a project that does not
 * exist is empty, and one that leaves a missing project out leaves nothing
 * out. view.list says which of them found their project.
 */
#include "rpc_internal.h"

#include <string.h>

#define NEXT_LIMIT 10  /* tasks `heph next` shows (red ones always beyond) */
#define VIEW_LIMIT 100 /* tasks a view shows (red ones always beyond) */
#define ALL_BANDS (HEPH_BAND_RED | HEPH_BAND_ORANGE | HEPH_BAND_WHITE | HEPH_BAND_BLUE)
#define NOT_BLUE (HEPH_BAND_RED | HEPH_BAND_ORANGE | HEPH_BAND_WHITE)

struct view {
	const char *name;
	const char *summary;  /* one line */
	unsigned bands;       /* attention colours shown */
	int actionable;       /* only tasks that can be done today */
	int unfiled;          /* only tasks in no project */
	const char *scope;    /* a project name: only its subtree */
	const char *exclude;  /* a project name: its subtree left out */
};

static const struct view views[] = {
	{ "tom", "top of mind: what can be done today, most pressing first (no blue)", NOT_BLUE, 1, 0, NULL, NULL },
	{ "ondeck", "on deck: the blue tasks, live but not for now, whatever their do-date", HEPH_BAND_BLUE, 0, 0,
	  NULL, NULL },
	{ "chores", "life outside work: top of mind without the Work project and its subprojects", NOT_BLUE, 1, 0,
	  NULL, "Work" },
	{ "work", "the Work project and its subprojects: what can be done today (no blue)", NOT_BLUE, 1, 0, "Work",
	  NULL },
	{ "tasks", "every outstanding task, whatever its colour or do-date", ALL_BANDS, 0, 0, NULL, NULL },
	{ "inbox", "outstanding tasks in no project, waiting to be filed", ALL_BANDS, 0, 1, NULL, NULL },
};

#define NVIEWS (sizeof views / sizeof views[0])

/* Ids of every live project named name (any case) and of their subprojects;
 * *found = how many projects had the name. */
static int named_subtree(heph_store *s, const char *name, json_t **ids, int *found)
{
	sqlite3_stmt *st = heph__stmt(s,
		"WITH RECURSIVE sub(id) AS (SELECT id FROM nodes WHERE kind = 'project' AND title = ?1 COLLATE NOCASE "
		"AND tombstone_hlc IS NULL UNION SELECT n.id FROM nodes n JOIN sub ON n.parent_id = sub.id "
		"WHERE n.kind = 'project' AND n.tombstone_hlc IS NULL) SELECT id FROM sub");
	int rc, err;
	*ids = json_array();
	*found = 0;
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, name);
	while ((rc = heph__row(s, st)) > 0)
		json_array_append_new(*ids, json_string((const char *)sqlite3_column_text(st, 0)));
	sqlite3_reset(st);
	if (rc < 0)
		return rc;
	if (!(st = heph__stmt(s, "SELECT count(*) FROM nodes WHERE kind = 'project' AND title = ?1 COLLATE NOCASE "
				 "AND tombstone_hlc IS NULL")))
		return HEPH_ERROR;
	heph__bind_str(st, 1, name);
	rc = sqlite3_step(st);
	*found = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	err = rc == SQLITE_ROW ? 0 : heph__sqlerr(s, rc, "view project");
	sqlite3_reset(st);
	return err;
}

static const struct view *find_view(const char *name)
{
	for (size_t i = 0; i < NVIEWS; i++)
		if (strcmp(views[i].name, name) == 0)
			return &views[i];
	return NULL;
}

static json_t *bands_json(unsigned bands)
{
	static const char *const names[] = { "red", "orange", "white", "blue" };
	json_t *a = json_array();
	for (int b = 0; b < 4; b++)
		if (bands & (1u << b))
			json_array_append_new(a, json_string(names[b]));
	return a;
}

HEPH_RPC_HANDLER(heph__rpc_view_list)
{
	heph_store *s = env->store;
	json_t *arr = json_array();
	int counts, err;
	if ((err = heph__p_bool(params, "counts", 0, &counts))) {
		json_decref(arr);
		return err;
	}
	for (size_t i = 0; i < NVIEWS; i++) {
		const struct view *v = &views[i];
		const char *proj = v->scope ? v->scope : v->exclude;
		int found = 0;
		long long n = 0;
		json_t *ids = NULL;
		if (proj && (err = named_subtree(s, proj, &ids, &found)))
			goto fail;
		heph__filter f = { .bands = v->bands, .actionable = v->actionable, .unfiled = v->unfiled,
				   .scope = v->scope ? ids : NULL, .exclude = v->exclude ? ids : NULL };
		if (counts && (err = heph__rank_count(s, &f, &n)))
			goto fail;
		json_decref(ids);
		json_t *o = json_pack("{s:s, s:s, s:o, s:b, s:b, s:s?, s:s?, s:b}", "name", v->name, "summary",
				      v->summary, "attention", bands_json(v->bands), "actionable", v->actionable,
				      "unfiled", v->unfiled, "project", v->scope, "exclude", v->exclude,
				      "project_found", !proj || found > 0);
		if (counts)
			json_object_set_new(o, "count", json_integer(n));
		json_array_append_new(arr, o);
		continue;
	fail:
		json_decref(ids);
		json_decref(arr);
		return err;
	}
	*result = arr;
	return 0;
}

HEPH_RPC_HANDLER(heph__rpc_view_show)
{
	heph_store *s = env->store;
	const char *name;
	const struct view *v;
	long long limit;
	json_t *scope = NULL, *exclude = NULL;
	int found, err;
	if ((err = heph__p_str(params, "name", 1, &name)) ||
	    (err = heph__p_int(params, "limit", VIEW_LIMIT, 0, 1000000, &limit)))
		return err;
	if (!(v = find_view(name))) {
		char names[128] = "";
		for (size_t i = 0; i < NVIEWS; i++)
			snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", views[i].name);
		return heph_error_set(HEPH_ENOTFOUND, "no view \"%.40s\" (views: %s)", name, names);
	}
	if (v->scope && (err = named_subtree(s, v->scope, &scope, &found)))
		goto out;
	if (v->exclude && (err = named_subtree(s, v->exclude, &exclude, &found)))
		goto out;
	heph__filter f = { .bands = v->bands, .actionable = v->actionable, .unfiled = v->unfiled,
			   .scope = scope, .exclude = exclude };
	err = heph__rank(s, &f, limit, result);
out:
	json_decref(scope);
	json_decref(exclude);
	return err;
}

HEPH_RPC_HANDLER(heph__rpc_task_next)
{
	heph_store *s = env->store;
	const char *ref;
	char project[HEPH_ID_LEN + 1];
	long long limit;
	json_t *scope = NULL;
	int err;
	if ((err = heph__p_int(params, "limit", NEXT_LIMIT, 0, 1000000, &limit)) ||
	    (err = heph__p_str(params, "project", 0, &ref)))
		return err;
	if (ref && ((err = heph__resolve(s, ref, HEPH_K_PROJECT, project)) ||
		    (err = heph__project_subtree(s, project, &scope))))
		return err;
	heph__filter f = { .bands = NOT_BLUE, .actionable = 1, .scope = scope };
	err = heph__rank(s, &f, limit, result);
	json_decref(scope);
	return err;
}
