/* test_body.c — bodies: finding wiki links and tags (not in code), resolving
 * names to ids, keeping the wiki and tag links in step as a body changes,
 * tag nodes that converge across devices, and showing titles on read. */
#include "helpers.h"

#include "../../src/lib/body.h"
#include "../../src/lib/internal.h"

static struct fake_clock clk = { T0 };

static heph_store *mem(void) { return open_at(":memory:", &clk, "2026-11-18"); }

/* "w:target|label" and "t:name" for each reference, joined by spaces. */
static int describe(const char *b, const struct heph_ref *r, void *ctx)
{
	char *out = ctx;
	size_t n = strlen(out);
	if (r->tag)
		snprintf(out + n, 1024 - n, "%st:%.*s", n ? " " : "", (int)(r->t1 - r->t0), b + r->t0);
	else if (r->l0 != r->l1)
		snprintf(out + n, 1024 - n, "%sw:%.*s|%.*s", n ? " " : "", (int)(r->t1 - r->t0), b + r->t0,
			 (int)(r->l1 - r->l0), b + r->l0);
	else
		snprintf(out + n, 1024 - n, "%sw:%.*s", n ? " " : "", (int)(r->t1 - r->t0), b + r->t0);
	return 0;
}

static void expect_refs(const char *body, const char *want)
{
	char got[1024] = "";
	heph__body_refs(body, describe, got);
	if (strcmp(got, want) != 0)
		fail_msg("refs of [%s]: got [%s], want [%s]", body, got, want);
}

static void body_refs__finds_wiki_links_with_and_without_labels(void **state)
{
	(void)state;
	expect_refs("see [[Alpha]] and [[ Beta | the b ]].", "w:Alpha w:Beta|the b");
	expect_refs("[[a|]] [[]] [[ ]] [[x]y]] [[multi\nline]]", "w:a");
	expect_refs("[[[nested]]] and [[a]][[b]]", "w:nested w:a w:b");
	expect_refs("unclosed [[link and [[ok]]", "w:ok");
}

static void body_refs__finds_tags_but_not_headings_anchors_or_numbers(void **state)
{
	(void)state;
	expect_refs("#start of line, mid #Mid-word. and\t#tab", "t:start t:Mid-word t:tab");
	expect_refs("# Heading\n## Sub\n#123 issue a#b http://x.org/#frag (#paren) &#39;", "");
	expect_refs("#trailing- #slash/ #a/b #under_score #ünïcode", "t:trailing t:slash t:a/b t:under_score t:ünïcode");
	char long_tag[80];
	memset(long_tag, 'x', sizeof long_tag);
	long_tag[0] = '#';
	long_tag[sizeof long_tag - 1] = '\0';
	expect_refs(long_tag, "");
}

static void body_refs__ignores_fenced_blocks_and_code_spans(void **state)
{
	(void)state;
	expect_refs("a [[one]]\n```\n[[two]] #two\n```\n[[three]]", "w:one w:three");
	expect_refs("~~~~\n[[in]]\n~~~\nstill in #x\n~~~~\n#out", "t:out");
	expect_refs("  ```sh\n#not\n  ```\n#yes", "t:yes");
	expect_refs("`[[code]]` and ``a ` [[b]]`` then [[c]]", "w:c");
	expect_refs("a `span\ncontinues [[x]]` [[y]]", "w:y");
	/* an unclosed backtick is literal, and a blank line ends a span */
	expect_refs("it`s [[real]]", "w:real");
	expect_refs("`open\n\n[[after]]` ", "w:after");
	expect_refs("```\nnever closed [[x]]", "");
}

static void body_refs__reads_tags_from_frontmatter_and_nothing_else_there(void **state)
{
	(void)state;
	expect_refs("---\ntitle: x #no\ntags: [Alpha, \"beta\", '#gamma', bad tag, 9no]\nlink: \"[[no]]\"\n---\n#delta [[yes]]",
		    "t:Alpha t:beta t:gamma t:delta w:yes");
	expect_refs("---\ntags: one two, three\n---\nbody", "t:one t:two t:three");
	expect_refs("---\naliases: [a]\ntags:\n  - first\n  - \"second\"\nother: - no\n---\n", "t:first t:second");
	/* not frontmatter: not at the very start, or never closed */
	expect_refs("text\n---\ntags: [x]\n---\n", "");
	expect_refs("---\ntags: [x]\n#inline", "t:inline");
}

