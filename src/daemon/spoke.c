/* spoke.c — the background sync of a local hephd. One thread, its own
 * store, runs a sync cycle (pull and merge, then push):
 *   - every --sync-interval seconds, and once at start;
 *   - at once when a write method committed through the socket (the
 *     `changed` hook) or sync.now asks (the caller waits for that cycle);
 *   - at once when another process (a heph command) committed to the
 *     database and left ops to push: inotify on the database's directory
 *     wakes the thread, PRAGMA data_version tells another connection wrote
 *     (our own writes do not move it), and the pending count says whether
 *     anything waits.
 *   - at once when the hub has news: a second thread (live_listen()) keeps a
 *     pull waiting on the hub (GET /sync/pull?wait=LIVE_WAIT_S, answered
 *     when another device pushes) and wakes this one when it returns with
 *     ops past our cursor — live sync. A hub that does not wait (an older
 *     one) leaves the interval, as does a hub that cannot be reached (the
 *     listener backs off up to the interval).
 * After a failed cycle, writes wait RETRY_MS before trying the hub again;
 * sync.now never waits.
 */
#include "hephd.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "heph/error.h"
#include "heph/sync.h"
#include "net.h"

#define RETRY_MS 2000
#define LIVE_WAIT_S 25 /* how long a live pull asks the hub to wait */

struct spoke {
	struct hephd *d;
	pthread_t thread;
	pthread_t listener;        /* live sync: listen() */
	int listening;             /* the listener was started */
	int cancel;                /* set (atomically) at stop: aborts the live pull */
	int hub_news;              /* the listener saw ops past our cursor */
	int64_t cycles;            /* cycles finished */
	int wake_fd;               /* eventfd: a write, a sync.now, stop */
	pthread_mutex_t mu;        /* guards what follows */
	pthread_cond_t done;       /* a cycle finished */
	int64_t requested;         /* sync.now requests made */
	int64_t finished;          /* requests a finished cycle answered */
	int changed;               /* a write committed through the socket */
	int running;               /* a cycle is running */
	int stop;                  /* shutting down */
	int last_err;              /* of the last finished cycle */
	char last_msg[1024];
	json_t *last_result;       /* of the last finished cycle, or NULL */
	int64_t next_ms;           /* when the next periodic cycle is due */
	heph_rpc_host host;
};

static int64_t now_ms(void) { return hephd_now_us(CLOCK_MONOTONIC) / 1000; }

static void wake(struct spoke *sp)
{
	uint64_t one = 1;
	if (write(sp->wake_fd, &one, sizeof one) < 0) {
		/* the counter is full, which wakes the thread anyway */
	}
}

static void on_changed(void *ctx)
{
	struct spoke *sp = ctx;
	pthread_mutex_lock(&sp->mu);
	sp->changed = 1;
	pthread_mutex_unlock(&sp->mu);
	wake(sp);
}

static int on_sync_now(void *ctx, heph_store *s, json_t **result)
{
	struct spoke *sp = ctx;
	int err;
	(void)s;
	*result = NULL;
	pthread_mutex_lock(&sp->mu);
	int64_t want = ++sp->requested;
	pthread_mutex_unlock(&sp->mu);
	wake(sp);
	pthread_mutex_lock(&sp->mu);
	while (sp->finished < want && !sp->stop)
		pthread_cond_wait(&sp->done, &sp->mu);
	if (sp->finished < want) {
		err = heph_error_set(HEPH_EUNAVAIL, "hephd is stopping");
	} else {
		err = sp->last_err;
		if (err)
			heph_error_set(err, "%s", sp->last_msg);
		else
			*result = json_deep_copy(sp->last_result);
	}
	pthread_mutex_unlock(&sp->mu);
	return err;
}

static int on_sync_status(void *ctx, heph_store *s, json_t *status)
{
	struct spoke *sp = ctx;
	(void)s;
	pthread_mutex_lock(&sp->mu);
	int64_t left = sp->next_ms - now_ms();
	json_object_set_new(status, "daemon",
			    json_pack("{s:I, s:s, s:i, s:b, s:I}", "pid", (json_int_t)getpid(), "mode", "local", "interval",
				      sp->d->sync_interval, "running", sp->running, "next_sync_in",
				      (json_int_t)(left > 0 ? (left + 999) / 1000 : 0)));
	pthread_mutex_unlock(&sp->mu);
	return 0;
}

