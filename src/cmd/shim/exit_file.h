/* The exit file: how the container's init ended, written atomically (temporary file, rename) once
 * its output is drained, so whoever reads it (cocoond, after a restart too) sees all or nothing:
 *
 *     {"exitCode": 137, "signal": 9, "reason": "OOMKilled", "startedAt": "...Z", "finishedAt": "...Z",
 *      "pid": 4242}
 *
 * exitCode is what kubelet reports: the exit status, or 128+N for a process killed by signal N. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct cc_error;

struct shim_exit {
	int wait_status; /* as waitpid returns it */
	bool oom_killed; /* the container's memory cgroup counted an OOM kill */
	int64_t started_ns, finished_ns;
	pid_t pid;
};

int shim_exit_code(int wait_status);
/* "Completed" (exit 0), "Error" or "OOMKilled", as kubelet's ContainerStateTerminated.reason. */
const char *shim_exit_reason(const struct shim_exit *e);
/* The JSON text (one line, no newline); the caller frees it. */
char *shim_exit_json(const struct shim_exit *e);
int shim_exit_file_write(const char *path, const struct shim_exit *e, struct cc_error *err);
