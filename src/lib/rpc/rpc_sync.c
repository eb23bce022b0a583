/* rpc_sync.c — sync and hub methods. The sync cycle itself needs the
 * network, so sync.now asks the host (hephd, or heph in-process); the status
 * and the hub setting live in the database and are read here. */
#include "rpc_internal.h"

#include "heph/fleet.h"
#include "heph/sync.h"

#include <string.h>

HEPH_RPC_HANDLER(heph__rpc_sync_now)
{
	(void)params;
	if (!env->host || !env->host->sync_now)
		return heph_error_set(HEPH_EUNAVAIL, "sync is not available here (this is a hub, or no sync engine)");
	return env->host->sync_now(env->host->ctx, env->store, result);
}

HEPH_RPC_HANDLER(heph__rpc_sync_status)
{
	int err;
	(void)params;
	if ((err = heph_sync_status(env->store, result)))
		return err;
	if (env->host && env->host->sync_status && (err = env->host->sync_status(env->host->ctx, env->store, *result))) {
		json_decref(*result);
		*result = NULL;
	}
	return err;
}

static int url_ok(const char *url)
{
	size_t n = strlen(url);
	if (n > 2000 || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
		return 0;
	if (strlen(url) <= (url[4] == 's' ? 8u : 7u))
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)url[i] <= ' ' || (unsigned char)url[i] == 0x7f)
			return 0;
	return 1;
}

HEPH_RPC_HANDLER(heph__rpc_hub_set)
{
	const char *url, *token_file, *name;
	char *clean = NULL;
	int err;
	if ((err = heph__p_str(params, "url", 1, &url)) || (err = heph__p_str(params, "token_file", 0, &token_file)) ||
	    (err = heph__p_str(params, "name", 0, &name)))
		return err;
	if (name) {
		json_t *probe = json_pack("{s:s, s:s}", "origin", heph_store_origin(env->store), "name", name);
		err = heph_fleet_check(probe);
		json_decref(probe);
		if (err)
			return heph_error_set(HEPH_EINVALID, "a device name is one line of 1 to %d bytes", HEPH_FLEET_NAME_MAX);
		if ((err = heph_store_setting_set(env->store, HEPH_SETTING_DEVICE_NAME, name)))
			return err;
	}
	if (strcmp(url, "none") != 0 && strcmp(url, "") != 0) {
		if (!url_ok(url))
			return heph_error_set(HEPH_EINVALID, "hub URL must be http://HOST[:PORT] or https://..., not \"%.80s\"", url);
		if (!(clean = strdup(url)))
			abort();
		for (size_t n = strlen(clean); n > 0 && clean[n - 1] == '/'; n--)
			clean[n - 1] = '\0';
	}
	if (token_file && strcmp(token_file, "none") != 0 && token_file[0] != '/') {
		free(clean);
		return heph_error_set(HEPH_EINVALID, "token_file must be an absolute path, not \"%.80s\"", token_file);
	}
	if ((err = heph_store_setting_set(env->store, HEPH_SETTING_HUB_URL, clean)))
		goto out;
	if (!clean || (token_file && strcmp(token_file, "none") == 0))
		err = heph_store_setting_set(env->store, HEPH_SETTING_HUB_TOKEN_FILE, NULL);
	else if (token_file)
		err = heph_store_setting_set(env->store, HEPH_SETTING_HUB_TOKEN_FILE, token_file);
	if (err)
		goto out;
	char *tf = NULL;
	if ((err = heph_store_setting_get(env->store, HEPH_SETTING_HUB_TOKEN_FILE, &tf)))
		goto out;
	json_t *self = NULL;
	if ((err = heph_fleet_self(env->store, &self))) {
		free(tf);
		goto out;
	}
	*result = json_pack("{s:s?, s:s?, s:O}", "hub", clean, "token_file", tf, "name", json_object_get(self, "name"));
	json_decref(self);
	free(tf);
out:
	free(clean);
	return err;
}

HEPH_RPC_HANDLER(heph__rpc_store_info)
{
	(void)params;
	sqlite3_stmt *st = heph__stmt(env->store, "SELECT coalesce(max(seq), 0) FROM oplog");
	long long head = 0;
	if (!st)
		return HEPH_ERROR;
	if (sqlite3_step(st) == SQLITE_ROW)
		head = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	*result = json_pack("{s:s, s:i, s:s, s:i, s:i, s:I}", "version", heph_version(), "level", heph_feature_level(),
			    "origin", heph_store_origin(env->store), "schema", heph_schema_version(), "protocol",
			    HEPH_SYNC_PROTOCOL, "head", (json_int_t)head);
	/* where the database lives is the device's business, not a remote caller's */
	if (!env->remote)
		json_object_set_new(*result, "path", json_string(heph_store_path(env->store)));
	return 0;
}

HEPH_RPC_HANDLER(heph__rpc_fleet_list)
{
	(void)params;
	return heph_fleet_list(env->store, result);
}

HEPH_RPC_HANDLER(heph__rpc_ops_unapplied)
{
	(void)params;
	return heph_fleet_unapplied(env->store, result);
}
