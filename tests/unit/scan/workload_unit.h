/* Helpers of the workload tests (test_pod_security.c, test_confidential_checks.c, test_workload.c,
 * test_workload_checks.c): JSON written with single quotes so specs read in C, and the checks of a
 * list of violations or misconfigurations. */
#pragma once

#include "scan/pod_security.h"
#include "unit.h"

#include <jansson.h>

/* JSON text with ' for " (no value in these tests holds an apostrophe). */
static inline json_t *unit_json(const char *text)
{
	char *copy = strdup(text);
	assert_non_null(copy);
	for (char *p = copy; *p; p++)
		if (*p == '\'')
			*p = '"';
	json_error_t error;
	json_t *v = json_loads(copy, JSON_DECODE_ANY, &error);
	if (!v)
		fail_msg("bad test JSON at %d: %s: %s", error.position, error.text, copy);
	free(copy);
	return v;
}

/* The phrases of level for a pod (metadata may be NULL) are exactly want (NULL-terminated). */
static inline void unit_assert_pss(const char *metadata, const char *spec, enum scan_pss_level level,
				   const char *const *want)
{
	json_t *meta = metadata ? unit_json(metadata) : NULL;
	json_t *s = unit_json(spec);
	json_t *got = scan_pss_pod_violations(meta, s, level);
	size_t n = 0;
	while (want[n])
		n++;
	for (size_t i = 0; i < json_array_size(got) || i < n; i++) {
		const char *g = json_string_value(json_array_get(got, i));
		if (!g || i >= n || strcmp(g, want[i]) != 0)
			fail_msg("violation %zu (level %s):\n  got:  %s\n  want: %s", i, scan_pss_level_name(level),
				 g ? g : "(none)", i < n ? want[i] : "(none)");
	}
	json_decref(got);
	json_decref(s);
	json_decref(meta);
}

#define UNIT_PSS(meta, spec, level, ...) unit_assert_pss(meta, spec, level, (const char *const[]){ __VA_ARGS__, NULL })
#define UNIT_PSS_NONE(meta, spec, level) unit_assert_pss(meta, spec, level, (const char *const[]){ NULL })

/* The first object of list whose "id" is id, or NULL. */
static inline json_t *unit_find_id(const json_t *list, const char *id)
{
	size_t i;
	json_t *v;
	json_array_foreach (list, i, v)
		if (strcmp(json_string_value(json_object_get(v, "id")) ?: "", id) == 0)
			return v;
	return NULL;
}

static inline void unit_assert_json_str(const json_t *o, const char *key, const char *want)
{
	const char *got = json_string_value(json_object_get(o, key));
	if (!got || strcmp(got, want) != 0)
		fail_msg("%s: got `%s`, want `%s`", key, got ? got : "(none)", want);
}
