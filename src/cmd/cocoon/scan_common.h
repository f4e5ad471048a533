/* What `cocoon scan image` and `cocoon scan node` share: the databases they open, the report they
 * write, --fail-on and the progress line. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct scan_malware_engine;
struct scan_progress;
struct scan_result;
struct scan_vulndb;

#define SCAN_DEFAULT_VULNDB "/var/lib/cocoon/scan/vulndb.sqlite"

struct scan_options;

/* The options both commands take: --db, --no-db, --malware-db, --no-secrets, -f, -o, --fail-on, -q. */
struct scan_cli_args {
	const char *db_path, *malware_db, *format, *output, *fail_on_name;
	bool explicit_db, no_db, secrets, quiet;
	int fail_on; /* a scan_severity_rank, -1 without --fail-on */
};

/* The defaults, and $COCOON_SCAN_DB and $COCOON_MALWARE_DB. */
void scan_cli_args_init(struct scan_cli_args *a);
/* Takes getopt's option c with its argument when it is one of the shared ones: 1 taken, 0 not
 * ours, -1 a usage error (printed). */
int scan_cli_args_take(const char *program, struct scan_cli_args *a, int c, const char *arg);
/* After parsing: -1 (printed) when --format names no format. */
int scan_cli_args_check(const char *program, const struct scan_cli_args *a);

/* Opens the vulnerability database and the malware engine (*ret_malware, also set in opts) the
 * arguments name, and sets the progress line on a terminal (target names it); -1 (printed) on
 * failure, nothing left open. */
int scan_cli_open(const char *program, const struct scan_cli_args *a, const char *target, struct scan_options *opts,
		  struct scan_malware_engine **ret_malware);
/* Closes what scan_cli_open opened and clears the progress line. */
void scan_cli_close(struct scan_options *opts, struct scan_malware_engine *malware);

/* Writes the report, then fails with refusal when one is given (a policy failed the build), else
 * applies --fail-on: CLI_EXIT_OK or CLI_EXIT_FAILURE. */
int scan_cli_finish(const char *program, const struct scan_cli_args *a, const struct scan_result *r,
		    const char *refusal);

/* The vulnerability database at path; one not given explicitly and not there is a warning (the
 * scan lists packages without matching), *ret NULL. */
int scan_cli_open_vulndb(const char *program, const char *path, bool explicit_path, struct scan_vulndb **ret);
int scan_cli_open_malware_db(const char *program, const char *path, struct scan_malware_engine **ret);

/* Whether anything in the result is at least as severe as threshold (a scan_severity_rank). */
bool scan_cli_reaches(const struct scan_result *r, int threshold);

/* The progress callback for a terminal: ctx is the target's name. */
void scan_cli_show_progress(void *ctx, const struct scan_progress *p);

/* Judges the result with the policies (default ones when use_default, then the given paths) at the
 * build stage: the violations go into r->policy_violations, *ret_blocks says whether one fails the
 * build, and the decision is a security event. -1 (with the error printed) when the policies cannot
 * be loaded or the result cannot be judged: the build fails closed. */
int scan_cli_judge_build(const char *program, struct scan_result *r, const char *const *paths, size_t n_paths,
			 bool use_default, bool *ret_blocks);

/* The report in format (checked by the caller) to output, or standard output when NULL. */
int scan_cli_write_report(const char *program, const struct scan_result *r, const char *format, const char *output);
