/* apply.c — the merge engine. The same code runs on every replica, so that
 * every replica holding the same set of ops holds the same state.
 *
 * Rules:
 *  - Registers (titles, bodies, task fields) are last-writer-wins by HLC,
 *    field by field. A register's clock is its clocks row; without one, it
 *    is its node's created_hlc, or "" (before every HLC) while the register
 *    holds the default a create leaves when it does not carry the field:
 *    a create writes only the fields it carries, which is what lets two
 *    creates of one id (a journal opened on two devices) merge in any order.
 *  - A write that loses (or is overwritten) is a conflict when it came from
 *    a different device and the winner's writer had not seen it (its `base`
 *    is older than the loser's HLC). Conflicts are kept, not dropped. A set
 *    op that `resolves` a conflict closes every conflict with one of the
 *    clocks it names, those recorded after it arrived included.
 *  - Links are an OR-set keyed by the add's tag: a remove deletes the tags it
 *    names and remembers them, so an add that arrives later stays removed
 *    and a concurrent add (another tag) survives.
 *  - Tombstones are monotonic: the earliest tombstone HLC is kept.
 *  - Idempotent: an op already in the log changes nothing.
 *  - An op whose node does not exist yet is deferred and applied, in HLC
 *    order, when a create for that node is applied.
 *  - Ops of unknown types are stored with status HEPH_OP_UNKNOWN; when a
 *    version that knows them opens the database they are applied.
 *  - Derived columns (tasks.project_id, tasks.context_id, nodes.parent_id)
 *    follow the live link of their type with the greatest HLC; project_id
 *    and parent_id skip links to deleted projects.
 *  - nodes.parent_id has no cycle. Two devices that each move one project
 *    under the other make one out of links each device checked; in every
 *    cycle of such parents the project whose parent link is the newest (by
 *    HLC, then link id) is a root instead (break_cycles). That is a function
 *    of the links and tombstones alone, recomputed whenever a parent link or
 *    a project's liveness changes, so every replica breaks the cycle at the
 *    same place, and a later move that ends the cycle restores the parent.
 */
#include "internal.h"
#include "ext.h"
#include "opjson.h"

#include <stdlib.h>
#include <string.h>

/* What applying one op did. */
struct outcome {
	int deferred;                     /* waiting for wait_for */
	char wait_for[HEPH_ID_LEN + 1];   /* the missing node */
	char created[HEPH_ID_LEN + 1];    /* a node that now exists, or "" */
};

/* How to apply one known op type (op.c knows the types and checks their
 * payloads; every type it knows has a row here). */
struct op_kind {
	const char *type;
	int (*apply)(heph_store *s, const heph_op *op, json_t *p, struct outcome *out);
};

/* ---- payload access (the payload was validated by op.c) ---- */

static const char *str(const json_t *p, const char *key)
{
	return json_string_value(json_object_get(p, key)); /* borrowed */
}

/* A write that settles a conflict closes it here too: every conflict of the
 * node's field that has one of the clocks it names on either side, whichever
 * side this replica saw lose. The clocks are remembered (resolutions), so
 * that such a conflict recorded later, when one of its writes arrives after
 * the resolution, is recorded closed: the outcome does not depend on the
 * order ops arrive in. */
static int close_resolved(heph_store *s, const char *id, const json_t *p)
{
	const json_t *r = json_object_get(p, "resolves"), *h;
	const char *field = json_string_value(json_object_get(r, "field"));
	size_t i;
	int err = 0;
	if (!r)
		return 0;
	sqlite3_stmt *st = heph__stmt(s, "UPDATE conflicts SET resolved = 1 WHERE node_id = ?1 AND field = ?2 "
					 "AND (loser_hlc = ?3 OR winner_hlc = ?3) AND resolved = 0");
	sqlite3_stmt *keep = heph__stmt(s, "INSERT OR IGNORE INTO resolutions(node_id, field, hlc) VALUES(?1, ?2, ?3)");
	if (!st || !keep)
		return HEPH_ERROR;
	json_array_foreach(json_object_get(r, "hlcs"), i, h) {
		heph__bind_str(st, 1, id);
		heph__bind_str(st, 2, field);
		heph__bind_str(st, 3, json_string_value(h));
		if ((err = heph__step_done(s, st)))
			break;
		heph__bind_str(keep, 1, id);
		heph__bind_str(keep, 2, field);
		heph__bind_str(keep, 3, json_string_value(h));
		if ((err = heph__step_done(s, keep)))
			break;
	}
	return err;
}

/* ---- state helpers ---- */

static int exists(heph_store *s, const char *sql, const char *id, int *out)
{
	sqlite3_stmt *st = heph__stmt(s, sql);
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, id);
	int rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : heph__sqlerr(s, rc, "lookup");
}

static int node_exists(heph_store *s, const char *id, int *out)
{
	return exists(s, "SELECT 1 FROM nodes WHERE id = ?1", id, out);
}

static int task_exists(heph_store *s, const char *id, int *out)
{
	return exists(s, "SELECT 1 FROM tasks WHERE node_id = ?1", id, out);
}

static int touch(heph_store *s, const char *id, const char *hlc)
{
	sqlite3_stmt *st = heph__stmt(s, "UPDATE nodes SET updated_hlc = ?2 WHERE id = ?1 AND updated_hlc < ?2");
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, id);
	heph__bind_str(st, 2, hlc);
	return heph__step_done(s, st);
}

static void defer_on(struct outcome *o, const char *id)
{
	o->deferred = 1;
	snprintf(o->wait_for, sizeof o->wait_for, "%s", id);
}

/* The current value of register f (malloc'd, NULL for SQL NULL) in *out;
 * *found (may be NULL) is 0 when the node (or its task row) does not exist. */
static int read_value(heph_store *s, const heph_field *f, const char *id, char **out, int *found)
{
	return heph__text_of(s, f->select_sql, id, out, found, "reading a register");
}

