/* Starting the OCI runtime: `RUNTIME [--runtime-arg...] --root DIR --log SHIM_LOG SUBCOMMAND ...`,
 * with stdin on /dev/null and stdout and stderr on descriptors the monitor chose, every signal back
 * to its default action and none blocked (the monitor ignores some and blocks SIGCHLD; a container
 * must not inherit that). */
#pragma once

#include <sys/types.h>

struct cc_error;
struct shim_config;

/* The argv of one runtime invocation: the global options, then command (NULL-terminated). */
char **shim_runtime_argv(const struct shim_config *cfg, const char *runtime_log, const char *const *command);
void shim_argv_free(char **argv);

/* Starts argv; the child's stdout and stderr are out_fd and err_fd. */
int shim_spawn(char *const *argv, int in_fd, int out_fd, int err_fd, pid_t *ret_pid, struct cc_error *err);
