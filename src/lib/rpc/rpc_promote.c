/* rpc_promote.c — `checklist.promote`: an open checklist item of a context
 * doc becomes a task of its own.
 *
 * In one change (one transaction, one step of heph undo):
 *   - a task titled by the item's text is created in the project of the
 *     task that owns the doc (none when the doc is no task's context);
 *   - it is linked back to that task (or to the doc) with a `promoted-from`
 *     link, new task -> source;
 *   - the item's "[ ] text" becomes "[[NEWID]]": the list line stays, and the
 *     doc's wiki links (its index, its backlinks) now name the task.
 * Only an open item is promoted: a done one, a line that is no item, or an
 * item without text is refused, and nothing changes. With text, the item
 * must still read so (a surface that showed it, or a queued call replayed
 * later, promotes nothing when the doc changed in between).
 */
#include "rpc_internal.h"

#include "heph/checklist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct find {
	size_t line;      /* the line asked for, or 0 when matching text */
	const char *text; /* the start of the item's text asked for (case-insensitive) */
	heph_check_item hit;
	int hits;         /* items that matched */
};

static int prefix_ci(const char *text, size_t len, const char *want)
{
	size_t n = strlen(want);
	if (n > len)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char a = text[i], b = want[i];
		if (a >= 'A' && a <= 'Z')
			a = (char)(a - 'A' + 'a');
		if (b >= 'A' && b <= 'Z')
			b = (char)(b - 'A' + 'a');
		if (a != b)
			return 0;
	}
	return 1;
}

static int visit(const heph_check_item *it, void *ctx)
{
	struct find *f = ctx;
	if (f->line ? it->line == f->line : (!it->done && prefix_ci(it->text, it->text_len, f->text))) {
		if (f->hits++ == 0)
			f->hit = *it;
	}
	return 0;
}

/* The task whose context doc is doc_id, into task ("" when none), with its
 * project ("" when none). */
static int owner_of(heph_store *s, const char *doc_id, char task[HEPH_ID_LEN + 1], char project[HEPH_ID_LEN + 1])
{
	sqlite3_stmt *st = heph__stmt(s, "SELECT t.node_id, t.project_id FROM tasks t JOIN nodes n ON n.id = t.node_id "
					 "WHERE t.context_id = ?1 AND n.tombstone_hlc IS NULL ORDER BY t.node_id LIMIT 1");
	int rc;
	task[0] = project[0] = '\0';
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, doc_id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(task, HEPH_ID_LEN + 1, "%s", (const char *)sqlite3_column_text(st, 0));
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
			snprintf(project, HEPH_ID_LEN + 1, "%s", (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : heph__sqlerr(s, rc, "finding the doc's task");
}

HEPH_RPC_HANDLER(heph__rpc_checklist_promote)
{
	heph_store *s = env->store;
	char ref[HEPH_ID_LEN + 1], doc[HEPH_ID_LEN + 1], owner[HEPH_ID_LEN + 1], project[HEPH_ID_LEN + 1];
	char kind[33], id[HEPH_ID_LEN + 1];
	const char *item_ref;
	char *body = NULL, *title = NULL, *next = NULL, *end;
	json_t *fields = NULL;
	struct find f = { 0 };
	int err;

	char num[24];
	json_t *item = json_object_get(params, "item");
	if (json_is_integer(item)) { /* a line number may come as a number */
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(item));
		item_ref = num;
	} else if ((err = heph__p_str(params, "item", 1, &item_ref))) {
		return err;
	}
	const char *expect;
	if ((err = heph__p_str(params, "text", 0, &expect)) ||
	    (err = heph__p_node(s, params, "id", HEPH_K_TASK | HEPH_K_DOC, ref)) || (err = heph__node_kind(s, ref, kind)))
		return err;
	if (strcmp(kind, "task") == 0) {
		if ((err = heph__task_context(s, ref, 0, doc)))
			return err;
		if (!doc[0])
			return heph_error_set(HEPH_ENOTFOUND, "task %s has no context doc, so no checklist to promote from", ref);
	} else {
		snprintf(doc, sizeof doc, "%s", ref);
	}
	if ((err = owner_of(s, doc, owner, project)))
		return err;
	if (!(body = heph__node_body(s, doc)))
		return heph_error_set(HEPH_ENOTFOUND, "doc %s has no body", doc);

	/* the item: a line number, or the start of an open item's text */
	long long n = strtoll(item_ref, &end, 10);
	if (*item_ref && !*end) {
		if (n < 1) {
			err = heph_error_set(HEPH_EINVALID, "item: a line number is 1 or more, not %s", item_ref);
			goto out;
		}
		f.line = (size_t)n;
	} else if (!item_ref[strspn(item_ref, " \t")]) {
		err = heph_error_set(HEPH_EINVALID, "item: give the item's line number or the start of its text");
		goto out;
	} else {
		f.text = item_ref;
	}
	heph_checklist_foreach(body, visit, &f);
	if (f.line && !f.hits) {
		err = heph_error_set(HEPH_ENOTFOUND, "line %zu of doc %s is no checklist item (\"- [ ] text\"); "
						     "heph context ID --json lists the items with their lines",
				     f.line, doc);
		goto out;
	}
	if (!f.line && f.hits != 1) {
		err = f.hits ? heph_error_set(HEPH_EAMBIGUOUS, "%d open items of doc %s start with \"%.80s\"; give its line number",
					      f.hits, doc, item_ref)
			     : heph_error_set(HEPH_ENOTFOUND, "no open item of doc %s starts with \"%.80s\"", doc, item_ref);
		goto out;
	}
	if (f.hit.done) {
		err = heph_error_set(HEPH_ECONFLICT, "the item on line %zu is done already; only an open item is promoted",
				     f.hit.line);
		goto out;
	}
	if (!(title = strndup(f.hit.text, f.hit.text_len)))
		abort();
	if (expect && strcmp(expect, title) != 0) {
		err = heph_error_set(HEPH_ECONFLICT, "line %zu of doc %s now reads \"%.80s\", not \"%.80s\": the doc changed; "
						     "nothing promoted", f.hit.line, doc, title, expect);
		goto out;
	}
	if ((err = heph__one_line("an item's text (the new task's title)", title)))
		goto out;

	/* the task, in the owner's project, linked back */
	fields = json_pack("{s:s}", "title", title);
	if ((err = heph__task_create(s, fields, project[0] ? project : NULL, id)) ||
	    (err = heph__link_add(s, id, owner[0] ? owner : doc, "promoted-from", NULL)))
		goto out;

	/* "[ ] text" -> "[[ID]]", every other byte as it was */
	size_t open = f.hit.mark - 1; /* the "[" before the mark */
	const char *eol = strchr(body + open, '\n');
	size_t tail = eol ? (size_t)(eol - body) : strlen(body);
	if (eol && eol > body + open && eol[-1] == '\r')
		tail--;
	if (asprintf(&next, "%.*s[[%s]]%s", (int)open, body, id, body + tail) < 0)
		abort();
	if ((err = heph__set_body(s, doc, next)))
		goto out;

	json_t *task = heph__task_json(s, id);
	if (!task) {
		err = HEPH_ERROR;
		goto out;
	}
	*result = json_pack("{s:o, s:s, s:s?, s:I, s:s}", "task", task, "doc_id", doc, "source_id",
			    owner[0] ? owner : NULL, "line", (json_int_t)f.hit.line, "text", title);
out:
	json_decref(fields);
	free(body);
	free(title);
	free(next);
	return err;
}