int heph__register_clock(heph_store *s, const char *id, const heph_field *f, char clock[HEPH_HLC_LEN + 1],
			 char base[HEPH_HLC_LEN + 1])
{
	sqlite3_stmt *st = heph__stmt(s,
		"SELECT k.hlc, n.created_hlc, coalesce(k.base, '') FROM nodes n "
		"LEFT JOIN clocks k ON k.node_id = n.id AND k.field = ?2 WHERE n.id = ?1");
	int rc, implicit = 0, err = 0;
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, id);
	heph__bind_str(st, 2, f->name);
	rc = sqlite3_step(st);
	clock[0] = base[0] = '\0';
	if (rc == SQLITE_ROW) {
		implicit = sqlite3_column_type(st, 0) == SQLITE_NULL;
		snprintf(clock, HEPH_HLC_LEN + 1, "%s", (const char *)sqlite3_column_text(st, implicit ? 1 : 0));
		snprintf(base, HEPH_HLC_LEN + 1, "%s", (const char *)sqlite3_column_text(st, 2));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return heph__sqlerr(s, rc, "reading a clock");
	if (implicit) {
		/* Never written since a create that did not carry it: a write
		 * from another create's lineage, however old, is newer. */
		char *v;
		int found;
		if ((err = read_value(s, f, id, &v, &found)))
			return err;
		if (found && heph__field_is_default(f, v))
			clock[0] = '\0';
		free(v);
	}
	return 0;
}

static int write_clock(heph_store *s, const char *id, const char *field, const char *hlc, const char *base)
{
	sqlite3_stmt *st = heph__stmt(s, "INSERT INTO clocks(node_id, field, hlc, base) VALUES(?1, ?2, ?3, ?4) "
					 "ON CONFLICT(node_id, field) DO UPDATE SET hlc = excluded.hlc, base = excluded.base");
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, id);
	heph__bind_str(st, 2, field);
	heph__bind_str(st, 3, hlc);
	heph__bind_str(st, 4, base);
	return heph__step_done(s, st);
}

static int same(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

/* A conflict one of whose writes an applied resolution names is recorded
 * settled (see close_resolved). */
static int record_conflict(heph_store *s, const char *id, const char *field, const char *loser,
			   const char *loser_hlc, const char *winner, const char *winner_hlc)
{
	sqlite3_stmt *st = heph__stmt(s,
		"INSERT INTO conflicts(node_id, field, loser_value, loser_hlc, winner_value, winner_hlc, resolved) "
		"VALUES(?1, ?2, ?3, ?4, ?5, ?6, EXISTS(SELECT 1 FROM resolutions WHERE node_id = ?1 AND field = ?2 "
		"AND hlc IN (?4, ?6))) ON CONFLICT(node_id, field, loser_hlc) DO NOTHING");
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, id);
	heph__bind_str(st, 2, field);
	heph__bind_str(st, 3, loser);
	heph__bind_str(st, 4, loser_hlc);
	heph__bind_str(st, 5, winner);
	heph__bind_str(st, 6, winner_hlc);
	return heph__step_done(s, st);
}

static const char *origin_of(const char *hlc)
{
	return strlen(hlc) == HEPH_HLC_LEN ? hlc + 22 : "";
}

/* Last-writer-wins write of one register. */
static int lww(heph_store *s, const heph_field *f, const char *id, const json_t *value,
	       const char *hlc, const char *base)
{
	char cur_hlc[HEPH_HLC_LEN + 1], cur_base[HEPH_HLC_LEN + 1];
	char *cur = NULL;
	const char *val = json_string_value(value); /* NULL for JSON null */
	int err, cmp;
	if ((err = heph__register_clock(s, id, f, cur_hlc, cur_base)))
		return err;
	cmp = strcmp(hlc, cur_hlc);
	if (cmp == 0)
		return 0;
	if ((err = read_value(s, f, id, &cur, NULL)))
		return err;

	sqlite3_stmt *st;
	if (cmp > 0) {
		if (strcmp(origin_of(cur_hlc), origin_of(hlc)) != 0 && strcmp(base, cur_hlc) < 0 &&
		    !same(cur, val) && (err = record_conflict(s, id, f->name, cur, cur_hlc, val, hlc)))
			goto out;
		if (!(st = heph__stmt(s, f->update_sql))) {
			err = HEPH_ERROR;
			goto out;
		}
		heph__bind_str(st, 1, id);
		heph__bind_str(st, 2, val);
		if ((err = heph__step_done(s, st)) || (err = write_clock(s, id, f->name, hlc, base)))
			goto out;
	} else if (strcmp(origin_of(cur_hlc), origin_of(hlc)) != 0 && strcmp(cur_base, hlc) < 0 &&
		   !same(cur, val)) {
		err = record_conflict(s, id, f->name, val, hlc, cur, cur_hlc);
	}
out:
	free(cur);
	return err;
}

static const char *base_of(const json_t *p, const char *field)
{
	const char *b = json_string_value(json_object_get(json_object_get(p, "base"), field));
	return b ? b : "";
}

static int set_registers(heph_store *s, const json_t *p, int task, const char *id, const char *hlc,
			 int with_base)
{
	for (const heph_field *f = heph__fields(task); f->name; f++) {
		const json_t *v = json_object_get(p, f->name);
		int err;
		if (v && (err = lww(s, f, id, v, hlc, with_base ? base_of(p, f->name) : "")))
			return err;
	}
	return 0;
}

/* Give every register of a node that was written an explicit clock row, so
 * that changing its created_hlc cannot change their clocks. Registers that
 * still hold their default were never written and keep clock "". */
static int pin_clocks(heph_store *s, const char *id, const char *created, int has_task)
{
	for (int task = 0; task <= has_task; task++)
		for (const heph_field *f = heph__fields(task); f->name; f++) {
			char clock[HEPH_HLC_LEN + 1], base[HEPH_HLC_LEN + 1];
			int err = heph__register_clock(s, id, f, clock, base);
			if (err)
				return err;
			if (!clock[0])
				continue;
			sqlite3_stmt *st = heph__stmt(s,
				"INSERT OR IGNORE INTO clocks(node_id, field, hlc, base) VALUES(?1, ?2, ?3, '')");
			if (!st)
				return HEPH_ERROR;
			heph__bind_str(st, 1, id);
			heph__bind_str(st, 2, f->name);
			heph__bind_str(st, 3, created);
			if ((err = heph__step_done(s, st)))
				return err;
		}
	return 0;
}

/* The task row of node id; fresh: the node was inserted just now, live,
 * created at hlc fresh (so there is nothing to copy from it). */
