/* heph/fleet.h — the fleet: which versions of heph sync through one hub, and
 * what each can apply.
 *
 * Every sync request a spoke makes carries a report of itself (a push in its
 * body's "node" object, a pull as query parameters; docs/reference/
 * sync-protocol.md). The hub keeps one row per device (table devices) and
 * answers a pull with, for each op type the puller does not know, the
 * versions in the fleet that do ("known_by"), which the spoke keeps so that
 * it can say which version would apply the ops it holds unapplied.
 *
 *   report field  type     meaning
 *   origin        string   the device (its database's origin id)
 *   name          string   what the device calls itself (setting device.name,
 *                          else its host name)
 *   version       string   heph_version()
 *   level         integer  heph_feature_level()
 *   schema        integer  heph_schema_version()
 *   protocol      integer  the sync protocol it speaks
 *   op_types      array    the op types its engine applies
 *   unapplied     integer  ops it holds of types it cannot apply
 *   deferred      integer  ops it holds waiting for a node
 *
 * Ownership: json_t ** and char ** results are new references / malloc'd and
 * belong to the caller; inputs are borrowed. Errors are heph error codes
 * with the thread's message set.
 */
#ifndef HEPH_FLEET_H
#define HEPH_FLEET_H

#include <stdint.h>

#include <jansson.h>

#include "heph/store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HEPH_SETTING_DEVICE_NAME "device.name" /* device-local, never synced */
#define HEPH_FLEET_NAME_MAX 64                 /* bytes in a device name or version */
#define HEPH_FLEET_SEEN_MS 5000                /* a pull refreshes last_seen at most this often */

/* This device's report (the fields above). */
int heph_fleet_self(heph_store *s, json_t **out);

/* The same report as query parameters for a pull URL, each "&key=value"
 * with values percent-encoded ("&origin=...&name=...&op_types=a,b"). */
int heph_fleet_self_query(heph_store *s, char **out);

/* Check a report from the network: HEPH_EINVALID naming the field when a
 * known field is malformed (unknown fields are ignored). */
int heph_fleet_check(const json_t *report);

/* The hub: record a device's report (checked with heph_fleet_check) at
 * now_ms, with the name of the token it authenticated with (NULL: none).
 * A report with only an origin comes from a version before fleet reporting:
 * the device's version is then unknown. HEPH_EFORBIDDEN, changing nothing,
 * when the device's row belongs to another token that is still valid (a
 * row is bound to the token that first reported it). Runs inside the open
 * transaction, or in its own. */
int heph_fleet_note(heph_store *s, const json_t *report, const char *token, int64_t now_ms);

/* Whether heph_fleet_note() would change anything: the device is new, its
 * report or token changed, or it was last seen HEPH_FLEET_SEEN_MS ago or
 * more. A pull notes only then, so most pulls write nothing. */
int heph_fleet_stale(heph_store *s, const json_t *report, const char *token, int64_t now_ms, int *stale);

/* For each op type not in known (an array of strings), the versions of the
 * fleet (this node and every device that reported) whose engine applies it:
 * {"TYPE": [{"version": V, "devices": [NAME, ...]}, ...], ...}. */
int heph_fleet_known_by(heph_store *s, const json_t *known, json_t **out);

/* Keep what a hub said about known_by (a spoke, after a pull page; NULL
 * forgets it). Inside the open transaction, or in its own. */
int heph_fleet_keep_known_by(heph_store *s, const json_t *known_by);

/* The fleet as this hub sees it: this node first, then each device, with
 * name, origin, role, token, version, level, schema, protocol, op_types,
 * missing_op_types and extra_op_types (compared with this node), first_seen,
 * last_seen (ISO 8601 UTC), last_seen_ms, unapplied, deferred. */
int heph_fleet_list(heph_store *s, json_t **out);

/* What this node holds and cannot apply yet: {"ops": N, "deferred": D,
 * "types": [{"type": T, "ops": N, "applied_by": [{"version", "devices"}]}]},
 * applied_by from the devices table on a hub, else from what the hub said
 * at the last pull: empty when no device of the fleet applies it, null when
 * the hub has not said (no pull yet, or a hub from before fleet reporting). */
int heph_fleet_unapplied(heph_store *s, json_t **out);

#ifdef __cplusplus
}
#endif
#endif
