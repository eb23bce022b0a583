/* test_tui_status.c — the status line's words (src/tui/status.c) and the
 * pane layout (src/tui/layout.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "layout.h"
#include "status.h"

static const time_t NOW = 1795000000; /* a fixed wall clock */

static enum tui_status_level text(const char *sync_json, long conflicts, char *buf)
{
	json_t *sync = sync_json ? json_loads(sync_json, 0, NULL) : NULL;
	if (sync_json && !sync)
		fail_msg("bad test JSON %s", sync_json);
	enum tui_status_level l = tui_status_text(sync, conflicts, NOW, buf, 256);
	json_decref(sync);
	return l;
}

static void status__says_local_without_sync_state(void **state)
{
	char buf[256];
	(void)state;
	assert_int_equal(text(NULL, -1, buf), TUI_STATUS_OK);
	assert_string_equal(buf, "local");
	assert_int_equal(text(NULL, 2, buf), TUI_STATUS_WARN);
	assert_string_equal(buf, "local \xc2\xb7 2 conflicts");
}

static void status__adds_what_heph_health_finds_beyond_sync(void **state)
{
	char buf[256];
	(void)state;
	/* the hub, push and conflicts lines are said already; clock and schema are not */
	assert_int_equal(text("{\"hub\": \"http://h\", \"last_success\": \"2026-11-18T11:01:40Z\", \"health\": "
			      "{\"status\": \"warning\", \"checks\": [{\"name\": \"hub\", \"status\": \"warning\"}, "
			      "{\"name\": \"clock\", \"status\": \"warning\"}, {\"name\": \"schema\", \"status\": \"ok\"}]}}",
			      0, buf),
			 TUI_STATUS_WARN);
	assert_string_equal(buf, "synced 5m ago \xc2\xb7 clock warning: heph health");
	assert_int_equal(text("{\"hub\": null, \"health\": {\"checks\": [{\"name\": \"database\", \"status\": "
			      "\"error\"}]}}",
			      0, buf),
			 TUI_STATUS_BAD);
	assert_string_equal(buf, "no hub \xc2\xb7 database error: heph health");
}

static void status__says_no_hub_when_none_is_set(void **state)
{
	char buf[256];
	(void)state;
	text("{\"hub\": null, \"pending_push\": 4}", 0, buf);
	assert_string_equal(buf, "no hub");
}

static void status__gives_the_sync_age_and_what_waits(void **state)
{
	char buf[256];
	(void)state;
	/* NOW is 2026-11-18T11:06:40Z; the last success 5 minutes before */
	assert_int_equal(text("{\"hub\": \"http://h\", \"last_success\": \"2026-11-18T11:01:40Z\", "
			      "\"pending_push\": 3, \"conflicts\": 1}", 1, buf),
			 TUI_STATUS_WARN);
	assert_string_equal(buf, "synced 5m ago \xc2\xb7 3 to push \xc2\xb7 1 conflict");
}

static void status__flags_auth_trouble_and_offline(void **state)
{
	char buf[256];
	(void)state;
	assert_int_equal(text("{\"hub\": \"http://h\", \"last_success\": \"2026-11-18T09:06:40Z\", "
			      "\"last_error\": \"401\", \"last_error_name\": \"auth\", \"auth_failed\": true}", 0, buf),
			 TUI_STATUS_BAD);
	assert_string_equal(buf, "auth failed: heph auth login \xc2\xb7 synced 2h ago");
	assert_int_equal(text("{\"hub\": \"http://h\", \"last_error\": \"connection refused\", "
			      "\"last_error_name\": \"unavailable\", \"auth_failed\": false}", 0, buf),
			 TUI_STATUS_WARN);
	assert_string_equal(buf, "offline \xc2\xb7 never synced");
	text("{\"hub\": \"http://h\", \"last_error\": \"bad answer\", \"last_error_name\": \"protocol\"}", 0, buf);
	assert_string_equal(buf, "sync error: bad answer \xc2\xb7 never synced");
}

static void status__says_whether_a_hephd_syncs_the_database(void **state)
{
	char buf[256];
	(void)state;
	text("{\"hub\": \"http://h\", \"last_success\": \"2026-11-18T11:06:30Z\", \"daemon\": false}", 0, buf);
	assert_string_equal(buf, "no hephd \xc2\xb7 synced 10s ago");
	text("{\"hub\": \"http://h\", \"last_success\": \"2026-11-18T11:06:30Z\", "
	     "\"daemon\": {\"pid\": 7, \"running\": true}}", 0, buf);
	assert_string_equal(buf, "syncing \xc2\xb7 synced 10s ago");
	text("{\"hub\": \"http://h\", \"last_success\": \"2026-11-18T11:06:30Z\", "
	     "\"daemon\": {\"pid\": 7, \"running\": false}}", 0, buf);
	assert_string_equal(buf, "synced 10s ago");
	text("{\"hub\": null, \"daemon\": false}", 0, buf); /* nothing to sync with: no news */
	assert_string_equal(buf, "no hub");
}

