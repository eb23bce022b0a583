/* body.h — what a body says about its node: its wiki links and its tags.
 *
 * A node's body (markdown) is the source of truth; the `wiki` and `tag`
 * links out of the node are an index of it. Every local write of a body goes
 * through heph__set_body() (or heph__node_create()), which stores names as
 * ids and emits the link ops that bring the index in step, so that every
 * replica receives the same index as ordinary ops. The syntax, recognised
 * everywhere except in fenced code blocks and inline code spans:
 *
 *   form            meaning
 *   [[ID]]          a wiki link to node ID; reads may show it as [[ID|Title]]
 *   [[ID|label]]    the same, shown as label
 *   [[Name]]        as written by a user: on write it resolves by id (or a
 *                   unique id prefix of 4+ characters), then alias, then
 *                   title, and is stored as [[ID|Name]]; when no node or
 *                   several match it stays text and is reported unresolved
 *   #tag            '#' at the start of a line or after white space, then a
 *                   letter, then letters, digits, '_', '-', '/' (trailing
 *                   '-' and '/' are not part of it), at most 64 bytes; folded
 *                   to lower case; links the node to the `tag` node of that
 *                   name, created on demand with an id derived from the name
 *   ---             a body that opens with YAML frontmatter: its `tags:`
 *   tags: [a, b]    entry (a flow list, words, or "- a" lines) tags the node
 *   ---             too; nothing else in the block is read
 *
 * Ownership: strings returned through out pointers are malloc'd and belong to
 * the caller; json_t arrays passed in (unresolved) are borrowed and appended to.
 */
#ifndef HEPH_BODY_H
#define HEPH_BODY_H

#include "internal.h"

#define HEPH_TAG_MAX 64       /* bytes in a tag name */
#define HEPH_WIKI_TARGET_MAX 512

/* One wiki link or tag found in a body; offsets are bytes into the body. */
struct heph_ref {
	int tag;            /* 1: a #tag, 0: a [[wiki link]] */
	size_t start, end;  /* the whole span, end exclusive */
	size_t t0, t1;      /* the target, or the tag's name without '#' (trimmed) */
	size_t l0, l1;      /* the label of a wiki link; l0 == l1 when it has none */
};

/* Called for each reference in order; a non-zero return stops the walk and
 * is returned by heph__body_refs(). */
typedef int (*heph_ref_fn)(const char *body, const struct heph_ref *r, void *ctx);

int heph__body_refs(const char *body, heph_ref_fn fn, void *ctx);

/* The wiki targets that are full node ids (upper-cased, first appearance
 * first, no duplicates) and the tag names (lower-cased, likewise) of a body,
 * as new JSON arrays of strings. */
void heph__body_targets(const char *body, json_t **wiki, json_t **tags);

/* Normalise a tag as given on a command line ("#Errand" or "errand") into
 * out; HEPH_EINVALID unless it is a tag by the grammar above. */
int heph__tag_name(const char *in, char out[HEPH_TAG_MAX + 1]);

/* The live tag node named name (case-insensitive), creating it when create is
 * set (its id derived from the name, so that two devices converge); with
 * create unset, HEPH_ENOTFOUND when there is none. */
int heph__tag_node(heph_store *s, const char *name, int create, char out[HEPH_ID_LEN + 1]);

/* Rewrite the wiki links of body whose target is not a node id yet into
 * [[ID|Name]] form. *out is the new body. Targets that resolve to nothing or
 * to several nodes are left as written and appended to unresolved (may be
 * NULL) as {"target", "reason"}. */
int heph__body_prepare(heph_store *s, const char *body, char **out, json_t *unresolved);

/* Bring the wiki and tag links out of node_id in step with body: add a link
 * for each target the body names and the links lack, remove the links to
 * targets it no longer names. Emits nothing when they agree. */
int heph__body_index(heph_store *s, const char *node_id, const char *body);

/* The body with each [[ID]] that has no label shown as [[ID|Current Title]];
 * malloc'd. Unknown ids are left alone. */
char *heph__body_expand(heph_store *s, const char *body);

/* The current aliases of a node as a JSON array (empty when none). */
json_t *heph__aliases_json(heph_store *s, const char *node_id);

#endif
