/* cmd_ops.c — `heph ops` and `heph apply`: the op-log as a stream of JSON
 * lines, read and written without holding it in memory. */
#include "cli.h"

#include <errno.h>
#include <string.h>

#include "heph/op.h"

static const char *status_word(heph_op_status st)
{
	switch (st) {
	case HEPH_OP_APPLIED: return "applied";
	case HEPH_OP_DEFERRED: return "deferred";
	case HEPH_OP_UNKNOWN: return "unknown-type";
	default: return "duplicate";
	}
}

static int print_line(const heph_op *op, heph_op_status st, int64_t seq, void *ctx)
{
	struct cli *cli = ctx;
	(void)seq;
	(void)st;
	char *line = heph_op_encode(op);
	if (!line)
		return heph_error_set(HEPH_ERROR, "cannot encode op %s", op->op_id);
	fputs(line, cli->out);
	fputc('\n', cli->out);
	free(line);
	return ferror(cli->out) ? heph_error_set(HEPH_ERROR, "writing ops failed") : 0;
}

static int print_human(const heph_op *op, heph_op_status st, int64_t seq, void *ctx)
{
	struct cli *cli = ctx;
	char *payload = json_dumps(op->payload, JSON_COMPACT);
	fprintf(cli->out, "%6lld %s %-15s %-12s %s\n", (long long)seq, op->hlc, op->type, status_word(st),
		payload ? payload : "");
	free(payload);
	return ferror(cli->out) ? heph_error_set(HEPH_ERROR, "writing ops failed") : 0;
}

int cmd_ops(struct cli *cli, int argc, char **argv)
{
	int pending = 0, err;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--unapplied") == 0 || strcmp(argv[i], "--pending") == 0)
			pending = 1;
		else
			return heph_error_set(HEPH_EUSAGE, "ops: unexpected argument \"%s\" (see heph ops --help)", argv[i]);
	}
	if ((err = cli_store(cli)))
		return err;
	return heph_store_ops_foreach(cli->store, 0, pending, cli->json ? print_line : print_human, cli);
}

int cmd_apply(struct cli *cli, int argc, char **argv)
{
	heph_apply_stats st;
	FILE *in;
	int err;
	if (argc != 1)
		return heph_error_set(HEPH_EUSAGE, "usage: heph apply FILE|-");
	if (strcmp(argv[0], "-") == 0)
		in = stdin;
	else if (!(in = fopen(argv[0], "r")))
		return heph_error_set(HEPH_ENOTFOUND, "cannot open %s: %s", argv[0], strerror(errno));
	if ((err = cli_store(cli)) == 0)
		err = heph_store_apply_stream(cli->store, in, &st);
	if (in != stdin)
		fclose(in);
	if (err)
		return err;
	if (cli->json)
		fprintf(cli->out,
			"{\"read\":%lld,\"applied\":%lld,\"deferred\":%lld,\"unknown\":%lld,\"duplicate\":%lld}\n",
			(long long)st.read, (long long)st.applied, (long long)st.deferred, (long long)st.unknown,
			(long long)st.duplicate);
	else
		fprintf(cli->out, "read %lld ops: %lld applied, %lld deferred, %lld of unknown type, %lld already present\n",
			(long long)st.read, (long long)st.applied, (long long)st.deferred, (long long)st.unknown,
			(long long)st.duplicate);
	return 0;
}

int cmd_call(struct cli *cli, int argc, char **argv)
{
	json_error_t e;
	json_t *params = NULL, *result = NULL;
	int err;
	if (argc < 1 || argc > 2)
		return heph_error_set(HEPH_EUSAGE, "usage: heph call METHOD [PARAMS-JSON]");
	if (argc == 2 && !(params = json_loads(argv[1], 0, &e)))
		return heph_error_set(HEPH_EINVALID, "params: malformed JSON: %s", e.text);
	err = cli_call(cli, argv[0], params, &result);
	json_decref(params);
	if (err)
		return err;
	print_json(cli, result);
	json_decref(result);
	return 0;
}
