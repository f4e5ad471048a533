/* cocoon scan db import|status: fills the vulnerability database from distributions' feeds and
 * says what it holds and whether it is stale (docs/scan.md, "Vulnerability data"). The work is in
 * src/scan/vulndb.c; this file parses arguments and prints. */
#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"
#include "scan/vulndb.h"
#include "tabwriter.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_VULNDB       "/var/lib/cocoon/scan/vulndb.sqlite"
#define DEFAULT_MAX_AGE_DAYS 7
#define MAX_AGE_DAYS_LIMIT   36500

static const char *default_db(void)
{
	const char *env = getenv("COCOON_SCAN_DB");
	return env && *env ? env : DEFAULT_VULNDB;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: cocoon scan db COMMAND [OPTIONS]\n\n"
		     "The vulnerability database `cocoon scan image` matches packages against.\n\n"
		     "Commands:\n"
		     "  import   import feed files (Debian security tracker, Alpine secdb, OSV)\n"
		     "  status   what is imported, from which files, and whether it is stale\n\n"
		     "Run 'cocoon scan db COMMAND --help' for a command's options.\n");
}

static void usage_import(FILE *out)
{
	fprintf(out, "Usage: cocoon scan db import --format FORMAT [--db PATH] [--json] FILE...\n\n"
		     "Imports each FILE into the database, each in one transaction: an earlier import of a file\n"
		     "of the same format and name (and, for Alpine and OSV, the same branch or ecosystems) is\n"
		     "replaced, and a malformed file changes nothing.\n\n"
		     "Formats:\n"
		     "  debian-tracker   the Debian security tracker's JSON\n"
		     "                   (https://security-tracker.debian.org/tracker/data/json)\n"
		     "  alpine-secdb     Alpine's secdb, JSON or YAML (https://secdb.alpinelinux.org/v3.20/main.json)\n"
		     "  osv              OSV records: a .json file, a directory of them, or a .zip\n"
		     "                   (https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip)\n\n"
		     "Options:\n"
		     "  -f, --format FORMAT   the feed format of every FILE (required)\n"
		     "  --db PATH             the database, created when missing (default $COCOON_SCAN_DB, else\n"
		     "                        " DEFAULT_VULNDB ")\n"
		     "  --json                print what was imported as JSON\n"
		     "  -h, --help            show this help\n\n"
		     "Exit codes: 0 every file imported, 1 a file failed (the others are still imported), 2 usage.\n");
}

static void usage_status(FILE *out)
{
	fprintf(out,
		"Usage: cocoon scan db status [--db PATH] [--json] [--max-age DAYS]\n\n"
		"Lists the imported files (format, name, scope, time, sha256, counts) and the advisories per\n"
		"distribution release. Warns on standard error (and says \"stale\": true in JSON) when the\n"
		"newest import is DAYS or more days old, or nothing is imported; the exit code stays 0.\n\n"
		"Options:\n"
		"  --db PATH             the database (default $COCOON_SCAN_DB, else " DEFAULT_VULNDB ")\n"
		"  --json                print the status as JSON\n"
		"  --max-age DAYS        how old the newest import may be (default %d; 0: always warn)\n"
		"  -h, --help            show this help\n",
		DEFAULT_MAX_AGE_DAYS);
}

static void print_json(json_t *doc)
{
	char *text = json_dumps(doc, JSON_INDENT(2));
	printf("%s\n", text ? text : "null");
	free(text);
}

static int import_one(struct scan_vulndb *db, enum scan_feed_format format, const char *path, bool json, json_t *files)
{
	struct scan_import_stats stats = { 0 };
	struct cc_error err = { 0 };
	if (scan_vulndb_import(db, format, path, &stats, &err) < 0) {
		cli_error("cocoon scan db import", "%s", cc_error_message(&err));
		json_array_append_new(files, json_pack("{s:s, s:s, s:s}", "file", path, "format",
						       scan_feed_format_name(format), "error", cc_error_message(&err)));
		return -1;
	}
	if (!json)
		printf("%s (%s): %" PRIu64 " %s, %" PRIu64 " %s, %" PRIu64 " skipped\n", path,
		       scan_feed_format_name(format), stats.vulnerabilities,
		       stats.vulnerabilities == 1 ? "vulnerability" : "vulnerabilities", stats.advisories,
		       stats.advisories == 1 ? "advisory" : "advisories", stats.skipped);
	json_array_append_new(files, json_pack("{s:s, s:s, s:I, s:I, s:I}", "file", path, "format",
					       scan_feed_format_name(format), "vulnerabilities",
					       (json_int_t)stats.vulnerabilities, "advisories",
					       (json_int_t)stats.advisories, "skipped", (json_int_t)stats.skipped));
	return 0;
}