static int insert_task_row(heph_store *s, const char *id, const json_t *p, const char *fresh)
{
	sqlite3_stmt *st = heph__stmt(s, fresh
		? "INSERT INTO tasks(node_id, state, attention, do_date, late_on, recurrence, created_hlc, deleted, handle) "
		  "VALUES(?1, coalesce(?2, 'outstanding'), coalesce(?3, 'white'), ?4, ?5, ?6, ?7, 0, ?8)"
		: "INSERT INTO tasks(node_id, state, attention, do_date, late_on, recurrence, created_hlc, deleted, handle) "
		  "SELECT ?1, coalesce(?2, 'outstanding'), coalesce(?3, 'white'), ?4, ?5, ?6, n.created_hlc, "
		  "n.tombstone_hlc IS NOT NULL, ?8 FROM nodes n WHERE n.id = ?1");
	char handle[HEPH_HANDLE_LEN + 1];
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, id);
	if (fresh)
		heph__bind_str(st, 7, fresh);
	heph__bind_str(st, 2, str(p, "state"));
	heph__bind_str(st, 3, str(p, "attention"));
	heph__bind_str(st, 4, str(p, "do_date"));
	heph__bind_str(st, 5, str(p, "late_on"));
	heph__bind_str(st, 6, str(p, "recurrence"));
	heph_id_handle(id, handle);
	heph__bind_str(st, 8, handle);
	int err = heph__step_done(s, st);
	if (err)
		return err;
	/* Later feature levels add registers; fill any beyond the five above. */
	for (const heph_field *f = heph__fields(1) + 5; f->name; f++) {
		const json_t *v = json_object_get(p, f->name);
		if (!v)
			continue;
		if (!(st = heph__stmt(s, f->update_sql)))
			return HEPH_ERROR;
		heph__bind_str(st, 1, id);
		heph__bind_str(st, 2, json_string_value(v));
		if ((err = heph__step_done(s, st)))
			return err;
	}
	return 0;
}

/* Node registers beyond title and body (aliases, ...) that a create carries. */
static int extra_node_registers(heph_store *s, const char *id, const json_t *p)
{
	for (const heph_field *f = heph__fields(0) + 2; f->name; f++) {
		const json_t *v = json_object_get(p, f->name);
		sqlite3_stmt *st;
		int err;
		if (!json_is_string(v))
			continue;
		if (!(st = heph__stmt(s, f->update_sql)))
			return HEPH_ERROR;
		heph__bind_str(st, 1, id);
		heph__bind_str(st, 2, json_string_value(v));
		if ((err = heph__step_done(s, st)))
			return err;
	}
	return 0;
}

/* A create that carries a field's default value ("" body, null date) still
 * wrote it: give it an explicit clock, so that it is not mistaken for a
 * register no create carried (whose clock is "", before every write). */
static int clock_carried_defaults(heph_store *s, const char *id, const json_t *p, int task, const char *hlc)
{
	for (int t = 0; t <= task; t++)
		for (const heph_field *f = heph__fields(t); f->name; f++) {
			const json_t *v = json_object_get(p, f->name);
			int err;
			if (!v || !heph__field_is_default(f, json_string_value(v)))
				continue;
			if ((err = write_clock(s, id, f->name, hlc, "")))
				return err;
		}
	return 0;
}

/* node.create and task.create share this: create, or merge a second create
 * of the same id (two devices creating one day's journal). */
static int create(heph_store *s, const heph_op *op, json_t *p, const char *kind, int task,
		  struct outcome *o)
{
	const char *id = str(p, "node_id");
	sqlite3_stmt *st = heph__stmt(s, "SELECT created_hlc FROM nodes WHERE id = ?1");
	char created[HEPH_HLC_LEN + 1] = "";
	int err, has_task;
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(created, sizeof created, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);

	if (!created[0]) {
		st = heph__stmt(s, "INSERT INTO nodes(id, kind, title, body, created_hlc, updated_hlc) "
				   "VALUES(?1, ?2, coalesce(?3, ''), coalesce(?4, ''), ?5, ?5)");
		if (!st)
			return HEPH_ERROR;
		heph__bind_str(st, 1, id);
		heph__bind_str(st, 2, kind);
		heph__bind_str(st, 3, str(p, "title"));
		heph__bind_str(st, 4, str(p, "body"));
		heph__bind_str(st, 5, op->hlc);
		if ((err = heph__step_done(s, st)) || (err = extra_node_registers(s, id, p)) ||
		    (task && (err = insert_task_row(s, id, p, op->hlc))) ||
		    (err = clock_carried_defaults(s, id, p, task, op->hlc)))
			return err;
		snprintf(o->created, sizeof o->created, "%s", id);
		return 0;
	}

	if ((err = task_exists(s, id, &has_task)) || (err = pin_clocks(s, id, created, has_task)))
		return err;
	if (strcmp(op->hlc, created) < 0) {
		st = heph__stmt(s, "UPDATE nodes SET created_hlc = ?2, kind = ?3 WHERE id = ?1");
		if (!st)
			return HEPH_ERROR;
		heph__bind_str(st, 1, id);
		heph__bind_str(st, 2, op->hlc);
		heph__bind_str(st, 3, kind);
		if ((err = heph__step_done(s, st)))
			return err;
		if (!(st = heph__stmt(s, "UPDATE tasks SET created_hlc = ?2 WHERE node_id = ?1")))
			return HEPH_ERROR;
		heph__bind_str(st, 1, id);
		heph__bind_str(st, 2, op->hlc);
		if ((err = heph__step_done(s, st)))
			return err;
	}
	if ((err = set_registers(s, p, 0, id, op->hlc, 0)))
		return err;
	if (task && !has_task) {
		if ((err = insert_task_row(s, id, p, NULL)))
			return err;
		for (const heph_field *f = heph__fields(1); f->name; f++)
			if ((err = write_clock(s, id, f->name, op->hlc, "")))
				return err;
	} else if (task && (err = set_registers(s, p, 1, id, op->hlc, 0))) {
		return err;
	}
	snprintf(o->created, sizeof o->created, "%s", id);
	return touch(s, id, op->hlc);
}

/* ---- the known op types ---- */

static int a_node_create(heph_store *s, const heph_op *op, json_t *p, struct outcome *o)
{
	return create(s, op, p, str(p, "kind"), 0, o);
}

static int a_task_create(heph_store *s, const heph_op *op, json_t *p, struct outcome *o)
{
	return create(s, op, p, "task", 1, o);
}

/* node.set and task.set: the payload's registers of a node (or of its task
 * row with task), deferred until the node (or task) exists. */
