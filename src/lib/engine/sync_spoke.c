/* sync_spoke.c — a spoke's side of sync: taking a pull page, building a
 * push body, and the cursors that say what has gone each way
 * (heph/sync.h; sync_state.c keeps them).
 *
 * Cursors (sync_state keys; seqs are local op-log seqs unless named):
 *   pull_cursor   the hub seq up to which this spoke holds the hub's log
 *   push_cursor   the local seq up to which the hub holds this spoke's log
 *   sync_pulled   ranges of local seqs that came from the hub (never pushed)
 *   hub_id        the hub these cursors are about; another hub resets them
 *
 * Invariants:
 *  - A page is applied and the cursors are moved in one write transaction;
 *    a push cursor only moves after the hub answered.
 *  - The push cursor is kept normalised: no sync_pulled range starts at
 *    push_cursor + 1 or below (such ranges are folded into the cursor).
 */
#include "internal.h"
#include "opjson.h"
#include "sync_internal.h"

#include "heph/buf.h"
#include "heph/fleet.h"
#include "heph/sync.h"

#include <stdlib.h>
#include <string.h>


/* Fold sync_pulled ranges that start at or below push_cursor + 1 into the
 * cursor. Inside a write transaction. */
static int normalise(heph_store *s)
{
	int64_t cursor, first, last;
	int err, rc, moved = 0;
	if ((err = heph__sync_state_i64(s, "push_cursor", &cursor)))
		return err;
	for (;;) {
		sqlite3_stmt *st = heph__stmt(s, "SELECT first_seq, last_seq FROM sync_pulled ORDER BY first_seq LIMIT 1");
		if (!st)
			return HEPH_ERROR;
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW) {
			sqlite3_reset(st);
			if (rc != SQLITE_DONE)
				return heph__sqlerr(s, rc, "reading sync ranges");
			break;
		}
		first = sqlite3_column_int64(st, 0);
		last = sqlite3_column_int64(st, 1);
		sqlite3_reset(st);
		if (first > cursor + 1)
			break;
		if (last > cursor)
			cursor = last;
		moved = 1;
		if (!(st = heph__stmt(s, "DELETE FROM sync_pulled WHERE first_seq = ?1")))
			return HEPH_ERROR;
		sqlite3_bind_int64(st, 1, first);
		if ((err = heph__step_done(s, st)))
			return err;
	}
	return moved ? heph__sync_state_set_i64(s, "push_cursor", cursor) : 0;
}

/* Remember that local seqs first..last came from the hub, merging with a
 * range that ends just before. */
static int add_pulled(heph_store *s, int64_t first, int64_t last)
{
	sqlite3_stmt *st = heph__stmt(s, "UPDATE sync_pulled SET last_seq = ?2 WHERE last_seq = ?1 - 1");
	int err;
	if (!st)
		return HEPH_ERROR;
	sqlite3_bind_int64(st, 1, first);
	sqlite3_bind_int64(st, 2, last);
	if ((err = heph__step_done(s, st)))
		return err;
	if (sqlite3_changes(s->db) > 0)
		return 0;
	if (!(st = heph__stmt(s, "INSERT INTO sync_pulled(first_seq, last_seq) VALUES(?1, ?2)")))
		return HEPH_ERROR;
	sqlite3_bind_int64(st, 1, first);
	sqlite3_bind_int64(st, 2, last);
	return heph__step_done(s, st);
}

static int reset_cursors(heph_store *s, const char *hub)
{
	int err;
	if ((err = heph__sync_state_set_i64(s, "pull_cursor", 0)) || (err = heph__sync_state_set_i64(s, "push_cursor", 0)) ||
	    (err = heph__exec(s, "DELETE FROM sync_pulled")))
		return err;
	return hub ? heph__sync_state_set(s, "hub_id", hub) : 0;
}

int heph_sync_pull_cursor(heph_store *s, int64_t *out)
{
	return heph__sync_state_i64(s, "pull_cursor", out);
}