static int db_import(int argc, char **argv)
{
	static const struct option options[] = { { "format", required_argument, NULL, 'f' },
						 { "db", required_argument, NULL, 'd' },
						 { "json", no_argument, NULL, 'j' },
						 { "help", no_argument, NULL, 'h' },
						 { 0 } };
	const char *format_name = NULL, *path = default_db();
	bool json = false;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "f:h", options, NULL)) != -1) {
		switch (c) {
		case 'f': format_name = optarg; break;
		case 'd': path = optarg; break;
		case 'j': json = true; break;
		case 'h': usage_import(stdout); return CLI_EXIT_OK;
		default: usage_import(stderr); return CLI_EXIT_USAGE;
		}
	}
	enum scan_feed_format format;
	if (!format_name) {
		cli_error("cocoon scan db import", "give the feeds' --format (debian-tracker, alpine-secdb or osv)");
		return CLI_EXIT_USAGE;
	}
	if (scan_feed_format_parse(format_name, &format) < 0) {
		cli_error("cocoon scan db import", "unknown --format `%s`: use debian-tracker, alpine-secdb or osv",
			  format_name);
		return CLI_EXIT_USAGE;
	}
	if (optind == argc) {
		cli_error("cocoon scan db import", "give at least one FILE to import");
		return CLI_EXIT_USAGE;
	}
	struct cc_error err = { 0 };
	_cleanup_(scan_vulndb_closep) struct scan_vulndb *db = NULL;
	if (scan_vulndb_open(path, true, &db, &err) < 0) {
		cli_error("cocoon scan db import", "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	_cleanup_json_ json_t *files = json_array();
	bool failed = false;
	for (int i = optind; i < argc; i++)
		if (import_one(db, format, argv[i], json, files) < 0)
			failed = true;
	if (json) {
		_cleanup_json_ json_t *doc = json_pack("{s:s, s:O}", "database", path, "files", files);
		print_json(doc);
	}
	return failed ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

/* "3 days", "5 hours", "12 minutes": how an age reads in a warning. */
static void format_age(int64_t seconds, char *out, size_t size)
{
	if (seconds >= 2 * 86400)
		snprintf(out, size, "%" PRId64 " days", seconds / 86400);
	else if (seconds >= 2 * 3600)
		snprintf(out, size, "%" PRId64 " hours", seconds / 3600);
	else
		snprintf(out, size, "%" PRId64 " minutes", seconds / 60);
}

static void print_status_table(const char *path, json_t *status, const char *age)
{
	struct tabwriter w = { CC_BUF_INIT };
	const char *newest = json_string_value(json_object_get(status, "newest_import"));
	tabwriter_printf(&w, 0, "Database:\t%s\n", path);
	if (newest)
		tabwriter_printf(&w, 0, "Newest import:\t%s (%s ago)\n", newest, age);
	else
		tabwriter_printf(&w, 0, "Newest import:\tnone\n");
	tabwriter_flush(&w, stdout);
	size_t i;
	json_t *s;
	printf("\n");
	tabwriter_printf(&w, 0, "FORMAT\tFILE\tSCOPE\tIMPORTED\tVULNERABILITIES\tADVISORIES\tSKIPPED\tSHA256\n");
	json_array_foreach (json_object_get(status, "sources"), i, s) {
		const char *scope = json_string_value(json_object_get(s, "scope"));
		tabwriter_printf(
		    &w, 0,
		    "%s\t%s\t%s\t%s\t%" JSON_INTEGER_FORMAT "\t%" JSON_INTEGER_FORMAT "\t%" JSON_INTEGER_FORMAT
		    "\t%.12s\n",
		    json_string_value(json_object_get(s, "format")), json_string_value(json_object_get(s, "file")),
		    scope && *scope ? scope : "-", json_string_value(json_object_get(s, "imported")),
		    json_integer_value(json_object_get(s, "vulnerabilities")),
		    json_integer_value(json_object_get(s, "advisories")),
		    json_integer_value(json_object_get(s, "skipped")), json_string_value(json_object_get(s, "sha256")));
	}
	tabwriter_flush(&w, stdout);
	printf("\n");
	tabwriter_printf(&w, 0, "DISTRO\tRELEASE\tADVISORIES\n");
	json_array_foreach (json_object_get(status, "distributions"), i, s)
		tabwriter_printf(&w, 0, "%s\t%s\t%" JSON_INTEGER_FORMAT "\n",
				 json_string_value(json_object_get(s, "distro")),
				 json_string_value(json_object_get(s, "release")),
				 json_integer_value(json_object_get(s, "advisories")));
	tabwriter_flush(&w, stdout);
	tabwriter_free(&w);
}

static int parse_days(const char *text, long *ret)
{
	char *end = NULL;
	errno = 0;
	long days = strtol(text, &end, 10);
	if (errno || end == text || *end || days < 0 || days > MAX_AGE_DAYS_LIMIT)
		return -EINVAL;
	*ret = days;
	return 0;
}

static int db_status(int argc, char **argv)
{
	static const struct option options[] = { { "db", required_argument, NULL, 'd' },
						 { "json", no_argument, NULL, 'j' },
						 { "max-age", required_argument, NULL, 'm' },
						 { "help", no_argument, NULL, 'h' },
						 { 0 } };
	const char *path = default_db();
	bool json = false;
	long max_age = DEFAULT_MAX_AGE_DAYS;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'd': path = optarg; break;
		case 'j': json = true; break;
		case 'm':
			if (parse_days(optarg, &max_age) < 0) {
				cli_error("cocoon scan db status", "--max-age wants whole days from 0 to %d, not `%s`",
					  MAX_AGE_DAYS_LIMIT, optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'h': usage_status(stdout); return CLI_EXIT_OK;
		default: usage_status(stderr); return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		cli_error("cocoon scan db status", "unexpected argument `%s`", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	struct cc_error err = { 0 };
	_cleanup_(scan_vulndb_closep) struct scan_vulndb *db = NULL;
	_cleanup_json_ json_t *status = NULL;
	if (scan_vulndb_open(path, false, &db, &err) < 0 || scan_vulndb_status(db, &status, &err) < 0) {
		cli_error("cocoon scan db status", "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	/* Stale: nothing imported, or the newest import is max_age days old or more (0: always). */
	const char *newest = json_string_value(json_object_get(status, "newest_import"));
	int64_t newest_ns = 0, age = 0;
	bool known = newest && cc_time_parse_rfc3339(newest, &newest_ns) == 0;
	if (known)
		age = (cc_time_now_ns() - newest_ns) / 1000000000;
	if (age < 0)
		age = 0; /* imported by a host whose clock runs ahead */
	bool stale = !known || age >= (int64_t)max_age * 86400;
	char age_text[64];
	format_age(age, age_text, sizeof(age_text));
	if (stale && !known)
		fprintf(stderr,
			"cocoon scan db status: warning: `%s` holds no feed: import one with `cocoon scan db import`\n",
			path);
	else if (stale)
		fprintf(stderr,
			"cocoon scan db status: warning: the newest import is %s old (--max-age %ld days): scans miss "
			"what was published since; import fresh feeds with `cocoon scan db import`\n",
			age_text, max_age);
	if (json) {
		json_object_set_new(status, "database", json_string(path));
		json_object_set_new(status, "max_age_days", json_integer(max_age));
		json_object_set_new(status, "age_seconds", known ? json_integer(age) : json_null());
		json_object_set_new(status, "stale", json_boolean(stale));
		print_json(status);
	} else {
		print_status_table(path, status, age_text);
	}
	return CLI_EXIT_OK;
}

int cmd_scan_db(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	const char *command = argv[1];
	if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0 || strcmp(command, "help") == 0) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(command, "import") == 0)
		return db_import(argc - 1, argv + 1);
	if (strcmp(command, "status") == 0)
		return db_status(argc - 1, argv + 1);
	cli_error("cocoon scan db", "unknown command `%s`; run 'cocoon scan db --help' for the list", command);
	return CLI_EXIT_USAGE;
}
