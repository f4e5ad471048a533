/* Shared pieces of the command-line front ends: exit codes, version text, log option handling. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes shared by every cocoon command: 0 success, 1 the operation failed (or a check found a
 * problem), 2 the command line was wrong. */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILURE = 1,
	CLI_EXIT_USAGE = 2,
};

void cli_print_version(const char *program, bool json);

/* Applies --log-level/--log-format/--log-file values (NULL keeps the default). Prints the problem
 * and returns CLI_EXIT_USAGE on an invalid value, else 0. */
int cli_setup_logging(const char *program, const char *level, const char *format, const char *file);

/* A command of subcommands (`cocoon scan image`, `cocoon scan policy list`): argv[1] names one of
 * commands, which runs with argv + 1; no argument prints usage to stderr (exit 2), --help, -h or
 * help to stdout (exit 0), an unknown one is named with the list. */
struct cli_subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
};
int cli_run_subcommand(const char *program, int argc, char **argv, const struct cli_subcommand *commands, size_t n,
		       void (*usage)(FILE *out));

/* Prints "program: message" to stderr. */
void cli_error(const char *program, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records a security decision (allow or deny, with the reason for a deny) as an audit event when
 * COCOON_AUDIT_SOCKET names the audit pipeline's socket; a socket that cannot be reached is reported
 * on stderr. tenant may be NULL. */
void cli_emit_decision(const char *component, const char *action, const char *object, const char *tenant, bool allowed,
		       const char *reason);

/* A whole decimal number from min to max (an option's value); false for anything else. */
bool cli_parse_int64(const char *text, int64_t min, int64_t max, int64_t *ret);
