/* Shared by `cocoon scan image` and `cocoon scan node` (see scan_common.h). */
#include "scan_common.h"

#include "cmd/cli.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "scan/malware.h"
#include "scan/policy.h"
#include "scan/report.h"
#include "scan/report_formats.h"
#include "scan/scan.h"
#include "scan/vulndb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool any_reaches(json_t *items, int threshold)
{
	size_t i;
	json_t *f;
	json_array_foreach (items, i, f)
		if (scan_severity_rank(json_string_value(json_object_get(f, "severity"))) >= threshold)
			return true;
	return false;
}

/* Malware counts as critical: nothing about a known signature in an image is less. */
bool scan_cli_reaches(const struct scan_result *r, int threshold)
{
	return any_reaches(r->findings, threshold) || any_reaches(r->secrets, threshold) ||
	       any_reaches(r->misconfigurations, threshold) ||
	       (json_array_size(r->malware) && threshold <= scan_severity_rank("critical"));
}

/* On a terminal, how far the read has come; cleared before the report. */
void scan_cli_show_progress(void *ctx, const struct scan_progress *p)
{
	fprintf(stderr, "\r\033[K%s: %llu files, %llu MiB read", (const char *)ctx, (unsigned long long)p->files,
		(unsigned long long)(p->bytes >> 20));
}

int scan_cli_open_malware_db(const char *program, const char *path, struct scan_malware_engine **ret)
{
	struct cc_error err = { 0 };
	if (scan_malware_engine_load(path, ret, &err) < 0) {
		cli_error(program, "%s", cc_error_message(&err));
		return -1;
	}
	return 0;
}

int scan_cli_open_vulndb(const char *program, const char *path, bool explicit_path, struct scan_vulndb **ret)
{
	*ret = NULL;
	if (!explicit_path && access(path, F_OK) != 0) {
		fprintf(stderr,
			"%s: warning: no vulnerability database at %s: packages are listed, not matched "
			"(import one with `cocoon scan db import`)\n",
			program, path);
		return 0;
	}
	struct cc_error err = { 0 };
	if (scan_vulndb_open(path, false, ret, &err) < 0) {
		cli_error(program, "%s", cc_error_message(&err));
		return -1;
	}
	return 0;
}

/* The JSON report, or what one of report_formats.h's formats makes of it; *ret NULL for the table. */
static int report_document(const char *program, const struct scan_result *r, const char *format, json_t **ret)
{
	const struct scan_report_format *f = scan_report_format_find(format);
	*ret = NULL;
	if (strcmp(format, "json") != 0 && !f)
		return 0;
	json_t *doc = scan_report_json(r);
	struct scan_report_meta meta;
	struct cc_error err = { 0 };
	if (f && scan_report_meta_init(&meta, doc, COCOON_VERSION, &err) < 0) {
		cli_error(program, "%s", cc_error_message(&err));
		json_decref(doc);
		return -1;
	}
	*ret = f ? f->convert(doc, &meta) : json_incref(doc);
	json_decref(doc);
	return 0;
}

int scan_cli_write_report(const char *program, const struct scan_result *r, const char *format, const char *output)
{
	json_t *doc;
	if (report_document(program, r, format, &doc) < 0)
		return -1;
	FILE *out = stdout;
	if (output && !(out = fopen(output, "we"))) {
		cli_error(program, "cannot write `%s`: %m", output);
		json_decref(doc);
		return -1;
	}
	if (doc) {
		json_dumpf(doc, out, JSON_INDENT(2) | JSON_SORT_KEYS);
		fputc('\n', out);
		json_decref(doc);
	} else {
		scan_report_table(out, r);
	}
	if (out != stdout && fclose(out) != 0) {
		cli_error(program, "cannot write `%s`: %m", output);
		return -1;
	}
	return 0;
}

