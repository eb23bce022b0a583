/* cmd_ops.c — `heph ops` and `heph apply`: the op-log as a stream of JSON
 * lines, read and written without holding it in memory. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "heph/buf.h"
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

/* What --unapplied knows of who applies each op type (borrowed), or NULL. */
static const json_t *unapplied_types;

static int print_line(const heph_op *op, heph_op_status st, int64_t seq, void *ctx)
{
	struct cli *cli = ctx;
	heph_buf b = { 0 };
	json_t *extra = NULL, *t;
	size_t i;
	(void)seq;
	if (unapplied_types) {
		/* --unapplied --json: the op, with why it is not applied */
		extra = json_pack("{s:s}", "status", st == HEPH_OP_UNKNOWN ? "unknown_type" : "deferred");
		json_array_foreach(unapplied_types, i, t) {
			if (st == HEPH_OP_UNKNOWN && strcmp(json_string_value(json_object_get(t, "type")), op->type) == 0)
				json_object_set(extra, "applied_by", json_object_get(t, "applied_by"));
		}
	}
	heph_op_put(&b, op, -1, extra);
	json_decref(extra);
	heph_buf_put(&b, "\n", 1);
	fwrite(b.p, 1, b.n, cli->out);
	heph_buf_free(&b);
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

/* With --remote: the hub's op-log, page by page through ops.list. */
static int remote_ops(struct cli *cli, int pending)
{
	long long after = 0;
	for (;;) {
		json_t *params = json_pack("{s:I, s:i, s:b}", "after", (json_int_t)after, "limit", 10000, "pending", pending);
		json_t *page = NULL, *o;
		size_t i;
		int err = cli_call(cli, "ops.list", params, &page);
		json_decref(params);
		if (err)
			return err;
		json_array_foreach(page, i, o) {
			heph_op op;
			const char *st = json_string_value(json_object_get(o, "status"));
			after = json_integer_value(json_object_get(o, "seq"));
			if ((err = heph_op_from_json(o, &op))) {
				json_decref(page);
				return err;
			}
			err = (cli->json ? print_line : print_human)(
				&op, st && strcmp(st, "applied") == 0 ? HEPH_OP_APPLIED
				     : st && strcmp(st, "deferred") == 0 ? HEPH_OP_DEFERRED
				     : st && strcmp(st, "unknown_type") == 0 ? HEPH_OP_UNKNOWN : HEPH_OP_DUPLICATE,
				after, cli);
			heph_op_clear(&op);
			if (err) {
				json_decref(page);
				return err;
			}
		}
		size_t n = json_array_size(page);
		json_decref(page);
		if (n < 10000)
			return 0;
	}
}

int cmd_ops(struct cli *cli, int argc, char **argv)
{
	int pending, err;
	json_t *params;
	if ((err = cli_params(cli, argc, argv, &params)))
		return err;
	pending = json_is_true(json_object_get(params, "unapplied"));
	json_decref(params);
	json_t *u = NULL;
	if (pending && (err = cli_call(cli, "ops.unapplied", NULL, &u))) {
		if (!(cli->remote && err == HEPH_ENOTFOUND))
			return err;
		u = NULL; /* a hub from before fleet reporting: the list alone */
	}
	unapplied_types = cli->json ? json_object_get(u, "types") : NULL;
	if (cli->remote)
		err = remote_ops(cli, pending);
	else if ((err = cli_store(cli)) == 0)
		err = heph_store_ops_foreach(cli->store, 0, pending, cli->json ? print_line : print_human, cli);
	if (!err && u && !cli->json)
		cli_print_unapplied(cli->out, u, "");
	unapplied_types = NULL;
	json_decref(u);
	return err;
}

/* With --remote: every line, read and checked here (so that an error names
 * its line), then all in one ops.apply (all or none). */
static int remote_apply(struct cli *cli, FILE *in, heph_apply_stats *st)
{
	json_t *ops = json_array(), *r = NULL;
	heph_op_lines lines = { 0 };
	char *line;
	size_t n;
	int err = 0, more;
	memset(st, 0, sizeof *st);
	while ((more = heph_op_lines_next(in, &lines, &line, &n)) > 0) {
		heph_op op;
		if ((err = heph_op_decode(line, n, &op))) {
			heph_error_wrap(err, "line %lld: ", lines.lineno);
			goto out;
		}
		json_array_append_new(ops, heph_op_to_json(&op));
		heph_op_clear(&op);
	}
	if ((err = more))
		goto out;
	json_t *params = json_pack("{s:O}", "ops", ops);
	err = cli_call(cli, "ops.apply", params, &r);
	json_decref(params);
	if (err)
		goto out;
	st->read = (int64_t)json_array_size(ops);
	st->applied = json_integer_value(json_object_get(r, "applied"));
	st->deferred = json_integer_value(json_object_get(r, "deferred"));
	st->unknown = json_integer_value(json_object_get(r, "unknown"));
	st->duplicate = json_integer_value(json_object_get(r, "duplicate"));
out:
	heph_op_lines_free(&lines);
	json_decref(ops);
	json_decref(r);
	return err;
}

int cmd_apply(struct cli *cli, int argc, char **argv)
{
	heph_apply_stats st;
	FILE *in;
	json_t *params;
	int err;
	if ((err = cli_params(cli, argc, argv, &params)))
		return err;
	const char *file = json_string_value(json_object_get(params, "file"));
	if (strcmp(file, "-") == 0)
		in = stdin;
	else if (!(in = fopen(file, "r")))
		err = heph_error_set(HEPH_ENOTFOUND, "cannot open %s: %s (give a file of heph ops --json lines, or - for "
				     "standard input)", file, strerror(errno));
	json_decref(params);
	if (err)
		return err;
	if (cli->remote)
		err = remote_apply(cli, in, &st);
	else if ((err = cli_store(cli)) == 0)
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
	json_t *words, *params = NULL, *result = NULL;
	int err;
	if ((err = cli_params(cli, argc, argv, &words)))
		return err;
	const char *method = json_string_value(json_object_get(words, "method"));
	const char *text = json_string_value(json_object_get(words, "params"));
	/* "-": the params from standard input, where a body of any size fits
	 * (an argument holds at most 128 KiB on Linux) */
	if (text && !(params = strcmp(text, "-") == 0 ? json_loadf(stdin, 0, &e) : json_loads(text, 0, &e)))
		err = json_error_code(&e) == json_error_null_character
			      ? heph_error_set(HEPH_EINVALID, "params: a string holds \\u0000 (U+0000, at character %d): "
					       "heph text takes no NUL characters", e.position)
			      : heph_error_set(HEPH_EINVALID, "params: malformed JSON at character %d: %s (give one JSON "
					       "object)", e.position, e.text);
	if (!err)
		err = cli_call_once(cli, method, params, &result); /* as the method answers: one page of a paged read */
	json_decref(params);
	json_decref(words);
	if (err)
		return err;
	print_json(cli, result);
	json_decref(result);
	return 0;
}
