/* sync.c — a spoke's sync cycle: pull and merge every page after the pull
 * cursor, then push what waits, batch by batch, each step committed before
 * the next, so a cycle cut short anywhere resumes where it stopped. The
 * store side (cursors, pages, bodies) is libheph's heph/sync.h. */
#include "net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heph/error.h"
#include "heph/fleet.h"
#include "heph/sync.h"

static int pull(heph_store *s, net_client *c, int limit, int64_t *pulled, int64_t *head)
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
again:
	if ((err = net_client_new(hub->url, token, &c))) {
		free(login);
		return failed(s, started, err, 0, 0, NULL);
	}
	err = pull(s, c, batch ? batch : HEPH_SYNC_PULL_LIMIT, &pulled, &head);
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
		if ((err = net_login_bearer(hub->url, 1, &login)))
			return failed(s, started, err, pulled, pushed, "provider");
		token = login;
		goto again;
	}
	if (login) {
		explicit_bzero(login, strlen(login));
		free(login);
	}
	if (err)
		return failed(s, started, err, pulled, pushed, NULL);
	if ((err = heph_sync_record(s, started, 0, NULL, pulled, pushed)) || (err = heph_sync_pending(s, &pending)))
		return err;
	if (result)
		*result = json_pack("{s:s, s:I, s:I, s:I, s:I}", "hub", hub->url, "pulled", (json_int_t)pulled, "pushed",
				    (json_int_t)pushed, "head", (json_int_t)head, "pending_push", (json_int_t)pending);
	return 0;
}
