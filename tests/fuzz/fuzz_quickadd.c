/* fuzz_quickadd.c — the quick-add grammar (heph/quickadd.h): any line of
 * text against a fixed today and a few project names. Beyond not crashing,
 * what the header promises must hold for every input:
 *   - a parse fails only for the reasons it names: nothing left for a title,
 *     over 1000 bytes, more than one line, too many words, a recurrence with
 *     no day from today, words naming a day that does not exist (the date
 *     grammar's refusal); so a line of valid UTF-8 with a word that is no
 *     token (escaped, or not ASCII and no #word) always parses;
 *   - the spans lie on word boundaries, in text order, without overlap, one
 *     of each kind at most, and each kind is there exactly when its field is;
 *   - the title is the words outside the spans, one space apart, escapes
 *     dropped: so it is non-empty and valid UTF-8 when the text is;
 *   - an escaped word is never read as anything;
 *   - p1-p4: the attention span is one such word with its colour, and no
 *     free p1-p4 word follows it (the rightmost wins);
 *   - the project span is "#" and the words of the name it gives;
 *   - the do-date is "" or a real day that parses back to itself, and comes
 *     from the rule only when there is one; the rule is canonical. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "heph/error.h"
#include "heph/quickadd.h"
#include "heph/recur.h"

#define TODAY "2026-11-18"
#define MAXW 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = { "Work", "Deep Work", "Home", "Home Garden Shed", "errands", "Caf\xc3\xa9" };
#define NNAMES (sizeof names / sizeof names[0])

static const char *text_now;

static void fail(const char *why)
{
	fprintf(stderr, "quick add \"%s\": %s\n", text_now, why);
	abort();
}

static int space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

/* Whether s[0..n) is valid UTF-8 (no overlongs, surrogates or code points
 * past U+10FFFF). */
