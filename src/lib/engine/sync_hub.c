/* sync_hub.c — the hub's side of sync: pull pages and pushes (heph/sync.h
 * lays out the wire format).
 *
 * Invariants:
 *  - The hub's sequence numbers are its oplog seqs: every op it holds has
 *    one, given in the order it took the op, and an op is never renumbered.
 *  - A pull page is read in one read transaction, so head and the ops agree.
 *  - A push is applied in one write transaction, all or nothing, and the
 *    pusher joins the fleet in the same transaction.
 *  - Op text is spliced into pages as stored (opjson.h).
 */
#include "internal.h"
#include "opjson.h"
#include "sync_internal.h"

#include "heph/buf.h"
#include "heph/fleet.h"
#include "heph/sync.h"

#include <stdlib.h>
#include <string.h>

/* The start of every answer of the hub's: {"protocol":N,"hub":ID,"head":SEQ */
static void put_head(heph_buf *b, heph_store *s, int64_t head)
{
	heph_buf_puts(b, "{\"protocol\":");
	heph_buf_put_i64(b, HEPH_SYNC_PROTOCOL);
	heph_buf_puts(b, ",\"hub\":");
	heph_buf_put_jstr(b, s->origin);
	heph_buf_puts(b, ",\"head\":");
	heph_buf_put_i64(b, head);
}

int heph_sync_pull_page(heph_store *s, int64_t after, int limit, char **out, size_t *len)
{
	return heph_sync_pull_page_for(s, after, limit, NULL, out, len);
}

int heph_sync_pull_page_for(heph_store *s, int64_t after, int limit, const json_t *report, char **out, size_t *len)
{
	heph_buf b = { 0 };
	int64_t head = 0, next = after;
	int own, err, rc, n = 0;
	json_t *known = json_object_get(report, "op_types"); /* borrowed */
	*out = NULL;
	*len = 0;
	if (after < 0)
		return heph_error_set(HEPH_EINVALID, "after must be 0 or more");
	if (limit <= 0 || limit > HEPH_SYNC_PULL_LIMIT)
		limit = HEPH_SYNC_PULL_LIMIT;
	if ((err = heph__read_begin(s, &own)))
		return err;
	if ((err = heph__sync_head(s, &head)))
		goto out;
	sqlite3_stmt *st = heph__stmt(s, "SELECT seq, op_id, hlc, origin, type, payload FROM oplog "
					 "WHERE seq > ?1 ORDER BY seq LIMIT ?2");
	if (!st) {
		err = HEPH_ERROR;
		goto out;
	}
	put_head(&b, s, head);
	heph_buf_puts(&b, ",\"now\":"); /* the hub's wall clock, ms: spokes note their skew (heph health) */
	heph_buf_put_i64(&b, heph_store_now_ms(s));
	if (json_is_array(known)) {
		/* what the puller cannot apply, and who in the fleet can */
		json_t *by = NULL;
		if ((err = heph_fleet_known_by(s, known, &by)))
			goto out;
		char *text = json_dumps(by, JSON_COMPACT);
		json_decref(by);
		if (!text)
			abort();
		heph_buf_puts(&b, ",\"known_by\":");
		heph_buf_puts(&b, text);
		free(text);
	}
	heph_buf_puts(&b, ",\"ops\":[");
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int(st, 2, limit);
	while ((rc = heph__row(s, st)) > 0) {
		if (n++)
			heph_buf_put(&b, ",", 1);
		heph__opjson_put_row(&b, st, 0, 1);
		next = sqlite3_column_int64(st, 0);
		if (b.n >= HEPH_SYNC_PULL_BYTES)
			break;
	}
	sqlite3_reset(st);
	if (rc < 0) {
		err = rc;
		goto out;
	}
	heph_buf_puts(&b, "],\"next\":");
	heph_buf_put_i64(&b, next);
	heph_buf_puts(&b, next < head ? ",\"more\":true}" : ",\"more\":false}");
out:
	heph__read_end(s, own);
	if (err) {
		heph_buf_free(&b);
		return err;
	}
	*out = b.p;
	*len = b.n;
	return 0;
}

struct heph_sync_push {
	heph_op *ops;    /* decoded, each owning its payload */
	size_t n;
	json_t *report;  /* the pusher's report of itself (heph/fleet.h), or NULL */
	char *token;     /* the name of the token it came with, or NULL */
};

void heph_sync_push_free(heph_sync_push *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		heph_op_clear(&p->ops[i]);
	free(p->ops);
	json_decref(p->report);
	free(p->token);
	free(p);
}

size_t heph_sync_push_count(const heph_sync_push *p)
{
	return p->n;
}

const heph_op *heph_sync_push_op(const heph_sync_push *p, size_t i)
{
	return i < p->n ? &p->ops[i] : NULL;
}

