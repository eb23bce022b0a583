/* render_rpc.c — doc.render, the RPC method that gives the web app a node's
 * Markdown as safe HTML. hephd adds it to the method table with
 * heph_render_register() (heph_rpc_extend), so the CLI never loads cmark-gfm.
 *
 * It reads through the table like any client (node.get), so what it shows is
 * exactly what node.get says: a task shows its context doc and the tail of
 * its log doc; any other node shows its own body. Wiki links show the
 * current title of their target and link to it inside the app.
 *
 *   result field     what
 *   node_id, kind, title
 *   html             the body (a task: its context doc) as HTML
 *   checklist        {total, done}: the task-list items of that body
 *   log_id           a task's log doc, or null
 *   log_html         the last log_lines lines of the log as HTML ("" if none)
 *   log_truncated    whether earlier lines were left out
 */
#include "render.h"
#include "render_rpc.h"

#include <stdlib.h>
#include <string.h>

#include "heph/error.h"
#include "heph/rpc.h"

/* node.get of id: a new reference, or NULL when it fails. */
static json_t *get_node(heph_rpc_env *env, const char *id)
{
	json_t *params = json_pack("{s:s}", "id", id), *r = NULL;
	int err = heph_rpc_call(env, "node.get", params, &r);
	json_decref(params);
	return err ? NULL : r;
}

static char *title_of(void *ctx, const char *id)
{
	json_t *n = get_node(ctx, id);
	char *t = NULL;
	if (n && !json_is_true(json_object_get(n, "deleted")) && strcmp(json_string_value(json_object_get(n, "node_id")), id) == 0)
		t = strdup(json_string_value(json_object_get(n, "title")) ? json_string_value(json_object_get(n, "title")) : "");
	json_decref(n);
	return t;
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* The body as read, with wiki links showing titles where node.get expands them. */
static const char *shown_body(json_t *n)
{
	json_t *e = json_object_get(n, "body_expanded");
	return json_is_string(e) ? json_string_value(e) : str(n, "body");
}

/* A task's log doc: the other end of its log-of link, either way round. */
static const char *log_doc(json_t *task)
{
	const char *self = str(task, "node_id");
	const char *keys[] = { "backlinks", "links" };
	for (int k = 0; k < 2; k++) {
		size_t i;
		json_t *l;
		json_array_foreach(json_object_get(task, keys[k]), i, l) {
			if (strcmp(str(l, "type"), "log-of") != 0)
				continue;
			const char *other = strcmp(str(l, "src"), self) == 0 ? str(l, "dst") : str(l, "src");
			if (*other)
				return other;
		}
	}
	return NULL;
}

static int render(heph_rpc_env *env, const char *md, char **html, struct heph_checklist *cl)
{
	if (heph_render_markdown(md, strlen(md), title_of, env, html, cl))
		return heph_error_set(HEPH_ERROR, "cannot render this Markdown");
	return 0;
}

static int doc_render(heph_rpc_env *env, json_t *params, json_t **result)
{
	json_t *jid = json_object_get(params, "id"), *jlines = json_object_get(params, "log_lines");
	json_t *n = NULL, *ctx = NULL, *log = NULL, *out = NULL, *get = NULL;
	struct heph_checklist cl = { 0, 0 };
	char *html = NULL, *log_html = NULL;
	long long lines = 40;
	int err;
	if (jlines && !json_is_null(jlines)) /* the schema checked its range */
		lines = json_is_integer(jlines) ? json_integer_value(jlines) : strtoll(json_string_value(jlines), NULL, 10);
	get = json_pack("{s:O}", "id", jid);
	err = heph_rpc_call(env, "node.get", get, &n);
	json_decref(get);
	if (err)
		return err;
	const char *kind = str(n, "kind");
	int task = strcmp(kind, "task") == 0;
	const char *body = shown_body(n);
	if (task) {
		const char *cid = json_string_value(json_object_get(n, "context_id"));
		ctx = cid ? get_node(env, cid) : NULL;
		body = ctx ? shown_body(ctx) : str(n, "context");
	}
	if ((err = render(env, body, &html, &cl)))
		goto out;
	out = json_pack("{s:s, s:s, s:s, s:s, s:{s:i, s:i}}", "node_id", str(n, "node_id"), "kind", kind, "title",
			str(n, "title"), "html", html, "checklist", "total", cl.total, "done", cl.done);
	if (task) {
		const char *lid = log_doc(n);
		log = lid ? get_node(env, lid) : NULL;
		const char *lb = log ? shown_body(log) : "";
		size_t from = heph_render_tail(lb, strlen(lb), (int)lines);
		if ((err = render(env, lb + from, &log_html, NULL)))
			goto out;
		json_object_set_new(out, "log_id", log ? json_string(str(log, "node_id")) : json_null());
		json_object_set_new(out, "log_html", json_string(log_html));
		json_object_set_new(out, "log_truncated", json_boolean(from > 0));
	}
	*result = out;
	out = NULL;
out:
	json_decref(out);
	json_decref(n);
	json_decref(ctx);
	json_decref(log);
	free(html);
	free(log_html);
	return err;
}

static const heph_rpc_method methods[] = {
	{ "doc.render",
	  HEPH_RPC_PARAMS({ "id", HEPH_RPC_NODE, HEPH_RPC_REQUIRED, NULL, "the node", NULL, 0, 0, NULL },
			  { "log_lines", HEPH_RPC_INT, 0, "40", "how many of the log's last lines (a task)", NULL, 1,
			    10000, NULL }),
	  "A node's Markdown as safe HTML for the web app (a task: its context doc, checklist counts and log tail); "
	  "hephd only",
	  doc_render, 0, NULL },
	{ NULL, NULL, NULL, NULL, 0, NULL },
};

void heph_render_register(void) { heph_rpc_extend(methods); }

const heph_rpc_method *heph_render_methods(void) { return methods; }
