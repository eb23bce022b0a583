/* verbs.c — the verb table: every heph verb, its arguments, the RPC method
 * it calls and how its answer is printed. Help comes from here too. */
#include "cli.h"

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

#define OPT(name, kind, param, meta, help) { name, kind, param, meta, help, NULL }
#define END { NULL, 0, NULL, NULL, NULL, NULL }

/* The options below are the verbs' own; every other option is a parameter
 * of the verb's method, with its type, help and default from the method
 * table (src/lib/rpc/rpc.c). */

static const struct opt ops_opts[] = {
	OPT("unapplied", OPT_FLAG, NULL, NULL, "only the ops not applied here, and who applies them"),
	OPT("pending", OPT_FLAG, "unapplied", NULL, "the same as --unapplied"),
	END,
};

static const struct opt export_opts[] = {
	OPT("ical", OPT_STR, NULL, "FILE", "write dated outstanding tasks as iCalendar to FILE (- : standard output)"),
	OPT("events", OPT_FLAG, NULL, NULL, "with --ical: all-day VEVENTs, as the calendar feed, instead of VTODOs"),
	END,
};

static const struct opt undo_opts[] = {
	OPT("list", OPT_FLAG, NULL, NULL, "show recent changes and what undo would do next"),
	OPT("limit", OPT_INT, NULL, "N", "with --list: how many recent changes (default 10)"),
	END,
};

static const struct opt sync_opts[] = {
	OPT("status", OPT_FLAG, NULL, NULL, "how syncing goes, instead of syncing"),
	END,
};

static const struct opt rm_opts[] = {
	OPT("yes", OPT_FLAG, NULL, NULL, "delete a project with open tasks or subprojects without asking"),
	END,
};

static const struct opt hub_set_opts[] = {
	OPT("token-file", OPT_STR, NULL, "FILE", "the file holding this device's bearer token (none: forget it)"),
	OPT("token-cmd", OPT_STR, NULL, "CMD", "a command that prints the token, run when one is needed (none: forget it)"),
	OPT("token-save-cmd", OPT_STR, NULL, "CMD",
	    "a command that keeps the login's refresh token from its standard input (none: forget it)"),
	OPT("name", OPT_STR, NULL, "NAME", "this device's name in the hub's fleet list (default: the host name)"),
	END,
};

static const struct opt hub_url_opts[] = {
	OPT("hub-url", OPT_STR, NULL, "URL", "the hub (default: --remote, else this database's hub)"),
	END,
};

/* "heph task add TITLE" and "heph doc add TITLE" read as "heph project add
 * NAME" does: hidden spellings of heph task and heph doc. */
#define TASK_VERB(name, flags) \
	{ name, NULL, "add a task; prints its id", "task.create", ARGS("*title"), NULL, print_id, NULL, \
	  "Every task gets a context doc for its description and checklist.\n" \
	  "A recurring task without a do-date gets the rule's first day from today on.\n" \
	  "Recurrence: daily, weekly, monthly, yearly, weekdays, every 3 days, every other week,\n" \
	  "every mon,wed, every month on the 15th, every year on apr 15, ... until YYYY-MM-DD,\n" \
	  "... 3 times; or --rrule with a raw RFC 5545 rule. heph task add TITLE is the same.", \
	  flags }
#define DOC_VERB(name, flags) \
	{ name, NULL, "add a doc; prints its id", "doc.create", ARGS("*title"), NULL, print_doc_change, NULL, \
	  "In the body, [[Name]] links to the node of that id, alias or title (stored as [[ID|Name]])\n" \
	  "and #tag tags the doc. Links that match no node, or several, stay text (noted on stderr).\n" \
	  "heph doc add TITLE is the same.", flags }

