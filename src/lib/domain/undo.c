/* undo.c — reversing the last local change with compensating ops.
 *
 * A change is the local ops of one write method call (one transaction),
 * recorded in the device-local `changes` table; set ops also leave, in
 * `change_before`, what each register they wrote held before. Undo never
 * rewrites history: it emits new ops that bring the state back, so an undo
 * made after a sync reaches every replica like any edit. Per op of the
 * change, newest first:
 *
 *   op                 compensation
 *   node/task.create   node.tombstone (tag nodes are shared and kept; a
 *                      task's log or context doc made for a task that
 *                      already existed is emptied instead: its id may be
 *                      derived from the task's, and a tombstone is final)
 *   node/task.set      the register's earlier value, written again, if no
 *                      one has written it since (its clock is still the
 *                      change's); a body is written back through
 *                      heph__set_body, which re-indexes its links
 *   link.add           link.remove of that add's tag, if still live
 *   link.remove        link.add with a fresh tag, unless the link is there
 *                      again or (in-project, parent) the node moved since
 *   node.tombstone     tombstones are final: the node comes back as a copy
 *                      under a new id, with its fields, outgoing links and
 *                      the tasks and subprojects that pointed at it
 *
 * Ops on a node the change itself created are not compensated one by one:
 * they go with it. `wiki` and `tag` links follow the bodies they index,
 * except a task's tag links, which --tag and --untag set by hand.
 * Changes are undone last first, each once; an undo is not itself undone
 * (there is no redo). Only the latest HISTORY changes are kept.
 */
#include "rpc_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"

#define HISTORY 1000

/* ---- recording ---- */

json_t *heph__undo_before(heph_store *s, const char *type, const json_t *payload)
{
	int task = strcmp(type, "task.set") == 0;
	const char *id = json_string_value(json_object_get(payload, "node_id"));
	json_t *before;
	if ((!task && strcmp(type, "node.set") != 0) || !id)
		return NULL;
	before = json_object();
	for (const heph_field *f = heph__fields(task); f->name; f++) {
		char clock[HEPH_HLC_LEN + 1], base[HEPH_HLC_LEN + 1];
		sqlite3_stmt *st;
		json_t *v = json_null();
		if (!json_object_get(payload, f->name) || heph__register_clock(s, id, f, clock, base))
			continue;
		if (!(st = heph__stmt(s, f->select_sql)))
			continue;
		heph__bind_str(st, 1, id);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
			v = json_string((const char *)sqlite3_column_text(st, 0));
		sqlite3_reset(st);
		json_object_set_new(before, f->name, json_pack("[o, s]", v, clock));
	}
	return before;
}