static void body_targets__are_unique_ids_and_lower_case_tags(void **state)
{
	(void)state;
	json_t *wiki, *tags;
	heph__body_targets("[[01K00000000000000000000D01]] [[01k00000000000000000000d01|again]] [[Name]] "
			   "[[01K0000000]] #Work #work #home",
			   &wiki, &tags);
	assert_int_equal(json_array_size(wiki), 1);
	assert_string_equal(json_string_value(json_array_get(wiki, 0)), "01K00000000000000000000D01");
	assert_int_equal(json_array_size(tags), 2);
	assert_string_equal(json_string_value(json_array_get(tags, 0)), "work");
	assert_string_equal(json_string_value(json_array_get(tags, 1)), "home");
	json_decref(wiki);
	json_decref(tags);
}

static void tag_name__normalises_or_refuses(void **state)
{
	(void)state;
	char out[HEPH_TAG_MAX + 1];
	assert_int_equal(heph__tag_name("#Errand", out), 0);
	assert_string_equal(out, "errand");
	assert_int_equal(heph__tag_name("a/b-c", out), 0);
	assert_string_equal(out, "a/b-c");
	assert_int_equal(heph__tag_name("two words", out), HEPH_EINVALID);
	assert_int_equal(heph__tag_name("9lives", out), HEPH_EINVALID);
	assert_int_equal(heph__tag_name("", out), HEPH_EINVALID);
	assert_int_equal(heph__tag_name("trailing-", out), HEPH_EINVALID);
}

/* ---- through the store ---- */

static char *body_of(heph_store *s, const char *id)
{
	char params[64];
	snprintf(params, sizeof params, "{\"id\":\"%s\"}", id);
	json_t *r = call_ok(s, "node.get", params);
	char *b = strdup(json_string_value(json_object_get(r, "body")));
	json_decref(r);
	return b;
}