const json_t *heph_sync_push_report(const heph_sync_push *p)
{
	return p->report;
}

int heph_sync_push_decode(const char *body, size_t len, heph_sync_push **out)
{
	return heph_sync_push_decode_from(body, len, NULL, out);
}

int heph_sync_push_decode_from(const char *body, size_t len, const char *token, heph_sync_push **out)
{
	json_t *req = NULL, *ops, *v;
	heph_sync_push *p = NULL;
	size_t i, n;
	int err;
	*out = NULL;
	if ((err = heph__sync_parse_object(body, len, "push", &req)))
		return err;
	if ((err = heph_sync_check_protocol(json_object_get(req, "protocol"))))
		goto out;
	ops = json_object_get(req, "ops");
	if (!json_is_array(ops)) {
		err = heph_error_set(HEPH_EINVALID, "push: \"ops\" must be an array of ops");
		goto out;
	}
	n = json_array_size(ops);
	if (n > HEPH_SYNC_ACCEPT_MAX) {
		err = heph_error_set(HEPH_ETOOBIG, "push: %zu ops in one request, more than the %d this hub takes",
				     n, HEPH_SYNC_ACCEPT_MAX);
		goto out;
	}
	if (!(p = calloc(1, sizeof *p)) || !(p->ops = calloc(n ? n : 1, sizeof *p->ops)))
		abort();
	/* The pusher's report; a version before fleet reporting names only
	 * its origin. */
	if (json_is_object(json_object_get(req, "node")))
		p->report = json_incref(json_object_get(req, "node"));
	else if (json_is_string(json_object_get(req, "origin")))
		p->report = json_pack("{s:O}", "origin", json_object_get(req, "origin"));
	if (p->report && (err = heph_fleet_check(p->report))) {
		heph_error_wrap(err, "push: ");
		goto out;
	}
	if (token && !(p->token = strdup(token)))
		abort();
	json_array_foreach(ops, i, v) {
		if ((err = heph_op_from_json(v, &p->ops[i]))) {
			heph_error_wrap(err, "push: ops[%zu]: ", i);
			goto out;
		}
		p->n++;
	}
	*out = p;
	p = NULL;
out:
	heph_sync_push_free(p);
	json_decref(req);
	return err;
}

int heph_sync_push_apply(heph_store *s, const heph_sync_push *p, char **out, size_t *out_len)
{
	int64_t counts[4] = { 0 }, head = 0;
	int err;
	*out = NULL;
	*out_len = 0;
	if ((err = heph_store_begin(s)))
		return err;
	heph__batch_begin(s);
	for (size_t i = 0; i < p->n; i++) {
		heph_op_status st;
		if ((err = heph__apply_op(s, &p->ops[i], 0, &st))) {
			heph_error_wrap(err, "push: ops[%zu]: ", i);
			heph_store_rollback(s);
			return err;
		}
		counts[st]++;
	}
	/* The pusher joins the fleet with its ops, in the same transaction. */
	if ((err = heph__batch_end(s)) || (err = heph__sync_head(s, &head)) ||
	    (p->report && (err = heph_fleet_note(s, p->report, p->token, heph_store_now_ms(s))))) {
		heph_store_rollback(s);
		return err;
	}
	if ((err = heph_store_commit(s)))
		return err;
	heph_buf b = { 0 };
	put_head(&b, s, head);
	heph_buf_puts(&b, ",\"received\":");
	heph_buf_put_i64(&b, (int64_t)p->n);
	heph_buf_puts(&b, ",\"applied\":");
	heph_buf_put_i64(&b, counts[HEPH_OP_APPLIED]);
	heph_buf_puts(&b, ",\"deferred\":");
	heph_buf_put_i64(&b, counts[HEPH_OP_DEFERRED]);
	heph_buf_puts(&b, ",\"unknown\":");
	heph_buf_put_i64(&b, counts[HEPH_OP_UNKNOWN]);
	heph_buf_puts(&b, ",\"duplicate\":");
	heph_buf_put_i64(&b, counts[HEPH_OP_DUPLICATE]);
	heph_buf_puts(&b, "}");
	*out = b.p;
	*out_len = b.n;
	return 0;
}

int heph_sync_accept(heph_store *s, const char *body, size_t len, char **out, size_t *out_len)
{
	return heph_sync_accept_from(s, body, len, NULL, out, out_len);
}

int heph_sync_accept_from(heph_store *s, const char *body, size_t len, const char *token, char **out,
			  size_t *out_len)
{
	heph_sync_push *p = NULL;
	int err;
	*out = NULL;
	*out_len = 0;
	if ((err = heph_sync_push_decode_from(body, len, token, &p)))
		return err;
	err = heph_sync_push_apply(s, p, out, out_len);
	heph_sync_push_free(p);
	return err;
}

