/* paths.c — where a program finds its database when not told, and opening
 * it the way every heph program does (the CLI, the TUI, hephd). */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "heph/date.h"

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
