/* fields.c — the registry of last-writer-wins registers and the value checks
 * shared by op validation and the RPC layer.
 *
 * Each register is a column of nodes or tasks. Adding a register is adding a
 * row here (and, for a new column, a migration): the engine, validation and
 * conflict handling all read this table.
 */
#include "heph/date.h"
#include "internal.h"
#include "ext.h"

#include "heph/recur.h"

#include <pthread.h>
#include <string.h>
#include <strings.h>

#define TEXT_MAX (1 << 20)   /* bytes in a title or body */
#define RRULE_MAX 1024
#define ALIASES_MAX (16 << 10)

static int one_of(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

int heph__check_state(const char *s)
{
	static const char *const ok[] = { "outstanding", "done", "dropped", NULL };
	if (s && one_of(s, ok))
		return 0;
	return heph_error_set(HEPH_EINVALID, "unknown state \"%s\" (outstanding, done, dropped)",
			      s ? s : "");
}

int heph__check_attention(const char *s)
{
	static const char *const ok[] = { "red", "orange", "white", "blue", NULL };
	if (s && one_of(s, ok))
		return 0;
	return heph_error_set(HEPH_EINVALID,
			      "unknown attention colour \"%s\" (red, orange, white, blue)", s ? s : "");
}

const char *heph__attention_word(const char *s)
{
	static const char *const colours[] = { "red", "orange", "white", "blue" };
	for (size_t i = 0; s && i < sizeof colours / sizeof colours[0]; i++)
		if (strcasecmp(s, colours[i]) == 0)
			return colours[i];
	heph__check_attention(s);
	return NULL;
}

int heph__check_date(const char *s)
{
	int ok = s && strlen(s) == 10 && s[4] == '-' && s[7] == '-';
	for (int i = 0; ok && i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			ok = 0;
	if (ok) {
		int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
		int m = (s[5] - '0') * 10 + (s[6] - '0');
		int d = (s[8] - '0') * 10 + (s[9] - '0');
		ok = y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= heph_date_days_in_month(y, m);
	}
	return ok ? 0 : heph_error_set(HEPH_EINVALID, "bad date \"%.40s\" (want YYYY-MM-DD)", s ? s : "");
}

/* A free-form lower-case identifier: [a-z][a-z0-9._-]*, bounded. */
static int ident(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > max || !(s[0] >= 'a' && s[0] <= 'z'))
		return 0;
	for (size_t i = 1; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return 0;
	}
	return 1;
}

int heph__check_link_type(const char *s)
{
	return ident(s, 64) ? 0
			    : heph_error_set(HEPH_EINVALID,
					     "bad link type \"%.40s\" (lower-case letters, digits, . _ -)",
					     s ? s : "");
}

int heph__check_kind(const char *s)
{
	return ident(s, 32) ? 0 : heph_error_set(HEPH_EINVALID, "bad node kind \"%.40s\"", s ? s : "");
}

/* ---- per-register JSON value checks ---- */

static int want_string(const char *field, const json_t *v)
{
	if (!json_is_string(v))
		return heph_error_set(HEPH_EINVALID, "field \"%s\" must be a string", field);
	return 0;
}

static int check_text(const char *field, const json_t *v)
{
	if (want_string(field, v))
		return HEPH_EINVALID;
	if (json_string_length(v) > TEXT_MAX)
		return heph_error_set(HEPH_ETOOBIG, "field \"%s\" is over %d bytes", field, TEXT_MAX);
	return 0;
}

static int check_title(const char *field, const json_t *v)
{
	if (check_text(field, v))
		return HEPH_EINVALID;
	if (strchr(json_string_value(v), '\n'))
		return heph_error_set(HEPH_EINVALID, "a title is one line");
	return 0;
}

static int check_state(const char *field, const json_t *v)
{
	return want_string(field, v) ? HEPH_EINVALID : heph__check_state(json_string_value(v));
}

static int check_attention(const char *field, const json_t *v)
{
	return want_string(field, v) ? HEPH_EINVALID : heph__check_attention(json_string_value(v));
}

static int check_date(const char *field, const json_t *v)
{
	if (json_is_null(v))
		return 0;
	if (want_string(field, v) || heph__check_date(json_string_value(v)))
		return heph_error_wrap(HEPH_EINVALID, "field \"%s\": ", field);
	return 0;
}

static int check_rrule(const char *field, const json_t *v)
{
	if (json_is_null(v))
		return 0;
	if (want_string(field, v))
		return HEPH_EINVALID;
	const char *r = json_string_value(v);
	size_t n = strlen(r);
	char *canonical = NULL;
	if (n == 0 || n > RRULE_MAX || !strchr(r, '=') || strchr(r, '\n'))
		return heph_error_set(HEPH_EINVALID, "field \"%s\": bad recurrence rule \"%.60s\"",
				      field, r);
	/* The check task.done and task.skip rely on: a rule taken here can
	 * always be stepped (no FREQ=MINUTELY, no COUNT=0). */
	if (heph_recur_check(r, &canonical))
		return heph_error_wrap(HEPH_EINVALID, "field \"%s\": ", field);
	free(canonical);
	return 0;
}

/* Aliases: other names of a node, one per line (migration 2). */
static int check_aliases(const char *field, const json_t *v)
{
	if (want_string(field, v))
		return HEPH_EINVALID;
	if (json_string_length(v) > ALIASES_MAX)
		return heph_error_set(HEPH_ETOOBIG, "field \"%s\" is over %d bytes", field, ALIASES_MAX);
	for (const char *p = json_string_value(v); *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n')
			return heph_error_set(HEPH_EINVALID, "field \"%s\": aliases are lines of text", field);
	return 0;
}


int heph__check_effort(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	int ok = n >= 2 && n <= 5 && s[0] >= '1' && s[0] <= '9' && strchr("mhd", s[n - 1]);
	for (size_t i = 1; ok && i + 1 < n; i++)
		ok = s[i] >= '0' && s[i] <= '9';
	return ok ? 0 : heph_error_set(HEPH_EINVALID, "bad effort \"%.20s\" (a number and m, h or d: 30m, 2h, 1d)",
				       s ? s : "");
}

static const heph_field node_fields[] = {
	{ "title", 0, 0, "SELECT title FROM nodes WHERE id = ?1",
	  "UPDATE nodes SET title = ?2 WHERE id = ?1", check_title, NULL },
	{ "body", 0, 0, "SELECT body FROM nodes WHERE id = ?1",
	  "UPDATE nodes SET body = ?2 WHERE id = ?1", check_text, NULL },
	{ "aliases", 0, 0, "SELECT aliases FROM nodes WHERE id = ?1",
	  "UPDATE nodes SET aliases = ?2 WHERE id = ?1", check_aliases, NULL },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

static const heph_field task_fields[] = {
	{ "state", 1, 0, "SELECT state FROM tasks WHERE node_id = ?1",
	  "UPDATE tasks SET state = ?2 WHERE node_id = ?1", check_state, "outstanding" },
	{ "attention", 1, 0, "SELECT attention FROM tasks WHERE node_id = ?1",
	  "UPDATE tasks SET attention = ?2 WHERE node_id = ?1", check_attention, "white" },
	{ "do_date", 1, 1, "SELECT do_date FROM tasks WHERE node_id = ?1",
	  "UPDATE tasks SET do_date = ?2 WHERE node_id = ?1", check_date, NULL },
	{ "late_on", 1, 1, "SELECT late_on FROM tasks WHERE node_id = ?1",
	  "UPDATE tasks SET late_on = ?2 WHERE node_id = ?1", check_date, NULL },
	{ "recurrence", 1, 1, "SELECT recurrence FROM tasks WHERE node_id = ?1",
	  "UPDATE tasks SET recurrence = ?2 WHERE node_id = ?1", check_rrule, NULL },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

int heph__field_is_default(const heph_field *f, const char *v)
{
	if (f->nullable)
		return v == NULL;
	return v && strcmp(v, f->dflt ? f->dflt : "") == 0;
}

#define EXT_FIELDS 16 /* task registers an extension may add */

/* Level 1's task registers, then the extension's (ext.h), terminated;
 * made once, on first use. */
static heph_field all_fields[sizeof task_fields / sizeof task_fields[0] + EXT_FIELDS];
static pthread_once_t all_once = PTHREAD_ONCE_INIT;

static void make_all_fields(void)
{
	size_t n = 0;
	for (const heph_field *f = task_fields; f->name; f++)
		all_fields[n++] = *f;
	for (const heph_field *f = heph__ext.task_fields; f && f->name && n + 1 < sizeof all_fields / sizeof all_fields[0]; f++)
		all_fields[n++] = *f;
}

static const heph_field *all_task_fields(void)
{
	pthread_once(&all_once, make_all_fields);
	return all_fields;
}

const heph_field *heph__fields(int task) { return task ? all_task_fields() : node_fields; }

const heph_field *heph__field_find(int task, const char *name)
{
	for (const heph_field *f = heph__fields(task); f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}
