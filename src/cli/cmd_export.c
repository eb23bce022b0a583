/* cmd_export.c — `heph export DIR` (markdown files) and `heph export --ical
 * FILE [--events]` (an iCalendar of dated outstanding tasks, VTODOs or the
 * calendar feed's VEVENTs; - is standard output). */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "heph/export.h"

/* The iCalendar text of the tasks: export.ical, through the hub's /rpc with
 * --remote (so the hub's tasks, not this database's). *text is malloc'd. */
static int ical_text(struct cli *cli, int events, char **text, long long *n)
{
	/* form only when asked: a hub from before it takes the call without */
	json_t *r = NULL, *p = events ? json_pack("{s:s}", "form", "event") : NULL;
	int err = cli_call(cli, "export.ical", p, &r);
	json_decref(p);
	if (err)
		return err;
	const char *cal = json_string_value(json_object_get(r, "ical"));
	if (!cal) {
		json_decref(r);
		return heph_error_set(HEPH_EPROTOCOL, "export.ical answered without an iCalendar text");
	}
	if (!(*text = strdup(cal)))
		abort();
	*n = (long long)json_integer_value(json_object_get(r, "count"));
	json_decref(r);
	return 0;
}

int cmd_export(struct cli *cli, int argc, char **argv)
{
	const char *dir, *ical;
	json_t *params;
	int err;
	if ((err = cli_params(cli, argc, argv, &params)))
		return err;
	dir = json_string_value(json_object_get(params, "dir"));
	ical = json_string_value(json_object_get(params, "ical"));
	int events = json_is_true(json_object_get(params, "events"));
	if (events && !ical) {
		json_decref(params);
		return heph_error_set(HEPH_EUSAGE, "export: --events goes with --ical FILE");
	}
	if (!!dir == !!ical) {
		json_decref(params);
		return heph_error_set(HEPH_EUSAGE, "export: give DIR or --ical FILE (usage: heph export DIR | heph export "
				      "--ical FILE)");
	}
	if (dir && cli->remote) {
		json_decref(params);
		return heph_error_set(HEPH_EUSAGE, "export DIR writes this database's files; drop --remote (--ical "
				      "FILE works with --remote)");
	}
	if (ical) {
		char *text = NULL;
		long long n = 0;
		FILE *f;
		if ((err = ical_text(cli, events, &text, &n)))
			goto out;
		/* iCalendar to stdout passes as it is: its lines end in CRLF */
		f = strcmp(ical, "-") == 0 ? cli->raw : fopen(ical, "w");
		if (!f) {
			err = heph_error_set(HEPH_ERROR, "cannot write %s: %s", ical, strerror(errno));
			free(text);
			goto out;
		}
		fputs(text, f);
		free(text);
		if (f != cli->raw && fclose(f) != 0) {
			err = heph_error_set(HEPH_ERROR, "cannot write %s: %s", ical, strerror(errno));
			goto out;
		}
		if (f != cli->raw) {
			if (cli->json) {
				json_t *j = json_pack("{s:s, s:I}", "file", ical, "tasks", (json_int_t)n);
				print_json(cli, j);
				json_decref(j);
			} else
				fprintf(cli->out, "wrote %lld task(s) to %s\n", n, ical);
		}
		goto out;
	}
	if ((err = cli_store(cli)))
		goto out;
	heph_export_stats st;
	if ((err = heph_export_markdown(cli->store, dir, &st)))
		goto out;
	if (cli->json)
		fprintf(cli->out, "{\"written\":%lld,\"removed\":%lld}\n", (long long)st.written, (long long)st.removed);
	else if (st.removed)
		fprintf(cli->out, "wrote %lld file(s) under %s, removed %lld of deleted nodes\n", (long long)st.written,
			dir, (long long)st.removed);
	else
		fprintf(cli->out, "wrote %lld file(s) under %s\n", (long long)st.written, dir);
out:
	json_decref(params);
	return err;
}
