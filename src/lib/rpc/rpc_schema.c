/* rpc_schema.c — the check of every call against its method's parameter
 * schema (heph/rpc.h), and the schema as data for rpc.methods, the CLI and
 * the docs.
 *
 * The check runs before every handler, so it allocates nothing and reads
 * each value once unless the call is refused or continues a paged read
 * (a cursor is decoded to check it); only the error path builds messages (the nearest known parameter by edit distance, the offending
 * character). */
#include "rpc_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *heph_rpc_type_name(heph_rpc_type t)
{
	switch (t) {
	case HEPH_RPC_LINE: return "line";
	case HEPH_RPC_TEXT: return "text";
	case HEPH_RPC_DATE: return "date";
	case HEPH_RPC_NODE: return "node";
	case HEPH_RPC_PROJECT: return "project";
	case HEPH_RPC_ATTENTION: return "attention";
	case HEPH_RPC_ENUM: return "enum";
	case HEPH_RPC_INT: return "integer";
	case HEPH_RPC_BOOL: return "boolean";
	case HEPH_RPC_LINES: return "lines";
	case HEPH_RPC_OBJECT: return "object";
	case HEPH_RPC_ARRAY: return "array";
	case HEPH_RPC_TAG: return "tag";
	case HEPH_RPC_TAGS: return "tags";
	case HEPH_RPC_VIEW: return "view";
	case HEPH_RPC_CURSOR: return "cursor";
	}
	return "?";
}

/* ---- the error path ---- */

/* Up to 40 bytes of a name for a message, control characters as '?'. */
static void shown(const char *in, char out[48])
{
	size_t i = 0;
	for (; in[i] && i < 40; i++)
		out[i] = (unsigned char)in[i] < 0x20 || in[i] == 0x7f ? '?' : in[i];
	out[i] = '\0';
}

/* Levenshtein distance (see rpc.h). */
size_t heph_rpc_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[65];
	if (la > 64 || lb > 64)
		return 64;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			if (up + 1 < best)
				best = up + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static int unknown_param(const heph_rpc_method *m, const char *key)
{
	char name[48], known[400] = "";
	const heph_rpc_param *best = NULL;
	size_t bestd = (size_t)-1;
	shown(key, name);
	if (!m->params || !m->params[0].name)
		return heph_error_set(HEPH_EINVALID, "%s: unknown parameter \"%s\" (%s takes no parameters)", m->name,
				      name, m->name);
	for (const heph_rpc_param *p = m->params; p->name; p++) {
		size_t d = heph_rpc_distance(key, p->name);
		/* "do-date" for "do_date", "dodate": a near miss */
		if (d < bestd) {
			bestd = d;
			best = p;
		}
		size_t used = strlen(known);
		snprintf(known + used, sizeof known - used, "%s%s", used ? ", " : "", p->name);
	}
	size_t len = strlen(key);
	if (best && (bestd <= 2 || bestd * 3 <= len))
		return heph_error_set(HEPH_EINVALID, "%s: unknown parameter \"%s\" (did you mean \"%s\"? it takes: %s)",
				      m->name, name, best->name, known);
	return heph_error_set(HEPH_EINVALID, "%s: unknown parameter \"%s\" (it takes: %s)", m->name, name, known);
}

/* What a value of type t must be, for messages. */
static const char *wanted(const heph_rpc_param *p)
{
	switch (p->type) {
	case HEPH_RPC_LINE: return "one line of text";
	case HEPH_RPC_TEXT: return "text";
	case HEPH_RPC_DATE: return "a date word (today, tomorrow, +3d, fri, YYYY-MM-DD, none)";
	case HEPH_RPC_NODE: return "a node id or unique id prefix";
	case HEPH_RPC_PROJECT: return "a project name or id";
	case HEPH_RPC_ATTENTION: return "red, orange, white or blue";
	case HEPH_RPC_ENUM: return p->values;
	case HEPH_RPC_INT: return "an integer";
	case HEPH_RPC_BOOL: return "true or false";
	case HEPH_RPC_LINES: return "one line of text or an array of them";
	case HEPH_RPC_OBJECT: return "a JSON object";
	case HEPH_RPC_ARRAY: return "a JSON array";
	case HEPH_RPC_TAG: return "a tag name";
	case HEPH_RPC_TAGS: return "a tag name or an array of them";
	case HEPH_RPC_VIEW: return "a view's name (heph view lists them)";
	case HEPH_RPC_CURSOR: return "the next_cursor of a page, as it came";
	}
	return "?";
}

static int bad_type(const heph_rpc_method *m, const heph_rpc_param *p)
{
	return heph_error_set(HEPH_EINVALID, "%s: parameter \"%s\" must be %s", m->name, p->name, wanted(p));
}

/* ---- the checks ---- */

/* The length of the UTF-8 sequence at s (n bytes left) and its code point,
 * or 0 when it is not well-formed (overlong, surrogate, beyond U+10FFFF). */
