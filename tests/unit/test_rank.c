/* test_rank.c — what is next and the views: the rank order on hand-made
 * cases, and a property test on random task sets checking that the order
 * is total, matches the rules as written in the spec (an independent
 * reference implementation below), and never drops a red candidate. */
#include "helpers.h"

#include "heph/date.h"

#include "rpc_internal.h"

static struct fake_clock clk = { T0 };
#define TODAY "2026-11-18"

static heph_store *mem(void) { return open_at(":memory:", &clk, TODAY); }

static char *ids_of(json_t *arr)
{
	size_t i, n = 0;
	json_t *t;
	char *out = calloc(json_array_size(arr) * 40 + 1, 1);
	json_array_foreach(arr, i, t) {
		n += (size_t)sprintf(out + n, "%s%s", i ? "," : "", json_string_value(json_object_get(t, "title")));
	}
	return out;
}

static void titles_are(heph_store *s, const char *method, const char *params, const char *want)
{
	json_t *r = call_ok(s, method, params);
	char *got = ids_of(r);
	if (strcmp(got, want) != 0)
		fail_msg("%s %s: want [%s] got [%s]", method, params, want, got);
	free(got);
	json_decref(r);
}

static void task(heph_store *s, const char *json)
{
	json_decref(call_ok(s, "task.create", json));
}

static void next__orders_late_first_then_band_then_age(void **state)
{
	(void)state;
	heph_store *s = mem();
	task(s, "{\"title\":\"white old\"}");
	task(s, "{\"title\":\"orange\",\"attention\":\"orange\"}");
	task(s, "{\"title\":\"red\",\"attention\":\"red\"}");
	task(s, "{\"title\":\"white new\"}");
	task(s, "{\"title\":\"late 2 days white\",\"late_on\":\"2026-11-16\"}");
	task(s, "{\"title\":\"late 5 days white\",\"late_on\":\"2026-11-13\"}");
	task(s, "{\"title\":\"late 2 days red\",\"attention\":\"red\",\"late_on\":\"2026-11-16\"}");
	task(s, "{\"title\":\"late today is not late\",\"attention\":\"orange\",\"late_on\":\"" TODAY "\"}");
	task(s, "{\"title\":\"blue\",\"attention\":\"blue\"}");
	task(s, "{\"title\":\"future\",\"attention\":\"red\",\"do_date\":\"2026-11-19\"}");
	task(s, "{\"title\":\"due today\",\"do_date\":\"" TODAY "\"}");
	titles_are(s, "task.next", "{\"limit\":0}",
		   "late 5 days white,late 2 days red,late 2 days white,red,orange,late today is not late,"
		   "white old,white new,due today");
	/* the do-date never orders: an old do-date does not lift a task */
	task(s, "{\"title\":\"long overdue do-date\",\"do_date\":\"2020-01-01\"}");
	titles_are(s, "task.next", "{\"limit\":0}",
		   "late 5 days white,late 2 days red,late 2 days white,red,orange,late today is not late,"
		   "white old,white new,due today,long overdue do-date");
	heph_store_close(s);
}

static void next__shows_every_red_task_beyond_the_limit(void **state)
{
	(void)state;
	heph_store *s = mem();
	task(s, "{\"title\":\"late\",\"late_on\":\"2026-11-01\"}");
	task(s, "{\"title\":\"r1\",\"attention\":\"red\"}");
	task(s, "{\"title\":\"r2\",\"attention\":\"red\"}");
	task(s, "{\"title\":\"o1\",\"attention\":\"orange\"}");
	task(s, "{\"title\":\"r3\",\"attention\":\"red\"}");
	task(s, "{\"title\":\"r4 late\",\"attention\":\"red\",\"late_on\":\"2026-11-10\"}");
	titles_are(s, "task.next", "{\"limit\":1}", "late,r4 late,r1,r2,r3");
	titles_are(s, "task.next", "{\"limit\":2}", "late,r4 late,r1,r2,r3");
	titles_are(s, "task.next", "{\"limit\":6}", "late,r4 late,r1,r2,r3,o1");
	titles_are(s, "task.next", "{}", "late,r4 late,r1,r2,r3,o1");
	heph_store_close(s);
}

