/* cmd_undo.c — `heph undo`: reverse the last local change, or (--list) show
 * the recent changes and what undo would do next. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char *str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

static void change_line(struct cli *cli, json_t *c, const char *lead)
{
	fprintf(cli->out, "%s#%lld %s  %s\n", lead, (long long)json_integer_value(json_object_get(c, "id")),
		str(c, "at"), str(c, "summary"));
}

static void actions(struct cli *cli, json_t *r)
{
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(r, "actions"), i, a) {
		if (json_is_true(json_object_get(a, "done")))
			fprintf(cli->out, "  %s\n", str(a, "action"));
		else
			fprintf(cli->out, "  skipped (%s): %s\n", str(a, "skipped"), str(a, "action"));
	}
}

int cmd_undo(struct cli *cli, int argc, char **argv)
{
	int list = 0, dry = 0, err;
	long long limit = 10;
	json_t *r = NULL, *params;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--list") == 0)
			list = 1;
		else if (strcmp(argv[i], "--dry-run") == 0)
			dry = 1;
		else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
			char *end;
			limit = strtoll(argv[++i], &end, 10);
			if (*end || limit < 1)
				return heph_error_set(HEPH_EUSAGE, "--limit wants a number from 1, not \"%s\"", argv[i]);
		} else
			return heph_error_set(HEPH_EUSAGE, "undo: unexpected argument \"%s\" (see heph undo --help)", argv[i]);
	}
	params = list ? json_pack("{s:I}", "limit", (json_int_t)limit) : json_pack("{s:b}", "dry_run", dry);
	err = cli_call(cli, list ? "undo.list" : "undo", params, &r);
	json_decref(params);
	if (err)
		return err;
	if (cli->json) {
		print_json(cli, r);
	} else if (list) {
		json_t *next = json_object_get(r, "next"), *c;
		size_t i;
		if (json_is_object(next)) {
			change_line(cli, json_object_get(next, "change"), "heph undo would reverse ");
			actions(cli, next);
		} else {
			fprintf(cli->out, "nothing to undo\n");
		}
		if (json_array_size(json_object_get(r, "changes")))
			fprintf(cli->out, "\nrecent changes\n");
		json_array_foreach(json_object_get(r, "changes"), i, c) {
			fprintf(cli->out, "  #%-5lld %s  %s%s%s\n", (long long)json_integer_value(json_object_get(c, "id")),
				str(c, "at"), str(c, "summary"),
				json_is_true(json_object_get(c, "undone")) ? "  [undone]" : "",
				json_is_integer(json_object_get(c, "undoes")) ? "  [an undo]" : "");
		}
	} else {
		int undone = json_is_true(json_object_get(r, "undone"));
		change_line(cli, json_object_get(r, "change"),
			    dry ? "would reverse " : undone ? "reversed " : "nothing left to reverse in ");
		actions(cli, r);
	}
	json_decref(r);
	return 0;
}