int heph_sync_take_page(heph_store *s, int64_t after, const char *body, size_t len, heph_sync_page *out)
{
	struct heph__page pg = { 0 };
	const char *hub = NULL;
	char *stored = NULL;
	int64_t head = 0, next = 0, cursor, before, now_max;
	int more = 0, err;
	memset(out, 0, sizeof *out);
	/* Everything is read and checked before the database is touched. */
	if ((err = heph__page_read(body, len, after, &pg, &hub, &head, &next, &more)))
		goto out;
	heph__cache_bulk(s);
	if ((err = heph_store_begin(s)))
		goto out;
	if ((err = heph__sync_state_get(s, "hub_id", &stored)) || (err = heph__sync_state_i64(s, "pull_cursor", &cursor)))
		goto end;
	out->head = head;
	if (stored && strcmp(stored, hub) == 0 && after > cursor) {
		/* The cursor went back since this page was asked for (another
		 * process met a new or restored hub and started over): the page
		 * starts past ops we no longer hold as pulled. Take nothing; the
		 * next page is asked for from the cursor. */
		out->more = 1;
		out->next = cursor;
		goto end;
	}
	if ((stored && strcmp(stored, hub) != 0) || head < after) {
		/* Another hub, or this hub lost ops we had pulled: start over. */
		if ((err = reset_cursors(s, hub)))
			goto end;
		out->reset = 1;
		out->more = 1;
		goto end;
	}
	if (!stored && (err = heph__sync_state_set(s, "hub_id", hub)))
		goto end;
	/* how far the hub's clock is ahead of ours (a hub before "now" sends none) */
	if (json_is_integer(pg.env[PG_NOW]) &&
	    (err = heph__sync_state_set_i64(s, "hub_skew_ms", json_integer_value(pg.env[PG_NOW]) - heph_store_now_ms(s))))
		goto end;
	/* who in the fleet applies the op types we do not know */
	if ((err = heph_fleet_keep_known_by(s, json_is_object(pg.env[PG_KNOWN_BY]) ? pg.env[PG_KNOWN_BY] : NULL)))
		goto end;
	if ((err = heph__sync_head(s, &before)))
		goto end;
	heph__batch_begin(s);
	for (size_t i = 0; i < pg.n; i++) {
		heph_op_status st;
		if ((err = heph__apply_op_text(s, &pg.ops[i], 0, pg.span[i], pg.span_len[i], &st))) {
			heph_error_wrap(err, "applying ops from the hub: ");
			goto end;
		}
		if (st != HEPH_OP_DUPLICATE)
			out->added++;
	}
	if ((err = heph__batch_end(s)) || (err = heph__sync_head(s, &now_max)))
		goto end;
	if (now_max > before && (err = add_pulled(s, before + 1, now_max)))
		goto end;
	if (next > cursor && (err = heph__sync_state_set_i64(s, "pull_cursor", next)))
		goto end;
	if ((err = normalise(s)))
		goto end;
	out->next = next > cursor ? next : cursor;
	out->more = more;
	out->received = (int64_t)pg.n;
end:
	err = heph_store_end(s, err); /* err is 0 on the ways that end by committing */
out:
	free(stored);
	heph__page_free(&pg);
	return err;
}

int heph_sync_push_body(heph_store *s, int limit, size_t max_bytes, char **body, size_t *len, int *count,
			int64_t *after_seq, int64_t *last_seq)
{
	heph_buf b = { 0 };
	int64_t pos, *ranges = NULL;
	size_t nranges = 0, r = 0;
	int own, err, rc, n = 0;
	*body = NULL;
	*len = 0;
	*count = 0;
	*last_seq = 0;
	if (limit <= 0)
		limit = HEPH_SYNC_PUSH_LIMIT;
	if (max_bytes == 0)
		max_bytes = HEPH_SYNC_PUSH_BYTES;
	if ((err = heph__read_begin(s, &own)))
		return err;
	if ((err = heph__sync_state_i64(s, "push_cursor", &pos)))
		goto out;
	if (after_seq)
		*after_seq = pos;
	/* The pulled ranges above the cursor, as (first, last) pairs. */
	sqlite3_stmt *st = heph__stmt(s, "SELECT first_seq, last_seq FROM sync_pulled WHERE last_seq > ?1 ORDER BY first_seq");
	if (!st) {
		err = HEPH_ERROR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, pos);
	while ((rc = heph__row(s, st)) > 0) {
		if (!(ranges = realloc(ranges, (nranges + 1) * 2 * sizeof *ranges)))
			abort();
		ranges[2 * nranges] = sqlite3_column_int64(st, 0);
		ranges[2 * nranges + 1] = sqlite3_column_int64(st, 1);
		nranges++;
	}
	if (rc < 0) {
		err = rc;
		goto out;
	}
	heph_buf_puts(&b, "{\"protocol\":");
	heph_buf_put_i64(&b, HEPH_SYNC_PROTOCOL);
	heph_buf_puts(&b, ",\"origin\":");
	heph_buf_put_jstr(&b, s->origin);
	{
		json_t *self = NULL;
		char *text;
		if ((err = heph_fleet_self(s, &self)))
			goto out;
		if (!(text = json_dumps(self, JSON_COMPACT)))
			abort();
		json_decref(self);
		heph_buf_puts(&b, ",\"node\":");
		heph_buf_puts(&b, text);
		free(text);
	}
	heph_buf_puts(&b, ",\"ops\":[");
	while (n < limit && b.n < max_bytes) {
		int64_t stop = r < nranges ? ranges[2 * r] : INT64_MAX;
		int got = 0;
		if (!(st = heph__stmt(s, "SELECT seq, op_id, hlc, origin, type, payload FROM oplog "
					 "WHERE seq > ?1 AND seq < ?2 ORDER BY seq LIMIT ?3"))) {
			err = HEPH_ERROR;
			goto out;
		}
		sqlite3_bind_int64(st, 1, pos);
		sqlite3_bind_int64(st, 2, stop);
		sqlite3_bind_int(st, 3, limit - n);
		while ((rc = heph__row(s, st)) > 0) {
			if (n++)
				heph_buf_put(&b, ",", 1);
			heph__opjson_put_row(&b, st, 0, 0);
			pos = *last_seq = sqlite3_column_int64(st, 0);
			got++;
			if (b.n >= max_bytes)
				break;
		}
		sqlite3_reset(st);
		if (rc < 0) {
			err = rc;
			goto out;
		}
		if (n >= limit || b.n >= max_bytes)
			break;
		if (r >= nranges)
			break; /* the end of the log */
		pos = ranges[2 * r + 1]; /* skip what came from the hub */
		r++;
		(void)got;
	}
	heph_buf_puts(&b, "]}");
out:
	heph__read_end(s, own);
	free(ranges);
	if (err || n == 0) {
		heph_buf_free(&b);
		*last_seq = 0;
		return err;
	}
	*body = b.p;
	*len = b.n;
	*count = n;
	return 0;
}