static void next__scopes_to_a_project_subtree(void **state)
{
	(void)state;
	heph_store *s = mem();
	json_decref(call_ok(s, "project.add", "{\"name\":\"Work\"}"));
	json_decref(call_ok(s, "project.add", "{\"name\":\"Clients\",\"parent\":\"Work\"}"));
	json_decref(call_ok(s, "project.add", "{\"name\":\"Home\"}"));
	task(s, "{\"title\":\"w\",\"project\":\"Work\"}");
	task(s, "{\"title\":\"c\",\"project\":\"Clients\",\"attention\":\"orange\"}");
	task(s, "{\"title\":\"h\",\"project\":\"Home\"}");
	task(s, "{\"title\":\"loose\"}");
	titles_are(s, "task.next", "{\"project\":\"Work\"}", "c,w");
	titles_are(s, "task.next", "{\"project\":\"clients\"}", "c");
	call_fails(s, "task.next", "{\"project\":\"Nowhere\"}", HEPH_ENOTFOUND);
	call_fails(s, "task.next", "{\"limit\":-1}", HEPH_EINVALID);
	heph_store_close(s);
}

static void views__filter_as_their_table_says(void **state)
{
	(void)state;
	heph_store *s = mem();
	task(s, "{\"title\":\"loose\"}");
	task(s, "{\"title\":\"loose blue\",\"attention\":\"blue\"}");
	task(s, "{\"title\":\"loose later\",\"do_date\":\"2026-12-01\"}");
	/* without a Work project: work is empty, chores leaves nothing out */
	titles_are(s, "view.show", "{\"name\":\"work\"}", "");
	titles_are(s, "view.show", "{\"name\":\"chores\"}", "loose");
	json_t *l = call_ok(s, "view.list", NULL);
	assert_int_equal(json_array_size(l), 6);
	assert_false(json_is_true(json_object_get(json_array_get(l, 3), "project_found")));
	json_decref(l);

	json_decref(call_ok(s, "project.add", "{\"name\":\"Work\"}"));
	json_decref(call_ok(s, "project.add", "{\"name\":\"Clients\",\"parent\":\"work\"}"));
	json_decref(call_ok(s, "project.add", "{\"name\":\"Home\"}"));
	task(s, "{\"title\":\"client call\",\"project\":\"Clients\",\"attention\":\"red\"}");
	task(s, "{\"title\":\"report\",\"project\":\"Work\"}");
	task(s, "{\"title\":\"report later\",\"project\":\"Work\",\"do_date\":\"2026-12-01\"}");
	task(s, "{\"title\":\"dishes\",\"project\":\"Home\"}");
	task(s, "{\"title\":\"paint\",\"project\":\"Home\",\"attention\":\"blue\"}");
	titles_are(s, "view.show", "{\"name\":\"tom\"}", "client call,loose,report,dishes");
	titles_are(s, "view.show", "{\"name\":\"ondeck\"}", "loose blue,paint");
	titles_are(s, "view.show", "{\"name\":\"work\"}", "client call,report");
	titles_are(s, "view.show", "{\"name\":\"chores\"}", "loose,dishes");
	titles_are(s, "view.show", "{\"name\":\"tasks\"}",
		   "client call,loose,loose later,report,report later,dishes,loose blue,paint");
	titles_are(s, "view.show", "{\"name\":\"inbox\"}", "loose,loose later,loose blue");
	titles_are(s, "view.show", "{\"name\":\"tasks\",\"limit\":2}", "client call,loose");
	l = call_ok(s, "view.list", NULL);
	assert_true(json_is_true(json_object_get(json_array_get(l, 3), "project_found")));
	json_decref(l);
	call_fails(s, "view.show", "{\"name\":\"nope\"}", HEPH_ENOTFOUND);
	call_fails(s, "view.show", "{}", HEPH_EINVALID);
	heph_store_close(s);
}

/* ---- the property test ---- */

struct ref {
	char id[32];
	char title[16];
	int band;          /* 0 red .. 3 blue */
	char do_date[11];  /* "" none */
	char late_on[11];
	int open;          /* outstanding and not deleted */
	int project;       /* -1 none, else index */
	int seq;           /* creation order */
};