const heph_rpc_host *spoke_host(struct hephd *d)
{
	return d->spoke ? &d->spoke->host : NULL;
}

/* One cycle; the outcome is kept for sync.now callers. quiet: no hub set
 * is not worth a log line (a periodic tick on a replica without a hub). */
static int cycle(struct spoke *sp, heph_store *s, int quiet)
{
	struct net_hub hub;
	const char *snap = sp->d->sync_snapshot;
	struct net_sync_opts o = { .batch = sp->d->sync_batch,
				   .snapshot = !snap                       ? NET_SNAPSHOT_ENV
					       : strcmp(snap, "always") == 0 ? NET_SNAPSHOT_ALWAYS
					       : strcmp(snap, "never") == 0  ? NET_SNAPSHOT_NEVER
									     : NET_SNAPSHOT_AUTO };
	json_t *result = NULL;
	int err = net_hub_load(s, sp->d->hub_url, sp->d->token_file, &hub);
	if (err == HEPH_EUSAGE && quiet)
		return err;
	if (!err) {
		err = net_sync_run(s, &hub, &o, &result);
		if (err)
			hephd_log("sync with %s failed: %s", hub.url, heph_error_last());
		else if (json_object_get(result, "snapshot"))
			hephd_log("synced with %s: started from its snapshot at seq %lld, pulled %lld, pushed %lld", hub.url,
				  (long long)json_integer_value(json_object_get(result, "snapshot")),
				  (long long)json_integer_value(json_object_get(result, "pulled")),
				  (long long)json_integer_value(json_object_get(result, "pushed")));
		else if (json_integer_value(json_object_get(result, "pulled")) ||
			 json_integer_value(json_object_get(result, "pushed")))
			hephd_log("synced with %s: pulled %lld, pushed %lld", hub.url,
				  (long long)json_integer_value(json_object_get(result, "pulled")),
				  (long long)json_integer_value(json_object_get(result, "pushed")));
		if (!err && json_object_get(result, "snapshot_refused"))
			hephd_log("sync: %s", json_string_value(json_object_get(result, "snapshot_refused")));
		net_hub_free(&hub);
	}
	pthread_mutex_lock(&sp->mu);
	sp->last_err = err;
	snprintf(sp->last_msg, sizeof sp->last_msg, "%s", err ? heph_error_last() : "");
	json_decref(sp->last_result);
	sp->last_result = result;
	pthread_mutex_unlock(&sp->mu);
	return err;
}

/* Watch the database's directory for writes to the database or its WAL. */
static int watch(const char *db, char *base, size_t n)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(db, '/');
	snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - db) : 1, slash ? db : ".");
	if (slash && slash == db)
		snprintf(dir, sizeof dir, "/");
	snprintf(base, n, "%s", slash ? slash + 1 : db);
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0)
		return -1;
	if (inotify_add_watch(fd, dir, IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Drain inotify events; whether one named the database or its WAL. */
static int db_touched(int fd, const char *base)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	size_t bl = strlen(base);
	int hit = 0;
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)p;
			if (e->len && strncmp(e->name, base, bl) == 0 &&
			    (e->name[bl] == '\0' || strcmp(e->name + bl, "-wal") == 0))
				hit = 1;
			p += sizeof *e + e->len;
		}
	}
	return hit;
}

