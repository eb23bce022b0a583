/* cmd_sync.c — `heph sync [--status]` and `heph hub set`.
 *
 * heph sync goes through the hephd serving this database when one runs
 * (so that its background sync and ours do not race for the hub), and runs
 * the cycle in-process otherwise. Which hephd serves this database is asked,
 * not assumed: the socket's store.info must name our device origin
 * (cli_daemon_fd, cmd_daemon.c).
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "heph/sync.h"

int cli_sync_now(void *ctx, heph_store *s, json_t **result)
{
	struct cli *cli = ctx;
	struct net_hub hub;
	struct net_sync_opts o = { 0 };
	const char *batch = getenv("HEPH_SYNC_BATCH");
	int err;
	(void)cli;
	if (batch && *batch)
		o.batch = atoi(batch);
	if ((err = net_hub_load(s, NULL, NULL, &hub)))
		return err;
	err = net_sync_run(s, &hub, &o, result);
	net_hub_free(&hub);
	return err;
}

/* Call through the hephd of this database if one runs, else in-process. */
static int call_local(struct cli *cli, const char *method, json_t *params, json_t **result)
{
	int fd = cli_daemon_fd(cli);
	if (fd < 0)
		return cli_call(cli, method, params, result);
	int err = net_socket_call(fd, method, params, result);
	close(fd);
	return err;
}

static const char *s_or(json_t *o, const char *key, const char *dflt)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : dflt;
}

void cli_print_sync_status(struct cli *cli, json_t *r)
{
	FILE *f = cli->out;
	json_t *dm = json_object_get(r, "daemon");
	const char *err = s_or(r, "last_error", NULL);
	const char *hub = s_or(r, "hub", NULL), *tf = s_or(r, "token_file", NULL);
	if (hub)
		fprintf(f, "hub           %s%s%s%s\n", hub, tf ? "  (token " : "", tf ? tf : "", tf ? ")" : "");
	else if (json_is_string(json_object_get(r, "role")))
		fprintf(f, "hub           this is the hub\n");
	else
		fprintf(f, "hub           none (heph hub set URL)\n");
	fprintf(f, "last attempt  %s\n", s_or(r, "last_attempt", "never"));
	fprintf(f, "last success  %s\n", s_or(r, "last_success", "never"));
	if (err) {
		const char *from = s_or(r, "last_error_from", "hub"), *name = s_or(r, "last_error_name", "");
		int auth = json_is_true(json_object_get(r, "auth_failed"));
		const char *why = strcmp(from, "provider") == 0
			? (auth ? "the identity provider rejected us"
				: strcmp(name, "unavailable") == 0 ? "the identity provider is unreachable" : "identity provider")
			: (auth ? "auth failure: the hub refused the credential"
				: strcmp(name, "unavailable") == 0 ? "the hub is unreachable" : NULL);
		fprintf(f, "last error    %s%s%s%s\n", err, why ? "  (" : "", why ? why : "", why ? ")" : "");
	} else
		fprintf(f, "last error    none\n");
	fprintf(f, "to push       %lld ops\n", (long long)json_integer_value(json_object_get(r, "pending_push")));
	fprintf(f, "conflicts     %lld open\n", (long long)json_integer_value(json_object_get(r, "conflicts")));
	json_t *u = json_object_get(r, "unapplied");
	if (json_integer_value(json_object_get(u, "ops")) || json_integer_value(json_object_get(u, "deferred"))) {
		fprintf(f, "not applied\n");
		cli_print_unapplied(f, u, "  ");
	} else {
		fprintf(f, "not applied   none\n");
	}
	if (json_is_object(dm))
		fprintf(f, "daemon        hephd pid %lld, %s, next sync in %lld s\n",
			(long long)json_integer_value(json_object_get(dm, "pid")),
			json_is_true(json_object_get(dm, "running")) ? "syncing now" : "idle",
			(long long)json_integer_value(json_object_get(dm, "next_sync_in")));
	else if (!cli->remote)
		fprintf(f, "daemon        not running (heph daemon start)\n");
}