int heph_sync_pushed(heph_store *s, const char *response, size_t len, int64_t after_seq, int64_t last_seq)
{
	json_t *r = NULL;
	char *stored = NULL;
	const char *hub;
	int64_t cursor;
	int err;
	if ((err = heph__sync_parse_object(response, len, "hub's push answer", &r)))
		return err;
	if ((err = heph__sync_protocol(json_object_get(r, "protocol"), "spoke", "hub"))) {
		heph_error_wrap(err, "hub: ");
		goto out;
	}
	hub = json_string_value(json_object_get(r, "hub"));
	if (!hub || !heph_origin_valid(hub)) {
		err = heph_error_set(HEPH_EINVALID, "hub answered a push without a valid hub id");
		goto out;
	}
	if ((err = heph_store_begin(s)))
		goto out;
	if ((err = heph__sync_state_get(s, "hub_id", &stored)) || (err = heph__sync_state_i64(s, "push_cursor", &cursor)))
		goto end;
	if (!stored || strcmp(stored, hub) != 0) {
		err = heph_error_set(HEPH_ECONFLICT, "the hub's id changed during sync (%s, now %s); the next sync "
				     "starts over", stored ? stored : "none", hub);
		goto end;
	}
	/* The push covered (after_seq, last_seq]. When the cursor went back
	 * below after_seq meanwhile (another process met a new or restored hub
	 * and started over), moving it would skip what lies between: it stays,
	 * and the next push sends those ops (the hub keeps each op once). */
	if (cursor >= after_seq && last_seq > cursor && (err = heph__sync_state_set_i64(s, "push_cursor", last_seq)))
		goto end;
	if ((err = normalise(s)))
		goto end;
end:
	err = heph_store_end(s, err);
out:
	free(stored);
	json_decref(r);
	return err;
}

int heph_sync_pending(heph_store *s, int64_t *count)
{
	int64_t cursor, total = 0, pulled = 0;
	int own, err;
	*count = 0;
	if ((err = heph__read_begin(s, &own)))
		return err;
	/* the local ops past the cursor, less those that came from the hub */
	if ((err = heph__sync_state_i64(s, "push_cursor", &cursor)) ||
	    (err = heph__sync_i64_of(s, "SELECT count(*) FROM oplog WHERE seq > ?1", cursor, &total)) ||
	    (err = heph__sync_i64_of(s, "SELECT coalesce(sum(last_seq - max(first_seq, ?1 + 1) + 1), 0) "
				       "FROM sync_pulled WHERE last_seq > ?1", cursor, &pulled)))
		goto out;
	*count = total > pulled ? total - pulled : 0;
out:
	heph__read_end(s, own);
	return err;
}
