/* quickadd.c — the quick-add grammar (heph/quickadd.h).
 *
 * The text is split into words with their byte offsets, then read in four
 * passes, each marking the words it takes:
 *   1. #projects, greedily: the longest run of words after '#' that is a
 *      project name (the rightmost match wins);
 *   2. p1..p4 (the rightmost wins);
 *   3. the recurrence: the leftmost "every" from which some run of words
 *      parses as a recurrence and only date words follow (besides the words
 *      taken by passes 1 and 2) — so the longest such suffix; else a preset
 *      as the last free word;
 *   4. the rightmost date expression among the free words.
 * What is left, in order, is the title.
 */
#include "heph/quickadd.h"
#include "heph/error.h"
#include "heph/recur.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TEXT_MAX 1000
#define MAX_WORDS 200
#define DATE_WORDS 4 /* the longest date phrase: "on dec 15 2027" */

struct word {
	size_t start, end;  /* offsets in the text */
	char *w;            /* the word as written */
	int escaped;        /* \word: never interpreted */
	int taken;          /* read as something other than title */
};

struct reader {
	const char *text;
	const char *today;
	struct word v[MAX_WORDS];
	int n;
	heph_quickadd *q;
	int bad;             /* some words name a day that does not exist */
	char why[200];       /* and what heph_date_words said of them */
};

static int is(const struct word *w, const char *s) { return !w->escaped && strcasecmp(w->w, s) == 0; }

static void span(struct reader *r, const char *kind, int from, int to)
{
	if (r->q->nspans < HEPH_QUICKADD_SPANS)
		r->q->spans[r->q->nspans++] = (heph_quickadd_span){ kind, r->v[from].start, r->v[to].end };
	for (int i = from; i <= to; i++)
		r->v[i].taken = 1;
}

/* ---- pass 1: projects ---- */

/* Words i..i+k (the first without its '#') equal name, ignoring case. */
static int name_is(struct reader *r, int i, int k, const char *name)
{
	size_t at = 0, nl = strlen(name);
	for (int j = i; j <= i + k; j++) {
		const char *w = r->v[j].w + (j == i);
		size_t wl = strlen(w);
		if (j > i) {
			if (r->v[j].escaped || at >= nl || name[at] != ' ')
				return 0;
			at++;
		}
		if (at + wl > nl || strncasecmp(name + at, w, wl) != 0)
			return 0;
		at += wl;
	}
	return at == nl;
}

static void projects(struct reader *r, const char *const *names, size_t nnames)
{
	int best_i = -1, best_k = 0, best_p = -1;
	size_t maxwords = 1;
	for (size_t p = 0; p < nnames; p++) {
		size_t words = 1;
		for (const char *c = names[p]; *c; c++)
			words += *c == ' ';
		if (words > maxwords)
			maxwords = words;
	}
	for (int i = 0; i < r->n; i++) {
		if (r->v[i].escaped || r->v[i].w[0] != '#' || !r->v[i].w[1])
			continue;
		int found = -1, fk = 0;
		for (int k = (int)maxwords - 1; k >= 0 && found < 0; k--) {
			if (i + k >= r->n)
				continue;
			for (size_t p = 0; p < nnames && found < 0; p++)
				if (name_is(r, i, k, names[p])) {
					found = (int)p;
					fk = k;
				}
		}
		if (found >= 0) {
			best_i = i;
			best_k = fk;
			best_p = found;
			i += fk; /* matches do not overlap */
		}
	}
	if (best_i >= 0) {
		r->q->project = best_p;
		span(r, "project", best_i, best_i + best_k);
	}
}

/* ---- pass 2: attention ---- */

static void attention(struct reader *r)
{
	static const char *const colours[] = { "red", "orange", "blue", "white" };
	for (int i = r->n - 1; i >= 0; i--) {
		const char *w = r->v[i].w;
		if (r->v[i].taken || r->v[i].escaped || strlen(w) != 2 || (w[0] != 'p' && w[0] != 'P') || w[1] < '1' ||
		    w[1] > '4')
			continue;
		r->q->attention = colours[w[1] - '1'];
		span(r, "attention", i, i);
		return;
	}
}

/* ---- date expressions ---- */

