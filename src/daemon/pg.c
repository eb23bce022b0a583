/* pg.c — the hub's PostgreSQL store: owners, their op-logs, tokens, fleets
 * and kept answers in one database that any number of hephd instances
 * share, and on each instance a SQLite replica per owner for /rpc and the
 * web app (docs/explanation/postgresql-hub.md).
 *
 * Tables (created when missing, under an advisory lock so that instances
 * starting together do not race):
 *
 *   heph_meta     key, value              the store's id ("store_id")
 *   heph_owners   name, hub_id, head      one row per owner; head is the
 *                                         greatest seq given, and the row's
 *                                         lock orders the owner's pushes
 *   heph_ops      owner, seq, op_id, op   the op-log; op is the envelope's
 *                                         canonical text (heph_op_encode);
 *                                         (owner, seq) and (owner, op_id)
 *                                         are unique
 *   heph_tokens   hash, owner, name, …    device tokens: SHA-256 of the
 *                                         secret → owner
 *   heph_subjects sub, owner              identity-provider subjects → owner
 *   heph_devices  owner, origin, report…  the fleet: each device's report
 *   heph_idem     owner, principal, key…  answers kept by Idempotency-Key
 *
 * The invariant a pull relies on: an owner's seqs are given under the lock
 * of its heph_owners row, taken by SELECT … FOR UPDATE at the start of the
 * push's transaction and held to its commit. So seq n+1 is given only after
 * the transaction that gave n has committed (or rolled back, and then n is
 * given again): every snapshot sees exactly seqs 1..head of an owner, and a
 * pull that has read up to n can never later find a smaller seq appear.
 *
 * Every thread has its own connection (a thread-specific key); one that
 * fails is dropped and made again on the next call, so hephd recovers by
 * itself once PostgreSQL is back. Until then calls fail with HEPH_EUNAVAIL
 * (503 with Retry-After).
 */
#include "pg.h"
#include "pq_lazy.h"
#include "hephd.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "heph/buf.h"
#include "heph/error.h"
#include "heph/fleet.h"
#include "heph/hlc.h"
#include "heph/idem.h"
#include "heph/op.h"
#include "heph/store.h"
#include "heph/token.h"

#define SCHEMA_LOCK 0x68657068 /* the advisory lock the tables are made under ("heph") */
#define IDEM_ABANDONED_S 120   /* a claimed key with no answer this old was abandoned by a killed instance */
#define REPLICA_IDLE_MS (10 * 60 * 1000) /* a replica unused this long is closed */

/* One owner's replica on this instance, a file named by the owner's hub id
 * (an owner removed and added again is another owner, with another file). */
struct replica {
	char owner[PG_OWNER_MAX + 1];
	char hub[HEPH_ORIGIN_LEN + 1];
	heph_store *s;           /* open while in use; NULL once closed for idleness */
	pthread_mutex_t mu;      /* one request at a time works on it */
	int64_t used_ms;         /* last use (monotonic) */
	int64_t devices_ms;      /* the fleet copied from PostgreSQL up to this seen_ms */
	struct replica *next;
};

struct pg {
	char *url;
	pthread_t listener;      /* LISTEN heph_ops: pushes through other instances */
	int listening;           /* the listener runs */
	int stop_fd[2];          /* a pipe: written to stop the listener */
	void (*news)(void *);    /* called for each notification */
	void *news_arg;
	char *state_dir;         /* where replicas live, or NULL */
	char store_id[HEPH_ORIGIN_LEN + 1];
	pthread_key_t conn_key;  /* this thread's PGconn */
	pthread_mutex_t mu;      /* guards replicas */
	struct replica *replicas;
};

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS heph_meta (key text PRIMARY KEY, value text NOT NULL);"
	"INSERT INTO heph_meta VALUES ('store_id', substr(md5(random()::text || clock_timestamp()::text), 1, 16))"
	" ON CONFLICT (key) DO NOTHING;"
	"CREATE TABLE IF NOT EXISTS heph_owners (name text PRIMARY KEY, hub_id text NOT NULL UNIQUE,"
	" head bigint NOT NULL DEFAULT 0, created_at timestamptz NOT NULL DEFAULT now());"
	"CREATE TABLE IF NOT EXISTS heph_ops (owner text NOT NULL REFERENCES heph_owners ON DELETE CASCADE,"
	" seq bigint NOT NULL, op_id text NOT NULL, op text NOT NULL, PRIMARY KEY (owner, seq), UNIQUE (owner, op_id));"
	"CREATE TABLE IF NOT EXISTS heph_tokens (hash text PRIMARY KEY, owner text NOT NULL REFERENCES heph_owners"
	" ON DELETE CASCADE, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), revoked_at timestamptz);"
	"CREATE UNIQUE INDEX IF NOT EXISTS heph_tokens_live ON heph_tokens (owner, name) WHERE revoked_at IS NULL;"
	"CREATE TABLE IF NOT EXISTS heph_subjects (sub text PRIMARY KEY, owner text NOT NULL REFERENCES heph_owners"
	" ON DELETE CASCADE);"
	"CREATE TABLE IF NOT EXISTS heph_devices (owner text NOT NULL REFERENCES heph_owners ON DELETE CASCADE,"
	" origin text NOT NULL, token text, report text NOT NULL, seen_ms bigint NOT NULL, PRIMARY KEY (owner, origin));"
	"CREATE TABLE IF NOT EXISTS heph_idem (owner text NOT NULL REFERENCES heph_owners ON DELETE CASCADE,"
	" principal text NOT NULL, key text NOT NULL, request text NOT NULL, answer text,"
	" at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (owner, principal, key));";

static int64_t mono_ms(void) { return hephd_now_us(CLOCK_MONOTONIC) / 1000; }

static int64_t wall_ms(void) { return hephd_now_us(CLOCK_REALTIME) / 1000; }

int pg_url(const char *url)
{
	return url && (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0);
}

int pg_owner_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n < 1 || n > PG_OWNER_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* ---- connections ---- */

static void conn_free(void *c)
{
	PQfinish(c);
}

/* The message of a failed connection or result, one line. */
static const char *pq_message(PGconn *c, PGresult *r)
{
	const char *m = r ? PQresultErrorMessage(r) : NULL;
	if (!m || !*m)
		m = c ? PQerrorMessage(c) : "out of memory";
	return m;
}

