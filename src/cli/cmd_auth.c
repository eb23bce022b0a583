/* cmd_auth.c — `heph auth login|status|logout`: logging in to a hub through
 * the identity provider it trusts (the device-code flow, login.c), seeing
 * who is logged in until when, and forgetting it. The hub is --hub-url URL,
 * else the hub of this database (heph hub set). heph sync, heph --remote and
 * hephd use the login for a hub that has no token file. */
#include "cli.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "heph/sync.h"

/* The hub: --hub-url, else this database's. argv may hold only that. */
static int hub_arg(struct cli *cli, const char *verb, int argc, char **argv, char **url, int need)
{
	json_t *params;
	int err;
	*url = NULL;
	if ((err = cli_params(cli, argc, argv, &params)))
		return err;
	if (json_is_string(json_object_get(params, "hub_url")))
		*url = strdup(json_string_value(json_object_get(params, "hub_url")));
	json_decref(params);
	if (*url) {
		if (strncmp(*url, "http://", 7) != 0 && strncmp(*url, "https://", 8) != 0) {
			int err = heph_error_set(HEPH_EUSAGE, "--hub-url wants http://HOST:PORT or https://..., not \"%s\"", *url);
			free(*url);
			*url = NULL;
			return err;
		}
		return 0;
	}
	if (cli->remote) {
		*url = strdup(cli->remote);
		return 0;
	}
	err = cli_store(cli);
	if (!err)
		err = heph_store_setting_get(cli->store, HEPH_SETTING_HUB_URL, url);
	if (!err && !*url && need)
		err = heph_error_set(HEPH_EUSAGE, "which hub? heph auth %s --hub-url URL (or heph hub set URL first)", verb);
	return err;
}

