/* main.c — heph's entry: global options, finding the verb in the table,
 * turning its arguments into RPC params, and mapping errors to exit codes.
 *
 * The database is --db PATH, else $HEPH_DB, else $XDG_DATA_HOME/heph/heph.db
 * (~/.local/share/heph/heph.db), created on first use. $HEPH_NOW=YYYY-MM-DD
 * fixes "today" for scripts and tests.
 */
#include "cli.h"

#include <ctype.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "heph/buf.h"
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

static int call_one(void *ctx, const char *method, json_t *params, json_t **result)
{
	struct cli *cli = ctx;
	int err;
	if (cli->remote) {
		if ((err = remote_client(cli)))
			return err;
		return net_rpc_call(cli->rc, method, params, result);
	}
	if ((err = cli_store(cli)))
		return err;
	heph_rpc_env env = { .store = cli->store, .host = &cli->host, .row = cli->row, .row_ctx = cli->row_ctx };
	return heph_rpc_call(&env, method, params, result);
}

int cli_call_once(struct cli *cli, const char *method, json_t *params, json_t **result)
{
	*result = NULL;
	return call_one(cli, method, params, result);
}

int cli_call(struct cli *cli, const char *method, json_t *params, json_t **result)
{
	const heph_rpc_method *m = heph_rpc_find(method);
	int err;
	const json_t *w;
	size_t i;
	*result = NULL;
	/* A paged read the user did not page (no --limit, no --cursor) is read
	 * to its last page, locally and remotely alike: the rows in one array,
	 * as an unpaged read gives them. */
	if (m && m->page && !json_object_get(params, "limit") && !json_object_get(params, "cursor"))
		err = heph_rpc_call_all(m, params, call_one, cli, result);
	else
		err = call_one(cli, method, params, result);
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

/* A row of a whole read printed with --json: appended to the answer's
 * text as jansson would write it in the array (compact), then let go. */
static int json_row(void *ctx, json_t *row)
{
	heph_buf *b = ctx;
	char *s = json_dumps(row, JSON_COMPACT);
	if (!s)
		abort();
	heph_buf_puts(b, b->n > 1 ? "," : "");
	heph_buf_puts(b, s);
	free(s);
	return 0;
}

/* A whole paged read (no --limit, no --cursor) printed as it is read: the
 * rows go from the query to the printer's own form one at a time (the
 * task list's fields; with --json, their text), so the print path costs no
 * more than the query and nothing holds every row as JSON objects. The
 * output is the same as printing the collected answer. 1: not such a
 * read, print it the usual way. */
static int call_print_rows(struct cli *cli, const heph_rpc_method *m, json_t *params, int *err)
{
	int json = cli->json && !isatty(fileno(cli->out)); /* indented JSON: the usual way */
	struct task_rows tr = { 0 };
	heph_buf text = { 0 };
	if (!m || !m->page || json_object_get(params, "limit") || json_object_get(params, "cursor") ||
	    (!json && (cli->json || cli->verb->print != print_tasks)))
		return 1;
	cli->row = json ? json_row : task_rows_add;
	cli->row_ctx = json ? (void *)&text : (void *)&tr;
	if (json)
		heph_buf_puts(&text, "[");
	*err = heph_rpc_call_each(m, params, call_one, cli, cli->row, cli->row_ctx);
	cli->row = NULL;
	cli->row_ctx = NULL;
	if (!*err && json)
		fprintf(cli->out, "%s]\n", text.p);
	else if (!*err)
		print_task_rows(cli, &tr);
	heph_buf_free(&text);
	task_rows_free(&tr);
	return 0;
}

int cli_call_print(struct cli *cli, const char *method, json_t *params)
{
	json_t *r = NULL;
	const heph_rpc_method *m = heph_rpc_find(method);
	int err;
	if (call_print_rows(cli, m, params, &err) == 0)
		return err;
	if ((err = cli_call(cli, method, params, &r)))
		return err;
	json_t *rows = m && m->page && json_is_object(r) ? json_object_get(r, m->page) : NULL;
	if (cli->json || !cli->verb->print) {
		print_json(cli, r);
	} else if (rows) {
		/* one page, asked for with --limit or --cursor: its rows, and where the next starts */
		const char *next = json_string_value(json_object_get(r, "next_cursor"));
		cli->verb->print(cli, rows);
		if (next)
			fprintf(stderr, "heph: more follow: add --cursor %s\n", next);
	} else {
		cli->verb->print(cli, r);
	}
	json_decref(r);
	return 0;
}

/* ---- options: the method's schema, then the verb's own ---- */

/* A positional's params key: its name without the '*' and '?' marks. */
static void pos_key(const char *name, char *buf, size_t n)
{
	snprintf(buf, n, "%s", name[0] == '*' ? name + 1 : name);
	size_t len = strlen(buf);
	if (len && buf[len - 1] == '?')
		buf[len - 1] = '\0';
}

/* Whether a parameter is one of the verb's positionals: their names
 * compared in place, without pos_key's copy (this runs for every parameter
 * of the method on every command). */
static int is_positional(const struct verb *v, const char *param)
{
	size_t plen = strlen(param);
	for (const char *const *w = v->args; w && *w; w++) {
		const char *name = (*w)[0] == '*' ? *w + 1 : *w;
		size_t len = strlen(name);
		if (len && name[len - 1] == '?')
			len--;
		if (len == plen && memcmp(name, param, len) == 0)
			return 1;
	}
	return 0;
}

/* The placeholder of a parameter's value in help. */
static const char *meta_of(const heph_rpc_param *p)
{
	switch (p->type) {
	case HEPH_RPC_DATE: return "DATE";
	case HEPH_RPC_NODE: return "ID";
	case HEPH_RPC_PROJECT: return "PROJECT";
	case HEPH_RPC_ATTENTION: return "COLOUR";
	case HEPH_RPC_ENUM: return p->values;
	case HEPH_RPC_INT: return "N";
	case HEPH_RPC_TAG:
	case HEPH_RPC_TAGS: return "TAG";
	case HEPH_RPC_VIEW: return "VIEW";
	case HEPH_RPC_CURSOR: return "CURSOR";
	default: return "TEXT";
	}
}

size_t cli_verb_opts(const struct verb *v, struct opt out[CLI_MAX_OPTS])
{
	const heph_rpc_method *m = v->method && !(v->flags & VERB_ARGS_ONLY) ? heph_rpc_find(v->method) : NULL;
	size_t n = 0;
	for (const heph_rpc_param *p = m ? m->params : NULL; p && p->name && n < CLI_MAX_OPTS; p++) {
		if (is_positional(v, p->name))
			continue;
		out[n++] = (struct opt){
			.name = p->cli ? p->cli : p->name,
			.kind = p->type == HEPH_RPC_BOOL    ? OPT_FLAG
				: p->type == HEPH_RPC_INT   ? OPT_INT
				: p->type == HEPH_RPC_TEXT  ? OPT_TEXT
				: p->type == HEPH_RPC_LINES || p->type == HEPH_RPC_TAGS ? OPT_LIST
							    : OPT_STR,
			.param = p->name,
			.meta = meta_of(p),
			.help = p->help,
			.schema = p,
		};
	}
	for (const struct opt *o = v->opts; o && o->name && n < CLI_MAX_OPTS; o++)
		out[n++] = *o;
	return n;
}

/* "do_date" as written on the command line: "do-date". */
static void dashed(const char *name, char *buf, size_t n)
{
	snprintf(buf, n, "%s", name);
	for (char *p = buf; *p; p++)
		if (*p == '_')
			*p = '-';
}

void cli_usage(const struct verb *v, char *buf, size_t n)
{
	struct opt o[CLI_MAX_OPTS];
	size_t k = cli_verb_opts(v, o), used = 0;
	char word[96], key[64];
	if (v->usage) {
		snprintf(buf, n, "%s", v->usage);
		return;
	}
	buf[0] = '\0';
#define ADD(...)                                                                  \
	do {                                                                      \
		int w_ = snprintf(buf + used, used < n ? n - used : 0, __VA_ARGS__); \
		if (w_ > 0)                                                       \
			used += (size_t)w_;                                       \
		if (used >= n)                                                    \
			return;                                                   \
	} while (0)
	for (const char *const *w = v->args; w && *w; w++) {
		int rest = (*w)[0] == '*', opt = (*w)[strlen(*w) - 1] == '?';
		pos_key(*w, key, sizeof key);
		for (char *c = key; *c; c++)
			*c = (char)toupper((unsigned char)*c);
		ADD("%s%s%s%s%s", used ? " " : "", opt ? "[" : "", key, rest ? "..." : "", opt ? "]" : "");
	}
	for (size_t i = 0; i < k; i++) {
		dashed(o[i].name, word, sizeof word);
		if (o[i].kind == OPT_FLAG)
			ADD("%s[--%s]", used ? " " : "", word);
		else
			ADD("%s[--%s %s]%s", used ? " " : "", word, o[i].meta ? o[i].meta : "VALUE",
			    o[i].kind == OPT_LIST ? "..." : "");
	}
#undef ADD
}

/* ---- help ---- */

static void overview(FILE *f)
{
	fprintf(f, "usage: heph [--db PATH | --remote URL] [--json] VERB [ARGS]\n\n"
		   "heph keeps tasks, projects and docs in a local SQLite database and\n"
		   "answers \"what do I do right now?\". Verbs:\n\n");
	for (const struct verb *w = heph_cli_verbs; w->name; w++)
		if (!(w->flags & VERB_HIDDEN))
			fprintf(f, "  %-19s %s\n", w->name, w->summary);
	fprintf(f, "\nGlobal options:\n"
		   "  --db PATH          database (default $HEPH_DB, else $XDG_DATA_HOME/heph/heph.db)\n"
		   "  --remote URL       send each verb to that hub's /rpc instead (or $HEPH_REMOTE)\n"
		   "  --token-file FILE  the hub's bearer token for --remote (or $HEPH_TOKEN_FILE)\n"
		   "  --json             machine-readable output\n"
		   "  --help             help for heph or for a verb\n"
		   "  --version          print the version\n"
		   "\nEnvironment: HEPH_DB (database), HEPH_NOW=YYYY-MM-DD (fix \"today\"),\n"
		   "HEPH_REMOTE, HEPH_TOKEN_FILE, HEPH_SOCKET (the local hephd), NO_COLOR (plain output),\n"
		   "HEPH_SYNC_SNAPSHOT=auto|always|never (an empty replica starts from the hub's snapshot).\n"
		   "Exit status: 0 ok, 1 error, 2 usage, 3 invalid input, 4 not found, 5 ambiguous,\n"
		   "6 conflict, 7 clock ahead, 8 schema too new, 9 database busy, 10 unauthorized,\n"
		   "11 forbidden, 12 too big, 13 protocol version, 14 unavailable, 15 read-only or\n"
		   "disk full. See docs/reference/cli.md.\n");
}

void cli_help(FILE *f, const struct verb *v)
{
	struct opt o[CLI_MAX_OPTS];
	char usage[1024];
	size_t k;
	if (!v) {
		overview(f);
		return;
	}
	cli_usage(v, usage, sizeof usage);
	fprintf(f, "usage: heph %s%s%s\n\n%s\n", v->name, usage[0] ? " " : "", usage, v->summary);
	if (v->help)
		fprintf(f, "\n%s\n", v->help);
	k = (v->flags & VERB_RAW) ? 0 : cli_verb_opts(v, o);
	fprintf(f, "\nOptions:\n");
	for (size_t i = 0; i < k; i++) {
		char buf[96], name[64];
		dashed(o[i].name, name, sizeof name);
		if (o[i].kind == OPT_FLAG)
			snprintf(buf, sizeof buf, "--%s", name);
		else
			snprintf(buf, sizeof buf, "--%s %s", name, o[i].meta ? o[i].meta : "VALUE");
		fprintf(f, "  %-22s %s", buf, o[i].help);
		if (o[i].kind == OPT_TEXT)
			fprintf(f, " (- reads standard input)");
		else if (o[i].kind == OPT_LIST && !o[i].schema)
			fprintf(f, " (repeatable)");
		if (o[i].schema && o[i].schema->dflt && o[i].kind != OPT_FLAG)
			fprintf(f, " (default %s)", o[i].schema->dflt);
		fprintf(f, "\n");
	}
	fprintf(f, "  %-22s %s\n  %-22s %s\n", "--json", "machine-readable output", "--help", "this help");
}

json_t *cli_verbs_json(void)
{
	static const char *const kinds[] = { "value", "text", "flag", "integer", "list" };
	json_t *arr = json_array();
	for (const struct verb *v = heph_cli_verbs; v->name; v++) {
		struct opt o[CLI_MAX_OPTS];
		char usage[1024], name[64], key[64];
		if (v->flags & VERB_HIDDEN)
			continue;
		size_t k = (v->flags & VERB_RAW) ? 0 : cli_verb_opts(v, o);
		json_t *opts = json_array(), *args = json_array();
		cli_usage(v, usage, sizeof usage);
		for (const char *const *w = v->args; w && *w; w++) {
			pos_key(*w, key, sizeof key);
			const heph_rpc_method *m = v->method ? heph_rpc_find(v->method) : NULL;
			const char *type = NULL;
			for (const heph_rpc_param *p = m ? m->params : NULL; p && p->name; p++)
				if (strcmp(p->name, key) == 0)
					type = heph_rpc_type_name(p->type);
			json_array_append_new(args, json_pack("{s:s, s:b, s:b, s:s?}", "name", key, "rest", (*w)[0] == '*',
							      "optional", (*w)[strlen(*w) - 1] == '?', "type", type));
		}
		for (size_t i = 0; i < k; i++) {
			dashed(o[i].name, name, sizeof name);
			json_t *j = json_pack("{s:s, s:s, s:s?, s:s}", "name", name, "kind", kinds[o[i].kind], "meta",
					      o[i].meta, "help", o[i].help);
			if (o[i].schema) {
				json_object_set_new(j, "param", json_string(o[i].schema->name));
				json_object_set_new(j, "type", json_string(heph_rpc_type_name(o[i].schema->type)));
				if (o[i].schema->type == HEPH_RPC_ENUM)
					json_object_set_new(j, "values", json_string(o[i].schema->values));
				else if (o[i].schema->type == HEPH_RPC_ATTENTION)
					json_object_set_new(j, "values", json_string("red|orange|white|blue"));
				if (o[i].schema->dflt)
					json_object_set_new(j, "default", json_string(o[i].schema->dflt));
			}
			json_array_append_new(opts, j);
		}
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s?, s:o, s:o, s:s?, s:b}", "name", v->name, "usage",
						     usage, "summary", v->summary, "method", v->method, "args", args,
						     "options", opts, "help", v->help, "raw", (v->flags & VERB_RAW) != 0));
	}
	return arr;
}

