/* test_render.c — Markdown for the web app: GFM rendered by cmark-gfm with
 * no raw HTML and no script URLs, wiki links as app links (not in code),
 * checklists counted, and a log's tail cut at a line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#include "render.h"
#include "render_rpc.h"

#define ID_A "01M8E1NF2EGMBM28BRM2PCY770"
#define ID_B "01M8E1NF21WJRCWXSBQ2NASXSG"

/* A knows its title; every other id is unknown. */
static char *titles(void *ctx, const char *id)
{
	(void)ctx;
	return strcmp(id, ID_A) == 0 ? strdup("Alpha <plan>") : NULL;
}

static char *render(const char *md, struct heph_checklist *cl)
{
	char *html = NULL;
	assert_int_equal(heph_render_markdown(md, strlen(md), titles, NULL, &html, cl), 0);
	assert_non_null(html);
	return html;
}

static void has(const char *html, const char *want)
{
	if (!strstr(html, want))
		fail_msg("[%s] not in [%s]", want, html);
}

static void lacks(const char *html, const char *bad)
{
	if (strstr(html, bad))
		fail_msg("[%s] should not be in [%s]", bad, html);
}

static void render__gives_gfm_tables_strikethrough_and_autolinks(void **state)
{
	(void)state;
	char *h = render("# Plan\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ see https://example.org\n", NULL);
	has(h, "<h1>Plan</h1>");
	has(h, "<table>");
	has(h, "<td>1</td>");
	has(h, "<del>old</del>");
	has(h, "<a href=\"https://example.org\">https://example.org</a>");
	free(h);
}

static void render__drops_raw_html_and_script_urls(void **state)
{
	(void)state;
	const char *md = "<script>alert(1)</script>\n\n"
			 "hi <img src=x onerror=alert(2)> <b onclick=alert(3)>b</b>\n\n"
			 "[x](javascript:alert(4)) [y](JAVASCRIPT:alert(5)) [z](vbscript:msgbox) [f](file:///etc/passwd)\n\n"
			 "![i](data:text/html;base64,PHNjcmlwdD4=) <javascript:alert(6)>\n\n"
			 "<iframe src=\"https://evil.example\"></iframe>\n\n"
			 "<style>body{display:none}</style>\n";
	char *h = render(md, NULL);
	lacks(h, "<script");
	lacks(h, "<img src=\"x\"");
	lacks(h, "onerror");
	lacks(h, "onclick");
	lacks(h, "=\"javascript:");
	lacks(h, "=\"JAVASCRIPT:");
	lacks(h, "=\"vbscript:");
	lacks(h, "=\"file:");
	lacks(h, "=\"data:text/html");
	has(h, "<a href=\"\">javascript:alert(6)</a>"); /* the autolink's text stays, as text */
	lacks(h, "<iframe");
	lacks(h, "<style");
	has(h, "raw HTML omitted");
	free(h);
}

static void render__escapes_text_and_keeps_safe_links(void **state)
{
	(void)state;
	char *h = render("a < b & \"c\" [ok](https://example.org/?a=1&b=2 \"t\")\n", NULL);
	has(h, "a &lt; b &amp; &quot;c&quot;");
	has(h, "<a href=\"https://example.org/?a=1&amp;b=2\" title=\"t\">ok</a>");
	free(h);
}

static void render__turns_wiki_links_into_app_links_with_labels_or_titles(void **state)
{
	(void)state;
	char *h = render("See [[" ID_A "]], [[ " ID_A " | the plan ]] and **[[" ID_A "|bold]]**.\n", NULL);
	has(h, "<a class=\"wiki\" href=\"#/node/" ID_A "\">Alpha &lt;plan&gt;</a>, ");
	has(h, "<a class=\"wiki\" href=\"#/node/" ID_A "\">the plan</a> and ");
	has(h, "<strong><a class=\"wiki\" href=\"#/node/" ID_A "\">bold</a></strong>.");
	free(h);
}

static void render__shows_a_label_of_markdown_html_brackets_or_bars_as_its_text(void **state)
{
	(void)state;
	char *h = render("[[" ID_A "|Fix *this* `now` <b>x</b> a\\]\\]b c\\|d \\\\]] and [x](https://e.org/[[y]])\n", NULL);
	has(h, "<a class=\"wiki\" href=\"#/node/" ID_A "\">Fix *this* `now` &lt;b&gt;x&lt;/b&gt; a]]b c|d \\</a> and ");
	lacks(h, "<em>");
	lacks(h, "<code>");
	has(h, "<a href=\"https://e.org/%5B%5By%5D%5D\">x</a>"); /* a URL keeps what was written */
	free(h);
}

