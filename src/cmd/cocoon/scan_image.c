/* cocoon scan image PATH: inventory and CVE findings of an image (docs/scan.md). */
#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "scan/malware.h"
#include "scan/report.h"
#include "scan/scan.h"
#include "scan/vulndb.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROGRAM        "cocoon scan image"
#define DEFAULT_VULNDB "/var/lib/cocoon/scan/vulndb.sqlite"

static void usage(FILE *out)
{
	fprintf(out, "Usage: cocoon scan image [OPTIONS] PATH\n\n"
		     "Lists what an image has installed (dpkg, apk, rpm) and the advisories of the vulnerability\n"
		     "database that apply to it. PATH is a root filesystem directory, a tar of one, a docker-archive,\n"
		     "an oci-archive (`podman save`) or an OCI image layout directory; nothing is unpacked.\n\n"
		     "Options:\n"
		     "  --db PATH             the vulnerability database (default $COCOON_SCAN_DB, else\n"
		     "                        " DEFAULT_VULNDB "; see `cocoon scan db`)\n"
		     "  --no-db               inventory only\n"
		     "  -f, --format FORMAT   table (default) or json\n"
		     "  -o, --output FILE     write the report there instead of standard output\n"
		     "  --fail-on SEVERITY    exit 1 when a finding is at least this severe\n"
		     "                        (critical, high, medium, low, negligible, unknown)\n"
		     "  -h, --help            show this help\n\n"
		     "Exit codes: 0 scanned (and nothing reached --fail-on), 1 a finding reached --fail-on or the\n"
		     "scan failed, 2 usage error.\n");
}

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
static bool reaches(const struct scan_result *r, int threshold)
{
	return any_reaches(r->findings, threshold) || any_reaches(r->secrets, threshold) ||
	       any_reaches(r->misconfigurations, threshold) ||
	       (json_array_size(r->malware) && threshold <= scan_severity_rank("critical"));
}

/* On a terminal, how far the read has come; cleared before the report. */
static void show_progress(void *ctx, const struct scan_progress *p)
{
	fprintf(stderr, "\r\033[K%s: %llu files, %llu MiB read", (const char *)ctx, (unsigned long long)p->files,
		(unsigned long long)(p->bytes >> 20));
}

static int open_malware_db(const char *path, struct scan_malware_engine **ret)
{
	struct cc_error err = { 0 };
	if (scan_malware_engine_load(path, ret, &err) < 0) {
		cli_error(PROGRAM, "%s", cc_error_message(&err));
		return -1;
	}
	return 0;
}

static int open_vulndb(const char *path, bool explicit_path, struct scan_vulndb **ret)
{
	*ret = NULL;
	if (!explicit_path && access(path, F_OK) != 0) {
		fprintf(stderr,
			"%s: warning: no vulnerability database at %s: packages are listed, not matched "
			"(import one with `cocoon scan db import`)\n",
			PROGRAM, path);
		return 0;
	}
	struct cc_error err = { 0 };
	if (scan_vulndb_open(path, false, ret, &err) < 0) {
		cli_error(PROGRAM, "%s", cc_error_message(&err));
		return -1;
	}
	return 0;
}

static int write_report(const struct scan_result *r, const char *format, const char *output)
{
	FILE *out = stdout;
	if (output && !(out = fopen(output, "we"))) {
		cli_error(PROGRAM, "cannot write `%s`: %m", output);
		return -1;
	}
	if (strcmp(format, "json") == 0) {
		json_t *doc = scan_report_json(r);
		json_dumpf(doc, out, JSON_INDENT(2) | JSON_SORT_KEYS);
		fputc('\n', out);
		json_decref(doc);
	} else {
		scan_report_table(out, r);
	}
	if (out != stdout && fclose(out) != 0) {
		cli_error(PROGRAM, "cannot write `%s`: %m", output);
		return -1;
	}
	return 0;
}

int cmd_scan_image(int argc, char **argv)
{
	static const struct option options[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "no-db", no_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "fail-on", required_argument, NULL, 'F' },
		{ "malware-db", required_argument, NULL, 'm' },
		{ "no-secrets", no_argument, NULL, 'S' },
		{ "no-config-checks", no_argument, NULL, 'C' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *db_path = getenv("COCOON_SCAN_DB"), *format = "table", *output = NULL;
	const char *malware_db = getenv("COCOON_MALWARE_DB");
	bool explicit_db = db_path && *db_path, no_db = false, secrets = true, config_checks = true, quiet = false;
	int fail_on = -1;
	const char *fail_on_name = NULL;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "f:o:qh", options, NULL)) != -1) {
		switch (c) {
		case 'd':
			db_path = optarg;
			explicit_db = true;
			break;
		case 'n': no_db = true; break;
		case 'm': malware_db = optarg; break;
		case 'S': secrets = false; break;
		case 'C': config_checks = false; break;
		case 'q': quiet = true; break;
		case 'f': format = optarg; break;
		case 'o': output = optarg; break;
		case 'F':
			fail_on_name = optarg;
			if ((fail_on = scan_severity_rank(optarg)) < 0) {
				cli_error(
				    PROGRAM,
				    "--fail-on takes critical, high, medium, low, negligible or unknown, not `%s`",
				    optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0) {
		cli_error(PROGRAM, "--format takes table or json, not `%s`", format);
		return CLI_EXIT_USAGE;
	}
	if (optind != argc - 1) {
		cli_error(PROGRAM, "give exactly one PATH to scan; see --help");
		return CLI_EXIT_USAGE;
	}
	struct scan_options opts;
	scan_options_default(&opts);
	opts.secrets = secrets;
	opts.config = config_checks;
	if (!no_db && open_vulndb(explicit_db ? db_path : DEFAULT_VULNDB, explicit_db, &opts.vulndb) < 0)
		return CLI_EXIT_FAILURE;
	struct scan_malware_engine *malware = NULL;
	if (malware_db && *malware_db && open_malware_db(malware_db, &malware) < 0) {
		if (opts.vulndb)
			scan_vulndb_close(opts.vulndb);
		return CLI_EXIT_FAILURE;
	}
	opts.malware = malware;
	bool progress = !quiet && isatty(STDERR_FILENO);
	if (progress) {
		opts.progress = show_progress;
		opts.progress_ctx = argv[optind];
	}
	struct scan_result result;
	struct cc_error err = { 0 };
	int r = scan_run_image(argv[optind], &opts, &result, &err);
	if (progress)
		fputs("\r\033[K", stderr);
	if (opts.vulndb)
		scan_vulndb_close(opts.vulndb);
	scan_malware_engine_free(malware);
	if (r < 0) {
		cli_error(PROGRAM, "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	int rc = write_report(&result, format, output) < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
	if (rc == CLI_EXIT_OK && fail_on >= 0 && reaches(&result, fail_on)) {
		fprintf(stderr, "%s: findings at or above --fail-on %s\n", PROGRAM, fail_on_name);
		rc = CLI_EXIT_FAILURE;
	}
	scan_result_clear(&result);
	return rc;
}
