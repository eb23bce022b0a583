/* mhd_lazy.h — libmicrohttpd, loaded when hephd starts a hub.
 *
 * Only a hub serves HTTP. Linking libmicrohttpd would map it, and GnuTLS and
 * the half-dozen libraries GnuTLS needs, into every hephd (a spoke's local
 * replica, a client daemon), with their relocations and constructors at
 * start: some 2.3 MB resident that such a daemon never uses. So hephd opens
 * it with dlopen() in hub_start and calls it through this table, as it does
 * libcrypto (crypto_lazy.h) and libcurl (src/net/client.c). The header gives
 * the types and constants; a file that serves HTTP includes this header
 * instead of <microhttpd.h> and writes plain libmicrohttpd calls: the
 * macros below send them through the table.
 *
 * To use another function, add it to HEPHD_MHD_FUNCS and add its #define at
 * the bottom.
 */
#ifndef HEPHD_MHD_LAZY_H
#define HEPHD_MHD_LAZY_H

#include <microhttpd.h>

#define HEPHD_MHD_FUNCS(X) \
	X(MHD_add_response_header) \
	X(MHD_create_response_from_buffer) \
	X(MHD_create_response_from_fd64) \
	X(MHD_create_response_from_fd_at_offset64) \
	X(MHD_destroy_response) \
	X(MHD_get_connection_info) \
	X(MHD_get_connection_values) \
	X(MHD_get_daemon_info) \
	X(MHD_lookup_connection_value) \
	X(MHD_queue_response) \
	X(MHD_resume_connection) \
	X(MHD_start_daemon) \
	X(MHD_stop_daemon) \
	X(MHD_suspend_connection)

struct hephd_mhd_fns {
#define HEPHD_MHD_MEMBER(f) __typeof__(f) *p_##f;
	HEPHD_MHD_FUNCS(HEPHD_MHD_MEMBER)
#undef HEPHD_MHD_MEMBER
};

/* Load libmicrohttpd (once per process, thread-safely). 0, or
 * HEPH_EUNAVAIL with a message when the library or one of its functions is
 * missing. */
int hephd_mhd_load(void);

/* The table; call hephd_mhd_load() first. */
extern struct hephd_mhd_fns hephd_mhd;

#ifndef HEPHD_MHD_NO_MACROS
#define MHD_add_response_header (hephd_mhd.p_MHD_add_response_header)
#define MHD_create_response_from_buffer (hephd_mhd.p_MHD_create_response_from_buffer)
#define MHD_create_response_from_fd64 (hephd_mhd.p_MHD_create_response_from_fd64)
#define MHD_create_response_from_fd_at_offset64 (hephd_mhd.p_MHD_create_response_from_fd_at_offset64)
#define MHD_destroy_response (hephd_mhd.p_MHD_destroy_response)
#define MHD_get_connection_info (hephd_mhd.p_MHD_get_connection_info)
#define MHD_get_connection_values (hephd_mhd.p_MHD_get_connection_values)
#define MHD_get_daemon_info (hephd_mhd.p_MHD_get_daemon_info)
#define MHD_lookup_connection_value (hephd_mhd.p_MHD_lookup_connection_value)
#define MHD_queue_response (hephd_mhd.p_MHD_queue_response)
#define MHD_resume_connection (hephd_mhd.p_MHD_resume_connection)
#define MHD_start_daemon (hephd_mhd.p_MHD_start_daemon)
#define MHD_stop_daemon (hephd_mhd.p_MHD_stop_daemon)
#define MHD_suspend_connection (hephd_mhd.p_MHD_suspend_connection)
#endif

#endif