static int set_op(heph_store *s, const heph_op *op, json_t *p, struct outcome *o, int task)
{
	const char *id = str(p, "node_id");
	int ok, err;
	if ((err = task ? task_exists(s, id, &ok) : node_exists(s, id, &ok)))
		return err;
	if (!ok) {
		defer_on(o, id);
		return 0;
	}
	if ((err = set_registers(s, p, task, id, op->hlc, 1)) || (err = close_resolved(s, id, p)))
		return err;
	return touch(s, id, op->hlc);
}

static int a_node_set(heph_store *s, const heph_op *op, json_t *p, struct outcome *o)
{
	return set_op(s, op, p, o, 0);
}

static int a_task_set(heph_store *s, const heph_op *op, json_t *p, struct outcome *o)
{
	return set_op(s, op, p, o, 1);
}

static int derive(heph_store *s, const char *src, const char *type);

struct parent_of {
	char id[HEPH_ID_LEN + 1];
	char parent[HEPH_ID_LEN + 1]; /* the latest live link's live dst, "" for none */
	char hlc[HEPH_HLC_LEN + 1];   /* that link's clock */
	char lid[HEPH_ID_LEN + 1];    /* and id */
	int up;                        /* index of parent, -1 */
	int mark;                      /* 0 unseen, 1 on the current walk, 2 done */
	int cut;                       /* a root: its link is the newest of a cycle */
};

static int by_pid(const void *a, const void *b)
{
	return strcmp(((const struct parent_of *)a)->id, ((const struct parent_of *)b)->id);
}

/* Recompute nodes.parent_id of every project that has a parent link: the
 * latest live link to a live project, except in a cycle of such links,
 * where the project holding the newest link of the cycle becomes a root.
 * Projects are few and parent links change rarely, so a full pass is fine
 * and keeps the result independent of the order ops arrive in. */
static int break_cycles(heph_store *s)
{
	struct parent_of *v = NULL;
	size_t n = 0, cap = 0;
	int rc, err = 0;
	sqlite3_stmt *st = heph__stmt(s,
		"SELECT l.src, l.dst, l.hlc, l.id FROM links l JOIN nodes d ON d.id = l.dst "
		"WHERE l.type = 'parent' AND d.tombstone_hlc IS NULL ORDER BY l.src, l.hlc DESC, l.id DESC");
	if (!st)
		return HEPH_ERROR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *src = (const char *)sqlite3_column_text(st, 0);
		if (n && strcmp(v[n - 1].id, src) == 0)
			continue; /* not the latest */
		if (n == cap && !(v = realloc(v, (cap = cap ? cap * 2 : 32) * sizeof *v)))
			abort();
		memset(&v[n], 0, sizeof v[n]);
		snprintf(v[n].id, sizeof v[n].id, "%s", src);
		snprintf(v[n].parent, sizeof v[n].parent, "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(v[n].hlc, sizeof v[n].hlc, "%s", (const char *)sqlite3_column_text(st, 2));
		snprintf(v[n].lid, sizeof v[n].lid, "%s", (const char *)sqlite3_column_text(st, 3));
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		err = heph__sqlerr(s, rc, "reading parent links");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct parent_of key, *hit;
		snprintf(key.id, sizeof key.id, "%s", v[i].parent);
		hit = bsearch(&key, v, n, sizeof *v, by_pid);
		v[i].up = hit ? (int)(hit - v) : -1;
	}
	/* walk up from each project; meeting the current walk again is a cycle */
	for (size_t i = 0; i < n; i++) {
		int j = (int)i;
		while (j >= 0 && v[j].mark == 0) {
			v[j].mark = 1;
			j = v[j].up;
		}
		if (j >= 0 && v[j].mark == 1) {
			int newest = j;
			for (int k = v[j].up; k != j; k = v[k].up) {
				int c = strcmp(v[k].hlc, v[newest].hlc);
				if (c > 0 || (c == 0 && strcmp(v[k].lid, v[newest].lid) > 0))
					newest = k;
			}
			v[newest].cut = 1;
		}
		for (j = (int)i; j >= 0 && v[j].mark == 1; j = v[j].up)
			v[j].mark = 2;
	}
	if (!(st = heph__stmt(s, "UPDATE nodes SET parent_id = ?2 WHERE id = ?1 AND parent_id IS NOT ?2"))) {
		err = HEPH_ERROR;
		goto out;
	}
	for (size_t i = 0; i < n && !err; i++) {
		heph__bind_str(st, 1, v[i].id);
		heph__bind_str(st, 2, v[i].cut ? NULL : v[i].parent);
		err = heph__step_done(s, st);
	}
out:
	free(v);
	return err;
}

/* After a parent link or a project's liveness changed. In a batch the
 * breaking of cycles waits for the batch's end: it is a function of the
 * links and tombstones alone, so running it once on the state the batch
 * ends in gives what running it after every change would (it scans every
 * parent link, which made it the most of a large apply's cost). Inside the
 * batch, the only reader of nodes.parent_id is unfile_from(), which
 * re-derives the children it finds, and break_cycles() then sets every
 * project that has a live parent link in any case. */
static int parents_changed(heph_store *s, const char *type, int err)
{
	if (err || strcmp(type, "parent") != 0)
		return err;
	if (s->batch) {
		s->parents_dirty = 1;
		return 0;
	}
	return break_cycles(s);
}

void heph__batch_begin(heph_store *s)
{
	s->batch = 1;
}

int heph__batch_end(heph_store *s)
{
	int dirty = s->parents_dirty;
	s->batch = 0;
	s->parents_dirty = 0;
	return dirty ? break_cycles(s) : 0;
}

/* A project just deleted: its tasks and subprojects follow their next live
 * link of the type, or none (the same derive() every replica runs). A
 * rare event, so a plain scan of the tasks is fine. */
static int unfile_from(heph_store *s, const char *id)
{
	static const struct {
		const char *select_sql, *type;
	} users[] = {
		{ "SELECT node_id FROM tasks WHERE project_id = ?1", "in-project" },
		{ "SELECT id FROM nodes WHERE parent_id = ?1", "parent" },
	};
	int err = 0;
	for (size_t u = 0; u < sizeof users / sizeof users[0] && !err; u++) {
		json_t *ids = json_array(), *v;
		size_t i;
		sqlite3_stmt *st = heph__stmt(s, users[u].select_sql);
		if (!st) {
			json_decref(ids);
			return HEPH_ERROR;
		}
		heph__bind_str(st, 1, id);
		int rc;
		while ((rc = heph__row(s, st)) > 0)
			json_array_append_new(ids, json_string((const char *)sqlite3_column_text(st, 0)));
		if (rc < 0)
			err = rc;
		json_array_foreach(ids, i, v) {
			if (err)
				break;
			if ((err = derive(s, json_string_value(v), users[u].type)))
				break;
		}
		json_decref(ids);
	}
	return parents_changed(s, "parent", err);
}

