/* snapshot.c — the hub's GET /sync/snapshot: its replica as one file
 * (heph_sync_snapshot_write), so that a new spoke need not replay the whole
 * op-log (docs/reference/sync-protocol.md).
 *
 * Files are kept in a private directory beside the database (DB-snapshots,
 * mode 0700, emptied when the hub first needs it and when it stops), one
 * per hub seq, so that a download cut short resumes on
 * the same bytes: a request with Range and an If-Range naming a kept file's
 * ETag (its SHA-256) gets the rest of that file (206); any other request
 * gets the newest file whole (200). A new file is written only when the
 * newest is HEPH_SYNC_SNAPSHOT_MIN or more ops behind the head: a busy hub
 * does not write one per push, and the spoke pulls the rest. The newest
 * KEEP files are kept; an older one being sent stays readable until its
 * download ends (it is open).
 *
 * Writing a snapshot reads the database in one read transaction of its own
 * store: pushes go on beside it. Writers of snapshots take turns (mu).
 *
 * A PostgreSQL hub (d->pg) serves each owner the snapshot of its replica of
 * that owner on this instance (pg_replica_do: its own ops pushed, caught up
 * with the op-log), in a cache of its own under the state directory
 * (STATE-DIR/snapshots/HUB-ID, kept as above). The file states the owner's
 * hub id (pull pages' "hub", what a spoke's cursors are about) and the
 * owner's seq the replica holds (its pull cursor). Two instances write
 * different files for the same seq (their replicas' pages differ); the
 * ETag is the file's SHA-256, so an If-Range naming another instance's file
 * matches none here and the request gets a whole file, never a mix. The
 * replica is busy while its snapshot is written: that owner's /rpc waits.
 */
#include "hephd.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include "mhd_lazy.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "heph/error.h"
#include "heph/sync.h"
#include "pg.h"

#define KEEP 2 /* snapshot files kept */

struct snapfile {
	int64_t seq;             /* the hub seq it holds the op-log up to; 0: empty slot */
	int64_t size;            /* bytes */
	char sha[65];            /* its SHA-256, hex: also its ETag */
	char path[PATH_MAX];
};

/* The snapshots of one op-log: the SQLite hub's, or one owner's. */
struct cache {
	pthread_mutex_t mu;      /* guards everything here, and one writer at a time */
	char owner[PG_OWNER_MAX + 1]; /* the owner (PostgreSQL), "" for the SQLite hub */
	char key[HEPH_ORIGIN_LEN + 1]; /* the owner's hub id (an owner removed and added again
					  is another), "" for the SQLite hub */
	char dir[PATH_MAX];      /* the private directory, or "" before the first */
	char hub[HEPH_ORIGIN_LEN + 1]; /* the hub's id (an owner's: its hub id) */
	struct snapfile kept[KEEP]; /* newest first */
	struct cache *next;
};

struct snapshots {
	pthread_mutex_t mu;      /* guards the list */
	struct cache *caches;    /* the SQLite hub's one, or one per owner asked */
};

void snapshots_init(struct hephd *d)
{
	struct snapshots *z = calloc(1, sizeof *z);
	if (!z)
		abort();
	pthread_mutex_init(&z->mu, NULL);
	d->snapshots = z;
}

void snapshots_free(struct hephd *d)
{
	struct snapshots *z = d->snapshots;
	struct cache *k, *n;
	if (!z)
		return;
	for (k = z->caches; k; k = n) {
		n = k->next;
		for (int i = 0; i < KEEP; i++)
			if (k->kept[i].seq)
				unlink(k->kept[i].path);
		if (k->dir[0])
			rmdir(k->dir);
		pthread_mutex_destroy(&k->mu);
		free(k);
	}
	if (d->pg && d->state_dir) {
		char p[PATH_MAX + 16];
		snprintf(p, sizeof p, "%s/snapshots", d->state_dir);
		rmdir(p);
	}
	pthread_mutex_destroy(&z->mu);
	free(z);
	d->snapshots = NULL;
}

/* The cache of the owner whose hub id is key ("", "" for the SQLite hub),
 * made on first use; borrowed until snapshots_free(). */
static struct cache *cache_of(struct snapshots *z, const char *owner, const char *key)
{
	struct cache *k;
	pthread_mutex_lock(&z->mu);
	for (k = z->caches; k && strcmp(k->key, key) != 0; k = k->next)
		;
	if (!k) {
		if (!(k = calloc(1, sizeof *k)))
			abort();
		pthread_mutex_init(&k->mu, NULL);
		snprintf(k->owner, sizeof k->owner, "%s", owner);
		snprintf(k->key, sizeof k->key, "%s", key);
		k->next = z->caches;
		z->caches = k;
	}
	pthread_mutex_unlock(&z->mu);
	return k;
}

