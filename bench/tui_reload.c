/* tui_reload.c — how long heph-tui takes to load what it shows, on a given
 * database: opening the model (method table, sidebar, the first view, the
 * preview, sync state), a full reload (what an outside change costs), a
 * selection move in the sidebar (a project's tasks), and an idle poll (what
 * the TUI does several times a second while nothing changes).
 *
 * usage: bench-tui-reload DB [ROUNDS]   (HEPH_NOW fixes today)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "heph/error.h"
#include "model.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	heph_store_opts o = { .today = getenv("HEPH_NOW"), .no_create = 1 };
	heph_store *s = NULL;
	struct tui_model m = { 0 }; /* no daemon to ask: tui_model_open keeps m.daemon */
	int rounds = argc > 2 ? atoi(argv[2]) : 20;
	if (argc < 2 || rounds < 1) {
		fprintf(stderr, "usage: bench-tui-reload DB [ROUNDS]\n");
		return 2;
	}
	if (heph_store_open(argv[1], &o, &s)) {
		fprintf(stderr, "bench-tui-reload: %s\n", heph_error_last());
		return 1;
	}
	double t0 = now_ms();
	if (tui_model_open(&m, s)) {
		fprintf(stderr, "bench-tui-reload: %s\n", heph_error_last());
		return 1;
	}
	double open_ms = now_ms() - t0;

	t0 = now_ms();
	for (int i = 0; i < rounds; i++)
		tui_model_reload(&m);
	double reload_ms = (now_ms() - t0) / rounds;

	/* walk the sidebar down and back: every project's task list */
	m.pane = TUI_PANE_SIDE;
	int moves = 0;
	t0 = now_ms();
	for (int i = 0; i < m.nitems; i++, moves++)
		tui_model_move(&m, 1);
	double move_ms = moves ? (now_ms() - t0) / moves : 0;

	int polls = 10000, changed = 0;
	t0 = now_ms();
	for (int i = 0; i < polls; i++)
		changed += tui_model_poll(&m);
	double poll_us = (now_ms() - t0) * 1e3 / polls;

	printf("sidebar entries %d, tasks in the first view %zu\n", m.nitems, json_array_size(m.tasks));
	printf("open   %.1f ms\nreload %.1f ms (mean of %d)\nmove   %.1f ms (mean of %d sidebar moves)\n"
	       "poll   %.2f us (idle, mean of %d; %d reloads)\n",
	       open_ms, reload_ms, rounds, move_ms, moves, poll_us, polls, changed);
	tui_model_close(&m);
	heph_store_close(s);
	return 0;
}
