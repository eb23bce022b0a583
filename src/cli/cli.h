/* cli.h — the heph command line: a table of verbs, each a thin mapping
 * from argv to one JSON-RPC method and from its result to text.
 *
 * Ownership: the cli struct owns the store; results passed to printers are
 * borrowed for the call.
 */
#ifndef HEPH_CLI_H
#define HEPH_CLI_H

/* The page cache of a heph command's connection, KiB (cli_store). */
#define HEPH_CLI_CACHE_KB 2048

#include <jansson.h>
#include <stdio.h>

#include "heph/buf.h"
#include "heph/error.h"
#include "heph/rpc.h"
#include "heph/store.h"
#include "net.h"

enum opt_kind {
	OPT_STR,   /* --name VALUE */
	OPT_TEXT,  /* --name VALUE, where "-" reads standard input */
	OPT_FLAG,  /* --name (true) */
	OPT_INT,   /* --name N */
	OPT_LIST,  /* --name VALUE, repeatable, collected into an array */
};

/* An option. A verb's options are its method's parameters (from the RPC
 * schema: heph/rpc.h), then the options of its own table. On the command
 * line '_' in a name is written '-' (do_date: --do-date). */
struct opt {
	const char *name;   /* long name without dashes */
	enum opt_kind kind; /* how its value is read */
	const char *param;  /* params key; NULL: the name with '-' as '_' */
	const char *meta;   /* value placeholder in help */
	const char *help;   /* one line */
	const heph_rpc_param *schema; /* the parameter it comes from, or NULL */
};

/* The most options a verb has. */
#define CLI_MAX_OPTS 24

struct cli;

enum {
	VERB_NO_STORE = 1 << 0,  /* runs without opening a database */
	VERB_ARGS_ONLY = 1 << 1, /* takes its positionals only, not its method's other parameters */
	VERB_RAW = 1 << 2,       /* run gets the words unparsed (they go to another program) */
	VERB_HIDDEN = 1 << 3,    /* not in heph --help nor the verb list (heph __complete) */
};

struct verb {
	const char *name;         /* "project add" */
	const char *usage;        /* what follows the name; NULL: made from args and options */
	const char *summary;      /* one line for the overview */
	const char *method;       /* the RPC method: called when run is NULL; its parameters are options */
	const char *const *args;  /* positional params; a name starting with '*' takes the rest */
	const struct opt *opts;   /* the verb's own options, NULL-name terminated, may be NULL */
	void (*print)(struct cli *cli, json_t *result); /* human output */
	int (*run)(struct cli *cli, int argc, char **argv); /* custom verbs */
	const char *help;         /* longer text for --help, may be NULL */
	unsigned flags;           /* VERB_* */
};

struct cli {
	const char *db_path;       /* resolved database path */
	heph_store *store;         /* opened on first use */
	int json;                  /* --json */
	int color;                 /* ANSI colours on stdout */
	FILE *out;                 /* human output: stdout through cli_term_open(); with --json stdout */
	FILE *raw;                 /* stdout itself, for bytes that must pass as they are (iCalendar) */
	int width;                 /* the terminal's columns; 0 when not a terminal */
	const struct verb *verb;   /* the verb being run */
	const char *remote;        /* --remote URL / $HEPH_REMOTE: verbs go to that hub's /rpc */
	const char *token_file;    /* --token-file / $HEPH_TOKEN_FILE: the bearer token for remote */
	net_client *rc;            /* the connection to remote, made on first use */
	heph_rpc_host host;        /* what in-process methods may use (sync.now) */
	heph_rpc_row_fn row;       /* NULL, or what takes a paged read's rows as it streams them */
	void *row_ctx;             /* row's ctx */
};

#define TASK_ROW_FIELDS 9
/* A task list's rows as the printer keeps them (print.c): each row's
 * printed fields in one text arena, no JSON objects. */
