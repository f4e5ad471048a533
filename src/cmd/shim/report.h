/* The report from the monitor to the foreground process, over a pipe: one line, `pid=N` when the
 * container was created and started (N is its init), `error: MESSAGE` when not. The foreground
 * process reads to end of file: the monitor closes its end after reporting, and a monitor that dies
 * before it reports closes it too. */
#pragma once

#include <sys/types.h>

struct cc_error;

void shim_report_started(int fd, pid_t init_pid);
void shim_report_error(int fd, const char *message);

/* Reads the report (up to end of file). Returns the init's pid (> 0) on success; else a negative
 * errno with the monitor's message, or what went wrong with the pipe, in err. */
int shim_report_read(int fd, pid_t *ret_init_pid, struct cc_error *err);
