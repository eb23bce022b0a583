/* login.c — logging in to a hub through its identity provider, and the
 * tokens that keeps: the OAuth device-code flow (RFC 8628) for heph auth
 * login, the refresh of access tokens before they expire, and the
 * credentials file they live in.
 *
 * The file is $XDG_CONFIG_HOME/heph/credentials.json (else
 * ~/.config/heph/credentials.json), mode 0600 in a 0700 directory:
 *   {"version":1,"hubs":{"<hub URL>":{"issuer":..., "client_id":...,
 *     "token_endpoint":..., "sub":..., "name":..., "access_token":...,
 *     "expires_at":<unix s>, "refresh_token":..., "logged_in_at":<unix s>}},
 *   "token_cmds":{"<hub URL>":"pass show heph/laptop"},
 *   "token_save_cmds":{"<hub URL>":"pass insert -m heph/laptop"},
 *   "calendar_urls":{"<hub URL>":"<the feed's URL>"}}
 * With a token save command for a hub, the login's refresh token is not in
 * the file: heph auth login hands it to that command (on standard input)
 * and reads it back with the hub's token command, the entry says
 * "refresh_token_cmd": true, and a renewal reads it with the token command
 * and hands a rotated one to the save command before the file changes.
 * It is replaced whole (a temporary file, fsync, rename), so a reader never
 * sees half of it. Whoever changes it holds an exclusive flock on
 * credentials.lock beside it for the whole read-change-write, a refresh
 * included: the provider may rotate the refresh token (the old one then
 * stops working), so two processes refreshing at once must not both spend
 * the same one. The second to get the lock reads the file again and finds a
 * fresh access token there.
 *
 * Nothing here checks a token's signature: the hub does. The client reads
 * the subject and name out of the tokens it was just given by the provider,
 * to show who is logged in.
 */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "heph/error.h"

#define REFRESH_MARGIN_S 60   /* refresh an access token this close to its expiry */
#define PROVIDER_TIMEOUT_MS 15000

/* ---- the file ---- */

int net_login_path(char *buf, size_t n)
{
	const char *cfg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	if (cfg && *cfg)
		snprintf(buf, n, "%s/heph/credentials.json", cfg);
	else if (home && *home)
		snprintf(buf, n, "%s/.config/heph/credentials.json", home);
	else
		return heph_error_set(HEPH_EUSAGE, "neither XDG_CONFIG_HOME nor HOME is set: nowhere to keep logins");
	return 0;
}

static void norm_url(const char *url, char *out, size_t n)
{
	snprintf(out, n, "%s", url);
	for (size_t l = strlen(out); l > 0 && out[l - 1] == '/'; l--)
		out[l - 1] = '\0';
}

/* The whole file (an empty one when it does not exist yet). */
static int read_file(const char *path, json_t **out)
{
	json_error_t je;
	*out = NULL;
	FILE *f = fopen(path, "r");
	if (!f) {
		if (errno != ENOENT)
			return heph_error_set(HEPH_ERROR, "cannot read %s: %s", path, strerror(errno));
		*out = json_pack("{s:i, s:{}}", "version", 1, "hubs");
		return 0;
	}
	*out = json_loadf(f, 0, &je);
	fclose(f);
	if (!json_is_object(*out) || !json_is_object(json_object_get(*out, "hubs"))) {
		json_decref(*out);
		*out = NULL;
		return heph_error_set(HEPH_EINVALID, "%s is damaged (%s); remove it and log in again", path,
				      je.text[0] ? je.text : "not a credentials file");
	}
	return 0;
}

static int write_file(const char *path, json_t *all)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return heph_error_set(HEPH_ERROR, "cannot write %s: %s", tmp, strerror(errno));
	char *text = json_dumps(all, JSON_INDENT(2) | JSON_SORT_KEYS);
	size_t len = strlen(text), off = 0;
	int ok = 1;
	text[len] = '\n'; /* in place of the NUL: written as one line */
	while (ok && off < len + 1) {
		ssize_t n = write(fd, text + off, len + 1 - off);
		if (n < 0 && errno == EINTR)
			continue;
		ok = n > 0;
		off += n > 0 ? (size_t)n : 0;
	}
	ok = ok && fsync(fd) == 0;
	free(text);
	if (close(fd) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		return heph_error_set(HEPH_ERROR, "cannot write %s: %s", path, strerror(e));
	}
	return 0;
}

