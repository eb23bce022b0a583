/* ical_lazy.h — libical, loaded when first needed.
 *
 * libical links ICU and libstdc++; loading and relocating them costs every
 * process about two milliseconds before main(), most of what `heph task` is
 * allowed. Only iCalendar export (and later recurrence) needs libical, so
 * libheph opens it with dlopen() on first use and calls it through this
 * table. A file using libical includes <libical/ical.h>, then this header,
 * and writes plain libical calls: the macros below send them through the
 * table, loading libical on the first call.
 *
 * To use another libical function, add it to HEPH_ICAL_FUNCS and add its
 * #define at the bottom.
 */
#ifndef HEPH_ICAL_LAZY_H
#define HEPH_ICAL_LAZY_H

#include <libical/ical.h>

#define HEPH_ICAL_FUNCS(X) \
	X(icalcomponent_add_component) \
	X(icalcomponent_add_property) \
	X(icalcomponent_as_ical_string_r) \
	X(icalcomponent_free) \
	X(icalcomponent_new_valarm) \
	X(icalcomponent_new_vcalendar) \
	X(icalcomponent_new_vevent) \
	X(icalcomponent_new_vtodo) \
	X(icaldurationtype_from_string) \
	X(icaldurationtype_is_bad_duration) \
	X(icalerrno_return) \
	X(icalerror_clear_errno) \
	X(icalmemory_free_buffer) \
	X(icalparameter_new_related) \
	X(icalparameter_new_value) \
	X(icalproperty_add_parameter) \
	X(icalproperty_new_action) \
	X(icalproperty_new_categories) \
	X(icalproperty_new_description) \
	X(icalproperty_new_dtstamp) \
	X(icalproperty_new_dtstart) \
	X(icalproperty_new_due) \
	X(icalproperty_new_lastmodified) \
	X(icalproperty_new_priority) \
	X(icalproperty_new_prodid) \
	X(icalproperty_new_refreshinterval) \
	X(icalproperty_new_rrule) \
	X(icalproperty_new_status) \
	X(icalproperty_new_summary) \
	X(icalproperty_new_transp) \
	X(icalproperty_new_trigger) \
	X(icalproperty_new_uid) \
	X(icalproperty_new_version) \
	X(icalproperty_new_x) \
	X(icalproperty_set_x_name) \
	X(icalrecur_iterator_free) \
	X(icalrecur_iterator_new) \
	X(icalrecur_iterator_next) \
	X(icalrecur_iterator_set_start) \
	X(icalrecurrencetype_as_string_r) \
	X(icalrecurrencetype_day_day_of_week) \
	X(icalrecurrencetype_day_position) \
	X(icalrecurrencetype_from_string) \
	X(icalrecurrencetype_month_month) \
	X(icaltime_compare) \
	X(icaltime_compare_date_only) \
	X(icaltime_from_string) \
	X(icaltime_from_timet_with_zone) \
	X(icaltime_is_null_time) \
	X(icaltime_null_date) \
	X(icaltime_null_time) \
	X(icaltimezone_get_utc_timezone)

struct heph__ical_fns {
#define HEPH_ICAL_MEMBER(f) __typeof__(f) *p_##f;
	HEPH_ICAL_FUNCS(HEPH_ICAL_MEMBER)
#undef HEPH_ICAL_MEMBER
};

/* Load libical (once per process). 0, or HEPH_ERROR with a message when
 * the library or one of its functions cannot be found. */
int heph__ical_load(void);

/* The table, loading libical first if need be. libical is a dependency of
 * the package, so failing to load it is a broken installation: this prints
 * why and aborts. Call heph__ical_load() first to fail gracefully instead. */
const struct heph__ical_fns *heph__ical_fns(void);

