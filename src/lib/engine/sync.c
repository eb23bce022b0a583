/* sync.c — the hub's side of push and pull, a spoke's cursors, and the sync
 * status (heph/sync.h; the wire format is laid out there).
 *
 * Invariants:
 *  - The hub's sequence numbers are its oplog seqs: every op it holds has
 *    one, given in the order it took the op, and an op is never renumbered.
 *  - A pull page is read in one read transaction, so head and the ops agree.
 *  - On a spoke, a page is applied and the cursors are moved in one write
 *    transaction; a push cursor only moves after the hub answered.
 *  - The push cursor is kept normalised: no sync_pulled range starts at
 *    push_cursor + 1 or below (such ranges are folded into the cursor).
 *  - Op text is spliced into bodies as stored: payloads are the JSON the
 *    engine wrote, envelope strings are validated tokens, escaped anyway.
 */
#include "internal.h"
#include "opjson.h"

#include "heph/buf.h"

#include "heph/fleet.h"
#include "heph/sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- sync_state ---- */

static int state_get(heph_store *s, const char *key, char **out)
{
	return heph__text_of(s, "SELECT value FROM sync_state WHERE key = ?1", key, out, NULL, "reading sync state");
}

static int state_i64(heph_store *s, const char *key, int64_t *out)
{
	char *v = NULL;
	int err = state_get(s, key, &v);
	*out = v ? strtoll(v, NULL, 10) : 0;
	free(v);
	return err;
}

static int state_set(heph_store *s, const char *key, const char *value)
{
	return heph__kv_write(s, "INSERT INTO sync_state(key, value) VALUES(?1, ?2) "
				 "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
			      "DELETE FROM sync_state WHERE key = ?1", key, value);
}

static int state_set_i64(heph_store *s, const char *key, int64_t v)
{
	char t[32];
	snprintf(t, sizeof t, "%lld", (long long)v);
	return state_set(s, key, t);
}

static int max_seq(heph_store *s, int64_t *out)
{
	sqlite3_stmt *st = heph__stmt(s, "SELECT coalesce(max(seq), 0) FROM oplog");
	if (!st)
		return HEPH_ERROR;
	int rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : heph__sqlerr(s, rc, "reading the op-log");
}

/* A read transaction of our own, unless one is open already. */
static int read_begin(heph_store *s, int *own)
{
	*own = s->depth == 0 && sqlite3_get_autocommit(s->db);
	return *own ? heph__exec(s, "BEGIN") : 0;
}

static void read_end(heph_store *s, int own)
{
	if (own)
		heph__exec(s, "COMMIT");
}

/* The protocol check from one side: us and them name the two ends ("hub",
 * "spoke"), so that the message says which one to upgrade. */
static int check_protocol(const json_t *v, const char *us, const char *them)
{
	if (!v)
		return heph_error_set(HEPH_EINVALID, "missing protocol version (this %s speaks protocol %d)", us,
				      HEPH_SYNC_PROTOCOL);
	if (!json_is_integer(v))
		return heph_error_set(HEPH_EINVALID, "protocol version must be an integer");
	long long theirs = json_integer_value(v);
	if (theirs != HEPH_SYNC_PROTOCOL)
		return heph_error_set(HEPH_EPROTOCOL,
				      "protocol version %lld is not spoken here: the %s speaks protocol %d, the %s "
				      "protocol %lld; upgrade the %s",
				      theirs, us, HEPH_SYNC_PROTOCOL, them, theirs, theirs > HEPH_SYNC_PROTOCOL ? us : them);
	return 0;
}

int heph_sync_check_protocol(const json_t *v) { return check_protocol(v, "hub", "spoke"); }