int heph__undo_note(heph_store *s, const char *op_id, const json_t *before)
{
	sqlite3_stmt *st = heph__stmt(s, "SELECT seq FROM oplog WHERE op_id = ?1");
	int64_t seq = 0;
	if (!st)
		return HEPH_ERROR;
	heph__bind_str(st, 1, op_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		seq = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (!seq)
		return 0;
	if (!s->change_first)
		s->change_first = seq;
	s->change_last = seq;
	if (!before || json_object_size(before) == 0)
		return 0;
	char *text = json_dumps(before, JSON_COMPACT);
	if (!(st = heph__stmt(s, "INSERT OR REPLACE INTO change_before(seq, before) VALUES(?1, ?2)"))) {
		free(text);
		return HEPH_ERROR;
	}
	sqlite3_bind_int64(st, 1, seq);
	heph__bind_str(st, 2, text);
	free(text);
	return heph__step_done(s, st);
}

int heph__undo_record(heph_store *s, const char *method)
{
	sqlite3_stmt *st;
	int64_t id;
	int err;
	if (!s->change_first)
		return 0;
	if (!(st = heph__stmt(s, "INSERT INTO changes(method, first_seq, last_seq, undoes) VALUES(?1, ?2, ?3, ?4)")))
		return HEPH_ERROR;
	heph__bind_str(st, 1, method);
	sqlite3_bind_int64(st, 2, s->change_first);
	sqlite3_bind_int64(st, 3, s->change_last);
	if (s->change_undoes)
		sqlite3_bind_int64(st, 4, s->change_undoes);
	else
		sqlite3_bind_null(st, 4);
	if ((err = heph__step_done(s, st)))
		return err;
	id = sqlite3_last_insert_rowid(s->db);
	if (s->change_undoes) {
		if (!(st = heph__stmt(s, "UPDATE changes SET undone_by = ?2 WHERE id = ?1")))
			return HEPH_ERROR;
		sqlite3_bind_int64(st, 1, s->change_undoes);
		sqlite3_bind_int64(st, 2, id);
		if ((err = heph__step_done(s, st)))
			return err;
	}
	if (id % 64 == 0) {
		/* forget the oldest changes, and the before-images of their ops */
		if (!(st = heph__stmt(s, "DELETE FROM changes WHERE id <= ?1")))
			return HEPH_ERROR;
		sqlite3_bind_int64(st, 1, id - HISTORY);
		if ((err = heph__step_done(s, st)))
			return err;
		if (!(st = heph__stmt(s, "DELETE FROM change_before WHERE seq < (SELECT min(first_seq) FROM changes)")))
			return HEPH_ERROR;
		if ((err = heph__step_done(s, st)))
			return err;
	}
	return 0;
}

/* ---- reading a change ---- */

struct change {
	int64_t id, first, last;
	char method[64];
};

/* The latest change that can be undone; 0 when found, HEPH_ENOTFOUND. */
static int last_change(heph_store *s, struct change *c)
{
	sqlite3_stmt *st = heph__stmt(s, "SELECT id, first_seq, last_seq, method FROM changes "
					 "WHERE undone_by IS NULL AND undoes IS NULL ORDER BY id DESC LIMIT 1");
	int found;
	if (!st)
		return HEPH_ERROR;
	found = sqlite3_step(st) == SQLITE_ROW;
	if (found) {
		c->id = sqlite3_column_int64(st, 0);
		c->first = sqlite3_column_int64(st, 1);
		c->last = sqlite3_column_int64(st, 2);
		snprintf(c->method, sizeof c->method, "%s", (const char *)sqlite3_column_text(st, 3));
	}
	sqlite3_reset(st);
	return found ? 0 : heph_error_set(HEPH_ENOTFOUND, "nothing to undo");
}

/* The change's local ops, oldest first: [seq, hlc, type, payload]. */
static int change_ops(heph_store *s, const struct change *c, json_t **out)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db,
				    "SELECT o.seq, o.hlc, o.type, o.payload, b.before FROM oplog o "
				    "LEFT JOIN change_before b ON b.seq = o.seq "
				    "WHERE o.seq BETWEEN ?1 AND ?2 AND o.local = 1 ORDER BY o.seq",
				    -1, &st, NULL);
	if (rc != SQLITE_OK)
		return heph__sqlerr(s, rc, "reading a change");
	sqlite3_bind_int64(st, 1, c->first);
	sqlite3_bind_int64(st, 2, c->last);
	*out = json_array();
	while ((rc = heph__row(s, st)) > 0) {
		json_t *p = json_loads((const char *)sqlite3_column_text(st, 3), 0, NULL);
		json_t *b = sqlite3_column_type(st, 4) == SQLITE_NULL
				    ? json_null()
				    : json_loads((const char *)sqlite3_column_text(st, 4), 0, NULL);
		json_array_append_new(*out, json_pack("[I, s, s, o, o]", (json_int_t)sqlite3_column_int64(st, 0),
						      (const char *)sqlite3_column_text(st, 1),
						      (const char *)sqlite3_column_text(st, 2), p ? p : json_object(),
						      b ? b : json_null()));
	}
	sqlite3_finalize(st);
	if (rc < 0) {
		json_decref(*out);
		return rc;
	}
	return 0;
}