int cmd_sync(struct cli *cli, int argc, char **argv)
{
	int status, err;
	json_t *r = NULL, *params;
	if ((err = cli_params(cli, argc, argv, &params)))
		return err;
	status = json_is_true(json_object_get(params, "status"));
	json_decref(params);
	if ((err = call_local(cli, status ? "sync.status" : "sync.now", NULL, &r)))
		return err;
	if (cli->json)
		print_json(cli, r);
	else if (status)
		cli_print_sync_status(cli, r);
	else
		fprintf(cli->out, "synced with %s: pulled %lld, pushed %lld\n", s_or(r, "hub", "the hub"),
			(long long)json_integer_value(json_object_get(r, "pulled")),
			(long long)json_integer_value(json_object_get(r, "pushed")));
	json_decref(r);
	return 0;
}

static int hub_set(struct cli *cli, const char *url, const char *tf, const char *tcmd, const char *scmd,
		   const char *name);

/* heph hub set URL: its options come from hub_set_opts (verbs.c), parsed
 * by the one option parser. */
int cmd_hub_set(struct cli *cli, int argc, char **argv)
{
	const char *url, *tf, *name, *tcmd, *scmd;
	json_t *opts;
	int err;
	if ((err = cli_params(cli, argc, argv, &opts)))
		return err;
	url = json_string_value(json_object_get(opts, "url"));
	tf = json_string_value(json_object_get(opts, "token_file"));
	tcmd = json_string_value(json_object_get(opts, "token_cmd"));
	scmd = json_string_value(json_object_get(opts, "token_save_cmd"));
	name = json_string_value(json_object_get(opts, "name"));
	err = hub_set(cli, url, tf, tcmd, scmd, name);
	json_decref(opts);
	return err;
}