static int a_node_tombstone(heph_store *s, const heph_op *op, json_t *p, struct outcome *o)
{
	const char *id = str(p, "node_id");
	int ok, err;
	if ((err = node_exists(s, id, &ok)))
		return err;
	if (!ok) {
		defer_on(o, id);
		return 0;
	}
	sqlite3_stmt *st = heph__stmt(s, "UPDATE nodes SET tombstone_hlc = ?2 WHERE id = ?1 "
					 "AND (tombstone_hlc IS NULL OR tombstone_hlc > ?2)");
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, id);
	heph__bind_str(st, 2, op->hlc);
	if ((err = heph__step_done(s, st)))
		return err;
	if (!(st = heph__stmt(s, "UPDATE tasks SET deleted = 1 WHERE node_id = ?1 AND deleted = 0")))
		return HEPH_ERROR;
	heph__bind_str(st, 1, id);
	if ((err = heph__step_done(s, st)) || (err = unfile_from(s, id)))
		return err;
	return touch(s, id, op->hlc);
}

int heph__apply_register(heph_store *s, const heph_op *op, int task, const char *id, const char *field,
			 const json_t *value, const char *base, const char **wait_for)
{
	const heph_field *f = heph__field_find(task, field);
	int ok, err;
	*wait_for = NULL;
	if (!f)
		return heph_error_set(HEPH_ERROR, "no register \"%s\"", field);
	if ((err = task ? task_exists(s, id, &ok) : node_exists(s, id, &ok)))
		return err;
	if (!ok) {
		*wait_for = id;
		return 0;
	}
	if ((err = lww(s, f, id, value, op->hlc, base)))
		return err;
	return touch(s, id, op->hlc);
}

/* An op type of the build's extension (ext.h). */
static int a_ext(heph_store *s, const heph_op *op, json_t *p, struct outcome *o)
{
	const heph_ext_op *x = heph__ext_op(op->type);
	const char *wait_for = NULL;
	int err = x->apply(s, op, p, &wait_for);
	if (!err && wait_for)
		defer_on(o, wait_for);
	return err;
}

/* Recompute the column derived from links of this type out of src. */
static int derive(heph_store *s, const char *src, const char *type)
{
	const char *sql;
	/* A deleted project holds no tasks and no subprojects: the column
	 * follows the latest live link to a live project. */
	if (strcmp(type, "in-project") == 0)
		sql = "UPDATE tasks SET project_id = (SELECT l.dst FROM links l JOIN nodes d ON d.id = l.dst "
		      "WHERE l.src = ?1 AND l.type = 'in-project' AND d.tombstone_hlc IS NULL "
		      "ORDER BY l.hlc DESC, l.id DESC LIMIT 1) WHERE node_id = ?1";
	else if (strcmp(type, "canonical-context") == 0)
		sql = "UPDATE tasks SET context_id = (SELECT dst FROM links WHERE src = ?1 AND "
		      "type = 'canonical-context' ORDER BY hlc DESC, id DESC LIMIT 1) WHERE node_id = ?1";
	else if (strcmp(type, "parent") == 0)
		sql = "UPDATE nodes SET parent_id = (SELECT l.dst FROM links l JOIN nodes d ON d.id = l.dst "
		      "WHERE l.src = ?1 AND l.type = 'parent' AND d.tombstone_hlc IS NULL "
		      "ORDER BY l.hlc DESC, l.id DESC LIMIT 1) WHERE id = ?1";
	else
		return 0;
	sqlite3_stmt *st = heph__stmt(s, sql);
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, src);
	return heph__step_done(s, st);
}

/* After adding link lid (src -[type]-> dst at hlc): when it is now the
 * greatest live link of its type out of src, which is nearly always so, the
 * derived column is simply dst; otherwise recompute it in full. Either way
 * the column ends as derive() would leave it. */
static int derive_added(heph_store *s, const char *src, const char *type, const char *dst, const char *hlc,
			const char *lid)
{
	const char *sql;
	if (strcmp(type, "in-project") == 0)
		sql = "UPDATE tasks SET project_id = ?3 WHERE node_id = ?1 AND project_id IS NOT ?3";
	else if (strcmp(type, "canonical-context") == 0)
		sql = "UPDATE tasks SET context_id = ?3 WHERE node_id = ?1 AND context_id IS NOT ?3";
	else if (strcmp(type, "parent") == 0)
		sql = "UPDATE nodes SET parent_id = ?3 WHERE id = ?1 AND parent_id IS NOT ?3";
	else
		return 0;
	sqlite3_stmt *st = heph__stmt(s, "SELECT EXISTS (SELECT 1 FROM links WHERE src = ?1 AND type = ?2 "
					 "AND (hlc > ?3 OR (hlc = ?3 AND id > ?4))) "
					 "OR EXISTS (SELECT 1 FROM nodes WHERE id = ?5 AND tombstone_hlc IS NOT NULL)");
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, src);
	heph__bind_str(st, 2, type);
	heph__bind_str(st, 3, hlc);
	heph__bind_str(st, 4, lid);
	heph__bind_str(st, 5, dst);
	int rc = sqlite3_step(st), newer = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return heph__sqlerr(s, rc, "link lookup");
	if (newer)
		return derive(s, src, type);
	if (!(st = heph__stmt(s, sql)))
		return HEPH_ERROR;
	heph__bind_str(st, 1, src);
	heph__bind_str(st, 3, dst);
	return heph__step_done(s, st);
}