/* Take the lock (making the directory if need be); the fd to close. */
static int lock(const char *path, int *fd_out)
{
	char lp[PATH_MAX];
	*fd_out = -1;
	if (heph_mkdirs(path) != 0)
		return heph_error_set(HEPH_ERROR, "cannot make the directory of %s: %s", path, strerror(errno));
	snprintf(lp, sizeof lp, "%.*s/credentials.lock", (int)(strrchr(path, '/') - path), path);
	int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return heph_error_set(HEPH_ERROR, "cannot open %s: %s", lp, strerror(errno));
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			close(fd);
			return heph_error_set(HEPH_ERROR, "cannot lock %s: %s", lp, strerror(errno));
		}
	}
	*fd_out = fd;
	return 0;
}

static void unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

int net_login_get(const char *hub_url, json_t **entry)
{
	char path[PATH_MAX], key[2048];
	json_t *all = NULL;
	int err;
	*entry = NULL;
	if ((err = net_login_path(path, sizeof path)) || (err = read_file(path, &all)))
		return err;
	norm_url(hub_url, key, sizeof key);
	json_t *e = json_object_get(json_object_get(all, "hubs"), key);
	if (e)
		*entry = json_incref(e);
	json_decref(all);
	return e ? 0 : heph_error_set(HEPH_ENOTFOUND, "not logged in to %s (heph auth login --hub-url %s)", key, key);
}

/* Strings kept by hub URL beside the logins, one section each ("token_cmds":
 * {"<hub URL>": "command"}, "calendar_urls", ...); a version that does not
 * know a section leaves it alone. */
int net_cred_get(const char *section, const char *hub_url, char **value)
{
	char path[PATH_MAX], key[2048];
	json_t *all = NULL;
	int err;
	*value = NULL;
	if ((err = net_login_path(path, sizeof path)) || (err = read_file(path, &all)))
		return err;
	norm_url(hub_url, key, sizeof key);
	const char *c = json_string_value(json_object_get(json_object_get(all, section), key));
	if (c && !(*value = strdup(c)))
		abort();
	json_decref(all);
	return 0;
}

int net_cred_set(const char *section, const char *hub_url, const char *value)
{
	char path[PATH_MAX], key[2048];
	json_t *all = NULL;
	int fd = -1, err;
	if ((err = net_login_path(path, sizeof path)) || (err = lock(path, &fd)) || (err = read_file(path, &all)))
		goto out;
	norm_url(hub_url, key, sizeof key);
	json_t *sec = json_object_get(all, section); /* borrowed */
	if (!json_is_object(sec)) {
		if (!value)
			goto out; /* none to remove: nothing to write */
		sec = json_object();
		json_object_set_new(all, section, sec);
	}
	if (value)
		json_object_set_new(sec, key, json_string(value));
	else if (json_object_del(sec, key) != 0)
		goto out;
	err = write_file(path, all);
out:
	json_decref(all);
	unlock(fd);
	return err;
}

#define TOKEN_CMDS "token_cmds"
#define SAVE_CMDS "token_save_cmds"

int net_token_cmd_get(const char *hub_url, char **cmd)
{
	char *save = NULL;
	int err = net_cred_get(SAVE_CMDS, hub_url, &save);
	*cmd = NULL;
	if (err || save) {
		free(save);
		return err; /* the command gives the login's refresh token */
	}
	return net_cred_get(TOKEN_CMDS, hub_url, cmd);
}

int net_token_cmd_set(const char *hub_url, const char *cmd) { return net_cred_set(TOKEN_CMDS, hub_url, cmd); }

int net_token_save_cmd_get(const char *hub_url, char **cmd) { return net_cred_get(SAVE_CMDS, hub_url, cmd); }

int net_token_save_cmd_set(const char *hub_url, const char *cmd) { return net_cred_set(SAVE_CMDS, hub_url, cmd); }

/* The refresh token of a login whose token lives in a password manager:
 * what the hub's token command prints (malloc'd). */