struct nodeinfo {
	char kind[33];
	char *title;
	int exists, dead;
};

static void node_info(heph_store *s, const char *id, struct nodeinfo *n)
{
	sqlite3_stmt *st = heph__stmt(s, "SELECT kind, title, tombstone_hlc IS NOT NULL FROM nodes WHERE id = ?1");
	memset(n, 0, sizeof *n);
	if (!st)
		return;
	heph__bind_str(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		n->exists = 1;
		snprintf(n->kind, sizeof n->kind, "%s", (const char *)sqlite3_column_text(st, 0));
		n->title = heph__col_dup(st, 1);
		n->dead = sqlite3_column_int(st, 2);
	}
	sqlite3_reset(st);
}

/* "task \"Buy milk\"" for messages. */
static char *describe(heph_store *s, const char *id)
{
	struct nodeinfo n;
	char *out;
	node_info(s, id, &n);
	if (asprintf(&out, "%s \"%s\"", n.exists ? n.kind : "node", n.title ? n.title : id) < 0)
		abort();
	free(n.title);
	return out;
}

static int link_live(heph_store *s, const char *lid)
{
	sqlite3_stmt *st = heph__stmt(s, "SELECT 1 FROM links WHERE id = ?1");
	int live;
	if (!st)
		return 0;
	heph__bind_str(st, 1, lid);
	live = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return live;
}

/* ---- the plan ---- */

struct undo {
	heph_store *s;
	int dry;              /* describe only */
	json_t *actions;      /* [{action, node_id, done, why?}] */
	json_t *created;      /* {node id: true} made by the change */
	json_t *added;        /* {link id: true} added by the change */
	json_t *unlinked;     /* {link id: true} this undo removes (so a dry run sees them gone too) */
	int did;              /* compensations made */
};

static void act(struct undo *u, const char *node, int done, const char *why, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void act(struct undo *u, const char *node, int done, const char *why, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	json_t *a = json_pack("{s:s, s:s, s:b}", "action", text, "node_id", node ? node : "", "done", done);
	if (why)
		json_object_set_new(a, "skipped", json_string(why));
	json_array_append_new(u->actions, a);
	if (done)
		u->did++;
}

/* The first line of text, at most about 60 bytes (cut at a character
 * boundary), "…" when cut; "(empty)" for "". */
static void clip(const char *text, char *out, size_t cap)
{
	size_t n = strcspn(text, "\n"), max = cap > 68 ? 60 : cap - 8;
	int cut = text[n] != '\0';
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
			n--;
		cut = 1;
	}
	if (!n && !cut) {
		snprintf(out, cap, "(empty)");
		return;
	}
	snprintf(out, cap, "\"%.*s%s\"", (int)n, text, cut ? "…" : "");
}

/* The register f of id written back to value (a JSON string or null). */
static int restore_field(struct undo *u, const char *id, int task, const char *field, json_t *value)
{
	if (!task && strcmp(field, "body") == 0)
		return heph__set_body(u->s, id, json_is_string(value) ? json_string_value(value) : "");
	json_t *f = json_pack("{s:O}", field, value);
	int err = heph__set_fields(u->s, id, task, f);
	json_decref(f);
	return err;
}

/* Every register the change wrote, back to what it held before the change,
 * unless written since. */
