/* lifecycle.c — a task's context doc, its log doc, and recurrence rolling
 * a task forward. Every function runs inside the caller's transaction and
 * only emits ops (model.c); apply.c does the rest.
 *
 * Two devices that complete the same occurrence offline and then merge must
 * end with one occurrence advanced and logged once. So everything done is a
 * function of the replicated state the two share, never of the device:
 *
 *   op            written                         same on both devices
 *   node.set      context doc, checklist reset     the reset text
 *   node.create   log doc (first use)              id = hash(task id), title, body
 *   link.add      log-of, log doc -> task          link id = hash(task id)
 *   node.set      log doc body + "- DATE: done"    DATE is the occurrence, not the day of completion
 *   task.set      do_date = next instance          a function of rule, do-date and today
 *
 * Equal values written concurrently are not conflicts (apply.c), a double
 * create of one id converges, and a link added twice with one tag is one
 * link. (Two devices with different todays may pick different next dates;
 * the later write wins, and it is still one occurrence on from the last.)
 */
#include "rpc_internal.h"
#include "heph/checklist.h"
#include "heph/recur.h"

#include <stdlib.h>
#include <string.h>

#define LOG_TAIL 20 /* log lines node.get and log.tail show by default */

/* The millisecond time of a ULID (its first ten characters). */
static int64_t ulid_ms(const char *id)
{
	static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	int64_t ms = 0;
	for (int i = 0; i < 10 && id[i]; i++) {
		const char *p = strchr(alphabet, id[i]);
		ms = ms * 32 + (p ? p - alphabet : 0);
	}
	return ms;
}

/* An id derived from the task's, for a node or link only it has. */
static void derived(const char *task_id, const char *what, char out[HEPH_ID_LEN + 1])
{
	char text[64];
	snprintf(text, sizeof text, "%s %s", what, task_id);
	heph_id_hashed(ulid_ms(task_id), text, out);
}

static int live(heph_store *s, const char *id, int *out)
{
	sqlite3_stmt *st = heph__stmt(s, "SELECT tombstone_hlc IS NULL FROM nodes WHERE id = ?1");
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, id);
	*out = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return 0;
}

/* ---- the context doc ---- */

int heph__task_context(heph_store *s, const char *task_id, int create, char out[HEPH_ID_LEN + 1])
{
	sqlite3_stmt *st = heph__stmt(s, "SELECT t.context_id, n.title FROM tasks t JOIN nodes n ON n.id = t.node_id "
					 "WHERE t.node_id = ?1");
	char *title = NULL;
	int ok = 0, err;
	out[0] = '\0';
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, task_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) != SQLITE_NULL)
			snprintf(out, HEPH_ID_LEN + 1, "%s", (const char *)sqlite3_column_text(st, 0));
		title = heph__col_dup(st, 1);
	}
	sqlite3_reset(st);
	if (!title)
		return heph_error_set(HEPH_ENOTFOUND, "no task %s", task_id);
	if (out[0] && (err = live(s, out, &ok)) == 0 && ok) {
		free(title);
		return 0;
	}
	out[0] = '\0';
	if (!create) {
		free(title);
		return 0;
	}
	/* A task from elsewhere without one (or whose doc was deleted) gets
	 * one whose id is derived, so two devices doing this make one doc. */
	char doc[HEPH_ID_LEN + 1], lid[HEPH_ID_LEN + 1];
	derived(task_id, "context", doc);
	derived(task_id, "context-link", lid);
	if ((err = live(s, doc, &ok)))
		goto out;
	if (!ok) {
		sqlite3_stmt *ex = heph__stmt(s, "SELECT 1 FROM nodes WHERE id = ?1");
		int exists;
		if (!ex) {
			err = HEPH_ERROR;
			goto out;
		}
		heph__bind_str(ex, 1, doc);
		exists = sqlite3_step(ex) == SQLITE_ROW;
		sqlite3_reset(ex);
		if (exists) { /* deleted: a fresh one */
			heph__new_id(s, doc);
			heph__new_id(s, lid);
		}
		if ((err = heph__node_create(s, doc, "doc", title, NULL, NULL)))
			goto out;
	}
	err = heph__emit(s, "link.add",
			 json_pack("{s:s, s:s, s:s, s:s}", "link_id", lid, "src", task_id, "dst", doc, "type",
				   "canonical-context"),
			 NULL);
	if (!err)
		memcpy(out, doc, HEPH_ID_LEN + 1);
out:
	free(title);
	return err;
}

struct items {
	json_t *arr;
};

static int item_json(const heph_check_item *it, void *ctx)
{
	struct items *c = ctx;
	json_array_append_new(c->arr, json_pack("{s:s%, s:b, s:i, s:i}", "text", it->text, it->text_len, "done",
						it->done, "line", (json_int_t)it->line, "indent", (json_int_t)it->indent));
	return 0;
}

json_t *heph__checklist_json(const char *body)
{
	struct items c = { json_array() };
	heph_checklist_foreach(body, item_json, &c);
	return c.arr;
}