/* ---- the hub ---- */

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
	if ((err = read_begin(s, &own)))
		return err;
	if ((err = max_seq(s, &head)))
		goto out;
	sqlite3_stmt *st = heph__stmt(s, "SELECT seq, op_id, hlc, origin, type, payload FROM oplog "
					 "WHERE seq > ?1 ORDER BY seq LIMIT ?2");
	if (!st) {
		err = HEPH_ERROR;
		goto out;
	}
	heph_buf_puts(&b, "{\"protocol\":");
	heph_buf_put_i64(&b, HEPH_SYNC_PROTOCOL);
	heph_buf_puts(&b, ",\"hub\":");
	heph_buf_put_jstr(&b, s->origin);
	heph_buf_puts(&b, ",\"head\":");
	heph_buf_put_i64(&b, head);
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
	read_end(s, own);
	if (err) {
		heph_buf_free(&b);
		return err;
	}
	*out = b.p;
	*len = b.n;
	return 0;
}

static int parse_object(const char *body, size_t len, const char *what, json_t **out)
{
	json_error_t e;
	*out = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
	if (!*out)
		return heph_error_set(HEPH_EINVALID, "%s: malformed JSON at line %d column %d: %s", what, e.line,
				      e.column, e.text);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return heph_error_set(HEPH_EINVALID, "%s must be a JSON object", what);
	}
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
	if ((err = parse_object(body, len, "push", &req)))
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
	if ((err = max_seq(s, &head)) ||
	    (p->report && (err = heph_fleet_note(s, p->report, p->token, heph_store_now_ms(s))))) {
		heph_store_rollback(s);
		return err;
	}
	if ((err = heph_store_commit(s)))
		return err;
	heph_buf b = { 0 };
	heph_buf_puts(&b, "{\"protocol\":");
	heph_buf_put_i64(&b, HEPH_SYNC_PROTOCOL);
	heph_buf_puts(&b, ",\"hub\":");
	heph_buf_put_jstr(&b, s->origin);
	heph_buf_puts(&b, ",\"head\":");
	heph_buf_put_i64(&b, head);
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

/* ---- a spoke ---- */

/* Fold sync_pulled ranges that start at or below push_cursor + 1 into the
 * cursor. Inside a write transaction. */
static int normalise(heph_store *s)
{
	int64_t cursor, first, last;
	int err, rc, moved = 0;
	if ((err = state_i64(s, "push_cursor", &cursor)))
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
	return moved ? state_set_i64(s, "push_cursor", cursor) : 0;
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
	if ((err = state_set_i64(s, "pull_cursor", 0)) || (err = state_set_i64(s, "push_cursor", 0)) ||
	    (err = heph__exec(s, "DELETE FROM sync_pulled")))
		return err;
	return hub ? state_set(s, "hub_id", hub) : 0;
}

int heph_sync_pull_cursor(heph_store *s, int64_t *out)
{
	return state_i64(s, "pull_cursor", out);
}

/* ---- reading a page quickly ----
 *
 * A page is mostly its ops. Rather than building one tree of the whole page
 * (jansson reads a character at a time), the envelope is scanned for its
 * top-level members, each op is cut out of the array as a span of text and
 * decoded by the op-line fast path, and its payload is stored as received.
 * Anything the scanner does not expect sends the page to jansson instead,
 * which then also words the error. */

enum { E_PROTOCOL, E_HUB, E_HEAD, E_NEXT, E_MORE, E_KNOWN_BY, E_NOW, E_COUNT };
static const char *const env_keys[E_COUNT] = { "protocol", "hub", "head", "next", "more", "known_by", "now" };

struct page {
	json_t *env[E_COUNT];                        /* envelope members (owned) */
	heph_op *ops;                                /* decoded ops */
	const char **span;                           /* each payload's text in the page, or NULL */
	size_t *span_len;
	int64_t *seq;                                /* each op's hub seq */
	size_t n;
	json_t *tree;                                /* the whole page, when jansson read it */
};

static void page_free(struct page *pg)
{
	for (int i = 0; i < E_COUNT; i++)
		json_decref(pg->env[i]);
	for (size_t i = 0; i < pg->n; i++)
		heph_op_clear(&pg->ops[i]);
	free(pg->ops);
	free(pg->span);
	free(pg->span_len);
	free(pg->seq);
	json_decref(pg->tree);
	memset(pg, 0, sizeof *pg);
}