/* Weekday abbreviations that are words too often ("buy sun cream", "wed
 * plans", "sat nav"): read as a date only when no title word follows. */
static int common_word(const char *w)
{
	return strcasecmp(w, "wed") == 0 || strcasecmp(w, "sat") == 0 || strcasecmp(w, "sun") == 0;
}

/* A date phrase of the one grammar (heph_date_words) ending at word `last`
 * (inclusive): how many words it has (0: none; the longest wins) and the
 * date. A phrase naming a day that does not exist is remembered in r->bad
 * (quick add refuses the text) and read as no date. "none" is no date
 * here: it is a word of a title. */
static int date_ending(struct reader *r, int last, char out[HEPH_DATE_LEN + 1])
{
	const char *words[DATE_WORDS];
	for (int k = DATE_WORDS; k >= 1; k--) {
		int first = last - k + 1, ok = first >= 0;
		for (int i = first; ok && i <= last; i++)
			ok = !r->v[i].taken && !r->v[i].escaped;
		if (!ok)
			continue;
		for (int i = 0; i < k; i++)
			words[i] = r->v[first + i].w;
		int err = heph_date_words(words, (size_t)k, r->today, out);
		if (err == HEPH_EINVALID && !r->bad) {
			r->bad = 1;
			snprintf(r->why, sizeof r->why, "%s", heph_error_last());
		}
		if (err || !out[0])
			continue;
		if (k == 1) {
			int after = 0; /* free words after the phrase */
			for (int i = last + 1; i < r->n; i++)
				after += !r->v[i].taken;
			if (after && common_word(words[k - 1]))
				continue;
		}
		return k;
	}
	heph_error_clear();
	return 0;
}

/* Whether the free words from..to-1 are all date expressions (or #words
 * that named no project: they stay in the title wherever they are). */
static int only_dates(struct reader *r, int from, int to)
{
	char d[HEPH_DATE_LEN + 1];
	int i = to - 1;
	while (i >= from) {
		if (r->v[i].taken || (!r->v[i].escaped && r->v[i].w[0] == '#')) {
			i--;
			continue;
		}
		int k = date_ending(r, i, d);
		if (k == 0 || i - k + 1 < from)
			return 0;
		i -= k;
	}
	return 1;
}

/* ---- pass 3: recurrence ---- */

static char *joined(struct reader *r, int from, int to)
{
	size_t len = 0;
	for (int i = from; i < to; i++)
		len += strlen(r->v[i].w) + 1;
	char *s = calloc(1, len + 1);
	if (!s)
		abort();
	for (int i = from; i < to; i++) {
		if (i > from)
			strcat(s, " ");
		strcat(s, r->v[i].w);
	}
	return s;
}

static int try_rule(struct reader *r, int from, int to)
{
	char *phrase = joined(r, from, to), *rule = NULL;
	int ok = heph_recur_parse(phrase, &rule) == 0 && rule;
	free(phrase);
	if (ok) {
		r->q->recurrence = rule;
		span(r, "recurrence", from, to - 1);
	} else {
		free(rule);
	}
	heph_error_clear();
	return ok;
}

static void recurrence(struct reader *r)
{
	static const char *const presets[] = { "daily", "weekly", "monthly", "yearly", "weekdays", NULL };
	for (int i = 0; i < r->n; i++) {
		if (r->v[i].taken || !is(&r->v[i], "every"))
			continue;
		int stop = i + 1;
		while (stop < r->n && !r->v[stop].taken && !r->v[stop].escaped)
			stop++;
		for (int j = stop; j >= i + 2; j--)
			if (only_dates(r, j, r->n) && try_rule(r, i, j))
				return;
	}
	/* a preset as the last free word that is no date */
	char d[HEPH_DATE_LEN + 1];
	int last = r->n - 1, free_words = 0;
	while (last >= 0) {
		int k;
		if (r->v[last].taken)
			last--;
		else if ((k = date_ending(r, last, d)) > 0)
			last -= k;
		else
			break;
	}
	for (int i = 0; i < last; i++)
		free_words += !r->v[i].taken;
	if (last < 0 || free_words == 0)
		return;
	for (int p = 0; presets[p]; p++)
		if (is(&r->v[last], presets[p]) && try_rule(r, last, last + 1))
			return;
}

