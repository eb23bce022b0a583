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
	int list, dry, err;
	json_t *r = NULL, *params, *flag, *limit;
	if ((err = cli_params(cli, argc, argv, &params)))
		return err;
	flag = cli_take(params, "list");
	list = json_is_true(flag);
	json_decref(flag);
	dry = json_is_true(json_object_get(params, "dry_run"));
	limit = cli_take(params, "limit");
	if (list && dry)
		err = heph_error_set(HEPH_EUSAGE, "undo: --list or --dry-run, not both");
	else if (limit && !list)
		err = heph_error_set(HEPH_EUSAGE, "undo: --limit goes with --list");
	else if (limit)
		json_object_set(params, "limit", limit);
	if (!err)
		err = cli_call(cli, list ? "undo.list" : "undo", params, &r);
	json_decref(limit);
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
