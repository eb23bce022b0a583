/* main.c — heph's entry: global options, finding the verb in the table,
 * turning its arguments into RPC params, and mapping errors to exit codes.
 *
 * The database is --db PATH, else $HEPH_DB, else $XDG_DATA_HOME/heph/heph.db
 * (~/.local/share/heph/heph.db), created on first use. $HEPH_NOW=YYYY-MM-DD
 * fixes "today" for scripts and tests.
 */
#include "cli.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "heph/date.h"

static int fail(int code)
{
	fputs("heph: ", stderr);
	cli_term_puts(stderr, heph_error_last()); /* it may quote a title */
	fputc('\n', stderr);
	return heph_error_exit_status(code);
}

int cli_store(struct cli *cli)
{
	if (cli->store)
		return 0;
	/* A command reads most pages once: a small page cache recycles its
	 * memory instead of faulting in fresh pages (a quarter of the CPU of
	 * heph next on 100k tasks; docs/explanation/performance.md). Bulk
	 * writes grow it (heph__cache_bulk). */
	return heph_store_open_env(cli->db_path, HEPH_CLI_CACHE_KB, &cli->store);
}

/* The connection to the hub named by --remote, with its token. */
static int remote_client(struct cli *cli)
{
	char *token = NULL;
	int err;
	if (cli->rc)
		return 0;
	if (cli->token_file && (err = net_read_token_file(cli->token_file, &token)))
		return err;
	/* No token file: the token command kept for that hub (heph hub set
	 * --token-cmd), else the login to it (heph auth login), if any. */
	char *cmd = NULL;
	if (!cli->token_file && net_token_cmd_get(cli->remote, &cmd) == 0 && cmd) {
		err = net_run_token_cmd(cmd, &token);
		free(cmd);
		if (err)
			return err;
	}
	if (!cli->token_file && !token && (err = net_login_bearer(cli->remote, 0, &token)) && err != HEPH_ENOTFOUND)
		return err;
	err = net_client_new(cli->remote, token, &cli->rc);
	free(token);
	return err;
}

int cli_call(struct cli *cli, const char *method, json_t *params, json_t **result)
{
	int err;
	const json_t *w;
	size_t i;
	*result = NULL;
	if (cli->remote) {
		if ((err = remote_client(cli)))
			return err;
		err = net_rpc_call(cli->rc, method, params, result);
	} else {
		if ((err = cli_store(cli)))
			return err;
		heph_rpc_env env = { .store = cli->store, .host = &cli->host };
		err = heph_rpc_call(&env, method, params, result);
	}
	/* what a method accepted but wants said (a late-on before the do-date) */
	if (!err && json_is_object(*result))
		json_array_foreach(json_object_get(*result, "warnings"), i, w)
			if (json_is_string(w))
				fprintf(stderr, "heph: warning: %s\n", json_string_value(w));
	return err;
}

void print_json(struct cli *cli, json_t *r)
{
	char *s = json_dumps(r, JSON_ENCODE_ANY | (isatty(fileno(cli->out)) ? JSON_INDENT(2) : JSON_COMPACT));
	fprintf(cli->out, "%s\n", s ? s : "null");
	free(s);
}

int cli_call_print(struct cli *cli, const char *method, json_t *params)
{
	json_t *r = NULL;
	int err = cli_call(cli, method, params, &r);
	if (err)
		return err;
	if (cli->json || !cli->verb->print)
		print_json(cli, r);
	else
		cli->verb->print(cli, r);
	json_decref(r);
	return 0;
}

/* ---- help ---- */

static void opt_name(const struct opt *o, char *buf, size_t n)
{
	if (o->kind == OPT_FLAG)
		snprintf(buf, n, "--%s", o->name);
	else
		snprintf(buf, n, "--%s %s", o->name, o->meta ? o->meta : "VALUE");
}