struct task_rows {
	heph_buf text;         /* the fields, each NUL-terminated */
	size_t (*off)[TASK_ROW_FIELDS]; /* per row, each field's offset in text */
	size_t n, cap;         /* rows, rows allocated */
};
/* Keep a task object's printed fields (a heph_rpc_row_fn; t borrowed). */
int task_rows_add(void *ctx, json_t *t);
void print_task_rows(struct cli *cli, const struct task_rows *tr);
void task_rows_free(struct task_rows *tr);

/* Styles printers may write into human output (term.c turns them into
 * ANSI colours on a colour terminal and drops them otherwise): 0xFF, which
 * no UTF-8 text holds, and a letter. */
#define CLI_RESET "\xff" "0"
#define CLI_BOLD "\xff" "1"
#define CLI_DIM "\xff" "2"
#define CLI_RED "\xff" "r"
#define CLI_GREEN "\xff" "g"
#define CLI_YELLOW "\xff" "y"
#define CLI_BLUE "\xff" "b"

/* A stream writing to `to` with control characters shown (^[, ^M) and the
 * CLI_* styles applied (colour) or dropped; closed with fclose(), which
 * flushes `to` (term.c). */
FILE *cli_term_open(FILE *to, int color);
/* The width to fit lines to: $COLUMNS, else the terminal's (ioctl), else 0
 * (not a terminal: lines are not cut). */
int cli_term_width(void);
/* Write s to `to` with control characters shown, styles dropped (for
 * stderr). */
void cli_term_puts(FILE *to, const char *s);

/* The verb table (verbs.c), terminated by a NULL name. */
extern const struct verb heph_cli_verbs[];
/* Whether word names a group of verbs ("project": project add, project list). */
int cli_is_group(const char *word);

/* Open the store if not yet open; 0 or an error code (message set). */
int cli_store(struct cli *cli);

/* Call a method and print its result (JSON with --json, else verb->print). */
int cli_call_print(struct cli *cli, const char *method, json_t *params);

/* Call a method; *result is a new reference. A paged read (heph/rpc.h)
 * called without limit or cursor is read to its last page: *result is
 * then every row, in one array. */
int cli_call(struct cli *cli, const char *method, json_t *params, json_t **result);

/* One call, in-process or to the remote hub, answered as the method
 * answers it (a paged read: one page); a heph_rpc_caller with cli as ctx. */
int cli_call_once(struct cli *cli, const char *method, json_t *params, json_t **result);

/* Parse a verb's arguments into params by its table entry: options by
 * their kind, positionals by name ("name?" optional, "*name" the rest of
 * the words). 0, or HEPH_EUSAGE / HEPH_EINVALID (not UTF-8) with a message.
 * Every verb's words go through here (custom verbs too, except VERB_RAW). */
int cli_parse_args(const struct verb *v, int argc, char **argv, json_t *params);

/* The options of v into out (at most CLI_MAX_OPTS): its method's parameters
 * that are not positionals (unless VERB_ARGS_ONLY), then its own. Returns
 * how many. The strings are static. */
size_t cli_verb_opts(const struct verb *v, struct opt out[CLI_MAX_OPTS]);

/* The usage line of v (what follows "heph NAME") into buf. */
void cli_usage(const struct verb *v, char *buf, size_t n);

/* The words of the verb being run as a new params object (cli_parse_args
 * by cli->verb); 0 or the error, *params NULL on error. */
int cli_params(struct cli *cli, int argc, char **argv, json_t **params);

/* Take key out of params: a new reference to its value, or NULL. For the
 * options a custom verb reads itself before calling a method. */
json_t *cli_take(json_t *params, const char *key);

/* Print usage of one verb, or the overview when v is NULL. */
void cli_help(FILE *f, const struct verb *v);

/* The verb table as JSON, for generators of man pages and completions
 * (heph --json help): each verb's name, usage, summary, method, args,
 * options (name, kind, meta, help, param, type, values) and help. */
json_t *cli_verbs_json(void);

