/* cmd_health.c — `heph health`: one screen that says whether this device is
 * fine, from the health method (src/lib/rpc/rpc_health.c). It asks the hephd
 * serving this database when one runs, so that the daemon's own facts come
 * in; otherwise it runs in-process. Exit status 1 when any line is a warning
 * or an error, so that scripts and timers can act on it.
 */
#include "cli.h"

#include <string.h>
#include <unistd.h>

static const char *colour_of(const char *status)
{
	if (strcmp(status, "ok") == 0)
		return CLI_GREEN;
	if (strcmp(status, "warning") == 0)
		return CLI_YELLOW;
	return CLI_RED;
}

static void print_health(struct cli *cli, const json_t *r)
{
	size_t i;
	const json_t *c;
	json_array_foreach(json_object_get(r, "checks"), i, c) {
		const char *status = json_string_value(json_object_get(c, "status"));
		const char *fix = json_string_value(json_object_get(c, "fix"));
		if (!status)
			status = "error";
		fprintf(cli->out, "%s%-7s%s  %-10s %s\n", cli->color ? colour_of(status) : "", status,
			cli->color ? CLI_RESET : "", json_string_value(json_object_get(c, "name")),
			json_string_value(json_object_get(c, "detail")));
		if (fix && strcmp(status, "ok") != 0)
			fprintf(cli->out, "%-7s  %-10s fix: %s\n", "", "", fix);
	}
}

int cmd_health(struct cli *cli, int argc, char **argv)
{
	json_t *params = json_object(), *r = NULL;
	int err, fd;
	if ((err = cli_parse_args(cli->verb, argc, argv, params)))
		goto out;
	if ((fd = cli_daemon_fd(cli)) >= 0) {
		err = net_socket_call(fd, "health", params, &r);
		close(fd);
	} else {
		err = cli_call(cli, "health", params, &r);
	}
	if (err)
		goto out;
	if (cli->json)
		print_json(cli, r);
	else
		print_health(cli, r);
	const char *status = json_string_value(json_object_get(r, "status"));
	if (!status || strcmp(status, "ok") != 0) {
		size_t i, warnings = 0, errors = 0;
		const json_t *c;
		json_array_foreach(json_object_get(r, "checks"), i, c) {
			const char *s = json_string_value(json_object_get(c, "status"));
			warnings += s && strcmp(s, "warning") == 0;
			errors += s && strcmp(s, "error") == 0;
		}
		err = heph_error_set(HEPH_ERROR, "health: %zu error%s, %zu warning%s (each line says its fix)", errors,
				     errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s");
	}
out:
	json_decref(r);
	json_decref(params);
	return err;
}
