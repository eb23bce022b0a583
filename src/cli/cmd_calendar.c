/* cmd_calendar.c — `heph calendar url|revoke|alarms`: the calendar feed a
 * hub serves its owner (heph/calendar.h), asked of that hub.
 *
 * The hub is --remote URL, else the hub this database syncs with (heph hub
 * set), with the same credential sync uses. Without either, url and revoke
 * are refused (a database that no hub serves has no feed to subscribe to)
 * and alarms works on this database, whose settings `heph export --ical`
 * uses.
 *
 * The hub keeps only the hash of the feed's secret, so it shows the URL
 * once, when it makes it. heph keeps that URL in the credentials file
 * ($XDG_CONFIG_HOME/heph/credentials.json, mode 0600) under calendar_urls,
 * by hub URL, and prints it from there afterwards; a device that did not
 * make it can only make a new one (--new).
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#define URLS "calendar_urls" /* the credentials file's section */

/* Call method on the hub of this database (or --remote); *hub_url gets its
 * URL (malloc'd), NULL when there is none and the call ran on this
 * database (local set). */
static int hub_call(struct cli *cli, const char *method, json_t *params, int local, char **hub_url, json_t **r)
{
	struct net_hub hub;
	net_client *c = NULL;
	char *token = NULL;
	int err;
	*hub_url = NULL;
	*r = NULL;
	if (cli->remote) {
		if (!(*hub_url = strdup(cli->remote)))
			abort();
		for (size_t n = strlen(*hub_url); n > 0 && (*hub_url)[n - 1] == '/'; n--)
			(*hub_url)[n - 1] = '\0';
		return cli_call(cli, method, params, r);
	}
	if ((err = cli_store(cli)))
		return err;
	err = net_hub_load(cli->store, NULL, NULL, &hub);
	if (err == HEPH_EUSAGE) {
		if (local)
			return cli_call(cli, method, params, r);
		return heph_error_set(HEPH_EUSAGE, "no hub is set for this database: the calendar feed is served by a "
				      "hub (heph hub set URL first, or heph --remote URL calendar ...)");
	}
	if (err)
		return err;
	if (!hub.token && (err = net_login_bearer(hub.url, 0, &token)) && err != HEPH_ENOTFOUND)
		goto out;
	if ((err = net_client_new(hub.url, hub.token ? hub.token : token, &c)) == 0)
		err = net_rpc_call(c, method, params, r);
	if (err == HEPH_ENOTFOUND && strstr(heph_error_last(), method))
		err = heph_error_set(HEPH_ENOTFOUND, "the hub at %s serves no calendar feed: it runs a heph from before "
				     "calendar feeds; upgrade it", hub.url);
	if (!err && !(*hub_url = strdup(hub.url)))
		abort();
out:
	if (token) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	net_client_free(c);
	net_hub_free(&hub);
	return err;
}

static int calendar_url(struct cli *cli, json_t *params)
{
	char *hub = NULL, *url = NULL;
	json_t *r = NULL;
	int err;
	if ((err = hub_call(cli, "calendar.url", params, 0, &hub, &r)))
		goto out;
	const char *path = json_string_value(json_object_get(r, "path"));
	const char *when = json_string_value(json_object_get(r, "created_at"));
	int created = json_is_true(json_object_get(r, "created"));
	if (created) {
		if (!path || path[0] != '/') {
			err = heph_error_set(HEPH_EPROTOCOL, "calendar.url answered without the feed's path");
			goto out;
		}
		if (asprintf(&url, "%s%s", hub, path) < 0)
			abort();
		/* kept before it is shown: a URL shown and lost would have to be replaced */
		if ((err = net_cred_set(URLS, hub, url))) {
			heph_error_wrap(err, "the hub made a calendar feed, but its URL could not be kept (heph "
					     "calendar url --new makes another): ");
			goto out;
		}
	} else if ((err = net_cred_get(URLS, hub, &url)) == 0 && !url) {
		err = heph_error_set(HEPH_ENOTFOUND, "the hub at %s has a calendar feed (made %s), but this device does "
				     "not hold its URL: the hub keeps only its hash and shows it once, where it is "
				     "made. heph calendar url --new makes a new URL (the old one stops working)",
				     hub, when ? when : "earlier");
	}
	if (err)
		goto out;
	if (cli->json) {
		json_t *j = json_pack("{s:s, s:s, s:b, s:s?}", "url", url, "hub", hub, "created", created, "created_at", when);
		print_json(cli, j);
		json_decref(j);
	} else {
		fprintf(cli->out, "%s\n", url);
		if (created)
			fprintf(cli->out, "Subscribe to it in your calendar app; whoever has it can read your dated tasks "
					  "(heph calendar revoke ends it).\n");
	}
out:
	if (url) {
		explicit_bzero(url, strlen(url));
		free(url);
	}
	free(hub);
	json_decref(r);
	return err;
}

static int calendar_revoke(struct cli *cli, json_t *params)
{
	char *hub = NULL;
	json_t *r = NULL;
	int err;
	if ((err = hub_call(cli, "calendar.revoke", params, 0, &hub, &r)) == 0 && (err = net_cred_set(URLS, hub, NULL)) == 0) {
		if (cli->json)
			print_json(cli, r);
		else
			fprintf(cli->out, "The calendar feed of %s is revoked: its URL answers 404 from now on (heph "
					  "calendar url makes a new one).\n", hub);
	}
	free(hub);
	json_decref(r);
	return err;
}

static int calendar_alarms(struct cli *cli, json_t *params)
{
	char *hub = NULL;
	json_t *r = NULL;
	int err;
	if ((err = hub_call(cli, "calendar.alarms", params, 1, &hub, &r)) == 0) {
		if (cli->json) {
			print_json(cli, r);
		} else {
			const json_t *att = json_object_get(r, "attention"), *v;
			size_t i;
			fprintf(cli->out, "alarms on the late-on day of ");
			if (json_array_size(att) == 0)
				fprintf(cli->out, "no task (attention none)");
			json_array_foreach(att, i, v) {
				fprintf(cli->out, "%s%s", i ? ", " : "", json_string_value(v));
			}
			fprintf(cli->out, " tasks, ringing %s from the start of that day\n",
				json_string_value(json_object_get(r, "offset")));
			fprintf(cli->out, "(%s)\n", hub ? hub : "this database's, for heph export --ical");
		}
	}
	free(hub);
	json_decref(r);
	return err;
}

int cmd_calendar(struct cli *cli, int argc, char **argv)
{
	json_t *params = NULL;
	int err;
	if ((err = cli_params(cli, argc, argv, &params)))
		return err;
	if (strcmp(cli->verb->name, "calendar url") == 0)
		err = calendar_url(cli, params);
	else if (strcmp(cli->verb->name, "calendar revoke") == 0)
		err = calendar_revoke(cli, params);
	else
		err = calendar_alarms(cli, params);
	json_decref(params);
	return err;
}
