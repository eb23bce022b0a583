/* term.c — what reaches a terminal. heph's human output goes through
 * cli_term_open()'s stream, which
 *
 *   - shows every control character of the text as cat -v does: ESC as ^[,
 *     CR as ^M, DEL as ^?, the C1 controls U+0080..U+009F as M-^@..M-^_
 *     (U+009B is a CSI to some terminals); newline and tab pass;
 *   - turns heph's own style marks (CLI_* in cli.h: 0xFF and a letter,
 *     bytes no UTF-8 text holds) into ANSI colours when colour is on, and
 *     drops them when it is off.
 *
 * So a title carrying ESC[31m or a carriage return — arriving by sync, an
 * import or --remote — is shown, never obeyed, and printers need not escape
 * each field. --json output does not pass here: JSON escapes control
 * characters itself. The stream is unbuffered and writes through to the
 * real one at once, so output interleaves with it as before.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct term {
	FILE *to;     /* the real stream */
	int color;    /* ANSI colours on */
	int mark;     /* the previous byte was 0xFF */
	int c2;       /* the previous byte was 0xC2 (a C1 control may follow) */
};

static const char *style(char code)
{
	switch (code) {
	case '0': return "\033[0m";
	case '1': return "\033[1m";
	case '2': return "\033[2m";
	case 'r': return "\033[31m";
	case 'g': return "\033[32m";
	case 'y': return "\033[33m";
	case 'b': return "\033[34m";
	default: return "";
	}
}

static void put(struct term *t, unsigned char c)
{
	if (t->mark) {
		t->mark = 0;
		if (t->color)
			fputs(style((char)c), t->to);
		return;
	}
	if (t->c2) {
		t->c2 = 0;
		if (c >= 0x80 && c <= 0x9f) {
			fprintf(t->to, "M-^%c", (c - 0x80) ^ 0x40);
			return;
		}
		fputc(0xc2, t->to);
	}
	if (c == 0xff)
		t->mark = 1;
	else if (c == 0xc2)
		t->c2 = 1;
	else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
		fprintf(t->to, "^%c", c ^ 0x40);
	else
		fputc(c, t->to);
}

/* A byte that passes as it is whatever came before it (when no mark or
 * 0xC2 is pending). */
static int plain(unsigned char c)
{
	return (c >= 0x20 && c != 0x7f && c != 0xc2 && c != 0xff) || c == '\n' || c == '\t';
}

static ssize_t term_write(void *cookie, const char *buf, size_t n)
{
	struct term *t = cookie;
	size_t i = 0;
	while (i < n) {
		size_t run = 0;
		while (!t->mark && !t->c2 && i + run < n && plain((unsigned char)buf[i + run]))
			run++;
		if (run) {
			fwrite(buf + i, 1, run, t->to);
			i += run;
		} else {
			put(t, (unsigned char)buf[i++]);
		}
	}
	return ferror(t->to) ? -1 : (ssize_t)n;
}

static int term_close(void *cookie)
{
	struct term *t = cookie;
	if (t->c2)
		fputc(0xc2, t->to);
	int rc = fflush(t->to);
	free(t);
	return rc;
}

FILE *cli_term_open(FILE *to, int color)
{
	struct term *t = calloc(1, sizeof *t);
	if (!t)
		abort();
	t->to = to;
	t->color = color;
	FILE *f = fopencookie(t, "w", (cookie_io_functions_t){ .write = term_write, .close = term_close });
	if (!f)
		abort();
	setvbuf(f, NULL, _IONBF, 0);
	return f;
}

int cli_term_width(void)
{
	const char *env = getenv("COLUMNS");
	struct winsize ws;
	if (env && *env) {
		char *end;
		long w = strtol(env, &end, 10);
		if (!*end && w > 0 && w < 10000)
			return (int)w;
	}
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 0;
}

void cli_term_puts(FILE *to, const char *s)
{
	struct term t = { .to = to, .color = 0 };
	for (; s && *s; s++)
		put(&t, (unsigned char)*s);
	if (t.c2)
		fputc(0xc2, to);
}