static int undo_sets(struct undo *u, json_t *ops)
{
	/* per "node\tfield": [node, field, task, before value, latest hlc] */
	json_t *regs = json_object(), *op, *r;
	const char *key;
	size_t i;
	int err = 0;
	json_array_foreach(ops, i, op) {
		const char *type = json_string_value(json_array_get(op, 2));
		json_t *p = json_array_get(op, 3), *before = json_array_get(op, 4), *fv;
		const char *id = json_string_value(json_object_get(p, "node_id")), *field;
		int task = strcmp(type, "task.set") == 0;
		if ((!task && strcmp(type, "node.set") != 0) || !id || json_object_get(u->created, id))
			continue;
		json_object_foreach(before, field, fv) {
			char k[128];
			snprintf(k, sizeof k, "%s\t%s", id, field);
			json_t *have = json_object_get(regs, k);
			if (!have)
				json_object_set_new(regs, k, json_pack("[s, s, b, O, s]", id, field, task, json_array_get(fv, 0),
								       json_string_value(json_array_get(op, 1))));
			else
				json_array_set_new(have, 4, json_string(json_string_value(json_array_get(op, 1))));
		}
	}
	json_object_foreach(regs, key, r) {
		const char *id = json_string_value(json_array_get(r, 0));
		const char *field = json_string_value(json_array_get(r, 1));
		int task = json_is_true(json_array_get(r, 2));
		json_t *value = json_array_get(r, 3);
		const heph_field *f = heph__field_find(task, field);
		char clock[HEPH_HLC_LEN + 1], base[HEPH_HLC_LEN + 1];
		struct nodeinfo n;
		char *what = describe(u->s, id);
		char shown[80];
		if (json_is_string(value))
			clip(json_string_value(value), shown, sizeof shown);
		else
			snprintf(shown, sizeof shown, "none");
		node_info(u->s, id, &n);
		free(n.title);
		if (!f || !n.exists) {
			act(u, id, 0, "unknown field", "set %s of %s back", field, what);
		} else if (n.dead) {
			act(u, id, 0, "deleted since", "set %s of %s back to %s", field, what, shown);
		} else if ((err = heph__register_clock(u->s, id, f, clock, base))) {
			free(what);
			break;
		} else if (strcmp(clock, json_string_value(json_array_get(r, 4))) != 0) {
			act(u, id, 0, strlen(clock) == HEPH_HLC_LEN && strcmp(clock + 22, heph_store_origin(u->s)) != 0
					      ? "changed since on another device"
					      : "changed since",
			    "set %s of %s back to %s", field, what, shown);
		} else {
			if (!u->dry && (err = restore_field(u, id, task, field, value))) {
				free(what);
				break;
			}
			act(u, id, 1, NULL, "set %s of %s back to %s", field, what, shown);
		}
		free(what);
	}
	json_decref(regs);
	return err;
}

static int single_valued(const char *type)
{
	return strcmp(type, "in-project") == 0 || strcmp(type, "parent") == 0 ||
	       strcmp(type, "canonical-context") == 0;
}

/* Whether src has a live link of type, not added by this change, newer
 * than hlc: the node was moved since. */
static int moved_since(struct undo *u, const char *src, const char *type, const char *hlc)
{
	sqlite3_stmt *st = heph__stmt(u->s, "SELECT id FROM links WHERE src = ?1 AND type = ?2 AND hlc > ?3");
	int moved = 0;
	if (!st)
		return 0;
	heph__bind_str(st, 1, src);
	heph__bind_str(st, 2, type);
	heph__bind_str(st, 3, hlc);
	while (!moved && sqlite3_step(st) == SQLITE_ROW)
		if (!json_object_get(u->added, (const char *)sqlite3_column_text(st, 0)))
			moved = 1;
	sqlite3_reset(st);
	return moved;
}

/* Whether a live link src -[type]-> dst remains once this undo's own
 * removals are done (in a dry run they are not written). */
static int link_exists(struct undo *u, const char *src, const char *dst, const char *type)
{
	sqlite3_stmt *st = heph__stmt(u->s, "SELECT id FROM links WHERE src = ?1 AND dst = ?2 AND type = ?3");
	int hit = 0;
	if (!st)
		return 0;
	heph__bind_str(st, 1, src);
	heph__bind_str(st, 2, dst);
	heph__bind_str(st, 3, type);
	while (!hit && heph__row(u->s, st) > 0)
		if (!json_object_get(u->unlinked, (const char *)sqlite3_column_text(st, 0)))
			hit = 1;
	sqlite3_reset(st);
	return hit;
}

