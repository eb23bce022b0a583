/* fuzz_date.c — the date grammar: any word, against a fixed today. A word
 * that parses must give "" (none) or a real day that parses back to itself. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heph/date.h"
#include "heph/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *word = malloc(size + 1), out[HEPH_DATE_LEN + 1], again[HEPH_DATE_LEN + 1];
	if (!word)
		abort();
	memcpy(word, data, size);
	word[size] = '\0';
	if (heph_date_parse(word, "2026-11-18", out) == 0 && out[0]) {
		if (strlen(out) != HEPH_DATE_LEN || heph_date_parse(out, "2026-11-18", again) != 0 ||
		    strcmp(out, again) != 0) {
			fprintf(stderr, "\"%s\" gave \"%s\", which does not read back\n", word, out);
			abort();
		}
	}
	free(word);
	return 0;
}
