/* Where a runtime command spends its time: with COCOON_RUNTIME_PROFILE set in the environment, each
 * phase of create/start/delete is timed and one JSON line goes to stderr at the end
 * ({"phases":{"config":123,...}} in microseconds), for bench/runtime's breakdown. Off, a mark costs a
 * branch. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RUNTIME_PHASES_MAX 24

struct runtime_phases {
	bool enabled;
	uint64_t last_ns;
	size_t count;
	struct {
		const char *name;
		uint64_t ns;
	} items[RUNTIME_PHASES_MAX];
};

void runtime_phases_init(struct runtime_phases *p);
/* The time since the previous mark (or init) is charged to name (static storage); a name marked
 * again adds up. */
void runtime_phases_mark(struct runtime_phases *p, const char *name);
/* The JSON line on stderr, when enabled. */
void runtime_phases_report(const struct runtime_phases *p);
