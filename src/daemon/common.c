/* common.c — what every part of hephd uses: its log line and opening the
 * database for a thread (hephd.h). Kept out of main.c so that the parts in
 * the hephd library do not depend on the program's main. */
#include "hephd.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

void hephd_log(const char *fmt, ...)
{
	char when[32];
	time_t t = time(NULL);
	struct tm tm;
	va_list ap;
	localtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
	flockfile(stderr);
	fprintf(stderr, "%s hephd[%d]: ", when, (int)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

int64_t hephd_now_us(clockid_t c)
{
	struct timespec t;
	clock_gettime(c, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

int hephd_open_store(const struct hephd *d, int cache_kb, heph_store **out)
{
	heph_store_opts o = { .no_create = 1, .cache_kb = cache_kb };
	return heph_store_open(d->db, &o, out);
}
