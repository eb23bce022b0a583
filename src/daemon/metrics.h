/* metrics.h — what a hub counts, for GET /metrics (Prometheus' text format),
 * and its one log line per request. http.c calls the hooks; everything is
 * process-wide and lock-free (C11 atomics), so any pool thread may count.
 *
 * Ownership: metrics_render() gives the caller a malloc'd text. */
#ifndef HEPHD_METRICS_H
#define HEPHD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "heph/store.h"

/* A connection opened (+1) or closed (-1). */
void metrics_connection(int delta);

/* A new request id (1, 2, ...), for its log line. */
uint64_t metrics_request_id(void);

/* A request answered: counted by route and status, its time in the
 * latency histogram, and one line on stderr:
 *   http: req=ID ADDR METHOD PATH STATUS MS ms
 * (the path's control characters and spaces escaped as %XX). status 0: the
 * client left before an answer. */
void metrics_request_done(uint64_t id, const char *route, const char *addr, const char *method, const char *path,
			  unsigned status, int64_t elapsed_us);

/* An error answered to a client, by heph error code (HEPH_E*). */
void metrics_error(int code);

/* A push taken (its answer, for the ops applied) and a pull page served. */
void metrics_push(const char *answer, size_t len);
void metrics_pull(void);

/* The metrics as Prometheus text (version 0.0.4): the counters above, the
 * database's size (db_path, its -wal) and the fleet by version (read
 * through s); s NULL (a PostgreSQL hub): the counters only. */
int metrics_render(heph_store *s, const char *db_path, char **out, size_t *len);

#endif
