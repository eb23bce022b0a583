/* text.c — UTF-8 measured in terminal cells (see text.h). The decoder is
 * our own, so that it behaves the same in every locale; widths come from
 * wcwidth(), which needs a UTF-8 LC_CTYPE (main() sets the locale). */
#include "text.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

/* Decode one character at s: its length in bytes (>= 1 unless *s is NUL),
 * *cp the code point or -1 for an invalid sequence (which takes 1 byte). */
static size_t decode(const char *s, long *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n;
	long c;
	if (u[0] < 0x80) {
		*cp = u[0];
		return u[0] ? 1 : 0;
	}
	if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		n = 2;
		c = u[0] & 0x1f;
	} else if (u[0] >= 0xe0 && u[0] <= 0xef) {
		n = 3;
		c = u[0] & 0x0f;
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		n = 4;
		c = u[0] & 0x07;
	} else {
		*cp = -1;
		return 1;
	}
	for (size_t i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80) {
			*cp = -1;
			return 1;
		}
		c = (c << 6) | (u[i] & 0x3f);
	}
	/* overlong forms, surrogates and values past U+10FFFF are invalid */
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff)) {
		*cp = -1;
		return 1;
	}
	*cp = c;
	return n;
}

/* Cells of one code point: control and invalid characters are drawn as one
 * replacement cell. */
static int cells(long cp)
{
	if (cp < 0x20 || cp == 0x7f || cp < 0)
		return 1;
	if (cp < 0x7f)
		return 1;
	int w = wcwidth((wchar_t)cp);
	return w < 0 ? 1 : w;
}

int tui_text_width(const char *s)
{
	int w = 0;
	long cp;
	size_t n;
	while (s && (n = decode(s, &cp)) > 0) {
		w += cells(cp);
		s += n;
	}
	return w;
}

size_t tui_text_fit(const char *s, int width, int *used)
{
	size_t at = 0, n;
	int w = 0;
	long cp;
	while ((n = decode(s + at, &cp)) > 0) {
		int c = cells(cp);
		if (w + c > width)
			break;
		w += c;
		at += n;
	}
	if (used)
		*used = w;
	return at;
}

char *tui_text_clip(const char *s, int width, int ellipsis)
{
	size_t len = s ? strlen(s) : 0, at = 0, out_len = 0, n;
	char *out = malloc(len + 4);
	int w = 0, total;
	long cp;
	if (!out)
		abort();
	if (!s || width <= 0) {
		out[0] = '\0';
		return out;
	}
	total = tui_text_width(s);
	int room = total > width && ellipsis && width >= 2 ? width - 1 : width;
	while ((n = decode(s + at, &cp)) > 0) {
		int c = cells(cp);
		if (w + c > room)
			break;
		if (cp < 0) {
			out[out_len++] = '?';
		} else if (cp < 0x20 || cp == 0x7f) {
			out[out_len++] = ' ';
		} else {
			memcpy(out + out_len, s + at, n);
			out_len += n;
		}
		w += c;
		at += n;
	}
	if (s[at] && room < width) {
		memcpy(out + out_len, "\xe2\x80\xa6", 3); /* … */
		out_len += 3;
	}
	out[out_len] = '\0';
	return out;
}

static void push(char ***lines, int *n, int *cap, const char *s, size_t len)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		if (!(*lines = realloc(*lines, (size_t)*cap * sizeof **lines)))
			abort();
	}
	char *l = malloc(len + 1);
	if (!l)
		abort();
	memcpy(l, s, len);
	l[len] = '\0';
	/* tabs and other controls would move the cursor: show them as spaces */
	for (char *p = l; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	(*lines)[(*n)++] = l;
}

int tui_text_wrap(const char *text, int width, char ***lines)
{
	int n = 0, cap = 0;
	*lines = NULL;
	if (width < 1)
		width = 1;
	const char *p = text ? text : "";
	for (;;) {
		const char *eol = strchr(p, '\n');
		size_t plen = eol ? (size_t)(eol - p) : strlen(p);
		char *para = strndup(p, plen);
		if (!para)
			abort();
		const char *q = para;
		if (!*q)
			push(lines, &n, &cap, "", 0);
		while (*q) {
			int used;
			size_t fit = tui_text_fit(q, width, &used);
			if (fit == 0) /* a character wider than the line: take it anyway */
				fit = decode(q, &(long){ 0 });
			if (q[fit]) {
				/* break at the last space inside the fitting part */
				size_t sp = fit;
				while (sp > 0 && q[sp] != ' ')
					sp--;
				if (sp > 0)
					fit = sp;
			}
			push(lines, &n, &cap, q, fit);
			q += fit;
			while (*q == ' ')
				q++;
		}
		free(para);
		if (!eol)
			break;
		p = eol + 1;
	}
	return n;
}

void tui_text_lines_free(char **lines, int n)
{
	for (int i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

int tui_text_contains(const char *hay, const char *needle)
{
	size_t nl = strlen(needle);
	if (nl == 0)
		return 1;
	for (const char *h = hay; *h; h++)
		if (strncasecmp(h, needle, nl) == 0)
			return 1;
	return 0;
}

size_t tui_text_backspace(char *buf)
{
	size_t len = strlen(buf);
	if (len == 0)
		return 0;
	len--;
	while (len > 0 && ((unsigned char)buf[len] & 0xc0) == 0x80)
		len--;
	buf[len] = '\0';
	return len;
}