static size_t utf8_char(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned c = s[0], len, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, min = 0x80, c &= 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, min = 0x800, c &= 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, min = 0x10000, c &= 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (unsigned i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* A string value: valid UTF-8 without NUL, and without control characters
 * (C0, DEL, C1) except newline and tab when multi. A carriage return is
 * taken only as part of a CRLF line ending (text from another system's
 * editor): a lone one would move a terminal's cursor back over the line. */
static int check_string(const heph_rpc_method *m, const heph_rpc_param *p, const json_t *v, int multi)
{
	const unsigned char *s = (const unsigned char *)json_string_value(v);
	size_t n = json_string_length(v);
	for (size_t i = 0; i < n;) {
		unsigned cp;
		size_t len = utf8_char(s + i, n - i, &cp);
		if (!len)
			return heph_error_set(HEPH_EINVALID, "%s: parameter \"%s\" is not valid UTF-8 (byte %zu): "
					      "send text in UTF-8", m->name, p->name, i + 1);
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
			if (multi && (cp == '\n' || cp == '\t' || (cp == '\r' && i + 1 < n && s[i + 1] == '\n'))) {
				i += len;
				continue;
			}
			return heph_error_set(HEPH_EINVALID,
					      "%s: parameter \"%s\" has a control character (U+%04X at byte %zu): %s",
					      m->name, p->name, cp, i + 1,
					      multi ? "text may hold line breaks and tabs, no other control characters"
						    : cp == '\n' ? "it is one line; remove the line break"
								 : "remove it (one line of text takes none)");
		}
		i += len;
	}
	return 0;
}

/* Whether w is one of the '|'-separated values (case-insensitive with ci). */
static int one_of(const char *w, const char *values, int ci)
{
	size_t n = strlen(w);
	for (const char *v = values; *v;) {
		const char *bar = strchr(v, '|');
		size_t len = bar ? (size_t)(bar - v) : strlen(v);
		if (len == n && (ci ? strncasecmp(v, w, n) : strncmp(v, w, n)) == 0)
			return 1;
		v += len + (bar ? 1 : 0);
	}
	return 0;
}

static int check_value(const heph_rpc_method *m, const heph_rpc_param *p, heph_store *s, const json_t *v)
{
	int err;
	if ((p->flags & HEPH_RPC_OR_INT) && json_is_integer(v))
		return 0;
	switch (p->type) {
	case HEPH_RPC_TEXT:
		return json_is_string(v) ? check_string(m, p, v, 1) : bad_type(m, p);
	case HEPH_RPC_LINE:
	case HEPH_RPC_TAG:
	case HEPH_RPC_VIEW:
	case HEPH_RPC_NODE:
	case HEPH_RPC_PROJECT:
		if (!json_is_string(v))
			return bad_type(m, p);
		if ((err = check_string(m, p, v, 0)))
			return err;
		if (p->type != HEPH_RPC_LINE && p->type != HEPH_RPC_TAG && json_string_length(v) == 0)
			return heph_error_set(HEPH_EINVALID, "%s: parameter \"%s\" is empty: give %s", m->name,
					      p->name, wanted(p));
		return 0;
	case HEPH_RPC_DATE: {
		char day[HEPH_DATE_LEN + 1];
		if (!json_is_string(v))
			return bad_type(m, p);
		if ((err = check_string(m, p, v, 0)))
			return err;
		if (heph_date_parse(json_string_value(v), s ? heph_store_today(s) : "2000-01-01", day))
			return heph_error_wrap(HEPH_EINVALID, "%s: parameter \"%s\": ", m->name, p->name);
		return 0;
	}
	case HEPH_RPC_ATTENTION:
	case HEPH_RPC_ENUM: {
		const char *values = p->type == HEPH_RPC_ENUM ? p->values : "red|orange|white|blue";
		char w[48];
		if (!json_is_string(v))
			return bad_type(m, p);
		if ((err = check_string(m, p, v, 0)))
			return err;
		if (one_of(json_string_value(v), values, p->type == HEPH_RPC_ATTENTION))
			return 0;
		char list[160];
		size_t k = 0;
		for (const char *c = values; *c && k + 3 < sizeof list; c++) {
			if (*c == '|') {
				list[k++] = ',';
				list[k++] = ' ';
			} else {
				list[k++] = *c;
			}
		}
		list[k] = '\0';
		shown(json_string_value(v), w);
		return heph_error_set(HEPH_EINVALID, "%s: parameter \"%s\" is \"%s\": give one of %s", m->name, p->name,
				      w, list);
	}
	case HEPH_RPC_INT: {
		long long n;
		if (json_is_integer(v)) {
			n = json_integer_value(v);
		} else if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) < 24) {
			/* command lines and forms send numbers as text */
			const char *t = json_string_value(v);
			char *end;
			n = strtoll(t, &end, 10);
			if (*end || isspace((unsigned char)t[0]))
				return bad_type(m, p);
		} else {
			return bad_type(m, p);
		}
		if ((p->min || p->max) && (n < p->min || n > p->max))
			return heph_error_set(HEPH_EINVALID, "%s: parameter \"%s\" must be an integer from %lld to %lld, "
					      "not %lld", m->name, p->name, p->min, p->max, n);
		return 0;
	}
	case HEPH_RPC_BOOL:
		return json_is_boolean(v) ? 0 : bad_type(m, p);
	case HEPH_RPC_LINES:
	case HEPH_RPC_TAGS: {
		size_t i;
		const json_t *x;
		if (json_is_string(v))
			return check_string(m, p, v, 0);
		if (!json_is_array(v))
			return bad_type(m, p);
		json_array_foreach(v, i, x) {
			if (!json_is_string(x))
				return bad_type(m, p);
			if ((err = check_string(m, p, x, 0)))
				return err;
		}
		return 0;
	}
	case HEPH_RPC_OBJECT:
		return json_is_object(v) ? 0 : bad_type(m, p);
	case HEPH_RPC_ARRAY:
		return json_is_array(v) ? 0 : bad_type(m, p);
	case HEPH_RPC_CURSOR:
		return json_is_string(v) ? 0 : bad_type(m, p); /* its text: heph_rpc_check(), with the other params */
	}
	return heph_error_set(HEPH_ERROR, "%s: parameter \"%s\" has no type in the method table", m->name, p->name);
}

