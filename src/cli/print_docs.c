/* print_docs.c — human output for docs, journals, aliases and tags. */
#include "cli.h"

#include <string.h>

static const char *str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

/* Wiki links that resolved to nothing or to several nodes stay text; say so
 * on standard error, so that output stays the id alone. */
void print_unresolved(struct cli *cli, json_t *r)
{
	size_t i;
	json_t *u;
	(void)cli;
	json_array_foreach(json_object_get(r, "unresolved"), i, u) {
		const char *why = str(u, "reason");
		fprintf(stderr, "heph: note: [[%s]] %s; left as text%s\n", str(u, "target"),
			strcmp(why, "ambiguous") == 0 ? "matches several nodes" : "matches no node",
			strcmp(why, "ambiguous") == 0 ? " (write [[ID|name]])" : "");
	}
}

void print_doc_change(struct cli *cli, json_t *r)
{
	fprintf(cli->out, "%s\n", str(r, "node_id"));
	print_unresolved(cli, r);
}

/* checklist.promote: the new task, and where its line was. */
void print_promoted(struct cli *cli, json_t *r)
{
	json_t *t = json_object_get(r, "task");
	fprintf(cli->out, "promoted line %lld of %s to task %s: %s\n", (long long)json_integer_value(json_object_get(r, "line")),
		str(r, "doc_id"), str(t, "short_id"), str(t, "title"));
	if (str(t, "project")[0])
		fprintf(cli->out, "  in project %s\n", str(t, "project"));
}

void print_journal(struct cli *cli, json_t *r)
{
	const char *body = str(r, "body_expanded")[0] ? str(r, "body_expanded") : str(r, "body");
	fprintf(cli->out, "# %s%s\n", str(r, "title"), json_is_true(json_object_get(r, "created")) ? " (new)" : "");
	if (body[0])
		fprintf(cli->out, "\n%s%s", body, body[strlen(body) - 1] == '\n' ? "" : "\n");
	print_unresolved(cli, r);
}

void print_aliases(struct cli *cli, json_t *r)
{
	size_t i;
	json_t *a;
	json_t *list = json_object_get(r, "aliases");
	if (json_array_size(list) == 0)
		fprintf(cli->out, "no aliases\n");
	json_array_foreach(list, i, a) fprintf(cli->out, "%s\n", json_string_value(a));
}

void print_tags(struct cli *cli, json_t *r)
{
	size_t i;
	json_t *t;
	if (json_array_size(r) == 0)
		fprintf(cli->out, "no tags\n");
	json_array_foreach(r, i, t) fprintf(cli->out, "#%-24s %lld\n", str(t, "name"),
					    (long long)json_integer_value(json_object_get(t, "count")));
}

void print_search(struct cli *cli, json_t *r)
{
	size_t i;
	json_t *h;
	if (json_array_size(r) == 0) {
		fprintf(cli->out, "no matches\n");
		return;
	}
	json_array_foreach(r, i, h) {
		const char *sid = str(h, "handle")[0] ? str(h, "handle") : str(h, "short_id");
		const char *state = str(h, "state");
		fprintf(cli->out, "%s%-10s%s %-7s %s%s%s%s\n", cli->color ? CLI_DIM : "", sid[0] ? sid : str(h, "node_id"),
			cli->color ? CLI_RESET : "", str(h, "kind"), state[0] && strcmp(state, "outstanding") != 0 ? "[" : "",
			state[0] && strcmp(state, "outstanding") != 0 ? state : "",
			state[0] && strcmp(state, "outstanding") != 0 ? "] " : "", str(h, "title"));
		/* the snippet on one line, its matches in bold on a terminal */
		fputs("           ", cli->out);
		int bold = 0;
		for (const char *p = str(h, "snippet"); *p; p++) {
			if (p[0] == '*' && p[1] == '*') {
				if (cli->color)
					fputs(bold ? CLI_RESET : CLI_BOLD, cli->out);
				else
					fputs("**", cli->out);
				bold = !bold;
				p++;
			} else {
				fputc(*p == '\n' || *p == '\r' || *p == '\t' ? ' ' : *p, cli->out);
			}
		}
		if (bold && cli->color)
			fputs(CLI_RESET, cli->out);
		fputc('\n', cli->out);
	}
}
