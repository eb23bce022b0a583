/* test_quickadd.c — the quick-add parser, table-driven: titles, do-date
 * words anywhere, p1-p4, #projects matched greedily (multi-word names,
 * unmatched #words kept), the longest "every" suffix, escapes, the spans
 * for chips; and the task.add / quickadd.parse methods on a real store. */
#include "helpers.h"

#include "heph/quickadd.h"

#define TODAY "2026-11-18" /* a Wednesday */

static const char *const names[] = { "Work", "Deep Work", "Home", "Home Garden Shed", "errands" };

struct qcase {
	const char *text;
	const char *title;
	const char *do_date;   /* "" none */
	const char *attention; /* NULL none */
	const char *project;   /* NULL none */
	const char *rrule;     /* NULL none */
};

static const struct qcase cases[] = {
	{ "Buy milk tomorrow p2 #Work every week", "Buy milk", "2026-11-19", "orange", "Work", "FREQ=WEEKLY" },
	{ "Buy milk", "Buy milk", "", NULL, NULL, NULL },
	{ "tomorrow buy milk", "buy milk", "2026-11-19", NULL, NULL, NULL },
	{ "Call mum on friday", "Call mum", "2026-11-20", NULL, NULL, NULL },
	{ "Call mum fri", "Call mum", "2026-11-20", NULL, NULL, NULL },
	{ "pay rent 2026-12-01", "pay rent", "2026-12-01", NULL, NULL, NULL },
	{ "renew passport +2w", "renew passport", "2026-12-02", NULL, NULL, NULL },
	{ "renew passport in 3 days", "renew passport", "2026-11-21", NULL, NULL, NULL },
	{ "review in 2 weeks p1", "review", "2026-12-02", "red", NULL, NULL },
	{ "report today", "report", TODAY, NULL, NULL, NULL },
	{ "report tonight", "report", TODAY, NULL, NULL, NULL },
	{ "report tmr", "report", "2026-11-19", NULL, NULL, NULL },
	/* the rightmost date wins; the others stay in the title */
	{ "plan monday meeting tomorrow", "plan monday meeting", "2026-11-19", NULL, NULL, NULL },
	/* wed, sat and sun are words too often: only in full */
	{ "buy sun cream", "buy sun cream", "", NULL, NULL, NULL },
	{ "picnic sunday", "picnic", "2026-11-22", NULL, NULL, NULL },
	{ "wed plans", "wed plans", "", NULL, NULL, NULL },
	/* p1..p4 */
	{ "fix the roof p1", "fix the roof", "", "red", NULL, NULL },
	{ "p3 someday idea", "someday idea", "", "blue", NULL, NULL },
	{ "tidy p4", "tidy", "", "white", NULL, NULL },
	{ "p1 p2 which", "p1 which", "", "orange", NULL, NULL },
	{ "p5 is not a priority", "p5 is not a priority", "", NULL, NULL, NULL },
	{ "P2 upper case", "upper case", "", "orange", NULL, NULL },
	/* projects: greedy, multi-word, case-insensitive */
	{ "focus #Deep Work tomorrow", "focus", "2026-11-19", NULL, "Deep Work", NULL },
	{ "focus #deep work", "focus", "", NULL, "Deep Work", NULL },
	{ "#Work on slides", "on slides", "", NULL, "Work", NULL },
	{ "paint #Home Garden Shed p3", "paint", "", "blue", "Home Garden Shed", NULL },
	{ "paint #Home Garden gate", "paint Garden gate", "", NULL, "Home", NULL },
	{ "stamps #errands", "stamps", "", NULL, "errands", NULL },
	{ "ideas #nowhere", "ideas #nowhere", "", NULL, NULL, NULL },
	{ "ideas #nowhere #Home", "ideas #nowhere", "", NULL, "Home", NULL },
	{ "one #Home two #Work", "one #Home two", "", NULL, "Work", NULL },
	{ "hash # alone", "hash # alone", "", NULL, NULL, NULL },
	/* recurrence: the longest "every" suffix that parses */
	{ "water plants every other week", "water plants", "2026-11-18", NULL, NULL, "FREQ=WEEKLY;INTERVAL=2" },
	{ "water plants every mon,wed", "water plants", "2026-11-18", NULL, NULL, "FREQ=WEEKLY;BYDAY=MO,WE" },
	{ "gym every monday", "gym", "2026-11-23", NULL, NULL, "FREQ=WEEKLY;BYDAY=MO" },
	{ "rent every month on the 15th", "rent", "2026-12-15", NULL, NULL, "FREQ=MONTHLY;BYMONTHDAY=15" },
	{ "rent every month on the 1st p1 #Home", "rent", "2026-12-01", "red", "Home",
	  "FREQ=MONTHLY;BYMONTHDAY=1" },
	{ "standup every weekday #Work", "standup", TODAY, NULL, "Work", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR" },
	{ "bins every week tomorrow", "bins", "2026-11-19", NULL, NULL, "FREQ=WEEKLY" },
	{ "call every day at 5", "call every day at 5", "", NULL, NULL, NULL },
	{ "every day counts every day", "every day counts", TODAY, NULL, NULL, "FREQ=DAILY" },
	{ "water every 3 days #nope", "water #nope", TODAY, NULL, NULL, "FREQ=DAILY;INTERVAL=3" },
	{ "taxes every year on apr 15", "taxes", "2027-04-15", NULL, NULL, "FREQ=YEARLY;BYMONTHDAY=15;BYMONTH=4" },
	{ "stretch daily", "stretch", TODAY, NULL, NULL, "FREQ=DAILY" },
	{ "write weekly report", "write weekly report", "", NULL, NULL, NULL },
	{ "review weekly p2", "review", TODAY, "orange", NULL, "FREQ=WEEKLY" },
	/* escapes keep a word literal */
	{ "\\tomorrow never comes", "tomorrow never comes", "", NULL, NULL, NULL },
	{ "read \\p1 spec", "read p1 spec", "", NULL, NULL, NULL },
	{ "tag \\#Work literally", "tag #Work literally", "", NULL, NULL, NULL },
	/* an escaped word is literal inside a longer expression too */
	{ "call in \\3 days", "call in 3 days", "", NULL, NULL, NULL },
	{ "paint #Home \\Garden Shed", "paint Garden Shed", "", NULL, "Home", NULL },
	{ "  spaced   out  ", "spaced out", "", NULL, NULL, NULL },
	{ "café ☕ tomorrow", "café ☕", "2026-11-19", NULL, NULL, NULL },
};

static void quickadd__reads_the_grammar(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct qcase *c = &cases[i];
		heph_quickadd q;
		if (heph_quickadd_parse(c->text, TODAY, names, 5, &q))
			fail_msg("\"%s\": %s", c->text, heph_error_last());
		const char *proj = q.project >= 0 ? names[q.project] : NULL;
		if (strcmp(q.title, c->title) || strcmp(q.do_date, c->do_date) ||
		    (c->attention ? !q.attention || strcmp(q.attention, c->attention) : q.attention != NULL) ||
		    (c->project ? !proj || strcmp(proj, c->project) : proj != NULL) ||
		    (c->rrule ? !q.recurrence || strcmp(q.recurrence, c->rrule) : q.recurrence != NULL))
			fail_msg("\"%s\":\n want [%s] [%s] [%s] [%s] [%s]\n got  [%s] [%s] [%s] [%s] [%s]", c->text, c->title,
				 c->do_date, c->attention ? c->attention : "-", c->project ? c->project : "-",
				 c->rrule ? c->rrule : "-", q.title, q.do_date, q.attention ? q.attention : "-",
				 proj ? proj : "-", q.recurrence ? q.recurrence : "-");
		heph_quickadd_clear(&q);
	}
}