static const char *ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* The end of the string starting at p (a quote), or NULL. */
static const char *skip_string(const char *p, const char *e)
{
	for (p++; p < e; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* The end of the value starting at p, or NULL. Containers are matched by
 * counting; their insides are checked later by whoever decodes them. */
static const char *skip_value(const char *p, const char *e)
{
	int depth = 0;
	if (p >= e)
		return NULL;
	if (*p == '"')
		return skip_string(p, e);
	if (*p != '{' && *p != '[') {
		while (p < e && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' && *p != '\t' &&
		       *p != '\r')
			p++;
		return p;
	}
	for (; p < e; p++) {
		if (*p == '"') {
			if (!(p = skip_string(p, e)))
				return NULL;
			p--;
		} else if (*p == '{' || *p == '[') {
			depth++;
		} else if (*p == '}' || *p == ']') {
			if (--depth == 0)
				return p + 1;
		}
	}
	return NULL;
}

/* One op of a page from its text; HEPH_EINVALID naming it. */
static int page_op(struct page *pg, const char *text, size_t len)
{
	size_t i = pg->n;
	int err = heph__opjson_read(text, len, &pg->ops[i], &pg->seq[i], &pg->span[i], &pg->span_len[i]);
	if (err)
		return heph_error_wrap(err, "hub sent an invalid op (ops[%zu]): ", i);
	pg->n++;
	return 0;
}

static void page_grow(struct page *pg, size_t cap)
{
	if (!(pg->ops = realloc(pg->ops, cap * sizeof *pg->ops)) || !(pg->span = realloc(pg->span, cap * sizeof *pg->span)) ||
	    !(pg->span_len = realloc(pg->span_len, cap * sizeof *pg->span_len)) ||
	    !(pg->seq = realloc(pg->seq, cap * sizeof *pg->seq)))
		abort();
}

/* Scan the page. 1: the scanner gave up (nothing decided), 0: read, or an
 * error about an op. */
static int scan_page(const char *body, size_t len, struct page *pg)
{
	const char *p = ws(body, body + len), *e = body + len, *ops = NULL, *ops_end = NULL;
	if (p >= e || *p++ != '{')
		return 1;
	p = ws(p, e);
	for (int first = 1;; first = 0) {
		p = ws(p, e);
		if (first && p < e && *p == '}')
			break;
		const char *k = p, *ke;
		if (p >= e || *p != '"' || !(ke = skip_string(p, e)) || memchr(k, '\\', (size_t)(ke - k)))
			return 1;
		p = ws(ke, e);
		if (p >= e || *p++ != ':')
			return 1;
		const char *v = ws(p, e), *ve = skip_value(v, e);
		if (!ve)
			return 1;
		size_t kl = (size_t)(ke - k) - 2;
		if (kl == 3 && memcmp(k + 1, "ops", 3) == 0) {
			if (ops)
				return 1; /* a duplicate: jansson refuses it */
			ops = v;
			ops_end = ve;
		}
		for (int i = 0; i < E_COUNT; i++) {
			if (strlen(env_keys[i]) == kl && memcmp(k + 1, env_keys[i], kl) == 0) {
				if (pg->env[i])
					return 1;
				if (!(pg->env[i] = json_loadb(v, (size_t)(ve - v), JSON_DECODE_ANY, NULL)))
					return 1;
			}
		}
		p = ws(ve, e);
		if (p < e && *p == ',') {
			p++;
			continue;
		}
		if (p < e && *p == '}')
			break;
		return 1;
	}
	if (ws(p + 1, e) != e || !ops || *ops != '[')
		return 1;
	size_t cap = 64;
	page_grow(pg, cap);
	p = ws(ops + 1, ops_end);
	if (p < ops_end && *p == ']')
		return ws(p + 1, ops_end) == ops_end ? 0 : 1;
	for (;;) {
		const char *v = ws(p, ops_end), *ve = skip_value(v, ops_end);
		if (!ve || v >= ops_end || *v != '{')
			return 1;
		if (pg->n == cap)
			page_grow(pg, cap *= 2);
		int err = page_op(pg, v, (size_t)(ve - v));
		if (err)
			return err;
		p = ws(ve, ops_end);
		if (p < ops_end && *p == ',') {
			p++;
			continue;
		}
		if (p < ops_end && *p == ']' && ws(p + 1, ops_end) == ops_end)
			return 0;
		return 1;
	}
}

/* Read a page: the fast scan, or jansson when the scan gives up. */
static int read_page(const char *body, size_t len, struct page *pg)
{
	int err = scan_page(body, len, pg);
	if (err != 1)
		return err;
	page_free(pg);
	if ((err = parse_object(body, len, "hub's pull page", &pg->tree)))
		return err;
	json_t *arr = json_object_get(pg->tree, "ops"), *v;
	size_t i;
	for (int k = 0; k < E_COUNT; k++)
		pg->env[k] = json_incref(json_object_get(pg->tree, env_keys[k]));
	if (!json_is_array(arr))
		return heph_error_set(HEPH_EINVALID, "hub sent a page without head, next, more and ops");
	page_grow(pg, json_array_size(arr) + 1);
	json_array_foreach(arr, i, v) {
		json_t *seq = json_object_get(v, "seq");
		pg->seq[i] = json_is_integer(seq) ? json_integer_value(seq) : -1;
		if ((err = heph_op_from_json(v, &pg->ops[i])))
			return heph_error_wrap(err, "hub sent an invalid op (ops[%zu]): ", i);
		pg->span[i] = NULL;
		pg->span_len[i] = 0;
		pg->n++;
	}
	return 0;
}

/* Check a page's envelope and its ops' order. */
static int check_page(const struct page *pg, int64_t after, const char **hub, int64_t *head, int64_t *next,
		      int *more)
{
	int64_t prev = after;
	int err;
	if ((err = check_protocol(pg->env[E_PROTOCOL], "spoke", "hub")))
		return heph_error_wrap(err, "hub: ");
	*hub = json_string_value(pg->env[E_HUB]);
	if (!*hub || !heph_origin_valid(*hub))
		return heph_error_set(HEPH_EINVALID, "hub sent a page without a valid hub id");
	if (!json_is_integer(pg->env[E_HEAD]) || !json_is_integer(pg->env[E_NEXT]) || !json_is_boolean(pg->env[E_MORE]))
		return heph_error_set(HEPH_EINVALID, "hub sent a page without head, next, more and ops");
	*head = json_integer_value(pg->env[E_HEAD]);
	*next = json_integer_value(pg->env[E_NEXT]);
	*more = json_is_true(pg->env[E_MORE]);
	if (*next < after)
		return heph_error_set(HEPH_EINVALID, "hub sent a page whose next (%lld) is before after (%lld)",
				      (long long)*next, (long long)after);
	for (size_t i = 0; i < pg->n; i++) {
		if (pg->seq[i] <= prev || pg->seq[i] > *next)
			return heph_error_set(HEPH_EINVALID, "hub sent ops[%zu] out of sequence", i);
		prev = pg->seq[i];
	}
	return 0;
}

int heph_sync_take_page(heph_store *s, int64_t after, const char *body, size_t len, heph_sync_page *out)
{
	struct page pg = { 0 };
	const char *hub = NULL;
	char *stored = NULL;
	int64_t head = 0, next = 0, cursor, before, now_max;
	int more = 0, err;
	memset(out, 0, sizeof *out);
	/* Everything is read and checked before the database is touched. */
	if ((err = read_page(body, len, &pg)) || (err = check_page(&pg, after, &hub, &head, &next, &more)))
		goto out;
	heph__cache_bulk(s);
	if ((err = heph_store_begin(s)))
		goto out;
	if ((err = state_get(s, "hub_id", &stored)) || (err = state_i64(s, "pull_cursor", &cursor)))
		goto fail;
	out->head = head;
	if (stored && strcmp(stored, hub) == 0 && after > cursor) {
		/* The cursor went back since this page was asked for (another
		 * process met a new or restored hub and started over): the page
		 * starts past ops we no longer hold as pulled. Take nothing; the
		 * next page is asked for from the cursor. */
		out->more = 1;
		out->next = cursor;
		goto commit;
	}
	if ((stored && strcmp(stored, hub) != 0) || head < after) {
		/* Another hub, or this hub lost ops we had pulled: start over. */
		if ((err = reset_cursors(s, hub)))
			goto fail;
		out->reset = 1;
		out->more = 1;
		goto commit;
	}
	if (!stored && (err = state_set(s, "hub_id", hub)))
		goto fail;
	/* how far the hub's clock is ahead of ours (a hub before "now" sends none) */
	if (json_is_integer(pg.env[E_NOW]) &&
	    (err = state_set_i64(s, "hub_skew_ms", json_integer_value(pg.env[E_NOW]) - heph_store_now_ms(s))))
		goto fail;
	/* who in the fleet applies the op types we do not know */
	if ((err = heph_fleet_keep_known_by(s, json_is_object(pg.env[E_KNOWN_BY]) ? pg.env[E_KNOWN_BY] : NULL)))
		goto fail;
	if ((err = max_seq(s, &before)))
		goto fail;
	for (size_t i = 0; i < pg.n; i++) {
		heph_op_status st;
		if ((err = heph__apply_op_text(s, &pg.ops[i], 0, pg.span[i], pg.span_len[i], &st))) {
			heph_error_wrap(err, "applying ops from the hub: ");
			goto fail;
		}
		if (st != HEPH_OP_DUPLICATE)
			out->added++;
	}
	if ((err = max_seq(s, &now_max)))
		goto fail;
	if (now_max > before && (err = add_pulled(s, before + 1, now_max)))
		goto fail;
	if (next > cursor && (err = state_set_i64(s, "pull_cursor", next)))
		goto fail;
	if ((err = normalise(s)))
		goto fail;
	out->next = next > cursor ? next : cursor;
	out->more = more;
	out->received = (int64_t)pg.n;
commit:
	err = heph_store_commit(s);
	goto out;
fail:
	heph_store_rollback(s);
out:
	free(stored);
	page_free(&pg);
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
	if ((err = read_begin(s, &own)))
		return err;
	if ((err = state_i64(s, "push_cursor", &pos)))
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
	read_end(s, own);
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
	if ((err = parse_object(response, len, "hub's push answer", &r)))
		return err;
	if ((err = check_protocol(json_object_get(r, "protocol"), "spoke", "hub"))) {
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
	if ((err = state_get(s, "hub_id", &stored)) || (err = state_i64(s, "push_cursor", &cursor)))
		goto fail;
	if (!stored || strcmp(stored, hub) != 0) {
		err = heph_error_set(HEPH_ECONFLICT, "the hub's id changed during sync (%s, now %s); the next sync "
				     "starts over", stored ? stored : "none", hub);
		goto fail;
	}
	/* The push covered (after_seq, last_seq]. When the cursor went back
	 * below after_seq meanwhile (another process met a new or restored hub
	 * and started over), moving it would skip what lies between: it stays,
	 * and the next push sends those ops (the hub keeps each op once). */
	if (cursor >= after_seq && last_seq > cursor && (err = state_set_i64(s, "push_cursor", last_seq)))
		goto fail;
	if ((err = normalise(s)))
		goto fail;
	err = heph_store_commit(s);
	goto out;
fail:
	heph_store_rollback(s);
out:
	free(stored);
	json_decref(r);
	return err;
}

int heph_sync_pending(heph_store *s, int64_t *count)
{
	int64_t cursor, total = 0, pulled = 0;
	int own, err, rc;
	*count = 0;
	if ((err = read_begin(s, &own)))
		return err;
	if ((err = state_i64(s, "push_cursor", &cursor)))
		goto out;
	sqlite3_stmt *st = heph__stmt(s, "SELECT count(*) FROM oplog WHERE seq > ?1");
	if (!st) {
		err = HEPH_ERROR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, cursor);
	rc = sqlite3_step(st);
	total = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW) {
		err = heph__sqlerr(s, rc, "counting ops");
		goto out;
	}
	if (!(st = heph__stmt(s, "SELECT coalesce(sum(last_seq - max(first_seq, ?1 + 1) + 1), 0) "
				 "FROM sync_pulled WHERE last_seq > ?1"))) {
		err = HEPH_ERROR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, cursor);
	rc = sqlite3_step(st);
	pulled = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		err = heph__sqlerr(s, rc, "counting ops");
	*count = total > pulled ? total - pulled : 0;
out:
	read_end(s, own);
	return err;
}

/* ---- status ---- */

static void iso_time(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int heph_sync_record(heph_store *s, int64_t started_ms, int err, const char *message, int64_t pulled,
		     int64_t pushed)
{
	char when[32];
	int e;
	iso_time(started_ms, when);
	if ((e = heph_store_begin(s)))
		return e;
	if ((e = state_set(s, "last_attempt", when)))
		goto fail;
	if (err == 0) {
		if ((e = state_set(s, "last_success", when)) || (e = state_set(s, "last_error", NULL)) ||
		    (e = state_set(s, "last_error_name", NULL)) || (e = state_set(s, "auth_failed", NULL)) ||
		    (e = state_set(s, "last_error_from", NULL)) ||
		    (e = state_set_i64(s, "last_pulled", pulled)) || (e = state_set_i64(s, "last_pushed", pushed)))
			goto fail;
	} else {
		if ((e = state_set(s, "last_error", message && *message ? message : heph_error_name(err))) ||
		    (e = state_set(s, "last_error_name", heph_error_name(err))) ||
		    (e = state_set(s, "auth_failed", err == HEPH_EAUTH || err == HEPH_EFORBIDDEN ? "1" : NULL)) ||
		    (e = state_set(s, "last_error_from", "hub")))
			goto fail;
	}
	return heph_store_commit(s);
fail:
	heph_store_rollback(s);
	return e;
}

int heph_sync_note_source(heph_store *s, const char *from)
{
	int e;
	if ((e = heph_store_begin(s)))
		return e;
	if ((e = state_set(s, "last_error_from", from))) {
		heph_store_rollback(s);
		return e;
	}
	return heph_store_commit(s);
}

static json_t *str_or_null(char *v)
{
	json_t *j = v ? json_string(v) : json_null();
	free(v);
	return j;
}

int heph_sync_status(heph_store *s, json_t **out)
{
	static const char *const keys[] = { "hub_id", "last_attempt", "last_success", "last_error", "last_error_name",
					    "last_error_from" };
	json_t *o = json_object();
	char *v = NULL;
	int64_t n;
	int own, err;
	*out = NULL;
	if ((err = read_begin(s, &own)))
		goto fail_nt;
	if ((err = heph_store_setting_get(s, HEPH_SETTING_HUB_URL, &v)))
		goto fail;
	json_object_set_new(o, "hub", str_or_null(v));
	if ((err = heph_store_setting_get(s, HEPH_SETTING_HUB_TOKEN_FILE, &v)))
		goto fail;
	json_object_set_new(o, "token_file", str_or_null(v));
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if ((err = state_get(s, keys[i], &v)))
			goto fail;
		json_object_set_new(o, keys[i], str_or_null(v));
	}
	if ((err = state_get(s, "auth_failed", &v)))
		goto fail;
	json_object_set_new(o, "auth_failed", json_boolean(v != NULL));
	free(v);
	if ((err = state_get(s, "hub_skew_ms", &v)))
		goto fail;
	json_object_set_new(o, "hub_skew_ms", v ? json_integer(strtoll(v, NULL, 10)) : json_null());
	free(v);
	if ((err = heph_sync_pending(s, &n)))
		goto fail;
	json_object_set_new(o, "pending_push", json_integer(n));
	sqlite3_stmt *st = heph__stmt(s, "SELECT count(*) FROM conflicts WHERE resolved = 0");
	if (!st) {
		err = HEPH_ERROR;
		goto fail;
	}
	n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	json_object_set_new(o, "conflicts", json_integer(n));
	{
		json_t *u = NULL;
		if ((err = heph_fleet_unapplied(s, &u)))
			goto fail;
		json_object_set_new(o, "unapplied", u);
	}
	static const char *const counters[] = { "pull_cursor", "push_cursor", "last_pulled", "last_pushed" };
	for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++) {
		if ((err = state_i64(s, counters[i], &n)))
			goto fail;
		json_object_set_new(o, counters[i], json_integer(n));
	}
	read_end(s, own);
	*out = o;
	return 0;
fail:
	read_end(s, own);
fail_nt:
	json_decref(o);
	return err;
}