/* Printers (print.c). */
void print_id(struct cli *cli, json_t *r);
void print_tasks(struct cli *cli, json_t *r);
void print_task_state(struct cli *cli, json_t *r);
void print_node(struct cli *cli, json_t *r);
void print_projects(struct cli *cli, json_t *r);
void print_links(struct cli *cli, json_t *r);
void print_backlinks(struct cli *cli, json_t *r);
void print_link_change(struct cli *cli, json_t *r);
void print_conflicts(struct cli *cli, json_t *r);
void print_conflict_resolved(struct cli *cli, json_t *r);
void print_digest(struct cli *cli, json_t *r);
void print_count(struct cli *cli, json_t *r);
void print_json(struct cli *cli, json_t *r);
void print_views(struct cli *cli, json_t *r);
void print_attention(struct cli *cli, json_t *r);
void print_context(struct cli *cli, json_t *r);
void print_log(struct cli *cli, json_t *r);
void print_quickadd(struct cli *cli, json_t *r);

/* Docs, journals, aliases, tags (print_docs.c). */
void print_unresolved(struct cli *cli, json_t *r);
void print_doc_change(struct cli *cli, json_t *r);
void print_journal(struct cli *cli, json_t *r);
void print_aliases(struct cli *cli, json_t *r);
void print_tags(struct cli *cli, json_t *r);
void print_search(struct cli *cli, json_t *r);
void print_promoted(struct cli *cli, json_t *r);

/* Custom verbs (cmd_ops.c). */
int cmd_ops(struct cli *cli, int argc, char **argv);
int cmd_apply(struct cli *cli, int argc, char **argv);
int cmd_call(struct cli *cli, int argc, char **argv);
int cmd_complete(struct cli *cli, int argc, char **argv); /* heph __complete (cmd_complete.c) */
int cmd_undo(struct cli *cli, int argc, char **argv); /* cmd_undo.c */
int cmd_export(struct cli *cli, int argc, char **argv); /* cmd_export.c */
int cmd_import(struct cli *cli, int argc, char **argv); /* cmd_import.c */
int cmd_backup(struct cli *cli, int argc, char **argv); /* cmd_backup.c */
int cmd_restore(struct cli *cli, int argc, char **argv); /* cmd_backup.c */

/* Custom verbs (cmd_life.c). */
int cmd_view(struct cli *cli, int argc, char **argv);
int cmd_context(struct cli *cli, int argc, char **argv);
int cmd_log(struct cli *cli, int argc, char **argv);
int cmd_add(struct cli *cli, int argc, char **argv);
int cmd_rm(struct cli *cli, int argc, char **argv);

/* Sync and hub (cmd_sync.c). */
int cmd_sync(struct cli *cli, int argc, char **argv);
int cmd_hub_set(struct cli *cli, int argc, char **argv);
/* Print a sync.status result r (borrowed) for a person, or as JSON. */
void cli_print_sync_status(struct cli *cli, json_t *r);

/* The local hephd (cmd_daemon.c). */
int cmd_daemon(struct cli *cli, int argc, char **argv);
/* heph calendar url|revoke|alarms (cmd_calendar.c). */
int cmd_calendar(struct cli *cli, int argc, char **argv);
/* heph health (cmd_health.c). */
int cmd_health(struct cli *cli, int argc, char **argv);

/* heph auth login|status|logout (cmd_auth.c). */
int cmd_auth_login(struct cli *cli, int argc, char **argv);
int cmd_auth_status(struct cli *cli, int argc, char **argv);
int cmd_auth_logout(struct cli *cli, int argc, char **argv);
/* The fleet (cmd_fleet.c): heph fleet, and the words for ops this node
 * cannot apply yet (an ops.unapplied result, u) and who applies them. */
int cmd_fleet(struct cli *cli, int argc, char **argv);
void cli_print_unapplied(FILE *f, const json_t *u, const char *indent);
void cli_print_applied_by(FILE *f, const json_t *applied_by);

/* The in-process sync engine lent to sync.now (cmd_sync.c). */
int cli_sync_now(void *ctx, heph_store *s, json_t **result);

/* A connection to the hephd serving this database, or -1 when none does
 * (cmd_daemon.c). */
int cli_daemon_fd(struct cli *cli);

#endif