static int refresh_from_cmd(const char *key, char **rt)
{
	char *cmd = NULL;
	int err = net_cred_get(TOKEN_CMDS, key, &cmd);
	*rt = NULL;
	if (!err && !cmd)
		err = heph_error_set(HEPH_EAUTH, "the login to %s keeps its refresh token through a command, but no "
				     "--token-cmd is set to read it back (heph hub set %s --token-cmd CMD "
				     "--token-save-cmd CMD, then heph auth login)", key, key);
	if (!err)
		err = net_run_token_cmd(cmd, rt);
	free(cmd);
	return err;
}

/* Hand a refresh token to the hub's save command; with check, read it back
 * through its token command and compare, so that a login is kept only
 * when the token can be had again. */
static int save_refresh(const char *key, const char *save, const char *rt, int check)
{
	char *back = NULL;
	int err = net_run_save_cmd(save, rt);
	if (!err && check && (err = refresh_from_cmd(key, &back)) == 0 && strcmp(back, rt) != 0)
		err = heph_error_set(HEPH_EAUTH, "the token command does not give back what the token save command "
				     "`%.200s` stored (its first line must be the token)", save);
	if (back) {
		explicit_bzero(back, strlen(back));
		free(back);
	}
	return err;
}

int net_login_list(json_t **hubs)
{
	char path[PATH_MAX];
	json_t *all = NULL;
	int err;
	*hubs = NULL;
	if ((err = net_login_path(path, sizeof path)) || (err = read_file(path, &all)))
		return err;
	*hubs = json_incref(json_object_get(all, "hubs"));
	json_decref(all);
	return 0;
}

static int provider_post(const char *url, const char *form, long *status, json_t **reply);
static const char *str(json_t *o, const char *k);

int net_login_forget(const char *hub_url, int *had, int *revoked)
{
	char path[PATH_MAX], key[2048];
	json_t *all = NULL, *gone = NULL;
	int fd, err;
	*had = *revoked = 0;
	if ((err = net_login_path(path, sizeof path)) || (err = lock(path, &fd)))
		return err;
	norm_url(hub_url, key, sizeof key);
	if (!(err = read_file(path, &all)) && (gone = json_object_get(json_object_get(all, "hubs"), key))) {
		*had = 1;
		json_incref(gone);
		json_object_del(json_object_get(all, "hubs"), key);
		err = write_file(path, all);
	}
	json_decref(all);
	unlock(fd);
	/* Tell the provider too (RFC 7009), when it said where: best effort,
	 * the tokens are gone from this device either way. */
	const char *rev = str(gone, "revocation_endpoint"), *rt = str(gone, "refresh_token"), *cid = str(gone, "client_id");
	char *rt_cmd = NULL;
	if (!err && rev && !rt && cid && json_is_true(json_object_get(gone, "refresh_token_cmd"))) {
		if (refresh_from_cmd(key, &rt_cmd) == 0)
			rt = rt_cmd;
		heph_error_clear(); /* best effort, as the revocation is */
	}
	if (!err && rev && rt && cid) {
		char *e_rt = net_form_escape(rt), *e_cid = net_form_escape(cid), *form;
		long status = 0;
		json_t *r = NULL;
		if (asprintf(&form, "token=%s&token_type_hint=refresh_token&client_id=%s", e_rt, e_cid) < 0)
			abort();
		if (provider_post(rev, form, &status, &r) == 0 || status == 200)
			*revoked = status == 200;
		heph_error_clear();
		json_decref(r);
		free(form);
		free(e_rt);
		free(e_cid);
	}
	if (rt_cmd) {
		explicit_bzero(rt_cmd, strlen(rt_cmd));
		free(rt_cmd);
	}
	json_decref(gone);
	return err;
}

/* ---- talking to the provider ---- */

/* One form POST to an endpoint of the provider; *reply is its JSON (any
 * status: OAuth errors come as 400 with {"error": ...}). HEPH_EUNAVAIL when
 * it cannot be reached or answers something else. */