static int undo_link(struct undo *u, json_t *op, int add)
{
	json_t *p = json_array_get(op, 3);
	const char *src = json_string_value(json_object_get(p, "src"));
	const char *dst = json_string_value(json_object_get(p, "dst"));
	const char *type = json_string_value(json_object_get(p, "type"));
	const char *hlc = json_string_value(json_array_get(op, 1));
	struct nodeinfo a, b;
	int err = 0;
	if (!src || !dst || !type || json_object_get(u->created, src) || json_object_get(u->created, dst) ||
	    strcmp(type, "wiki") == 0)
		return 0;
	node_info(u->s, src, &a);
	node_info(u->s, dst, &b);
	free(a.title);
	free(b.title);
	/* A body's #tags follow the body; a task has no body of its own, so
	 * its tag links are the ones set by hand (--tag, --untag). */
	if (strcmp(type, "tag") == 0 && strcmp(a.kind, "task") != 0)
		return 0;
	char *what = describe(u->s, src), *other = describe(u->s, dst);
	if (add) {
		const char *lid = json_string_value(json_object_get(p, "link_id"));
		if (!lid || !link_live(u->s, lid)) {
			act(u, src, 0, "removed since", "unlink %s -[%s]-> %s", what, type, other);
		} else {
			json_object_set_new(u->unlinked, lid, json_true());
			if (!u->dry)
				err = heph__emit(u->s, "link.remove",
						 json_pack("{s:s, s:s, s:s, s:[s]}", "src", src, "dst", dst, "type", type,
							   "link_ids", lid),
						 NULL);
			act(u, src, 1, NULL, "unlink %s -[%s]-> %s", what, type, other);
		}
	} else if (a.dead || b.dead) {
		act(u, src, 0, "deleted since", "link %s -[%s]-> %s again", what, type, other);
	} else if (single_valued(type) && moved_since(u, src, type, hlc)) {
		act(u, src, 0, "moved since", "link %s -[%s]-> %s again", what, type, other);
	} else if (link_exists(u, src, dst, type)) {
		act(u, src, 0, "already linked", "link %s -[%s]-> %s again", what, type, other);
	} else {
		if (!u->dry)
			err = heph__link_add(u->s, src, dst, type, NULL);
		act(u, src, 1, NULL, "link %s -[%s]-> %s again", what, type, other);
	}
	free(what);
	free(other);
	return err;
}

/* Bring back a deleted node as a copy: same kind, fields, outgoing links;
 * tasks and subprojects filed under it follow it. */