/* ---- pass 4: the do-date ---- */

static void do_date(struct reader *r)
{
	for (int i = r->n - 1; i >= 0; i--) {
		int k = date_ending(r, i, r->q->do_date);
		if (k > 0) {
			span(r, "date", i - k + 1, i);
			return;
		}
	}
	r->q->do_date[0] = '\0';
}

static int by_start(const void *a, const void *b)
{
	size_t x = ((const heph_quickadd_span *)a)->start, y = ((const heph_quickadd_span *)b)->start;
	return x < y ? -1 : x > y;
}

int heph_quickadd_parse(const char *text, const char *today, const char *const *names, size_t nnames,
			heph_quickadd *q)
{
	struct reader r;
	int err = 0;
	memset(q, 0, sizeof *q);
	q->project = -1;
	if (!text || strlen(text) > TEXT_MAX)
		return heph_error_set(HEPH_EINVALID, "quick add takes one line of at most %d bytes", TEXT_MAX);
	if (strchr(text, '\n'))
		return heph_error_set(HEPH_EINVALID, "quick add takes one line");
	memset(&r, 0, sizeof r);
	r.text = text;
	r.today = today;
	r.q = q;
	for (size_t i = 0; text[i];) {
		while (text[i] && isspace((unsigned char)text[i]))
			i++;
		if (!text[i])
			break;
		if (r.n == MAX_WORDS) {
			err = heph_error_set(HEPH_EINVALID, "quick add takes at most %d words", MAX_WORDS);
			goto out;
		}
		size_t s = i;
		while (text[i] && !isspace((unsigned char)text[i]))
			i++;
		struct word *w = &r.v[r.n++];
		w->start = s;
		w->end = i;
		w->escaped = text[s] == '\\' && i - s > 1;
		w->w = strndup(text + s + w->escaped, i - s - (size_t)w->escaped);
		if (!w->w)
			abort();
	}
	projects(&r, names, nnames);
	attention(&r);
	recurrence(&r);
	do_date(&r);
	for (int i = 0; i < r.n && !r.bad; i++) {
		char d[HEPH_DATE_LEN + 1];
		date_ending(&r, i, d); /* an impossible day anywhere among the title's words */
	}
	if (r.bad) {
		err = heph_error_set(HEPH_EINVALID, "%s; write the day again, or escape the words (\\word) "
						    "to keep them in the title", r.why);
		goto out;
	}

	size_t len = 0;
	for (int i = 0; i < r.n; i++)
		if (!r.v[i].taken)
			len += strlen(r.v[i].w) + 1;
	if (!(q->title = calloc(1, len + 1)))
		abort();
	for (int i = 0; i < r.n; i++)
		if (!r.v[i].taken) {
			if (q->title[0])
				strcat(q->title, " ");
			strcat(q->title, r.v[i].w);
		}
	if (!q->title[0]) {
		err = heph_error_set(HEPH_EINVALID, "nothing is left for a title in \"%.60s\"", text);
		goto out;
	}
	if (q->recurrence && !q->do_date[0]) {
		if ((err = heph_recur_first(q->recurrence, today, q->do_date)))
			goto out;
		if (!q->do_date[0]) {
			err = heph_error_set(HEPH_EINVALID, "the recurrence has no day from %s on", today);
			goto out;
		}
		q->do_date_from_rule = 1;
	}
	if (q->recurrence && q->do_date[0]) {
		/* "every month" on the 29th to 31st: the month's last day when shorter */
		char *kept = heph_recur_month_end(q->recurrence, q->do_date);
		if (kept) {
			free(q->recurrence);
			q->recurrence = kept;
		}
	}
	qsort(q->spans, q->nspans, sizeof q->spans[0], by_start);
out:
	for (int i = 0; i < r.n; i++)
		free(r.v[i].w);
	if (err)
		heph_quickadd_clear(q);
	return err;
}

void heph_quickadd_clear(heph_quickadd *q)
{
	if (!q)
		return;
	free(q->title);
	free(q->recurrence);
	memset(q, 0, sizeof *q);
	q->project = -1;
}