static void iso(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

struct show_ctx {
	struct cli *cli;
	const char *hub;
};

static void show_code(void *ctx, const char *uri, const char *complete, const char *code, int expires_in)
{
	struct show_ctx *sc = ctx;
	FILE *f = sc->cli->out;
	if (sc->cli->json) {
		json_t *j = json_pack("{s:s, s:s, s:s?, s:i}", "verification_uri", uri, "user_code", code,
				      "verification_uri_complete", complete, "expires_in", expires_in);
		print_json(sc->cli, j);
		json_decref(j);
	} else {
		fprintf(f, "To log in to %s, open this page in a browser:\n  %s\nand enter the code:  %s\n", sc->hub, uri, code);
		if (complete)
			fprintf(f, "(or open %s)\n", complete);
		fprintf(f, "The code is good for %d minutes. Waiting for the identity provider...\n", (expires_in + 59) / 60);
	}
	/* the person must see the code now: the terminal stream writes into
	 * standard output's buffer, which a pipe keeps until it is flushed */
	fflush(f);
	fflush(sc->cli->raw);
}

static void note(void *ctx, const char *text)
{
	struct show_ctx *sc = ctx;
	fprintf(stderr, "heph: %s\n", text);
	(void)sc;
}

static int auth_login(struct cli *cli, int argc, char **argv)
{
	char *url = NULL, when[64];
	json_t *r = NULL, *info = NULL;
	net_client *c = NULL;
	char *tok = NULL;
	int err;
	if ((err = hub_arg(cli, "login", argc, argv, &url, 1)))
		return err;
	struct show_ctx sc = { cli, url };
	struct net_login_ui ui = { &sc, show_code, note };
	if ((err = net_login_device(url, &ui, &r)))
		goto out;
	/* Does the hub take this identity? */
	if (!(err = net_login_bearer(url, 0, &tok)) && !(err = net_client_new(url, tok, &c)))
		err = net_rpc_call(c, "store.info", NULL, &info);
	const char *who = json_string_value(json_object_get(r, "name"));
	const char *sub = json_string_value(json_object_get(r, "sub"));
	if (cli->json) {
		json_object_set_new(r, "hub_accepts", json_boolean(err == 0));
		if (err)
			json_object_set_new(r, "hub_error", json_string(heph_error_last()));
		print_json(cli, r);
	} else {
		iso((int64_t)json_integer_value(json_object_get(r, "expires_at")), when, sizeof when);
		fprintf(cli->out, "Logged in to %s as %s%s%s%s.\n", url, who ? who : sub ? sub : "(unknown)",
			who && sub ? " (sub " : "", who && sub ? sub : "", who && sub ? ")" : "");
		fprintf(cli->out, "The access token is valid until %s%s.\n", when,
			json_is_true(json_object_get(r, "refresh")) ? " and is renewed automatically"
								     : "; the provider gave no refresh token, so log in again then");
		if (json_is_string(json_object_get(r, "refresh_saved_by")))
			fprintf(cli->out, "The refresh token was handed to `%s`, not kept in a file.\n",
				json_string_value(json_object_get(r, "refresh_saved_by")));
	}
	if (err == HEPH_EFORBIDDEN)
		heph_error_wrap(err, "logged in, but the hub refuses this identity: ");
	else if (err)
		heph_error_wrap(err, "logged in, but the hub did not take the token: ");
out:
	json_decref(r);
	json_decref(info);
	net_client_free(c);
	free(tok);
	free(url);
	return err;
}

static json_t *describe(const char *hub, json_t *e, const char *file)
{
	int64_t exp = (int64_t)json_integer_value(json_object_get(e, "expires_at"));
	char when[64], cmd[2300];
	iso(exp, when, sizeof when);
	snprintf(cmd, sizeof cmd, "heph auth login --hub-url %s", hub);
	json_t *j = json_pack("{s:s, s:b, s:s, s:s}", "hub", hub, "logged_in", e != NULL, "file", file, "login_command", cmd);
	if (!e)
		return j;
	json_object_set(j, "sub", json_object_get(e, "sub"));
	json_object_set(j, "name", json_object_get(e, "name"));
	json_object_set(j, "issuer", json_object_get(e, "issuer"));
	json_object_set(j, "client_id", json_object_get(e, "client_id"));
	json_object_set_new(j, "expires_at", json_string(when));
	json_object_set_new(j, "expired", json_boolean(exp <= (int64_t)time(NULL)));
	int via_cmd = json_is_true(json_object_get(e, "refresh_token_cmd"));
	json_object_set_new(j, "refresh", json_boolean(json_is_string(json_object_get(e, "refresh_token")) || via_cmd));
	char *save = NULL;
	if (via_cmd && net_token_save_cmd_get(hub, &save) == 0 && save)
		json_object_set_new(j, "refresh_saved_by", json_string(save));
	free(save);
	return j;
}

static void print_one(struct cli *cli, json_t *d)
{
	FILE *f = cli->out;
	const char *s;
	fprintf(f, "hub        %s\n", json_string_value(json_object_get(d, "hub")));
	if (!json_is_true(json_object_get(d, "logged_in"))) {
		fprintf(f, "identity   not logged in\n");
	} else {
		const char *name = json_string_value(json_object_get(d, "name"));
		const char *sub = json_string_value(json_object_get(d, "sub"));
		fprintf(f, "identity   %s%s%s%s\n", name ? name : sub ? sub : "unknown", name && sub ? " (sub " : "",
			name && sub ? sub : "", name && sub ? ")" : "");
		if ((s = json_string_value(json_object_get(d, "issuer"))))
			fprintf(f, "provider   %s (client %s)\n", s, json_string_value(json_object_get(d, "client_id")));
		int refresh = json_is_true(json_object_get(d, "refresh"));
		fprintf(f, "access     %s %s%s\n", json_is_true(json_object_get(d, "expired")) ? "expired at" : "valid until",
			json_string_value(json_object_get(d, "expires_at")),
			refresh ? " (renewed automatically with the refresh token)" : " (no refresh token: log in again then)");
		if ((s = json_string_value(json_object_get(d, "refresh_saved_by"))))
			fprintf(f, "refresh    kept by a command: saved with `%s`, read with the hub's --token-cmd\n", s);
	}
	fprintf(f, "kept in    %s\n", json_string_value(json_object_get(d, "file")));
	fprintf(f, "log in     %s\n", json_string_value(json_object_get(d, "login_command")));
}

static int auth_status(struct cli *cli, int argc, char **argv)
{
	char *url = NULL, file[PATH_MAX];
	json_t *e = NULL, *out;
	int err;
	if ((err = hub_arg(cli, "status", argc, argv, &url, 0)) || (err = net_login_path(file, sizeof file))) {
		free(url);
		return err;
	}
	if (!url) {
		/* No hub named: every login this device keeps. */
		json_t *all = NULL, *v;
		const char *k;
		if ((err = net_login_list(&all)))
			return err;
		out = json_array();
		json_object_foreach(all, k, v) json_array_append_new(out, describe(k, v, file));
		json_decref(all);
		if (cli->json) {
			print_json(cli, out);
		} else if (json_array_size(out) == 0) {
			fprintf(cli->out, "not logged in anywhere (heph auth login --hub-url URL)\n");
		} else {
			size_t i;
			json_t *d;
			json_array_foreach(out, i, d) {
				if (i)
					fputc('\n', cli->out);
				print_one(cli, d);
			}
		}
		json_decref(out);
		return 0;
	}
	err = net_login_get(url, &e);
	if (err && err != HEPH_ENOTFOUND) {
		free(url);
		return err;
	}
	out = describe(json_string_value(json_object_get(e, "hub")) ? json_string_value(json_object_get(e, "hub")) : url, e, file);
	if (cli->json)
		print_json(cli, out);
	else
		print_one(cli, out);
	err = e ? 0 : heph_error_set(HEPH_EAUTH, "not logged in to %s: %s", url, json_string_value(json_object_get(out, "login_command")));
	json_decref(out);
	json_decref(e);
	free(url);
	return err;
}

static int auth_logout(struct cli *cli, int argc, char **argv)
{
	char *url = NULL;
	int had = 0, revoked = 0, err;
	if ((err = hub_arg(cli, "logout", argc, argv, &url, 1)))
		return err;
	if (!(err = net_login_forget(url, &had, &revoked))) {
		if (cli->json) {
			json_t *j = json_pack("{s:s, s:b, s:b}", "hub", url, "forgotten", had, "revoked", revoked);
			print_json(cli, j);
			json_decref(j);
		} else if (had) {
			fprintf(cli->out, "logged out of %s: its tokens are forgotten%s\n", url,
				revoked ? " and the provider revoked the refresh token" : "");
		} else {
			fprintf(cli->out, "not logged in to %s: nothing to forget\n", url);
		}
	}
	free(url);
	return err;
}

int cmd_auth_login(struct cli *cli, int argc, char **argv) { return auth_login(cli, argc, argv); }
int cmd_auth_status(struct cli *cli, int argc, char **argv) { return auth_status(cli, argc, argv); }
int cmd_auth_logout(struct cli *cli, int argc, char **argv) { return auth_logout(cli, argc, argv); }
