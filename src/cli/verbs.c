/* verbs.c — the verb table: every heph verb, its arguments, the RPC method
 * it calls and how its answer is printed. Help comes from here too. */
#include "cli.h"

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static const struct opt task_opts[] = {
	{ "project", OPT_STR, NULL, "P", "file it under project P (name or id)" },
	{ "do-date", OPT_STR, NULL, "D", "earliest day to act: today, fri, next week, in 3 days, dec 15, YYYY-MM-DD" },
	{ "late-on", OPT_STR, NULL, "D", "the day after which lateness has a consequence" },
	{ "attention", OPT_STR, NULL, "A", "red, orange, white (default) or blue" },
	{ "body", OPT_TEXT, NULL, "TEXT", "the context doc's text (- reads standard input)" },
	{ "tag", OPT_LIST, "tags", "T", "tag it T (repeatable)" },
	{ "recur", OPT_STR, NULL, "R", "repeat: daily, weekly, every 3 days, every mon,wed, every month on the 15th" },
	{ "rrule", OPT_STR, NULL, "RRULE", "repeat by an RFC 5545 rule, e.g. FREQ=WEEKLY;INTERVAL=2" },
	{ NULL, 0, NULL, NULL, NULL },
};

static const struct opt list_opts[] = {
	{ "project", OPT_STR, NULL, "P", "only project P and its subprojects" },
	{ "tag", OPT_STR, NULL, "T", "only tasks tagged T (on the task or in its context doc)" },
	{ "all", OPT_FLAG, NULL, NULL, "every state, not only outstanding" },
	{ NULL, 0, NULL, NULL, NULL },
};

static const struct opt next_opts[] = {
	{ "limit", OPT_INT, NULL, "N", "show N tasks (default 10; 0: all); red ones are always shown" },
	{ "project", OPT_STR, NULL, "P", "only project P and its subprojects" },
	{ NULL, 0, NULL, NULL, NULL },
};

static const struct opt view_opts[] = {
	{ "limit", OPT_INT, NULL, "N", "show N tasks (default 100; 0: all); red ones are always shown" },
	{ NULL, 0, NULL, NULL, NULL },
};

static const struct opt edit_opts[] = {
	{ "title", OPT_STR, NULL, "T", "new title" },
	{ "attention", OPT_STR, NULL, "A", "red, orange, white or blue" },
	{ "do-date", OPT_STR, NULL, "D", "date word, or none" },
	{ "late-on", OPT_STR, NULL, "D", "date word, or none" },
	{ "project", OPT_STR, NULL, "P", "project name or id, or none" },
	{ "recur", OPT_STR, NULL, "R", "repeat: a preset, a phrase, or none" },
	{ "rrule", OPT_STR, NULL, "RRULE", "repeat by an RFC 5545 rule" },
	{ NULL, 0, NULL, NULL, NULL },
};

static const struct opt context_opts[] = {
	{ "append", OPT_STR, NULL, "TEXT", "add a line at the end (\"- [ ] step\" adds a checklist item)" },
	{ "body", OPT_TEXT, NULL, "TEXT", "replace the whole text (- reads standard input)" },
	{ NULL, 0, NULL, NULL, NULL },
};

static const struct opt add_opts[] = {
	{ "dry-run", OPT_FLAG, NULL, NULL, "print what would be added and add nothing" },
	{ NULL, 0, NULL, NULL, NULL },
};

static const struct opt log_opts[] = {
	{ "lines", OPT_INT, NULL, "N", "how many of the last lines to print (default 10; 0: all)" },
	{ NULL, 0, NULL, NULL, NULL },
};

static const struct opt project_add_opts[] = {
	{ "parent", OPT_STR, NULL, "P", "nest under project P" },
	{ NULL, 0, NULL, NULL, NULL },
};

static const struct opt doc_opts[] = {
	{ "body", OPT_TEXT, NULL, "TEXT", "the doc's markdown (- reads standard input)" },
	{ NULL, 0, NULL, NULL, NULL },
};