/* The heph error for a failed result (or NULL: the call itself failed):
 * HEPH_EUNAVAIL when the connection is gone (it is dropped, to be made
 * again), else HEPH_ERROR. */
static int pq_fail(struct pg *p, PGconn *c, PGresult *r, const char *what)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	char msg[512];
	snprintf(msg, sizeof msg, "%s", pq_message(c, r));
	msg[strcspn(msg, "\n")] = '\0';
	int gone = !c || PQstatus(c) != CONNECTION_OK || (state && (strncmp(state, "08", 2) == 0 ||
								  strncmp(state, "57P", 3) == 0));
	if (r)
		PQclear(r);
	if (gone) {
		if (c) {
			PQfinish(c);
			pthread_setspecific(p->conn_key, NULL);
		}
		return heph_error_set(HEPH_EUNAVAIL, "the hub's database (PostgreSQL) cannot be reached (%s): %s", what,
				      msg);
	}
	return heph_error_set(HEPH_ERROR, "the hub's database (PostgreSQL) refused %s: %s", what, msg);
}

/* PostgreSQL's notices ("relation … already exists, skipping") are not
 * for hephd's log. */
static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* This thread's connection, made when it has none or lost it. */
static int conn(struct pg *p, PGconn **out)
{
	PGconn *c = pthread_getspecific(p->conn_key);
	*out = NULL;
	if (c && PQstatus(c) != CONNECTION_OK) {
		PQfinish(c);
		c = NULL;
		pthread_setspecific(p->conn_key, NULL);
	}
	if (!c) {
		c = PQconnectdb(p->url);
		if (!c || PQstatus(c) != CONNECTION_OK) {
			char msg[512];
			snprintf(msg, sizeof msg, "%s", pq_message(c, NULL));
			msg[strcspn(msg, "\n")] = '\0';
			PQfinish(c);
			return heph_error_set(HEPH_EUNAVAIL, "the hub's database (PostgreSQL) cannot be reached: %s", msg);
		}
		PQsetNoticeProcessor(c, quiet, NULL);
		pthread_setspecific(p->conn_key, c);
	}
	*out = c;
	return 0;
}

/* Run sql with n text parameters; *out the result when it has the status
 * want (PGRES_TUPLES_OK or PGRES_COMMAND_OK). */
static int q(struct pg *p, PGconn *c, const char *sql, int n, const char *const *params, ExecStatusType want,
	     const char *what, PGresult **out)
{
	int idle = PQtransactionStatus(c) == PQTRANS_IDLE;
	PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
	*out = NULL;
	if ((!r || PQresultStatus(r) != want) && idle && PQstatus(c) == CONNECTION_BAD) {
		/* A connection PostgreSQL dropped (a restart) shows only when
		 * used; outside a transaction the statement is simply sent
		 * again on a new one. */
		PQclear(r);
		PQreset(c);
		r = PQstatus(c) == CONNECTION_OK ? PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0) : NULL;
	}
	if (!r || PQresultStatus(r) != want)
		return pq_fail(p, c, r, what);
	*out = r;
	return 0;
}

/* A statement whose result is not needed. */
static int exec0(struct pg *p, PGconn *c, const char *sql, int n, const char *const *params, const char *what)
{
	PGresult *r;
	int err = q(p, c, sql, n, params, PGRES_COMMAND_OK, what, &r);
	PQclear(r);
	return err;
}

static void rollback(PGconn *c)
{
	if (PQtransactionStatus(c) != PQTRANS_IDLE)
		PQclear(PQexec(c, "ROLLBACK"));
}

int pg_open(const char *url, const char *state_dir, struct pg **out)
{
	struct pg *p = calloc(1, sizeof *p);
	PGconn *c;
	PGresult *r = NULL;
	int err;
	if (!p)
		abort();
	*out = NULL;
	if ((err = hephd_pq_load())) {
		free(p);
		return err;
	}
	p->url = strdup(url);
	p->state_dir = state_dir ? strdup(state_dir) : NULL;
	pthread_key_create(&p->conn_key, conn_free);
	pthread_mutex_init(&p->mu, NULL);
	if (p->state_dir && heph_mkdirs(p->state_dir) != 0 && errno != EEXIST) {
		err = heph_error_set(HEPH_ERROR, "cannot create the replica directory %s: %s", p->state_dir,
				     strerror(errno));
		goto out;
	}
	if (p->state_dir && mkdir(p->state_dir, 0700) != 0 && errno != EEXIST) {
		err = heph_error_set(HEPH_ERROR, "cannot create the replica directory %s: %s", p->state_dir,
				     strerror(errno));
		goto out;
	}
	if ((err = conn(p, &c)))
		goto out;
	/* The tables, once, whoever starts first. */
	char lock[64];
	snprintf(lock, sizeof lock, "SELECT pg_advisory_xact_lock(%d)", SCHEMA_LOCK);
	if ((err = exec0(p, c, "BEGIN", 0, NULL, "BEGIN")))
		goto out;
	if ((err = q(p, c, lock, 0, NULL, PGRES_TUPLES_OK, "the schema lock", &r)))
		goto out;
	PQclear(r);
	r = PQexec(c, schema_sql);
	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
		err = pq_fail(p, c, r, "making hephd's tables");
		r = NULL;
		goto out;
	}
	PQclear(r);
	if ((err = q(p, c, "SELECT value FROM heph_meta WHERE key = 'store_id'", 0, NULL, PGRES_TUPLES_OK,
		     "reading the store id", &r)))
		goto out;
	snprintf(p->store_id, sizeof p->store_id, "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	r = NULL;
	err = exec0(p, c, "COMMIT", 0, NULL, "COMMIT");
out:
	if (err) {
		if (pthread_getspecific(p->conn_key))
			rollback(pthread_getspecific(p->conn_key));
		pg_close(p);
		return err;
	}
	*out = p;
	return 0;
}

void pg_close(struct pg *p)
{
	if (!p)
		return;
	pg_listen_stop(p);
	struct replica *r = p->replicas, *n;
	for (; r; r = n) {
		n = r->next;
		heph_store_close(r->s);
		pthread_mutex_destroy(&r->mu);
		free(r);
	}
	PQfinish(pthread_getspecific(p->conn_key));
	pthread_setspecific(p->conn_key, NULL);
	pthread_key_delete(p->conn_key);
	pthread_mutex_destroy(&p->mu);
	free(p->url);
	free(p->state_dir);
	free(p);
}