/* The rules, straight from the spec. */
static int ref_cmp(const void *pa, const void *pb)
{
	const struct ref *a = *(const struct ref *const *)pa, *b = *(const struct ref *const *)pb;
	int al = a->late_on[0] && strcmp(a->late_on, TODAY) < 0, bl = b->late_on[0] && strcmp(b->late_on, TODAY) < 0;
	if (al != bl)
		return bl - al;
	if (al && strcmp(a->late_on, b->late_on))
		return strcmp(a->late_on, b->late_on);
	if (a->band != b->band)
		return a->band - b->band;
	return a->seq - b->seq; /* creation order: HLCs of one device increase */
}

static unsigned rnd_state;
static unsigned rnd(unsigned n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

static void random_date(char out[11], int spread)
{
	heph_date_add_days(TODAY, (int)rnd((unsigned)(2 * spread + 1)) - spread, out);
}

static void rank__random_sets_follow_the_rules(void **state)
{
	(void)state;
	static const char *const colours[] = { "red", "orange", "white", "blue" };
	/* projects: 0 Work, 1 Work/Sub, 2 Home */
	static const char *const pnames[] = { "Work", "Sub", "Home" };
	for (int trial = 0; trial < 12; trial++) {
		heph_store *s = mem();
		struct ref tasks[120];
		rnd_state = (unsigned)trial * 7919u + 1u;
		int n = 40 + (int)rnd(80);
		json_decref(call_ok(s, "project.add", "{\"name\":\"Work\"}"));
		json_decref(call_ok(s, "project.add", "{\"name\":\"Sub\",\"parent\":\"Work\"}"));
		json_decref(call_ok(s, "project.add", "{\"name\":\"Home\"}"));
		for (int i = 0; i < n; i++) {
			struct ref *t = &tasks[i];
			json_t *p = json_object();
			memset(t, 0, sizeof *t);
			snprintf(t->title, sizeof t->title, "t%d", i);
			t->seq = i;
			t->band = (int)rnd(4);
			json_object_set_new(p, "title", json_string(t->title));
			json_object_set_new(p, "attention", json_string(colours[t->band]));
			if (rnd(2)) {
				random_date(t->do_date, 4);
				json_object_set_new(p, "do_date", json_string(t->do_date));
			}
			if (rnd(3) == 0) {
				random_date(t->late_on, 3); /* many ties */
				json_object_set_new(p, "late_on", json_string(t->late_on));
			}
			t->project = (int)rnd(4) - 1;
			if (t->project >= 0)
				json_object_set_new(p, "project", json_string(pnames[t->project]));
			json_t *r = NULL;
			heph_rpc_env env = { .store = s };
			assert_int_equal(heph_rpc_call(&env, "task.create", p, &r), 0);
			snprintf(t->id, sizeof t->id, "%s", json_string_value(json_object_get(r, "node_id")));
			json_decref(r);
			json_decref(p);
			t->open = 1;
			unsigned fate = rnd(8);
			char params[80];
			snprintf(params, sizeof params, "{\"id\":\"%s\"}", t->id);
			if (fate == 0) {
				json_decref(call_ok(s, "task.done", params));
				t->open = 0;
			} else if (fate == 1) {
				json_decref(call_ok(s, "node.remove", params));
				t->open = 0;
			}
		}
		/* what is next, views and scopes, at several limits */
		static const struct {
			const char *method, *params;
			unsigned bands;
			int actionable, scope; /* scope: -1 all, 0 Work subtree, 9 not Work, 8 unfiled */
		} cases[] = {
			{ "task.next", "", 7, 1, -1 },        { "view.show", "\"name\":\"tom\",", 7, 1, -1 },
			{ "view.show", "\"name\":\"ondeck\",", 8, 0, -1 },
			{ "view.show", "\"name\":\"tasks\",", 15, 0, -1 },
			{ "view.show", "\"name\":\"inbox\",", 15, 0, 8 },
			{ "view.show", "\"name\":\"work\",", 7, 1, 0 },
			{ "view.show", "\"name\":\"chores\",", 7, 1, 9 },
			{ "task.next", "\"project\":\"Work\",", 7, 1, 0 },
		};
		json_t *counted = call_ok(s, "view.list", "{\"counts\":true}");
		for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
			for (int limit = 0; limit <= 12; limit += 3) {
				const struct ref *cand[120];
				int nc = 0;
				for (int i = 0; i < n; i++) {
					const struct ref *t = &tasks[i];
					int in_work = t->project == 0 || t->project == 1;
					if (!t->open || !(cases[c].bands & (1u << t->band)))
						continue;
					/* a late task passes the do-date gate */
					if (cases[c].actionable && t->do_date[0] && strcmp(t->do_date, TODAY) > 0 &&
					    !(t->late_on[0] && strcmp(t->late_on, TODAY) < 0))
						continue;
					if ((cases[c].scope == 0 && !in_work) || (cases[c].scope == 9 && in_work) ||
					    (cases[c].scope == 8 && t->project >= 0))
						continue;
					cand[nc++] = t;
				}
				qsort(cand, (size_t)nc, sizeof cand[0], ref_cmp);
				/* view.list counts every candidate of a view */
				char view[16];
				if (limit == 0 && sscanf(cases[c].params, "\"name\":\"%15[^\"]", view) == 1) {
					size_t i;
					json_t *v;
					json_array_foreach(counted, i, v) if (strcmp(json_string_value(json_object_get(v, "name")),
										     view) == 0)
						assert_int_equal(json_integer_value(json_object_get(v, "count")), nc);
				}
				char params[120], want[120 * 8] = "";
				size_t w = 0;
				for (int i = 0; i < nc; i++)
					if (limit == 0 || i < limit || cand[i]->band == 0)
						w += (size_t)sprintf(want + w, "%s%s", w ? "," : "", cand[i]->title);
				snprintf(params, sizeof params, "{%s\"limit\":%d}", cases[c].params, limit);
				json_t *r = call_ok(s, cases[c].method, params);
				char *got = ids_of(r);
				if (strcmp(got, want) != 0)
					fail_msg("trial %d %s %s:\nwant [%s]\ngot  [%s]", trial, cases[c].method, params, want,
						 got);
				/* total: no task twice, and every candidate red is there */
				size_t i;
				json_t *t;
				json_array_foreach(r, i, t) for (size_t j = 0; j < i; j++) assert_string_not_equal(
					json_string_value(json_object_get(t, "node_id")),
					json_string_value(json_object_get(json_array_get(r, j), "node_id")));
				for (int k = 0; k < nc; k++)
					if (cand[k]->band == 0)
						assert_non_null(strstr(got, cand[k]->title));
				free(got);
				json_decref(r);
			}
		}
		json_decref(counted);
		heph_store_close(s);
	}
}

