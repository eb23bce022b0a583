/* error.c — the per-thread message and the one table that maps error codes
 * to every surface (CLI exit status, JSON-RPC code, HTTP status). */
#include "heph/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char msg[1024];

struct mapping {
	int code;
	const char *name;
	int exit_status;
	int rpc_code;
	int http_status;
};

/* JSON-RPC reserves -32768..-32000; -32602 is "invalid params", -32601
 * "method not found". Application codes live in -32000..-32099 here. */
static const struct mapping table[] = {
	{ HEPH_OK,         "ok",          0,  0,      200 },
	{ HEPH_ERROR,      "error",       1,  -32603, 500 },
	{ HEPH_EINVALID,   "invalid",     3,  -32602, 400 },
	{ HEPH_ENOTFOUND,  "not_found",   4,  -32004, 404 },
	{ HEPH_EAMBIGUOUS, "ambiguous",   5,  -32005, 409 },
	{ HEPH_ECONFLICT,  "conflict",    6,  -32006, 409 },
	{ HEPH_EFUTURE,    "clock_ahead", 7,  -32007, 400 },
	{ HEPH_ESCHEMA,    "schema_too_new", 8, -32008, 500 },
	{ HEPH_EBUSY,      "busy",        9,  -32009, 503 },
	{ HEPH_EAUTH,      "unauthorized", 10, -32010, 401 },
	{ HEPH_EFORBIDDEN, "forbidden",   11, -32011, 403 },
	{ HEPH_ETOOBIG,    "too_big",     12, -32012, 413 },
	{ HEPH_EPROTOCOL,  "protocol_version", 13, -32013, 426 },
	{ HEPH_EUNAVAIL,   "unavailable", 14, -32014, 503 },
	{ HEPH_EREADONLY,  "read_only",   15, -32015, 507 },
	{ HEPH_EUSAGE,     "usage",       2,  -32602, 400 },
};

static const struct mapping *find(int code)
{
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (table[i].code == code)
			return &table[i];
	return &table[1];
}

int heph_error_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return code;
}

int heph_error_wrap(int code, const char *fmt, ...)
{
	char prefix[256], old[sizeof msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, msg, sizeof old);
	snprintf(msg, sizeof msg, "%s%s", prefix, old);
	return code;
}

const char *heph_error_last(void) { return msg; }
void heph_error_clear(void) { msg[0] = '\0'; }

const char *heph_error_name(int code) { return find(code)->name; }
int heph_error_exit_status(int code) { return find(code)->exit_status; }
int heph_error_rpc_code(int code) { return find(code)->rpc_code; }
int heph_error_http_status(int code) { return find(code)->http_status; }

int heph_error_from_rpc_code(int rpc_code)
{
	if (rpc_code == -32700 || rpc_code == -32600)
		return HEPH_EINVALID;
	if (rpc_code == -32601)
		return HEPH_ENOTFOUND;
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (table[i].rpc_code == rpc_code)
			return table[i].code;
	return HEPH_ERROR;
}

int heph_error_from_http_status(int status)
{
	if (status >= 200 && status < 300)
		return HEPH_OK;
	/* Where several codes share a status, the general one answers. */
	for (size_t i = 1; i < sizeof table / sizeof table[0]; i++) {
		int c = table[i].code;
		if (table[i].http_status == status && c != HEPH_EUSAGE && c != HEPH_EAMBIGUOUS && c != HEPH_EFUTURE &&
		    c != HEPH_ESCHEMA && c != HEPH_EBUSY)
			return c;
	}
	return status >= 500 ? HEPH_EUNAVAIL : HEPH_ERROR;
}