const char *pg_store_id(struct pg *p)
{
	return p->store_id;
}

int pg_ping(struct pg *p)
{
	PGconn *c;
	PGresult *r;
	int err;
	if ((err = conn(p, &c)) || (err = q(p, c, "SELECT 1", 0, NULL, PGRES_TUPLES_OK, "a ping", &r)))
		return err;
	PQclear(r);
	return 0;
}

/* ---- credentials ---- */

int pg_authenticate(struct pg *p, const char *token, char owner[PG_OWNER_MAX + 1], char *name, size_t name_size)
{
	char hash[HEPH_TOKEN_HASH_LEN + 1];
	PGconn *c;
	PGresult *r;
	int err;
	owner[0] = '\0';
	/* The lookup is by the hash of a 256-bit random secret: its timing
	 * tells nothing about any live token. */
	heph_token_hash(token, hash);
	const char *params[] = { hash };
	if ((err = conn(p, &c)) ||
	    (err = q(p, c, "SELECT owner, name FROM heph_tokens WHERE hash = $1 AND revoked_at IS NULL", 1, params,
		     PGRES_TUPLES_OK, "a token check", &r)))
		return err;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return heph_error_set(HEPH_EAUTH, "invalid or revoked token");
	}
	snprintf(owner, PG_OWNER_MAX + 1, "%s", PQgetvalue(r, 0, 0));
	snprintf(name, name_size, "%s", PQgetvalue(r, 0, 1));
	PQclear(r);
	return 0;
}