/* The engine's comparator is a total order: antisymmetric and transitive
 * on random keys, including exact ties but for the id. */
static void rank_compare__is_a_total_order(void **state)
{
	(void)state;
	struct key {
		int late;
		char late_on[11];
		int band;
		char created[8];
		char id[8];
	} k[60];
	rnd_state = 99;
	for (int i = 0; i < 60; i++) {
		k[i].late = (int)rnd(2);
		random_date(k[i].late_on, 2);
		k[i].band = (int)rnd(4);
		snprintf(k[i].created, sizeof k[i].created, "c%u", rnd(5));
		snprintf(k[i].id, sizeof k[i].id, "i%02d", i);
	}
#define CMP(a, b) heph__rank_compare(k[a].late, k[a].late_on, k[a].band, k[a].created, k[a].id, k[b].late, \
				     k[b].late_on, k[b].band, k[b].created, k[b].id)
	for (int a = 0; a < 60; a++) {
		assert_int_equal(CMP(a, a), 0);
		for (int b = 0; b < 60; b++) {
			if (a == b)
				continue;
			int ab = CMP(a, b), ba = CMP(b, a);
			assert_true(ab != 0);
			assert_true((ab < 0) == (ba > 0));
			for (int c = 0; c < 60; c++)
				if (ab < 0 && CMP(b, c) < 0)
					assert_true(CMP(a, c) < 0);
		}
	}
#undef CMP
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(next__orders_late_first_then_band_then_age),
		cmocka_unit_test(next__shows_every_red_task_beyond_the_limit),
		cmocka_unit_test(next__scopes_to_a_project_subtree),
		cmocka_unit_test(views__filter_as_their_table_says),
		cmocka_unit_test(rank__random_sets_follow_the_rules),
		cmocka_unit_test(rank_compare__is_a_total_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
