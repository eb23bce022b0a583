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
 *   heph_settings owner, key, value,      the owner's hub settings (SYNCED_SETTINGS:
 *                 lookup                  the calendar feed's secret hash and
 *                                         its alarms); lookup: the feed's
 *                                         secret hash, unique, what
 *                                         GET /calendar/SECRET.ics finds the
 *                                         owner by
 *
 * The invariant a pull relies on: an owner's seqs are given under the lock
 * of its heph_owners row, taken by SELECT … FOR UPDATE at the start of the
 * push's transaction and held to its commit. So seq n+1 is given only after
 * the transaction that gave n has committed (or rolled back, and then n is
 * given again): every snapshot sees exactly seqs 1..head of an owner, and a
 * pull that has read up to n can never later find a smaller seq appear.
 * A group of pushes (pg_push_group, from the committer thread) takes the
 * locks of all its owners in name order, then numbers every push's ops in
 * one statement: the same argument, one commit for the group.
 *
 * Every thread has its own connection (a thread-specific key); one that
 * fails is dropped and made again on the next call, so hephd recovers by
 * itself once PostgreSQL is back. Until then calls fail with HEPH_EUNAVAIL
 * (503 with Retry-After).
 */
#include "pg.h"
#include "pq_lazy.h"
#include "hephd.h"

#include <dirent.h>
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
	char *settings[2];       /* SYNCED_SETTINGS as last copied from PostgreSQL (NULL: none) */
	int settings_pulled;     /* settings[] holds them: what differs was changed here */
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
	pthread_mutex_t mu;      /* guards replicas and swept_ms */
	struct replica *replicas;
	int64_t swept_ms;        /* when replicas_sweep() last ran (monotonic) */
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
	" at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (owner, principal, key));"
	"CREATE INDEX IF NOT EXISTS heph_idem_age ON heph_idem (owner, at, principal, key);"
	"CREATE TABLE IF NOT EXISTS heph_settings (owner text NOT NULL REFERENCES heph_owners ON DELETE CASCADE,"
	" key text NOT NULL, value text NOT NULL, lookup text UNIQUE, PRIMARY KEY (owner, key));";

static int replicas_sweep(struct pg *p, PGconn *c);

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

/* sql with n text parameters, run as the connection's prepared statement
 * name when name is not NULL (outside a transaction only: it is prepared
 * when the connection does not have it yet, which PostgreSQL says by
 * failing the call), else parsed and planned for this call. */
static PGresult *run(PGconn *c, const char *name, const char *sql, int n, const char *const *params)
{
	if (!name)
		return PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
	PGresult *r = PQexecPrepared(c, name, n, params, NULL, NULL, 0);
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (state && strcmp(state, "26000") == 0) { /* invalid_sql_statement_name: not prepared here yet */
		PQclear(r);
		r = PQprepare(c, name, sql, n, NULL);
		if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
			return r;
		PQclear(r);
		r = PQexecPrepared(c, name, n, params, NULL, NULL, 0);
	}
	return r;
}

/* Run sql (prepared as name, when not NULL: see run()) with n text
 * parameters; *out the result when it has the status want
 * (PGRES_TUPLES_OK or PGRES_COMMAND_OK). */
static int qp(struct pg *p, PGconn *c, const char *name, const char *sql, int n, const char *const *params,
	      ExecStatusType want, const char *what, PGresult **out)
{
	int idle = PQtransactionStatus(c) == PQTRANS_IDLE;
	PGresult *r = run(c, name, sql, n, params);
	*out = NULL;
	if ((!r || PQresultStatus(r) != want) && idle && PQstatus(c) == CONNECTION_BAD) {
		/* A connection PostgreSQL dropped (a restart) shows only when
		 * used; outside a transaction the statement is simply sent
		 * again on a new one. */
		PQclear(r);
		PQreset(c);
		r = PQstatus(c) == CONNECTION_OK ? run(c, name, sql, n, params) : NULL;
	}
	if (!r || PQresultStatus(r) != want)
		return pq_fail(p, c, r, what);
	*out = r;
	return 0;
}

static int q(struct pg *p, PGconn *c, const char *sql, int n, const char *const *params, ExecStatusType want,
	     const char *what, PGresult **out)
{
	return qp(p, c, NULL, sql, n, params, want, what, out);
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
	if (!(err = exec0(p, c, "COMMIT", 0, NULL, "COMMIT")))
		err = replicas_sweep(p, c);
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
		for (size_t i = 0; i < sizeof r->settings / sizeof r->settings[0]; i++)
			free(r->settings[i]);
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
	    (err = qp(p, c, "heph_token", "SELECT owner, name FROM heph_tokens WHERE hash = $1 AND revoked_at IS NULL",
		      1, params, PGRES_TUPLES_OK, "a token check", &r)))
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
		return heph_error_set(HEPH_EFORBIDDEN, "identity %.255s belongs to no owner of this hub; its operator "
						       "can give it to one with hephd owner add NAME --sub %.255s", sub, sub);
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