int scan_cli_judge_build(const char *program, struct scan_result *r, const char *const *paths, size_t n_paths,
			 bool use_default, bool *ret_blocks)
{
	struct cc_error err = { 0 };
	_cleanup_(scan_policy_set_freep) struct scan_policy_set *set = scan_policy_set_new();
	int rc = use_default ? scan_policy_load_default(set, &err) : 0;
	for (size_t i = 0; rc == 0 && i < n_paths; i++)
		rc = scan_policy_load_path(set, paths[i], &err);
	_cleanup_json_ json_t *report = rc == 0 ? scan_report_json(r) : NULL;
	_cleanup_json_ json_t *facts = report ? scan_policy_facts(SCAN_POLICY_STAGE_BUILD, report, NULL, NULL) : NULL;
	json_t *violations = NULL;
	if (rc == 0)
		rc = scan_policy_evaluate(set, facts, &violations, &err);
	if (rc < 0) {
		cli_error(program, "policies: %s", cc_error_message(&err));
		cli_emit_decision("scan", "scan.policy", r->target, NULL, false, cc_error_message(&err));
		return -1;
	}
	*ret_blocks = scan_policy_blocks(violations, SCAN_POLICY_STAGE_BUILD);
	_cleanup_free_ char *refusal = scan_policy_refusal(violations, SCAN_POLICY_STAGE_BUILD);
	cli_emit_decision("scan", "scan.policy", r->target, NULL, !*ret_blocks,
			  refusal ? refusal : "no policy fails the build");
	json_decref(r->policy_violations);
	r->policy_violations = violations;
	return 0;
}

void scan_cli_args_init(struct scan_cli_args *a)
{
	*a = (struct scan_cli_args){ .db_path = getenv("COCOON_SCAN_DB"),
				     .malware_db = getenv("COCOON_MALWARE_DB"),
				     .format = "table",
				     .secrets = true,
				     .fail_on = -1 };
	a->explicit_db = a->db_path && *a->db_path;
}

int scan_cli_args_take(const char *program, struct scan_cli_args *a, int c, const char *arg)
{
	switch (c) {
	case 'd':
		a->db_path = arg;
		a->explicit_db = true;
		return 1;
	case 'n': a->no_db = true; return 1;
	case 'm': a->malware_db = arg; return 1;
	case 'S': a->secrets = false; return 1;
	case 'f': a->format = arg; return 1;
	case 'o': a->output = arg; return 1;
	case 'q': a->quiet = true; return 1;
	case 'F':
		a->fail_on_name = arg;
		if ((a->fail_on = scan_severity_rank(arg)) < 0) {
			cli_error(program,
				  "--fail-on takes critical, high, medium, low, negligible or unknown, not `%s`", arg);
			return -1;
		}
		return 1;
	default: return 0;
	}
}

int scan_cli_args_check(const char *program, const struct scan_cli_args *a)
{
	if (strcmp(a->format, "table") != 0 && strcmp(a->format, "json") != 0 && !scan_report_format_find(a->format)) {
		cli_error(program, "--format takes table, json, sarif, cyclonedx or spdx, not `%s`", a->format);
		return -1;
	}
	return 0;
}

int scan_cli_open(const char *program, const struct scan_cli_args *a, const char *target, struct scan_options *opts,
		  struct scan_malware_engine **ret_malware)
{
	opts->secrets = a->secrets;
	if (!a->no_db && scan_cli_open_vulndb(program, a->explicit_db ? a->db_path : SCAN_DEFAULT_VULNDB,
					      a->explicit_db, &opts->vulndb) < 0)
		return -1;
	*ret_malware = NULL;
	if (a->malware_db && *a->malware_db && scan_cli_open_malware_db(program, a->malware_db, ret_malware) < 0) {
		scan_cli_close(opts, NULL);
		return -1;
	}
	opts->malware = *ret_malware;
	if (!a->quiet && isatty(STDERR_FILENO)) {
		opts->progress = scan_cli_show_progress;
		opts->progress_ctx = (void *)target;
	}
	return 0;
}

void scan_cli_close(struct scan_options *opts, struct scan_malware_engine *malware)
{
	if (opts->progress)
		fputs("\r\033[K", stderr);
	if (opts->vulndb)
		scan_vulndb_close(opts->vulndb);
	scan_malware_engine_free(malware);
	opts->vulndb = NULL;
	opts->malware = NULL;
	opts->progress = NULL;
}

int scan_cli_finish(const char *program, const struct scan_cli_args *a, const struct scan_result *r,
		    const char *refusal)
{
	if (scan_cli_write_report(program, r, a->format, a->output) < 0)
		return CLI_EXIT_FAILURE;
	if (refusal) {
		fprintf(stderr, "%s: %s\n", program, refusal);
		return CLI_EXIT_FAILURE;
	}
	if (a->fail_on >= 0 && scan_cli_reaches(r, a->fail_on)) {
		fprintf(stderr, "%s: findings at or above --fail-on %s\n", program, a->fail_on_name);
		return CLI_EXIT_FAILURE;
	}
	return CLI_EXIT_OK;
}