/* ---- the log doc ---- */

int heph__task_log(heph_store *s, const char *task_id, char out[HEPH_ID_LEN + 1], int *exists)
{
	/* A live log-of doc (made here, by sync, or by an older version), else
	 * the id a first entry will create. */
	sqlite3_stmt *st = heph__stmt(s, "SELECT l.src FROM links l JOIN nodes n ON n.id = l.src "
					 "WHERE l.dst = ?1 AND l.type = 'log-of' AND n.tombstone_hlc IS NULL "
					 "ORDER BY l.src LIMIT 1");
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, task_id);
	*exists = sqlite3_step(st) == SQLITE_ROW;
	if (*exists)
		snprintf(out, HEPH_ID_LEN + 1, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (!*exists)
		derived(task_id, "log", out);
	return 0;
}

/* "- DATE: text", further lines indented to stay in the item. */
static char *entry_text(const char *date, const char *text)
{
	size_t n = strlen(text), cap = n * 3 + 32, k = 0;
	char *e = malloc(cap);
	if (!e)
		abort();
	k = (size_t)snprintf(e, cap, "- %s: ", date);
	for (const char *p = text; *p; p++) {
		if (*p == '\r')
			continue;
		e[k++] = *p;
		if (*p == '\n' && p[1])
			e[k++] = ' ', e[k++] = ' ';
	}
	while (k && (e[k - 1] == '\n' || e[k - 1] == ' '))
		k--;
	e[k++] = '\n';
	e[k] = '\0';
	return e;
}

int heph__log_append(heph_store *s, const char *task_id, const char *date, const char *text,
		     char log_id[HEPH_ID_LEN + 1])
{
	char *entry = date ? entry_text(date, text) : strdup(text), *cur = NULL, *body = NULL;
	int exists, err, ok;
	if (!entry)
		abort();
	if ((err = heph__task_log(s, task_id, log_id, &exists)))
		goto out;
	if (exists) {
		cur = heph__node_body(s, log_id);
		size_t n = cur ? strlen(cur) : 0;
		if (!(body = malloc(n + strlen(entry) + 2)))
			abort();
		strcpy(body, cur ? cur : "");
		if (n && body[n - 1] != '\n')
			strcat(body, "\n");
		strcat(body, entry);
		err = heph__set_body(s, log_id, body);
		goto out;
	}
	/* First use: the log doc and its link, with ids derived from the task. */
	char lid[HEPH_ID_LEN + 1], title[300];
	sqlite3_stmt *st = heph__stmt(s, "SELECT title FROM nodes WHERE id = ?1");
	if (!st) {
		err = HEPH_ERROR;
		goto out;
	}
	heph__bind_str(st, 1, task_id);
	snprintf(title, sizeof title, "Log: %s",
		 sqlite3_step(st) == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : task_id);
	sqlite3_reset(st);
	derived(task_id, "log-link", lid);
	if ((err = live(s, log_id, &ok)))
		goto out;
	if (!ok) {
		sqlite3_stmt *ex = heph__stmt(s, "SELECT 1 FROM nodes WHERE id = ?1");
		if (!ex) {
			err = HEPH_ERROR;
			goto out;
		}
		heph__bind_str(ex, 1, log_id);
		int deleted = sqlite3_step(ex) == SQLITE_ROW;
		sqlite3_reset(ex);
		if (deleted) { /* the derived one was deleted by hand: a fresh one */
			heph__new_id(s, log_id);
			heph__new_id(s, lid);
		}
	}
	if ((err = heph__node_create(s, log_id, "doc", title, entry, NULL)))
		goto out;
	err = heph__emit(s, "link.add",
			 json_pack("{s:s, s:s, s:s, s:s}", "link_id", lid, "src", log_id, "dst", task_id, "type", "log-of"),
			 NULL);
out:
	free(entry);
	free(cur);
	free(body);
	return err;
}