static int revive(struct undo *u, const char *old)
{
	heph_store *s = u->s;
	sqlite3_stmt *st = heph__stmt(s, "SELECT n.kind, n.title, n.body, n.aliases, t.state, t.attention, t.do_date, "
					 "t.late_on, t.recurrence, t.context_id, t.project_id, n.parent_id "
					 "FROM nodes n LEFT JOIN tasks t ON t.node_id = n.id WHERE n.id = ?1");
	char id[HEPH_ID_LEN + 1];
	char *col[12] = { 0 };
	int err = 0, live = 0;
	json_t *tags = json_array(), *movers = json_array(), *v;
	size_t i;
	if (!st) {
		err = HEPH_ERROR;
		goto out;
	}
	heph__bind_str(st, 1, old);
	if (sqlite3_step(st) == SQLITE_ROW)
		for (int c = 0; c < 12; c++)
			col[c] = heph__col_dup(st, c);
	sqlite3_reset(st);
	if (!col[0])
		goto out;
	/* tags it carried, and who pointed at it as their project or parent */
	if (!(st = heph__stmt(s, "SELECT dst FROM links WHERE src = ?1 AND type = 'tag'"))) {
		err = HEPH_ERROR;
		goto out;
	}
	heph__bind_str(st, 1, old);
	while ((err = heph__row(s, st)) > 0)
		json_array_append_new(tags, json_string((const char *)sqlite3_column_text(st, 0)));
	if (err < 0)
		goto out;
	if (!(st = heph__stmt(s, "SELECT DISTINCT l.src, l.type FROM links l JOIN nodes n ON n.id = l.src "
				 "AND n.tombstone_hlc IS NULL WHERE l.dst = ?1 AND l.type IN ('in-project', 'parent')"))) {
		err = HEPH_ERROR;
		goto out;
	}
	heph__bind_str(st, 1, old);
	while ((err = heph__row(s, st)) > 0)
		json_array_append_new(movers, json_pack("[s, s]", (const char *)sqlite3_column_text(st, 0),
							(const char *)sqlite3_column_text(st, 1)));
	if (err < 0)
		goto out;
	if (u->dry) {
		act(u, old, 1, NULL, "bring back %s \"%s\" as a copy (deletions are final)", col[0], col[1]);
		goto out;
	}
	if (strcmp(col[0], "journal") == 0) {
		if ((err = heph__journal_id(s, col[1], id, &live)))
			goto out;
	} else {
		heph__new_id(s, id);
	}
	if (strcmp(col[0], "task") == 0) {
		json_t *p = json_pack("{s:s, s:s, s:s, s:s}", "node_id", id, "title", col[1], "state", col[4], "attention",
				      col[5]);
		if (col[6])
			json_object_set_new(p, "do_date", json_string(col[6]));
		if (col[7])
			json_object_set_new(p, "late_on", json_string(col[7]));
		if (col[8])
			json_object_set_new(p, "recurrence", json_string(col[8]));
		if ((err = heph__emit(s, "task.create", p, NULL)))
			goto out;
		if (col[2][0] && (err = heph__set_body(s, id, col[2])))
			goto out;
		struct nodeinfo n;
		if (col[9]) {
			node_info(s, col[9], &n);
			free(n.title);
			if (n.exists && !n.dead && (err = heph__link_add(s, id, col[9], "canonical-context", NULL)))
				goto out;
		}
		if (col[10]) {
			node_info(s, col[10], &n);
			free(n.title);
			if (n.exists && !n.dead && (err = heph__link_add(s, id, col[10], "in-project", NULL)))
				goto out;
		}
		json_array_foreach(tags, i, v) if ((err = heph__link_add(s, id, json_string_value(v), "tag", NULL))) goto out;
	} else if (!live && (err = heph__node_create(s, id, col[0], col[1], col[2], NULL))) {
		goto out;
	}
	if (col[3][0]) {
		json_t *f = json_pack("{s:s}", "aliases", col[3]);
		err = heph__set_fields(s, id, 0, f);
		json_decref(f);
		if (err)
			goto out;
	}
	if (col[11]) {
		struct nodeinfo n;
		node_info(s, col[11], &n);
		free(n.title);
		if (n.exists && !n.dead && (err = heph__link_add(s, id, col[11], "parent", NULL)))
			goto out;
	}
	json_array_foreach(movers, i, v) {
		if ((err = heph__relink(s, json_string_value(json_array_get(v, 0)), json_string_value(json_array_get(v, 1)),
					id)))
			goto out;
	}
	act(u, id, 1, NULL, "bring back %s \"%s\" as a copy (deletions are final)", col[0], col[1]);
out:
	for (int c = 0; c < 12; c++)
		free(col[c]);
	json_decref(tags);
	json_decref(movers);
	return err;
}

/* Whether doc id hangs off a task the change did not create: the task's log
 * (log-of to it) or its context doc (canonical-context from it). */
static int task_doc(struct undo *u, const char *id, char owner[HEPH_ID_LEN + 1])
{
	sqlite3_stmt *st = heph__stmt(u->s,
		"SELECT CASE WHEN l.src = ?1 THEN l.dst ELSE l.src END FROM links l JOIN nodes t ON "
		"t.id = CASE WHEN l.src = ?1 THEN l.dst ELSE l.src END AND t.tombstone_hlc IS NULL "
		"WHERE (l.src = ?1 AND l.type = 'log-of') OR (l.dst = ?1 AND l.type = 'canonical-context')");
	int found = 0;
	if (!st)
		return 0;
	heph__bind_str(st, 1, id);
	while (!found && sqlite3_step(st) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		if (!json_object_get(u->created, t)) {
			snprintf(owner, HEPH_ID_LEN + 1, "%s", t);
			found = 1;
		}
	}
	sqlite3_reset(st);
	return found;
}

