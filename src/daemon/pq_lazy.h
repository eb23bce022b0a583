/* pq_lazy.h — libpq, loaded when hephd first opens a PostgreSQL store.
 *
 * Only a hub with --store (and the owner, token and migrate verbs) talks to
 * PostgreSQL. Linking libpq would map it, and the OpenSSL, Kerberos and LDAP
 * libraries it needs, into every hephd (a spoke's local replica, a client
 * daemon): some 5 MB resident that such a daemon never uses. So pg.c opens
 * it with dlopen() in pg_open and calls it through this table, as hephd
 * does libmicrohttpd (mhd_lazy.h) and libcrypto (crypto_lazy.h). pg.c
 * includes this header instead of <libpq-fe.h> and writes plain libpq
 * calls: the macros below send them through the table.
 *
 * To use another function, add it to HEPHD_PQ_FUNCS and add its #define at
 * the bottom.
 */
#ifndef HEPHD_PQ_LAZY_H
#define HEPHD_PQ_LAZY_H

#include <libpq-fe.h>

#define HEPHD_PQ_FUNCS(X) \
	X(PQclear) \
	X(PQcmdTuples) \
	X(PQconnectdb) \
	X(PQconsumeInput) \
	X(PQerrorMessage) \
	X(PQexec) \
	X(PQexecParams) \
	X(PQexecPrepared) \
	X(PQfinish) \
	X(PQfreemem) \
	X(PQgetisnull) \
	X(PQgetvalue) \
	X(PQnotifies) \
	X(PQprepare) \
	X(PQntuples) \
	X(PQreset) \
	X(PQresultErrorField) \
	X(PQresultErrorMessage) \
	X(PQresultStatus) \
	X(PQsetNoticeProcessor) \
	X(PQsocket) \
	X(PQstatus) \
	X(PQtransactionStatus)

struct hephd_pq_fns {
#define HEPHD_PQ_MEMBER(f) __typeof__(f) *p_##f;
	HEPHD_PQ_FUNCS(HEPHD_PQ_MEMBER)
#undef HEPHD_PQ_MEMBER
};

/* Load libpq (once per process, thread-safely). 0, or HEPH_EUNAVAIL with a
 * message when the library or one of its functions is missing. */
int hephd_pq_load(void);

/* The table; call hephd_pq_load() first. */
extern struct hephd_pq_fns hephd_pq;

#ifndef HEPHD_PQ_NO_MACROS
#define PQclear (hephd_pq.p_PQclear)
#define PQcmdTuples (hephd_pq.p_PQcmdTuples)
#define PQconnectdb (hephd_pq.p_PQconnectdb)
#define PQconsumeInput (hephd_pq.p_PQconsumeInput)
#define PQerrorMessage (hephd_pq.p_PQerrorMessage)
#define PQexec (hephd_pq.p_PQexec)
#define PQexecParams (hephd_pq.p_PQexecParams)
#define PQexecPrepared (hephd_pq.p_PQexecPrepared)
#define PQfinish (hephd_pq.p_PQfinish)
#define PQfreemem (hephd_pq.p_PQfreemem)
#define PQgetisnull (hephd_pq.p_PQgetisnull)
#define PQgetvalue (hephd_pq.p_PQgetvalue)
#define PQnotifies (hephd_pq.p_PQnotifies)
#define PQprepare (hephd_pq.p_PQprepare)
#define PQntuples (hephd_pq.p_PQntuples)
#define PQreset (hephd_pq.p_PQreset)
#define PQresultErrorField (hephd_pq.p_PQresultErrorField)
#define PQresultErrorMessage (hephd_pq.p_PQresultErrorMessage)
#define PQresultStatus (hephd_pq.p_PQresultStatus)
#define PQsetNoticeProcessor (hephd_pq.p_PQsetNoticeProcessor)
#define PQsocket (hephd_pq.p_PQsocket)
#define PQstatus (hephd_pq.p_PQstatus)
#define PQtransactionStatus (hephd_pq.p_PQtransactionStatus)
#endif

#endif