/* The dsts of src's live links of type, sorted, joined by ','. */
static char *links_of(heph_store *s, const char *src, const char *type)
{
	sqlite3_stmt *st;
	char *out = calloc(1, 4096);
	sqlite3_prepare_v2(s->db, "SELECT dst FROM links WHERE src = ?1 AND type = ?2 ORDER BY dst", -1, &st, NULL);
	sqlite3_bind_text(st, 1, src, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (out[0])
			strcat(out, ",");
		strcat(out, (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	return out;
}

static void expect_links(heph_store *s, const char *src, const char *type, const char *want)
{
	char *got = links_of(s, src, type);
	if (strcmp(got, want) != 0)
		fail_msg("%s links of %s: got [%s], want [%s]", type, src, got, want);
	free(got);
}

/* "x,y" in sorted order. */
static void pair(char *out, size_t n, const char *x, const char *y)
{
	snprintf(out, n, "%s,%s", strcmp(x, y) < 0 ? x : y, strcmp(x, y) < 0 ? y : x);
}

static void make_doc(heph_store *s, const char *title, const char *body, char id[32])
{
	json_t *p = json_pack("{s:s, s:s}", "title", title, "body", body);
	char *text = json_dumps(p, 0);
	take_id(call_ok(s, "doc.create", text), id);
	free(text);
	json_decref(p);
}

static void set_body(heph_store *s, const char *id, const char *body)
{
	json_t *p = json_pack("{s:s, s:s}", "id", id, "body", body);
	char *text = json_dumps(p, 0);
	json_decref(call_ok(s, "doc.edit", text));
	free(text);
	json_decref(p);
}

static void set_body__indexes_wiki_links_as_they_come_and_go(void **state)
{
	(void)state;
	heph_store *s = mem();
	char a[32], b[32], c[32], d[32], body[256];
	make_doc(s, "A", "", a);
	make_doc(s, "B", "", b);
	make_doc(s, "C", "", c);
	snprintf(body, sizeof body, "links [[%s]] and [[%s|bee]]", a, b);
	make_doc(s, "D", body, d);
	char want[128];
	pair(want, sizeof want, a, b);
	expect_links(s, d, "wiki", want);

	snprintf(body, sizeof body, "now [[%s]] and [[%s]] and `[[%s]]`", b, c, a);
	set_body(s, d, body);
	pair(want, sizeof want, b, c);
	expect_links(s, d, "wiki", want);

	/* a link to itself or to a node that does not exist is not indexed */
	snprintf(body, sizeof body, "[[%s]] [[01K00000000000000000000X99]]", d);
	set_body(s, d, body);
	expect_links(s, d, "wiki", "");

	/* writing the same body again makes no op */
	long long before = 0, after = 0;
	sqlite3_stmt *st;
	sqlite3_prepare_v2(s->db, "SELECT count(*) FROM oplog", -1, &st, NULL);
	sqlite3_step(st);
	before = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	set_body(s, d, body);
	sqlite3_step(st);
	after = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	assert_int_equal(before, after);
	heph_store_close(s);
}

static void set_body__resolves_names_by_id_then_alias_then_title(void **state)
{
	(void)state;
	heph_store *s = mem();
	char plan[32], other[32], d[32], body[512], want[512];
	make_doc(s, "Plan", "", plan);
	make_doc(s, "Other", "", other);
	/* "Plan" is also an alias of Other: the alias wins over the title */
	char params[128];
	snprintf(params, sizeof params, "{\"id\":\"%s\",\"add\":[\"plan\"]}", other);
	json_decref(call_ok(s, "node.aliases", params));

	snprintf(body, sizeof body, "[[Plan]] [[other|o]] [[%.20s]] [[%s]]", plan, plan);
	make_doc(s, "D", body, d);
	char *got = body_of(s, d);
	snprintf(want, sizeof want, "[[%s|Plan]] [[%s|o]] [[%s]] [[%s]]", other, other, plan, plan);
	assert_string_equal(got, want);
	free(got);

	/* a lower-case full id is stored upper-case */
	char lower[32];
	snprintf(lower, sizeof lower, "%s", plan);
	for (char *p = lower; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	snprintf(body, sizeof body, "[[%s|x]]", lower);
	set_body(s, d, body);
	got = body_of(s, d);
	snprintf(want, sizeof want, "[[%s|x]]", plan);
	assert_string_equal(got, want);
	free(got);
	heph_store_close(s);
}

static void set_body__leaves_unresolved_and_ambiguous_names_as_text(void **state)
{
	(void)state;
	heph_store *s = mem();
	char a[32], b[32];
	make_doc(s, "Twin", "", a);
	make_doc(s, "Twin", "", b);
	json_t *r = call_ok(s, "doc.create", "{\"title\":\"D\",\"body\":\"[[Twin]] [[Nobody]] [[Nobody]]\"}");
	json_t *u = json_object_get(r, "unresolved");
	assert_int_equal(json_array_size(u), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(u, 0), "reason")), "ambiguous");
	assert_string_equal(json_string_value(json_object_get(json_array_get(u, 1), "target")), "Nobody");
	assert_string_equal(json_string_value(json_object_get(json_array_get(u, 1), "reason")), "not found");
	char id[32];
	take_id(r, id);
	char *got = body_of(s, id);
	assert_string_equal(got, "[[Twin]] [[Nobody]] [[Nobody]]");
	free(got);
	expect_links(s, id, "wiki", "");

	/* a task and its context doc share a title: the task wins */
	char t[32];
	take_id(call_ok(s, "task.create", "{\"title\":\"Buy milk\"}"), t);
	take_id(call_ok(s, "doc.create", "{\"title\":\"E\",\"body\":\"[[buy milk]]\"}"), id);
	expect_links(s, id, "wiki", t);
	heph_store_close(s);
}

static void set_body__tags_link_to_tag_nodes_made_on_demand(void **state)
{
	(void)state;
	heph_store *s = mem();
	char d[32], e[32], t1[32], t2[32];
	make_doc(s, "D", "#Garden and #chores", d);
	assert_int_equal(heph__tag_node(s, "garden", 0, t1), 0);
	assert_int_equal(heph__tag_node(s, "chores", 0, t2), 0);
	char want[80];
	pair(want, sizeof want, t1, t2);
	expect_links(s, d, "tag", want);
	/* the tag node is shared, and dropping the tag from the body unlinks it */
	make_doc(s, "E", "more #garden", e);
	expect_links(s, e, "tag", t1);
	set_body(s, d, "no tags now, `#garden` is code");
	expect_links(s, d, "tag", "");
	assert_int_equal(heph__tag_node(s, "nosuch", 0, t2), HEPH_ENOTFOUND);

	/* two devices creating the same tag offline make the same node */
	heph_store *other = mem();
	char d2[32], t3[32];
	make_doc(other, "F", "#garden", d2);
	assert_int_equal(heph__tag_node(other, "garden", 0, t3), 0);
	assert_string_equal(t1, t3);
	heph_store_close(other);
	heph_store_close(s);
}

static void body_expand__shows_current_titles_on_read(void **state)
{
	(void)state;
	heph_store *s = mem();
	char a[32], body[256], want[256];
	make_doc(s, "Alpha", "", a);
	snprintf(body, sizeof body, "[[%s]] [[%s|kept]] `[[%s]]` [[01K00000000000000000000X99]]", a, a, a);
	char *got = heph__body_expand(s, body);
	snprintf(want, sizeof want, "[[%s|Alpha]] [[%s|kept]] `[[%s]]` [[01K00000000000000000000X99]]", a, a, a);
	assert_string_equal(got, want);
	free(got);
	heph_store_close(s);
}

/* Two replicas edit one body concurrently; after merging, what the links
 * show follows the winning body, and resolving the conflict repairs the
 * index itself. */
static int copy_op(const heph_op *op, heph_op_status st, int64_t seq, void *ctx)
{
	(void)st;
	(void)seq;
	return heph_store_apply(ctx, op, NULL);
}

static void concurrent_body_edits__show_the_winning_body_s_links(void **state)
{
	(void)state;
	heph_store *a = mem(), *b = mem();
	char x[32], y[32], d[32], body[256];
	make_doc(a, "X", "", x);
	make_doc(a, "Y", "", y);
	snprintf(body, sizeof body, "[[%s]]", x);
	make_doc(a, "D", body, d);
	assert_int_equal(heph_store_ops_foreach(a, 0, 0, copy_op, b), 0);
	/* a keeps X and adds Y; b (later, so it wins) drops X */
	snprintf(body, sizeof body, "[[%s]] [[%s]]", x, y);
	set_body(a, d, body);
	clk.now += 1000;
	set_body(b, d, "nothing");
	clk.now += 1000;
	assert_int_equal(heph_store_ops_foreach(a, 0, 0, copy_op, b), 0);
	assert_int_equal(heph_store_ops_foreach(b, 0, 0, copy_op, a), 0);
	assert_same_digest(a, b);
	char params[64];
	snprintf(params, sizeof params, "{\"id\":\"%s\"}", d);
	json_t *r = call_ok(a, "link.list", params);
	assert_int_equal(json_array_size(r), 0); /* Y's link is in the table but not in the body */
	json_decref(r);
	/* resolving the body conflict with a's text brings both links back */
	r = call_ok(a, "conflicts.list", NULL);
	assert_int_equal(json_array_size(r), 1);
	snprintf(params, sizeof params, "{\"id\":%lld,\"keep\":\"mine\"}",
		 (long long)json_integer_value(json_object_get(json_array_get(r, 0), "id")));
	json_decref(r);
	json_decref(call_ok(a, "conflicts.resolve", params));
	snprintf(params, sizeof params, "{\"id\":\"%s\"}", d);
	r = call_ok(a, "link.list", params);
	assert_int_equal(json_array_size(r), 2);
	json_decref(r);
	heph_store_close(a);
	heph_store_close(b);
}

static void managed_links__are_refused_by_hand_but_apply_from_sync(void **state)
{
	(void)state;
	heph_store *s = mem();
	char a[32], b[32], params[256];
	make_doc(s, "A", "", a);
	make_doc(s, "B", "", b);
	snprintf(params, sizeof params, "{\"src\":\"%s\",\"dst\":\"%s\",\"type\":\"wiki\"}", a, b);
	call_fails(s, "link.add", params, HEPH_EINVALID);
	heph_op op;
	char line[512];
	snprintf(line, sizeof line,
		 "{\"op_id\":\"01K0000000000000000000OP01\",\"hlc\":\"001795000000500-00000-aaaaaaaaaaaaaaaa\","
		 "\"origin\":\"aaaaaaaaaaaaaaaa\",\"type\":\"link.add\",\"payload\":{\"link_id\":\"01K00000000000000000000W01\","
		 "\"src\":\"%s\",\"dst\":\"%s\",\"type\":\"wiki\"}}",
		 a, b);
	assert_int_equal(heph_op_decode(line, strlen(line), &op), 0);
	assert_int_equal(heph_store_apply(s, &op, NULL), 0);
	heph_op_clear(&op);
	expect_links(s, a, "wiki", b);
	heph_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(body_refs__finds_wiki_links_with_and_without_labels),
		cmocka_unit_test(body_refs__finds_tags_but_not_headings_anchors_or_numbers),
		cmocka_unit_test(body_refs__ignores_fenced_blocks_and_code_spans),
		cmocka_unit_test(body_refs__reads_tags_from_frontmatter_and_nothing_else_there),
		cmocka_unit_test(body_targets__are_unique_ids_and_lower_case_tags),
		cmocka_unit_test(tag_name__normalises_or_refuses),
		cmocka_unit_test(set_body__indexes_wiki_links_as_they_come_and_go),
		cmocka_unit_test(set_body__resolves_names_by_id_then_alias_then_title),
		cmocka_unit_test(set_body__leaves_unresolved_and_ambiguous_names_as_text),
		cmocka_unit_test(set_body__tags_link_to_tag_nodes_made_on_demand),
		cmocka_unit_test(body_expand__shows_current_titles_on_read),
		cmocka_unit_test(concurrent_body_edits__show_the_winning_body_s_links),
		cmocka_unit_test(managed_links__are_refused_by_hand_but_apply_from_sync),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
