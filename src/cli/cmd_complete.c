/* cmd_complete.c — heph __complete: what the shells' completion functions
 * (completions/) offer, answered from the verb table and the local database.
 *
 *   heph __complete -- WORD... CURRENT
 *
 * The words are those typed after "heph" up to the cursor; CURRENT is the
 * word being completed (may be empty). Prints one candidate a line, as
 * "candidate<TAB>description" (the description may be empty), only those
 * starting with CURRENT (projects, tags and task handles in any case). Nothing
 * printed means the shell should complete file names. It never writes, never
 * creates a database, never starts or asks hephd and never fails loudly: a
 * shell must not print errors while the user presses Tab.
 *
 * Verbs, options and their values come from heph_cli_verbs (verbs.c); the
 * dynamic answers (projects, tags, outstanding tasks, views) from the RPC
 * methods project.list, tag.list, task.list and view.list on the database of
 * --db, $HEPH_DB or the default path, opened only if it exists.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* What a value (of an option or a positional) is completed with. */
enum cval {
	CV_NONE,     /* nothing: the shell completes file names */
	CV_PROJECT,  /* project names */
	CV_TAG,      /* tag names */
	CV_TASK,     /* outstanding tasks' handles (as heph list shows them), titles as descriptions */
	CV_VIEW,     /* view names */
	CV_ENUM,     /* the values listed in the option's placeholder ("mine|theirs") */
	CV_COLOUR,   /* attention colours */
};

struct comp {
	struct cli *cli;
	const char *db;   /* --db among the words, else cli->db_path */
	const char *cur;  /* the word being completed */
	heph_store *store;
};

static void put(struct comp *c, const char *word, const char *desc, int fold)
{
	size_t n = strlen(c->cur);
	if (fold ? strncasecmp(word, c->cur, n) != 0 : strncmp(word, c->cur, n) != 0)
		return;
	fprintf(c->cli->out, "%s\t", word);
	/* descriptions stay on their line */
	for (const char *p = desc ? desc : ""; *p; p++)
		fputc((unsigned char)*p < 0x20 ? ' ' : *p, c->cli->out);
	fputc('\n', c->cli->out);
}

/* One call on the open store (a heph_rpc_caller). */
static int call_one(void *ctx, const char *method, json_t *params, json_t **result)
{
	heph_rpc_env env = { .store = ctx };
	return heph_rpc_call(&env, method, params, result);
}

/* Call a read method on the local database (a paged one to its last page:
 * every row); NULL if there is none or the call fails. The database is
 * opened only if its file exists. */
static json_t *call(struct comp *c, const char *method, json_t *params)
{
	const heph_rpc_method *m = heph_rpc_find(method);
	struct stat st;
	json_t *r = NULL;
	if (!c->store) {
		if (!c->db || stat(c->db, &st) != 0 || !S_ISREG(st.st_mode) ||
		    heph_store_open_env(c->db, HEPH_CLI_CACHE_KB, &c->store) != 0) {
			json_decref(params);
			return NULL;
		}
	}
	if ((m && m->page ? heph_rpc_call_all(m, params, call_one, c->store, &r)
			  : call_one(c->store, method, params, &r)) != 0) {
		json_decref(r);
		r = NULL;
	}
	json_decref(params);
	return r;
}

static const char *str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

static void values(struct comp *c, enum cval kind, const char *meta)
{
	json_t *r = NULL, *x;
	size_t i;
	char desc[160];
	switch (kind) {
	case CV_PROJECT:
		r = call(c, "project.list", NULL);
		json_array_foreach(r, i, x) {
			snprintf(desc, sizeof desc, "project, %lld open",
				 (long long)json_integer_value(json_object_get(x, "open_count_total")));
			put(c, str(x, "title"), desc, 1);
		}
		break;
	case CV_TAG:
		r = call(c, "tag.list", NULL);
		json_array_foreach(r, i, x) {
			snprintf(desc, sizeof desc, "tag on %lld",
				 (long long)json_integer_value(json_object_get(x, "count")));
			put(c, str(x, "name"), desc, 1);
		}
		break;
	case CV_TASK:
		r = call(c, "task.list", NULL);
		json_array_foreach(r, i, x) {
			/* the handle where lists show one, else the short id */
			const char *id = str(x, "handle")[0] ? str(x, "handle") : str(x, "short_id");
			put(c, id[0] ? id : str(x, "node_id"), str(x, "title"), 1);
		}
		break;
	case CV_VIEW:
		r = call(c, "view.list", NULL);
		json_array_foreach(r, i, x) put(c, str(x, "name"), str(x, "summary"), 0);
		break;
	case CV_COLOUR:
		values(c, CV_ENUM, "red|orange|white|blue");
		break;
	case CV_ENUM:
		for (const char *p = meta; p && *p;) {
			const char *bar = strchr(p, '|');
			size_t len = bar ? (size_t)(bar - p) : strlen(p);
			char word[64];
			snprintf(word, sizeof word, "%.*s", (int)len, p);
			put(c, word, "", 0);
			p = bar ? bar + 1 : p + len;
		}
		break;
	case CV_NONE:
		break;
	}
	json_decref(r);
}