/* ---- arguments to params ---- */


/* Whether a typed option name (len bytes) names o: '-' and '_' alike. */
static int opt_is(const struct opt *o, const char *name, size_t len)
{
	if (strlen(o->name) != len)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char a = o->name[i] == '_' ? '-' : o->name[i], b = name[i] == '_' ? '-' : name[i];
		if (a != b)
			return 0;
	}
	return 1;
}

static void param_key(const struct opt *o, char *buf, size_t n)
{
	snprintf(buf, n, "%s", o->param ? o->param : o->name);
	for (char *p = buf; *p; p++)
		if (*p == '-')
			*p = '_';
}

/* A word of the command line as a JSON string, or NULL with the error set
 * when it is not valid UTF-8 (what names the word in the message). */
static json_t *word_json(const struct verb *v, const char *what, const char *word)
{
	json_t *j = json_string(word);
	if (!j)
		heph_error_set(HEPH_EINVALID, "%s: %s is not valid UTF-8: give text in UTF-8", v->name, what);
	return j;
}

int cli_params(struct cli *cli, int argc, char **argv, json_t **params)
{
	*params = json_object();
	int err = cli_parse_args(cli->verb, argc, argv, *params);
	if (err) {
		json_decref(*params);
		*params = NULL;
	}
	return err;
}

