/* Whether the kernel's OOM killer struck the container: the memory cgroup's oom_kill counter
 * (cgroup v2 memory.events, v1 memory.oom_control since Linux 4.13), read when the container starts
 * and again when its init has exited. The cgroup is the init's, from /proc/PID/cgroup, since the
 * runtime's `state` does not name it; the counter file is kept open, so a runtime that removes the
 * cgroup early cannot make the second reading fail. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct shim_oom {
	int fd; /* -1: no counter found (no memory controller for this cgroup) */
	uint64_t baseline;
};

/* Finds and opens the counter of pid's memory cgroup; finding none is not an error (reason then
 * falls back to Completed/Error). */
void shim_oom_watch(struct shim_oom *oom, pid_t pid);
/* True when the counter grew since shim_oom_watch. */
bool shim_oom_killed(struct shim_oom *oom);
void shim_oom_close(struct shim_oom *oom);

/* The value of "oom_kill N" in the text of memory.events or memory.oom_control. */
bool shim_oom_parse_count(const char *text, uint64_t *ret_count);
