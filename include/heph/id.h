/* heph/id.h — ULID node and op ids.
 *
 * A ULID is 26 characters of Crockford base32: 10 for a 48-bit millisecond
 * timestamp, 16 for 80 random bits. Ids sort by creation time. Op ids are
 * ULIDs too; their 80 random bits make them unique across devices.
 * Ownership: callers pass buffers of HEPH_ID_LEN + 1 bytes.
 */
#ifndef HEPH_ID_H
#define HEPH_ID_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HEPH_ID_LEN 26

/* A new ULID for time ms, with fresh random bits from the kernel. */
void heph_id_new(int64_t ms, char out[HEPH_ID_LEN + 1]);

/* A deterministic ULID: the timestamp ms followed by 80 bits taken from
 * the first 10 bytes of tag (zero-padded). Used where two devices must
 * agree on an id without talking, such as one journal per day. */
void heph_id_derived(int64_t ms, const char *tag, char out[HEPH_ID_LEN + 1]);

/* A deterministic ULID: the timestamp ms followed by the first 80 bits of
 * the SHA-256 of text. For names longer than heph_id_derived() can tell
 * apart (a tag's name, a Taskwarrior uuid). */
void heph_id_hashed(int64_t ms, const char *text, char out[HEPH_ID_LEN + 1]);

/* A task's handle: the first 50 bits of the SHA-256 of its id in
 * Crockford base32 (HEPH_HANDLE_LEN characters). Every replica computes the
 * same handle for a node, and it never changes; lists show its shortest
 * prefix of HEPH_HANDLE_MIN or more characters that no other outstanding
 * task's handle starts with (docs/explanation/handles.md). */
#define HEPH_HANDLE_LEN 10
#define HEPH_HANDLE_MIN 4
void heph_id_handle(const char *id, char out[HEPH_HANDLE_LEN + 1]);

/* True when s is a full, canonical (upper-case) ULID. */
int heph_id_valid(const char *s);

/* Copy s upper-cased into out (at most cap-1 chars); return 0 when every
 * character is Crockford base32, -1 otherwise. */
int heph_id_normalize(const char *s, char *out, int cap);

#ifdef __cplusplus
}
#endif
#endif
