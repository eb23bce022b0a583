/* cmd_fleet.c — `heph fleet`: the devices that sync through the hub, asked
 * of the hub itself; and how heph says that this node holds ops it cannot
 * apply yet, and which version would (heph ops --unapplied, heph sync
 * --status).
 *
 * heph fleet asks, in order: the hub of --remote; the hub this database
 * syncs with (heph hub set); this database, which is then the hub's own.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char *s_or(const json_t *o, const char *key, const char *dflt)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : dflt;
}

/* "a, b, c" of an array of strings, into buf. */
static void join(const json_t *arr, const char *prefix, char *buf, size_t n)
{
	size_t i, used = strlen(buf);
	const json_t *v;
	json_array_foreach(arr, i, v) {
		used += (size_t)snprintf(buf + used, used < n ? n - used : 0, "%s%s%s", used ? " " : "", prefix,
					 json_string_value(v));
		if (used >= n)
			break;
	}
}

void cli_print_applied_by(FILE *f, const json_t *applied_by)
{
	size_t i;
	const json_t *g;
	if (!json_is_array(applied_by)) {
		fprintf(f, "which version applies it is not known here (the hub has not said: no sync yet, or it "
			   "predates fleet reporting)");
		return;
	}
	if (json_array_size(applied_by) == 0) {
		fprintf(f, "no device the hub knows of applies it yet");
		return;
	}
	fprintf(f, "applied by ");
	json_array_foreach(applied_by, i, g) {
		char names[512] = "";
		size_t j;
		const json_t *d;
		json_array_foreach(json_object_get(g, "devices"), j, d) {
			size_t used = strlen(names);
			snprintf(names + used, sizeof names - used, "%s%s", j ? ", " : "", json_string_value(d));
		}
		fprintf(f, "%sheph %s (%s)", i ? "; " : "", s_or(g, "version", "?"), names);
	}
}

void cli_print_unapplied(FILE *f, const json_t *u, const char *indent)
{
	size_t i;
	const json_t *t;
	long long ops = json_integer_value(json_object_get(u, "ops"));
	long long deferred = json_integer_value(json_object_get(u, "deferred"));
	if (ops) {
		fprintf(f, "%s%lld op%s of types this heph cannot apply yet (kept; applied once it is upgraded):\n",
			indent, ops, ops == 1 ? "" : "s");
		json_array_foreach(json_object_get(u, "types"), i, t) {
			long long n = json_integer_value(json_object_get(t, "ops"));
			fprintf(f, "%s  %s: %lld op%s, ", indent, s_or(t, "type", "?"), n, n == 1 ? "" : "s");
			cli_print_applied_by(f, json_object_get(t, "applied_by"));
			fputc('\n', f);
		}
	}
	if (deferred)
		fprintf(f, "%s%lld op%s waiting for a node that has not arrived yet\n", indent, deferred,
			deferred == 1 ? "" : "s");
}

/* ---- heph fleet ---- */

static void print_fleet(struct cli *cli, const json_t *list)
{
	static const char *const head[] = { "DEVICE", "ROLE", "VERSION", "SCHEMA", "OP TYPES VS HUB", "LAST SEEN",
					     "UNAPPLIED" };
	enum { NCOL = 7 };
	size_t n = json_array_size(list), i;
	char (*cell)[NCOL][160] = calloc(n ? n : 1, sizeof *cell);
	int width[NCOL];
	const json_t *d;
	if (!cell)
		abort();
	for (int c = 0; c < NCOL; c++)
		width[c] = (int)strlen(head[c]);
	json_array_foreach(list, i, d) {
		char types[160] = "";
		const json_t *missing = json_object_get(d, "missing_op_types"), *extra = json_object_get(d, "extra_op_types");
		if (!json_is_array(missing))
			snprintf(types, sizeof types, "not reported");
		else if (json_array_size(missing) == 0 && json_array_size(extra) == 0)
			snprintf(types, sizeof types, "same");
		else {
			join(missing, "-", types, sizeof types);
			join(extra, "+", types, sizeof types);
		}
		snprintf(cell[i][0], sizeof cell[i][0], "%s", s_or(d, "name", s_or(d, "origin", "?")));
		snprintf(cell[i][1], sizeof cell[i][1], "%s", s_or(d, "role", "spoke"));
		snprintf(cell[i][2], sizeof cell[i][2], "%s", s_or(d, "version", "unknown"));
		if (json_is_integer(json_object_get(d, "schema")))
			snprintf(cell[i][3], sizeof cell[i][3], "%lld", (long long)json_integer_value(json_object_get(d, "schema")));
		else
			snprintf(cell[i][3], sizeof cell[i][3], "?");
		snprintf(cell[i][4], sizeof cell[i][4], "%s", types);
		snprintf(cell[i][5], sizeof cell[i][5], "%s", s_or(d, "last_seen", "?"));
		if (json_is_integer(json_object_get(d, "unapplied")))
			snprintf(cell[i][6], sizeof cell[i][6], "%lld",
				 (long long)json_integer_value(json_object_get(d, "unapplied")));
		else
			snprintf(cell[i][6], sizeof cell[i][6], "?");
		for (int c = 0; c < NCOL; c++)
			if ((int)strlen(cell[i][c]) > width[c])
				width[c] = (int)strlen(cell[i][c]);
	}
	for (size_t row = 0; row <= n; row++)
		for (int c = 0; c < NCOL; c++) {
			const char *text = row ? cell[row - 1][c] : head[c];
			if (c + 1 < NCOL)
				fprintf(cli->out, "%-*s  ", width[c], text);
			else
				fprintf(cli->out, "%s\n", text);
		}
	free(cell);
}

int cmd_fleet(struct cli *cli, int argc, char **argv)
{
	json_t *r = NULL;
	struct net_hub hub;
	int err;
	json_t *params;
	if ((err = cli_params(cli, argc, argv, &params)))
		return err;
	json_decref(params);
	if (cli->remote) {
		err = cli_call(cli, "fleet.list", NULL, &r);
	} else {
		if ((err = cli_store(cli)))
			return err;
		err = net_hub_load(cli->store, NULL, NULL, &hub);
		if (err == HEPH_EUSAGE) {
			err = cli_call(cli, "fleet.list", NULL, &r); /* this is the hub's database */
		} else if (!err) {
			net_client *c = NULL;
			if ((err = net_client_new(hub.url, hub.token, &c)) == 0)
				err = net_rpc_call(c, "fleet.list", NULL, &r);
			if (err == HEPH_ENOTFOUND && strstr(heph_error_last(), "fleet.list"))
				err = heph_error_set(HEPH_ENOTFOUND,
						     "the hub at %s keeps no fleet list: it runs a heph from before fleet "
						     "reporting; upgrade it",
						     hub.url);
			net_client_free(c);
			net_hub_free(&hub);
		}
	}
	if (err)
		return err;
	if (cli->json)
		print_json(cli, r);
	else
		print_fleet(cli, r);
	json_decref(r);
	return 0;
}
