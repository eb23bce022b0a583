/* pushload.c — a benchmark client, not a test: S spokes (threads, each with
 * its own device origin and its own keep-alive connection) push small
 * batches of new ops to a hub as fast as the hub answers, and the latency of
 * every push is kept. Prints one JSON line: pushes, seconds, pushes/s, and
 * the p50, p99 and max latency in milliseconds.
 *
 * usage: pushload URL TOKEN-FILE [SPOKES [PUSHES-EACH [OPS-PER-PUSH]]]
 *        (defaults 50 spokes, 200 pushes each, 5 ops per push)
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "heph/hlc.h"
#include "heph/id.h"

static const char *url, *token_header;
static int pushes_each = 200, ops_per_push = 5;

struct spoke {
	pthread_t thread;
	int index;
	double *lat_ms;   /* one per push */
	int failed;       /* pushes not answered 200 */
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t discard(char *p, size_t s, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return s * n;
}

static void *run(void *arg)
{
	struct spoke *sp = arg;
	heph_hlc clock = { 0 };
	char body[65536], push_url[1024];
	struct curl_slist *h = NULL;
	CURL *c = curl_easy_init();
	snprintf(clock.origin, sizeof clock.origin, "%016llx", 0xbe0c000000000000ULL + (unsigned long long)sp->index);
	snprintf(push_url, sizeof push_url, "%s/sync/push", url);
	h = curl_slist_append(h, token_header);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, push_url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
	for (int i = 0; i < pushes_each; i++) {
		size_t n = (size_t)snprintf(body, sizeof body, "{\"protocol\":1,\"origin\":\"%s\",\"ops\":[", clock.origin);
		for (int k = 0; k < ops_per_push; k++) {
			char hlc[HEPH_HLC_LEN + 1], op_id[HEPH_ID_LEN + 1], node[HEPH_ID_LEN + 1];
			int64_t ms = wall_ms();
			heph_hlc_tick(&clock, ms);
			heph_hlc_format(&clock, hlc);
			heph_id_new(ms, op_id);
			heph_id_new(ms, node);
			n += (size_t)snprintf(body + n, sizeof body - n,
					      "%s{\"op_id\":\"%s\",\"hlc\":\"%s\",\"origin\":\"%s\",\"type\":\"node.create\","
					      "\"payload\":{\"node_id\":\"%s\",\"kind\":\"doc\",\"title\":\"note %d.%d from spoke %d\"}}",
					      k ? "," : "", op_id, hlc, clock.origin, node, i, k, sp->index);
		}
		n += (size_t)snprintf(body + n, sizeof body - n, "]}");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)n);
		double t = now_ms();
		CURLcode rc = curl_easy_perform(c);
		long status = 0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		sp->lat_ms[i] = now_ms() - t;
		if (rc != CURLE_OK || status != 200)
			sp->failed++;
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return NULL;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	char tok[512] = "";
	int spokes = 50;
	if (argc < 3) {
		fprintf(stderr, "usage: pushload URL TOKEN-FILE [SPOKES [PUSHES-EACH [OPS-PER-PUSH]]]\n");
		return 2;
	}
	url = argv[1];
	FILE *f = fopen(argv[2], "r");
	if (!f || !fgets(tok, sizeof tok, f)) {
		fprintf(stderr, "pushload: cannot read %s\n", argv[2]);
		return 1;
	}
	fclose(f);
	tok[strcspn(tok, "\r\n")] = '\0';
	char *hdr;
	if (asprintf(&hdr, "Authorization: Bearer %s", tok) < 0)
		return 1;
	token_header = hdr;
	if (argc > 3)
		spokes = atoi(argv[3]);
	if (argc > 4)
		pushes_each = atoi(argv[4]);
	if (argc > 5)
		ops_per_push = atoi(argv[5]);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	struct spoke *sp = calloc((size_t)spokes, sizeof *sp);
	double t0 = now_ms();
	for (int i = 0; i < spokes; i++) {
		sp[i].index = i;
		sp[i].lat_ms = calloc((size_t)pushes_each, sizeof(double));
		pthread_create(&sp[i].thread, NULL, run, &sp[i]);
	}
	for (int i = 0; i < spokes; i++)
		pthread_join(sp[i].thread, NULL);
	double secs = (now_ms() - t0) / 1e3;
	size_t total = (size_t)spokes * (size_t)pushes_each, k = 0;
	int failed = 0;
	double *all = calloc(total, sizeof(double));
	for (int i = 0; i < spokes; i++) {
		memcpy(all + k, sp[i].lat_ms, (size_t)pushes_each * sizeof(double));
		k += (size_t)pushes_each;
		failed += sp[i].failed;
	}
	qsort(all, total, sizeof(double), by_value);
	printf("{\"spokes\":%d,\"pushes\":%zu,\"ops_per_push\":%d,\"failed\":%d,\"seconds\":%.3f,\"pushes_per_s\":%.0f,"
	       "\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f}\n",
	       spokes, total, ops_per_push, failed, secs, total / secs, all[total / 2], all[total * 99 / 100],
	       all[total - 1]);
	return failed ? 1 : 0;
}
