/* search_sync.c — bringing the full-text index up to date at commit.
 *
 * Triggers on nodes (migration 7) append the id of every node whose title,
 * body or tombstone changed, or that was created or deleted, to
 * search_dirty. heph_store_commit() calls heph__search_sync() before it
 * commits, so the index is always in step with the nodes it covers when a
 * transaction ends, exactly as when the triggers wrote it themselves:
 *   - a node gets its search_ids row (its FTS5 rowid) when first seen, in
 *     the order the changes happened;
 *   - its old entry is removed and, if it is live, its current title and
 *     body are indexed;
 *   - a deleted node loses its entry and its search_ids row.
 * Done once for the whole transaction, the FTS5 writes go in as one batch:
 * the same writes from triggers made FTS5 flush a segment per statement.
 */
#include "internal.h"

int heph__search_sync(heph_store *s)
{
	/* Old entries go first, so that a node created in this transaction
	 * (which has none) costs no lookup in the index. */
	static const char *const steps[] = {
		"DELETE FROM search WHERE rowid IN "
		"(SELECT m.rid FROM search_dirty d JOIN search_ids m ON m.node_id = d.node_id)",
		"INSERT OR IGNORE INTO search_ids(node_id) SELECT d.node_id FROM search_dirty d "
		"JOIN nodes n ON n.id = d.node_id ORDER BY d.seq",
		"INSERT INTO search(rowid, title, body) SELECT m.rid, n.title, n.body "
		"FROM (SELECT DISTINCT node_id FROM search_dirty) d JOIN search_ids m ON m.node_id = d.node_id "
		"JOIN nodes n ON n.id = d.node_id WHERE n.tombstone_hlc IS NULL ORDER BY m.rid",
		"DELETE FROM search_ids WHERE node_id IN (SELECT d.node_id FROM search_dirty d "
		"WHERE NOT EXISTS (SELECT 1 FROM nodes n WHERE n.id = d.node_id))",
		"DELETE FROM search_dirty",
	};
	sqlite3_stmt *st = heph__stmt(s, "SELECT EXISTS (SELECT 1 FROM search_dirty)");
	int rc, any, err;
	if (!st)
		return HEPH_ERROR;
	rc = sqlite3_step(st);
	any = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return heph__sqlerr(s, rc, "search index");
	for (size_t i = 0; any && i < sizeof steps / sizeof steps[0]; i++) {
		if (!(st = heph__stmt(s, steps[i])))
			return HEPH_ERROR;
		if ((err = heph__step_done(s, st)))
			return err;
	}
	return 0;
}