int pg_subject_owner(struct pg *p, const char *sub, char owner[PG_OWNER_MAX + 1])
{
	PGconn *c;
	PGresult *r;
	int err;
	const char *params[] = { sub };
	owner[0] = '\0';
	if ((err = conn(p, &c)) || (err = q(p, c, "SELECT owner FROM heph_subjects WHERE sub = $1", 1, params,
					     PGRES_TUPLES_OK, "a subject lookup", &r)))
		return err;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return heph_error_set(HEPH_EFORBIDDEN, "this identity is not an owner of this hub; its operator can add "
						       "it with hephd owner add NAME --sub SUBJECT");
	}
	snprintf(owner, PG_OWNER_MAX + 1, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

/* ---- the fleet ---- */

/* Note a device's report in owner's fleet (within the caller's transaction
 * when one is open). */
static int note_device(struct pg *p, PGconn *c, const char *owner, const json_t *report, const char *token)
{
	const char *origin = json_string_value(json_object_get(report, "origin"));
	char *text, ms[32];
	int err;
	if (!origin)
		return 0;
	if (!(text = json_dumps(report, JSON_COMPACT | JSON_SORT_KEYS)))
		abort();
	snprintf(ms, sizeof ms, "%" PRId64, wall_ms());
	const char *params[] = { owner, origin, token, text, ms };
	/* A report as it was a minute ago is not written again. */
	err = exec0(p, c,
		    "INSERT INTO heph_devices (owner, origin, token, report, seen_ms) VALUES ($1, $2, $3, $4, $5) "
		    "ON CONFLICT (owner, origin) DO UPDATE SET token = EXCLUDED.token, report = EXCLUDED.report, "
		    "seen_ms = EXCLUDED.seen_ms WHERE heph_devices.report <> EXCLUDED.report "
		    "OR heph_devices.token IS DISTINCT FROM EXCLUDED.token OR heph_devices.seen_ms < EXCLUDED.seen_ms - 60000",
		    5, params, "noting a device");
	free(text);
	return err;
}

/* ---- pull ---- */

/* A pull page of owner's op-log after after, read in one statement (one
 * snapshot: head and the ops agree). HEPH_ENOTFOUND when the owner is
 * gone. */
static int page(struct pg *p, PGconn *c, const char *owner, int64_t after, int limit, char **out, size_t *len)
{
	char a[32], l[32];
	PGresult *r;
	heph_buf b = { 0 };
	int err;
	if (limit <= 0 || limit > HEPH_SYNC_PULL_LIMIT)
		limit = HEPH_SYNC_PULL_LIMIT;
	snprintf(a, sizeof a, "%" PRId64, after);
	snprintf(l, sizeof l, "%d", limit);
	const char *params[] = { owner, a, l };
	if ((err = q(p, c,
		     "SELECT o.hub_id, o.head, x.seq, x.op FROM heph_owners o LEFT JOIN LATERAL "
		     "(SELECT seq, op FROM heph_ops WHERE owner = o.name AND seq > $2::bigint ORDER BY seq "
		     "LIMIT $3::int) x ON true WHERE o.name = $1 ORDER BY x.seq",
		     3, params, PGRES_TUPLES_OK, "reading a pull page", &r)))
		return err;
	int n = PQntuples(r);
	if (n == 0) {
		PQclear(r);
		return heph_error_set(HEPH_ENOTFOUND, "owner %s does not exist on this hub", owner);
	}
	int64_t head = strtoll(PQgetvalue(r, 0, 1), NULL, 10), next = after;
	heph_buf_puts(&b, "{\"protocol\":");
	heph_buf_put_i64(&b, HEPH_SYNC_PROTOCOL);
	heph_buf_puts(&b, ",\"hub\":");
	heph_buf_put_jstr(&b, PQgetvalue(r, 0, 0));
	heph_buf_puts(&b, ",\"head\":");
	heph_buf_put_i64(&b, head);
	heph_buf_puts(&b, ",\"now\":");
	heph_buf_put_i64(&b, wall_ms());
	heph_buf_puts(&b, ",\"ops\":[");
	for (int i = 0, k = 0; i < n; i++) {
		if (PQgetisnull(r, i, 2))
			continue;
		const char *op = PQgetvalue(r, i, 3);
		if (op[0] != '{' || op[1] == '}') {
			PQclear(r);
			heph_buf_free(&b);
			return heph_error_set(HEPH_ERROR, "owner %s: op-log row %s is damaged", owner, PQgetvalue(r, i, 2));
		}
		if (k++)
			heph_buf_put(&b, ",", 1);
		heph_buf_puts(&b, "{\"seq\":");
		heph_buf_puts(&b, PQgetvalue(r, i, 2));
		heph_buf_put(&b, ",", 1);
		heph_buf_puts(&b, op + 1);
		next = strtoll(PQgetvalue(r, i, 2), NULL, 10);
		if (b.n >= HEPH_SYNC_PULL_BYTES)
			break;
	}
	PQclear(r);
	heph_buf_puts(&b, "],\"next\":");
	heph_buf_put_i64(&b, next);
	heph_buf_puts(&b, next < head ? ",\"more\":true}" : ",\"more\":false}");
	*out = b.p;
	*len = b.n;
	return 0;
}

int pg_pull(struct pg *p, const char *owner, int64_t after, int limit, const json_t *report, const char *token,
	    char **out, size_t *len)
{
	PGconn *c;
	int err;
	*out = NULL;
	*len = 0;
	if (after < 0)
		return heph_error_set(HEPH_EINVALID, "after must be 0 or more");
	if ((err = conn(p, &c)))
		return err;
	if (report && (err = note_device(p, c, owner, report, token)))
		return err;
	return page(p, c, owner, after, limit, out, len);
}

/* ---- push ---- */

/* Insert ops (a JSON array of canonical envelopes, text) into owner's log
 * in the open transaction, each op once: *taken the new ones, their seqs
 * following head. */
static const char insert_sql[] =
	"INSERT INTO heph_ops (owner, seq, op_id, op) "
	"SELECT $1, $2::bigint + row_number() OVER (ORDER BY ord), op_id, op FROM "
	"(SELECT DISTINCT ON (e->>'op_id') e->>'op_id' AS op_id, e::text AS op, ord "
	" FROM json_array_elements($3::json) WITH ORDINALITY AS t(e, ord) ORDER BY e->>'op_id', ord) n "
	"WHERE NOT EXISTS (SELECT 1 FROM heph_ops h WHERE h.owner = $1 AND h.op_id = n.op_id)";

/* The push answer (heph/sync.h). */
static char *push_answer(const char *hub, int64_t head, int64_t received, int64_t taken, int64_t unknown,
			 size_t *len)
{
	heph_buf b = { 0 };
	heph_buf_puts(&b, "{\"protocol\":");
	heph_buf_put_i64(&b, HEPH_SYNC_PROTOCOL);
	heph_buf_puts(&b, ",\"hub\":");
	heph_buf_put_jstr(&b, hub);
	heph_buf_puts(&b, ",\"head\":");
	heph_buf_put_i64(&b, head);
	heph_buf_puts(&b, ",\"received\":");
	heph_buf_put_i64(&b, received);
	heph_buf_puts(&b, ",\"applied\":");
	heph_buf_put_i64(&b, taken - unknown);
	heph_buf_puts(&b, ",\"deferred\":0,\"unknown\":");
	heph_buf_put_i64(&b, unknown);
	heph_buf_puts(&b, ",\"duplicate\":");
	heph_buf_put_i64(&b, received - taken);
	heph_buf_puts(&b, "}");
	*len = b.n;
	return b.p;
}

int pg_push(struct pg *p, const char *owner, const heph_sync_push *push, const char *token, char **out,
	    size_t *len)
{
	size_t n = heph_sync_push_count(push);
	int64_t now = wall_ms(), head, taken = 0, unknown = 0;
	heph_buf ops = { 0 };
	PGconn *c = NULL;
	PGresult *r = NULL;
	char hub[HEPH_ORIGIN_LEN + 1], h[32];
	int err;
	*out = NULL;
	*len = 0;
	/* What the SQLite hub checks when it applies: no clock too far
	 * ahead. The envelope and payloads were checked by the decode. */
	heph_buf_puts(&ops, "[");
	for (size_t i = 0; i < n; i++) {
		const heph_op *op = heph_sync_push_op(push, i);
		heph_hlc hlc;
		if ((err = heph_hlc_parse(op->hlc, &hlc))) {
			heph_error_wrap(err, "push: ops[%zu]: ", i);
			goto out;
		}
		if (hlc.ms > now + HEPH_HLC_DEFAULT_MAX_DRIFT_MS) {
			err = heph_error_set(HEPH_EFUTURE, "push: ops[%zu]: op clock is %" PRId64 " ms ahead of the hub "
					     "(limit %d ms); check the clock of device %s", i, hlc.ms - now,
					     HEPH_HLC_DEFAULT_MAX_DRIFT_MS, op->origin);
			goto out;
		}
		if (i)
			heph_buf_put(&ops, ",", 1);
		heph_op_put(&ops, op, -1, NULL);
	}
	heph_buf_puts(&ops, "]");
	if ((err = conn(p, &c)) || (err = exec0(p, c, "BEGIN", 0, NULL, "BEGIN")))
		goto out;
	const char *own[] = { owner };
	/* The owner's row lock, held to the commit: seqs become visible in
	 * order (the file's comment says why that matters). */
	if ((err = q(p, c, "SELECT hub_id, head FROM heph_owners WHERE name = $1 FOR UPDATE", 1, own,
		     PGRES_TUPLES_OK, "locking the owner's op-log", &r)))
		goto out;
	if (PQntuples(r) != 1) {
		err = heph_error_set(HEPH_EAUTH, "owner %s no longer exists on this hub", owner);
		goto out;
	}
	snprintf(hub, sizeof hub, "%s", PQgetvalue(r, 0, 0));
	head = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
	PQclear(r);
	r = NULL;
	if (n) {
		snprintf(h, sizeof h, "%" PRId64, head);
		const char *params[] = { owner, h, ops.p };
		if ((err = q(p, c, insert_sql, 3, params, PGRES_COMMAND_OK, "adding ops", &r)))
			goto out;
		taken = strtoll(PQcmdTuples(r), NULL, 10);
		PQclear(r);
		r = NULL;
	}
	if (taken) {
		head += taken;
		snprintf(h, sizeof h, "%" PRId64, head);
		const char *params[] = { owner, h };
		if ((err = exec0(p, c, "UPDATE heph_owners SET head = $2::bigint WHERE name = $1", 2, params,
				 "moving the head")) ||
		    (err = q(p, c, "SELECT pg_notify('heph_ops', $1)", 1, own, PGRES_TUPLES_OK, "notifying", &r)))
			goto out;
		PQclear(r);
		r = NULL;
	}
	if (heph_sync_push_report(push) && (err = note_device(p, c, owner, heph_sync_push_report(push), token)))
		goto out;
	if ((err = exec0(p, c, "COMMIT", 0, NULL, "COMMIT")))
		goto out;
	for (size_t i = 0; i < n; i++)
		unknown += !heph_op_type_known(heph_sync_push_op(push, i)->type);
	if (unknown > taken)
		unknown = taken;
	*out = push_answer(hub, head, (int64_t)n, taken, unknown, len);
out:
	if (r)
		PQclear(r);
	if (err && c && pthread_getspecific(p->conn_key) == c)
		rollback(c);
	heph_buf_free(&ops);
	return err;
}

/* ---- news from the other instances ---- */

/* The listener: one connection of its own that LISTENs to heph_ops (every
 * push that adds ops NOTIFYs it at its commit) and calls p->news for each
 * notification, so that pulls parked on this instance (live sync) answer
 * at once whichever instance took the push. A lost connection is made
 * again every second; meanwhile parked pulls answer at the end of their
 * wait, as without the listener. */
static void *listen_main(void *arg)
{
	struct pg *p = arg;
	PGconn *c = NULL;
	for (;;) {
		if (!c || PQstatus(c) != CONNECTION_OK) {
			PQfinish(c);
			c = PQconnectdb(p->url);
			PGresult *r = c && PQstatus(c) == CONNECTION_OK ? PQexec(c, "LISTEN heph_ops") : NULL;
			if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
				PQclear(r);
				PQfinish(c);
				c = NULL;
			} else {
				PQclear(r);
				p->news(p->news_arg); /* what came while it was away */
			}
		}
		struct pollfd f[2] = { { .fd = p->stop_fd[0], .events = POLLIN },
				       { .fd = c ? PQsocket(c) : -1, .events = POLLIN } };
		if (poll(f, 2, c ? -1 : 1000) < 0 && errno != EINTR)
			break;
		if (f[0].revents)
			break;
		if (c && f[1].revents) {
			int news = 0;
			PGnotify *n;
			if (!PQconsumeInput(c)) {
				PQfinish(c);
				c = NULL;
				continue;
			}
			while ((n = PQnotifies(c))) {
				news = 1;
				PQfreemem(n);
			}
			if (news)
				p->news(p->news_arg);
		}
	}
	PQfinish(c);
	return NULL;
}