static void quickadd__marks_what_it_read_for_chips(void **state)
{
	(void)state;
	const char *text = "Buy milk tomorrow p2 #Deep Work every week";
	heph_quickadd q;
	assert_int_equal(heph_quickadd_parse(text, TODAY, names, 5, &q), 0);
	assert_int_equal(q.nspans, 4);
	static const char *const kinds[] = { "date", "attention", "project", "recurrence" };
	static const char *const spans[] = { "tomorrow", "p2", "#Deep Work", "every week" };
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(q.spans[i].kind, kinds[i]);
		assert_int_equal(q.spans[i].end - q.spans[i].start, strlen(spans[i]));
		assert_memory_equal(text + q.spans[i].start, spans[i], strlen(spans[i]));
	}
	assert_false(q.do_date_from_rule);
	heph_quickadd_clear(&q);
	assert_int_equal(heph_quickadd_parse("gym every monday", TODAY, names, 5, &q), 0);
	assert_true(q.do_date_from_rule);
	heph_quickadd_clear(&q);
}

static void quickadd__refuses_text_without_a_title(void **state)
{
	(void)state;
	static const char *const bad[] = { "", "   ", "tomorrow", "p1 #Work", "every week", "tomorrow p2 every day",
					   "two\nlines" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		heph_quickadd q;
		if (heph_quickadd_parse(bad[i], TODAY, names, 5, &q) != HEPH_EINVALID)
			fail_msg("\"%s\" was accepted as \"%s\"", bad[i], q.title);
		assert_null(q.title);
	}
	char big[1100];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	heph_quickadd q;
	assert_int_equal(heph_quickadd_parse(big, TODAY, names, 5, &q), HEPH_EINVALID);
	/* no project names at all */
	assert_int_equal(heph_quickadd_parse("x #Work", TODAY, NULL, 0, &q), 0);
	assert_string_equal(q.title, "x #Work");
	heph_quickadd_clear(&q);
}

