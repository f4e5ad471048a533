/* Running a helper program to completion: the platform drives cocoon-runtime, cocoon-shim and the
 * CNI plugins through their command lines, as kubelet drives its runtime and network plugins. The
 * child is started with posix_spawn (safe in a threaded daemon), gets the given bytes on stdin, and
 * its stdout and stderr are captured up to a bound; a child that outlives the timeout is killed. */
#pragma once

#include <spawn.h>
#include <stddef.h>

struct cc_error;

struct cc_process_result {
	int status; /* exit code, or 128+signal when killed */
	char *out;  /* stdout, NUL-terminated (may be truncated at the bound) */
	size_t out_len;
	char *err; /* stderr, NUL-terminated */
	size_t err_len;
	int timed_out;
};
void cc_process_result_clear(struct cc_process_result *r);

struct cc_process_options {
	const char *const *envp; /* NULL: inherit */
	const void *input;       /* written to stdin, then closed; NULL: /dev/null */
	size_t input_len;
	int timeout_ms;    /* 0: 60 s */
	size_t max_output; /* each of stdout and stderr; 0: 1 MiB */
	/* The child leads a process group of its own (an operator's script that starts a cloud CLI or a
	 * sleep): a timeout kills the whole group, and once the child has exited, output that its
	 * children still write is awaited only while it keeps coming (200 ms of quiet ends it), since
	 * whoever keeps its pipes open is not its answer. */
	int own_group;
};

/* Runs argv[0] (a path, or a name looked up in PATH) to completion. Returns 0 when it ran (whatever
 * its exit status: see ret->status), a negative errno when it could not be started or waited for. */
int cc_process_run(const char *const *argv, const struct cc_process_options *opts, struct cc_process_result *ret,
		   struct cc_error *err);

/* posix_spawn attributes for a child that starts as a program should: no signal blocked, every
 * signal at its default action (a daemon's threads block its stop signals and may ignore SIGPIPE,
 * and a spawned child would inherit both), plus extra_flags (e.g. POSIX_SPAWN_SETSID). Destroy with
 * posix_spawnattr_destroy. */
void cc_process_spawnattr_init(posix_spawnattr_t *attr, short extra_flags);

/* The last line of a child's stderr (or stdout), trimmed, for an error message; "" when silent. */
const char *cc_process_message(const struct cc_process_result *r);
