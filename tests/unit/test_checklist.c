/* test_checklist.c — context items: which lines are checklist items (GFM
 * bullets, ordered items, nesting, fenced code left alone) and the reset
 * that unchecks them while keeping every other byte, including a property
 * test on random documents. */
#include "helpers.h"

#include "heph/checklist.h"

struct seen {
	char buf[1024];
	size_t n;
};

static int collect(const heph_check_item *it, void *ctx)
{
	struct seen *s = ctx;
	s->n += (size_t)snprintf(s->buf + s->n, sizeof s->buf - s->n, "%s%zu:%c:%.*s", s->n ? "|" : "", it->line,
				 it->done ? 'x' : ' ', (int)it->text_len, it->text);
	return 0;
}

static void items_are(const char *body, const char *want)
{
	struct seen s = { .n = 0 };
	s.buf[0] = '\0';
	heph_checklist_foreach(body, collect, &s);
	if (strcmp(s.buf, want) != 0)
		fail_msg("body:\n%s\nwant [%s]\ngot  [%s]", body, want, s.buf);
}

static void checklist__reads_gfm_task_items(void **state)
{
	(void)state;
	items_are("- [ ] buy flour\n- [x] feed starter\n", "1: :buy flour|2:x:feed starter");
	items_are("* [X] star\n+ [ ] plus\n1. [ ] one\n2) [x] two\n", "1:x:star|2: :plus|3: :one|4:x:two");
	items_are("- [ ] parent\n  - [x] nested\n\t- [ ] tabbed\n", "1: :parent|2:x:nested|3: :tabbed");
	items_are("- [ ]\n- [ ]   spaced out   \n", "1: :|2: :spaced out");
	items_are("- [ ] crlf\r\n- [x] too\r\n", "1: :crlf|2:x:too");
	items_are("no newline at the end\n- [ ] last", "2: :last");
	/* not items */
	items_are("- plain bullet\n-[ ] no space\n- [y] bad mark\n- [ ]x glued\n[ ] no bullet\n"
		  "1234567890. [ ] ten digits\n- [  ] two spaces\n* * *\n",
		  "");
	items_are(NULL, "");
	items_are("", "");
}

static void checklist__ignores_fenced_code(void **state)
{
	(void)state;
	items_are("- [ ] before\n```\n- [ ] in code\n```\n- [x] after\n", "1: :before|5:x:after");
	items_are("~~~ sh\n- [ ] tilde code\n~~~\n- [ ] out\n", "4: :out");
	/* a longer fence is closed only by one at least as long */
	items_are("````\n```\n- [ ] still code\n````\n- [ ] out\n", "5: :out");
	/* a fence of the other character does not close it */
	items_are("```\n~~~\n- [ ] code\n```\n- [ ] out\n", "5: :out");
	/* fences inside list items, indented */
	items_are("- [ ] step\n  ```\n  - [ ] code\n  ```\n- [ ] next\n", "1: :step|5: :next");
	/* an unclosed fence runs to the end */
	items_are("- [ ] seen\n```\n- [ ] never\n", "1: :seen");
	/* two backticks are no fence; a backtick in the info string is none either */
	items_are("``\n- [ ] item\n", "2: :item");
	items_are("``` a`b\n- [ ] item\n", "2: :item");
}

static void checklist_reset__unchecks_and_keeps_everything_else(void **state)
{
	(void)state;
	int changed = -1;
	char *r = heph_checklist_reset("Notes\n- [x] a\n  * [X] b\n```\n- [x] code stays\n```\n1. [x] c\r\n", &changed);
	assert_string_equal(r, "Notes\n- [ ] a\n  * [ ] b\n```\n- [x] code stays\n```\n1. [ ] c\r\n");
	assert_int_equal(changed, 1);
	free(r);
	r = heph_checklist_reset("- [ ] open\nplain\n", &changed);
	assert_string_equal(r, "- [ ] open\nplain\n");
	assert_int_equal(changed, 0);
	free(r);
	r = heph_checklist_reset(NULL, &changed);
	assert_string_equal(r, "");
	assert_int_equal(changed, 0);
	free(r);
}

static unsigned seed;
static unsigned rnd(unsigned n)
{
	seed = seed * 1103515245u + 12345u;
	return (seed >> 8) % n;
}

static int count_done(const heph_check_item *it, void *ctx)
{
	int *c = ctx;
	c[0]++;
	c[1] += it->done;
	return 0;
}

/* Random documents of lines mixing items, code and prose: the reset leaves
 * the same items, none done, and changes exactly the done marks. */
static void checklist_reset__random_documents(void **state)
{
	(void)state;
	static const char *const pieces[] = {
		"- [ ] open", "- [x] done", "  * [X] nested", "3. [x] ordered", "```", "~~~~", "prose [x] here",
		"- [x]", "", "> - [x] quoted", "\t+ [ ] tab",
	};
	for (int trial = 0; trial < 500; trial++) {
		char doc[2048] = "";
		size_t n = 0;
		seed = (unsigned)trial + 1;
		int lines = (int)rnd(20);
		for (int i = 0; i < lines; i++)
			n += (size_t)snprintf(doc + n, sizeof doc - n, "%s%s", pieces[rnd(sizeof pieces / sizeof pieces[0])],
					      rnd(4) ? "\n" : "\r\n");
		int before[2] = { 0, 0 }, after[2] = { 0, 0 }, changed;
		heph_checklist_foreach(doc, count_done, before);
		char *r = heph_checklist_reset(doc, &changed);
		heph_checklist_foreach(r, count_done, after);
		assert_int_equal(strlen(r), strlen(doc));
		assert_int_equal(after[0], before[0]);
		assert_int_equal(after[1], 0);
		assert_int_equal(changed, before[1] > 0);
		size_t diffs = 0;
		for (size_t i = 0; doc[i]; i++)
			if (doc[i] != r[i]) {
				assert_true(doc[i] == 'x' || doc[i] == 'X');
				assert_int_equal(r[i], ' ');
				diffs++;
			}
		assert_int_equal(diffs, (size_t)before[1]);
		free(r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(checklist__reads_gfm_task_items),
		cmocka_unit_test(checklist__ignores_fenced_code),
		cmocka_unit_test(checklist_reset__unchecks_and_keeps_everything_else),
		cmocka_unit_test(checklist_reset__random_documents),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