static void render__marks_unknown_and_unresolved_wiki_links_missing(void **state)
{
	(void)state;
	char *h = render("[[" ID_B "|gone]] and [[Some Name]] and [[<script>x</script>]]\n", NULL);
	has(h, "<span class=\"wiki missing\" title=\"no such note\">gone</span>");
	has(h, "<span class=\"wiki missing\" title=\"no such note\">Some Name</span>");
	lacks(h, "<script>");
	lacks(h, "href=\"#/node/" ID_B);
	free(h);
}

static void render__leaves_wiki_links_in_code_alone(void **state)
{
	(void)state;
	char *h = render("`[[" ID_A "]]`\n\n```\n[[" ID_A "]]\n```\n", NULL);
	has(h, "<code>[[" ID_A "]]</code>");
	has(h, "<pre><code>[[" ID_A "]]\n</code></pre>");
	lacks(h, "class=\"wiki\"");
	free(h);
}

static void render__counts_checklist_items_and_shows_them_disabled(void **state)
{
	(void)state;
	struct heph_checklist cl;
	char *h = render("- [ ] buy paint\n- [x] sand the door\n- plain item\n  - [X] nested done\n\n"
			 "```\n- [ ] in code\n```\n",
			 &cl);
	assert_int_equal(cl.total, 3);
	assert_int_equal(cl.done, 2);
	has(h, "<input type=\"checkbox\" disabled=\"\" /> buy paint");
	has(h, "<input type=\"checkbox\" checked=\"\" disabled=\"\" /> sand the door");
	free(h);
}

static void render__takes_empty_and_invalid_utf8_text(void **state)
{
	(void)state;
	char *h = render("", NULL);
	assert_string_equal(h, "");
	free(h);
	h = render("bad \xff\xfe bytes\n", NULL);
	has(h, "bad ");
	has(h, " bytes");
	free(h);
}

static void render_tail__starts_at_a_line_boundary(void **state)
{
	(void)state;
	const char *t = "one\ntwo\nthree\nfour\n";
	assert_int_equal(heph_render_tail(t, strlen(t), 2), strlen("one\ntwo\n"));
	assert_int_equal(heph_render_tail(t, strlen(t), 4), 0);
	assert_int_equal(heph_render_tail(t, strlen(t), 10), 0);
	assert_int_equal(heph_render_tail("a\nb", 3, 1), 2);
	assert_int_equal(heph_render_tail("", 0, 3), 0);
}

static struct fake_clock clk = { T0 };

static json_t *call(heph_store *s, const char *method, json_t *params)
{
	heph_rpc_env env = { .store = s };
	json_t *r = NULL;
	int err = heph_rpc_call(&env, method, params, &r);
	json_decref(params);
	if (err)
		fail_msg("%s: %s", method, heph_error_last());
	return r;
}

static void doc_render__shows_a_tasks_context_with_titles_checklist_and_log_tail(void **state)
{
	(void)state;
	heph_store *s = open_at(":memory:", &clk, "2026-11-18");
	heph_render_register();
	json_t *doc = call(s, "doc.create", json_pack("{s:s, s:s}", "title", "Paint plan", "body", "Buy **paint**."));
	char doc_id[27];
	snprintf(doc_id, sizeof doc_id, "%s", json_string_value(json_object_get(doc, "node_id")));
	json_t *task = call(s, "task.create", json_pack("{s:s, s:s}", "title", "Paint the door", "body",
						   "See [[Paint plan]].\n\n- [ ] sand\n- [x] buy paint\n\n<script>x()</script>\n"));
	const char *tid = json_string_value(json_object_get(task, "node_id"));
	json_t *r = call(s, "doc.render", json_pack("{s:s}", "id", tid));
	const char *html = json_string_value(json_object_get(r, "html"));
	char want[128];
	snprintf(want, sizeof want, "<a class=\"wiki\" href=\"#/node/%s\">Paint plan</a>", doc_id);
	has(html, want);
	has(html, "disabled=\"\" /> sand");
	lacks(html, "<script");
	assert_string_equal(json_string_value(json_object_get(r, "kind")), "task");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "checklist"), "total")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "checklist"), "done")), 1);
	assert_string_equal(json_string_value(json_object_get(r, "log_html")), "");
	assert_true(json_is_null(json_object_get(r, "log_id")));
	json_decref(r);

	/* Any other node shows its own body. */
	r = call(s, "doc.render", json_pack("{s:s}", "id", doc_id));
	has(json_string_value(json_object_get(r, "html")), "<strong>paint</strong>");
	assert_null(json_object_get(r, "log_html"));
	json_decref(r);
	json_decref(task);
	json_decref(doc);
	heph_rpc_extend(NULL);
	heph_store_close(s);
}