int pg_listen_start(struct pg *p, void (*news)(void *), void *arg)
{
	p->news = news;
	p->news_arg = arg;
	if (pipe(p->stop_fd) != 0)
		return heph_error_set(HEPH_ERROR, "pipe: %s", strerror(errno));
	if (pthread_create(&p->listener, NULL, listen_main, p) != 0) {
		close(p->stop_fd[0]);
		close(p->stop_fd[1]);
		return heph_error_set(HEPH_ERROR, "cannot start the PostgreSQL listener thread");
	}
	p->listening = 1;
	return 0;
}

void pg_listen_stop(struct pg *p)
{
	if (!p || !p->listening)
		return;
	if (write(p->stop_fd[1], "x", 1) < 0)
		hephd_log("stopping the PostgreSQL listener: %s", strerror(errno));
	pthread_join(p->listener, NULL);
	close(p->stop_fd[0]);
	close(p->stop_fd[1]);
	p->listening = 0;
}

/* ---- the owners' replicas ---- */

/* owner's replica, opened (or made) when closed; locked for the caller. */
static int replica_get(struct pg *p, PGconn *c, const char *owner, struct replica **out)
{
	struct replica *r;
	PGresult *res;
	char hub[HEPH_ORIGIN_LEN + 1];
	int err = 0;
	*out = NULL;
	if (!p->state_dir)
		return heph_error_set(HEPH_ERROR, "no replica directory (--state-dir)");
	const char *params[] = { owner };
	if ((err = q(p, c, "SELECT hub_id FROM heph_owners WHERE name = $1", 1, params, PGRES_TUPLES_OK,
		     "finding the owner", &res)))
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return heph_error_set(HEPH_EAUTH, "owner %s no longer exists on this hub", owner);
	}
	snprintf(hub, sizeof hub, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (!heph_origin_valid(hub))
		return heph_error_set(HEPH_ERROR, "owner %s has a damaged hub id", owner);
	pthread_mutex_lock(&p->mu);
	for (r = p->replicas; r && strcmp(r->hub, hub) != 0; r = r->next)
		;
	if (!r) {
		if (!(r = calloc(1, sizeof *r)))
			abort();
		snprintf(r->owner, sizeof r->owner, "%s", owner);
		snprintf(r->hub, sizeof r->hub, "%s", hub);
		pthread_mutex_init(&r->mu, NULL);
		r->next = p->replicas;
		p->replicas = r;
	}
	/* Close the replicas nobody used lately (their files stay: the next
	 * use opens them again and catches up from where they were). */
	int64_t now = mono_ms();
	for (struct replica *o = p->replicas; o; o = o->next)
		if (o != r && o->s && now - o->used_ms > REPLICA_IDLE_MS && pthread_mutex_trylock(&o->mu) == 0) {
			heph_store_close(o->s);
			o->s = NULL;
			pthread_mutex_unlock(&o->mu);
		}
	pthread_mutex_unlock(&p->mu);
	pthread_mutex_lock(&r->mu);
	r->used_ms = mono_ms();
	if (!r->s) {
		char *path = NULL;
		if (asprintf(&path, "%s/%s.db", p->state_dir, hub) < 0)
			abort();
		err = heph_store_open(path, NULL, &r->s);
		free(path);
		r->devices_ms = 0;
	}
	if (err) {
		pthread_mutex_unlock(&r->mu);
		return err;
	}
	*out = r;
	return 0;
}

