/* cmd_backup.c — `heph backup FILE` (a consistent copy of this database,
 * taken while other processes write to it) and `heph restore FILE` (put a
 * checked backup in its place, keeping the one it replaces). See
 * heph/backup.h and docs/how-to/back-up-and-restore.md. */
#include "cli.h"

#include <string.h>

#include "heph/backup.h"

/* The one FILE argument of backup and restore. */
static int file_arg(struct cli *cli, int argc, char **argv, const char **file)
{
	static char path[4096]; /* FILE, for the rest of the command */
	const char *name = cli->verb->name;
	json_t *params;
	int err;
	*file = NULL;
	if ((err = cli_params(cli, argc, argv, &params)))
		return err;
	snprintf(path, sizeof path, "%s", json_string_value(json_object_get(params, "file")));
	json_decref(params);
	if (!path[0])
		return heph_error_set(HEPH_EUSAGE, "usage: heph %s FILE", name);
	*file = path;
	if (cli->remote)
		return heph_error_set(HEPH_EUSAGE,
				      "heph %s works on a local database, not with --remote: on the hub, run "
				      "hephd backup DIR (or heph --db HUB.db %s FILE)", name, name);
	return 0;
}

int cmd_backup(struct cli *cli, int argc, char **argv)
{
	const char *file;
	heph_backup_info info;
	int err;
	if ((err = file_arg(cli, argc, argv, &file)) || (err = cli_store(cli)) ||
	    (err = heph_backup(cli->store, file, &info)))
		return err;
	if (cli->json) {
		json_t *r = json_pack("{s:s, s:I, s:I, s:i, s:s}", "file", file, "ops", (json_int_t)info.ops, "bytes",
				      (json_int_t)info.bytes, "schema", info.schema, "origin", info.origin);
		print_json(cli, r);
		json_decref(r);
	} else
		fprintf(cli->out, "backed up %lld op(s), %lld bytes, to %s\n", (long long)info.ops,
			(long long)info.bytes, file);
	return 0;
}

int cmd_restore(struct cli *cli, int argc, char **argv)
{
	const char *file;
	heph_restore_info info;
	int err;
	if ((err = file_arg(cli, argc, argv, &file)))
		return err;
	if (heph_mkdirs(cli->db_path) != 0)
		return heph_error_set(HEPH_ERROR, "cannot create the directory of %s", cli->db_path);
	/* The store is not opened here: heph_restore() opens it to replace it. */
	if ((err = heph_restore(cli->db_path, file, &info)))
		return err;
	if (cli->json) {
		json_t *r = json_pack("{s:s, s:s, s:I, s:s, s:s, s:o}", "database", cli->db_path, "from", file, "ops",
				      (json_int_t)info.from.ops, "origin", info.origin, "previous_origin",
				      info.from.origin, "kept", info.kept[0] ? json_string(info.kept) : json_null());
		print_json(cli, r);
		json_decref(r);
		return 0;
	}
	fprintf(cli->out, "restored %lld op(s) from %s into %s\n", (long long)info.from.ops, file, cli->db_path);
	if (info.kept[0])
		fprintf(cli->out, "the database it replaced is kept in %s\n", info.kept);
	fprintf(cli->out, "this device now syncs as %s (was %s)\n", info.origin, info.from.origin);
	return 0;
}
