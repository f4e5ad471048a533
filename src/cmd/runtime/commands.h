/* The cocoon-runtime commands; each parses its own options (argv[0] is the command name). */
#pragma once

#include "runtime/container.h"

int rt_cmd_create(const struct runtime_globals *g, int argc, char **argv);
int rt_cmd_run(const struct runtime_globals *g, int argc, char **argv);
int rt_cmd_start(const struct runtime_globals *g, int argc, char **argv);
int rt_cmd_kill(const struct runtime_globals *g, int argc, char **argv);
int rt_cmd_delete(const struct runtime_globals *g, int argc, char **argv);
int rt_cmd_pause(const struct runtime_globals *g, int argc, char **argv);
int rt_cmd_resume(const struct runtime_globals *g, int argc, char **argv);
int rt_cmd_state(const struct runtime_globals *g, int argc, char **argv);
int rt_cmd_list(const struct runtime_globals *g, int argc, char **argv);
int rt_cmd_ps(const struct runtime_globals *g, int argc, char **argv);
int rt_cmd_exec(const struct runtime_globals *g, int argc, char **argv);
int rt_cmd_spec(const struct runtime_globals *g, int argc, char **argv);
int rt_cmd_features(const struct runtime_globals *g, int argc, char **argv);
int rt_cmd_measure(const struct runtime_globals *g, int argc, char **argv);

/* True when --log names a file: errors then go to it and to stderr. */
extern bool rt_log_is_file;

/* Prints the error the way runc does (to the log and stderr) and returns exit code 1. */
int rt_fail(const char *command, const struct cc_error *err);
