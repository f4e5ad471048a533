/* JSON helpers for unit tests that compare documents: parse a literal (a malformed one fails the
 * test, naming it), and compare a value with the document a literal spells. */
#pragma once

#include "lib/base/error.h"
#include "lib/json/json.h"
#include "unit.h"

#include <string.h>

static inline json_t *unit_json_parse(const char *text)
{
	struct cc_error err = { 0 };
	json_t *v;
	if (cc_json_parse(text, strlen(text), CC_JSON_MAX_SIZE, "test", &v, &err) < 0)
		fail_msg("bad test JSON: %s: %s", err.message, text);
	return v;
}

static inline void unit_assert_json(const json_t *got, const char *want_text)
{
	json_t *want = unit_json_parse(want_text);
	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		fail_msg("got  %s\nwant %s", g, want_text);
	}
	json_decref(want);
}