static void status__ignores_fields_it_does_not_know_or_malformed(void **state)
{
	char buf[256];
	(void)state;
	text("{\"hub\": \"http://h\", \"last_success\": \"yesterday\", \"pending_push\": \"x\", \"new\": 1}", -1, buf);
	assert_string_equal(buf, "never synced");
}

static void age__uses_the_largest_whole_unit(void **state)
{
	char buf[32];
	(void)state;
	tui_status_age(2, buf, sizeof buf);
	assert_string_equal(buf, "just now");
	tui_status_age(59, buf, sizeof buf);
	assert_string_equal(buf, "59s ago");
	tui_status_age(7300, buf, sizeof buf);
	assert_string_equal(buf, "2h ago");
	tui_status_age(3 * 86400 + 5, buf, sizeof buf);
	assert_string_equal(buf, "3d ago");
}

static void layout__shows_three_panes_on_a_wide_terminal(void **state)
{
	struct tui_layout l;
	(void)state;
	tui_layout(30, 120, TUI_PANE_TASKS, &l);
	assert_false(l.too_small);
	for (int p = 0; p < TUI_PANES; p++) {
		assert_true(l.pane[p].shown);
		assert_int_equal(l.pane[p].h, 29);
	}
	/* side by side, one rule between, filling the width */
	assert_int_equal(l.pane[TUI_PANE_SIDE].x, 0);
	assert_int_equal(l.pane[TUI_PANE_TASKS].x, l.pane[TUI_PANE_SIDE].w + 1);
	assert_int_equal(l.pane[TUI_PANE_PREVIEW].x, l.pane[TUI_PANE_TASKS].x + l.pane[TUI_PANE_TASKS].w + 1);
	assert_int_equal(l.pane[TUI_PANE_PREVIEW].x + l.pane[TUI_PANE_PREVIEW].w, 120);
	assert_int_equal(l.status.y, 29);
}

static void layout__trades_list_for_preview_on_a_medium_terminal(void **state)
{
	struct tui_layout l;
	(void)state;
	tui_layout(20, 70, TUI_PANE_TASKS, &l);
	assert_true(l.pane[TUI_PANE_SIDE].shown && l.pane[TUI_PANE_TASKS].shown);
	assert_false(l.pane[TUI_PANE_PREVIEW].shown);
	tui_layout(20, 70, TUI_PANE_PREVIEW, &l);
	assert_true(l.pane[TUI_PANE_PREVIEW].shown);
	assert_false(l.pane[TUI_PANE_TASKS].shown);
	assert_int_equal(l.pane[TUI_PANE_PREVIEW].x + l.pane[TUI_PANE_PREVIEW].w, 70);
}

static void layout__shows_only_the_focused_pane_when_narrow(void **state)
{
	struct tui_layout l;
	(void)state;
	for (int p = 0; p < TUI_PANES; p++) {
		tui_layout(10, 40, (enum tui_pane)p, &l);
		for (int q = 0; q < TUI_PANES; q++)
			assert_int_equal(l.pane[q].shown, p == q);
		assert_int_equal(l.pane[p].w, 40);
	}
}

static void layout__gives_up_below_the_minimum(void **state)
{
	struct tui_layout l;
	(void)state;
	tui_layout(3, 120, TUI_PANE_TASKS, &l);
	assert_true(l.too_small);
	tui_layout(30, 19, TUI_PANE_TASKS, &l);
	assert_true(l.too_small);
	tui_layout(0, 0, TUI_PANE_TASKS, &l);
	assert_true(l.too_small);
	tui_layout(TUI_MIN_ROWS, TUI_MIN_COLS, TUI_PANE_TASKS, &l);
	assert_false(l.too_small);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(status__says_local_without_sync_state),
		cmocka_unit_test(status__says_no_hub_when_none_is_set),
		cmocka_unit_test(status__adds_what_heph_health_finds_beyond_sync),
		cmocka_unit_test(status__gives_the_sync_age_and_what_waits),
		cmocka_unit_test(status__flags_auth_trouble_and_offline),
		cmocka_unit_test(status__says_whether_a_hephd_syncs_the_database),
		cmocka_unit_test(status__ignores_fields_it_does_not_know_or_malformed),
		cmocka_unit_test(age__uses_the_largest_whole_unit),
		cmocka_unit_test(layout__shows_three_panes_on_a_wide_terminal),
		cmocka_unit_test(layout__trades_list_for_preview_on_a_medium_terminal),
		cmocka_unit_test(layout__shows_only_the_focused_pane_when_narrow),
		cmocka_unit_test(layout__gives_up_below_the_minimum),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
