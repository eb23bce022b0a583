/* sync.c — a spoke's sync cycle: pull and merge every page after the pull
 * cursor, then push what waits, batch by batch, each step committed before
 * the next, so a cycle cut short anywhere resumes where it stopped. The
 * store side (cursors, pages, bodies) is libheph's heph/sync.h.
 *
 * A spoke whose pull cursor is 0 first asks the hub's head (a pull of one
 * op, not taken), and so does one whose first page made it start over (it
 * met another hub at its address, or one that lost ops it had pulled). When the hub holds more than HEPH_SYNC_SNAPSHOT_MIN ops
 * (or any, with HEPH_SYNC_SNAPSHOT=always) it downloads the hub's snapshot
 * to DB.snapshot beside the database, resuming a cut download (Range, and
 * If-Range with the ETag kept in DB.snapshot.etag, so that a cut in one
 * cycle resumes in the next), checks the hub's SHA-256 of it, installs it
 * (heph_sync_snapshot_install) and pulls the rest from its seq. A hub
 * without snapshots (404), of another protocol, format, schema or feature
 * level leaves the op-log pull, and so does an install that gives way to
 * another process writing to the database meanwhile (a local change, or
 * another sync that met a new hub and pulls from 0); a snapshot that fails
 * its digest or is not a heph snapshot fails the cycle and changes nothing.
 *
 * One download per database at a time: DB.snapshot is locked (flock) while
 * a sync downloads and installs it, so a second sync of the same database
 * (hephd's and a command's, or two commands) waits, and then finds the
 * replica joined and pulls from its cursor. */
#include "net.h"

#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "heph/error.h"
#include "heph/fleet.h"
#include "heph/sync.h"

/* Pull and take every page after the cursor. over (may be NULL): when the
 * spoke starts over (another hub, or one that lost ops it had pulled), set
 * it and return at once, so that the caller can join that hub as a new
 * spoke would (bootstrap) rather than replay its whole log. */
static int pull(heph_store *s, net_client *c, int limit, int64_t *pulled, int64_t *head, int *over)
{
	int resets = 0, err;
	char what[512];
	snprintf(what, sizeof what, "hub %s", net_client_url(c));
	for (;;) {
		int64_t after;
		char *path = NULL, *report = NULL;
		struct net_reply r;
		heph_sync_page page;
		/* Every request carries this node's report (heph/fleet.h). */
		if ((err = heph_sync_pull_cursor(s, &after)) || (err = heph_fleet_self_query(s, &report)))
			return err;
		if (asprintf(&path, "/sync/pull?protocol=%d&after=%lld&limit=%d%s", HEPH_SYNC_PROTOCOL, (long long)after,
			     limit, report) < 0)
			abort();
		free(report);
		err = net_client_request(c, "GET", path, NULL, 0, &r);
		free(path);
		if (err)
			return err;
		if (r.status != 200) {
			err = net_reply_error(&r, what);
			net_reply_free(&r);
			return err;
		}
		err = heph_sync_take_page(s, after, r.body, r.len, &page);
		net_reply_free(&r);
		if (err)
			return err;
		*pulled += page.added;
		*head = page.head;
		if (page.reset) {
			if (over) {
				*over = 1;
				return 0;
			}
			if (++resets > 2)
				return heph_error_set(HEPH_ERROR, "%s keeps changing its identity or history", what);
			continue;
		}
		if (!page.more)
			return 0;
	}
}

static int push(heph_store *s, net_client *c, int limit, int64_t *pushed)
{
	char what[512];
	snprintf(what, sizeof what, "hub %s", net_client_url(c));
	for (;;) {
		char *body;
		size_t len;
		int count, err;
		int64_t after, last;
		struct net_reply r;
		if ((err = heph_sync_push_body(s, limit, HEPH_SYNC_PUSH_BYTES, &body, &len, &count, &after, &last)))
			return err;
		if (count == 0)
			return 0;
		err = net_client_request(c, "POST", "/sync/push", body, len, &r);
		free(body);
		if (err)
			return err;
		if (r.status == 413 && count > 1) {
			/* This hub takes smaller bodies: halve and go on. */
			net_reply_free(&r);
			limit = count / 2;
			continue;
		}
		if (r.status != 200) {
			err = net_reply_error(&r, what);
			net_reply_free(&r);
			return err;
		}
		err = heph_sync_pushed(s, r.body, r.len, after, last);
		net_reply_free(&r);
		if (err)
			return err;
		*pushed += count;
	}
}