static const heph_rpc_param *find_param(const heph_rpc_method *m, const char *key)
{
	for (const heph_rpc_param *p = m->params; p && p->name; p++)
		if (strcmp(p->name, key) == 0)
			return p;
	return NULL;
}

int heph_rpc_check(const heph_rpc_method *m, heph_store *s, const json_t *params)
{
	const char *key;
	json_t *v;
	int err;
	if (params && !json_is_object(params))
		return heph_error_set(HEPH_EINVALID, "%s: params must be an object (parameters by name)", m->name);
	if (params) {
		json_object_foreach((json_t *)params, key, v) {
			const heph_rpc_param *p = find_param(m, key);
			if (!p)
				return unknown_param(m, key);
			if (json_is_null(v))
				continue; /* absent; a required one is reported below */
			if ((err = check_value(m, p, s, v)))
				return err;
		}
	}
	for (const heph_rpc_param *p = m->params; p && p->name; p++) {
		if (!(p->flags & HEPH_RPC_REQUIRED))
			continue;
		v = params ? json_object_get(params, p->name) : NULL;
		if (!v || json_is_null(v))
			return heph_error_set(HEPH_EINVALID, "%s: missing parameter \"%s\" (%s: %s)", m->name, p->name,
					      wanted(p), p->help);
	}
	/* A cursor is checked against the read it continues (rpc_page.c): the
	 * one check that allocates, only when a cursor is given. */
	const char *cursor = params ? json_string_value(json_object_get(params, "cursor")) : NULL;
	if (cursor && find_param(m, "cursor"))
		return heph__cursor_decode(m->name, params, cursor, NULL);
	return 0;
}

/* ---- the schema as data ---- */

json_t *heph_rpc_params_json(const heph_rpc_method *m)
{
	json_t *arr = json_array();
	for (const heph_rpc_param *p = m->params; p && p->name; p++) {
		json_t *o = json_pack("{s:s, s:s, s:b, s:s}", "name", p->name, "type", heph_rpc_type_name(p->type),
				      "required", (p->flags & HEPH_RPC_REQUIRED) != 0, "help", p->help ? p->help : "");
		if (p->dflt)
			json_object_set_new(o, "default", json_string(p->dflt));
		if (p->type == HEPH_RPC_ENUM && p->values) {
			json_t *vals = json_array();
			for (const char *v = p->values; *v;) {
				const char *bar = strchr(v, '|');
				size_t len = bar ? (size_t)(bar - v) : strlen(v);
				json_array_append_new(vals, json_stringn(v, len));
				v += len + (bar ? 1 : 0);
			}
			json_object_set_new(o, "values", vals);
		}
		if (p->type == HEPH_RPC_ATTENTION)
			json_object_set_new(o, "values", json_pack("[s,s,s,s]", "red", "orange", "white", "blue"));
		if (p->type == HEPH_RPC_INT && (p->min || p->max)) {
			json_object_set_new(o, "min", json_integer(p->min));
			json_object_set_new(o, "max", json_integer(p->max));
		}
		if (p->cli)
			json_object_set_new(o, "cli", json_string(p->cli));
		if (p->flags & HEPH_RPC_OR_INT)
			json_object_set_new(o, "or_integer", json_true());
		json_array_append_new(arr, o);
	}
	return arr;
}

void heph_rpc_synopsis(const heph_rpc_method *m, char *buf, size_t n)
{
	size_t used = 0;
	if (n)
		buf[0] = '\0';
	for (const heph_rpc_param *p = m->params; p && p->name && used < n; p++) {
		int w = snprintf(buf + used, n - used, "%s%s%s", used ? ", " : "", p->name,
				 p->flags & HEPH_RPC_REQUIRED ? "" : "?");
		if (w < 0)
			break;
		used += (size_t)w;
	}
}
