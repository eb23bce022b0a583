/* paths.c — where a program finds its database when not told, and opening
 * it the way every heph program does (the CLI, the TUI, hephd). */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "heph/date.h"
#include "heph/error.h"

char *heph_default_db_path(void)
{
	const char *env = getenv("HEPH_DB"), *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	char *p = NULL;
	if (env && *env)
		p = strdup(env);
	else if (xdg && *xdg ? asprintf(&p, "%s/heph/heph.db", xdg) < 0
			     : asprintf(&p, "%s/.local/share/heph/heph.db", home && *home ? home : ".") < 0)
		p = NULL;
	if (!p)
		abort();
	return p;
}

static int front_flag(const char *arg, const heph_front_flag *own)
{
	for (const heph_front_flag *f = own; f && f->name; f++) {
		if (strcmp(arg, f->name) != 0)
			continue;
		if (!f->act) {
			*f->flag = 1;
			return -1;
		}
		f->act();
		return 0;
	}
	return 1; /* not one of them */
}

static int front_arg(const char *prog, int argc, char **argv, int *i, const heph_front_flag *own,
		     void (*usage)(FILE *f), char **db)
{
	const char *a = argv[*i], *value = NULL;
	if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(a, "--version") == 0) {
		printf("%s %s (schema %d)\n", prog, heph_version(), heph_schema_version());
		return 0;
	}
	if (strcmp(a, "--db") == 0 && *i + 1 < argc)
		value = argv[++*i];
	else if (strncmp(a, "--db=", 5) == 0)
		value = a + 5;
	if (value) {
		free(*db);
		if (!(*db = strdup(value)))
			abort();
		return -1;
	}
	int rc = front_flag(a, own);
	if (rc <= 0)
		return rc;
	fprintf(stderr, "%s: unexpected argument \"%s\" (see %s --help)\n", prog, a, prog);
	return heph_error_exit_status(HEPH_EUSAGE);
}

int heph_front_args(const char *prog, int argc, char **argv, const heph_front_flag *own,
		    void (*usage)(FILE *f), char **db)
{
	*db = NULL;
	for (int i = 1; i < argc; i++) {
		int rc = front_arg(prog, argc, argv, &i, own, usage, db);
		if (rc >= 0) {
			free(*db);
			*db = NULL;
			return rc;
		}
	}
	if (!*db)
		*db = heph_default_db_path();
	return -1;
}

int heph_mkdirs(const char *path)
{
	char buf[4096];
	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

int heph_store_open_env(const char *path, int cache_kb, heph_store **out)
{
	char today[HEPH_DATE_LEN + 1];
	heph_store_opts o = { .cache_kb = cache_kb };
	const char *now = getenv("HEPH_NOW");
	*out = NULL;
	if (now && *now) {
		snprintf(today, sizeof today, "%s", now);
		if (strlen(now) < HEPH_DATE_LEN || (now[HEPH_DATE_LEN] != '\0' && now[HEPH_DATE_LEN] != 'T') ||
		    heph_date_add_days(today, 0, today) != 0)
			return heph_error_set(HEPH_EUSAGE, "HEPH_NOW must be YYYY-MM-DD, not \"%.40s\"", now);
		o.today = today;
	}
	if (heph_mkdirs(path) != 0)
		return heph_error_set(HEPH_ERROR, "cannot create the directory of %s: %s", path, strerror(errno));
	return heph_store_open(path, &o, out);
}