static const struct opt doc_edit_opts[] = {
	{ "title", OPT_STR, NULL, "T", "new title" },
	{ "body", OPT_TEXT, NULL, "TEXT", "replace the body (- reads standard input)" },
	{ "append", OPT_TEXT, NULL, "TEXT", "add TEXT as a new line at the end (- reads standard input)" },
	{ NULL, 0, NULL, NULL, NULL },
};

static const struct opt journal_opts[] = {
	{ "body", OPT_TEXT, NULL, "TEXT", "replace the day's text (- reads standard input)" },
	{ "append", OPT_TEXT, NULL, "TEXT", "add TEXT as a new line at the end (- reads standard input)" },
	{ NULL, 0, NULL, NULL, NULL },
};

static const struct opt alias_opts[] = {
	{ "add", OPT_LIST, NULL, "NAME", "add an alias (repeatable)" },
	{ "rm", OPT_LIST, "remove", "NAME", "remove an alias (repeatable)" },
	{ NULL, 0, NULL, NULL, NULL },
};

static const struct opt search_opts[] = {
	{ "kind", OPT_STR, NULL, "K", "only nodes of kind K (task, doc, journal, project, tag)" },
	{ "limit", OPT_INT, NULL, "N", "at most N results (default 20)" },
	{ "raw", OPT_FLAG, NULL, NULL, "QUERY is FTS5 syntax: AND OR NOT \"phrase\" NEAR() title:" },
	{ NULL, 0, NULL, NULL, NULL },
};

static const struct opt conflicts_opts[] = {
	{ "all", OPT_FLAG, NULL, NULL, "include resolved conflicts" },
	{ NULL, 0, NULL, NULL, NULL },
};

static const struct opt digest_opts[] = {
	{ "level", OPT_INT, NULL, "N", "only what a build of feature level N holds (mixed-version fleets)" },
	{ NULL, 0, NULL, NULL, NULL },
};

static const struct opt rm_opts[] = {
	{ "yes", OPT_FLAG, NULL, NULL, "delete a project with open tasks or subprojects without asking" },
	{ NULL, 0, NULL, NULL, NULL },
};

static const struct opt resolve_opts[] = {
	{ "keep", OPT_STR, NULL, "mine|theirs", "which value to keep" },
	{ NULL, 0, NULL, NULL, NULL },
};