int net_snapshot_mode_env(enum net_snapshot_mode *out)
{
	const char *v = getenv("HEPH_SYNC_SNAPSHOT");
	*out = NET_SNAPSHOT_AUTO;
	if (!v || !*v || strcmp(v, "auto") == 0)
		return 0;
	if (strcmp(v, "always") == 0)
		*out = NET_SNAPSHOT_ALWAYS;
	else if (strcmp(v, "never") == 0)
		*out = NET_SNAPSHOT_NEVER;
	else
		return heph_error_set(HEPH_EUSAGE, "HEPH_SYNC_SNAPSHOT is auto, always or never, not \"%.40s\"", v);
	return 0;
}

#define SNAPSHOT_TRIES 8 /* downloads of one snapshot in one cycle, each resuming the last */

/* The hub's head and id, from a pull of one op that is not taken; 0 with
 * *head -1 when the hub answers anything but a page (the pull says why). */
static int hub_head(net_client *c, int64_t *head, char hub[HEPH_ORIGIN_LEN + 1])
{
	struct net_reply r;
	char path[96];
	int err;
	*head = -1;
	snprintf(path, sizeof path, "/sync/pull?protocol=%d&after=0&limit=1", HEPH_SYNC_PROTOCOL);
	if ((err = net_client_request(c, "GET", path, NULL, 0, &r)))
		return err;
	json_t *page = r.status == 200 ? json_loadb(r.body, r.len, 0, NULL) : NULL;
	const char *id = json_string_value(json_object_get(page, "hub"));
	json_t *h = json_object_get(page, "head");
	if (id && heph_origin_valid(id) && json_is_integer(h)) {
		*head = json_integer_value(h);
		snprintf(hub, HEPH_ORIGIN_LEN + 1, "%s", id);
	}
	json_decref(page);
	net_reply_free(&r);
	return 0;
}

static void drop_files(const char *part, const char *etag)
{
	unlink(part);
	unlink(etag);
}

/* Open DB.snapshot locked for this process. download: make the file if
 * need be and wait until another sync's download ends; else only a file
 * that is there and no sync holds (*fd is -1 otherwise). A lock taken on a
 * file that the holder before us removed is taken again on the file now at
 * the path. */
static int lock_part(const char *part, int download, int *fd)
{
	*fd = -1;
	for (;;) {
		struct stat held, now;
		int f = open(part, O_RDWR | O_CLOEXEC | (download ? O_CREAT : 0), 0600);
		if (f < 0) {
			if (errno == ENOENT && !download)
				return 0;
			return heph_error_set(HEPH_ERROR, "cannot open %s: %s", part, strerror(errno));
		}
		if (flock(f, LOCK_EX | (download ? 0 : LOCK_NB)) != 0) {
			int e = errno;
			close(f);
			if (e == EWOULDBLOCK)
				return 0;
			return heph_error_set(HEPH_ERROR, "cannot lock %s: %s", part, strerror(e));
		}
		if (fstat(f, &held) == 0 && stat(part, &now) == 0 && held.st_dev == now.st_dev &&
		    held.st_ino == now.st_ino) {
			*fd = f;
			return 0;
		}
		close(f);
		if (!download)
			return 0;
	}
}

/* The ETag and hub a cut download was of (from a cycle before): 1 when the
 * file names this hub. */
static int read_etag(const char *file, const char *hub, char *etag, size_t n)
{
	char line[256] = "";
	FILE *f = fopen(file, "r");
	if (!f)
		return 0;
	if (!fgets(line, sizeof line, f))
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	char *sp = strchr(line, ' ');
	if (!sp || (size_t)(sp - line) != strlen(hub) || strncmp(line, hub, strlen(hub)) != 0)
		return 0;
	snprintf(etag, n, "%s", sp + 1);
	return etag[0] != '\0';
}

static int write_etag(const char *file, const char *hub, const char *etag)
{
	FILE *f = fopen(file, "w");
	if (!f)
		return heph_error_set(HEPH_ERROR, "cannot write %s: %s", file, strerror(errno));
	fprintf(f, "%s %s\n", hub, etag);
	return fclose(f) == 0 ? 0 : heph_error_set(HEPH_ERROR, "cannot write %s: %s", file, strerror(errno));
}

/* Start from the hub's snapshot when the pull cursor is 0 and the hub is
 * far ahead. *took: the snapshot's seq when one was installed (else 0);
 * *note: why none was, when the hub offered one we could not take
 * (malloc'd, or NULL). */
