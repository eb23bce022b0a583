/* remote.c — JSON-RPC over HTTP to a hub's POST /rpc: forwarding request
 * texts (hephd --mode client) and single calls (heph --remote). */
#include "net.h"

#include <stdlib.h>
#include <string.h>

#include "heph/error.h"

int net_rpc_result(json_t *response, json_t **result)
{
	json_t *e = json_object_get(response, "error");
	*result = NULL;
	if (json_is_object(e)) {
		const char *msg = json_string_value(json_object_get(e, "message"));
		int code = heph_error_from_rpc_code((int)json_integer_value(json_object_get(e, "code")));
		return heph_error_set(code == HEPH_OK ? HEPH_ERROR : code, "%s", msg ? msg : "error without a message");
	}
	if (!json_object_get(response, "result"))
		return heph_error_set(HEPH_ERROR, "a JSON-RPC response without a result or an error");
	*result = json_incref(json_object_get(response, "result"));
	return 0;
}

int net_rpc_forward(net_client *c, const char *request, size_t len, char **response)
{
	struct net_reply r;
	char what[512];
	int err;
	*response = NULL;
	snprintf(what, sizeof what, "hub %s", net_client_url(c));
	if ((err = net_client_request(c, "POST", "/rpc", request, len, &r)))
		return err;
	/* A JSON-RPC answer comes with the HTTP status of its error; anything
	 * else (401, 413, a proxy's page) is a transport failure. */
	json_t *j = json_loadb(r.body, r.len, 0, NULL);
	int is_rpc = json_is_array(j) || (json_is_object(j) && json_object_get(j, "jsonrpc"));
	json_decref(j);
	if ((r.status == 200 || r.status == 204) && r.len == 0) {
		net_reply_free(&r);
		return 0; /* notifications only */
	}
	if (!is_rpc) {
		err = net_reply_error(&r, what);
		net_reply_free(&r);
		return err;
	}
	*response = r.body;
	return 0;
}

int net_rpc_call(net_client *c, const char *method, json_t *params, json_t **result)
{
	json_t *req = json_pack("{s:s, s:i, s:s, s:o}", "jsonrpc", "2.0", "id", 1, "method", method, "params",
				params ? json_incref(params) : json_object());
	char *text = json_dumps(req, JSON_COMPACT), *resp = NULL;
	int err;
	json_decref(req);
	*result = NULL;
	err = net_rpc_forward(c, text, strlen(text), &resp);
	free(text);
	if (err)
		return err;
	json_error_t je;
	json_t *j = resp ? json_loads(resp, 0, &je) : NULL;
	free(resp);
	if (!j)
		return heph_error_set(HEPH_ERROR, "hub %s sent a malformed JSON-RPC answer", net_client_url(c));
	err = net_rpc_result(j, result);
	json_decref(j);
	return err;
}