static int a_link_add(heph_store *s, const heph_op *op, json_t *p, struct outcome *o)
{
	const char *lid = str(p, "link_id"), *src = str(p, "src"), *dst = str(p, "dst");
	const char *type = str(p, "type");
	int err, tomb, has_src, has_dst;
	/* One statement for the three lookups: this is the hottest op type. */
	sqlite3_stmt *st = heph__stmt(s, "SELECT EXISTS (SELECT 1 FROM link_tombs WHERE link_id = ?1), "
					 "EXISTS (SELECT 1 FROM nodes WHERE id = ?2), "
					 "EXISTS (SELECT 1 FROM nodes WHERE id = ?3)");
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, lid);
	heph__bind_str(st, 2, src);
	heph__bind_str(st, 3, dst);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return heph__sqlerr(s, sqlite3_errcode(s->db), "link lookup");
	}
	tomb = sqlite3_column_int(st, 0);
	has_src = sqlite3_column_int(st, 1);
	has_dst = sqlite3_column_int(st, 2);
	sqlite3_reset(st);
	if (tomb)
		return 0; /* removed before we saw it: stays removed */
	if (!has_src || !has_dst) {
		defer_on(o, has_src ? dst : src);
		return 0;
	}
	/* Two devices may add one link with one tag (a tag derived from what
	 * they link, such as a log doc's log-of): the same add, kept at its
	 * earliest clock whatever the order. */
	st = heph__stmt(s, "INSERT INTO links(id, src, dst, type, hlc) VALUES(?1, ?2, ?3, ?4, ?5) "
			   "ON CONFLICT(id) DO UPDATE SET hlc = excluded.hlc WHERE excluded.hlc < links.hlc");
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, lid);
	heph__bind_str(st, 2, src);
	heph__bind_str(st, 3, dst);
	heph__bind_str(st, 4, type);
	heph__bind_str(st, 5, op->hlc);
	if ((err = heph__step_done(s, st)))
		return err;
	if (sqlite3_changes(s->db) == 0)
		return parents_changed(s, type, derive(s, src, type)); /* a link we had: as before */
	return parents_changed(s, type, derive_added(s, src, type, dst, op->hlc, lid));
}

static int a_link_remove(heph_store *s, const heph_op *op, json_t *p, struct outcome *o)
{
	const json_t *ids = json_object_get(p, "link_ids");
	const json_t *v;
	size_t i;
	int err;
	(void)o;
	json_array_foreach(ids, i, v) {
		const char *lid = json_string_value(v);
		char *src = NULL, *type = NULL;
		sqlite3_stmt *st = heph__stmt(s, "INSERT OR IGNORE INTO link_tombs(link_id, hlc) VALUES(?1, ?2)");
		if (!st)
			return HEPH_ERROR;
		heph__bind_str(st, 1, lid);
		heph__bind_str(st, 2, op->hlc);
		if ((err = heph__step_done(s, st)))
			return err;
		if (!(st = heph__stmt(s, "DELETE FROM links WHERE id = ?1 RETURNING src, type")))
			return HEPH_ERROR;
		heph__bind_str(st, 1, lid);
		if (sqlite3_step(st) == SQLITE_ROW) {
			src = heph__col_dup(st, 0);
			type = heph__col_dup(st, 1);
		}
		if ((err = heph__step_done(s, st)) == 0 && src)
			err = parents_changed(s, type, derive(s, src, type));
		free(src);
		free(type);
		if (err)
			return err;
	}
	return 0;
}

static const struct op_kind kinds[] = {
	{ "node.create", a_node_create },
	{ "node.set", a_node_set },
	{ "node.tombstone", a_node_tombstone },
	{ "task.create", a_task_create },
	{ "task.set", a_task_set },
	{ "link.add", a_link_add },
	{ "link.remove", a_link_remove },
};

#define NKINDS (sizeof kinds / sizeof kinds[0])

static const struct op_kind *kind_of(const char *type)
{
	static const struct op_kind ext_kind = { "(extension)", a_ext };
	for (size_t i = 0; i < NKINDS; i++)
		if (strcmp(kinds[i].type, type) == 0)
			return &kinds[i];
	return heph__ext_op(type) ? &ext_kind : NULL;
}

/* ---- deferral ---- */

static int set_status(heph_store *s, int64_t seq, int status)
{
	sqlite3_stmt *st = heph__stmt(s, "UPDATE oplog SET status = ?2 WHERE seq = ?1");
	if (!st)
		return HEPH_ERROR;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_int(st, 2, status);
	return heph__step_done(s, st);
}

static int add_deferred(heph_store *s, const char *wait_for, int64_t seq)
{
	s->any_deferred = 1;
	sqlite3_stmt *st = heph__stmt(s, "INSERT OR IGNORE INTO deferred(wait_for, op_seq) VALUES(?1, ?2)");
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, wait_for);
	sqlite3_bind_int64(st, 2, seq);
	return heph__step_done(s, st);
}

/* Load a stored op by seq. */
static int load_op(heph_store *s, int64_t seq, heph_op *op)
{
	sqlite3_stmt *st = heph__stmt(s, "SELECT op_id, hlc, origin, type, payload FROM oplog WHERE seq = ?1");
	int err;
	memset(op, 0, sizeof *op);
	if (!st)
		return HEPH_ERROR;
	sqlite3_bind_int64(st, 1, seq);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return heph_error_set(HEPH_ERROR, "op %lld vanished", (long long)seq);
	}
	err = heph__opjson_from_row(st, 0, op);
	sqlite3_reset(st);
	return err;
}

/* A growable list of seqs or ids. */
struct seqs {
	int64_t *v;
	size_t n, cap;
};

static void push_seq(struct seqs *q, int64_t x)
{
	if (q->n == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 16;
		q->v = realloc(q->v, q->cap * sizeof *q->v);
		if (!q->v)
			abort();
	}
	q->v[q->n++] = x;
}

struct ids {
	char (*v)[HEPH_ID_LEN + 1];
	size_t n, cap;
};

static void push_id(struct ids *q, const char *id)
{
	if (q->n == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 8;
		q->v = realloc(q->v, q->cap * sizeof *q->v);
		if (!q->v)
			abort();
	}
	snprintf(q->v[q->n++], HEPH_ID_LEN + 1, "%s", id);
}

/* Apply a stored op again (deferred or formerly unknown) and record the
 * result in the log. Adds a node it creates to woke. */
static int reapply(heph_store *s, int64_t seq, struct ids *woke, int *applied)
{
	heph_op op;
	struct outcome o = { 0 };
	int err = load_op(s, seq, &op);
	const struct op_kind *k = err ? NULL : kind_of(op.type);
	*applied = 0;
	if (!err && k && heph__op_validate(op.type, op.payload) == 0) {
		if ((err = k->apply(s, &op, op.payload, &o)))
			goto out;
		if (o.deferred) {
			err = set_status(s, seq, HEPH_OP_DEFERRED);
			if (!err)
				err = add_deferred(s, o.wait_for, seq);
			goto out;
		}
		if ((err = set_status(s, seq, HEPH_OP_APPLIED)))
			goto out;
		*applied = 1;
		if (o.created[0])
			push_id(woke, o.created);
	}
out:
	heph_op_clear(&op);
	return err;
}