json_t *cli_take(json_t *params, const char *key)
{
	json_t *v = json_object_get(params, key);
	if (!v)
		return NULL;
	json_incref(v);
	json_object_del(params, key);
	return v;
}

int cli_parse_args(const struct verb *v, int argc, char **argv, json_t *params)
{
	int npos = 0, only_pos = 0;
	const char *const *want = v->args;
	json_t *rest = NULL, *j;
	struct opt opts[CLI_MAX_OPTS];
	size_t nopts = cli_verb_opts(v, opts);
	char what[96];
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		snprintf(what, sizeof what, "argument %d", i + 1);
		if (!(j = word_json(v, what, a)))
			return HEPH_EINVALID;
		json_decref(j);
		if (!only_pos && strcmp(a, "--") == 0) {
			only_pos = 1;
			continue;
		}
		if (!only_pos && a[0] == '-' && a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			const struct opt *o = NULL;
			char key[64], shown[64];
			for (size_t k = 0; k < nopts && !o; k++)
				if (opt_is(&opts[k], name, len))
					o = &opts[k];
			if (!o)
				return heph_error_set(HEPH_EUSAGE, "%s: unknown option --%.*s (heph %s --help lists its options)",
						      v->name, (int)(len > 40 ? 40 : len), name, v->name);
			param_key(o, key, sizeof key);
			dashed(o->name, shown, sizeof shown);
			if (o->kind == OPT_FLAG) {
				if (eq)
					return heph_error_set(HEPH_EUSAGE, "%s: --%s takes no value", v->name, shown);
				json_object_set_new(params, key, json_true());
				continue;
			}
			const char *val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
			if (!val)
				return heph_error_set(HEPH_EUSAGE, "%s: --%s needs a value (%s)", v->name, shown,
						      o->meta ? o->meta : "VALUE");
			snprintf(what, sizeof what, "the value of --%s", shown);
			if (!(j = word_json(v, what, val)))
				return HEPH_EINVALID;
			if (o->kind == OPT_INT) {
				char *end;
				long long n = strtoll(val, &end, 10);
				json_decref(j);
				if (!*val || *end)
					return heph_error_set(HEPH_EUSAGE, "%s: --%s wants a number, not \"%.40s\"", v->name,
							      shown, val);
				json_object_set_new(params, key, json_integer(n));
			} else if (o->kind == OPT_TEXT && strcmp(val, "-") == 0) {
				heph_buf text = { 0 };
				int failed = heph_buf_read(&text, stdin);
				json_decref(j);
				j = failed ? NULL : json_stringn(text.p, text.n);
				heph_buf_free(&text);
				if (failed)
					return heph_error_set(HEPH_ERROR, "%s: --%s: reading standard input failed", v->name,
							      shown);
				if (!j)
					return heph_error_set(HEPH_EINVALID,
							      "%s: --%s: the text on standard input is not valid UTF-8", v->name,
							      shown);
				json_object_set_new(params, key, j);
			} else if (o->kind == OPT_LIST) {
				json_t *arr = json_object_get(params, key);
				if (!arr)
					json_object_set_new(params, key, arr = json_array());
				json_array_append_new(arr, j);
			} else {
				json_object_set_new(params, key, j);
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
		char key[64], usage[1024];
		pos_key(*w, key, sizeof key);
		if ((*w)[strlen(*w) - 1] == '?' || json_object_get(params, key))
			continue;
		cli_usage(v, usage, sizeof usage);
		for (char *c = key; *c; c++)
			*c = (char)toupper((unsigned char)*c);
		return heph_error_set(HEPH_EUSAGE, "%s: %s is missing (usage: heph %s %s)", v->name, key, v->name, usage);
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

/* Whether word names a group of verbs ("project": project add, project list). */
int cli_is_group(const char *word)
{
	size_t n = strlen(word);
	for (const struct verb *v = heph_cli_verbs; v->name; v++)
		if (strncmp(v->name, word, n) == 0 && v->name[n] == ' ' && !(v->flags & VERB_HIDDEN))
			return 1;
	return 0;
}

/* The help of a group: its verbs and their summaries. */
static void group_help(FILE *f, const char *word)
{
	size_t n = strlen(word);
	fprintf(f, "usage: heph %s VERB ...\n\n", word);
	for (const struct verb *v = heph_cli_verbs; v->name; v++)
		if (strncmp(v->name, word, n) == 0 && (v->name[n] == ' ' || v->name[n] == '\0'))
			fprintf(f, "  %-19s %s\n", v->name, v->summary);
	fprintf(f, "\nheph %s VERB --help tells more.\n", word);
}

/* Say that the words name no verb, with the nearest one; returns the exit
 * status of a usage error. */
static int no_verb(int argc, char **argv)
{
	char words[128];
	const struct verb *best = NULL;
	size_t bestd = (size_t)-1;
	snprintf(words, sizeof words, "%s%s%s", argv[0], argc > 1 && cli_is_group(argv[0]) ? " " : "",
		 argc > 1 && cli_is_group(argv[0]) ? argv[1] : "");
	for (const struct verb *v = heph_cli_verbs; v->name; v++) {
		size_t d = v->flags & VERB_HIDDEN ? (size_t)-1 : heph_rpc_distance(words, v->name);
		if (d < bestd)
			bestd = d, best = v;
	}
	for (char *c = words; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	if (cli_is_group(argv[0]) && argc > 1)
		fprintf(stderr, "heph: \"%.60s\" is not a verb of heph %s (heph %s --help lists them)\n", words, argv[0],
			argv[0]);
	else if (best && bestd <= 2)
		fprintf(stderr, "heph: unknown verb \"%.60s\": did you mean heph %s? (heph --help lists the verbs)\n", words,
			best->name);
	else
		fprintf(stderr, "heph: unknown verb \"%.60s\" (heph --help lists the verbs)\n", words);
	return heph_error_exit_status(HEPH_EUSAGE);
}

/* heph help [VERB...], heph --help, heph VERB --help: 0, or a usage error
 * when the words name no verb. */
static int help(struct cli *cli, int argc, char **argv)
{
	int used;
	const struct verb *v;
	if (argc == 0) {
		if (cli->json) {
			json_t *verbs = cli_verbs_json();
			print_json(cli, verbs);
			json_decref(verbs);
		} else {
			cli_help(stdout, NULL);
		}
		return 0;
	}
	if ((v = find_verb(argc, argv, &used)) && (used == argc || !cli_is_group(argv[0]) || v->name[strlen(argv[0])])) {
		cli_help(stdout, v);
		return 0;
	}
	if (cli_is_group(argv[0]) && argc == 1) {
		group_help(stdout, argv[0]);
		return 0;
	}
	return no_verb(argc, argv);
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
				status = heph_error_exit_status(HEPH_EUSAGE);
				goto out;
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
				status = heph_error_exit_status(HEPH_EUSAGE);
				goto out;
			}
			if (argv[i][2] == 'r')
				cli.remote = argv[++i];
			else
				cli.token_file = argv[++i];
		} else if (strcmp(argv[i], "--version") == 0 && n == 0) {
			printf("heph %s (schema %d)\n", heph_version(), heph_schema_version());
			status = 0;
			goto out;
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

	if (n == 0) {
		cli_help(stderr, NULL);
		status = heph_error_exit_status(HEPH_EUSAGE);
		goto out;
	}
	if (strcmp(rest[0], "help") == 0 || (n == 1 && want_help(n, rest))) {
		status = strcmp(rest[0], "help") == 0 ? help(&cli, n - 1, rest + 1) : help(&cli, 0, NULL);
		goto out;
	}
	cli.verb = find_verb(n, rest, &used);
	if (!cli.verb && cli_is_group(rest[0]) && (n == 1 || want_help(n - 1, rest + 1))) {
		/* heph project, heph import --help: the group's verbs */
		group_help(n == 1 ? stderr : stdout, rest[0]);
		status = n == 1 ? heph_error_exit_status(HEPH_EUSAGE) : 0;
		goto out;
	}
	if (!cli.verb) {
		status = no_verb(n, rest);
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
