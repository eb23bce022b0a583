/* heph/error.h — error codes and the per-thread error message.
 *
 * Every libheph function that can fail returns 0 on success or one of the
 * negative codes below, and leaves a one-line message for the calling thread.
 * Ownership: heph_error_last() returns a borrowed string that stays valid
 * until the next failing libheph call on the same thread.
 *
 * The mapping of a code to a CLI exit status, a JSON-RPC error code and an
 * HTTP status lives in one table (error.c); every surface asks it.
 */
#ifndef HEPH_ERROR_H
#define HEPH_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum heph_err {
	HEPH_OK = 0,
	HEPH_ERROR = -1,      /* unexpected: I/O, SQLite, internal */
	HEPH_EINVALID = -2,   /* bad input: malformed JSON, bad date, bad colour */
	HEPH_ENOTFOUND = -3,  /* unknown id, name, method or verb */
	HEPH_EAMBIGUOUS = -4, /* an id prefix or a name matches several nodes */
	HEPH_ECONFLICT = -5,  /* the request contradicts the current state */
	HEPH_EFUTURE = -6,    /* an op's clock is too far ahead of ours */
	HEPH_ESCHEMA = -7,    /* the database is newer than this binary */
	HEPH_EBUSY = -8,      /* the database stayed locked past the timeout */
	HEPH_EAUTH = -9,      /* missing or bad credential */
	HEPH_EFORBIDDEN = -10, /* a valid credential of the wrong identity */
	HEPH_ETOOBIG = -11,   /* a body or value over its limit */
	HEPH_EPROTOCOL = -12, /* a sync protocol version we cannot speak */
	HEPH_EUNAVAIL = -13,  /* a peer (hub, identity provider) is unreachable */
	HEPH_EREADONLY = -14, /* the database or disk refuses writes (read-only, full) */
	HEPH_EUSAGE = -15     /* the command line itself is wrong */
} heph_err;

/* Set the calling thread's message and return code, so that a failing
 * function can end with `return heph_error_set(HEPH_EINVALID, "...", ...)`. */
int heph_error_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prefix the current message with context ("line 3: "), keep the code. */
int heph_error_wrap(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The calling thread's last message; "" when none. */
const char *heph_error_last(void);
void heph_error_clear(void);

/* One place maps codes to each surface. Unknown codes map as HEPH_ERROR. */
const char *heph_error_name(int code);     /* "invalid", "not_found", ... */
int heph_error_exit_status(int code);      /* CLI exit status, 0 for HEPH_OK */
int heph_error_rpc_code(int code);         /* JSON-RPC 2.0 error.code */
int heph_error_http_status(int code);      /* HTTP status for /rpc and /sync */
int heph_error_from_rpc_code(int rpc_code); /* inverse, for client mode */
/* Inverse of the HTTP column, for a reply without a JSON error: where a
 * status is shared the general code answers (400 invalid, 409 conflict, 500
 * error, 503 unavailable); another 5xx is unavailable. */
int heph_error_from_http_status(int status);

#ifdef __cplusplus
}
#endif
#endif
