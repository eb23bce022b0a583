/* main.c — heph-tui's entry: options, the database (as the CLI finds it),
 * the terminal, and the main loop.
 *
 * The loop waits for a key with a short timeout; on each timeout it asks
 * the store whether another connection has committed (one PRAGMA), and
 * reloads and redraws only then, so a `heph` command in another terminal
 * or a sync by hephd shows up within a fraction of a second at no cost
 * while idle.
 */
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "colour.h"
#include "heph/date.h"
#include "heph/error.h"
#include "layout.h"
#include "net.h"

#define POLL_MS 150      /* how often an idle TUI looks for outside changes */
#define REDRAW_SECS 10   /* how often the status line is brought up to date */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: heph-tui [--db PATH]\n\n"
		   "The agenda and triage surface of heph: views and projects, the ranked task\n"
		   "list of the selection, and a preview of the selected task. Press ? inside for\n"
		   "the keys; see docs/reference/tui.md.\n\n"
		   "Options:\n"
		   "  --db PATH    database (default $HEPH_DB, else $XDG_DATA_HOME/heph/heph.db)\n"
		   "  --help       this help\n"
		   "  --keys       the keys and what each does, one a line: KEYS<TAB>WHAT\n"
		   "  --version    print the version\n\n"
		   "Environment: HEPH_DB, HEPH_NOW=YYYY-MM-DD (fix \"today\"), NO_COLOR (no colours),\n"
		   "VISUAL or EDITOR (for o). Exit status: 0 ok, 1 error, 2 usage; others as heph.\n");
}

/* The data is UTF-8: make sure curses draws it so, even under LANG=C. */
static void utf8_locale(void)
{
	setlocale(LC_ALL, "");
	if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0 && !setlocale(LC_CTYPE, "C.UTF-8"))
		setlocale(LC_CTYPE, "en_US.UTF-8");
}

/* The sync.status of the hephd serving this database (tui_daemon_fn): the
 * socket's store.info must name our device origin, as for heph sync. */
static int daemon_status(void *ctx, heph_store *s, json_t **out)
{
	char path[PATH_MAX];
	json_t *info = NULL;
	int fd, err = -1;
	(void)ctx;
	*out = NULL;
	net_socket_default(path, sizeof path);
	if ((fd = net_socket_connect(path)) < 0)
		return -1;
	if (net_socket_call(fd, "store.info", NULL, &info) == 0 &&
	    json_is_string(json_object_get(info, "origin")) &&
	    strcmp(json_string_value(json_object_get(info, "origin")), heph_store_origin(s)) == 0)
		err = net_socket_call(fd, "sync.status", NULL, out);
	json_decref(info);
	close(fd);
	return err ? -1 : 0;
}

static void run(struct tui_app *app)
{
	int dirty = 1, is_key;
	time_t drawn = 0;
	wint_t c;
	while (!app->quit && !stop) {
		if (time(NULL) - drawn >= REDRAW_SECS) {
			tui_model_load_status(&app->m); /* ages, and whether hephd is syncing */
			dirty = 1;
		}
		if (dirty) {
			tui_draw(app);
			refresh();
			drawn = time(NULL);
			dirty = 0;
		}
		int r = get_wch(&c);
		if (r == ERR) {
			if (tui_model_poll(&app->m))
				dirty = 1;
			continue;
		}
		dirty = 1;
		is_key = r == KEY_CODE_YES;
		if (is_key && c == KEY_RESIZE)
			continue;
		int rows, cols;
		getmaxyx(stdscr, rows, cols);
		if ((rows < TUI_MIN_ROWS || cols < TUI_MIN_COLS) && !(!is_key && c == 'q'))
			continue; /* nothing to act on that the user can see */
		if (app->help) { /* any key closes the help */
			app->help = 0;
			continue;
		}
		tui_key_dispatch(app, is_key ? TUI_FKEY((int)c) : (int)c);
	}
}

/* --keys: the key table, for heph-tui(1) (scripts/gen-man.py) */
static void print_keys(void)
{
	for (const struct tui_key *k = tui_keys(); k->fn; k++)
		if (k->name)
			printf("%s\t%s\n", k->name, k->help);
}

int main(int argc, char **argv)
{
	char *db = NULL;
	heph_store *store = NULL;
	struct tui_app app;
	int err;

	static const heph_front_flag own[] = { { "--keys", NULL, print_keys }, { NULL, NULL, NULL } };
	int status = heph_front_args("heph-tui", argc, argv, own, usage, &db);
	if (status >= 0)
		return status;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "heph-tui: needs a terminal (use heph for scripts)\n");
		free(db);
		return heph_error_exit_status(HEPH_EUSAGE);
	}
	if ((err = heph_store_open_env(db, 0, &store))) {
		fprintf(stderr, "heph-tui: %s\n", heph_error_last());
		free(db);
		return heph_error_exit_status(err);
	}

	utf8_locale();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	set_escdelay(25);
	initscr();
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	timeout(POLL_MS);

	memset(&app, 0, sizeof app);
	app.colours = tui_colour_init();
	app.m.daemon = daemon_status;
	if ((err = tui_model_open(&app.m, store)) == 0)
		run(&app);
	endwin();
	if (err)
		fprintf(stderr, "heph-tui: %s\n", heph_error_last());
	tui_model_close(&app.m);
	heph_store_close(store);
	free(db);
	return err ? heph_error_exit_status(err) : 0;
}