/* push's ops as a JSON array of canonical envelopes in *ops, after what
 * the SQLite hub checks when it applies: no clock too far ahead of now
 * (the envelope and payloads were checked by the decode). */
static int push_check(const heph_sync_push *push, int64_t now)
{
	size_t n = heph_sync_push_count(push);
	int err;
	for (size_t i = 0; i < n; i++) {
		const heph_op *op = heph_sync_push_op(push, i);
		heph_hlc hlc;
		if ((err = heph_hlc_parse(op->hlc, &hlc)))
			return heph_error_wrap(err, "push: ops[%zu]: ", i);
		if (hlc.ms > now + HEPH_HLC_DEFAULT_MAX_DRIFT_MS)
			return heph_error_set(HEPH_EFUTURE, "push: ops[%zu]: op clock is %" PRId64 " ms ahead of the hub "
					      "(limit %d ms); check the clock of device %s", i, hlc.ms - now,
					      HEPH_HLC_DEFAULT_MAX_DRIFT_MS, op->origin);
	}
	return 0;
}

static int push_ops(const heph_sync_push *push, int64_t now, heph_buf *ops)
{
	size_t n = heph_sync_push_count(push);
	int err;
	if ((err = push_check(push, now)))
		return err;
	heph_buf_puts(ops, "[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			heph_buf_put(ops, ",", 1);
		heph_op_put(ops, heph_sync_push_op(push, i), -1, NULL);
	}
	heph_buf_puts(ops, "]");
	return 0;
}

/* The answer to push, taken new ops of it, the owner's op-log at head. */
static char *push_answer_for(const heph_sync_push *push, const char *hub, int64_t head, int64_t taken, size_t *len)
{
	size_t n = heph_sync_push_count(push);
	int64_t unknown = 0;
	for (size_t i = 0; i < n; i++)
		unknown += !heph_op_type_known(heph_sync_push_op(push, i)->type);
	if (unknown > taken)
		unknown = taken;
	return push_answer(hub, head, (int64_t)n, taken, unknown, len);
}

int pg_push(struct pg *p, const char *owner, const heph_sync_push *push, const char *token, char **out,
	    size_t *len)
{
	size_t n = heph_sync_push_count(push);
	int64_t head, taken = 0;
	heph_buf ops = { 0 };
	PGconn *c = NULL;
	PGresult *r = NULL;
	char hub[HEPH_ORIGIN_LEN + 1], h[32];
	int err;
	*out = NULL;
	*len = 0;
	if ((err = push_ops(push, wall_ms(), &ops)))
		goto out;
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
	*out = push_answer_for(push, hub, head, taken, len);
out:
	if (r)
		PQclear(r);
	if (err && c && pthread_getspecific(p->conn_key) == c)
		rollback(c);
	heph_buf_free(&ops);
	return err;
}

/* ---- a group of pushes ---- */

/* The group's owners ($1, a JSON array of names), locked in name order so
 * that instances locking overlapping groups cannot deadlock. */
static const char group_lock_sql[] =
	"SELECT name, hub_id, head FROM heph_owners WHERE name IN (SELECT json_array_elements_text($1::json)) "
	"ORDER BY name FOR UPDATE";

/* The group's new ops in one statement, under the owners' locks taken by the
 * statement before (so its snapshot sees every op those owners have). $1 to
 * $4 are arrays of one element per op, in push order then op order: the
 * push's index in the group, its owner, the op id and the op's canonical
 * text (arrays: no JSON to parse); $5 the owners the statement before
 * locked (an owner made again meanwhile under a locked name takes nothing). An op id already in the owner's log, or
 * earlier in the group, is a duplicate. Seqs follow each owner's head in
 * that order; the heads move and each owner with new ops is NOTIFYed once.
 * The rows: (push, NULL, ops taken) for each push that took any, (-1,
 * owner, new head) for each owner whose head moved. */