/* What a value is completed with: by its parameter's type in the method
 * table (p, NULL for an option of the verb's own), else by the values its
 * placeholder lists ("mine|theirs"). */
static enum cval param_kind(const heph_rpc_param *p, const char *meta)
{
	switch (p ? p->type : 0) {
	case HEPH_RPC_PROJECT: return CV_PROJECT;
	case HEPH_RPC_TAG:
	case HEPH_RPC_TAGS: return CV_TAG;
	case HEPH_RPC_ATTENTION: return CV_COLOUR;
	case HEPH_RPC_VIEW: return CV_VIEW;
	case HEPH_RPC_NODE: return CV_TASK;
	case HEPH_RPC_ENUM: return CV_ENUM;
	default: break;
	}
	return meta && strchr(meta, '|') && !strchr(meta, '-') ? CV_ENUM : CV_NONE;
}

/* The parameter named key of v's method, NULL if none. */
static const heph_rpc_param *schema_of(const struct verb *v, const char *key)
{
	const heph_rpc_method *m = v->method ? heph_rpc_find(v->method) : NULL;
	for (const heph_rpc_param *p = m ? m->params : NULL; p && p->name; p++)
		if (strcmp(p->name, key) == 0)
			return p;
	return NULL;
}

/* An option's name as typed: '_' as '-' (do_date: do-date). */
static void typed(const char *name, char *buf, size_t n)
{
	snprintf(buf, n, "%s", name);
	for (char *p = buf; *p; p++)
		if (*p == '_')
			*p = '-';
}

/* The option of v named name (as typed), copied into out; NULL if none. */
static const struct opt *find_opt(const struct verb *v, const char *name, struct opt *out)
{
	struct opt o[CLI_MAX_OPTS];
	size_t k = cli_verb_opts(v, o);
	char word[64];
	for (size_t i = 0; i < k; i++) {
		typed(o[i].name, word, sizeof word);
		if (strcmp(word, name) == 0) {
			*out = o[i];
			return out;
		}
	}
	return NULL;
}

static int hidden(const struct verb *v)
{
	return (v->flags & VERB_HIDDEN) != 0;
}

/* The verbs' first words (or, after a group word, the second words). */
static void verb_words(struct comp *c, const char *group)
{
	size_t glen = group ? strlen(group) : 0;
	for (const struct verb *v = heph_cli_verbs; v->name; v++) {
		const char *sp = strchr(v->name, ' ');
		if (hidden(v))
			continue;
		if (group) {
			if (sp && (size_t)(sp - v->name) == glen && strncmp(v->name, group, glen) == 0)
				put(c, sp + 1, v->summary, 0);
			continue;
		}
		char word[64];
		snprintf(word, sizeof word, "%.*s", (int)(sp ? (size_t)(sp - v->name) : strlen(v->name)), v->name);
		/* a group word once, with its first verb's summary unless it is a verb too */
		int seen = 0;
		for (const struct verb *w = heph_cli_verbs; w < v; w++)
			if (strncmp(w->name, word, strlen(word)) == 0 &&
			    (w->name[strlen(word)] == ' ' || w->name[strlen(word)] == '\0'))
				seen = 1;
		if (seen)
			continue;
		if (!sp) {
			put(c, word, v->summary, 0);
			continue;
		}
		/* a group that is no verb itself: its verbs as the description */
		char desc[160] = "";
		size_t used = 0;
		for (const struct verb *w = v; w->name && used < sizeof desc; w++)
			if (strncmp(w->name, word, strlen(word)) == 0 && w->name[strlen(word)] == ' ')
				used += (size_t)snprintf(desc + used, sizeof desc - used, "%s%s", used ? ", " : "",
							 w->name);
		put(c, word, desc, 0);
	}
}

