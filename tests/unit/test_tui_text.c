/* test_tui_text.c — UTF-8 measured in terminal cells (src/tui/text.c). */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "text.h"

static void width__counts_cells_not_bytes(void **state)
{
	(void)state;
	assert_int_equal(tui_text_width("abc"), 3);
	assert_int_equal(tui_text_width("caf\xc3\xa9"), 4);        /* café */
	assert_int_equal(tui_text_width("\xe6\x97\xa5\xe6\x9c\xac"), 4); /* 日本: two wide */
	assert_int_equal(tui_text_width("e\xcc\x81"), 1);          /* e + combining acute */
	assert_int_equal(tui_text_width(""), 0);
}

static void width__counts_invalid_bytes_as_one_cell_each(void **state)
{
	(void)state;
	assert_int_equal(tui_text_width("a\xff\xfe" "b"), 4);
	assert_int_equal(tui_text_width("\xc3"), 1);         /* truncated sequence */
	assert_int_equal(tui_text_width("\xe0\x80\x80"), 3); /* overlong: three bad bytes */
}

static void clip__never_splits_a_wide_character(void **state)
{
	(void)state;
	char *c = tui_text_clip("\xe6\x97\xa5\xe6\x9c\xac", 3, 0);
	assert_string_equal(c, "\xe6\x97\xa5");
	free(c);
	c = tui_text_clip("abcdef", 4, 1);
	assert_string_equal(c, "abc\xe2\x80\xa6"); /* abc… */
	free(c);
	c = tui_text_clip("abcd", 4, 1);
	assert_string_equal(c, "abcd");
	free(c);
	c = tui_text_clip("abc", 0, 1);
	assert_string_equal(c, "");
	free(c);
}

static void clip__replaces_controls_and_invalid_bytes(void **state)
{
	(void)state;
	char *c = tui_text_clip("a\tb\x1b[31m\xff", 20, 0);
	assert_string_equal(c, "a b [31m?");
	free(c);
}

static void wrap__breaks_at_spaces_and_keeps_paragraphs(void **state)
{
	(void)state;
	char **lines;
	int n = tui_text_wrap("one two three\n\nfour", 8, &lines);
	assert_int_equal(n, 4);
	assert_string_equal(lines[0], "one two");
	assert_string_equal(lines[1], "three");
	assert_string_equal(lines[2], "");
	assert_string_equal(lines[3], "four");
	tui_text_lines_free(lines, n);
	n = tui_text_wrap("abcdefghij", 4, &lines);
	assert_int_equal(n, 3);
	assert_string_equal(lines[2], "ij");
	tui_text_lines_free(lines, n);
}

static void wrap__takes_a_character_wider_than_the_line(void **state)
{
	(void)state;
	char **lines;
	int n = tui_text_wrap("\xe6\x97\xa5", 1, &lines);
	assert_int_equal(n, 1);
	assert_string_equal(lines[0], "\xe6\x97\xa5");
	tui_text_lines_free(lines, n);
}

static void backspace__removes_one_whole_character(void **state)
{
	(void)state;
	char buf[16] = "ab\xc3\xa9";
	assert_int_equal(tui_text_backspace(buf), 2);
	assert_string_equal(buf, "ab");
	buf[0] = '\0';
	assert_int_equal(tui_text_backspace(buf), 0);
}

static void contains__ignores_ascii_case(void **state)
{
	(void)state;
	assert_true(tui_text_contains("Work / Clients", "cli"));
	assert_true(tui_text_contains("anything", ""));
	assert_false(tui_text_contains("Home", "work"));
}

int main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(width__counts_cells_not_bytes),
		cmocka_unit_test(width__counts_invalid_bytes_as_one_cell_each),
		cmocka_unit_test(clip__never_splits_a_wide_character),
		cmocka_unit_test(clip__replaces_controls_and_invalid_bytes),
		cmocka_unit_test(wrap__breaks_at_spaces_and_keeps_paragraphs),
		cmocka_unit_test(wrap__takes_a_character_wider_than_the_line),
		cmocka_unit_test(backspace__removes_one_whole_character),
		cmocka_unit_test(contains__ignores_ascii_case),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