const struct verb heph_cli_verbs[] = {
	TASK_VERB("task", 0),
	TASK_VERB("task add", VERB_HIDDEN),
	{ "add", NULL, "quick add: a task from one line of text", "task.add", ARGS("*text"), NULL, NULL, cmd_add,
	  "heph add Buy milk tomorrow p2 #Work every week\n"
	  "  title \"Buy milk\", do-date tomorrow, orange, project Work, every week.\n"
	  "p1 red, p2 orange, p3 blue, p4 white. #Name: an existing project (multi-word names too);\n"
	  "an unknown #word stays in the title. Dates: any phrase of the date grammar (today, fri,\n"
	  "next week, in 2 weeks, dec 15, eom, YYYY-MM-DD; wed, sat, sun only at the end, as words\n"
	  "follow them too often). The longest \"every ...\" at the end repeats it.\n"
	  "\\word keeps a word as it is. Quote the text, or mind the shell's # and \\.",
	  0 },
	{ "list", NULL, "outstanding tasks, most pressing first", "task.list", NULL, NULL,
	  print_tasks, NULL,
	  "Every task asked for, page after page (--limit, --cursor: one page; the next page's\n"
	  "cursor is said on stderr, and --json prints the page object {tasks, next_cursor}).",
	  0 },
	{ "count", NULL, "how many tasks heph list would show", "task.count", NULL, NULL, print_count, NULL, NULL, 0 },
	{ "next", NULL, "what to do now: actionable tasks, most pressing first", "task.next", NULL, NULL, print_tasks,
	  NULL,
	  "Candidates: outstanding, not blue, do-date empty or not after today. Order: tasks past their\n"
	  "late-on first (the furthest past first), then red, orange, white, then oldest first. The\n"
	  "do-date never orders. Red tasks are shown even beyond the limit.",
	  0 },
	{ "view", NULL, "a named view of the tasks; without NAME, the views and their counts", "view.show",
	  ARGS("name?"), NULL, NULL, cmd_view,
	  "Views: tom (top of mind), ondeck (blue), chores (outside the Work project), work (the Work\n"
	  "project), tasks (every outstanding task), inbox (tasks in no project). See\n"
	  "docs/explanation/what-is-next.md.",
	  0 },
	{ "attention", "ID COLOUR", "set a task's attention: red, orange, white or blue", "task.edit",
	  ARGS("id", "attention"), NULL, print_attention, NULL,
	  "red: a consequence exists if this is late; blue: on deck, hidden from the top-of-mind views.",
	  VERB_ARGS_ONLY },
	{ "show", NULL, "one node: its fields, body and links", "node.get", ARGS("id"), NULL, print_node, NULL,
	  "ID is any unique prefix of 4 or more characters.", 0 },
	{ "done", NULL, "mark a task done (a recurring one moves to its next occurrence)", "task.done", ARGS("id"),
	  NULL, print_task_state, NULL,
	  "On a recurring task: the occurrence is logged in its log doc, its checklist is reset and the\n"
	  "do-date moves to the rule's next day after both today and the current do-date (missed days\n"
	  "are skipped). When the series is over the task is done.",
	  0 },
	{ "skip", NULL, "move a recurring task to its next occurrence without doing it", "task.skip", ARGS("id"),
	  NULL, print_task_state, NULL, "Like done on a recurring task, but nothing is logged.", 0 },
	{ "drop", NULL, "drop a task for good", "task.drop", ARGS("id"), NULL, print_task_state, NULL, NULL, 0 },
	{ "rm", NULL, "delete a node (a tombstone that syncs)", "node.remove", ARGS("id"), rm_opts, NULL, cmd_rm,
	  "A task's context doc survives its task. Deleting a project moves its open tasks to the\n"
	  "inbox and its subprojects to the top level: on a terminal heph rm says so and asks,\n"
	  "otherwise it needs --yes. heph undo brings the project back with them.", 0 },
	{ "edit", NULL, "change a task", "task.edit", ARGS("id"), NULL, print_task_state, NULL,
	  "--recur takes what heph task --recur takes, or none to stop repeating.", 0 },
	{ "context", NULL, "print or edit a task's context doc", "context.edit", ARGS("id"), NULL, NULL, cmd_context,
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
	  VERB_ARGS_ONLY },
	{ "log", NULL, "print the tail of a task's log, or append TEXT to it", "log.tail", ARGS("id", "*text?"), NULL,
	  NULL, cmd_log,
	  "Entries are lines \"- YYYY-MM-DD: text\" in the task's log doc, made on first use. Recurring\n"
	  "tasks log each occurrence done there.",
	  0 },
	{ "project add", NULL, "add a project; prints its id", "project.add", ARGS("*name"), NULL, print_id, NULL,
	  NULL, 0 },
	{ "project list", NULL, "the project tree with outstanding counts (own / with subprojects)", "project.list",
	  NULL, NULL, print_projects, NULL, NULL, 0 },
	DOC_VERB("doc", 0),
	DOC_VERB("doc add", VERB_HIDDEN),
	{ "doc edit", NULL, "change a doc's title or text", "doc.edit", ARGS("id"), NULL, print_doc_change, NULL,
	  "Works on docs, journals and projects; a task's text is its context doc (heph context).", 0 },
	{ "journal", NULL, "the journal of a day (default today)", "journal.open", ARGS("date?"), NULL, print_journal,
	  NULL,
	  "Prints the day's journal, creating it if missing. Its id is derived from the date, so two\n"
	  "devices opening the same day offline end up with one journal once they sync.", 0 },
	{ "alias", NULL, "a node's aliases: other names [[links]] resolve", "node.aliases", ARGS("id"), NULL,
	  print_aliases, NULL, NULL, 0 },
	{ "tags", NULL, "tags and how many nodes carry each", "tag.list", NULL, NULL, print_tags, NULL,
	  "Every tag, page after page (--limit, --cursor: one page, as heph list --help says).", 0 },
	{ "search", NULL, "full-text search of titles and bodies", "search", ARGS("*query"), NULL, print_search, NULL,
	  "Every word must occur (case and accents ignored); word* matches a prefix. Best matches\n"
	  "first; a hit in a task's context doc shows the task.", 0 },
	{ "link add", NULL, "link two nodes (TYPE is any lower-case word)", "link.add",
	  ARGS("src", "dst", "type"), NULL, print_link_change, NULL,
	  "in-project (task to project) and parent (project to project) replace the previous link;\n"
	  "wiki, canonical-context and log-of links are managed by heph.", 0 },
	{ "link rm", NULL, "remove the links of a type between two nodes", "link.remove",
	  ARGS("src", "dst", "type"), NULL, print_link_change, NULL, NULL, 0 },
	{ "links", NULL, "a node's outgoing links", "link.list", ARGS("id"), NULL, print_links, NULL, NULL, 0 },
	{ "backlinks", NULL, "links pointing at a node", "link.backlinks", ARGS("id"), NULL, print_backlinks, NULL,
	  NULL, 0 },
	{ "ops", NULL, "the op-log (with --json: one op per line, for heph apply)", NULL, NULL, ops_opts, NULL, cmd_ops,
	  "--unapplied shows only the ops not applied here: those waiting for a node that has not\n"
	  "arrived, and those of types this version cannot apply (kept, and applied when a version\n"
	  "that knows them opens the database). It ends by saying which heph versions in the fleet\n"
	  "apply them, as the hub said at the last sync; with --json each such line has \"status\"\n"
	  "and \"applied_by\" too.", 0 },
	{ "apply", "FILE|-", "apply ops (lines of heph ops --json) exactly as sync would", NULL, ARGS("file"), NULL,
	  NULL, cmd_apply, "All ops are applied in one transaction: on a bad line nothing is applied.", 0 },
	{ "conflicts", NULL, "values that lost to a concurrent edit on another device", "conflicts.list", NULL, NULL,
	  print_conflicts, NULL, NULL, 0 },
	{ "conflicts resolve", NULL, "settle a conflict", "conflicts.resolve", ARGS("id"), NULL,
	  print_conflict_resolved, NULL,
	  "mine is the value written on this device when exactly one side was, else the value shown now;\n"
	  "theirs is the other one. Keeping a value that is not shown writes it again.", 0 },
	{ "export", "DIR | --ical FILE [--events]", "write every node as markdown, or dated tasks as iCalendar", NULL,
	  ARGS("dir?"), export_opts, NULL, cmd_export,
	  "DIR gets <kind>/<id>.md per live node: YAML frontmatter (id, kind, title, times, task\n"
	  "fields, aliases, tags, links) and the body; files of deleted nodes are removed.\n"
	  "--ical FILE writes a VTODO per outstanding task with a do-date or late-on (- : stdout),\n"
	  "or with --events the all-day VEVENTs of the calendar feed (heph calendar url); red and\n"
	  "orange tasks carry an alarm on their late-on day (heph calendar alarms).", 0 },
	{ "backup", "FILE", "a consistent copy of this database, taken while others write to it", NULL, ARGS("file"),
	  NULL, NULL, cmd_backup,
	  "FILE must not exist. The copy is one commit's state (SQLite's online backup), checked,\n"
	  "and a plain file (no -wal or -shm) that heph can read in place, even on read-only\n"
	  "media. On a hub, hephd backup DIR does the same with a dated name.", 0 },
	{ "restore", "FILE", "replace this database with a backup, keeping the one it replaces", NULL, ARGS("file"),
	  NULL, NULL, cmd_restore,
	  "FILE is checked first (SQLite's integrity check, a heph database, a schema this heph\n"
	  "reads); nothing is touched if it fails. The database it replaces is copied to\n"
	  "DB.replaced-YYYYMMDDTHHMMSSZ. The restored database syncs as a new device (a new\n"
	  "origin), so that nothing it writes can collide with ops this device pushed after\n"
	  "the backup; those come back from the hub. Stop this database's hephd first.", 0 },
	{ "import taskwarrior", "FILE|-", "import the output of `task export`", NULL, ARGS("file"), NULL, NULL,
	  cmd_import,
	  "Dotted projects nest; scheduled/wait become the do-date, due the late-on; H/M/L become\n"
	  "red/orange/white; recur becomes a recurrence; annotations go to the task's log;\n"
	  "other fields (UDAs such as estimate or size) become lines in its context doc;\n"
	  "completed tasks are done, deleted ones dropped. Ids come from the uuids: importing the\n"
	  "same tasks again creates nothing new. One transaction: a bad task imports nothing.", 0 },
	{ "undo", "[--list [--limit N]] [--dry-run]", "reverse the last change made on this device", "undo", NULL,
	  undo_opts, NULL, cmd_undo,
	  "Undo writes new ops that reverse the change, so it reaches other devices like any edit.\n"
	  "A value changed since (here or on another device) is left alone and reported; a deleted\n"
	  "node comes back as a copy under a new id. --list shows recent changes and what undo\n"
	  "would do; --dry-run only says it. Undoing an undo is not offered.", 0 },
	{ "call", "METHOD [PARAMS-JSON]", "call any JSON-RPC method and print its result as JSON", NULL,
	  ARGS("method", "params?"), NULL, NULL, cmd_call, "PARAMS-JSON - reads the params from standard input.\n"
	  "heph call rpc.methods lists the methods; see docs/reference/rpc.md.", 0 },
	{ "digest", NULL, "a hash of the replicated state; equal on replicas holding the same ops", "digest", NULL,
	  NULL, print_digest, NULL, NULL, 0 },
	{ "sync", NULL, "pull from the hub and merge, then push; --status: how syncing goes", NULL, NULL, sync_opts,
	  NULL, cmd_sync,
	  "Runs through the hephd serving this database when one runs, in-process otherwise.\n"
	  "--status shows the hub, the last attempt, the last success, the last error (and\n"
	  "whether it was an auth failure), ops waiting to push, open conflicts, and ops held here\n"
	  "that this version cannot apply yet with the versions that would.\n"
	  "Exit status 10 when the hub refused the credential, 14 when it cannot be reached.", 0 },
	{ "hub set", "URL|none [--token-file FILE | --token-cmd CMD [--token-save-cmd CMD]] [--name NAME]",
	  "sync this database with the hub at URL", NULL, ARGS("url"),
	  hub_set_opts, NULL, cmd_hub_set,
	  "The hub and the token file are settings of this device, never synced. FILE holds\n"
	  "the bearer token the hub's owner made with `hephd token create NAME`. --token-cmd\n"
	  "CMD instead runs CMD (with sh -c) whenever a token is needed and takes the first line\n"
	  "it prints, e.g. --token-cmd 'pass show heph/laptop': no token sits in a plain file. The\n"
	  "command is kept in $XDG_CONFIG_HOME/heph/credentials.json by hub URL, not in the\n"
	  "database; it is run once here to check it; --token-cmd none forgets it. With a hub that\n"
	  "trusts an identity provider, --token-save-cmd CMD (e.g. 'pass insert -m heph/laptop')\n"
	  "gets the refresh token of heph auth login on its standard input, each time the login\n"
	  "obtains or renews one, instead of the credentials file; --token-cmd then reads it\n"
	  "back, and is not run here. A save command that fails is an error that keeps nothing.\n"
	  "--token-save-cmd none forgets it. --name is what this device is called in the hub's\n"
	  "fleet list (default: the host name).", 0 },
	{ "calendar url", NULL, "the URL of your calendar feed on the hub, made on first use", "calendar.url", NULL,
	  NULL, NULL, cmd_calendar,
	  "Subscribe to it in a phone or desktop calendar app: your outstanding tasks with a do-date\n"
	  "or late-on, as all-day events (a recurring task repeats), with an alarm on the late-on day\n"
	  "of red and orange tasks (heph calendar alarms). The hub (--remote, else this database's)\n"
	  "keeps only a hash of the URL's secret and shows it once: heph keeps it in\n"
	  "$XDG_CONFIG_HOME/heph/credentials.json and prints it from there. --new replaces it\n"
	  "(the old URL stops working). A database no hub serves has no feed.", 0 },
	{ "calendar revoke", NULL, "end the calendar feed: its URL answers 404 from now on", "calendar.revoke", NULL,
	  NULL, NULL, cmd_calendar, "heph calendar url then makes a new one.", 0 },
	{ "calendar alarms", NULL, "which tasks' late-on day rings an alarm in the calendar, and when",
	  "calendar.alarms", NULL, NULL, NULL, cmd_calendar,
	  "Without options: the current setting. --attention (repeatable: red, orange, white, blue,\n"
	  "or none) picks the colours; --offset is an RFC 5545 duration from the start of the\n"
	  "late-on day: PT9H rings at 9:00 that day, -PT15H at 9:00 the day before. Set on the hub\n"
	  "(--remote, else this database's) for the feed; with no hub, on this database, for heph\n"
	  "export --ical.", 0 },
	{ "auth login", NULL, "log in to the hub through its identity provider (device code)", NULL, NULL,
	  hub_url_opts, NULL, cmd_auth_login,
	  "Asks the hub (default: this database's, heph hub set) which OpenID Connect provider it\n"
	  "trusts, then runs the device-code flow: open the page shown, enter the code, approve.\n"
	  "The tokens are kept in $XDG_CONFIG_HOME/heph/credentials.json (mode 0600), by hub URL,\n"
	  "the refresh token through a password manager instead with heph hub set --token-save-cmd;\n"
	  "heph sync, heph --remote and hephd use them for a hub that has no token file, and\n"
	  "renew the access token before it expires. Exit status 10 when the login is denied or\n"
	  "its code expires, 11 when the hub refuses the identity, 14 when the provider cannot\n"
	  "be reached.", 0 },
	{ "auth status", NULL, "who is logged in to the hub, until when, and how to log in again", NULL, NULL,
	  hub_url_opts, NULL, cmd_auth_status,
	  "Without --hub-url and without a hub set for this database: every login kept here.\n"
	  "Exit status 10 when not logged in to the hub.", 0 },
	{ "auth logout", NULL, "forget the tokens of the login to the hub", NULL, NULL, hub_url_opts, NULL,
	  cmd_auth_logout, "The provider is asked to revoke the refresh token too, when it says how.", 0 },
	{ "fleet", NULL, "the devices that sync through the hub: versions, schemas, op types, last seen", NULL, NULL,
	  NULL, NULL, cmd_fleet,
	  "Asks the hub (of --remote, else the one this database syncs with, else this database\n"
	  "is the hub). One line per device: its name, role, heph version, schema version, the\n"
	  "op types it lacks (-type) or has beyond the hub's (+type), when the hub last heard\n"
	  "from it, and how many ops it holds that it cannot apply yet. Every sync request\n"
	  "carries this report; a device running a heph from before fleet reporting shows as\n"
	  "unknown. See docs/explanation/data-evolution.md.", 0 },
	{ "health", NULL, "whether this device is fine: database, schema, daemon, hub, conflicts, clock", NULL, NULL,
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
	  "user unit (~/.config/systemd/user/hephd.service).", VERB_RAW },
	/* hidden (not in heph --help): what the shells' completions ask (cmd_complete.c) */
	{ "__complete", "-- WORD... CURRENT", "candidates for the word being completed, one a line: WORD<TAB>DESCRIPTION",
	  NULL, NULL, NULL, NULL, cmd_complete, NULL, VERB_NO_STORE | VERB_RAW | VERB_HIDDEN },
	{ NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 },
};