/* Catch the replica up with the owner's op-log and fleet. */
static int replica_catch_up(struct pg *p, PGconn *c, struct replica *r)
{
	int err;
	for (int round = 0; round < 100000; round++) {
		int64_t after;
		char *body = NULL;
		size_t len;
		heph_sync_page pg;
		if ((err = heph_sync_pull_cursor(r->s, &after)) || (err = page(p, c, r->owner, after, 0, &body, &len)))
			return err;
		err = heph_sync_take_page(r->s, after, body, len, &pg);
		free(body);
		if (err)
			return err;
		if (pg.reset) /* cannot be: the file is named by the hub id */
			return heph_error_set(HEPH_ERROR, "owner %s: the replica belongs to another op-log", r->owner);
		if (!pg.more)
			break;
	}
	/* the fleet, as devices reported to any instance */
	char ms[32];
	PGresult *res;
	snprintf(ms, sizeof ms, "%" PRId64, r->devices_ms);
	const char *params[] = { r->owner, ms };
	if ((err = q(p, c, "SELECT report, token, seen_ms FROM heph_devices WHERE owner = $1 AND seen_ms > $2::bigint "
			   "ORDER BY seen_ms", 2, params, PGRES_TUPLES_OK, "reading the fleet", &res)))
		return err;
	for (int i = 0; i < PQntuples(res) && !err; i++) {
		json_t *rep = json_loads(PQgetvalue(res, i, 0), 0, NULL);
		int64_t seen = strtoll(PQgetvalue(res, i, 2), NULL, 10);
		if (rep && heph_fleet_check(rep) == 0)
			err = heph_fleet_note(r->s, rep, PQgetisnull(res, i, 1) ? NULL : PQgetvalue(res, i, 1), seen);
		json_decref(rep);
		if (!err && seen > r->devices_ms)
			r->devices_ms = seen;
	}
	PQclear(res);
	return err;
}

/* Push what the replica made (a /rpc write) into the owner's op-log. */
static int replica_push(struct pg *p, struct replica *r)
{
	int err = 0;
	for (;;) {
		char *body = NULL, *answer = NULL;
		size_t len, alen;
		int count;
		int64_t after_seq, last_seq;
		heph_sync_push *push = NULL;
		if ((err = heph_sync_push_body(r->s, HEPH_SYNC_PUSH_LIMIT, HEPH_SYNC_PUSH_BYTES, &body, &len, &count,
					       &after_seq, &last_seq)) ||
		    count == 0)
			break;
		if (!(err = heph_sync_push_decode_from(body, len, NULL, &push)) &&
		    !(err = pg_push(p, r->owner, push, NULL, &answer, &alen)))
			err = heph_sync_pushed(r->s, answer, alen, after_seq, last_seq);
		heph_sync_push_free(push);
		free(body);
		free(answer);
		if (err)
			break;
	}
	return err;
}

/* ---- /rpc ---- */

/* Claim (owner, principal, key) for request, or find what it holds: *answer
 * the kept answer (a replay), or NULL when this call is to run it. */
static int idem_claim(struct pg *p, PGconn *c, const char *owner, const char *principal, const char *key,
		      const char *request, char **answer)
{
	PGresult *r;
	int err;
	char abandoned[32];
	snprintf(abandoned, sizeof abandoned, "%d seconds", IDEM_ABANDONED_S);
	const char *params[] = { owner, principal, key, request, abandoned };
	*answer = NULL;
	/* A new key is claimed; a claim a killed instance left behind is taken over. */
	if ((err = q(p, c,
		     "INSERT INTO heph_idem (owner, principal, key, request) VALUES ($1, $2, $3, $4) "
		     "ON CONFLICT (owner, principal, key) DO UPDATE SET at = now() "
		     "WHERE heph_idem.answer IS NULL AND heph_idem.request = EXCLUDED.request "
		     "AND heph_idem.at < now() - $5::interval RETURNING 1",
		     5, params, PGRES_TUPLES_OK, "claiming an Idempotency-Key", &r)))
		return err;
	int claimed = PQntuples(r) == 1;
	PQclear(r);
	if (claimed)
		return 0;
	if ((err = q(p, c, "SELECT request, answer FROM heph_idem WHERE owner = $1 AND principal = $2 AND key = $3", 3,
		     params, PGRES_TUPLES_OK, "reading an Idempotency-Key", &r)))
		return err;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return heph_error_set(HEPH_EUNAVAIL, "the request with this Idempotency-Key was just dropped; retry");
	}
	if (strcmp(PQgetvalue(r, 0, 0), request) != 0)
		err = heph_error_set(HEPH_ECONFLICT, "Idempotency-Key %s was used for another request", key);
	else if (PQgetisnull(r, 0, 1))
		err = heph_error_set(HEPH_EUNAVAIL, "the request with Idempotency-Key %s is running on another "
						    "instance of this hub; retry to get its answer", key);
	else if (!(*answer = strdup(PQgetvalue(r, 0, 1))))
		abort();
	PQclear(r);
	return err;
}

int pg_rpc(struct pg *p, const char *owner, const char *principal, const char *text, size_t len,
	   const char *idem_key, const heph_rpc_host *host, char **out, int *status)
{
	struct replica *rep = NULL;
	heph_rpc_env env = { .host = host, .remote = 1 };
	heph_rpc_request *req = heph_rpc_request_parse(text, len);
	char request[HEPH_TOKEN_HASH_LEN + 1];
	PGconn *c;
	int err, writes = heph_rpc_request_writes(req), kept = 0;
	const char *key = writes ? idem_key : NULL;
	*out = NULL;
	*status = 200;
	if ((err = conn(p, &c)) || (err = replica_get(p, c, owner, &rep)))
		goto out;
	/* A retry of a request this instance ran but whose ops did not reach
	 * PostgreSQL (it went away): the replica kept the answer; the ops go
	 * now, then the answer. */
	if (key && (err = heph_idem_get(rep->s, principal, key, text, len, out)))
		goto out;
	if (*out) {
		kept = 1;
		if ((err = replica_push(p, rep)))
			goto out;
		goto keep;
	}
	/* Whatever an earlier request left unpushed goes first. */
	if ((err = replica_catch_up(p, c, rep)) || (err = replica_push(p, rep)))
		goto out;
	if (key) {
		heph_token_hash(text, request); /* the request text's SHA-256: what the key is bound to */
		if ((err = idem_claim(p, c, owner, principal, key, request, out)))
			goto out;
		if (*out) {
			kept = 1;
			goto out;
		}
	}
	env.store = rep->s;
	*out = heph_rpc_request_run(&env, req, status);
	/* Kept in the replica first: should PostgreSQL be away now, a retry
	 * here is answered from it (above) rather than run again. */
	if (key && heph_idem_put(rep->s, principal, key, text, len, *out ? *out : ""))
		hephd_log("keeping the answer of Idempotency-Key %s: %s", key, heph_error_last());
	/* Read-your-writes on every instance: the new ops are in PostgreSQL
	 * before the answer. Should this fail, they stay in the replica and go
	 * with its next request. */
	if (writes && (err = replica_push(p, rep))) {
		free(*out);
		*out = NULL;
		goto out;
	}
keep:
	if (key) {
		const char *params[] = { owner, principal, key, *out ? *out : "" };
		if (exec0(p, c, "UPDATE heph_idem SET answer = $4, at = now() WHERE owner = $1 AND principal = $2 AND key = $3",
			  4, params, "keeping an answer"))
			hephd_log("keeping the answer of Idempotency-Key %s: %s", key, heph_error_last());
	}
out:
	if (rep)
		pthread_mutex_unlock(&rep->mu);
	if (kept && !err) {
		json_t *j = json_loads(*out, 0, NULL), *e = json_object_get(j, "error");
		if (json_is_object(j) && json_is_object(e))
			*status = heph_error_http_status(
				heph_error_from_rpc_code((int)json_integer_value(json_object_get(e, "code"))));
		json_decref(j);
		if (!**out) { /* a kept "nothing to answer" */
			free(*out);
			*out = NULL;
			*status = 204;
		}
	}
	if (err) {
		free(*out);
		*out = NULL;
	}
	heph_rpc_request_free(req);
	return err;
}

