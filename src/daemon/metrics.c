/* metrics.c — the hub's counters and its request log (metrics.h).
 *
 * Metrics served at GET /metrics (https://prometheus.io/docs/instrumenting/
 * exposition_formats/, text format 0.0.4):
 *
 *   name                                   type       labels
 *   heph_http_requests_total               counter    route, status
 *   heph_http_request_duration_seconds     histogram  (all requests)
 *   heph_http_connections                  gauge
 *   heph_errors_total                      counter    code (heph's error name)
 *   heph_sync_pushes_total                 counter
 *   heph_sync_pulls_total                  counter
 *   heph_sync_ops_applied_total            counter
 *   heph_database_bytes                    gauge      (the file and its -wal)
 *   heph_fleet_devices                     gauge      version
 */
#include "metrics.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "heph/error.h"
#include "heph/fleet.h"
#include "hephd.h"

#define NROUTES 12
#define NSTATUS 600
#define NCODES 16 /* HEPH_ERROR (-1) .. HEPH_EUSAGE (-15), and 0 unused */

static const double buckets[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define NBUCKETS (sizeof buckets / sizeof buckets[0])

static _Atomic uint64_t next_id;
static _Atomic int64_t connections;
static const char *route_names[NROUTES]; /* set once per route, by the first request on it */
static _Atomic uint64_t requests[NROUTES][NSTATUS];
static _Atomic uint64_t latency[NBUCKETS + 1]; /* per bucket, not cumulative; the last is +Inf */
static _Atomic uint64_t latency_us, latency_n;
static _Atomic uint64_t errors[NCODES];
static _Atomic uint64_t pushes, pulls, applied;
static pthread_mutex_t names_mu = PTHREAD_MUTEX_INITIALIZER;

void metrics_connection(int delta) { atomic_fetch_add(&connections, delta); }

uint64_t metrics_request_id(void) { return atomic_fetch_add(&next_id, 1) + 1; }

static int route_index(const char *route)
{
	pthread_mutex_lock(&names_mu);
	int i = 0;
	for (; i < NROUTES && route_names[i]; i++)
		if (strcmp(route_names[i], route) == 0)
			break;
	if (i < NROUTES && !route_names[i])
		route_names[i] = route; /* a string literal of http.c */
	pthread_mutex_unlock(&names_mu);
	return i < NROUTES ? i : -1;
}

/* path with control characters, spaces, '%' and non-ASCII as %XX, cut at n. */
static void escape(const char *path, char *out, size_t n)
{
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)path; *p && o + 4 < n; p++) {
		if (*p <= ' ' || *p >= 0x7f || *p == '%')
			o += (size_t)snprintf(out + o, n - o, "%%%02X", *p);
		else
			out[o++] = (char)*p;
	}
	out[o] = '\0';
}

void metrics_request_done(uint64_t id, const char *route, const char *addr, const char *method, const char *path,
			  unsigned status, int64_t elapsed_us)
{
	int r = route_index(route);
	if (r >= 0 && status < NSTATUS)
		atomic_fetch_add(&requests[r][status], 1);
	double secs = (double)elapsed_us / 1e6;
	size_t b = 0;
	while (b < NBUCKETS && secs > buckets[b])
		b++;
	atomic_fetch_add(&latency[b], 1);
	atomic_fetch_add(&latency_us, (uint64_t)(elapsed_us > 0 ? elapsed_us : 0));
	atomic_fetch_add(&latency_n, 1);
	char p[256], m[16];
	escape(path ? path : "", p, sizeof p);
	escape(method ? method : "", m, sizeof m);
	hephd_log("http: req=%llu %s %s %s %u %.1f ms", (unsigned long long)id, addr && *addr ? addr : "-", m, p,
		  status, (double)elapsed_us / 1000.0);
}

void metrics_error(int code)
{
	if (code < 0 && -code < NCODES)
		atomic_fetch_add(&errors[-code], 1);
}

void metrics_push(const char *answer, size_t len)
{
	atomic_fetch_add(&pushes, 1);
	json_t *j = json_loadb(answer, len, 0, NULL);
	json_t *n = json_object_get(j, "applied");
	if (json_is_integer(n) && json_integer_value(n) > 0)
		atomic_fetch_add(&applied, (uint64_t)json_integer_value(n));
	json_decref(j);
}

