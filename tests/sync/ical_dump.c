/* ical_dump.c — read an iCalendar file with libical and print what it
 * holds as JSON, for the shell tests to compare with the fixture:
 *
 *   {"errors": [what libical found wrong: X-LIC-ERROR properties after
 *               parsing and icalrestriction_check()],
 *    "refresh": REFRESH-INTERVAL as text or null,
 *    "items": [{"kind": "VEVENT"|"VTODO", "uid", "summary", "dtstart",
 *               "due" (YYYY-MM-DD or null), "rrule" (text or null),
 *               "priority", "categories",
 *               "alarms": [{"action", "trigger" (duration text),
 *                           "related": "START"|"END"}]}, ...]}
 *
 * usage: ical-dump FILE (- : standard input). Exit 1 when the text does not
 * parse as one VCALENDAR. */
#include <libical/ical.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t n = 0, cap = 65536;
	char *buf = malloc(cap);
	if (!f || !buf)
		return NULL;
	for (;;) {
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
		if (n + 1 == cap && !(buf = realloc(buf, cap *= 2)))
			return NULL;
	}
	buf[n] = '\0';
	if (f != stdin)
		fclose(f);
	return buf;
}

static json_t *date_of(icalcomponent *c, icalproperty_kind k)
{
	icalproperty *p = icalcomponent_get_first_property(c, k);
	if (!p)
		return json_null();
	struct icaltimetype t = icalvalue_get_datetimedate(icalproperty_get_value(p));
	char buf[32];
	snprintf(buf, sizeof buf, "%04d-%02d-%02d%s", t.year, t.month, t.day, t.is_date ? "" : "T");
	return json_string(buf);
}

static json_t *text_of(icalcomponent *c, icalproperty_kind k)
{
	icalproperty *p = icalcomponent_get_first_property(c, k);
	if (!p)
		return json_null();
	if (k == ICAL_RRULE_PROPERTY) {
		struct icalrecurrencetype rule = icalproperty_get_rrule(p);
		char *r = icalrecurrencetype_as_string_r(&rule);
		json_t *j = json_string(r);
		icalmemory_free_buffer(r);
		return j;
	}
	if (k == ICAL_PRIORITY_PROPERTY)
		return json_integer(icalproperty_get_priority(p));
	return json_string(icalproperty_get_value_as_string(p));
}

static void errors_in(icalcomponent *c, json_t *errors)
{
	for (icalproperty *p = icalcomponent_get_first_property(c, ICAL_XLICERROR_PROPERTY); p;
	     p = icalcomponent_get_next_property(c, ICAL_XLICERROR_PROPERTY))
		json_array_append_new(errors, json_string(icalproperty_get_xlicerror(p)));
	for (icalcomponent *s = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT); s;
	     s = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT))
		errors_in(s, errors);
}

int main(int argc, char **argv)
{
	char *text = argc == 2 ? slurp(argv[1]) : NULL;
	if (!text) {
		fprintf(stderr, "usage: ical-dump FILE|-\n");
		return 2;
	}
	icalcomponent *cal = icalparser_parse_string(text);
	free(text);
	if (!cal || icalcomponent_isa(cal) != ICAL_VCALENDAR_COMPONENT) {
		fprintf(stderr, "ical-dump: not one VCALENDAR\n");
		return 1;
	}
	json_t *errors = json_array(), *items = json_array();
	icalrestriction_check(cal);
	errors_in(cal, errors);
	icalproperty *rp = icalcomponent_get_first_property(cal, ICAL_REFRESHINTERVAL_PROPERTY);
	json_t *refresh = rp ? json_string(icalproperty_get_value_as_string(rp)) : json_null();
	for (icalcomponent *c = icalcomponent_get_first_component(cal, ICAL_ANY_COMPONENT); c;
	     c = icalcomponent_get_next_component(cal, ICAL_ANY_COMPONENT)) {
		icalcomponent_kind k = icalcomponent_isa(c);
		if (k != ICAL_VEVENT_COMPONENT && k != ICAL_VTODO_COMPONENT)
			continue;
		json_t *alarms = json_array();
		for (icalcomponent *a = icalcomponent_get_first_component(c, ICAL_VALARM_COMPONENT); a;
		     a = icalcomponent_get_next_component(c, ICAL_VALARM_COMPONENT)) {
			icalproperty *tp = icalcomponent_get_first_property(a, ICAL_TRIGGER_PROPERTY);
			icalproperty *ap = icalcomponent_get_first_property(a, ICAL_ACTION_PROPERTY);
			icalparameter *rel = tp ? icalproperty_get_first_parameter(tp, ICAL_RELATED_PARAMETER) : NULL;
			char *dur = NULL;
			if (tp)
				dur = icaldurationtype_as_ical_string_r(icalproperty_get_trigger(tp).duration);
			json_array_append_new(alarms, json_pack("{s:s?, s:s?, s:s}", "action",
								ap ? icalproperty_get_value_as_string(ap) : NULL,
								"trigger", dur, "related",
								rel && icalparameter_get_related(rel) == ICAL_RELATED_END
									? "END" : "START"));
			if (dur)
				icalmemory_free_buffer(dur);
		}
		json_array_append_new(items, json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "kind",
						       k == ICAL_VEVENT_COMPONENT ? "VEVENT" : "VTODO", "uid",
						       text_of(c, ICAL_UID_PROPERTY), "summary",
						       text_of(c, ICAL_SUMMARY_PROPERTY), "dtstart",
						       date_of(c, ICAL_DTSTART_PROPERTY), "due", date_of(c, ICAL_DUE_PROPERTY),
						       "rrule", text_of(c, ICAL_RRULE_PROPERTY), "priority",
						       text_of(c, ICAL_PRIORITY_PROPERTY), "categories",
						       text_of(c, ICAL_CATEGORIES_PROPERTY), "alarms", alarms));
	}
	json_t *out = json_pack("{s:o, s:o, s:o}", "errors", errors, "refresh", refresh, "items", items);
	char *s = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
	puts(s);
	free(s);
	json_decref(out);
	icalcomponent_free(cal);
	return 0;
}