static void *run(void *arg)
{
	struct spoke *sp = arg;
	heph_store *s = NULL;
	char base[256];
	int err, ifd, failed = 0;
	int64_t last_fail = 0, last_dv;
	if ((err = hephd_open_store(sp->d, 0, &s))) {
		hephd_log("sync: cannot open the database: %s", heph_error_last());
		pthread_mutex_lock(&sp->mu);
		sp->stop = 1;
		pthread_cond_broadcast(&sp->done);
		pthread_mutex_unlock(&sp->mu);
		return NULL;
	}
	ifd = watch(sp->d->db, base, sizeof base);
	if (ifd < 0)
		hephd_log("sync: no file notifications (%s); other processes' changes sync on the interval",
			  strerror(errno));
	last_dv = heph_store_data_version(s);
	pthread_mutex_lock(&sp->mu);
	sp->next_ms = now_ms(); /* a first cycle at start */
	pthread_mutex_unlock(&sp->mu);
	for (;;) {
		struct pollfd p[2] = { { .fd = sp->wake_fd, .events = POLLIN }, { .fd = ifd, .events = POLLIN } };
		int64_t now = now_ms(), timeout;
		pthread_mutex_lock(&sp->mu);
		timeout = sp->next_ms - now;
		pthread_mutex_unlock(&sp->mu);
		if (timeout < 0)
			timeout = 0;
		if (timeout > INT_MAX)
			timeout = INT_MAX;
		poll(p, ifd >= 0 ? 2 : 1, (int)timeout);
		if (p[0].revents) {
			uint64_t v;
			if (read(sp->wake_fd, &v, sizeof v) < 0) {
				/* nothing to read: woken by a signal */
			}
		}
		int external = 0;
		if (ifd >= 0 && p[1].revents && db_touched(ifd, base)) {
			int64_t dv = heph_store_data_version(s), pending = 0;
			if (dv != last_dv && heph_sync_pending(s, &pending) == 0 && pending > 0)
				external = 1;
			last_dv = dv;
		}
		pthread_mutex_lock(&sp->mu);
		if (sp->stop) {
			pthread_mutex_unlock(&sp->mu);
			break;
		}
		now = now_ms();
		int asked = sp->requested > sp->finished;
		int local = sp->changed || external || sp->hub_news;
		int due = now >= sp->next_ms;
		int64_t gen = sp->requested;
		if (local && failed && now - last_fail < RETRY_MS && !asked && !due) {
			/* the hub just failed: try again a little later */
			if (sp->next_ms > last_fail + RETRY_MS)
				sp->next_ms = last_fail + RETRY_MS;
			sp->changed = 1;
			pthread_mutex_unlock(&sp->mu);
			continue;
		}
		if (!asked && !local && !due) {
			pthread_mutex_unlock(&sp->mu);
			continue;
		}
		sp->changed = 0;
		sp->hub_news = 0;
		sp->running = 1;
		pthread_mutex_unlock(&sp->mu);

		last_dv = heph_store_data_version(s);
		err = cycle(sp, s, !asked && !local);
		failed = err != 0 && err != HEPH_EUSAGE;
		if (failed)
			last_fail = now_ms();

		pthread_mutex_lock(&sp->mu);
		sp->running = 0;
		sp->finished = gen;
		sp->cycles++;
		sp->next_ms = now_ms() + (int64_t)sp->d->sync_interval * 1000;
		pthread_cond_broadcast(&sp->done);
		pthread_mutex_unlock(&sp->mu);
	}
	if (ifd >= 0)
		close(ifd);
	heph_store_close(s);
	return NULL;
}

/* Wait up to ms, or until the spoke stops; 1 if it stops. */
static int pause_ms(struct spoke *sp, int64_t ms)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&sp->mu);
	while (!sp->stop && pthread_cond_timedwait(&sp->done, &sp->mu, &t) == 0)
		;
	int stop = sp->stop;
	pthread_mutex_unlock(&sp->mu);
	return stop;
}

/* Ask for a cycle and wait until one has finished (the pull cursor has then
 * moved past what the hub announced); 1 if the spoke stops. */
static int await_cycle(struct spoke *sp)
{
	pthread_mutex_lock(&sp->mu);
	int64_t seen = sp->cycles;
	sp->hub_news = 1;
	pthread_mutex_unlock(&sp->mu);
	wake(sp);
	pthread_mutex_lock(&sp->mu);
	while (!sp->stop && sp->cycles == seen)
		pthread_cond_wait(&sp->done, &sp->mu);
	int stop = sp->stop;
	pthread_mutex_unlock(&sp->mu);
	return stop;
}

/* One live pull: 1 when the hub holds ops past after, 0 when the wait ended
 * with nothing, -1 when the hub answered at once with nothing (it does not
 * wait) or failed. */
