/* heph/backup.h — consistent copies of a heph database while it is in use,
 * and putting one back.
 *
 * A backup is taken with SQLite's online backup API through a store's own
 * connection: one read transaction, so the copy is the database as of one
 * commit, and writers in other processes (or other threads) go on meanwhile
 * (WAL mode). The copy is written beside its name and renamed into place
 * once complete and synced, so a backup file is either whole or absent.
 *
 * Restoring gives the database a new device origin: the copy may be older
 * than what this device (or the hub) already pushed, and a device that went
 * on under its old origin could stamp new ops with clocks that it already
 * used. Under a new origin, nothing it writes can collide with what the
 * fleet already holds; ops of the old origin that the hub has are pulled
 * back as anyone's. A restored hub gets a new origin too, which is also the
 * hub's id: its spokes see a different hub and start their cursors over
 * (docs/how-to/back-up-and-restore.md).
 *
 * Ownership: nothing is returned that the caller frees; paths are borrowed.
 */
#ifndef HEPH_BACKUP_H
#define HEPH_BACKUP_H

#include <stdint.h>

#include "heph/hlc.h"
#include "heph/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a backup or a check found in a copy. */
typedef struct heph_backup_info {
	int schema;                          /* its schema version (PRAGMA user_version) */
	int64_t ops;                         /* rows of its op-log */
	int64_t bytes;                       /* its size */
	char origin[HEPH_ORIGIN_LEN + 1];    /* the device it was taken from */
} heph_backup_info;

/* Write a consistent copy of s's database to dest, which must not exist
 * (HEPH_ECONFLICT). The copy is checked (PRAGMA quick_check) before it is
 * renamed into place; info (may be NULL) describes it. */
int heph_backup(heph_store *s, const char *dest, heph_backup_info *info);

/* Check, without changing it, that path is a sound heph database this build
 * can open: SQLite's integrity check, heph's application id (or a heph
 * schema from before it), a schema version not newer than this build's and
 * a device origin. HEPH_EINVALID names what is wrong; HEPH_ESCHEMA for a
 * newer schema. */
int heph_backup_check(const char *path, heph_backup_info *info);

/* What heph_restore() did. */
typedef struct heph_restore_info {
	char kept[4096];                     /* where the replaced database was copied ("": there was none) */
	char origin[HEPH_ORIGIN_LEN + 1];    /* the restored database's new origin */
	heph_backup_info from;               /* the backup it came from */
} heph_restore_info;

/* Replace the database at db_path with the backup at src: src is checked
 * first (heph_backup_check) and nothing is touched if it fails; the current
 * database, if any, is copied to db_path.replaced-YYYYMMDDTHHMMSSZ; then
 * src's content is written into db_path in one transaction (other
 * connections see the old database or the new one) and given a new origin.
 * Stop the hephd serving db_path first: a running process keeps the origin
 * it read at its start. db_path must be a heph database or absent. */
int heph_restore(const char *db_path, const char *src, heph_restore_info *info);

#ifdef __cplusplus
}
#endif

#endif