/* Remove the snapshot files in dir (a hub killed before it stopped). */
static void empty_dir(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	if (!dp)
		return;
	while ((e = readdir(dp)))
		if (e->d_name[0] != '.') {
			char p[PATH_MAX + 256];
			snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
			unlink(p);
		}
	closedir(dp);
}

struct replica_take {
	const char *path;        /* the new file */
	const char *hub;         /* the owner's hub id the cache is for */
	int64_t seq;             /* the seq it holds the op-log up to */
};

/* pg_replica_do()'s work: the replica's snapshot. */
static int replica_write(heph_store *s, const char *hub, void *arg)
{
	struct replica_take *t = arg;
	if (strcmp(hub, t->hub) != 0) /* removed and added again meanwhile */
		return heph_error_set(HEPH_EUNAVAIL, "the owner changed while its snapshot was taken; try again");
	return heph_sync_snapshot_write_replica(s, t->path, hub, &t->seq);
}

/* Write a new snapshot and make it the newest; under z->mu. */
static int take(struct hephd *d, struct cache *z)
{
	heph_store *s = NULL;
	char tmp[PATH_MAX + 16];
	struct snapfile f = { 0 };
	int err;
	if (!z->dir[0]) {
		/* Beside the database (its disk, its owner), left empty by a
		 * stop and emptied here of what a killed hub left; an owner's
		 * in the state directory. */
		if (d->pg) {
			char parent[PATH_MAX];
			snprintf(parent, sizeof parent, "%s/snapshots", d->state_dir);
			if (mkdir(parent, 0700) != 0 && errno != EEXIST)
				return heph_error_set(HEPH_ERROR, "cannot make %s for snapshots: %s", parent, strerror(errno));
			if (snprintf(z->dir, sizeof z->dir, "%s/%s", parent, z->key) >= (int)sizeof z->dir) {
				z->dir[0] = '\0';
				return heph_error_set(HEPH_ERROR, "the state directory's path is too long for snapshots");
			}
		} else {
			snprintf(z->dir, sizeof z->dir, "%s-snapshots", d->db);
		}
		if (mkdir(z->dir, 0700) != 0 && errno != EEXIST) {
			err = heph_error_set(HEPH_ERROR, "cannot make %s for snapshots: %s", z->dir, strerror(errno));
			z->dir[0] = '\0';
			return err;
		}
		chmod(z->dir, 0700);
		empty_dir(z->dir);
	}
	snprintf(tmp, sizeof tmp, "%s/new.db", z->dir);
	unlink(tmp); /* a write that failed half-way */
	if (d->pg) {
		struct replica_take t = { .path = tmp, .hub = z->key };
		snprintf(z->hub, sizeof z->hub, "%s", z->key);
		err = pg_replica_do(d->pg, z->owner, replica_write, &t);
		f.seq = t.seq;
	} else {
		if ((err = hephd_open_store(d, 0, &s)))
			return err;
		snprintf(z->hub, sizeof z->hub, "%s", heph_store_origin(s));
		err = heph_sync_snapshot_write(s, tmp, &f.seq);
		heph_store_close(s);
	}
	if (err)
		return heph_error_wrap(err, "taking a snapshot: ");
	if ((err = heph_sync_snapshot_digest(tmp, f.sha, &f.size))) {
		unlink(tmp);
		return err;
	}
	snprintf(f.path, sizeof f.path, "%s/%" PRId64 "-%.16s.db", z->dir, f.seq, f.sha);
	if (rename(tmp, f.path) != 0) {
		unlink(tmp);
		return heph_error_set(HEPH_ERROR, "cannot keep the snapshot: %s", strerror(errno));
	}
	if (z->kept[KEEP - 1].seq && strcmp(z->kept[KEEP - 1].path, f.path) != 0)
		unlink(z->kept[KEEP - 1].path);
	memmove(&z->kept[1], &z->kept[0], (KEEP - 1) * sizeof z->kept[0]);
	z->kept[0] = f;
	return 0;
}

/* The file to send: the kept one whose ETag if_range names (when ranged),
 * else the newest, written first when missing or too far behind head. */
