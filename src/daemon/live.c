/* live.c — live sync on the hub: a pull that finds nothing new may wait.
 *
 * GET /sync/pull?...&wait=SECS parks its connection (libmicrohttpd's
 * suspend/resume) when the hub holds no op after the puller's cursor, and
 * answers when a write commits or the wait is over, whichever comes first.
 * A parked puller costs its socket and the few bytes of its request: no
 * thread, no timer of its own (the hub's watchdog ends waits that are
 * over). Every commit wakes every parked puller once; each then reads its
 * page as any pull does, and parks again, until the same deadline, when the
 * page holds nothing new for it (a commit of another owner's, or one whose
 * ops it had read before it parked): so a puller is answered with news, at
 * its deadline or when the hub stops, and a client can tell a hub that
 * waits by how long it waited.
 *
 * A generation counter closes the race between reading an empty page and
 * parking: a puller parks only if no commit came in between, else it reads
 * again at once.
 *
 * Wakes are spread: the first commit after a quiet WAKE_EVERY_MS wakes the
 * parked pullers at once; commits closer together than that are woken for
 * together, by the watchdog's next round at most WAKE_EVERY_MS after the
 * last wake (it runs every 250 ms). A hub taking thousands of pushes a
 * second would otherwise answer every parked puller once per group commit,
 * and each asks again at once: a cost that grew with the push rate times
 * the clients. Now it grows with the clients only, and news still arrives
 * within half a second.
 */
#include "hephd.h"

#include "mhd_lazy.h"
#include <stdlib.h>
#include <time.h>

#define WAKE_EVERY_MS 250 /* at most one wake of the parked pullers this often */

struct live {
	pthread_mutex_t mu;
	unsigned gen;            /* commits so far */
	int64_t woken_ms;        /* when the parked pullers were last woken (monotonic) */
	int pending;             /* a commit came since, not yet woken for */
	struct live_wait *parked;
	int stopping;            /* the hub stops: park nothing more */
};

struct live *live_new(void)
{
	struct live *l = calloc(1, sizeof *l);
	if (!l)
		abort();
	pthread_mutex_init(&l->mu, NULL);
	return l;
}

void live_free(struct live *l)
{
	if (!l)
		return;
	pthread_mutex_destroy(&l->mu);
	free(l);
}

unsigned live_generation(struct live *l)
{
	pthread_mutex_lock(&l->mu);
	unsigned g = l->gen;
	pthread_mutex_unlock(&l->mu);
	return g;
}

static void unlink_wait(struct live *l, struct live_wait *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		l->parked = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
	w->parked = 0;
}

int live_park(struct live *l, struct MHD_Connection *c, struct live_wait *w, unsigned gen, int64_t deadline_ms)
{
	pthread_mutex_lock(&l->mu);
	if (l->stopping || l->gen != gen) {
		int stopping = l->stopping;
		pthread_mutex_unlock(&l->mu);
		return stopping ? -1 : 0;
	}
	w->c = c;
	w->deadline_ms = deadline_ms;
	w->parked = 1;
	w->prev = NULL;
	w->next = l->parked;
	if (l->parked)
		l->parked->prev = w;
	l->parked = w;
	/* Under the lock: a commit cannot resume it before it is suspended. */
	MHD_suspend_connection(c);
	pthread_mutex_unlock(&l->mu);
	return 1;
}

/* Resume the parked pullers whose wait is over at now_ms, or all. */
static void resume(struct live *l, int64_t now_ms, int all)
{
	for (struct live_wait *w = l->parked, *next; w; w = next) {
		next = w->next;
		if (!all && w->deadline_ms > now_ms)
			continue;
		unlink_wait(l, w);
		MHD_resume_connection(w->c);
	}
}

static int64_t mono_ms(void) { return hephd_now_us(CLOCK_MONOTONIC) / 1000; }

void live_wake(struct live *l)
{
	int64_t now = mono_ms();
	pthread_mutex_lock(&l->mu);
	l->gen++;
	if (now - l->woken_ms >= WAKE_EVERY_MS) {
		resume(l, 0, 1);
		l->woken_ms = now;
		l->pending = 0;
	} else {
		l->pending = 1; /* the watchdog wakes them (live_expire) */
	}
	pthread_mutex_unlock(&l->mu);
}

void live_expire(struct live *l, int64_t now_ms)
{
	pthread_mutex_lock(&l->mu);
	if (l->pending && now_ms - l->woken_ms >= WAKE_EVERY_MS) {
		resume(l, 0, 1);
		l->woken_ms = now_ms;
		l->pending = 0;
	} else {
		resume(l, now_ms, 0);
	}
	pthread_mutex_unlock(&l->mu);
}

void live_stop(struct live *l)
{
	pthread_mutex_lock(&l->mu);
	l->stopping = 1;
	resume(l, 0, 1);
	pthread_mutex_unlock(&l->mu);
}
