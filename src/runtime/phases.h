/* Where a runtime command spends its time: with COCOON_RUNTIME_PROFILE set in the environment, each
 * phase of create/start/delete is timed and one JSON line goes to stderr at the end
 * ({"phases":{"config":123,...}} in microseconds), for bench/runtime's breakdown. Off, a mark costs a
 * branch. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RUNTIME_PHASES_MAX 24

struct runtime_phase {
	const char *name;
	uint64_t ns;
};

struct runtime_phases {
	bool enabled;
	uint64_t last_ns;
	size_t count, beside_count;
	struct runtime_phase items[RUNTIME_PHASES_MAX];
	/* Work done in another thread while the phases went on (the measurement beside the init's
	 * setup): reported apart, as it is not part of the sum. */
	struct runtime_phase beside[4];
};

void runtime_phases_init(struct runtime_phases *p);
/* The time since the previous mark (or init) is charged to name (static storage); a name marked
 * again adds up. */
void runtime_phases_mark(struct runtime_phases *p, const char *name);
/* Charges ns of work done beside the phases to name (static storage). */
void runtime_phases_beside(struct runtime_phases *p, const char *name, uint64_t ns);
/* CLOCK_MONOTONIC in nanoseconds, to time such work. */
uint64_t runtime_phases_now(void);
/* The JSON line on stderr, when enabled ({"phases":{...},"beside":{...}}). */
void runtime_phases_report(const struct runtime_phases *p);
