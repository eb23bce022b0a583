/* cmd_life.c — verbs of the task lifecycle that pick their method from
 * their arguments: `view` (list or show), `context` (print or edit), `log`
 * (tail or append) and `add` (parse or create). Arguments are read by the
 * verb table's own parser, so help and options stay in verbs.c. */
#include "cli.h"

#include <string.h>

/* Parse argv by the verb's table entry into a new params object. */
static int params_of(struct cli *cli, int argc, char **argv, json_t **params)
{
	*params = json_object();
	int err = cli_parse_args(cli->verb, argc, argv, *params);
	if (err) {
		json_decref(*params);
		*params = NULL;
	}
	return err;
}

/* Call method and print with printer (JSON with --json). */
static int call_with(struct cli *cli, const char *method, json_t *params, void (*printer)(struct cli *, json_t *))
{
	json_t *r = NULL;
	int err = cli_call(cli, method, params, &r);
	if (err)
		return err;
	if (cli->json)
		print_json(cli, r);
	else
		printer(cli, r);
	json_decref(r);
	return 0;
}

int cmd_view(struct cli *cli, int argc, char **argv)
{
	json_t *params;
	int err = params_of(cli, argc, argv, &params);
	if (err)
		return err;
	if (json_object_get(params, "name"))
		err = call_with(cli, "view.show", params, print_tasks);
	else if (json_object_get(params, "limit"))
		err = heph_error_set(HEPH_EUSAGE, "view: --limit needs a view name");
	else if (json_object_set_new(params, "counts", json_true()) == 0)
		err = call_with(cli, "view.list", params, print_views);
	else
		err = heph_error_set(HEPH_ERROR, "out of memory");
	json_decref(params);
	return err;
}

int cmd_context(struct cli *cli, int argc, char **argv)
{
	json_t *params;
	int err = params_of(cli, argc, argv, &params);
	if (err)
		return err;
	if (json_object_get(params, "append") || json_object_get(params, "body"))
		err = call_with(cli, "context.edit", params, print_context);
	else
		err = call_with(cli, "context.get", params, print_context);
	json_decref(params);
	return err;
}

int cmd_log(struct cli *cli, int argc, char **argv)
{
	json_t *params;
	int err = params_of(cli, argc, argv, &params);
	if (err)
		return err;
	if (json_object_get(params, "text")) {
		if (json_object_get(params, "lines"))
			err = heph_error_set(HEPH_EUSAGE, "log: --lines is for printing, not with TEXT");
		else
			err = call_with(cli, "log.append", params, print_log);
	} else {
		err = call_with(cli, "log.tail", params, print_log);
	}
	json_decref(params);
	return err;
}

int cmd_add(struct cli *cli, int argc, char **argv)
{
	json_t *params;
	int err = params_of(cli, argc, argv, &params);
	if (err)
		return err;
	if (json_is_true(json_object_get(params, "dry_run")))
		err = call_with(cli, "quickadd.parse", params, print_quickadd);
	else
		err = call_with(cli, "task.add", params, print_quickadd);
	json_decref(params);
	return err;
}