/* ---- admin ---- */

static int random_hex(char *out, size_t bytes)
{
	unsigned char b[64];
	if (bytes > sizeof b || getrandom(b, bytes, 0) != (ssize_t)bytes)
		return heph_error_set(HEPH_ERROR, "getrandom: %s", strerror(errno));
	for (size_t i = 0; i < bytes; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	return 0;
}

static int owner_check(const char *name)
{
	return pg_owner_name_ok(name) ? 0
				      : heph_error_set(HEPH_EUSAGE, "an owner's name is 1-%d of a-z 0-9 . _ -, not \"%s\"",
						       PG_OWNER_MAX, name ? name : "");
}

int pg_owner_add(struct pg *p, const char *name, char *const *subs, int nsubs)
{
	char hub[HEPH_ORIGIN_LEN + 1];
	PGconn *c;
	PGresult *r;
	int err;
	if ((err = owner_check(name)) || (err = random_hex(hub, HEPH_ORIGIN_LEN / 2)) || (err = conn(p, &c)) ||
	    (err = exec0(p, c, "BEGIN", 0, NULL, "BEGIN")))
		return err;
	const char *params[] = { name, hub };
	if ((err = q(p, c, "INSERT INTO heph_owners (name, hub_id) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", 2,
		     params, PGRES_COMMAND_OK, "adding an owner", &r)))
		goto out;
	int added = strcmp(PQcmdTuples(r), "1") == 0;
	PQclear(r);
	if (!added) {
		err = heph_error_set(HEPH_ECONFLICT, "owner %s exists already", name);
		goto out;
	}
	for (int i = 0; i < nsubs; i++) {
		const char *sp[] = { subs[i], name };
		if ((err = q(p, c, "INSERT INTO heph_subjects (sub, owner) VALUES ($1, $2) ON CONFLICT (sub) DO NOTHING",
			     2, sp, PGRES_COMMAND_OK, "adding a subject", &r)))
			goto out;
		added = strcmp(PQcmdTuples(r), "1") == 0;
		PQclear(r);
		if (!added) {
			err = heph_error_set(HEPH_ECONFLICT, "subject %s belongs to another owner already", subs[i]);
			goto out;
		}
	}
	err = exec0(p, c, "COMMIT", 0, NULL, "COMMIT");
out:
	if (err && pthread_getspecific(p->conn_key) == c)
		rollback(c);
	return err;
}

int pg_owner_remove(struct pg *p, const char *name)
{
	PGconn *c;
	PGresult *r;
	int err;
	const char *params[] = { name };
	if ((err = owner_check(name)) || (err = conn(p, &c)) ||
	    (err = q(p, c, "DELETE FROM heph_owners WHERE name = $1", 1, params, PGRES_COMMAND_OK, "removing an owner",
		     &r)))
		return err;
	int gone = strcmp(PQcmdTuples(r), "1") == 0;
	PQclear(r);
	return gone ? 0 : heph_error_set(HEPH_ENOTFOUND, "no owner %s", name);
}

/* Rows of r as JSON objects with these column names; numeric columns
 * (is_num[i]) as integers, NULLs as null. */
static json_t *rows_json(PGresult *r, const char *const *cols, const int *is_num, int ncols)
{
	json_t *a = json_array();
	for (int i = 0; i < PQntuples(r); i++) {
		json_t *o = json_object();
		for (int k = 0; k < ncols; k++) {
			json_t *v = PQgetisnull(r, i, k) ? json_null()
				    : is_num[k]	       ? json_integer(strtoll(PQgetvalue(r, i, k), NULL, 10))
						       : json_string(PQgetvalue(r, i, k));
			json_object_set_new(o, cols[k], v ? v : json_null());
		}
		json_array_append_new(a, o);
	}
	return a;
}

int pg_owner_list(struct pg *p, json_t **out)
{
	static const char *const cols[] = { "name", "hub", "head", "tokens", "created_at" };
	static const int num[] = { 0, 0, 1, 1, 0 };
	PGconn *c;
	PGresult *r;
	int err;
	*out = NULL;
	if ((err = conn(p, &c)) ||
	    (err = q(p, c,
		     "SELECT o.name, o.hub_id, o.head, (SELECT count(*) FROM heph_tokens t WHERE t.owner = o.name AND "
		     "t.revoked_at IS NULL), to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
		     "FROM heph_owners o ORDER BY o.name",
		     0, NULL, PGRES_TUPLES_OK, "listing owners", &r)))
		return err;
	*out = rows_json(r, cols, num, 5);
	PQclear(r);
	return 0;
}

int pg_token_create(struct pg *p, const char *owner, const char *name, char **token_out)
{
	char secret[65], tok[HEPH_TOKEN_LEN + 1], hash[HEPH_TOKEN_HASH_LEN + 1];
	PGconn *c;
	PGresult *r;
	int err;
	size_t n = name ? strlen(name) : 0;
	*token_out = NULL;
	for (size_t i = 0; i < n; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-", name[i]))
			n = 0;
	if (n < 1 || n > HEPH_TOKEN_NAME_MAX)
		return heph_error_set(HEPH_EUSAGE, "a token's name is 1-%d of A-Z a-z 0-9 . _ -, not \"%s\"",
				      HEPH_TOKEN_NAME_MAX, name ? name : "");
	if ((err = owner_check(owner)) || (err = random_hex(secret, 32)))
		return err;
	snprintf(tok, sizeof tok, "%s%s", HEPH_TOKEN_PREFIX, secret);
	heph_token_hash(tok, hash);
	const char *params[] = { hash, owner, name };
	if ((err = conn(p, &c)))
		return err;
	r = PQexecParams(c,
			 "INSERT INTO heph_tokens (hash, owner, name) SELECT $1, $2, $3 WHERE EXISTS "
			 "(SELECT 1 FROM heph_owners WHERE name = $2)",
			 3, NULL, params, NULL, NULL, 0);
	if (r && PQresultStatus(r) == PGRES_FATAL_ERROR && PQresultErrorField(r, PG_DIAG_SQLSTATE) &&
	    strcmp(PQresultErrorField(r, PG_DIAG_SQLSTATE), "23505") == 0) {
		PQclear(r);
		return heph_error_set(HEPH_ECONFLICT, "owner %s has a live token named %s already", owner, name);
	}
	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
		return pq_fail(p, c, r, "making a token");
	int made = strcmp(PQcmdTuples(r), "1") == 0;
	PQclear(r);
	if (!made)
		return heph_error_set(HEPH_ENOTFOUND, "no owner %s (hephd owner add %s)", owner, owner);
	if (!(*token_out = strdup(tok)))
		abort();
	return 0;
}

int pg_token_revoke(struct pg *p, const char *owner, const char *name)
{
	PGconn *c;
	PGresult *r;
	int err;
	const char *params[] = { owner, name };
	if ((err = owner_check(owner)) || (err = conn(p, &c)) ||
	    (err = q(p, c, "UPDATE heph_tokens SET revoked_at = now() WHERE owner = $1 AND name = $2 AND revoked_at IS NULL",
		     2, params, PGRES_COMMAND_OK, "revoking a token", &r)))
		return err;
	int done = strcmp(PQcmdTuples(r), "1") == 0;
	PQclear(r);
	return done ? 0 : heph_error_set(HEPH_ENOTFOUND, "owner %s has no live token named %s", owner, name);
}

int pg_token_list(struct pg *p, const char *owner, json_t **out)
{
	static const char *const cols[] = { "owner", "name", "created_at", "revoked_at" };
	static const int num[] = { 0, 0, 0, 0 };
	PGconn *c;
	PGresult *r;
	int err;
	const char *params[] = { owner };
	*out = NULL;
	if ((err = conn(p, &c)) ||
	    (err = q(p, c,
		     "SELECT owner, name, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
		     "to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM heph_tokens "
		     "WHERE $1::text IS NULL OR owner = $1 ORDER BY owner, created_at, name",
		     1, params, PGRES_TUPLES_OK, "listing tokens", &r)))
		return err;
	*out = rows_json(r, cols, num, 4);
	PQclear(r);
	return 0;
}

/* ---- moving a SQLite hub in ---- */

struct migration {
	struct pg *p;
	PGconn *c;
	const char *owner;
	heph_buf seqs, ops;  /* JSON arrays being filled */
	int64_t n, batch, head;
	int err;
};

static int migrate_flush(struct migration *m)
{
	if (!m->batch)
		return 0;
	heph_buf_puts(&m->seqs, "]");
	heph_buf_puts(&m->ops, "]");
	const char *params[] = { m->owner, m->seqs.p, m->ops.p };
	int err = exec0(m->p, m->c,
			"INSERT INTO heph_ops (owner, seq, op_id, op) SELECT $1, s::bigint, e->>'op_id', e::text FROM "
			"json_array_elements_text($2::json) WITH ORDINALITY AS a(s, i) JOIN "
			"json_array_elements($3::json) WITH ORDINALITY AS b(e, j) ON i = j",
			3, params, "copying ops");
	m->seqs.n = m->ops.n = 0;
	m->batch = 0;
	return err;
}

static int migrate_op(const heph_op *op, heph_op_status status, int64_t seq, void *ctx)
{
	struct migration *m = ctx;
	(void)status;
	heph_buf_puts(&m->seqs, m->batch ? "," : "[");
	heph_buf_put_i64(&m->seqs, seq);
	heph_buf_puts(&m->ops, m->batch ? "," : "[");
	heph_op_put(&m->ops, op, -1, NULL);
	m->batch++;
	m->n++;
	if (seq > m->head)
		m->head = seq;
	return m->batch >= 5000 ? migrate_flush(m) : 0;
}

int pg_migrate(struct pg *p, const char *db, const char *owner, int64_t *ops)
{
	heph_store *s = NULL;
	heph_store_opts o = { .no_create = 1 };
	struct migration m = { .p = p, .owner = owner };
	char head[32];
	int err;
	*ops = 0;
	if ((err = owner_check(owner)) || (err = heph_store_open(db, &o, &s)) || (err = conn(p, &m.c)) ||
	    (err = exec0(p, m.c, "BEGIN", 0, NULL, "BEGIN")))
		goto out;
	/* The owner takes the SQLite hub's id: its spokes' cursors stay good. */
	const char *params[] = { owner, heph_store_origin(s) };
	if ((err = exec0(p, m.c, "INSERT INTO heph_owners (name, hub_id) VALUES ($1, $2)", 2, params,
			 "adding the owner (it must be new)")))
		goto out;
	if ((err = heph_store_ops_foreach(s, 0, 0, migrate_op, &m)) || (err = migrate_flush(&m)))
		goto out;
	snprintf(head, sizeof head, "%" PRId64, m.head);
	const char *hp[] = { owner, head };
	if ((err = exec0(p, m.c, "UPDATE heph_owners SET head = $2::bigint WHERE name = $1", 2, hp, "setting the head")) ||
	    (err = exec0(p, m.c, "COMMIT", 0, NULL, "COMMIT")))
		goto out;
	*ops = m.n;
out:
	if (err && m.c && pthread_getspecific(p->conn_key) == m.c)
		rollback(m.c);
	heph_buf_free(&m.seqs);
	heph_buf_free(&m.ops);
	heph_store_close(s);
	return err;
}