/* Apply everything that was waiting for id, and transitively for what
 * those ops create. Returns the number applied through *count. */
static int wake(heph_store *s, const char *id, int64_t *count)
{
	struct ids work = { 0 };
	int err = 0;
	if (s->any_deferred < 0) {
		sqlite3_stmt *st = heph__stmt(s, "SELECT EXISTS (SELECT 1 FROM deferred)");
		if (!st)
			return HEPH_ERROR;
		s->any_deferred = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
		sqlite3_reset(st);
	}
	if (!s->any_deferred)
		return 0; /* the common case: nothing waits for anything */
	push_id(&work, id);
	for (size_t w = 0; w < work.n && !err; w++) {
		struct seqs q = { 0 };
		sqlite3_stmt *st = heph__stmt(s, "DELETE FROM deferred WHERE wait_for = ?1 RETURNING op_seq");
		if (!st) {
			err = HEPH_ERROR;
			break;
		}
		heph__bind_str(st, 1, work.v[w]);
		int rc;
		while ((rc = heph__row(s, st)) > 0)
			push_seq(&q, sqlite3_column_int64(st, 0));
		err = rc;
		/* HLC order; seqs of one origin are already in HLC order, and the
		 * engine's result does not depend on the order anyway. */
		for (size_t i = 0; i < q.n && !err; i++) {
			int applied;
			err = reapply(s, q.v[i], &work, &applied);
			if (applied && count)
				(*count)++;
		}
		free(q.v);
	}
	free(work.v);
	return err;
}

/* ---- the entry points ---- */

int heph__apply_op(heph_store *s, const heph_op *op, int local, heph_op_status *status)
{
	return heph__apply_op_text(s, op, local, NULL, 0, status);
}

/* An op id names exactly one op: 0 when the op this replica holds under
 * op->op_id is op (the same clock, origin, type and payload, the payload
 * compared as JSON), HEPH_ECONFLICT naming what differs otherwise, so that
 * two replicas never hold different ops under one id while both report
 * success. */
static int same_op(heph_store *s, const heph_op *op)
{
	sqlite3_stmt *st = heph__stmt(s, "SELECT hlc, origin, type, payload FROM oplog WHERE op_id = ?1");
	const char *what = NULL;
	int rc, err = 0;
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, op->op_id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		err = heph__sqlerr(s, rc, "reading a held op");
		goto out;
	}
	if (strcmp((const char *)sqlite3_column_text(st, 0), op->hlc) != 0)
		what = "its clock (hlc)";
	else if (strcmp((const char *)sqlite3_column_text(st, 1), op->origin) != 0)
		what = "its origin";
	else if (strcmp((const char *)sqlite3_column_text(st, 2), op->type) != 0)
		what = "its type";
	else {
		json_t *held = json_loadb((const char *)sqlite3_column_text(st, 3), (size_t)sqlite3_column_bytes(st, 3),
					  0, NULL);
		if (!json_equal(held, op->payload))
			what = "its payload";
		json_decref(held);
	}
	if (what)
		err = heph_error_set(HEPH_ECONFLICT, "op %s: this replica holds another op under the same id (%s "
				     "differs); an op id names one op, so the copy sent is refused",
				     op->op_id, what);
out:
	sqlite3_reset(st);
	return err;
}

int heph__apply_op_text(heph_store *s, const heph_op *op, int local, const char *text, size_t len,
			heph_op_status *status)
{
	const struct op_kind *k = kind_of(op->type);
	struct outcome o = { 0 };
	char *payload = NULL;
	int err;
	int64_t seq;
	heph_op_status result;

	if (!local) {
		heph_hlc h;
		if ((err = heph_hlc_parse(op->hlc, &h)))
			return err;
		if ((err = heph_hlc_recv(&s->hlc, &h, s->clock(s->clock_ctx), s->max_drift_ms)))
			return heph_error_wrap(err, "op %s: ", op->op_id);
	}
	/* Append first: the unique op_id makes a duplicate a no-op, and the
	 * status is corrected below in the rare case the op is not applied. */
	if (!text) {
		text = payload = heph__opjson_payload_text(op->payload);
		len = strlen(payload);
	}
	sqlite3_stmt *st = heph__stmt(s, "INSERT INTO oplog(op_id, hlc, origin, type, payload, status, local) "
					 "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(op_id) DO NOTHING");
	if (!st) {
		err = HEPH_ERROR;
		goto out;
	}
	heph__bind_str(st, 1, op->op_id);
	heph__bind_str(st, 2, op->hlc);
	heph__bind_str(st, 3, op->origin);
	heph__bind_str(st, 4, op->type);
	sqlite3_bind_text(st, 5, text, (int)len, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, k ? HEPH_OP_APPLIED : HEPH_OP_UNKNOWN);
	sqlite3_bind_int(st, 7, local);
	if ((err = heph__step_done(s, st)))
		goto out;
	if (sqlite3_changes(s->db) == 0) {
		if ((err = same_op(s, op)))
			goto out;
		if (status)
			*status = HEPH_OP_DUPLICATE;
		goto out;
	}
	seq = sqlite3_last_insert_rowid(s->db);
	if (!local)
		s->hlc_dirty = 1; /* the clock absorbed a new op */
	if (k && (err = k->apply(s, op, op->payload, &o)))
		goto out;
	result = !k ? HEPH_OP_UNKNOWN : o.deferred ? HEPH_OP_DEFERRED : HEPH_OP_APPLIED;
	if (result == HEPH_OP_DEFERRED) {
		if ((err = set_status(s, seq, HEPH_OP_DEFERRED)) || (err = add_deferred(s, o.wait_for, seq)))
			goto out;
	} else if (result == HEPH_OP_APPLIED && o.created[0] && (err = wake(s, o.created, &s->woken))) {
		goto out;
	}
	if (status)
		*status = result;
out:
	free(payload);
	return err;
}

int heph_store_apply(heph_store *s, const heph_op *op, heph_op_status *status)
{
	int err, own = s->depth == 0;
	if (own && (err = heph_store_begin(s)))
		return err;
	err = heph__apply_op(s, op, 0, status);
	if (own)
		err = heph_store_end(s, err);
	return err;
}

