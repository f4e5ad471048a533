/* libFuzzer target: security events as received from producers (cc_event_parse), and the
 * canonical writer against the tree it replaces (cc_json_canonical of cc_event_to_json). */
#include "lib/base/error.h"
#include "lib/event/event.h"
#include "lib/json/json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The direct writer and the tree must give the same bytes: the chain hashes the former, verify
 * recomputes from the latter. */
static void check_canonical_forms(const struct cc_event *ev)
{
	char *direct = cc_event_canonical(ev);
	json_t *tree = cc_event_to_json(ev);
	char *reference = cc_json_canonical(tree);
	if (strcmp(direct, reference) != 0)
		abort();
	free(direct);
	free(reference);
	json_decref(tree);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cc_error err = { 0 };
	struct cc_event *ev;
	if (cc_event_parse((const char *)data, size, &ev, &err) == 0) {
		/* An accepted event must survive a round trip through its canonical form unchanged. */
		char *a = cc_event_canonical(ev);
		struct cc_event *back;
		if (cc_event_parse(a, strlen(a), &back, &err) != 0)
			abort();
		char *b = cc_event_canonical(back);
		if (strcmp(a, b) != 0)
			abort();
		check_canonical_forms(ev);
		free(a);
		free(b);
		cc_event_free(back);
		cc_event_free(ev);
	}
	/* Producers in process set fields from any bytes (invalid UTF-8, controls, quotes). */
	if (cc_event_new_with_id("fuzz", "fuzz.input", "fuzz-1", &ev, &err) == 0) {
		char *text = strndup((const char *)data, size);
		cc_event_set_actor(ev, text);
		cc_event_set_reason(ev, "%s", text);
		check_canonical_forms(ev);
		free(text);
		cc_event_free(ev);
	}
	return 0;
}