json_t *heph__log_tail(heph_store *s, const char *task_id, long long lines)
{
	char log_id[HEPH_ID_LEN + 1];
	int exists;
	json_t *entries = json_array(), *o;
	char *body = NULL;
	if (heph__task_log(s, task_id, log_id, &exists)) {
		json_decref(entries);
		return NULL;
	}
	if (exists)
		body = heph__node_body(s, log_id);
	/* the last `lines` non-empty lines, oldest first */
	if (body) {
		size_t n = 0;
		for (char *p = body; *p; p++)
			n += *p == '\n';
		char **v = calloc(n + 2, sizeof *v);
		size_t k = 0;
		if (!v)
			abort();
		for (char *save = NULL, *l = strtok_r(body, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			if (l[strspn(l, " \t\r")])
				v[k++] = l;
		for (size_t i = lines > 0 && (size_t)lines < k ? k - (size_t)lines : 0; i < k; i++)
			json_array_append_new(entries, json_string(v[i]));
		free(v);
	}
	o = json_pack("{s:s, s:s?, s:o}", "task_id", task_id, "log_id", exists ? log_id : NULL, "entries", entries);
	free(body);
	return o;
}

/* ---- recurrence ---- */

int heph__recur_param(const json_t *params, int *set, int *phrase, json_t **value)
{
	const char *recur, *rrule;
	char *rule = NULL;
	int err;
	*set = 0;
	*phrase = 0;
	*value = NULL;
	if ((err = heph__p_str(params, "recur", 0, &recur)) || (err = heph__p_str(params, "rrule", 0, &rrule)))
		return err;
	if (recur && rrule)
		return heph_error_set(HEPH_EINVALID, "give recur or rrule, not both");
	if (!recur && !rrule)
		return 0;
	if (recur ? heph_recur_parse(recur, &rule) : heph_recur_check(rrule, &rule))
		return heph_error_wrap(HEPH_EINVALID, "%s: ", recur ? "recur" : "rrule");
	*set = 1;
	*phrase = recur != NULL;
	*value = rule ? json_string(rule) : json_null();
	free(rule);
	return 0;
}

int heph__recur_first_day(heph_store *s, const char *rrule, char out[HEPH_DATE_LEN + 1])
{
	if (heph_recur_first(rrule, heph_store_today(s), out))
		return HEPH_EINVALID;
	if (!out[0])
		return heph_error_set(HEPH_EINVALID, "the rule %s has no day from %s on", rrule, heph_store_today(s));
	return 0;
}

/* The task's state, do_date and recurrence. */
static int task_fields(heph_store *s, const char *id, char state[16], char do_date[HEPH_DATE_LEN + 1],
		       char **rrule)
{
	sqlite3_stmt *st = heph__stmt(s, "SELECT state, do_date, recurrence FROM tasks WHERE node_id = ?1");
	int found;
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, id);
	found = sqlite3_step(st) == SQLITE_ROW;
	if (found) {
		snprintf(state, 16, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(do_date, HEPH_DATE_LEN + 1, "%s",
			 sqlite3_column_type(st, 1) == SQLITE_NULL ? "" : (const char *)sqlite3_column_text(st, 1));
		*rrule = heph__col_dup(st, 2);
	}
	sqlite3_reset(st);
	return found ? 0 : heph_error_set(HEPH_ENOTFOUND, "no task %s", id);
}

int heph__task_recurs(heph_store *s, const char *id, int *recurs)
{
	char state[16], do_date[HEPH_DATE_LEN + 1], *rule = NULL;
	int err = task_fields(s, id, state, do_date, &rule);
	*recurs = !err && rule && strcmp(state, "outstanding") == 0;
	free(rule);
	return err;
}

int heph__task_advance(heph_store *s, const char *id, int done, json_t **info)
{
	char state[16], do_date[HEPH_DATE_LEN + 1], next[HEPH_DATE_LEN + 1], ctx[HEPH_ID_LEN + 1];
	char log_id[HEPH_ID_LEN + 1], *rule = NULL, *rest = NULL, *body = NULL, *reset = NULL;
	const char *today = heph_store_today(s), *occurrence, *after;
	json_t *fields = NULL;
	int err, changed = 0;
	*info = NULL;
	if ((err = task_fields(s, id, state, do_date, &rule)))
		return err;
	if (strcmp(state, "outstanding") != 0) {
		err = heph_error_set(HEPH_ECONFLICT, "task %s is already %s", id, state);
		goto out;
	}
	if (!rule) {
		err = heph_error_set(HEPH_ECONFLICT, "task %s does not recur (nothing to skip)", id);
		goto out;
	}
	/* The occurrence is the current do-date (today for a task with none);
	 * the next one is strictly after both it and today. */
	occurrence = do_date[0] ? do_date : today;
	after = strcmp(occurrence, today) > 0 ? occurrence : today;
	if ((err = heph_recur_next(rule, occurrence, after, next, &rest)))
		goto out;
	/* A new occurrence starts with a fresh checklist. */
	if ((err = heph__task_context(s, id, 0, ctx)))
		goto out;
	if (ctx[0] && (body = heph__node_body(s, ctx)) && (reset = heph_checklist_reset(body, &changed)) && changed &&
	    (err = heph__set_body(s, ctx, reset)))
		goto out;
	if (done && (err = heph__log_append(s, id, occurrence, "done", log_id)))
		goto out;
	fields = json_object();
	if (next[0]) {
		json_object_set_new(fields, "do_date", json_string(next));
		if (rest && strcmp(rest, rule) != 0)
			json_object_set_new(fields, "recurrence", json_string(rest));
	} else {
		json_object_set_new(fields, "state", json_string("done")); /* the series is over */
	}
	if ((err = heph__set_fields(s, id, 1, fields)))
		goto out;
	*info = json_pack("{s:s, s:s?, s:b, s:b, s:b}", "occurrence", occurrence, "next", next[0] ? next : NULL,
			  "finished", !next[0], "logged", done, "checklist_reset", changed);
out:
	json_decref(fields);
	free(rule);
	free(rest);
	free(body);
	free(reset);
	return err;
}
