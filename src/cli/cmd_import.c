/* cmd_import.c — `heph import taskwarrior FILE|-`: read `task export`
 * output (a JSON array, or one task object per line as `task import`
 * takes) and hand the tasks to import.taskwarrior in one call. */
#include "cli.h"
#include "heph/buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The tasks of text: a JSON array, or JSON objects one per line. */
static int parse_tasks(const char *text, json_t **out)
{
	json_error_t e;
	const char *p = text;
	while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
		p++;
	if (*p == '[') {
		if (!(*out = json_loads(text, 0, &e)))
			return heph_error_set(HEPH_EINVALID, "malformed JSON at line %d: %s", e.line, e.text);
		return 0;
	}
	json_t *arr = json_array();
	int line = 0;
	for (const char *l = text; *l;) {
		const char *end = strchr(l, '\n');
		size_t n = end ? (size_t)(end - l) : strlen(l);
		line++;
		size_t k = 0;
		while (k < n && (l[k] == ' ' || l[k] == '\t' || l[k] == '\r'))
			k++;
		if (k < n) {
			json_t *t = json_loadb(l, n, 0, &e);
			if (!t) {
				json_decref(arr);
				return heph_error_set(HEPH_EINVALID, "malformed JSON at line %d: %s", line, e.text);
			}
			json_array_append_new(arr, t);
		}
		l += n + (end ? 1 : 0);
	}
	*out = arr;
	return 0;
}

int cmd_import(struct cli *cli, int argc, char **argv)
{
	FILE *in;
	json_t *tasks = NULL, *params, *words, *r = NULL, *w;
	int err;
	if ((err = cli_params(cli, argc, argv, &words)))
		return err;
	char file[4096];
	snprintf(file, sizeof file, "%s", json_string_value(json_object_get(words, "file")));
	json_decref(words);
	if (strcmp(file, "-") == 0)
		in = stdin;
	else if (!(in = fopen(file, "r")))
		return heph_error_set(HEPH_ENOTFOUND, "cannot open %s: %s (give the file task export wrote, or - for "
				      "standard input)", file, strerror(errno));
	heph_buf text = { 0 };
	err = heph_buf_read(&text, in) ? heph_error_set(HEPH_ERROR, "reading %s failed", file) : 0;
	if (in != stdin)
		fclose(in);
	if (!err)
		err = parse_tasks(text.p, &tasks);
	heph_buf_free(&text);
	if (err)
		return err;
	params = json_pack("{s:o}", "tasks", tasks);
	err = cli_call(cli, "import.taskwarrior", params, &r);
	json_decref(params);
	if (err)
		return err;
	if (cli->json) {
		print_json(cli, r);
	} else {
		long long gone = json_integer_value(json_object_get(r, "already_deleted"));
		char deleted[64] = "";
		if (gone)
			snprintf(deleted, sizeof deleted, " (%lld of them deleted here)", gone);
		fprintf(cli->out, "read %lld task(s): %lld imported, %lld already here%s; %lld project(s) made, %lld dependency link(s)\n",
			(long long)json_integer_value(json_object_get(r, "tasks")),
			(long long)json_integer_value(json_object_get(r, "created")),
			(long long)json_integer_value(json_object_get(r, "already")), deleted,
			(long long)json_integer_value(json_object_get(r, "projects")),
			(long long)json_integer_value(json_object_get(r, "dependencies")));
		size_t i;
		const char *key;
		json_t *n;
		/* fields heph has no column for: where they went */
		if (json_object_size(json_object_get(r, "udas"))) {
			fprintf(cli->out, "kept Taskwarrior fields heph has no column for as lines \"- name: value\" in each "
					  "task's context doc:");
			i = 0;
			json_object_foreach(json_object_get(r, "udas"), key, n)
				fprintf(cli->out, "%s %s (%lld task%s)", i++ ? "," : "", key,
					(long long)json_integer_value(n), json_integer_value(n) == 1 ? "" : "s");
			fprintf(cli->out, "\n");
		}
		json_array_foreach(json_object_get(r, "warnings"), i, w) fprintf(stderr, "heph: note: %s\n", json_string_value(w));
	}
	json_decref(r);
	return 0;
}
