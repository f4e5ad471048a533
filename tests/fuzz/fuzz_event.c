/* libFuzzer target: security events as received from producers (cc_event_parse). */
#include "base/error.h"
#include "event/event.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
		free(a);
		free(b);
		cc_event_free(back);
		cc_event_free(ev);
	}
	return 0;
}
