/* cmd_life.c — verbs of the task lifecycle that pick their method from
 * their arguments: `view` (list or show), `context` (print or edit), `log`
 * (tail or append), `add` (parse or create) and `rm` (which asks first when
 * deleting a project moves tasks or subprojects). Arguments are read by the
 * verb table's own parser, so help and options stay in verbs.c. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	int err = cli_params(cli, argc, argv, &params);
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
	int err = cli_params(cli, argc, argv, &params);
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
	int err = cli_params(cli, argc, argv, &params);
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
	int err = cli_params(cli, argc, argv, &params);
	if (err)
		return err;
	json_t *dry = cli_take(params, "dry_run");
	if (json_is_true(dry))
		err = call_with(cli, "quickadd.parse", params, print_quickadd);
	else
		err = call_with(cli, "task.add", params, print_quickadd);
	json_decref(dry);
	json_decref(params);
	return err;
}

/* What deleting project id moves: its own open tasks go to the inbox, its
 * subprojects to the top level. *tasks and *subs (a ", " list of titles,
 * caller frees) from project.list. */
static int project_moves(struct cli *cli, const char *id, long long *tasks, long long *nsubs, char **subs)
{
	json_t *tree = NULL, *p, *none = json_object();
	size_t i, len = 0;
	int err = cli_call(cli, "project.list", none, &tree); /* params borrowed */
	json_decref(none);
	*tasks = *nsubs = 0;
	*subs = NULL;
	if (err)
		return err;
	json_array_foreach(tree, i, p) {
		const char *t = json_string_value(json_object_get(p, "title"));
		if (strcmp(json_string_value(json_object_get(p, "node_id")), id) == 0)
			*tasks = json_integer_value(json_object_get(p, "open_count"));
		else if (json_is_string(json_object_get(p, "parent_id")) &&
			 strcmp(json_string_value(json_object_get(p, "parent_id")), id) == 0 && t) {
			char *more = realloc(*subs, len + strlen(t) + 3);
			if (!more)
				abort();
			*subs = more;
			len += (size_t)sprintf(*subs + len, "%s%s", len ? ", " : "", t);
			(*nsubs)++;
		}
	}
	json_decref(tree);
	return 0;
}

/* Ask on the terminal; 1 for yes. */
static int confirm(const char *question)
{
	char line[16];
	fprintf(stderr, "%s [y/N] ", question);
	fflush(stderr);
	if (!fgets(line, sizeof line, stdin))
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
}

int cmd_rm(struct cli *cli, int argc, char **argv)
{
	json_t *params, *node = NULL, *r = NULL;
	long long tasks = 0, nsubs = 0;
	char *subs = NULL, what[512] = "";
	const char *id, *kind, *title;
	int yes, err = cli_params(cli, argc, argv, &params);
	if (err)
		return err;
	yes = json_is_true(json_object_get(params, "yes"));
	json_object_del(params, "yes");
	if ((err = cli_call(cli, "node.get", params, &node)))
		goto out;
	id = json_string_value(json_object_get(node, "node_id"));
	kind = json_string_value(json_object_get(node, "kind"));
	title = json_string_value(json_object_get(node, "title"));
	if (!id || !kind) {
		err = heph_error_set(HEPH_ERROR, "node.get answered without an id or kind");
		goto out;
	}
	if (strcmp(kind, "project") == 0 && (err = project_moves(cli, id, &tasks, &nsubs, &subs)))
		goto out;
	if (tasks || nsubs) {
		int n = 0;
		if (tasks)
			n = snprintf(what, sizeof what, "%lld open task%s to the inbox", tasks, tasks == 1 ? "" : "s");
		if (nsubs)
			snprintf(what + n, sizeof what - (size_t)n, "%s%lld subproject%s (%.300s) to the top level",
				 tasks ? " and " : "", nsubs, nsubs == 1 ? "" : "s", subs);
		if (!yes && !(isatty(STDIN_FILENO) && isatty(STDERR_FILENO))) {
			err = heph_error_set(HEPH_EUSAGE,
					     "deleting project \"%.80s\" would move %s; give --yes to delete it anyway",
					     title ? title : id, what);
			goto out;
		}
		if (!yes) {
			char q[700];
			snprintf(q, sizeof q, "Deleting project \"%.80s\" moves %s. Delete it?", title ? title : id, what);
			if (!confirm(q)) {
				fprintf(stderr, "nothing deleted\n");
				err = heph_error_set(HEPH_EUSAGE, "not confirmed: project \"%.80s\" is kept",
						     title ? title : id);
				goto out;
			}
		}
	}
	json_object_set_new(params, "id", json_string(id)); /* the one asked about, not a prefix */
	if ((err = cli_call(cli, "node.remove", params, &r)))
		goto out;
	if (cli->json)
		print_json(cli, r);
	else
		print_id(cli, r);
	if (what[0])
		fprintf(stderr, "deleted project \"%.80s\": moved %s; heph undo brings it back (as a copy under a "
				"new id) with its tasks and subprojects\n",
			title ? title : id, what);
out:
	json_decref(params);
	json_decref(node);
	json_decref(r);
	free(subs);
	return err;
}