static void doc_render__shows_the_last_lines_of_a_tasks_log(void **state)
{
	(void)state;
	if (!heph_rpc_find("log.append"))
		skip(); /* a libheph without task logs */
	heph_store *s = open_at(":memory:", &clk, "2026-11-18");
	heph_render_register();
	json_t *task = call(s, "task.create", json_pack("{s:s}", "title", "Oil the hinges"));
	const char *tid = json_string_value(json_object_get(task, "node_id"));
	const char *entries[] = { "first <b>bold</b>", "second", "third", "fourth" };
	for (size_t i = 0; i < 4; i++)
		json_decref(call(s, "log.append", json_pack("{s:s, s:s}", "id", tid, "text", entries[i])));
	json_t *r = call(s, "doc.render", json_pack("{s:s, s:i}", "id", tid, "log_lines", 2));
	const char *log = json_string_value(json_object_get(r, "log_html"));
	has(log, "third");
	has(log, "fourth");
	lacks(log, "second");
	assert_true(json_is_true(json_object_get(r, "log_truncated")));
	assert_true(json_is_string(json_object_get(r, "log_id")));
	json_decref(r);
	r = call(s, "doc.render", json_pack("{s:s}", "id", tid));
	log = json_string_value(json_object_get(r, "log_html"));
	has(log, "first ");
	lacks(log, "<b>");
	assert_false(json_is_true(json_object_get(r, "log_truncated")));
	json_decref(r);
	json_decref(task);
	heph_rpc_extend(NULL);
	heph_store_close(s);
}

static void doc_render__refuses_a_missing_id_or_bad_log_lines(void **state)
{
	(void)state;
	heph_store *s = open_at(":memory:", &clk, "2026-11-18");
	heph_render_register();
	heph_rpc_env env = { .store = s };
	json_t *r = NULL, *p = json_object();
	assert_int_equal(heph_rpc_call(&env, "doc.render", p, &r), HEPH_EINVALID);
	json_decref(p);
	p = json_pack("{s:s}", "id", "01ZZZZZZZZZZZZZZZZZZZZZZZZ");
	assert_int_equal(heph_rpc_call(&env, "doc.render", p, &r), HEPH_ENOTFOUND);
	json_decref(p);
	p = json_pack("{s:s, s:i}", "id", "x", "log_lines", 0);
	assert_int_equal(heph_rpc_call(&env, "doc.render", p, &r), HEPH_EINVALID);
	json_decref(p);
	assert_null(r);
	heph_rpc_extend(NULL);
	heph_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(render__gives_gfm_tables_strikethrough_and_autolinks),
		cmocka_unit_test(render__drops_raw_html_and_script_urls),
		cmocka_unit_test(render__escapes_text_and_keeps_safe_links),
		cmocka_unit_test(render__turns_wiki_links_into_app_links_with_labels_or_titles),
		cmocka_unit_test(render__shows_a_label_of_markdown_html_brackets_or_bars_as_its_text),
		cmocka_unit_test(render__marks_unknown_and_unresolved_wiki_links_missing),
		cmocka_unit_test(render__leaves_wiki_links_in_code_alone),
		cmocka_unit_test(render__counts_checklist_items_and_shows_them_disabled),
		cmocka_unit_test(render__takes_empty_and_invalid_utf8_text),
		cmocka_unit_test(render_tail__starts_at_a_line_boundary),
		cmocka_unit_test(doc_render__shows_a_tasks_context_with_titles_checklist_and_log_tail),
		cmocka_unit_test(doc_render__shows_the_last_lines_of_a_tasks_log),
		cmocka_unit_test(doc_render__refuses_a_missing_id_or_bad_log_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