void cli_help(FILE *f, const struct verb *v)
{
	if (!v) {
		fprintf(f, "usage: heph [--db PATH | --remote URL] [--json] VERB [ARGS]\n\n"
			   "heph keeps tasks, projects and docs in a local SQLite database and\n"
			   "answers \"what do I do right now?\". Verbs:\n\n");
		for (const struct verb *w = heph_cli_verbs; w->name; w++)
			if (w->name[0] != '_') /* hidden: __complete */
				fprintf(f, "  %-18s %s\n", w->name, w->summary);
		fprintf(f, "\nGlobal options:\n"
			   "  --db PATH          database (default $HEPH_DB, else $XDG_DATA_HOME/heph/heph.db)\n"
			   "  --remote URL       send each verb to that hub's /rpc instead (or $HEPH_REMOTE)\n"
			   "  --token-file FILE  the hub's bearer token for --remote (or $HEPH_TOKEN_FILE)\n"
			   "  --json             machine-readable output\n"
			   "  --help             help for heph or for a verb\n"
			   "  --version          print the version\n"
			   "\nEnvironment: HEPH_DB (database), HEPH_NOW=YYYY-MM-DD (fix \"today\"),\n"
			   "HEPH_REMOTE, HEPH_TOKEN_FILE, HEPH_SOCKET (the local hephd), NO_COLOR (plain output).\n"
			   "Exit status: 0 ok, 1 error, 2 usage, 3 invalid input, 4 not found, 5 ambiguous,\n"
			   "6 conflict, 7 clock ahead, 8 schema too new, 9 database busy, 10 unauthorized,\n"
			   "11 forbidden, 12 too big, 13 protocol version, 14 unavailable, 15 read-only or\n"
			   "disk full. See docs/reference/cli.md.\n");
		return;
	}
	fprintf(f, "usage: heph %s%s%s\n\n%s\n", v->name, v->usage && *v->usage ? " " : "", v->usage ? v->usage : "",
		v->summary);
	if (v->help)
		fprintf(f, "\n%s\n", v->help);
	if (v->opts && v->opts[0].name) {
		fprintf(f, "\nOptions:\n");
		for (const struct opt *o = v->opts; o->name; o++) {
			char buf[64];
			opt_name(o, buf, sizeof buf);
			fprintf(f, "  %-22s %s\n", buf, o->help);
		}
	}
	fprintf(f, "  %-22s %s\n  %-22s %s\n", "--json", "machine-readable output", "--help", "this help");
}

/* ---- arguments to params ---- */

static char *read_all(FILE *in)
{
	size_t cap = 4096, n = 0, got;
	char *buf = malloc(cap);
	if (!buf)
		abort();
	while ((got = fread(buf + n, 1, cap - n - 1, in)) > 0) {
		n += got;
		if (cap - n - 1 == 0 && !(buf = realloc(buf, cap *= 2)))
			abort();
	}
	buf[n] = '\0';
	return buf;
}

static const struct opt *find_opt(const struct verb *v, const char *name, size_t len)
{
	for (const struct opt *o = v->opts; o && o->name; o++)
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	return NULL;
}

static void param_key(const struct opt *o, char *buf, size_t n)
{
	snprintf(buf, n, "%s", o->param ? o->param : o->name);
	for (char *p = buf; *p; p++)
		if (*p == '-')
			*p = '_';
}

/* A positional's params key: its name without the '*' and '?' marks. */
static void pos_key(const char *name, char *buf, size_t n)
{
	snprintf(buf, n, "%s", name[0] == '*' ? name + 1 : name);
	size_t len = strlen(buf);
	if (len && buf[len - 1] == '?')
		buf[len - 1] = '\0';
}