static int provider_post(const char *url, const char *form, long *status, json_t **reply)
{
	net_client *c = NULL;
	struct net_reply r;
	int err;
	*reply = NULL;
	if ((err = net_client_new(url, NULL, &c)))
		return err;
	net_client_set_timeout(c, PROVIDER_TIMEOUT_MS);
	err = net_client_post_form(c, "", form, &r);
	net_client_free(c);
	if (err)
		return heph_error_wrap(HEPH_EUNAVAIL, "the identity provider cannot be reached: ");
	*status = r.status;
	*reply = r.len ? json_loadb(r.body, r.len, 0, NULL) : json_object();
	net_reply_free(&r);
	if (!json_is_object(*reply)) {
		json_decref(*reply);
		*reply = NULL;
		return heph_error_set(HEPH_EUNAVAIL, "the identity provider answered HTTP %ld at %s without JSON", *status,
				      url);
	}
	if (*status >= 500 && !json_is_string(json_object_get(*reply, "error"))) {
		json_decref(*reply);
		*reply = NULL;
		return heph_error_set(HEPH_EUNAVAIL, "the identity provider answered HTTP %ld at %s", *status, url);
	}
	return 0;
}

static int get_json(const char *url, const char *path, json_t **out)
{
	net_client *c = NULL;
	struct net_reply r;
	int err;
	*out = NULL;
	if ((err = net_client_new(url, NULL, &c)))
		return err;
	net_client_set_timeout(c, PROVIDER_TIMEOUT_MS);
	err = net_client_request(c, "GET", path, NULL, 0, &r);
	net_client_free(c);
	if (err)
		return err;
	if (r.status != 200) {
		err = heph_error_set(HEPH_EUNAVAIL, "%s%s answered HTTP %ld", url, path, r.status);
		net_reply_free(&r);
		return err;
	}
	*out = json_loadb(r.body, r.len, 0, NULL);
	net_reply_free(&r);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return heph_error_set(HEPH_EUNAVAIL, "%s%s did not answer a JSON object", url, path);
	}
	return 0;
}

