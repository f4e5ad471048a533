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