static int reverse(struct undo *u, json_t *ops)
{
	json_t *op;
	size_t i, n = json_array_size(ops);
	int err;
	json_array_foreach(ops, i, op) {
		const char *type = json_string_value(json_array_get(op, 2));
		json_t *p = json_array_get(op, 3);
		if (strcmp(type, "node.create") == 0 || strcmp(type, "task.create") == 0)
			json_object_set_new(u->created, json_string_value(json_object_get(p, "node_id")), json_true());
		else if (strcmp(type, "link.add") == 0 && json_is_string(json_object_get(p, "link_id")))
			json_object_set_new(u->added, json_string_value(json_object_get(p, "link_id")), json_true());
	}
	if ((err = undo_sets(u, ops)))
		return err;
	for (i = n; i-- > 0;) {
		op = json_array_get(ops, i);
		const char *type = json_string_value(json_array_get(op, 2));
		json_t *p = json_array_get(op, 3);
		const char *id = json_string_value(json_object_get(p, "node_id"));
		if (strcmp(type, "link.add") == 0 || strcmp(type, "link.remove") == 0) {
			if ((err = undo_link(u, op, type[5] == 'a')))
				return err;
		} else if (strcmp(type, "node.tombstone") == 0 && id) {
			if (json_object_get(u->created, id))
				continue;
			if ((err = revive(u, id)))
				return err;
		} else if ((strcmp(type, "node.create") == 0 || strcmp(type, "task.create") == 0) && id) {
			struct nodeinfo nd;
			node_info(u->s, id, &nd);
			if (!nd.exists || strcmp(nd.kind, "tag") == 0) {
				free(nd.title);
				continue; /* tags are shared vocabulary */
			}
			char owner[HEPH_ID_LEN + 1];
			if (nd.dead) {
				act(u, id, 0, "deleted since", "delete %s \"%s\"", nd.kind, nd.title ? nd.title : "");
			} else if (task_doc(u, id, owner)) {
				/* a task's log or context doc may have an id derived from
				 * the task's: a tombstone would keep the task from ever
				 * having one again, so it is emptied instead */
				if (!u->dry && (err = heph__set_body(u->s, id, ""))) {
					free(nd.title);
					return err;
				}
				act(u, id, 1, NULL, "empty %s \"%s\" (it belongs to a task)", nd.kind, nd.title ? nd.title : "");
			} else {
				if (!u->dry && (err = heph__emit(u->s, "node.tombstone", json_pack("{s:s}", "node_id", id),
								 NULL))) {
					free(nd.title);
					return err;
				}
				act(u, id, 1, NULL, "delete %s \"%s\"", nd.kind, nd.title ? nd.title : "");
			}
			free(nd.title);
		}
	}
	return 0;
}

/* A one-line summary of a change: its method and the first nodes it
 * touched. */
static char *summary(heph_store *s, const struct change *c, json_t *ops)
{
	json_t *seen = json_object(), *op;
	size_t i;
	char buf[512];
	int n = 0;
	snprintf(buf, sizeof buf, "%s", c->method);
	json_array_foreach(ops, i, op) {
		json_t *p = json_array_get(op, 3);
		const char *id = json_string_value(json_object_get(p, "node_id"));
		if (!id)
			id = json_string_value(json_object_get(p, "src"));
		if (!id || json_object_get(seen, id))
			continue;
		json_object_set_new(seen, id, json_true());
		struct nodeinfo nd;
		node_info(s, id, &nd);
		if (nd.exists && strcmp(nd.kind, "tag") != 0 && n < 3) {
			size_t len = strlen(buf);
			snprintf(buf + len, sizeof buf - len, "%s%s \"%s\"", n ? ", " : ": ", nd.kind, nd.title ? nd.title : "");
			n++;
		}
		free(nd.title);
	}
	json_decref(seen);
	return strdup(buf);
}

