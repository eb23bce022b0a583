/* fuzz_recur.c — the recurrence grammar: a phrase as a user writes it, and
 * the same bytes as a raw RRULE. A rule that parses must check, read back
 * in words, and give a next instance or a clean end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "heph/recur.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(const char *rule)
{
	char next[HEPH_DATE_LEN + 1], *rest = NULL, *canon = NULL;
	free(heph_recur_text(rule, "2026-11-18"));
	if (heph_recur_next(rule, "2026-11-18", "2026-11-20", next, &rest) == 0)
		free(rest);
	if (heph_recur_check(rule, &canon) == 0)
		free(canon);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *rule = NULL;
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	if (heph_recur_parse(text, &rule) == 0 && rule) {
		char *canon = NULL;
		if (heph_recur_check(rule, &canon) != 0)
			abort(); /* the grammar made a rule it cannot check */
		free(canon);
		exercise(rule);
	}
	free(rule);
	exercise(text);
	free(text);
	return 0;
}
