/* cmd_export.c — `heph export DIR` (markdown files) and `heph export --ical
 * FILE` (an iCalendar of dated outstanding tasks; - is standard output). */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "heph/export.h"

int cmd_export(struct cli *cli, int argc, char **argv)
{
	const char *dir = NULL, *ical = NULL;
	int err;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--ical") == 0) {
			if (i + 1 >= argc)
				return heph_error_set(HEPH_EUSAGE, "--ical needs a file (- for standard output)");
			ical = argv[++i];
		} else if (strncmp(argv[i], "--ical=", 7) == 0) {
			ical = argv[i] + 7;
		} else if (argv[i][0] == '-' && argv[i][1] == '-') {
			return heph_error_set(HEPH_EUSAGE, "export: unknown option %s (see heph export --help)", argv[i]);
		} else if (!dir) {
			dir = argv[i];
		} else {
			return heph_error_set(HEPH_EUSAGE, "usage: heph export DIR | heph export --ical FILE");
		}
	}
	if (!!dir == !!ical)
		return heph_error_set(HEPH_EUSAGE, "usage: heph export DIR | heph export --ical FILE");
	if ((err = cli_store(cli)))
		return err;
	if (ical) {
		char *text = NULL;
		int64_t n = 0;
		FILE *f;
		if ((err = heph_export_ical(cli->store, &text, &n)))
			return err;
		/* iCalendar to stdout passes as it is: its lines end in CRLF */
		f = strcmp(ical, "-") == 0 ? cli->raw : fopen(ical, "w");
		if (!f) {
			err = heph_error_set(HEPH_ERROR, "cannot write %s: %s", ical, strerror(errno));
			free(text);
			return err;
		}
		fputs(text, f);
		free(text);
		if (f != cli->raw && fclose(f) != 0)
			return heph_error_set(HEPH_ERROR, "cannot write %s: %s", ical, strerror(errno));
		if (f != cli->raw) {
			if (cli->json)
				fprintf(cli->out, "{\"file\":\"%s\",\"tasks\":%lld}\n", ical, (long long)n);
			else
				fprintf(cli->out, "wrote %lld task(s) to %s\n", (long long)n, ical);
		}
		return 0;
	}
	heph_export_stats st;
	if ((err = heph_export_markdown(cli->store, dir, &st)))
		return err;
	if (cli->json)
		fprintf(cli->out, "{\"written\":%lld,\"removed\":%lld}\n", (long long)st.written, (long long)st.removed);
	else if (st.removed)
		fprintf(cli->out, "wrote %lld file(s) under %s, removed %lld of deleted nodes\n", (long long)st.written,
			dir, (long long)st.removed);
	else
		fprintf(cli->out, "wrote %lld file(s) under %s\n", (long long)st.written, dir);
	return 0;
}