int cli_parse_args(const struct verb *v, int argc, char **argv, json_t *params)
{
	int npos = 0, only_pos = 0;
	const char *const *want = v->args;
	json_t *rest = NULL;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		json_t *utf8 = json_string(a); /* NULL unless valid UTF-8 */
		if (!utf8)
			return heph_error_set(HEPH_EINVALID, "%s: argument %d is not valid UTF-8", v->name, i + 1);
		json_decref(utf8);
		if (!only_pos && strcmp(a, "--") == 0) {
			only_pos = 1;
			continue;
		}
		if (!only_pos && a[0] == '-' && a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			const struct opt *o = find_opt(v, name, len);
			char key[64];
			if (!o)
				return heph_error_set(HEPH_EUSAGE, "%s: unknown option --%.*s (see heph %s --help)", v->name,
						      (int)len, name, v->name);
			param_key(o, key, sizeof key);
			if (o->kind == OPT_FLAG) {
				if (eq)
					return heph_error_set(HEPH_EUSAGE, "--%s takes no value", o->name);
				json_object_set_new(params, key, json_true());
				continue;
			}
			const char *val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
			if (!val)
				return heph_error_set(HEPH_EUSAGE, "--%s needs a value", o->name);
			if (o->kind == OPT_INT) {
				char *end;
				long long n = strtoll(val, &end, 10);
				if (!*val || *end)
					return heph_error_set(HEPH_EUSAGE, "--%s wants a number, not \"%s\"", o->name, val);
				json_object_set_new(params, key, json_integer(n));
			} else if (o->kind == OPT_TEXT && strcmp(val, "-") == 0) {
				char *text = read_all(stdin);
				json_t *t = json_string(text);
				free(text);
				if (!t)
					return heph_error_set(HEPH_EINVALID, "--%s: the text on stdin is not valid UTF-8", o->name);
				json_object_set_new(params, key, t);
			} else if (o->kind == OPT_LIST) {
				json_t *arr = json_object_get(params, key);
				if (!arr)
					json_object_set_new(params, key, arr = json_array());
				json_array_append_new(arr, json_string(val));
			} else {
				json_object_set_new(params, key, json_string(val));
			}
			continue;
		}
		/* a positional argument */
		if (!want || !want[npos]) {
			if (!rest)
				return heph_error_set(HEPH_EUSAGE, "%s: unexpected argument \"%.40s\" (see heph %s --help)",
						      v->name, a, v->name);
			json_array_append_new(rest, json_string(a));
			continue;
		}
		char key[64];
		pos_key(want[npos], key, sizeof key);
		if (want[npos][0] == '*') {
			rest = json_array();
			json_object_set_new(params, key, rest);
			json_array_append_new(rest, json_string(a));
			npos++;
			continue;
		}
		json_object_set_new(params, key, json_string(a));
		npos++;
	}
	/* '*' params are words joined by spaces */
	for (const char *const *w = want; w && *w; w++) {
		if ((*w)[0] != '*')
			continue;
		char key[64];
		pos_key(*w, key, sizeof key);
		json_t *arr = json_object_get(params, key);
		if (!arr)
			continue;
		size_t i, len = 0;
		json_t *x;
		json_array_foreach(arr, i, x) len += json_string_length(x) + 1;
		char *joined = calloc(1, len + 1);
		if (!joined)
			abort();
		json_array_foreach(arr, i, x) {
			if (i)
				strcat(joined, " ");
			strcat(joined, json_string_value(x));
		}
		json_object_set_new(params, key, json_string(joined));
		free(joined);
	}
	for (const char *const *w = want; w && *w; w++) {
		const char *name = (*w)[0] == '*' ? *w + 1 : *w;
		if (name[strlen(name) - 1] == '?')
			continue;
		if (!json_object_get(params, name))
			return heph_error_set(HEPH_EUSAGE, "usage: heph %s %s", v->name, v->usage);
	}
	return 0;
}

static const struct verb *find_verb(int argc, char **argv, int *used)
{
	const struct verb *best = NULL;
	*used = 0;
	for (const struct verb *v = heph_cli_verbs; v->name; v++) {
		const char *sp = strchr(v->name, ' ');
		if (sp) {
			size_t n = (size_t)(sp - v->name);
			if (argc >= 2 && strlen(argv[0]) == n && strncmp(argv[0], v->name, n) == 0 &&
			    strcmp(argv[1], sp + 1) == 0) {
				*used = 2;
				return v;
			}
		} else if (argc >= 1 && strcmp(argv[0], v->name) == 0) {
			best = v;
			*used = 1;
		}
	}
	return best;
}