static json_t *change_json(heph_store *s, const struct change *c, json_t *ops)
{
	char when[32] = "";
	char *sum = summary(s, c, ops);
	if (json_array_size(ops))
		heph__hlc_time(json_string_value(json_array_get(json_array_get(ops, 0), 1)), when);
	json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:I}", "id", (json_int_t)c->id, "method", c->method, "summary", sum,
			      "at", when, "ops", (json_int_t)json_array_size(ops));
	free(sum);
	return o;
}

static int plan(heph_store *s, int dry, json_t **result)
{
	struct change c;
	json_t *ops = NULL;
	struct undo u = { .s = s, .dry = dry };
	int err;
	if ((err = last_change(s, &c)) || (err = change_ops(s, &c, &ops)))
		return err;
	u.actions = json_array();
	u.created = json_object();
	u.added = json_object();
	u.unlinked = json_object();
	if ((err = reverse(&u, ops)))
		goto out;
	if (!dry) {
		s->change_undoes = c.id;
		if (!s->change_first) {
			/* nothing was left to reverse: do not offer it again */
			sqlite3_stmt *st = heph__stmt(s, "UPDATE changes SET undone_by = 0 WHERE id = ?1");
			if (!st) {
				err = HEPH_ERROR;
				goto out;
			}
			sqlite3_bind_int64(st, 1, c.id);
			if ((err = heph__step_done(s, st)))
				goto out;
		}
	}
	*result = json_pack("{s:o, s:O, s:b}", "change", change_json(s, &c, ops), "actions", u.actions, "undone",
			    !dry && u.did > 0);
out:
	json_decref(ops);
	json_decref(u.actions);
	json_decref(u.created);
	json_decref(u.added);
	json_decref(u.unlinked);
	return err;
}

HEPH_RPC_HANDLER(heph__rpc_undo)
{
	int dry, err;
	if ((err = heph__p_bool(params, "dry_run", 0, &dry)))
		return err;
	return plan(env->store, dry, result);
}

HEPH_RPC_HANDLER(heph__rpc_undo_list)
{
	heph_store *s = env->store;
	long long limit;
	int err, rc;
	json_t *next = NULL, *hist;
	if ((err = heph__p_int(params, "limit", 10, 1, 1000, &limit)))
		return err;
	if ((err = plan(s, 1, &next)) && err != HEPH_ENOTFOUND)
		return err;
	sqlite3_stmt *st;
	rc = sqlite3_prepare_v2(s->db, "SELECT id, first_seq, last_seq, method, undoes, undone_by FROM changes "
				       "ORDER BY id DESC LIMIT ?1",
				-1, &st, NULL);
	if (rc != SQLITE_OK) {
		json_decref(next);
		return heph__sqlerr(s, rc, "reading changes");
	}
	sqlite3_bind_int64(st, 1, limit);
	hist = json_array();
	while ((rc = heph__row(s, st)) > 0) {
		struct change c = { sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2), "" };
		json_t *ops = NULL;
		snprintf(c.method, sizeof c.method, "%s", (const char *)sqlite3_column_text(st, 3));
		if (change_ops(s, &c, &ops))
			continue;
		json_t *o = change_json(s, &c, ops);
		json_decref(ops);
		json_object_set_new(o, "undoes", sqlite3_column_type(st, 4) == SQLITE_NULL
							 ? json_null()
							 : json_integer(sqlite3_column_int64(st, 4)));
		json_object_set_new(o, "undone", json_boolean(sqlite3_column_type(st, 5) != SQLITE_NULL));
		json_array_append_new(hist, o);
	}
	sqlite3_finalize(st);
	if (rc < 0) {
		json_decref(next);
		json_decref(hist);
		return rc;
	}
	*result = json_pack("{s:o, s:o}", "next", next ? next : json_null(), "changes", hist);
	return 0;
}