static const char group_insert_sql[] =
	"WITH x AS (SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[])"
	"  WITH ORDINALITY AS t(push, owner, op_id, op, ord)),"
	" f AS (SELECT n.* FROM (SELECT DISTINCT ON (owner, op_id) * FROM x ORDER BY owner, op_id, ord) n"
	"  JOIN heph_owners o ON o.name = n.owner AND o.name = ANY($5::text[])"
	"  WHERE NOT EXISTS (SELECT 1 FROM heph_ops h WHERE h.owner = n.owner AND h.op_id = n.op_id)),"
	" ins AS (INSERT INTO heph_ops (owner, seq, op_id, op)"
	"  SELECT f.owner, o.head + row_number() OVER (PARTITION BY f.owner ORDER BY f.ord), f.op_id, f.op"
	"  FROM f JOIN heph_owners o ON o.name = f.owner RETURNING owner),"
	" upd AS (UPDATE heph_owners o SET head = o.head + c.k"
	"  FROM (SELECT owner, count(*) AS k FROM ins GROUP BY owner) c WHERE o.name = c.owner RETURNING o.name, o.head)"
	" SELECT push, NULL::text, count(*) FROM f GROUP BY push"
	" UNION ALL SELECT -1, u.name, u.head FROM upd u, LATERAL pg_notify('heph_ops', u.name)";

/* The group's device reports ($1, a JSON array of [owner, origin, token,
 * report, seen_ms]; the last of a device wins), as note_device() notes one. */
static const char group_devices_sql[] =
	"INSERT INTO heph_devices (owner, origin, token, report, seen_ms)"
	" SELECT DISTINCT ON (e->>0, e->>1) e->>0, e->>1, e->>2, e->>3, (e->>4)::bigint"
	" FROM json_array_elements($1::json) WITH ORDINALITY AS t(e, i) ORDER BY e->>0, e->>1, i DESC "
	"ON CONFLICT (owner, origin) DO UPDATE SET token = EXCLUDED.token, report = EXCLUDED.report, "
	"seen_ms = EXCLUDED.seen_ms WHERE heph_devices.report <> EXCLUDED.report "
	"OR heph_devices.token IS DISTINCT FROM EXCLUDED.token OR heph_devices.seen_ms < EXCLUDED.seen_ms - 60000";

static void job_fail(struct pg_push_job *j, int err)
{
	j->err = err;
	snprintf(j->msg, sizeof j->msg, "%s", heph_error_last());
}

/* The row of r (rows of owners, name in column col) for owner, or -1. */
static int owner_row(PGresult *r, int col, const char *owner)
{
	for (int i = 0, n = PQntuples(r); i < n; i++)
		if (!PQgetisnull(r, i, col) && strcmp(PQgetvalue(r, i, col), owner) == 0)
			return i;
	return -1;
}

/* The text parameters of a group's statements, built push by push. */
struct group_in {
	heph_buf pushes, owners, ids, texts; /* group_insert_sql's $1 to $4: array literals, an element per op */
	heph_buf locks;                      /* group_lock_sql's $1: the owners, JSON */
	heph_buf locked;                     /* group_insert_sql's $5: the owners it locked, an array literal */
	heph_buf devices;                    /* group_devices_sql's $1: the reports, JSON */
	heph_buf op;                         /* scratch: one op's text */
	size_t npushes, nops, ndevices;      /* how many of each so far */
};

/* Append s (n bytes) to an array literal's text as one quoted element. */
static void put_element(heph_buf *b, const char *s, size_t n)
{
	heph_buf_put(b, "\"", 1);
	for (size_t i = 0, from = 0; i <= n; i++)
		if (i == n || s[i] == '"' || s[i] == '\\') {
			heph_buf_put(b, s + from, i - from);
			if (i < n)
				heph_buf_put(b, "\\", 1);
			from = i;
		}
	heph_buf_put(b, "\"", 1);
}

/* Add job (the group's push number i, checked) to g. */
static void group_add(struct group_in *g, const struct pg_push_job *j, size_t i, int64_t now)
{
	size_t k = heph_sync_push_count(j->push);
	heph_buf_puts(&g->locks, g->npushes++ ? "," : "[");
	heph_buf_put_jstr(&g->locks, j->owner);
	for (size_t o = 0; o < k; o++) {
		const heph_op *x = heph_sync_push_op(j->push, o);
		const char *sep = g->nops++ ? "," : "{";
		heph_buf_puts(&g->pushes, sep);
		heph_buf_puts(&g->owners, sep);
		heph_buf_puts(&g->ids, sep);
		heph_buf_puts(&g->texts, sep);
		heph_buf_put_i64(&g->pushes, (int64_t)i);
		put_element(&g->owners, j->owner, strlen(j->owner));
		put_element(&g->ids, x->op_id, strlen(x->op_id));
		g->op.n = 0;
		heph_op_put(&g->op, x, -1, NULL);
		put_element(&g->texts, g->op.p, g->op.n);
	}
	const json_t *report = heph_sync_push_report(j->push);
	const char *origin = json_string_value(json_object_get(report, "origin"));
	char *text;
	if (!origin)
		return;
	if (!(text = json_dumps(report, JSON_COMPACT | JSON_SORT_KEYS)))
		abort();
	heph_buf_puts(&g->devices, g->ndevices++ ? ",[" : "[[");
	heph_buf_put_jstr(&g->devices, j->owner);
	heph_buf_put(&g->devices, ",", 1);
	heph_buf_put_jstr(&g->devices, origin);
	heph_buf_put(&g->devices, ",", 1);
	if (j->token)
		heph_buf_put_jstr(&g->devices, j->token);
	else
		heph_buf_puts(&g->devices, "null");
	heph_buf_put(&g->devices, ",", 1);
	heph_buf_put_jstr(&g->devices, text);
	heph_buf_put(&g->devices, ",", 1);
	heph_buf_put_i64(&g->devices, now);
	heph_buf_puts(&g->devices, "]");
	free(text);
}

