/* The monitor's state, shared by its phases (monitor.c) and its event loop (loop.c). One thread:
 * poll(2) over the container's two output pipes, the output of the runtime command being waited
 * for, and a signalfd for SIGCHLD and SIGTERM. */
#pragma once

#include "cmd/shim/cri_line.h"
#include "cmd/shim/log_writer.h"
#include "cmd/shim/oom.h"
#include "cmd/shim/stdin.h"
#include "lib/base/buf.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct cc_error;
struct shim_config;

/* Output read before `start` succeeded is held in memory (create may still fail, and then no log
 * must be left); past this much per stream the pipe is left unread, so the writer waits. */
#define SHIM_HELD_MAX (1u << 20)
/* What is kept of a runtime command's own output, for an error message or the monitor's log. */
#define SHIM_HELPER_OUTPUT_MAX (64u << 10)

struct shim_output {
	int read_fd;  /* -1 at end of file */
	int write_fd; /* the container's end, held by the monitor until create has handed it over */
	struct shim_cri_splitter splitter;
	struct cc_buf held;
};

/* The runtime command being waited for. */
struct shim_helper {
	pid_t pid; /* 0: none */
	bool exited;
	int status;
	int fd; /* its stdout and stderr; -1 when it writes to the container's pipes, or at end of file */
	struct cc_buf output;
};

struct shim_monitor {
	const struct shim_config *cfg;
	char *shim_log_path; /* the monitor's stderr, and the runtime's --log */
	char *init_pid_path; /* create's --pid-file */
	int signal_fd;
	struct shim_output outputs[SHIM_STREAM_MAX];
	bool logging; /* start succeeded: output goes to the log, no longer held */
	struct shim_log log;
	bool log_created, shim_log_created;
	struct shim_helper helper;
	pid_t init_pid; /* 0 until create has written it */
	bool init_exited;
	int init_status;
	int64_t started_ns, finished_ns;
	struct shim_oom oom;
	struct shim_stdin in; /* read_fd -1 and no path without --stdin-fifo */
};

/* One round of the loop: waits up to timeout_ms (-1: no limit) and handles what is ready. */
void shim_monitor_poll(struct shim_monitor *m, int timeout_ms);
/* Reads what the container's pipes hold now, without waiting. */
void shim_monitor_read_available(struct shim_monitor *m);
/* Sends what was held to the log (start succeeded) and from now on writes as it reads. */
void shim_monitor_start_logging(struct shim_monitor *m);
/* At the end: unfinished lines go to the log as P chunks, and the pipes are closed. */
void shim_monitor_close_outputs(struct shim_monitor *m);
/* Runs a runtime subcommand to its end while the loop goes on. With container_stdio its stdout and
 * stderr are the container's pipes (create: the runtime hands them to the container), else a pipe
 * of its own whose text ends up in *ret_output (NUL-terminated, may be NULL). Returns 0 when it ran
 * (its wait status in *ret_status), a negative errno when it could not be started. */
int shim_monitor_run_runtime(struct shim_monitor *m, const char *const *command, bool container_stdio, int *ret_status,
			     char **ret_output, struct cc_error *err);
/* Reaps every child that has exited (the init's status is kept), without waiting. */
void shim_monitor_reap(struct shim_monitor *m);
