/* commit.c — the hub's group commit: one thread applies the pushes.
 *
 * A push is decoded and checked on the pool thread it arrived on, which
 * then queues it here and suspends its connection (libmicrohttpd's
 * suspend/resume) instead of waiting: the pool thread goes back to its other
 * connections. One committer thread takes everything queued, applies it in
 * one transaction on the writer store (each push in its own savepoint, so a
 * failing push fails alone), commits once, wakes the parked pulls once, and
 * resumes every connection of the group; each then answers its own result.
 *
 * A PostgreSQL hub's committer does the same with pg_push_group (pg.c):
 * one PostgreSQL transaction for the group, each push its own answer.
 *
 * Why a thread of its own: when pool threads committed in turn, a thread
 * waiting for the write lock could serve none of its connections, so a
 * group never held more pushes than there are pool threads (4 on two
 * CPUs), and every few pushes paid for a WAL write and an fsync. Now a
 * group holds every push that arrived while the one before was committing.
 *
 * Invariants:
 *  - a job is answered (done set, its connection resumed) exactly once,
 *    after the transaction that holds it committed or failed;
 *  - a job is queued and its connection suspended under the same lock the
 *    committer takes the queue with, so no resume comes before its suspend;
 *  - after committer_stop nothing is queued (a push is refused) and no
 *    connection is left suspended by this file.
 */
#include "hephd.h"
#include "pg.h"

#include "mhd_lazy.h"
#include <stdio.h>
#include <stdlib.h>

#include "heph/error.h"
#include "heph/store.h"

struct committer {
	struct hephd *d;
	int (*writer)(struct hephd *d, heph_store **out); /* the writer store, with write_lock held */
	struct live *live;          /* parked pulls to wake after a commit */
	pthread_mutex_t mu;         /* guards the three below */
	pthread_cond_t cv;          /* a job came, or stop */
	struct commit_job *queue;   /* newest first */
	int stopping;
	pthread_t thread;
	/* Counters, logged at stop (under mu). */
	unsigned long groups, jobs;
};

/* Apply the group (oldest first) in one transaction; call with write_lock. */
static void apply_group(struct committer *k, struct commit_job *group)
{
	heph_store *w = NULL;
	int err;
	if ((err = k->writer(k->d, &w)) == 0 && (err = heph_store_begin(w)) == 0) {
		for (struct commit_job *j = group; j; j = j->next)
			if ((j->err = heph_sync_push_apply(w, j->push, &j->out, &j->len)))
				snprintf(j->msg, sizeof j->msg, "%s", heph_error_last());
		if ((err = heph_store_commit(w)) != 0)
			for (struct commit_job *j = group; j; j = j->next) {
				free(j->out);
				j->out = NULL;
				j->len = 0;
			}
	}
	for (struct commit_job *j = group; j; j = j->next)
		if (err && !j->err) {
			j->err = err;
			snprintf(j->msg, sizeof j->msg, "%s", heph_error_last());
		}
}

/* The same on a PostgreSQL hub (pg.c): one transaction, no write lock. */
static void apply_group_pg(struct committer *k, struct commit_job *group)
{
	size_t n = 0, i = 0;
	for (struct commit_job *j = group; j; j = j->next)
		n++;
	struct pg_push_job *jobs = calloc(n, sizeof *jobs);
	if (!jobs)
		abort();
	for (struct commit_job *j = group; j; j = j->next, i++) {
		jobs[i].owner = j->tenant;
		jobs[i].push = j->push;
		jobs[i].token = j->token;
	}
	pg_push_group(k->d->pg, jobs, n);
	i = 0;
	for (struct commit_job *j = group; j; j = j->next, i++) {
		j->err = jobs[i].err;
		snprintf(j->msg, sizeof j->msg, "%s", jobs[i].msg);
		j->out = jobs[i].out;
		j->len = jobs[i].len;
	}
	free(jobs);
}

static void *run(void *arg)
{
	struct committer *k = arg;
	pthread_mutex_lock(&k->mu);
	for (;;) {
		while (!k->queue && !k->stopping)
			pthread_cond_wait(&k->cv, &k->mu);
		if (!k->queue)
			break; /* stopping, and nothing left to answer */
		struct commit_job *batch = k->queue, *group = NULL, *j;
		k->queue = NULL;
		pthread_mutex_unlock(&k->mu);
		unsigned long n = 0;
		while (batch) { /* oldest first */
			j = batch->next;
			batch->next = group;
			group = batch;
			batch = j;
			n++;
		}
		if (k->d->pg) {
			apply_group_pg(k, group);
		} else {
			pthread_mutex_lock(&k->d->write_lock);
			apply_group(k, group);
			pthread_mutex_unlock(&k->d->write_lock);
		}
		int any = 0;
		for (j = group; j; j = j->next)
			any |= !j->err;
		if (any)
			live_wake(k->live);
		/* Read next before resuming: the job lives in its request,
		 * which the connection's thread may free once resumed. */
		for (j = group; j; j = batch) {
			batch = j->next;
			struct MHD_Connection *c = j->c;
			j->next = NULL;
			__atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
			MHD_resume_connection(c);
		}
		pthread_mutex_lock(&k->mu);
		k->groups++;
		k->jobs += n;
	}
	pthread_mutex_unlock(&k->mu);
	return NULL;
}

struct committer *committer_start(struct hephd *d, int (*writer)(struct hephd *d, heph_store **out),
				  struct live *live)
{
	struct committer *k = calloc(1, sizeof *k);
	if (!k)
		abort();
	k->d = d;
	k->writer = writer;
	k->live = live;
	pthread_mutex_init(&k->mu, NULL);
	pthread_cond_init(&k->cv, NULL);
	if (pthread_create(&k->thread, NULL, run, k) != 0) {
		pthread_mutex_destroy(&k->mu);
		pthread_cond_destroy(&k->cv);
		free(k);
		return NULL;
	}
	return k;
}

int committer_submit(struct committer *k, struct MHD_Connection *c, struct commit_job *j)
{
	pthread_mutex_lock(&k->mu);
	if (k->stopping) {
		pthread_mutex_unlock(&k->mu);
		return heph_error_set(HEPH_EUNAVAIL, "the hub is stopping; push again later");
	}
	j->c = c;
	j->done = 0;
	j->next = k->queue;
	k->queue = j;
	/* Under the lock: the committer cannot resume it before this. */
	MHD_suspend_connection(c);
	pthread_cond_signal(&k->cv);
	pthread_mutex_unlock(&k->mu);
	return 0;
}

int committer_done(const struct commit_job *j)
{
	return __atomic_load_n(&j->done, __ATOMIC_ACQUIRE);
}

void committer_stop(struct committer *k)
{
	if (!k)
		return;
	pthread_mutex_lock(&k->mu);
	if (k->stopping) {
		pthread_mutex_unlock(&k->mu);
		return;
	}
	k->stopping = 1;
	pthread_cond_signal(&k->cv);
	pthread_mutex_unlock(&k->mu);
	pthread_join(k->thread, NULL); /* it answers what was queued first */
	if (k->groups)
		hephd_log("hub: %lu pushes committed in %lu groups (%.1f a group)", k->jobs, k->groups,
			  (double)k->jobs / (double)k->groups);
}

void committer_free(struct committer *k)
{
	if (!k)
		return;
	pthread_mutex_destroy(&k->mu);
	pthread_cond_destroy(&k->cv);
	free(k);
}