static int hub_set(struct cli *cli, const char *url, const char *tf, const char *tcmd, const char *scmd,
		   const char *name)
{
	char abs[PATH_MAX];
	json_t *params, *r = NULL;
	int err;
	if (tf && tcmd)
		return heph_error_set(HEPH_EUSAGE, "hub set: give --token-file or --token-cmd, not both");
	if (tcmd && !tcmd[strspn(tcmd, " \t")])
		return heph_error_set(HEPH_EINVALID, "hub set: --token-cmd is empty (none removes the command)");
	if (scmd && !scmd[strspn(scmd, " \t")])
		return heph_error_set(HEPH_EINVALID, "hub set: --token-save-cmd is empty (none removes the command)");
	int save_on = scmd && strcmp(scmd, "none") != 0;
	if (save_on && tf)
		return heph_error_set(HEPH_EUSAGE, "hub set: --token-save-cmd goes with --token-cmd (the command that "
				      "reads the token back), not with --token-file");
	if (save_on && tcmd && strcmp(tcmd, "none") == 0)
		return heph_error_set(HEPH_EUSAGE, "hub set: --token-save-cmd needs a --token-cmd to read the token "
				      "back, not --token-cmd none");
	if (cli->remote)
		return heph_error_set(HEPH_EUSAGE, "hub set names the hub of this device's database; drop --remote");
	params = json_pack("{s:s}", "url", url);
	if (tf && strcmp(tf, "none") != 0) {
		char *tok = NULL;
		if (tf[0] != '/') {
			char cwd[PATH_MAX];
			if (!getcwd(cwd, sizeof cwd)) {
				json_decref(params);
				return heph_error_set(HEPH_ERROR, "getcwd: %s", strerror(errno));
			}
			snprintf(abs, sizeof abs, "%s/%s", cwd, tf);
			tf = abs;
		}
		/* Refuse a token file that cannot be read now, rather than at the
		 * first sync. */
		if ((err = net_read_token_file(tf, &tok))) {
			json_decref(params);
			return err;
		}
		free(tok);
	}
	/* A save command already kept counts unless this call ends it. */
	char *kept_save = NULL, *kept_cmd = NULL;
	if (!scmd && !tf && !(tcmd && strcmp(tcmd, "none") == 0) &&
	    ((err = net_token_save_cmd_get(url, &kept_save)) != 0)) {
		json_decref(params);
		return err;
	}
	if (save_on && !tcmd) {
		/* the token command kept for the hub reads it back */
		if ((err = net_cred_get("token_cmds", url, &kept_cmd)) == 0 && !kept_cmd)
			err = heph_error_set(HEPH_EUSAGE, "hub set: --token-save-cmd needs --token-cmd CMD, the command "
					     "that reads the token back (e.g. --token-cmd 'pass show heph/laptop' "
					     "--token-save-cmd 'pass insert -m heph/laptop')");
		free(kept_cmd);
		if (err) {
			json_decref(params);
			return err;
		}
	}
	int saves = save_on || kept_save;
	free(kept_save);
	if (tcmd && strcmp(tcmd, "none") != 0 && saves) {
		/* It prints the refresh token the next heph auth login saves:
		 * there may be nothing to print yet. */
		tf = "none";
	} else if (tcmd && strcmp(tcmd, "none") != 0) {
		/* Refuse a command that gives no token now, rather than at the
		 * first sync; it may ask for a passphrase (pass, gpg-agent). */
		char *tok = NULL;
		if ((err = net_run_token_cmd(tcmd, &tok))) {
			json_decref(params);
			return err;
		}
		free(tok);
		tf = "none"; /* the command replaces a token file */
	}
	if (tf)
		json_object_set_new(params, "token_file", json_string(tf));
	if (name)
		json_object_set_new(params, "name", json_string(name));
	err = cli_call(cli, "hub.set", params, &r);
	json_decref(params);
	if (err)
		return err;
	/* The command is kept in the user's credentials file, by hub URL; a
	 * token file set here replaces it. */
	const char *set_url = s_or(r, "hub", NULL);
	if (set_url && (tcmd || (tf && strcmp(tf, "none") != 0)) &&
	    (err = net_token_cmd_set(set_url, tcmd && strcmp(tcmd, "none") != 0 ? tcmd : NULL))) {
		json_decref(r);
		return err;
	}
	/* The save command: set, or ended with --token-save-cmd none, with the
	 * token command (--token-cmd none) or by a token file. */
	if (set_url && (scmd || (tcmd && strcmp(tcmd, "none") == 0) || (tf && strcmp(tf, "none") != 0 && !tcmd)) &&
	    (err = net_token_save_cmd_set(set_url, save_on ? scmd : NULL))) {
		json_decref(r);
		return err;
	}
	if (set_url && tcmd && strcmp(tcmd, "none") != 0)
		json_object_set_new(r, "token_cmd", json_string(tcmd));
	char *now_save = NULL;
	if (set_url && net_token_save_cmd_get(set_url, &now_save) == 0 && now_save)
		json_object_set_new(r, "token_save_cmd", json_string(now_save));
	free(now_save);
	if (cli->json)
		print_json(cli, r);
	else if (json_is_string(json_object_get(r, "hub")))
		fprintf(cli->out, "hub set to %s%s%s%s%s%s%s; this device is \"%s\" in its fleet\n", s_or(r, "hub", ""),
			json_is_string(json_object_get(r, "token_file")) ? ", token from " : "", s_or(r, "token_file", ""),
			json_is_string(json_object_get(r, "token_cmd")) ? ", token from the command " : "",
			s_or(r, "token_cmd", ""),
			json_is_string(json_object_get(r, "token_save_cmd"))
				? "; heph auth login saves its refresh token with the command "
				: "",
			s_or(r, "token_save_cmd", ""), s_or(r, "name", "?"));
	else
		fprintf(cli->out, "no hub: this replica no longer syncs\n");
	json_decref(r);
	return 0;
}