static int want_help(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cli cli = { .out = stdout, .raw = stdout };
	char *db = NULL;
	int used, err = 0, i = 1, status;
	const char *color_env = getenv("NO_COLOR");
	cli.color = isatty(STDOUT_FILENO) && !(color_env && *color_env);
	/* Errors, warnings and notes quote titles too: standard error shows
	 * control characters as well (glibc lets a program set stderr). */
	FILE *real_stderr = stderr;
	stderr = cli_term_open(real_stderr, 0);
	cli.width = cli_term_width();
	/* display widths (wcwidth) need a UTF-8 LC_CTYPE; only ctype changes */
	if (cli.width && !setlocale(LC_CTYPE, "C.UTF-8"))
		setlocale(LC_CTYPE, "en_US.UTF-8");

	/* Global options, wherever they appear before "--". */
	int n = 0;
	char **rest = calloc((size_t)argc + 1, sizeof *rest);
	if (!rest)
		abort();
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < argc)
				rest[n++] = argv[i++];
			break;
		}
		if (strcmp(argv[i], "--json") == 0) {
			cli.json = 1;
		} else if (strcmp(argv[i], "--db") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "heph: --db needs a path\n");
				free(rest);
				return heph_error_exit_status(HEPH_EUSAGE);
			}
			free(db);
			db = strdup(argv[++i]);
		} else if (strncmp(argv[i], "--db=", 5) == 0) {
			free(db);
			db = strdup(argv[i] + 5);
		} else if (strcmp(argv[i], "--remote") == 0 || (strcmp(argv[i], "--token-file") == 0 && n == 0)) {
			/* --token-file is global only before the verb: hub set has its own. */
			if (i + 1 >= argc) {
				fprintf(stderr, "heph: %s needs a value\n", argv[i]);
				free(rest);
				free(db);
				return heph_error_exit_status(HEPH_EUSAGE);
			}
			if (argv[i][2] == 'r')
				cli.remote = argv[++i];
			else
				cli.token_file = argv[++i];
		} else if (strcmp(argv[i], "--version") == 0 && n == 0) {
			printf("heph %s (schema %d)\n", heph_version(), heph_schema_version());
			free(rest);
			free(db);
			return 0;
		} else {
			rest[n++] = argv[i];
		}
	}
	cli.db_path = db ? db : (db = heph_default_db_path());
	if (!cli.remote && getenv("HEPH_REMOTE") && *getenv("HEPH_REMOTE"))
		cli.remote = getenv("HEPH_REMOTE");
	if (!cli.token_file && getenv("HEPH_TOKEN_FILE") && *getenv("HEPH_TOKEN_FILE"))
		cli.token_file = getenv("HEPH_TOKEN_FILE");
	if (cli.remote && strncmp(cli.remote, "http://", 7) != 0 && strncmp(cli.remote, "https://", 8) != 0) {
		fprintf(stderr, "heph: --remote wants http://HOST:PORT or https://..., not \"%s\"\n", cli.remote);
		status = heph_error_exit_status(HEPH_EUSAGE);
		goto out;
	}
	cli.host = (heph_rpc_host){ &cli, cli_sync_now, NULL, NULL };

	if (n == 0 || (n == 1 && want_help(n, rest)) || strcmp(rest[0], "help") == 0) {
		const struct verb *v = n >= 2 ? find_verb(n - 1, rest + 1, &used) : NULL;
		cli_help(n == 0 ? stderr : stdout, v);
		status = n == 0 ? heph_error_exit_status(HEPH_EUSAGE) : 0;
		goto out;
	}
	cli.verb = find_verb(n, rest, &used);
	if (!cli.verb) {
		fprintf(stderr, "heph: unknown verb \"%s\" (try heph --help)\n", rest[0]);
		status = heph_error_exit_status(HEPH_EUSAGE);
		goto out;
	}
	if (want_help(n - used, rest + used)) {
		cli_help(stdout, cli.verb);
		status = 0;
		goto out;
	}
	if (!cli.json)
		cli.out = cli_term_open(stdout, cli.color);
	if (cli.verb->run) {
		err = cli.verb->run(&cli, n - used, rest + used);
	} else {
		json_t *params = json_object();
		err = cli_parse_args(cli.verb, n - used, rest + used, params);
		if (!err)
			err = cli_call_print(&cli, cli.verb->method, params);
		json_decref(params);
	}
	status = err ? fail(err) : 0;
out:
	int lost = cli.out != stdout && fclose(cli.out) != 0;
	if ((fflush(stdout) != 0 || lost) && status == 0) {
		fprintf(stderr, "heph: writing output failed\n");
		status = 1;
	}
	fclose(stderr);
	stderr = real_stderr;
	heph_store_close(cli.store);
	net_client_free(cli.rc);
	free(rest);
	free(db);
	return status;
}