const struct verb heph_cli_verbs[] = {
	{ "task", "TITLE... [--project P] [--do-date D] [--late-on D] [--attention A] [--tag T]... [--recur R]",
	  "add a task; prints its id", "task.create", ARGS("*title"), task_opts, print_id, NULL,
	  "Every task gets a context doc for its description and checklist.\n"
	  "A recurring task without a do-date gets the rule's first day from today on.\n"
	  "Recurrence: daily, weekly, monthly, yearly, weekdays, every 3 days, every other week,\n"
	  "every mon,wed, every month on the 15th, every year on apr 15, ... until YYYY-MM-DD,\n"
	  "... 3 times; or --rrule with a raw RFC 5545 rule.",
	  0 },
	{ "add", "TEXT... [--dry-run]", "quick add: a task from one line of text", NULL, ARGS("*text"), add_opts, NULL,
	  cmd_add,
	  "heph add Buy milk tomorrow p2 #Work every week\n"
	  "  title \"Buy milk\", do-date tomorrow, orange, project Work, every week.\n"
	  "p1 red, p2 orange, p3 blue, p4 white. #Name: an existing project (multi-word names too);\n"
	  "an unknown #word stays in the title. Dates: any phrase of the date grammar (today, fri,\n"
	  "next week, in 2 weeks, dec 15, eom, YYYY-MM-DD; wed, sat, sun only at the end, as words\n"
	  "follow them too often). The longest \"every ...\" at the end repeats it.\n"
	  "\\word keeps a word as it is. Quote the text, or mind the shell's # and \\.",
	  0 },
	{ "list", "[--project P] [--tag T] [--all]", "outstanding tasks, most pressing first", "task.list", NULL, list_opts,
	  print_tasks, NULL, NULL, 0 },
	{ "count", "[--project P] [--tag T] [--all]", "how many tasks heph list would show", "task.count", NULL,
	  list_opts, print_count, NULL, NULL, 0 },
	{ "next", "[--limit N] [--project P]", "what to do now: actionable tasks, most pressing first", "task.next",
	  NULL, next_opts, print_tasks, NULL,
	  "Candidates: outstanding, not blue, do-date empty or not after today. Order: tasks past their\n"
	  "late-on first (the furthest past first), then red, orange, white, then oldest first. The\n"
	  "do-date never orders. Red tasks are shown even beyond the limit.",
	  0 },
	{ "view", "[NAME] [--limit N]", "a named view of the tasks; without NAME, the views and their counts",
	  NULL,
	  ARGS("name?"), view_opts, NULL, cmd_view,
	  "Views: tom (top of mind), ondeck (blue), chores (outside the Work project), work (the Work\n"
	  "project), tasks (every outstanding task), inbox (tasks in no project). See\n"
	  "docs/explanation/what-is-next.md.",
	  0 },
	{ "attention", "ID COLOUR", "set a task's attention: red, orange, white or blue", "task.edit",
	  ARGS("id", "attention"), NULL, print_attention, NULL,
	  "red: a consequence exists if this is late; blue: on deck, hidden from the top-of-mind views.", 0 },
	{ "show", "ID", "one node: its fields, body and links", "node.get", ARGS("id"), NULL, print_node, NULL,
	  "ID is any unique prefix of 4 or more characters.", 0 },
	{ "done", "ID", "mark a task done (a recurring one moves to its next occurrence)", "task.done", ARGS("id"),
	  NULL, print_task_state, NULL,
	  "On a recurring task: the occurrence is logged in its log doc, its checklist is reset and the\n"
	  "do-date moves to the rule's next day after both today and the current do-date (missed days\n"
	  "are skipped). When the series is over the task is done.",
	  0 },
	{ "skip", "ID", "move a recurring task to its next occurrence without doing it", "task.skip", ARGS("id"),
	  NULL, print_task_state, NULL, "Like done on a recurring task, but nothing is logged.", 0 },
	{ "drop", "ID", "drop a task for good", "task.drop", ARGS("id"), NULL, print_task_state, NULL, NULL, 0 },
	{ "rm", "ID [--yes]", "delete a node (a tombstone that syncs)", NULL, ARGS("id"), rm_opts, NULL, cmd_rm,
	  "A task's context doc survives its task. Deleting a project moves its open tasks to the\n"
	  "inbox and its subprojects to the top level: on a terminal heph rm says so and asks,\n"
	  "otherwise it needs --yes. heph undo brings the project back with them.", 0 },
	{ "edit",
	  "ID [--title T] [--attention A] [--do-date D|none] [--late-on D|none] [--project P|none] [--recur R|none]",
	  "change a task", "task.edit", ARGS("id"), edit_opts, print_task_state, NULL,
	  "--recur takes what heph task --recur takes, or none to stop repeating.", 0 },
	{ "context", "ID [--append TEXT | --body TEXT|-]", "print or edit a task's context doc", NULL, ARGS("id"),
	  context_opts, NULL, cmd_context,
	  "Its GFM checklist lines (- [ ] step, - [x] done; * and + bullets too), outside fenced code,\n"
	  "are the task's context items: heph show lists them, and done on a recurring task unchecks them.",
	  0 },
	{ "promote", "ID ITEM", "turn an open checklist item of a context doc into a task of its own", "checklist.promote",
	  ARGS("id", "*item"), NULL, print_promoted,
	  NULL,
	  "ID is the task (or its context doc); ITEM is the item's line number in the doc (heph\n"
	  "context ID --json lists the checklist with its lines) or the start of its text. The new\n"
	  "task is titled by the item, filed in the same project and linked back (promoted-from);\n"
	  "the item's line becomes a wiki link to it. One change: heph undo reverses it.",
	  0 },
	{ "log", "ID [TEXT...] [--lines N]", "print the tail of a task's log, or append TEXT to it", NULL,
	  ARGS("id", "*text?"), log_opts, NULL, cmd_log,
	  "Entries are lines \"- YYYY-MM-DD: text\" in the task's log doc, made on first use. Recurring\n"
	  "tasks log each occurrence done there.",
	  0 },
	{ "project add", "NAME [--parent P]", "add a project; prints its id", "project.add", ARGS("*name"),
	  project_add_opts, print_id, NULL, NULL, 0 },
	{ "project list", "", "the project tree with outstanding counts (own / with subprojects)", "project.list",
	  NULL, NULL, print_projects, NULL, NULL, 0 },
	{ "doc", "TITLE... [--body TEXT|-]", "add a doc; prints its id", "doc.create", ARGS("*title"), doc_opts,
	  print_doc_change, NULL,
	  "In the body, [[Name]] links to the node of that id, alias or title (stored as [[ID|Name]])\n"
	  "and #tag tags the doc. Links that match no node, or several, stay text (noted on stderr).", 0 },
	{ "doc edit", "ID [--title T] [--body TEXT|-] [--append TEXT|-]", "change a doc's title or text",
	  "doc.edit", ARGS("id"), doc_edit_opts, print_doc_change, NULL,
	  "Works on docs, journals and projects; a task's text is its context doc (heph context).", 0 },
	{ "journal", "[DATE] [--append TEXT|-] [--body TEXT|-]", "the journal of a day (default today)",
	  "journal.open", ARGS("date?"), journal_opts, print_journal, NULL,
	  "Prints the day's journal, creating it if missing. Its id is derived from the date, so two\n"
	  "devices opening the same day offline end up with one journal once they sync.", 0 },
	{ "alias", "ID [--add NAME]... [--rm NAME]...", "a node's aliases: other names [[links]] resolve",
	  "node.aliases", ARGS("id"), alias_opts, print_aliases, NULL, NULL, 0 },
	{ "tags", "", "tags and how many nodes carry each", "tag.list", NULL, NULL, print_tags, NULL, NULL, 0 },
	{ "search", "QUERY... [--kind K] [--limit N] [--raw]", "full-text search of titles and bodies",
	  "search", ARGS("*query"), search_opts, print_search, NULL,
	  "Every word must occur (case and accents ignored); word* matches a prefix. Best matches\n"
	  "first; a hit in a task's context doc shows the task.", 0 },
	{ "link add", "SRC DST TYPE", "link two nodes (TYPE is any lower-case word)", "link.add",
	  ARGS("src", "dst", "type"), NULL, print_link_change, NULL,
	  "in-project (task to project) and parent (project to project) replace the previous link;\n"
	  "wiki, canonical-context and log-of links are managed by heph.", 0 },
	{ "link rm", "SRC DST TYPE", "remove the links of a type between two nodes", "link.remove",
	  ARGS("src", "dst", "type"), NULL, print_link_change, NULL, NULL, 0 },
	{ "links", "ID", "a node's outgoing links", "link.list", ARGS("id"), NULL, print_links, NULL, NULL, 0 },
	{ "backlinks", "ID", "links pointing at a node", "link.backlinks", ARGS("id"), NULL, print_backlinks, NULL,
	  NULL, 0 },
	{ "ops", "[--unapplied] [--json]", "the op-log (with --json: one op per line, for heph apply)", NULL, NULL,
	  NULL, NULL, cmd_ops,
	  "--unapplied shows only the ops not applied here: those waiting for a node that has not\n"
	  "arrived, and those of types this version cannot apply (kept, and applied when a version\n"
	  "that knows them opens the database). It ends by saying which heph versions in the fleet\n"
	  "apply them, as the hub said at the last sync; with --json each such line has \"status\"\n"
	  "and \"applied_by\" too.", 0 },
	{ "apply", "FILE|-", "apply ops (lines of heph ops --json) exactly as sync would", NULL, NULL, NULL, NULL,
	  cmd_apply, "All ops are applied in one transaction: on a bad line nothing is applied.", 0 },
	{ "conflicts", "[--all]", "values that lost to a concurrent edit on another device", "conflicts.list", NULL,
	  conflicts_opts, print_conflicts, NULL, NULL, 0 },
	{ "conflicts resolve", "ID --keep mine|theirs", "settle a conflict", "conflicts.resolve", ARGS("id"),
	  resolve_opts, print_conflict_resolved, NULL,
	  "mine is the value written on this device when exactly one side was, else the value shown now;\n"
	  "theirs is the other one. Keeping a value that is not shown writes it again.", 0 },
	{ "export", "DIR | --ical FILE", "write every node as markdown, or dated tasks as iCalendar", NULL, NULL,
	  NULL, NULL, cmd_export,
	  "DIR gets <kind>/<id>.md per live node: YAML frontmatter (id, kind, title, times, task\n"
	  "fields, aliases, tags, links) and the body; files of deleted nodes are removed.\n"
	  "--ical FILE writes a VTODO per outstanding task with a do-date or late-on (- : stdout).", 0 },
	{ "backup", "FILE", "a consistent copy of this database, taken while others write to it", NULL, NULL,
	  NULL, NULL, cmd_backup,
	  "FILE must not exist. The copy is one commit's state (SQLite's online backup), checked,\n"
	  "and a plain file (no -wal or -shm) that heph can read in place, even on read-only\n"
	  "media. On a hub, hephd backup DIR does the same with a dated name.", 0 },
	{ "restore", "FILE", "replace this database with a backup, keeping the one it replaces", NULL, NULL,
	  NULL, NULL, cmd_restore,
	  "FILE is checked first (SQLite's integrity check, a heph database, a schema this heph\n"
	  "reads); nothing is touched if it fails. The database it replaces is copied to\n"
	  "DB.replaced-YYYYMMDDTHHMMSSZ. The restored database syncs as a new device (a new\n"
	  "origin), so that nothing it writes can collide with ops this device pushed after\n"
	  "the backup; those come back from the hub. Stop this database's hephd first.", 0 },
	{ "import taskwarrior", "FILE|-", "import the output of `task export`", NULL, NULL, NULL, NULL, cmd_import,
	  "Dotted projects nest; scheduled/wait become the do-date, due the late-on; H/M/L become\n"
	  "red/orange/white; recur becomes a recurrence; annotations go to the task's log;\n"
	  "other fields (UDAs such as estimate or size) become lines in its context doc;\n"
	  "completed tasks are done, deleted ones dropped. Ids come from the uuids: importing the\n"
	  "same tasks again creates nothing new. One transaction: a bad task imports nothing.", 0 },
	{ "undo", "[--list [--limit N]] [--dry-run]", "reverse the last change made on this device", NULL, NULL, NULL,
	  NULL, cmd_undo,
	  "Undo writes new ops that reverse the change, so it reaches other devices like any edit.\n"
	  "A value changed since (here or on another device) is left alone and reported; a deleted\n"
	  "node comes back as a copy under a new id. --list shows recent changes and what undo\n"
	  "would do; --dry-run only says it. Undoing an undo is not offered.", 0 },
	{ "call", "METHOD [PARAMS-JSON]", "call any JSON-RPC method and print its result as JSON", NULL, NULL, NULL,
	  NULL, cmd_call, "heph call rpc.methods lists the methods; see docs/reference/rpc.md.", 0 },
	{ "digest", "[--level N]", "a hash of the replicated state; equal on replicas holding the same ops", "digest", NULL, digest_opts,
	  print_digest, NULL, NULL, 0 },
	{ "sync", "[--status]", "pull from the hub and merge, then push; --status: how syncing goes", NULL, NULL, NULL,
	  NULL, cmd_sync,
	  "Runs through the hephd serving this database when one runs, in-process otherwise.\n"
	  "--status shows the hub, the last attempt, the last success, the last error (and\n"
	  "whether it was an auth failure), ops waiting to push, open conflicts, and ops held here\n"
	  "that this version cannot apply yet with the versions that would.\n"
	  "Exit status 10 when the hub refused the credential, 14 when it cannot be reached.", 0 },
	{ "hub set", "URL|none [--token-file FILE | --token-cmd CMD] [--name NAME]", "sync this database with the hub at URL", NULL, NULL,
	  NULL, NULL, cmd_hub_set,
	  "The hub and the token file are settings of this device, never synced. FILE holds\n"
	  "the bearer token the hub's owner made with `hephd token create NAME`. --token-cmd\n"
	  "CMD instead runs CMD (with sh -c) whenever a token is needed and takes the first line\n"
	  "it prints, e.g. --token-cmd 'pass show heph/laptop': no token sits in a plain file. The\n"
	  "command is kept in $XDG_CONFIG_HOME/heph/credentials.json by hub URL, not in the\n"
	  "database; it is run once here to check it; --token-cmd none forgets it. --name is\n"
	  "what this device is called in the hub's fleet list (default: the host name).", 0 },
	{ "auth login", "[--hub-url URL]", "log in to the hub through its identity provider (device code)", NULL, NULL,
	  NULL, NULL, cmd_auth_login,
	  "Asks the hub (default: this database's, heph hub set) which OpenID Connect provider it\n"
	  "trusts, then runs the device-code flow: open the page shown, enter the code, approve.\n"
	  "The tokens are kept in $XDG_CONFIG_HOME/heph/credentials.json (mode 0600), by hub URL;\n"
	  "heph sync, heph --remote and hephd use them for a hub that has no token file, and\n"
	  "renew the access token before it expires. Exit status 10 when the login is denied or\n"
	  "its code expires, 11 when the hub refuses the identity, 14 when the provider cannot\n"
	  "be reached.", 0 },
	{ "auth status", "[--hub-url URL]", "who is logged in to the hub, until when, and how to log in again", NULL,
	  NULL, NULL, NULL, cmd_auth_status,
	  "Without --hub-url and without a hub set for this database: every login kept here.\n"
	  "Exit status 10 when not logged in to the hub.", 0 },
	{ "auth logout", "[--hub-url URL]", "forget the tokens of the login to the hub", NULL, NULL, NULL, NULL,
	  cmd_auth_logout, "The provider is asked to revoke the refresh token too, when it says how.", 0 },
	{ "fleet", "", "the devices that sync through the hub: versions, schemas, op types, last seen", NULL, NULL,
	  NULL, NULL, cmd_fleet,
	  "Asks the hub (of --remote, else the one this database syncs with, else this database\n"
	  "is the hub). One line per device: its name, role, heph version, schema version, the\n"
	  "op types it lacks (-type) or has beyond the hub's (+type), when the hub last heard\n"
	  "from it, and how many ops it holds that it cannot apply yet. Every sync request\n"
	  "carries this report; a device running a heph from before fleet reporting shows as\n"
	  "unknown. See docs/explanation/data-evolution.md.", 0 },
	{ "health", "", "whether this device is fine: database, schema, daemon, hub, conflicts, clock", NULL, NULL,
	  NULL, NULL, cmd_health,
	  "One line per check, each ok, warning or error, with the command that fixes it:\n"
	  "the database file (quick_check), its schema, the hephd serving it, the hub (the last\n"
	  "sync's outcome and age, auth), ops waiting to push, open conflicts, ops held that this\n"
	  "version cannot apply, and this device's clock against the hub's at the last pull.\n"
	  "It reads what the last sync recorded and makes no network call. Exit status 1 when\n"
	  "any line is a warning or an error.", 0 },
	{ "daemon", "start [HEPHD-OPTIONS]|stop|restart [HEPHD-OPTIONS]|status|install",
	  "manage the background hephd of this database",
	  NULL, NULL, NULL, NULL, cmd_daemon,
	  "start runs hephd --mode local on this database (extra options go to hephd, e.g.\n"
	  "--sync-interval 10); its socket is $HEPH_SOCKET, else $XDG_RUNTIME_DIR/heph/hephd.sock,\n"
	  "and its pid file and log sit beside the socket (hephd.pid, hephd.log). restart\n"
	  "starts it again with the options it was started with, or with the ones given.\n"
	  "status exits 14 when no hephd serves this database. install writes a systemd\n"
	  "user unit (~/.config/systemd/user/hephd.service).", 0 },
	/* hidden (not in heph --help): what the shells' completions ask (cmd_complete.c) */
	{ "__complete", "-- WORD... CURRENT", "candidates for the word being completed, one a line: WORD<TAB>DESCRIPTION",
	  NULL, NULL, NULL, NULL, cmd_complete, NULL, 1 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 },
};