int heph_store_apply_stream(heph_store *s, FILE *in, heph_apply_stats *stats)
{
	heph_apply_stats z = { 0 };
	heph_op_lines r = { 0 };
	char *line;
	size_t n;
	int err, more;
	if (!stats)
		stats = &z;
	memset(stats, 0, sizeof *stats);
	heph__cache_bulk(s);
	if ((err = heph_store_begin(s)))
		return err;
	s->woken = 0;
	heph__batch_begin(s);
	while ((more = heph_op_lines_next(in, &r, &line, &n)) > 0) {
		heph_op op;
		heph_op_status st;
		const char *ptext;
		size_t plen;
		if ((err = heph__opjson_read(line, n, &op, NULL, &ptext, &plen))) {
			heph_error_wrap(err, "line %lld: ", r.lineno);
			goto fail;
		}
		err = heph__apply_op_text(s, &op, 0, ptext, plen, &st);
		heph_op_clear(&op);
		if (err) {
			heph_error_wrap(err, "line %lld: ", r.lineno);
			goto fail;
		}
		stats->read++;
		switch (st) {
		case HEPH_OP_APPLIED: stats->applied++; break;
		case HEPH_OP_DEFERRED: stats->deferred++; break;
		case HEPH_OP_UNKNOWN: stats->unknown++; break;
		case HEPH_OP_DUPLICATE: stats->duplicate++; break;
		}
	}
	if ((err = more))
		goto fail;
	heph_op_lines_free(&r);
	stats->applied += s->woken;
	stats->deferred = stats->deferred > s->woken ? stats->deferred - s->woken : 0;
	if ((err = heph__batch_end(s))) {
		heph_store_rollback(s);
		return err;
	}
	return heph_store_commit(s);
fail:
	heph_op_lines_free(&r);
	heph_store_rollback(s);
	return err;
}

int heph__replay_unknown(heph_store *s)
{
	struct seqs q = { 0 };
	struct ids woke = { 0 };
	int err = 0;
	sqlite3_stmt *st = heph__stmt(s, "SELECT seq, type FROM oplog WHERE status <> 0 AND status = 2 ORDER BY hlc");
	if (!st)
		return HEPH_ERROR;
	int rc;
	while ((rc = heph__row(s, st)) > 0)
		if (heph_op_type_known((const char *)sqlite3_column_text(st, 1)))
			push_seq(&q, sqlite3_column_int64(st, 0));
	if (rc < 0) {
		free(q.v);
		return rc;
	}
	if (q.n == 0)
		return 0;
	if ((err = heph_store_begin(s)))
		goto out;
	for (size_t i = 0; i < q.n && !err; i++) {
		int applied;
		err = reapply(s, q.v[i], &woke, &applied);
	}
	for (size_t i = 0; i < woke.n && !err; i++)
		err = wake(s, woke.v[i], NULL);
	err = heph_store_end(s, err);
out:
	free(q.v);
	free(woke.v);
	return err;
}

int heph__backfill_register(heph_store *s, int task, const char *name)
{
	const heph_field *f = heph__field_find(task, name);
	struct seqs q = { 0 };
	char path[80], needle[80];
	sqlite3_stmt *st;
	int rc, err = 0;
	if (!f)
		return heph_error_set(HEPH_ERROR, "no register \"%s\" to fill", name);
	snprintf(path, sizeof path, "$.%s", name);
	snprintf(needle, sizeof needle, "\"%s\"", name);
	/* instr() first: most payloads never mention the field, and it is far
	 * cheaper than parsing them. Not the statement cache: this runs once. */
	rc = sqlite3_prepare_v2(s->db,
				task ? "SELECT seq FROM oplog WHERE status = 0 AND type IN ('task.create', 'task.set') "
				       "AND instr(payload, ?1) > 0 AND json_type(payload, ?2) IS NOT NULL ORDER BY hlc"
				     : "SELECT seq FROM oplog WHERE status = 0 AND type IN ('node.create', 'node.set', "
				       "'task.create') AND instr(payload, ?1) > 0 AND json_type(payload, ?2) IS NOT NULL "
				       "ORDER BY hlc",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return heph__sqlerr(s, rc, "finding ops to fill a new column from");
	sqlite3_bind_text(st, 1, needle, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
	while ((rc = heph__row(s, st)) > 0)
		push_seq(&q, sqlite3_column_int64(st, 0));
	sqlite3_finalize(st);
	if (rc < 0) {
		free(q.v);
		return rc;
	}
	for (size_t i = 0; i < q.n && !err; i++) {
		heph_op op;
		int there;
		if ((err = load_op(s, q.v[i], &op))) {
			heph_op_clear(&op);
			break;
		}
		const json_t *v = json_object_get(op.payload, name);
		const char *id = str(op.payload, "node_id");
		int set = strcmp(op.type, "task.set") == 0 || strcmp(op.type, "node.set") == 0;
		if (id && (err = (task ? task_exists : node_exists)(s, id, &there)) == 0 && there &&
		    f->check(name, v) == 0)
			err = lww(s, f, id, v, op.hlc, set ? base_of(op.payload, name) : "");
		if (!err)
			heph_error_set(0, "%s", ""); /* a skipped value's message is not an error */
		heph_op_clear(&op);
	}
	free(q.v);
	return err;
}

int heph_store_ops_foreach(heph_store *s, int64_t after_seq, int only_pending, heph_op_visit_fn fn,
			   void *ctx)
{
	sqlite3_stmt *st;
	int rc, ret = 0;
	/* Not the statement cache: fn may call back into the store. */
	rc = sqlite3_prepare_v2(s->db,
				only_pending ? "SELECT seq, op_id, hlc, origin, type, payload, status FROM oplog "
					       "WHERE status <> 0 AND seq > ?1 ORDER BY seq"
					     : "SELECT seq, op_id, hlc, origin, type, payload, status FROM oplog "
					       "WHERE seq > ?1 ORDER BY seq",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return heph__sqlerr(s, rc, "reading the op-log");
	sqlite3_bind_int64(st, 1, after_seq);
	while ((rc = heph__row(s, st)) > 0) {
		heph_op op;
		/* a damaged payload is shown as {} rather than ending the walk */
		heph__opjson_from_row(st, 1, &op);
		ret = fn(&op, (heph_op_status)sqlite3_column_int(st, 6), sqlite3_column_int64(st, 0), ctx);
		json_decref(op.payload);
		if (ret)
			break;
	}
	sqlite3_finalize(st);
	return ret ? ret : rc < 0 ? rc : 0;
}