/* Close g's lists (after the last group_add). */
static void group_end(struct group_in *g)
{
	heph_buf_puts(&g->pushes, "}");
	heph_buf_puts(&g->owners, "}");
	heph_buf_puts(&g->ids, "}");
	heph_buf_puts(&g->texts, "}");
	heph_buf_puts(&g->locks, "]");
	heph_buf_puts(&g->devices, "]");
}

static void group_free(struct group_in *g)
{
	heph_buf_free(&g->pushes);
	heph_buf_free(&g->owners);
	heph_buf_free(&g->ids);
	heph_buf_free(&g->texts);
	heph_buf_free(&g->locks);
	heph_buf_free(&g->locked);
	heph_buf_free(&g->devices);
	heph_buf_free(&g->op);
}

void pg_push_group(struct pg *p, struct pg_push_job *jobs, size_t n)
{
	int64_t now = wall_ms();
	int64_t *taken = calloc(n ? n : 1, sizeof *taken);
	struct group_in g = { 0 };
	PGconn *c = NULL;
	PGresult *locked = NULL, *r = NULL;
	int err = 0;
	if (!taken)
		abort();
	for (size_t i = 0; i < n; i++) {
		struct pg_push_job *j = &jobs[i];
		j->err = 0;
		j->msg[0] = '\0';
		j->out = NULL;
		j->len = 0;
		if ((err = push_check(j->push, now)))
			job_fail(j, err);
		else
			group_add(&g, j, i, now);
	}
	group_end(&g);
	if (!g.npushes)
		goto out;
	const char *lock_params[] = { g.locks.p }, *device_params[] = { g.devices.p };
	if ((err = conn(p, &c)) || (err = exec0(p, c, "BEGIN", 0, NULL, "BEGIN")) ||
	    (err = q(p, c, group_lock_sql, 1, lock_params, PGRES_TUPLES_OK, "locking the owners' op-logs", &locked)))
		goto failed;
	for (int i = 0, rows = PQntuples(locked); i < rows; i++) {
		heph_buf_puts(&g.locked, i ? "," : "{");
		put_element(&g.locked, PQgetvalue(locked, i, 0), strlen(PQgetvalue(locked, i, 0)));
	}
	heph_buf_puts(&g.locked, PQntuples(locked) ? "}" : "{}");
	const char *insert_params[] = { g.pushes.p, g.owners.p, g.ids.p, g.texts.p, g.locked.p };
	if (g.nops) {
		if ((err = q(p, c, group_insert_sql, 5, insert_params, PGRES_TUPLES_OK, "adding ops", &r)))
			goto failed;
		for (int i = 0, rows = PQntuples(r); i < rows; i++) {
			long k = strtol(PQgetvalue(r, i, 0), NULL, 10);
			if (k >= 0 && (size_t)k < n)
				taken[k] = strtoll(PQgetvalue(r, i, 2), NULL, 10);
		}
	}
	if (g.ndevices && (err = exec0(p, c, group_devices_sql, 1, device_params, "noting devices")))
		goto failed;
	if ((err = exec0(p, c, "COMMIT", 0, NULL, "COMMIT")))
		goto failed;
	for (size_t i = 0; i < n; i++) {
		struct pg_push_job *j = &jobs[i];
		int at = j->err ? -1 : owner_row(locked, 0, j->owner), moved;
		if (j->err)
			continue;
		if (at < 0) {
			job_fail(j, heph_error_set(HEPH_EAUTH, "owner %s no longer exists on this hub", j->owner));
			continue;
		}
		/* the owner's head after the group, as a pull now sees it */
		moved = r ? owner_row(r, 1, j->owner) : -1;
		int64_t head = strtoll(moved >= 0 ? PQgetvalue(r, moved, 2) : PQgetvalue(locked, at, 2), NULL, 10);
		j->out = push_answer_for(j->push, PQgetvalue(locked, at, 1), head, taken[i], &j->len);
	}
	goto out;
failed:
	if (c && pthread_getspecific(p->conn_key) == c)
		rollback(c);
	for (size_t i = 0; i < n; i++) {
		struct pg_push_job *j = &jobs[i];
		if (j->err)
			continue;
		/* PostgreSQL gone: every push fails alike (503). Else some push
		 * made the statement fail: each is taken alone, and fails alone. */
		if (err == HEPH_EUNAVAIL)
			job_fail(j, err);
		else if ((j->err = pg_push(p, j->owner, j->push, j->token, &j->out, &j->len)))
			snprintf(j->msg, sizeof j->msg, "%s", heph_error_last());
	}
out:
	PQclear(locked);
	PQclear(r);
	group_free(&g);
	free(taken);
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

/* Delete the replica file of hub id hub (with its journal files). */
static void replica_unlink(struct pg *p, const char *hub)
{
	static const char *const ext[] = { ".db", ".db-wal", ".db-shm", ".db-journal" };
	for (size_t i = 0; i < sizeof ext / sizeof *ext; i++) {
		char *path = NULL;
		if (asprintf(&path, "%s/%s%s", p->state_dir, hub, ext[i]) < 0)
			abort();
		if (unlink(path) != 0 && errno != ENOENT)
			hephd_log("deleting %s: %s", path, strerror(errno));
		free(path);
	}
}

/* Retire a replica of an owner that was removed (under p->mu): its store is
 * closed and its file deleted, and it matches no owner again. One that a
 * request holds is left to the next sweep. */
static void replica_retire(struct pg *p, struct replica *r)
{
	if (!r->hub[0] || pthread_mutex_trylock(&r->mu) != 0)
		return;
	heph_store_close(r->s);
	r->s = NULL;
	replica_unlink(p, r->hub);
	hephd_log("owner %s (hub %s) is gone: its replica on this instance was deleted", r->owner, r->hub);
	r->hub[0] = r->owner[0] = '\0';
	pthread_mutex_unlock(&r->mu);
}

/* Whether hub is one of the hub ids in r (a result of SELECT hub_id). */
static int hub_listed(PGresult *r, const char *hub)
{
	for (int i = 0; i < PQntuples(r); i++)
		if (strcmp(PQgetvalue(r, i, 0), hub) == 0)
			return 1;
	return 0;
}

/* Delete the replicas whose owner no longer exists (removed while this
 * instance was down, or through another instance): at start, and then at
 * most every REPLICA_IDLE_MS from a request. A replica made after the
 * owners were read is in p->replicas before its file exists (replica_get),
 * so it is left alone. */
static int replicas_sweep(struct pg *p, PGconn *c)
{
	PGresult *r;
	DIR *dir;
	struct dirent *e;
	int err;
	if (!p->state_dir)
		return 0;
	if ((err = q(p, c, "SELECT hub_id FROM heph_owners", 0, NULL, PGRES_TUPLES_OK, "listing the owners", &r)))
		return err;
	pthread_mutex_lock(&p->mu);
	p->swept_ms = mono_ms();
	for (struct replica *o = p->replicas; o; o = o->next)
		if (o->hub[0] && !hub_listed(r, o->hub))
			replica_retire(p, o);
	if (!(dir = opendir(p->state_dir))) {
		pthread_mutex_unlock(&p->mu);
		PQclear(r);
		return heph_error_set(HEPH_ERROR, "cannot read the replica directory %s: %s", p->state_dir,
				      strerror(errno));
	}
	while ((e = readdir(dir))) {
		char hub[HEPH_ORIGIN_LEN + 1];
		size_t n = strlen(e->d_name);
		int known = 0;
		if (n != HEPH_ORIGIN_LEN + 3 || strcmp(e->d_name + HEPH_ORIGIN_LEN, ".db") != 0)
			continue;
		snprintf(hub, sizeof hub, "%.*s", HEPH_ORIGIN_LEN, e->d_name);
		if (!heph_origin_valid(hub) || hub_listed(r, hub))
			continue;
		for (struct replica *o = p->replicas; o && !known; o = o->next)
			known = strcmp(o->hub, hub) == 0;
		if (!known) {
			replica_unlink(p, hub);
			hephd_log("deleted the replica of hub %s: no owner has it any more", hub);
		}
	}
	closedir(dir);
	pthread_mutex_unlock(&p->mu);
	PQclear(r);
	return 0;
}

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
	pthread_mutex_lock(&p->mu);
	int sweep = mono_ms() - p->swept_ms > REPLICA_IDLE_MS;
	pthread_mutex_unlock(&p->mu);
	if ((sweep && (err = replicas_sweep(p, c))) ||
	    (err = q(p, c, "SELECT hub_id FROM heph_owners WHERE name = $1", 1, params, PGRES_TUPLES_OK,
		     "finding the owner", &res)))
		return err;
	hub[0] = '\0';
	if (PQntuples(res) == 1)
		snprintf(hub, sizeof hub, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	pthread_mutex_lock(&p->mu);
	/* A replica of this owner's name under another hub id (or any, when
	 * the owner is gone) belongs to an owner that was removed. */
	for (r = p->replicas; r; r = r->next)
		if (strcmp(r->owner, owner) == 0 && strcmp(r->hub, hub) != 0)
			replica_retire(p, r);
	if (!hub[0]) {
		pthread_mutex_unlock(&p->mu);
		return heph_error_set(HEPH_EAUTH, "owner %s no longer exists on this hub", owner);
	}
	if (!heph_origin_valid(hub)) {
		pthread_mutex_unlock(&p->mu);
		return heph_error_set(HEPH_ERROR, "owner %s has a damaged hub id", owner);
	}
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
	if (!r->hub[0]) { /* retired meanwhile: the owner was removed and added again */
		pthread_mutex_unlock(&r->mu);
		return heph_error_set(HEPH_EUNAVAIL, "owner %s was just replaced on this hub; retry", owner);
	}
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

static int settings_pull(struct pg *p, PGconn *c, struct replica *r);
static int settings_push(struct pg *p, PGconn *c, struct replica *r);

/* Catch the replica up with the owner's op-log, fleet and hub settings. */
static int replica_catch_up(struct pg *p, PGconn *c, struct replica *r)
{
	int err;
	if ((err = settings_pull(p, c, r)))
		return err;
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

/* Push what the replica made (a /rpc write) into the owner's op-log, and
 * the hub settings it changed into heph_settings. */
static int replica_push(struct pg *p, struct replica *r)
{
	PGconn *c;
	int err;
	if ((err = conn(p, &c)) || (err = settings_push(p, c, r)))
		return err;
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

/* Drop owner's kept answers beyond the newest HEPH_IDEM_KEEP, the SQLite
 * hub's rule (heph/idem.h) applied to each owner: a key is answered again
 * for as long as that many newer ones have not followed it. */
static int idem_prune(struct pg *p, PGconn *c, const char *owner)
{
	char keep[32];
	snprintf(keep, sizeof keep, "%d", HEPH_IDEM_KEEP);
	const char *params[] = { owner, keep };
	return exec0(p, c,
		     "DELETE FROM heph_idem WHERE owner = $1 AND (at, principal, key) < (SELECT at, principal, key "
		     "FROM heph_idem WHERE owner = $1 ORDER BY at DESC, principal DESC, key DESC OFFSET $2::int - 1 LIMIT 1)",
		     2, params, "dropping old kept answers");
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
			  4, params, "keeping an answer") ||
		    idem_prune(p, c, owner))
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

/* The SQLite hub's device tokens (their hashes: the secrets were never
 * kept) into owner, in the open transaction: its spokes keep their tokens.
 * *n the tokens moved, live or revoked. */
static int migrate_tokens(struct pg *p, PGconn *c, heph_store *s, const char *owner, int64_t *n)
{
	json_t *rows = NULL;
	char *text;
	PGresult *r;
	int err;
	*n = 0;
	if ((err = heph_token_export(s, &rows)))
		return err;
	if (!(text = json_dumps(rows, JSON_COMPACT)))
		abort();
	const char *params[] = { owner, text };
	r = PQexecParams(c,
			 "INSERT INTO heph_tokens (hash, owner, name, created_at, revoked_at) SELECT t.hash, $1, t.name, "
			 "t.created_at::timestamptz, t.revoked_at::timestamptz FROM json_to_recordset($2::json) "
			 "AS t(name text, hash text, created_at text, revoked_at text)",
			 2, NULL, params, NULL, NULL, 0);
	free(text);
	json_decref(rows);
	if (r && PQresultStatus(r) == PGRES_FATAL_ERROR && PQresultErrorField(r, PG_DIAG_SQLSTATE) &&
	    strcmp(PQresultErrorField(r, PG_DIAG_SQLSTATE), "23505") == 0) {
		PQclear(r);
		return heph_error_set(HEPH_ECONFLICT, "a device token of this hub is in the PostgreSQL store already "
						      "(was the hub moved in before, into another owner?)");
	}
	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
		return pq_fail(p, c, r, "copying the device tokens");
	*n = strtoll(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return 0;
}

/* The SQLite hub's fleet (the devices that reported to it) into owner, in
 * the open transaction, as reports like those a spoke sends. */
static int migrate_devices(struct pg *p, PGconn *c, heph_store *s, const char *owner)
{
	static const char *const fields[] = { "origin", "name", "version", "level", "schema", "protocol",
					      "op_types", "unapplied", "deferred" };
	json_t *list = NULL, *rows = json_array(), *dev;
	size_t i;
	int err;
	if ((err = heph_fleet_list(s, &list))) {
		json_decref(rows);
		return err;
	}
	json_array_foreach(list, i, dev) {
		const char *role = json_string_value(json_object_get(dev, "role"));
		json_t *report = json_object();
		if (!role || strcmp(role, "spoke") != 0) { /* the hub itself */
			json_decref(report);
			continue;
		}
		for (size_t k = 0; k < sizeof fields / sizeof *fields; k++) {
			json_t *v = json_object_get(dev, fields[k]);
			if (v && !json_is_null(v))
				json_object_set(report, fields[k], v);
		}
		char *text = json_dumps(report, JSON_COMPACT | JSON_SORT_KEYS);
		if (!text)
			abort();
		json_array_append_new(rows, json_pack("{s:O, s:O, s:s, s:O}", "origin", json_object_get(dev, "origin"),
						      "token", json_object_get(dev, "token"), "report", text,
						      "seen_ms", json_object_get(dev, "last_seen_ms")));
		free(text);
		json_decref(report);
	}
	json_decref(list);
	char *text = json_dumps(rows, JSON_COMPACT);
	json_decref(rows);
	if (!text)
		abort();
	const char *params[] = { owner, text };
	err = exec0(p, c,
		    "INSERT INTO heph_devices (owner, origin, token, report, seen_ms) SELECT $1, d.origin, d.token, "
		    "d.report, d.seen_ms FROM json_to_recordset($2::json) AS d(origin text, token text, report text, "
		    "seen_ms bigint)",
		    2, params, "copying the fleet");
	free(text);
	return err;
}

int pg_migrate(struct pg *p, const char *db, const char *owner, int64_t *ops, int64_t *tokens)
{
	heph_store *s = NULL;
	heph_store_opts o = { .no_create = 1 };
	struct migration m = { .p = p, .owner = owner };
	char head[32];
	int err;
	*ops = *tokens = 0;
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
	    (err = migrate_tokens(p, m.c, s, owner, tokens)) || (err = migrate_devices(p, m.c, s, owner)) ||
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

/* ---- what the SQLite hub serves too: hub settings, snapshots, the
 * calendar feed ----
 *
 * The SQLite hub keeps its calendar feed's secret hash and alarm settings
 * in its database's device-local settings. Here they are the owner's, in
 * heph_settings: each replica takes them before a request (settings_pull)
 * and gives back what the request changed (settings_push, with the ops), so
 * that calendar.url, calendar.revoke and calendar.alarms act on every
 * instance at once, and GET /calendar/SECRET.ics finds the owner by the
 * secret's hash on any instance. */

static const char *const SYNCED_SETTINGS[] = { "calendar.feed", "calendar.alarms" };
#define NSYNCED (sizeof SYNCED_SETTINGS / sizeof SYNCED_SETTINGS[0])

/* What heph_settings.lookup holds for a setting's value: the calendar
 * feed's secret hash (malloc'd), or NULL. */
static char *lookup_of(const char *key, const char *value)
{
	char *out = NULL;
	if (strcmp(key, "calendar.feed") != 0 || !value)
		return NULL;
	json_t *j = json_loads(value, 0, NULL);
	const char *h = json_string_value(json_object_get(j, "hash"));
	if (h && !(out = strdup(h)))
		abort();
	json_decref(j);
	return out;
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The owner's hub settings into the replica (those PostgreSQL lacks
 * removed), and into r->settings. */
static int settings_pull(struct pg *p, PGconn *c, struct replica *r)
{
	PGresult *res;
	char *now[NSYNCED] = { 0 };
	int err;
	const char *params[] = { r->owner };
	if ((err = q(p, c, "SELECT key, value FROM heph_settings WHERE owner = $1", 1, params, PGRES_TUPLES_OK,
		     "reading the owner's settings", &res)))
		return err;
	for (int i = 0; i < PQntuples(res); i++)
		for (size_t k = 0; k < NSYNCED; k++)
			if (strcmp(PQgetvalue(res, i, 0), SYNCED_SETTINGS[k]) == 0 && !(now[k] = strdup(PQgetvalue(res, i, 1))))
				abort();
	PQclear(res);
	for (size_t k = 0; k < NSYNCED && !err; k++) {
		char *have = NULL;
		if (!(err = heph_store_setting_get(r->s, SYNCED_SETTINGS[k], &have)) && !same(have, now[k]))
			err = heph_store_setting_set(r->s, SYNCED_SETTINGS[k], now[k]);
		free(have);
	}
	for (size_t k = 0; k < NSYNCED; k++) {
		free(r->settings[k]);
		r->settings[k] = now[k];
	}
	r->settings_pulled = !err;
	return err;
}

/* The hub settings a request changed in the replica into heph_settings. */
static int settings_push(struct pg *p, PGconn *c, struct replica *r)
{
	int err = 0;
	if (!r->settings_pulled) /* nothing to compare with: the replica's may be stale */
		return 0;
	for (size_t k = 0; k < NSYNCED && !err; k++) {
		char *have = NULL, *lookup;
		if ((err = heph_store_setting_get(r->s, SYNCED_SETTINGS[k], &have)) || same(have, r->settings[k])) {
			free(have);
			continue;
		}
		lookup = lookup_of(SYNCED_SETTINGS[k], have);
		const char *params[] = { r->owner, SYNCED_SETTINGS[k], have, lookup };
		if (have)
			err = exec0(p, c,
				    "INSERT INTO heph_settings (owner, key, value, lookup) VALUES ($1, $2, $3, $4) "
				    "ON CONFLICT (owner, key) DO UPDATE SET value = EXCLUDED.value, lookup = EXCLUDED.lookup",
				    4, params, "keeping the owner's settings");
		else
			err = exec0(p, c, "DELETE FROM heph_settings WHERE owner = $1 AND key = $2", 2, params,
				    "keeping the owner's settings");
		free(lookup);
		if (!err) {
			free(r->settings[k]);
			r->settings[k] = have;
		} else {
			free(have);
		}
	}
	return err;
}

int pg_owner_head(struct pg *p, const char *owner, int64_t *head, char hub[HEPH_ORIGIN_LEN + 1])
{
	PGconn *c;
	PGresult *r;
	int err;
	*head = 0;
	hub[0] = '\0';
	const char *params[] = { owner };
	if ((err = conn(p, &c)) ||
	    (err = q(p, c, "SELECT head, hub_id FROM heph_owners WHERE name = $1", 1, params, PGRES_TUPLES_OK,
		     "reading the owner's head", &r)))
		return err;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return heph_error_set(HEPH_EAUTH, "owner %s no longer exists on this hub", owner);
	}
	*head = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	snprintf(hub, HEPH_ORIGIN_LEN + 1, "%s", PQgetvalue(r, 0, 1));
	PQclear(r);
	if (!heph_origin_valid(hub))
		return heph_error_set(HEPH_ERROR, "owner %s has a damaged hub id", owner);
	return 0;
}

int pg_replica_do(struct pg *p, const char *owner, int (*fn)(heph_store *s, const char *hub, void *arg), void *arg)
{
	struct replica *rep = NULL;
	PGconn *c;
	int err;
	/* its own ops pushed first, so that it then holds exactly the
	 * owner's op-log up to its pull cursor */
	if ((err = conn(p, &c)) || (err = replica_get(p, c, owner, &rep)))
		return err;
	if (!(err = replica_catch_up(p, c, rep)) && !(err = replica_push(p, rep)) &&
	    !(err = replica_catch_up(p, c, rep)))
		err = fn(rep->s, rep->hub, arg);
	pthread_mutex_unlock(&rep->mu);
	return err;
}

int pg_calendar_owner(struct pg *p, const char *secret, char owner[PG_OWNER_MAX + 1])
{
	char hash[HEPH_TOKEN_HASH_LEN + 1];
	PGconn *c;
	PGresult *r;
	int err;
	owner[0] = '\0';
	heph_token_hash(secret, hash);
	const char *params[] = { hash };
	if ((err = conn(p, &c)) ||
	    (err = q(p, c, "SELECT owner FROM heph_settings WHERE key = 'calendar.feed' AND lookup = $1", 1, params,
		     PGRES_TUPLES_OK, "finding a calendar", &r)))
		return err;
	if (PQntuples(r) == 1)
		snprintf(owner, PG_OWNER_MAX + 1, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return owner[0] ? 0 : heph_error_set(HEPH_ENOTFOUND, "no such calendar");
}