static int live_pull(struct spoke *sp, const struct net_hub *hub, int64_t after)
{
	net_client *c = NULL;
	struct net_reply r = { 0 };
	char path[160];
	int news = -1;
	if (net_client_new(hub->url, hub->token, &c))
		return -1;
	net_client_set_timeout(c, (LIVE_WAIT_S + 15) * 1000L);
	net_client_set_cancel(c, &sp->cancel);
	snprintf(path, sizeof path, "/sync/pull?protocol=%d&after=%lld&limit=1&wait=%d", HEPH_SYNC_PROTOCOL,
		 (long long)after, LIVE_WAIT_S);
	int64_t t0 = now_ms();
	if (net_client_request(c, "GET", path, NULL, 0, &r) == 0 && r.status == 200) {
		json_t *page = json_loadb(r.body, r.len, 0, NULL);
		json_int_t head = json_integer_value(json_object_get(page, "head"));
		if (head > after)
			news = 1;
		else if (now_ms() - t0 >= LIVE_WAIT_S * 1000 / 2)
			news = 0;
		json_decref(page);
	}
	net_reply_free(&r);
	net_client_free(c);
	return news;
}

/* Live sync: keep a pull waiting on the hub, and run a cycle when it says
 * another device pushed. */
static void *live_listen(void *arg)
{
	struct spoke *sp = arg;
	heph_store *s = NULL;
	int64_t idle_ms = (int64_t)sp->d->sync_interval * 1000, backoff = 1000;
	if (hephd_open_store(sp->d, 0, &s)) {
		hephd_log("live sync: cannot open the database: %s", heph_error_last());
		return NULL;
	}
	for (;;) {
		struct net_hub hub;
		int64_t after = 0;
		int news = -1;
		if (net_hub_load(s, sp->d->hub_url, sp->d->token_file, &hub) == 0) {
			if (heph_sync_pull_cursor(s, &after) == 0)
				news = live_pull(sp, &hub, after);
			net_hub_free(&hub);
		}
		if (news == 1) {
			int64_t now_at = after;
			if (await_cycle(sp))
				break;
			/* a cycle that could not take the news (the hub failed
			 * it, or refused our push) is not retried at once */
			if (heph_sync_pull_cursor(s, &now_at) == 0 && now_at == after) {
				if (pause_ms(sp, backoff < idle_ms ? backoff : idle_ms))
					break;
				backoff *= 2;
			} else {
				backoff = 1000;
			}
		} else if (news == 0) {
			backoff = 1000;
			pthread_mutex_lock(&sp->mu);
			int stop = sp->stop;
			pthread_mutex_unlock(&sp->mu);
			if (stop)
				break;
		} else {
			/* no hub, a hub that cannot be reached or does not
			 * wait: try again later, never more often than once a
			 * second nor less than the interval's syncs do */
			if (pause_ms(sp, backoff < idle_ms ? backoff : idle_ms))
				break;
			backoff *= 2;
		}
	}
	heph_store_close(s);
	return NULL;
}

int spoke_start(struct hephd *d)
{
	struct spoke *sp = calloc(1, sizeof *sp);
	if (!sp)
		abort();
	sp->d = d;
	sp->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sp->wake_fd < 0) {
		free(sp);
		return heph_error_set(HEPH_ERROR, "eventfd: %s", strerror(errno));
	}
	pthread_mutex_init(&sp->mu, NULL);
	pthread_cond_init(&sp->done, NULL);
	sp->host = (heph_rpc_host){ sp, on_sync_now, on_sync_status, on_changed };
	d->spoke = sp;
	if (pthread_create(&sp->thread, NULL, run, sp) != 0) {
		close(sp->wake_fd);
		free(sp);
		d->spoke = NULL;
		return heph_error_set(HEPH_ERROR, "cannot start the sync thread");
	}
	sp->listening = pthread_create(&sp->listener, NULL, live_listen, sp) == 0;
	if (!sp->listening)
		hephd_log("live sync: cannot start its thread; syncing every %d s", d->sync_interval);
	return 0;
}

void spoke_stop(struct hephd *d)
{
	struct spoke *sp = d->spoke;
	if (!sp)
		return;
	pthread_mutex_lock(&sp->mu);
	sp->stop = 1;
	__atomic_store_n(&sp->cancel, 1, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&sp->done);
	pthread_mutex_unlock(&sp->mu);
	wake(sp);
	pthread_join(sp->thread, NULL);
	if (sp->listening)
		pthread_join(sp->listener, NULL);
	close(sp->wake_fd);
	json_decref(sp->last_result);
	pthread_mutex_destroy(&sp->mu);
	pthread_cond_destroy(&sp->done);
	free(sp);
	d->spoke = NULL;
}