static int pick(struct hephd *d, struct cache *z, int64_t head, const char *if_range, struct snapfile *out,
		char hub[HEPH_ORIGIN_LEN + 1], int *ranged)
{
	int err = 0;
	pthread_mutex_lock(&z->mu);
	if (*ranged) {
		*ranged = 0;
		for (int i = 0; if_range && i < KEEP; i++) {
			char etag[70];
			snprintf(etag, sizeof etag, "\"%s\"", z->kept[i].sha);
			if (z->kept[i].seq && strcmp(if_range, etag) == 0) {
				*out = z->kept[i];
				*ranged = 1;
				goto out;
			}
		}
	}
	if (!z->kept[0].seq || head - z->kept[0].seq >= HEPH_SYNC_SNAPSHOT_MIN || head < z->kept[0].seq)
		err = take(d, z);
	if (!err)
		*out = z->kept[0];
out:
	if (!err)
		snprintf(hub, HEPH_ORIGIN_LEN + 1, "%s", z->hub);
	pthread_mutex_unlock(&z->mu);
	return err;
}

/* "bytes=START-" or "bytes=START-END" (one range): 1 and *start, *end
 * (inclusive; -1: to the end); 0 for anything else, which is served whole. */
static int parse_range(const char *v, int64_t *start, int64_t *end)
{
	char *e;
	if (!v || strncmp(v, "bytes=", 6) != 0 || v[6] < '0' || v[6] > '9')
		return 0;
	errno = 0;
	long long a = strtoll(v + 6, &e, 10), b = -1;
	if (errno || *e != '-')
		return 0;
	if (e[1]) {
		const char *p = e + 1;
		if (*p < '0' || *p > '9')
			return 0;
		b = strtoll(p, &e, 10);
		if (errno || *e || b < a)
			return 0;
	}
	*start = a;
	*end = b;
	return 1;
}

int snapshot_response(struct hephd *d, struct MHD_Connection *c, heph_store *s, const char *owner,
		      struct MHD_Response **out, unsigned *status)
{
	char hub[HEPH_ORIGIN_LEN + 1], key[HEPH_ORIGIN_LEN + 1] = "";
	const char *range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE);
	const char *if_range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_RANGE);
	const char *proto = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "protocol");
	struct snapfile f;
	struct MHD_Response *r;
	int64_t head = 0, start = 0, end = -1;
	int ranged, err, fd;
	*out = NULL;
	char text[96];
	if (!proto) {
		heph_error_set(HEPH_EINVALID, "missing protocol version: GET /sync/snapshot?protocol=%d", HEPH_SYNC_PROTOCOL);
		*status = 0;
		return HEPH_EINVALID;
	}
	json_t *pv = json_integer(strtoll(proto, NULL, 10));
	err = heph_sync_check_protocol(pv);
	json_decref(pv);
	if (err || (err = d->pg ? pg_owner_head(d->pg, owner, &head, key) : heph_sync_head(s, &head)))
		goto fail;
	ranged = parse_range(range, &start, &end);
	if ((err = pick(d, cache_of(d->snapshots, d->pg ? owner : "", key), head, if_range, &f, hub, &ranged)))
		goto fail;
	if (!ranged) {
		start = 0;
		end = -1;
	}
	if (end < 0 || end >= f.size)
		end = f.size - 1;
	if (ranged && start >= f.size) {
		heph_error_set(HEPH_EINVALID, "range starts past the snapshot's %" PRId64 " bytes", f.size);
		*status = MHD_HTTP_RANGE_NOT_SATISFIABLE;
		return HEPH_EINVALID;
	}
	if ((fd = open(f.path, O_RDONLY | O_CLOEXEC)) < 0) {
		err = heph_error_set(HEPH_ERROR, "cannot open the snapshot: %s", strerror(errno));
		goto fail;
	}
	if (!(r = MHD_create_response_from_fd_at_offset64((uint64_t)(end - start + 1), fd, (uint64_t)start))) {
		close(fd);
		err = heph_error_set(HEPH_ERROR, "cannot send the snapshot");
		goto fail;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/vnd.heph.snapshot");
	MHD_add_response_header(r, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	snprintf(text, sizeof text, "\"%s\"", f.sha);
	MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, text);
	snprintf(text, sizeof text, "%d", HEPH_SNAPSHOT_FORMAT);
	MHD_add_response_header(r, "Heph-Snapshot-Format", text);
	snprintf(text, sizeof text, "%" PRId64, f.seq);
	MHD_add_response_header(r, "Heph-Snapshot-Seq", text);
	snprintf(text, sizeof text, "%" PRId64, f.size);
	MHD_add_response_header(r, "Heph-Snapshot-Size", text);
	MHD_add_response_header(r, "Heph-Snapshot-Sha256", f.sha);
	MHD_add_response_header(r, "Heph-Snapshot-Hub", hub);
	if (ranged) {
		snprintf(text, sizeof text, "bytes %" PRId64 "-%" PRId64 "/%" PRId64, start, end, f.size);
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, text);
	}
	*status = ranged ? MHD_HTTP_PARTIAL_CONTENT : MHD_HTTP_OK;
	*out = r;
	return 0;
fail:
	*status = 0;
	return err;
}
