/* test_tui_model.c — the TUI's state over a real database (src/tui/model.c):
 * what the sidebar, the task list and the preview hold, how the cursors
 * move and survive reloads, and the refresh after another connection's
 * commit. No terminal is involved. */
#include "helpers.h"

#include "model.h"

struct fx {
	char *path;
	struct fake_clock clk;
	heph_store *s;
	struct tui_model m;
	char work[32], clients[32], home[32];
	char milk[32], invoice[32], inbox[32];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	char params[256];
	f->path = temp_db();
	f->clk.now = T0;
	f->s = open_at(f->path, &f->clk, "2026-11-18");
	take_id(call_ok(f->s, "project.add", "{\"name\": \"Work\"}"), f->work);
	snprintf(params, sizeof params, "{\"name\": \"Clients\", \"parent\": \"%s\"}", f->work);
	take_id(call_ok(f->s, "project.add", params), f->clients);
	take_id(call_ok(f->s, "project.add", "{\"name\": \"Home\"}"), f->home);
	f->clk.now += 1000;
	take_id(call_ok(f->s, "task.create", "{\"title\": \"Buy milk\", \"project\": \"Home\", \"attention\": \"orange\"}"),
		f->milk);
	f->clk.now += 1000;
	take_id(call_ok(f->s, "task.create", "{\"title\": \"Send invoice\", \"project\": \"Clients\", "
					     "\"attention\": \"red\", \"body\": \"- [ ] attach the PDF\"}"),
		f->invoice);
	f->clk.now += 1000;
	take_id(call_ok(f->s, "task.create", "{\"title\": \"Inbox thing\"}"), f->inbox);
	assert_int_equal(tui_model_open(&f->m, f->s), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	tui_model_close(&f->m);
	heph_store_close(f->s);
	drop_db(f->path);
	free(f);
	return 0;
}

static const char *row_title(struct tui_model *m, int r)
{
	if (m->rows[r].task < 0)
		return m->rows[r].heading;
	return tui_task_str(json_array_get(m->tasks, (size_t)m->rows[r].task), "title");
}

static int find_item(struct tui_model *m, const char *label)
{
	for (int i = 0; i < m->nitems; i++)
		if (strcmp(m->items[i].label, label) == 0)
			return i;
	fail_msg("no sidebar entry %s", label);
	return -1;
}

static void open__lists_views_then_the_project_tree_with_counts(void **state)
{
	struct fx *f = *state;
	struct tui_model *m = &f->m;
	int views = find_item(m, "Views"), projects = find_item(m, "Projects");
	assert_int_equal(m->items[views].kind, TUI_ITEM_HEADING);
	assert_true(views < projects);
	assert_int_equal(m->items[views + 1].kind, TUI_ITEM_VIEW);
	/* tree order: Home, Work, then Clients under Work */
	assert_string_equal(m->items[projects + 1].label, "Home");
	assert_string_equal(m->items[projects + 2].label, "Work");
	assert_string_equal(m->items[projects + 3].label, "Clients");
	assert_int_equal(m->items[projects + 3].depth, 1);
	assert_int_equal(m->items[projects + 2].count, 0);
	assert_int_equal(m->items[projects + 2].total, 1);
	assert_int_equal(m->items[projects + 1].count, 1);
}

static void open__selects_the_first_view_with_tasks_in_rank_order(void **state)
{
	struct fx *f = *state;
	struct tui_model *m = &f->m;
	assert_int_equal(m->items[m->side].kind, TUI_ITEM_VIEW);
	assert_int_equal(m->pane, TUI_PANE_TASKS);
	/* the same order heph's own ranking gives */
	json_t *want = call_ok(f->s, "view.show", "{\"name\": \"tom\"}");
	assert_int_equal(m->nrows, (int)json_array_size(want));
	for (int r = 0; r < m->nrows; r++)
		assert_string_equal(row_title(m, r), tui_task_str(json_array_get(want, (size_t)r), "title"));
	json_decref(want);
	assert_string_equal(row_title(m, 0), "Send invoice");
	assert_int_equal(m->row, 0);
	assert_string_equal(tui_model_task_id(m), f->invoice);
}

static void preview__holds_the_selected_task_and_its_context_doc(void **state)
{
	struct fx *f = *state;
	struct tui_model *m = &f->m;
	assert_non_null(m->node);
	assert_string_equal(tui_task_str(m->node, "node_id"), f->invoice);
	assert_string_equal(tui_task_str(m->node, "context"), "- [ ] attach the PDF");
	tui_model_move(m, 1);
	assert_string_equal(tui_task_str(m->node, "title"), row_title(m, 1));
}

static void move__in_the_sidebar_loads_a_projects_subtree(void **state)
{
	struct fx *f = *state;
	struct tui_model *m = &f->m;
	m->pane = TUI_PANE_SIDE;
	int work = find_item(m, "Work");
	while (m->side < work)
		tui_model_move(m, 1);
	assert_int_equal(m->side, work);
	assert_int_equal(m->nrows, 1);
	assert_string_equal(row_title(m, 0), "Send invoice"); /* from the subproject */
	tui_model_move(m, -1000);
	assert_int_equal(m->items[m->side].kind, TUI_ITEM_VIEW); /* headings are skipped */
	tui_model_move(m, 1000);
	assert_string_equal(m->items[m->side].label, "Clients");
}

static void move__stops_at_both_ends_of_the_list(void **state)
{
	struct fx *f = *state;
	struct tui_model *m = &f->m;
	tui_model_move(m, -1);
	assert_int_equal(m->row, 0);
	tui_model_jump(m, 1);
	assert_int_equal(m->row, m->nrows - 1);
	tui_model_move(m, 1);
	assert_int_equal(m->row, m->nrows - 1);
}

static void reload__keeps_the_cursor_on_the_same_task(void **state)
{
	struct fx *f = *state;
	struct tui_model *m = &f->m;
	char params[128];
	tui_model_move(m, 1);
	char *id = strdup(tui_model_task_id(m));
	/* a new red task ranks above it: the cursor follows the task, not the row */
	json_decref(call_ok(f->s, "task.create", "{\"title\": \"Urgent\", \"attention\": \"red\"}"));
	tui_model_reload(m);
	assert_string_equal(tui_model_task_id(m), id);
	assert_int_equal(m->row, 2);
	/* when the task leaves the list, the cursor stays near where it was */
	snprintf(params, sizeof params, "{\"id\": \"%s\"}", id);
	json_decref(call_ok(f->s, "task.done", params));
	tui_model_reload(m);
	assert_int_equal(m->row, 2);
	assert_string_not_equal(tui_model_task_id(m), id);
	free(id);
}

static void poll__reloads_only_after_another_connection_commits(void **state)
{
	struct fx *f = *state;
	struct tui_model *m = &f->m;
	heph_store *other = open_at(f->path, &f->clk, "2026-11-18");
	int before = m->nrows;
	assert_int_equal(tui_model_poll(m), 0);
	json_decref(call_ok(other, "task.create", "{\"title\": \"From elsewhere\"}"));
	assert_int_equal(tui_model_poll(m), 1);
	assert_int_equal(m->nrows, before + 1);
	assert_int_equal(tui_model_poll(m), 0);
	heph_store_close(other);
}

static void grouped__puts_tasks_under_projects_in_tree_order(void **state)
{
	struct fx *f = *state;
	struct tui_model *m = &f->m;
	char *id = strdup(tui_model_task_id(m));
	tui_model_toggle_grouped(m);
	const char *want[] = { "Home", "Buy milk", "Clients", "Send invoice", "No project", "Inbox thing" };
	assert_int_equal(m->nrows, 6);
	for (int r = 0; r < 6; r++)
		assert_string_equal(row_title(m, r), want[r]);
	assert_int_equal(m->rows[0].task, -1);
	assert_int_equal(m->rows[0].count, 1);
	assert_string_equal(tui_model_task_id(m), id); /* the cursor stayed on its task */
	tui_model_jump(m, -1);
	assert_int_equal(m->row, 1); /* never on a heading */
	tui_model_move(m, 1);
	assert_int_equal(m->row, 3);
	tui_model_toggle_grouped(m);
	assert_int_equal(m->nrows, 3);
	free(id);
}

static void call__a_failing_write_leaves_its_message(void **state)
{
	struct fx *f = *state;
	struct tui_model *m = &f->m;
	assert_int_equal(tui_model_call(m, SRC_EDIT, json_pack("{s:s, s:s}", "id", f->milk, "do_date", "someday"), NULL),
			 HEPH_EINVALID);
	assert_true(m->msg_error);
	assert_non_null(strstr(m->msg, "someday"));
}

static void task_id__is_null_when_nothing_is_selected(void **state)
{
	struct fx *f = *state;
	struct tui_model *m = &f->m;
	m->pane = TUI_PANE_SIDE;
	while (strcmp(m->items[m->side].label, "Work") != 0)
		tui_model_move(m, 1);
	char params[128];
	snprintf(params, sizeof params, "{\"id\": \"%s\"}", f->invoice);
	json_decref(call_ok(f->s, "task.done", params));
	tui_model_reload(m);
	assert_int_equal(m->nrows, 0);
	assert_int_equal(m->row, -1);
	assert_null(tui_model_selected(m));
	assert_null(tui_model_task_id(m));
	assert_null(m->node);
}

static void select__puts_the_cursor_on_a_listed_task_only(void **state)
{
	struct fx *f = *state;
	struct tui_model *m = &f->m;
	assert_true(tui_model_select(m, f->inbox));
	assert_string_equal(tui_model_task_id(m), f->inbox);
	assert_string_equal(tui_task_str(m->node, "node_id"), f->inbox); /* the preview followed */
	assert_false(tui_model_select(m, f->work)); /* a project is not a row */
	assert_string_equal(tui_model_task_id(m), f->inbox);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(open__lists_views_then_the_project_tree_with_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(open__selects_the_first_view_with_tasks_in_rank_order, setup, teardown),
		cmocka_unit_test_setup_teardown(preview__holds_the_selected_task_and_its_context_doc, setup, teardown),
		cmocka_unit_test_setup_teardown(move__in_the_sidebar_loads_a_projects_subtree, setup, teardown),
		cmocka_unit_test_setup_teardown(move__stops_at_both_ends_of_the_list, setup, teardown),
		cmocka_unit_test_setup_teardown(reload__keeps_the_cursor_on_the_same_task, setup, teardown),
		cmocka_unit_test_setup_teardown(poll__reloads_only_after_another_connection_commits, setup, teardown),
		cmocka_unit_test_setup_teardown(grouped__puts_tasks_under_projects_in_tree_order, setup, teardown),
		cmocka_unit_test_setup_teardown(call__a_failing_write_leaves_its_message, setup, teardown),
		cmocka_unit_test_setup_teardown(task_id__is_null_when_nothing_is_selected, setup, teardown),
		cmocka_unit_test_setup_teardown(select__puts_the_cursor_on_a_listed_task_only, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