#ifndef HEPH_ICAL_NO_MACROS
#define icalcomponent_add_component (heph__ical_fns()->p_icalcomponent_add_component)
#define icalcomponent_add_property (heph__ical_fns()->p_icalcomponent_add_property)
#define icalcomponent_as_ical_string_r (heph__ical_fns()->p_icalcomponent_as_ical_string_r)
#define icalcomponent_free (heph__ical_fns()->p_icalcomponent_free)
#define icalcomponent_new_valarm (heph__ical_fns()->p_icalcomponent_new_valarm)
#define icalcomponent_new_vcalendar (heph__ical_fns()->p_icalcomponent_new_vcalendar)
#define icalcomponent_new_vevent (heph__ical_fns()->p_icalcomponent_new_vevent)
#define icalcomponent_new_vtodo (heph__ical_fns()->p_icalcomponent_new_vtodo)
#define icaldurationtype_from_string (heph__ical_fns()->p_icaldurationtype_from_string)
#define icaldurationtype_is_bad_duration (heph__ical_fns()->p_icaldurationtype_is_bad_duration)
#define icalerrno_return (heph__ical_fns()->p_icalerrno_return)
#define icalerror_clear_errno (heph__ical_fns()->p_icalerror_clear_errno)
#define icalmemory_free_buffer (heph__ical_fns()->p_icalmemory_free_buffer)
#define icalparameter_new_related (heph__ical_fns()->p_icalparameter_new_related)
#define icalparameter_new_value (heph__ical_fns()->p_icalparameter_new_value)
#define icalproperty_add_parameter (heph__ical_fns()->p_icalproperty_add_parameter)
#define icalproperty_new_action (heph__ical_fns()->p_icalproperty_new_action)
#define icalproperty_new_categories (heph__ical_fns()->p_icalproperty_new_categories)
#define icalproperty_new_description (heph__ical_fns()->p_icalproperty_new_description)
#define icalproperty_new_dtstamp (heph__ical_fns()->p_icalproperty_new_dtstamp)
#define icalproperty_new_dtstart (heph__ical_fns()->p_icalproperty_new_dtstart)
#define icalproperty_new_due (heph__ical_fns()->p_icalproperty_new_due)
#define icalproperty_new_lastmodified (heph__ical_fns()->p_icalproperty_new_lastmodified)
#define icalproperty_new_priority (heph__ical_fns()->p_icalproperty_new_priority)
#define icalproperty_new_prodid (heph__ical_fns()->p_icalproperty_new_prodid)
#define icalproperty_new_refreshinterval (heph__ical_fns()->p_icalproperty_new_refreshinterval)
#define icalproperty_new_rrule (heph__ical_fns()->p_icalproperty_new_rrule)
#define icalproperty_new_status (heph__ical_fns()->p_icalproperty_new_status)
#define icalproperty_new_summary (heph__ical_fns()->p_icalproperty_new_summary)
#define icalproperty_new_transp (heph__ical_fns()->p_icalproperty_new_transp)
#define icalproperty_new_trigger (heph__ical_fns()->p_icalproperty_new_trigger)
#define icalproperty_new_uid (heph__ical_fns()->p_icalproperty_new_uid)
#define icalproperty_new_version (heph__ical_fns()->p_icalproperty_new_version)
#define icalproperty_new_x (heph__ical_fns()->p_icalproperty_new_x)
#define icalproperty_set_x_name (heph__ical_fns()->p_icalproperty_set_x_name)
#define icalrecur_iterator_free (heph__ical_fns()->p_icalrecur_iterator_free)
#define icalrecur_iterator_new (heph__ical_fns()->p_icalrecur_iterator_new)
#define icalrecur_iterator_next (heph__ical_fns()->p_icalrecur_iterator_next)
#define icalrecur_iterator_set_start (heph__ical_fns()->p_icalrecur_iterator_set_start)
#define icalrecurrencetype_as_string_r (heph__ical_fns()->p_icalrecurrencetype_as_string_r)
#define icalrecurrencetype_day_day_of_week (heph__ical_fns()->p_icalrecurrencetype_day_day_of_week)
#define icalrecurrencetype_day_position (heph__ical_fns()->p_icalrecurrencetype_day_position)
#define icalrecurrencetype_from_string (heph__ical_fns()->p_icalrecurrencetype_from_string)
#define icalrecurrencetype_month_month (heph__ical_fns()->p_icalrecurrencetype_month_month)
#define icaltime_compare (heph__ical_fns()->p_icaltime_compare)
#define icaltime_compare_date_only (heph__ical_fns()->p_icaltime_compare_date_only)
#define icaltime_from_string (heph__ical_fns()->p_icaltime_from_string)
#define icaltime_from_timet_with_zone (heph__ical_fns()->p_icaltime_from_timet_with_zone)
#define icaltime_is_null_time (heph__ical_fns()->p_icaltime_is_null_time)
#define icaltime_null_date (heph__ical_fns()->p_icaltime_null_date)
#define icaltime_null_time (heph__ical_fns()->p_icaltime_null_time)
#define icaltimezone_get_utc_timezone (heph__ical_fns()->p_icaltimezone_get_utc_timezone)
#endif

#endif
