/* cocoon-shim: the per-container monitor (what conmon is to podman). This header holds the settings
 * the command line gives and the two halves the command joins: shim_launch, the foreground process
 * that cocoond runs and that returns once the container is started, and shim_monitor_main, the
 * detached process that owns the container's output and records how it ended. docs/shim.md. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHIM_DEFAULT_LOG_MAX_BYTES 10485760u
#define SHIM_DEFAULT_LOG_MAX_FILES 5u

struct shim_config {
	const char *runtime;      /* path (or name looked up in PATH) of the OCI runtime */
	const char *runtime_root; /* its --root */
	const char *bundle;       /* absolute paths from here on: the monitor runs in "/" */
	const char *id;
	const char *log_path;      /* the container's log (CRI format) */
	const char *exit_file;     /* JSON written when the container's init has exited */
	const char *shim_pid_file; /* NULL: none */
	const char *stdin_fifo;    /* the container's stdin as a FIFO here (stdin.h); NULL: /dev/null */
	bool stdin_once;           /* its stdin ends when the first attacher's does */
	uint64_t log_max_bytes;
	unsigned log_max_files;
	const char *const *runtime_args; /* extra global options, before the subcommand */
	size_t runtime_arg_count;
};

/* The foreground process: starts the monitor detached (double fork, new session), waits for its
 * report and prints `pid=N` (success) or the error. Returns the process's exit code. */
int shim_launch(const struct shim_config *cfg);

/* The monitor; report_fd is the pipe to the foreground process, closed once the outcome of create
 * and start is known. Returns the monitor's exit code. */
int shim_monitor_main(const struct shim_config *cfg, int report_fd);

/* `cocoon-shim attach ARGS` (attach.c): argv[0] is "attach". Returns the process's exit code. */
int shim_attach_main(int argc, char **argv);