void metrics_pull(void) { atomic_fetch_add(&pulls, 1); }

/* Text of a label value: '\\', '"' and newlines escaped. */
static void label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*v, f);
	}
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static int64_t file_size(const char *path, const char *suffix)
{
	char p[4096];
	struct stat sb;
	snprintf(p, sizeof p, "%s%s", path, suffix);
	return stat(p, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

int metrics_render(heph_store *s, const char *db_path, char **out, size_t *len)
{
	json_t *fleet = NULL;
	int err = s ? heph_fleet_list(s, &fleet) : 0;
	if (err)
		return err;
	FILE *f = open_memstream(out, len);
	if (!f)
		abort();
	head(f, "heph_http_requests_total", "counter", "HTTP requests answered, by route and status.");
	for (int r = 0; r < NROUTES; r++) {
		pthread_mutex_lock(&names_mu);
		const char *name = route_names[r];
		pthread_mutex_unlock(&names_mu);
		if (!name)
			break;
		for (int st = 0; st < NSTATUS; st++) {
			uint64_t n = atomic_load(&requests[r][st]);
			if (n)
				fprintf(f, "heph_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n", name, st,
					(unsigned long long)n);
		}
	}
	head(f, "heph_http_request_duration_seconds", "histogram", "Time from a request's arrival to its answer.");
	uint64_t cum = 0;
	for (size_t b = 0; b <= NBUCKETS; b++) {
		cum += atomic_load(&latency[b]);
		if (b < NBUCKETS)
			fprintf(f, "heph_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n", buckets[b],
				(unsigned long long)cum);
		else
			fprintf(f, "heph_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
	}
	fprintf(f, "heph_http_request_duration_seconds_sum %.6f\n", (double)atomic_load(&latency_us) / 1e6);
	fprintf(f, "heph_http_request_duration_seconds_count %llu\n", (unsigned long long)cum);
	head(f, "heph_http_connections", "gauge", "Connections open now.");
	fprintf(f, "heph_http_connections %lld\n", (long long)atomic_load(&connections));
	head(f, "heph_errors_total", "counter", "Errors answered to clients, by heph error name.");
	for (int c = 1; c < NCODES; c++) {
		uint64_t n = atomic_load(&errors[c]);
		if (n) {
			fprintf(f, "heph_errors_total{code=\"");
			label(f, heph_error_name(-c));
			fprintf(f, "\"} %llu\n", (unsigned long long)n);
		}
	}
	head(f, "heph_sync_pushes_total", "counter", "Pushes taken (POST /sync/push answered 200).");
	fprintf(f, "heph_sync_pushes_total %llu\n", (unsigned long long)atomic_load(&pushes));
	head(f, "heph_sync_pulls_total", "counter", "Pull pages served (GET /sync/pull answered 200).");
	fprintf(f, "heph_sync_pulls_total %llu\n", (unsigned long long)atomic_load(&pulls));
	head(f, "heph_sync_ops_applied_total", "counter", "Ops from pushes that this hub applied.");
	fprintf(f, "heph_sync_ops_applied_total %llu\n", (unsigned long long)atomic_load(&applied));
	if (!s) /* a PostgreSQL hub: no database file, no one fleet */
		goto done;
	head(f, "heph_database_bytes", "gauge", "Size of the hub's database file and its WAL.");
	fprintf(f, "heph_database_bytes %lld\n", (long long)(file_size(db_path, "") + file_size(db_path, "-wal")));
	head(f, "heph_fleet_devices", "gauge", "Devices that synced with this hub, by heph version.");
	json_t *by = json_object(), *dev;
	size_t i;
	json_array_foreach(fleet, i, dev) {
		const char *v = json_string_value(json_object_get(dev, "version"));
		if (!v)
			v = "unknown";
		json_int_t n = json_integer_value(json_object_get(by, v));
		json_object_set_new(by, v, json_integer(n + 1)); /* steals the new integer */
	}
	const char *v;
	json_t *n;
	json_object_foreach(by, v, n) {
		fprintf(f, "heph_fleet_devices{version=\"");
		label(f, v);
		fprintf(f, "\"} %lld\n", (long long)json_integer_value(n));
	}
	json_decref(by);
	json_decref(fleet);
done:
	if (fclose(f) != 0)
		abort();
	return 0;
}