static int bootstrap(heph_store *s, net_client *c, enum net_snapshot_mode mode, int64_t *pulled, int64_t *took,
		     char **note)
{
	char hub[HEPH_ORIGIN_LEN + 1] = "", etag[80] = "", what[512], *part = NULL, *etag_file = NULL;
	int64_t cursor, head, offset = 0;
	struct net_download dl = { 0 };
	heph_sync_snapshot_result res;
	int err = 0, fd = -1, tries = 0;
	*took = 0;
	*note = NULL;
	if ((err = heph_sync_pull_cursor(s, &cursor)))
		return err;
	if (asprintf(&part, "%s.snapshot", heph_store_path(s)) < 0 || asprintf(&etag_file, "%s.snapshot.etag", heph_store_path(s)) < 0)
		abort();
	if (cursor != 0) {
		/* joined: a download left by a sync killed between the install
		 * and its clean-up is of no more use (unless another sync is
		 * downloading into it: a replica that starts over) */
		if (!(err = lock_part(part, 0, &fd)) && fd >= 0)
			drop_files(part, etag_file);
		goto out;
	}
	if (mode == NET_SNAPSHOT_NEVER || (err = hub_head(c, &head, hub)) || head <= 0 ||
	    (mode == NET_SNAPSHOT_AUTO && head <= HEPH_SYNC_SNAPSHOT_MIN))
		goto out;
	snprintf(what, sizeof what, "hub %s", net_client_url(c));
	if ((err = lock_part(part, 1, &fd)))
		goto out;
	/* the sync we waited for may have joined */
	if ((err = heph_sync_pull_cursor(s, &cursor)))
		goto out;
	if (cursor != 0) {
		drop_files(part, etag_file);
		goto out;
	}
	if (read_etag(etag_file, hub, etag, sizeof etag)) {
		struct stat st;
		if (fstat(fd, &st) == 0)
			offset = st.st_size;
	}
	for (;;) {
		struct net_reply r;
		char path[64];
		snprintf(path, sizeof path, "/sync/snapshot?protocol=%d", HEPH_SYNC_PROTOCOL);
		err = net_client_download(c, path, fd, offset, etag[0] ? etag : NULL, &dl, &r);
		if ((!err || err == HEPH_EUNAVAIL) && (dl.status == 200 || dl.status == 206) && dl.etag[0] &&
		    strcmp(dl.etag, etag) != 0) {
			int werr;
			snprintf(etag, sizeof etag, "%s", dl.etag);
			if ((werr = write_etag(etag_file, hub, etag))) {
				err = werr;
				goto out;
			}
		}
		if (!err && (dl.status == 200 || dl.status == 206) &&
		    !(dl.format == 0 && dl.got > 0) &&
		    (dl.format == 0 || !dl.sha[0] || dl.size <= 0 || (dl.status == 206 ? offset : 0) + dl.got != dl.size)) {
			/* an answer cut in its headers, which libcurl may take
			 * for a whole one, or one shorter than its file */
			err = heph_error_set(HEPH_EUNAVAIL, "%s cut the snapshot's download short", what);
			dl.cut = 1;
		}
		if (err == HEPH_EUNAVAIL && (dl.got > 0 || dl.cut) && ++tries < SNAPSHOT_TRIES) {
			/* cut short: ask for the rest */
			offset = (dl.status == 206 ? offset : 0) + dl.got;
			continue;
		}
		if (err)
			goto out;
		if (dl.status != 200 && dl.status != 206) {
			int code = net_reply_error(&r, what);
			net_reply_free(&r);
			if (dl.status == 401 || dl.status == 403 || dl.status >= 500) {
				err = code;
				goto out;
			}
			/* 404: a hub without snapshots; 426, 400: another protocol */
			heph_error_clear();
			drop_files(part, etag_file);
			goto out;
		}
		net_reply_free(&r);
		break;
	}
	{
		char sha[65];
		int64_t size;
		if (dl.format == 0) {
			/* a 200 without the snapshot's headers: not a hub's
			 * snapshot (an older hub's web app answers any path) */
			if (asprintf(note, "%s answered /sync/snapshot without a snapshot, so it pulled the op-log", what) < 0)
				abort();
			drop_files(part, etag_file);
			goto out;
		}
		if (dl.format != HEPH_SNAPSHOT_FORMAT) {
			if (asprintf(note, "%s offered a snapshot of format %lld; this heph reads format %d, so it pulled "
					   "the op-log", what, (long long)dl.format, HEPH_SNAPSHOT_FORMAT) < 0)
				abort();
			drop_files(part, etag_file);
			goto out;
		}
		if ((err = heph_sync_snapshot_digest(part, sha, &size)))
			goto out;
		if (strcmp(sha, dl.sha) != 0 || (dl.size && size != dl.size)) {
			err = heph_error_set(HEPH_EINVALID, "%s sent a snapshot that fails its digest check (%lld bytes, SHA-256 "
					     "%.16s..., the hub stated %.16s...); nothing was changed", what, (long long)size, sha,
					     dl.sha[0] ? dl.sha : "none");
			drop_files(part, etag_file);
			goto out;
		}
	}
	/* fd stays open, and the file locked, until the install is done and
	 * the files are removed */
	err = heph_sync_snapshot_install(s, part, hub, &res);
	drop_files(part, etag_file);
	if (err == HEPH_EPROTOCOL || err == HEPH_EUNAVAIL) {
		/* another schema or feature level: replay the op-log; another
		 * process wrote to the database meanwhile (a local change, or a
		 * sync that started over and pulls): the install gave way and
		 * changed nothing, so pull from where the cursor is now */
		if (asprintf(note, err == HEPH_EUNAVAIL ? "%s, so it pulled the op-log" : "%s", heph_error_last()) < 0)
			abort();
		heph_error_clear();
		err = 0;
		goto out;
	}
	if (err)
		goto out;
	*took = res.seq;
	*pulled += res.ops;
out:
	if (fd >= 0)
		close(fd);
	free(part);
	free(etag_file);
	return err;
}

