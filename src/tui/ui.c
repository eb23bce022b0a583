/* ui.c — modal interactions: a line prompt with a live preview, a y/N
 * question, a filtering picker, and handing the terminal to $EDITOR. Each
 * runs its own small key loop and redraws the screen under it, so a resize
 * during a prompt is handled like anywhere else. */
#include "app.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wchar.h>

#include "heph/error.h"
#include "text.h"

#define CTRL(c) ((c) & 0x1f)

/* UTF-8 encoding of a code point into out (4 bytes + NUL); its length. */
static int utf8(wint_t c, char out[5])
{
	int n;
	if (c < 0x80) {
		out[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	} else if (c < 0x110000) {
		out[0] = (char)(0xf0 | (c >> 18));
		out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[3] = (char)(0x80 | (c & 0x3f));
		n = 4;
	} else {
		n = 0;
	}
	out[n] = '\0';
	return n;
}

/* Read one key: a character (>= 0) or a curses KEY_* code; ERR on timeout. */
static int read_key(int *is_key)
{
	wint_t c;
	int r = get_wch(&c);
	*is_key = r == KEY_CODE_YES;
	return r == ERR ? ERR : (int)c;
}

/* Edit buf with one key; returns 1 when the key was taken. */
static int edit_line(char *buf, size_t cap, int c, int is_key)
{
	size_t len = strlen(buf);
	char enc[5];
	if ((is_key && c == KEY_BACKSPACE) || (!is_key && (c == 127 || c == CTRL('h')))) {
		tui_text_backspace(buf);
		return 1;
	}
	if (!is_key && c == CTRL('u')) {
		buf[0] = '\0';
		return 1;
	}
	if (!is_key && c >= 0x20 && c != 127) {
		int n = utf8((wint_t)c, enc);
		if (n > 0 && len + (size_t)n < cap) {
			memcpy(buf + len, enc, (size_t)n + 1);
		}
		return 1;
	}
	return 0;
}

int tui_prompt(struct tui_app *app, const char *label, char *buf, size_t cap, tui_preview_fn preview)
{
	char **lines = NULL;
	int nlines = 0, dirty = 1, is_key, c;
	char last[1024] = "\x01"; /* never equal to an input */
	curs_set(1);
	for (;;) {
		if (preview && strcmp(last, buf) != 0) {
			tui_text_lines_free(lines, nlines);
			nlines = preview(app, buf, &lines);
			snprintf(last, sizeof last, "%s", buf);
			dirty = 1;
		}
		if (dirty) {
			tui_draw(app);
			if (nlines > 0)
				tui_draw_box("what heph understood", lines, nlines, -1);
			tui_draw_status(app, label, buf);
			refresh();
			dirty = 0;
		}
		if ((c = read_key(&is_key)) == ERR)
			continue;
		dirty = 1;
		if (is_key && c == KEY_RESIZE)
			continue;
		if (!is_key && (c == '\n' || c == '\r')) {
			tui_text_lines_free(lines, nlines);
			curs_set(0);
			return 1;
		}
		if (!is_key && (c == 27 || c == CTRL('g') || c == CTRL('c'))) {
			tui_text_lines_free(lines, nlines);
			curs_set(0);
			return 0;
		}
		edit_line(buf, cap, c, is_key);
	}
}

int tui_confirm(struct tui_app *app, const char *question)
{
	int is_key, c;
	char q[600];
	snprintf(q, sizeof q, "%s [y/N] ", question);
	tui_draw(app);
	tui_draw_status(app, q, "");
	refresh();
	while ((c = read_key(&is_key)) == ERR || (is_key && c == KEY_RESIZE)) {
		if (c != ERR) {
			tui_draw(app);
			tui_draw_status(app, q, "");
			refresh();
		}
	}
	return !is_key && (c == 'y' || c == 'Y');
}

int tui_pick(struct tui_app *app, const char *heading, char **labels, int n)
{
	char filter[256] = "", head[600];
	int *shown = malloc(((size_t)n + 1) * sizeof *shown), nshown = 0, at = 0, is_key, c, chosen = -1;
	char **view = malloc(((size_t)n + 1) * sizeof *view);
	if (!shown || !view)
		abort();
	for (;;) {
		nshown = 0;
		for (int i = 0; i < n; i++)
			if (tui_text_contains(labels[i], filter)) {
				shown[nshown] = i;
				view[nshown++] = labels[i];
			}
		if (at >= nshown)
			at = nshown - 1;
		if (at < 0)
			at = 0;
		snprintf(head, sizeof head, "%s (type to filter)", heading);
		tui_draw(app);
		if (nshown)
			tui_draw_box(head, view, nshown, at);
		else
			tui_draw_box(head, (char *[]){ "no match" }, 1, -1);
		tui_draw_status(app, "filter: ", filter);
		refresh();
		while ((c = read_key(&is_key)) == ERR)
			;
		if (!is_key && (c == '\n' || c == '\r')) {
			if (nshown)
				chosen = shown[at];
			break;
		}
		if (!is_key && (c == 27 || c == CTRL('g') || c == CTRL('c')))
			break;
		if ((is_key && c == KEY_DOWN) || (!is_key && (c == CTRL('n') || c == '\t')))
			at++;
		else if ((is_key && c == KEY_UP) || (!is_key && c == CTRL('p')))
			at = at > 0 ? at - 1 : 0;
		else if (edit_line(filter, sizeof filter, c, is_key))
			at = 0;
	}
	free(shown);
	free(view);
	return chosen;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, n = 0, got;
	char *buf;
	if (!f)
		return NULL;
	if (!(buf = malloc(cap)))
		abort();
	while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (n + 1 == cap && !(buf = realloc(buf, cap *= 2)))
			abort();
	}
	fclose(f);
	buf[n] = '\0';
	return buf;
}

int tui_edit_text(struct tui_app *app, const char *text, char **out)
{
	const char *dir = getenv("TMPDIR"), *editor = getenv("VISUAL");
	char path[4096];
	int fd, err = 0, status;
	(void)app;
	*out = NULL;
	if (!editor || !*editor)
		editor = getenv("EDITOR");
	if (!editor || !*editor)
		editor = "vi";
	snprintf(path, sizeof path, "%s/heph-context-XXXXXX.md", dir && *dir ? dir : "/tmp");
	if ((fd = mkstemps(path, 3)) < 0)
		return heph_error_set(HEPH_ERROR, "cannot create a temporary file: %s", strerror(errno));
	size_t len = strlen(text);
	/* a text file ends with a newline, as editors expect */
	if (write(fd, text, len) != (ssize_t)len || (len && text[len - 1] != '\n' && write(fd, "\n", 1) != 1)) {
		close(fd);
		unlink(path);
		return heph_error_set(HEPH_ERROR, "cannot write %s: %s", path, strerror(errno));
	}
	close(fd);

	def_prog_mode();
	endwin();
	pid_t pid = fork();
	if (pid == 0) {
		/* the editor may be a command with arguments, as in git */
		execl("/bin/sh", "sh", "-c", "exec $0 \"$1\"", editor, path, (char *)NULL);
		_exit(127);
	}
	if (pid < 0) {
		err = heph_error_set(HEPH_ERROR, "cannot start the editor: %s", strerror(errno));
	} else {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			err = heph_error_set(HEPH_ERROR, "the editor (%s) failed; nothing saved", editor);
	}
	reset_prog_mode();
	clearok(curscr, TRUE);
	refresh();
	if (!err && !(*out = slurp(path)))
		err = heph_error_set(HEPH_ERROR, "cannot read %s back: %s", path, strerror(errno));
	unlink(path);
	return err;
}