static const struct verb *find_verb(const char *first, const char *second, int *used)
{
	const struct verb *best = NULL;
	*used = 0;
	for (const struct verb *v = heph_cli_verbs; v->name; v++) {
		const char *sp = strchr(v->name, ' ');
		if (sp) {
			size_t n = (size_t)(sp - v->name);
			if (second && strlen(first) == n && strncmp(first, v->name, n) == 0 && strcmp(second, sp + 1) == 0) {
				*used = 2;
				return v;
			}
		} else if (strcmp(first, v->name) == 0) {
			best = v;
			*used = 1;
		}
	}
	return best;
}


static const char *const global_opts[][2] = {
	{ "--db", "database file" },
	{ "--remote", "send the verb to that hub's /rpc" },
	{ "--token-file", "the hub's bearer token for --remote" },
	{ "--json", "machine-readable output" },
	{ "--help", "help for heph or for a verb" },
	{ "--version", "print the version" },
};

static int global_takes_value(const char *w)
{
	return strcmp(w, "--db") == 0 || strcmp(w, "--remote") == 0 || strcmp(w, "--token-file") == 0;
}

int cmd_complete(struct cli *cli, int argc, char **argv)
{
	struct comp c = { .cli = cli, .db = cli->db_path };
	const char *words[64];
	int n = 0, i = 0;
	if (argc > 0 && strcmp(argv[0], "--") == 0)
		i = 1;
	if (i >= argc)
		return 0;
	c.cur = argv[argc - 1];
	/* the words before the current one, global options taken out */
	for (; i < argc - 1 && n < (int)(sizeof words / sizeof words[0]); i++) {
		if (global_takes_value(argv[i]) && i + 1 < argc - 1) {
			if (strcmp(argv[i], "--db") == 0)
				c.db = argv[i + 1];
			i++;
			continue;
		}
		if (global_takes_value(argv[i]))
			goto out; /* completing the value of --db etc.: file names */
		if (strcmp(argv[i], "--json") == 0)
			continue;
		words[n++] = argv[i];
	}
	if (n == 0) {
		if (c.cur[0] == '-')
			for (size_t g = 0; g < sizeof global_opts / sizeof global_opts[0]; g++)
				put(&c, global_opts[g][0], global_opts[g][1], 0);
		else
			verb_words(&c, NULL);
		goto out;
	}
	int used;
	const struct verb *v = find_verb(words[0], n > 1 ? words[1] : NULL, &used);
	if (n == 1 && cli_is_group(words[0]) && c.cur[0] != '-') {
		/* the second word of "project add", "doc edit", ... */
		verb_words(&c, words[0]);
		if (!v || !v->args)
			goto out;
	}
	if (!v || hidden(v))
		goto out;
	/* the value of an option just typed */
	const char *prev = words[n - 1];
	if (n > used && prev[0] == '-' && prev[1] == '-') {
		struct opt one;
		const struct opt *o = find_opt(v, prev + 2, &one);
		if (o && o->kind != OPT_FLAG) {
			values(&c, param_kind(o->schema, o->meta), o->schema && o->schema->values ? o->schema->values : o->meta);
			goto out;
		}
	}
	if (c.cur[0] == '-') {
		struct opt o[CLI_MAX_OPTS];
		size_t k = cli_verb_opts(v, o);
		for (size_t i = 0; i < k; i++) {
			char word[64], name[80];
			typed(o[i].name, word, sizeof word);
			snprintf(name, sizeof name, "--%s", word);
			put(&c, name, o[i].help, 0);
		}
		put(&c, "--json", "machine-readable output", 0);
		put(&c, "--help", "this help", 0);
		goto out;
	}
	/* a positional: count those before the current word */
	int pos = 0;
	for (int k = used; k < n; k++) {
		if (words[k][0] == '-' && words[k][1] == '-') {
			struct opt one;
			const struct opt *o = find_opt(v, words[k] + 2, &one);
			if (o && o->kind != OPT_FLAG && !strchr(words[k], '='))
				k++;
			continue;
		}
		pos++;
	}
	const char *const *want = v->args;
	for (int k = 0; want && want[k]; k++) {
		const char *name = want[k];
		int rest = name[0] == '*';
		if (k == pos || (rest && pos >= k)) {
			char key[64];
			snprintf(key, sizeof key, "%s", rest ? name + 1 : name);
			size_t len = strlen(key);
			if (len && key[len - 1] == '?')
				key[len - 1] = '\0';
			const heph_rpc_param *p = schema_of(v, key);
			values(&c, param_kind(p, NULL), p ? p->values : NULL);
			break;
		}
	}
out:
	heph_store_close(c.store);
	return 0;
}
