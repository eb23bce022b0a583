/* ext.h — what a feature level adds to heph, registered in one place.
 *
 * A build links exactly one registry, chosen by meson's feature_level:
 * ext/level1.c (adds nothing) or ext/level2.c (the test-only additions of
 * docs/explanation/data-evolution.md). Each defines heph__ext, one table of
 * everything its level adds; the engine, the store, the queries and the
 * method table ask it, so none of them carries a feature-level #if and a
 * shipped (level-1) engine has no test-only code path.
 *
 *   what                 who asks                     (table member)
 *   op types             op.c (validate), apply.c     op_types
 *   task registers       fields.c                     task_fields
 *   migrations           schema.c                     migrations
 *   RPC methods          rpc.c                        methods
 *   task.create/edit     rpc.c (schema), rpc_task.c   task_params, task_param
 *   link types           rpc_node.c                   link_add
 *   task reads           query.c                      task_json
 *   the state digest     rpc_ops.c                    digest_tasks_sql
 *
 * Everything here is static data with the program's lifetime.
 */
#ifndef HEPH_EXT_H
#define HEPH_EXT_H

#include <jansson.h>

#include "heph/op.h"
#include "heph/rpc.h"
#include "internal.h"

/* An op type beyond level 1's. */
typedef struct heph_ext_op {
	const char *type;                  /* "task.snooze" */
	int level;                         /* the level that introduced it */
	int (*validate)(const json_t *p);  /* 0, or HEPH_EINVALID with the message set */
	/* Apply it inside the open transaction; a node it needs that does not
	 * exist yet: its id through *wait_for (borrowed from p), and 0. */
	int (*apply)(heph_store *s, const heph_op *op, const json_t *p, const char **wait_for);
} heph_ext_op;

/* A migration after all of level 1's. */
typedef struct heph_ext_migration {
	const char *sql;               /* run first, may be NULL */
	int (*fn)(heph_store *s);      /* then this, may be NULL */
	int reads_same;                /* heph's reads work the same without it */
} heph_ext_migration;

typedef struct heph_ext {
	int level;                              /* this build's feature level */
	const heph_ext_op *op_types;            /* NULL-type terminated, or NULL */
	const heph_field *task_fields;          /* task registers, NULL-name terminated, or NULL */
	const heph_ext_migration *migrations;   /* nmigrations of them */
	int nmigrations;
	const heph_rpc_method *methods;         /* NULL-name terminated, or NULL */
	const heph_rpc_param *task_params;      /* more parameters of task.create and task.edit */
	/* Read the task_params from params into fields (the payload being
	 * built); HEPH_EINVALID naming the bad one. NULL: there are none. */
	int (*task_param)(const json_t *params, json_t *fields);
	/* A link.add of a type this level knows: *handled 1 when it took it
	 * (checked and added it, or refused it), 0 to leave it to the core. */
	int (*link_add)(heph_store *s, const char *type, const char *src, const char *skind, const char *dst,
			const char *dkind, char lid[HEPH_ID_LEN + 1], int *handled);
	/* Add this level's fields of task id to o, a task read. */
	int (*task_json)(heph_store *s, const char *id, json_t *o);
	const char *digest_tasks_sql;           /* the digest's tasks part at this level, or NULL */
} heph_ext;

extern const heph_ext heph__ext;

/* The extension's op type named type, or NULL. */
const heph_ext_op *heph__ext_op(const char *type);

#endif