/* Record a failed cycle and keep its message for the caller. from:
 * "provider" when the identity provider failed us, NULL for the hub. */
static int failed(heph_store *s, int64_t started, int err, int64_t pulled, int64_t pushed, const char *from)
{
	char msg[1024];
	snprintf(msg, sizeof msg, "%s", heph_error_last());
	heph_sync_record(s, started, err, msg, pulled, pushed);
	if (from)
		heph_sync_note_source(s, from);
	heph_error_set(err, "%s", msg); /* keep the sync error, not the record's */
	return err;
}

int net_sync_run(heph_store *s, const struct net_hub *hub, const struct net_sync_opts *o, json_t **result)
{
	int64_t started = heph_store_now_ms(s), pulled = 0, pushed = 0, head = 0, pending = 0;
	int batch = o && o->batch > 0 ? o->batch : 0;
	net_client *c = NULL;
	char *login = NULL; /* the access token of heph auth login, when no token file is set */
	const char *token = hub->token;
	int err, retried = 0;
	enum net_snapshot_mode mode = o ? o->snapshot : NET_SNAPSHOT_ENV;
	int64_t took = 0;     /* the seq of the snapshot installed, or 0 */
	char *note = NULL;    /* why the hub's snapshot was not taken */
	if (result)
		*result = NULL;
	if (!token) {
		err = net_login_bearer(hub->url, 0, &login);
		if (err == HEPH_ENOTFOUND)
			heph_error_clear(); /* no login either: the hub says what it wants */
		else if (err)
			return failed(s, started, err, 0, 0, "provider");
		token = login;
	}
	if (mode == NET_SNAPSHOT_ENV && (err = net_snapshot_mode_env(&mode))) {
		free(login);
		return err;
	}
again:
	if ((err = net_client_new(hub->url, token, &c))) {
		free(login);
		return failed(s, started, err, 0, 0, NULL);
	}
	free(note);
	note = NULL;
	err = bootstrap(s, c, mode, &pulled, &took, &note);
	int over = 0, pull_limit = batch ? batch : HEPH_SYNC_PULL_LIMIT;
	if (!err)
		err = pull(s, c, pull_limit, &pulled, &head, took ? NULL : &over);
	if (!err && over) {
		/* it started over: join the hub as a new spoke would, from its
		 * snapshot when it is far ahead */
		free(note);
		note = NULL;
		err = bootstrap(s, c, mode, &pulled, &took, &note);
		if (!err)
			err = pull(s, c, pull_limit, &pulled, &head, NULL);
	}
	if (!err)
		err = push(s, c, batch ? batch : HEPH_SYNC_PUSH_LIMIT, &pushed);
	net_client_free(c);
	c = NULL;
	if (err == HEPH_EAUTH && login && !retried) {
		/* The hub refused the login's access token (revoked, or the
		 * clocks disagree): renew it once and try again. */
		retried = 1;
		free(login);
		login = NULL;
		if ((err = net_login_bearer(hub->url, 1, &login))) {
			free(note);
			return failed(s, started, err, pulled, pushed, "provider");
		}
		token = login;
		goto again;
	}
	if (login) {
		explicit_bzero(login, strlen(login));
		free(login);
	}
	if (err) {
		free(note);
		return failed(s, started, err, pulled, pushed, NULL);
	}
	if ((err = heph_sync_record(s, started, 0, NULL, pulled, pushed)) || (err = heph_sync_pending(s, &pending))) {
		free(note);
		return err;
	}
	if (result) {
		*result = json_pack("{s:s, s:I, s:I, s:I, s:I}", "hub", hub->url, "pulled", (json_int_t)pulled, "pushed",
				    (json_int_t)pushed, "head", (json_int_t)head, "pending_push", (json_int_t)pending);
		if (took) /* json_object_set_new steals the new values */
			json_object_set_new(*result, "snapshot", json_integer(took));
		if (note)
			json_object_set_new(*result, "snapshot_refused", json_string(note));
	}
	free(note);
	return 0;
}