/* The claims of a JWT, unverified (for showing who logged in). */
static json_t *jwt_claims(const char *jwt)
{
	const char *a = jwt ? strchr(jwt, '.') : NULL, *b = a ? strchr(a + 1, '.') : NULL;
	unsigned char *raw = NULL;
	size_t len;
	if (!b || heph_b64url_decode(a + 1, (size_t)(b - a - 1), &raw, &len))
		return NULL;
	json_t *j = json_loadb((const char *)raw, len, 0, NULL);
	free(raw);
	if (!json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Put a token response into an entry: new access token and expiry, the
 * refresh token when one came (a rotated one replaces the old), who. */
static void take_tokens(json_t *entry, json_t *tok)
{
	int64_t now = (int64_t)time(NULL);
	json_t *exp = json_object_get(tok, "expires_in");
	int64_t life = json_is_integer(exp) ? (int64_t)json_integer_value(exp) : json_is_real(exp) ? (int64_t)json_real_value(exp) : 0;
	json_t *claims = jwt_claims(str(tok, "access_token"));
	if (life <= 0 && json_is_integer(json_object_get(claims, "exp")))
		life = (int64_t)json_integer_value(json_object_get(claims, "exp")) - now;
	if (life <= 0)
		life = 300; /* said nothing: assume a short life, refreshed soon */
	json_object_set_new(entry, "access_token", json_string(str(tok, "access_token")));
	json_object_set_new(entry, "expires_at", json_integer(now + life));
	json_object_set_new(entry, "lifetime", json_integer(life));
	if (str(tok, "refresh_token"))
		json_object_set_new(entry, "refresh_token", json_string(str(tok, "refresh_token")));
	json_t *id = jwt_claims(str(tok, "id_token"));
	json_t *who = id ? id : claims;
	if (str(who, "sub"))
		json_object_set_new(entry, "sub", json_string(str(who, "sub")));
	const char *name = str(who, "preferred_username") ? str(who, "preferred_username")
			   : str(who, "email")            ? str(who, "email")
							  : str(who, "name");
	if (name)
		json_object_set_new(entry, "name", json_string(name));
	json_object_set_new(entry, "refreshed_at", json_integer(now));
	json_decref(id);
	json_decref(claims);
}

/* Whether an entry's access token is good for a while yet. */
static int fresh(json_t *entry)
{
	int64_t now = (int64_t)time(NULL);
	int64_t exp = (int64_t)json_integer_value(json_object_get(entry, "expires_at"));
	int64_t life = (int64_t)json_integer_value(json_object_get(entry, "lifetime"));
	int64_t margin = REFRESH_MARGIN_S;
	if (life > 0 && life < 2 * margin)
		margin = life / 2; /* short-lived tokens: refresh in their second half */
	return str(entry, "access_token") && exp - now > margin;
}

/* ---- the access token for a hub, refreshed when due ---- */

int net_login_bearer(const char *hub_url, int force, char **token)
{
	char path[PATH_MAX], key[2048];
	json_t *all = NULL, *entry, *tok = NULL;
	char *rt_cmd = NULL, *save = NULL;
	int fd = -1, err;
	long status = 0;
	*token = NULL;
	if ((err = net_login_path(path, sizeof path)))
		return err;
	norm_url(hub_url, key, sizeof key);
	/* Without the lock first: most calls find a fresh token. */
	if ((err = read_file(path, &all)))
		return err;
	entry = json_object_get(json_object_get(all, "hubs"), key);
	if (!entry) {
		json_decref(all);
		return heph_error_set(HEPH_ENOTFOUND, "not logged in to %s (heph auth login --hub-url %s)", key, key);
	}
	const char *seen = str(entry, "access_token");
	char *seen_copy = seen ? strdup(seen) : NULL;
	if (!force && fresh(entry)) {
		*token = strdup(str(entry, "access_token"));
		free(seen_copy);
		json_decref(all);
		return 0;
	}
	json_decref(all);
	all = NULL;
	/* Under the lock, read again: another process may have refreshed. */
	if ((err = lock(path, &fd)))
		goto out;
	if ((err = read_file(path, &all)))
		goto out;
	entry = json_object_get(json_object_get(all, "hubs"), key);
	if (!entry) {
		err = heph_error_set(HEPH_ENOTFOUND, "not logged in to %s (heph auth login --hub-url %s)", key, key);
		goto out;
	}
	int changed = str(entry, "access_token") && (!seen_copy || strcmp(seen_copy, str(entry, "access_token")) != 0);
	if ((force && changed) || (!force && fresh(entry))) {
		*token = strdup(str(entry, "access_token"));
		goto out;
	}
	const char *rt = str(entry, "refresh_token"), *te = str(entry, "token_endpoint"), *cid = str(entry, "client_id");
	int via_cmd = json_is_true(json_object_get(entry, "refresh_token_cmd"));
	if (!rt && via_cmd && te && cid) {
		if ((err = refresh_from_cmd(key, &rt_cmd))) {
			heph_error_wrap(err, "cannot renew the login to %s: ", key);
			goto out;
		}
		rt = rt_cmd;
	}
	if (!rt || !te || !cid) {
		err = heph_error_set(HEPH_EAUTH, "the login to %s has expired and holds no refresh token; "
				     "log in again: heph auth login --hub-url %s", key, key);
		goto out;
	}
	char *e_rt = net_form_escape(rt), *e_cid = net_form_escape(cid), *form;
	if (asprintf(&form, "grant_type=refresh_token&refresh_token=%s&client_id=%s", e_rt, e_cid) < 0)
		abort();
	free(e_rt);
	free(e_cid);
	err = provider_post(te, form, &status, &tok);
	explicit_bzero(form, strlen(form));
	free(form);
	if (err) {
		heph_error_wrap(HEPH_EUNAVAIL, "cannot renew the login to %s: ", key);
		goto out;
	}
	if (status != 200 || !str(tok, "access_token")) {
		const char *oe = str(tok, "error"), *od = str(tok, "error_description");
		err = heph_error_set(HEPH_EAUTH, "the identity provider rejected the login to %s (%s%s%s); log in again: "
				     "heph auth login --hub-url %s",
				     key, oe ? oe : "no access token", od ? ": " : "", od ? od : "", key);
		goto out;
	}
	if (via_cmd && str(tok, "refresh_token")) {
		/* Rotated: the new one goes where the old one came from, before
		 * the file changes; if it cannot, the file stays as it was. */
		if ((err = net_cred_get(SAVE_CMDS, key, &save)) == 0 && !save)
			err = heph_error_set(HEPH_EAUTH, "no token save command is kept for %s any more", key);
		if (!err)
			err = save_refresh(key, save, str(tok, "refresh_token"), 0);
		if (err) {
			heph_error_wrap(err, "the identity provider renewed the login to %s, but its new refresh token "
					     "could not be saved, so the login ends here; log in again: heph auth login "
					     "--hub-url %s. ", key, key);
			goto out;
		}
		json_object_del(tok, "refresh_token");
	}
	take_tokens(entry, tok);
	/* Saved before anyone uses it: a rotated refresh token is the only
	 * one that works from now on. */
	if ((err = write_file(path, all)))
		goto out;
	*token = strdup(str(entry, "access_token"));
out:
	if (!err && !*token)
		abort();
	if (rt_cmd) {
		explicit_bzero(rt_cmd, strlen(rt_cmd));
		free(rt_cmd);
	}
	free(save);
	free(seen_copy);
	json_decref(tok);
	json_decref(all);
	unlock(fd);
	return err;
}

/* ---- the device-code flow ---- */

static void sleep_s(int s)
{
	struct timespec ts = { s, 0 };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int net_login_device(const char *hub_url, const struct net_login_ui *ui, json_t **result)
{
	char key[2048], path[PATH_MAX];
	json_t *cfg = NULL, *disc = NULL, *dev = NULL, *tok = NULL, *all = NULL;
	char *form = NULL, *save = NULL;
	int err, fd = -1, via_cmd = 0;
	long status = 0;
	*result = NULL;
	norm_url(hub_url, key, sizeof key);
	if ((err = net_login_path(path, sizeof path)))
		return err;
	/* 1. What the hub trusts. */
	if ((err = get_json(key, "/config", &cfg))) {
		heph_error_wrap(err, "cannot ask the hub how to log in: ");
		goto out;
	}
	json_t *oidc = json_object_get(json_object_get(cfg, "auth"), "oidc");
	const char *issuer = str(oidc, "issuer"), *cid = str(oidc, "client_id");
	if (!issuer || !cid) {
		err = heph_error_set(HEPH_EUSAGE, "the hub at %s trusts no identity provider; it takes device tokens "
				     "(hephd token create NAME on the hub, then heph hub set %s --token-file FILE)",
				     key, key);
		goto out;
	}
	/* 2. The provider's endpoints: from the hub, else discovery. */
	const char *dev_ep = str(oidc, "device_authorization_endpoint"), *tok_ep = str(oidc, "token_endpoint");
	if (!dev_ep || !tok_ep) {
		char iss[2048];
		norm_url(issuer, iss, sizeof iss);
		if ((err = get_json(iss, "/.well-known/openid-configuration", &disc))) {
			err = heph_error_wrap(HEPH_EUNAVAIL, "the identity provider cannot be reached: ");
			goto out;
		}
		dev_ep = str(disc, "device_authorization_endpoint");
		tok_ep = str(disc, "token_endpoint");
		if (!dev_ep || !tok_ep) {
			err = heph_error_set(HEPH_EUSAGE, "the identity provider %s offers no device login "
					     "(device_authorization_endpoint); enable the device code flow for client %s",
					     issuer, cid);
			goto out;
		}
	}
	/* 3. Ask for a code. */
	char *e_cid = net_form_escape(cid);
	if (asprintf(&form, "client_id=%s&scope=openid%%20offline_access", e_cid) < 0)
		abort();
	err = provider_post(dev_ep, form, &status, &dev);
	free(form);
	form = NULL;
	if (err)
		goto out_cid;
	if (status != 200 || !str(dev, "device_code") || !str(dev, "user_code") || !str(dev, "verification_uri")) {
		const char *oe = str(dev, "error"), *od = str(dev, "error_description");
		err = heph_error_set(HEPH_EAUTH, "the identity provider refused a device login for client %s (%s%s%s)", cid,
				     oe ? oe : "no device code", od ? ": " : "", od ? od : "");
		goto out_cid;
	}
	int interval = json_is_integer(json_object_get(dev, "interval")) ? (int)json_integer_value(json_object_get(dev, "interval")) : 5;
	int expires_in = json_is_integer(json_object_get(dev, "expires_in")) ? (int)json_integer_value(json_object_get(dev, "expires_in")) : 600;
	if (interval < 1)
		interval = 1;
	if (ui && ui->show)
		ui->show(ui->ctx, str(dev, "verification_uri"), str(dev, "verification_uri_complete"), str(dev, "user_code"),
			 expires_in);
	/* 4. Poll until the person said yes or no, or the code expires. */
	char *e_dc = net_form_escape(str(dev, "device_code"));
	if (asprintf(&form, "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type%%3Adevice_code&device_code=%s&client_id=%s",
		     e_dc, e_cid) < 0)
		abort();
	free(e_dc);
	/* The provider says when the code expired (expired_token); this is
	 * only a guard against one that never does. */
	time_t deadline = time(NULL) + expires_in + 2 * interval + 10;
	for (;;) {
		sleep_s(interval);
		json_decref(tok);
		tok = NULL;
		if ((err = provider_post(tok_ep, form, &status, &tok)))
			goto out_cid;
		if (status == 200 && str(tok, "access_token"))
			break;
		const char *oe = str(tok, "error"), *od = str(tok, "error_description");
		if (oe && strcmp(oe, "authorization_pending") == 0) {
			if (time(NULL) > deadline) {
				err = heph_error_set(HEPH_EAUTH, "the code was not entered in time; run heph auth login again");
				goto out_cid;
			}
			continue;
		}
		if (oe && strcmp(oe, "slow_down") == 0) {
			interval += 5; /* RFC 8628 3.5 */
			if (ui && ui->note)
				ui->note(ui->ctx, "the provider asked to poll more slowly");
			continue;
		}
		if (oe && strcmp(oe, "expired_token") == 0)
			err = heph_error_set(HEPH_EAUTH, "the code expired before the login was approved; run heph auth login "
					     "again");
		else if (oe && strcmp(oe, "access_denied") == 0)
			err = heph_error_set(HEPH_EAUTH, "the login was denied at the identity provider");
		else
			err = heph_error_set(HEPH_EAUTH, "the identity provider refused the login (%s%s%s)",
					     oe ? oe : "no access token", od ? ": " : "", od ? od : "");
		goto out_cid;
	}
	/* 5. Keep it: the refresh token through the save command when one is
	 * set (and read back), the rest in the file; nothing when the save
	 * fails. */
	if ((err = net_cred_get(SAVE_CMDS, key, &save)))
		goto out_cid;
	if (save && str(tok, "refresh_token")) {
		if ((err = save_refresh(key, save, str(tok, "refresh_token"), 1))) {
			heph_error_wrap(err, "logged in, but the login is not kept: ");
			goto out_cid;
		}
		json_object_del(tok, "refresh_token");
		via_cmd = 1;
	}
	if ((err = lock(path, &fd)) || (err = read_file(path, &all)))
		goto out_cid;
	json_t *entry = json_pack("{s:s, s:s, s:s, s:s, s:I}", "hub", key, "issuer", issuer, "client_id", cid,
				  "token_endpoint", tok_ep, "logged_in_at", (json_int_t)time(NULL));
	const char *rev_ep = str(oidc, "revocation_endpoint") ? str(oidc, "revocation_endpoint") : str(disc, "revocation_endpoint");
	if (rev_ep)
		json_object_set_new(entry, "revocation_endpoint", json_string(rev_ep));
	take_tokens(entry, tok);
	if (via_cmd)
		json_object_set_new(entry, "refresh_token_cmd", json_true());
	json_object_set_new(json_object_get(all, "hubs"), key, entry);
	if ((err = write_file(path, all)))
		goto out_cid;
	*result = json_pack("{s:s, s:s, s:s?, s:s?, s:O, s:b, s:s, s:s?}", "hub", key, "issuer", issuer, "sub",
			    str(entry, "sub"), "name", str(entry, "name"), "expires_at", json_object_get(entry, "expires_at"),
			    "refresh", str(entry, "refresh_token") != NULL || via_cmd, "file", path, "refresh_saved_by",
			    via_cmd ? save : NULL);
out_cid:
	free(e_cid);
out:
	unlock(fd);
	if (form) {
		explicit_bzero(form, strlen(form));
		free(form);
	}
	free(save);
	json_decref(cfg);
	json_decref(disc);
	json_decref(dev);
	json_decref(tok);
	json_decref(all);
	return err;
}