static int utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		size_t k;
		unsigned cp, min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			k = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return 0;
		}
		for (size_t j = 1; j <= k; j++) {
			if (i + j >= n || (s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

struct w {
	size_t start, end;
	int escaped;
	int span; /* index of the span holding it, or -1 */
};

static int is_p(const char *t, const struct w *w)
{
	return !w->escaped && w->end - w->start == 2 && (t[w->start] == 'p' || t[w->start] == 'P') &&
	       t[w->start + 1] >= '1' && t[w->start + 1] <= '4';
}

static void check(const char *text, const heph_quickadd *q)
{
	static struct w v[MAXW];
	size_t n = 0, len = strlen(text);
	for (size_t i = 0; text[i];) {
		while (text[i] && space(text[i]))
			i++;
		if (!text[i])
			break;
		size_t s = i;
		while (text[i] && !space(text[i]))
			i++;
		if (n == MAXW)
			fail("more words than the parser takes");
		v[n++] = (struct w){ s, i, text[s] == '\\' && i - s > 1, -1 };
	}

	/* spans */
	const char *kinds[] = { "date", "attention", "project", "recurrence" };
	int seen[4] = { 0 };
	if (q->nspans > HEPH_QUICKADD_SPANS)
		fail("too many spans");
	for (size_t k = 0; k < q->nspans; k++) {
		const heph_quickadd_span *sp = &q->spans[k];
		int kind = -1;
		for (int j = 0; j < 4; j++)
			if (sp->kind && strcmp(sp->kind, kinds[j]) == 0)
				kind = j;
		if (kind < 0)
			fail("a span of an unknown kind");
		if (seen[kind]++)
			fail("two spans of one kind");
		if (sp->start >= sp->end || sp->end > len)
			fail("a span outside the text");
		if (k > 0 && sp->start < q->spans[k - 1].end)
			fail("spans out of order or overlapping");
		int first = -1, last = -1;
		for (size_t i = 0; i < n; i++) {
			if (v[i].start == sp->start)
				first = (int)i;
			if (v[i].end == sp->end)
				last = (int)i;
		}
		if (first < 0 || last < first)
			fail("a span off the word boundaries");
		for (int i = first; i <= last; i++) {
			if (v[i].escaped)
				fail("an escaped word was read as a token");
			v[i].span = (int)k;
		}
		if (kind == 1) {
			static const char *const colours[] = { "red", "orange", "blue", "white" };
			if (first != last || !is_p(text, &v[first]) || !q->attention ||
			    strcmp(q->attention, colours[text[v[first].start + 1] - '1']) != 0)
				fail("the attention span is not the p-word of its colour");
		}
		if (kind == 2) {
			if (q->project < 0 || q->project >= (int)NNAMES || text[sp->start] != '#')
				fail("the project span is no #name");
			/* "#" + the name's words, one space apart in the name */
			const char *name = names[q->project];
			size_t at = 0;
			for (int i = first; i <= last; i++) {
				size_t s = v[i].start + (i == first), wl = v[i].end - s;
				if (i > first && name[at++] != ' ')
					fail("the project span has more words than the name");
				if (strncasecmp(name + at, text + s, wl) != 0)
					fail("the project span does not spell the name");
				at += wl;
			}
			if (name[at])
				fail("the project span has fewer words than the name");
		}
	}
	if (!!seen[1] != !!q->attention)
		fail("attention without its span, or a span without it");
	if (!!seen[2] != (q->project >= 0))
		fail("a project without its span, or a span without it");
	if (!!seen[3] != !!q->recurrence)
		fail("a rule without its span, or a span without it");
	if (!!seen[0] != (q->do_date[0] && !q->do_date_from_rule))
		fail("a do-date without its span, or a span without it");

	/* the title: the words outside the spans */
	if (!q->title || !q->title[0])
		fail("an empty title");
	size_t at = 0;
	int words = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i].span >= 0)
			continue;
		if (words++ && q->title[at++] != ' ')
			fail("the title is not the free words one space apart");
		size_t s = v[i].start + (size_t)v[i].escaped, wl = v[i].end - s;
		if (strncmp(q->title + at, text + s, wl) != 0)
			fail("the title is not the free words");
		at += wl;
	}
	if (q->title[at])
		fail("the title has more than the free words");
	if (utf8_valid((const unsigned char *)text, len) && !utf8_valid((const unsigned char *)q->title, strlen(q->title)))
		fail("the title of UTF-8 text is not UTF-8");

	/* the rightmost p-word wins */
	for (size_t k = 0; k < q->nspans; k++)
		if (strcmp(q->spans[k].kind, "attention") == 0)
			for (size_t i = 0; i < n; i++)
				if (v[i].span < 0 && is_p(text, &v[i]) && v[i].start > q->spans[k].start)
					fail("a p-word right of the one read stayed in the title");
	if (!q->attention)
		for (size_t i = 0; i < n; i++)
			if (v[i].span < 0 && is_p(text, &v[i]))
				fail("a free p-word was not read");

	/* the do-date and the rule */
	if (q->do_date[0]) {
		char again[HEPH_DATE_LEN + 1];
		if (strlen(q->do_date) != HEPH_DATE_LEN || heph_date_parse(q->do_date, TODAY, again) != 0 ||
		    strcmp(again, q->do_date) != 0)
			fail("the do-date is no real day");
	}
	if (q->do_date_from_rule && (!q->recurrence || !q->do_date[0]))
		fail("a do-date from a rule that is not there");
	if (q->recurrence && !q->do_date[0])
		fail("a rule and no do-date");
	if (q->recurrence) {
		char *canon = NULL;
		if (heph_recur_check(q->recurrence, &canon) != 0 || strcmp(canon, q->recurrence) != 0)
			fail("the rule is not canonical");
		free(canon);
	}
	if (q->project < -1 || q->project >= (int)NNAMES)
		fail("a project index out of range");
}

/* Whether a failure on this text is one the header names. */
static int may_fail(const char *text)
{
	size_t len = strlen(text), n = 0;
	int free_word = 0;
	if (len > 1000 || strchr(text, '\n') || !utf8_valid((const unsigned char *)text, len))
		return 1;
	for (size_t i = 0; text[i];) {
		while (text[i] && space(text[i]))
			i++;
		if (!text[i])
			break;
		size_t s = i;
		int ascii = 1;
		while (text[i] && !space(text[i]))
			ascii &= (unsigned char)text[i++] < 0x80;
		n++;
		if ((text[s] == '\\' && i - s > 1) || (!ascii && text[s] != '#'))
			free_word = 1;
	}
	if (n > 200 || !free_word)
		return 1;
	/* a recurrence that ends before today, or an impossible day, is
	 * refused, not dropped */
	return strstr(heph_error_last(), "the recurrence has no day") != NULL ||
	       strstr(heph_error_last(), "write the day again") != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	heph_quickadd q;
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	text_now = text;
	if (heph_quickadd_parse(text, TODAY, names, NNAMES, &q) == 0) {
		check(text, &q);
	} else {
		if (q.title || q.recurrence || q.nspans || q.project != -1)
			fail("a failed parse left something behind");
		if (!may_fail(text))
			fail(heph_error_last());
	}
	heph_quickadd_clear(&q);
	heph_error_clear();
	free(text);
	return 0;
}