static struct fake_clock clk = { T0 };

static void task_add__creates_what_quickadd_parse_previews(void **state)
{
	(void)state;
	heph_store *s = open_at(":memory:", &clk, TODAY);
	json_decref(call_ok(s, "project.add", "{\"name\":\"Deep Work\"}"));
	json_t *p = call_ok(s, "quickadd.parse", "{\"text\":\"Buy milk tomorrow p2 #Deep Work every week\"}");
	assert_string_equal(json_string_value(json_object_get(p, "title")), "Buy milk");
	assert_string_equal(json_string_value(json_object_get(p, "recurrence_text")), "every week");
	assert_int_equal(json_array_size(json_object_get(p, "chips")), 4);
	json_t *dry = call_ok(s, "task.add", "{\"text\":\"Buy milk tomorrow p2 #Deep Work every week\",\"dry_run\":true}");
	assert_true(json_equal(p, dry));
	json_decref(dry);
	json_t *tasks = rows_ok(s, "task.list", NULL);
	assert_int_equal(json_array_size(tasks), 0); /* nothing was created */
	json_decref(tasks);
	json_t *r = call_ok(s, "task.add", "{\"text\":\"Buy milk tomorrow p2 #Deep Work every week\"}");
	json_t *t = json_object_get(r, "task");
	assert_string_equal(json_string_value(json_object_get(t, "title")), "Buy milk");
	assert_string_equal(json_string_value(json_object_get(t, "do_date")), "2026-11-19");
	assert_string_equal(json_string_value(json_object_get(t, "attention")), "orange");
	assert_string_equal(json_string_value(json_object_get(t, "project")), "Deep Work");
	assert_string_equal(json_string_value(json_object_get(t, "recurrence")), "FREQ=WEEKLY");
	assert_string_equal(json_string_value(json_object_get(t, "project_id")),
			    json_string_value(json_object_get(p, "project_id")));
	json_decref(r);
	json_decref(p);
	/* two projects of one name: a clear error, nothing created */
	json_decref(call_ok(s, "project.add", "{\"name\":\"Twin\"}"));
	json_decref(call_ok(s, "project.add", "{\"name\":\"Parent\"}"));
	json_decref(call_ok(s, "project.add", "{\"name\":\"twin\",\"parent\":\"Parent\"}"));
	call_fails(s, "task.add", "{\"text\":\"x #Twin\"}", HEPH_EAMBIGUOUS);
	call_fails(s, "task.add", "{\"text\":\"p1\"}", HEPH_EINVALID);
	call_fails(s, "task.add", "{}", HEPH_EINVALID);
	tasks = rows_ok(s, "task.list", NULL);
	assert_int_equal(json_array_size(tasks), 1);
	json_decref(tasks);
	heph_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(quickadd__reads_the_grammar),
		cmocka_unit_test(quickadd__marks_what_it_read_for_chips),
		cmocka_unit_test(quickadd__refuses_text_without_a_title),
		cmocka_unit_test(task_add__creates_what_quickadd_parse_previews),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
