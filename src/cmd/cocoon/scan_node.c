/* cocoon scan node [ROOT]: the host's own filesystem scanned as an image is (docs/scan.md), gently:
 * at low CPU and idle I/O priority and a read rate limit, so a scheduled scan does not compete
 * with the workloads; detections go to the audit stream. */
#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/event/emit.h"
#include "scan/malware.h"
#include "scan/node.h"
#include "scan/report.h"
#include "scan/report_formats.h"
#include "scan/scan.h"
#include "scan/vulndb.h"
#include "scan_common.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PROGRAM        "cocoon scan node"
#define DEFAULT_EVENTS "/var/lib/cocoon/scan/events.jsonl"
#define DEFAULT_RATE   64 /* MiB/s */
#define MAX_EXCLUDES   64

/* linux/ioprio.h (not in every libc's headers): the idle class gets the disk when nobody else wants it */
#define IOPRIO_CLASS_IDLE  3
#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_WHO_PROCESS 1

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: cocoon scan node [OPTIONS] [ROOT]\n\n"
		"Scans this host's filesystem from ROOT (default /) as `cocoon scan image` scans an image: the\n"
		"packages installed and their vulnerabilities, malware (with --malware-db), and secrets in\n"
		"world-readable files. Kernel and pseudo filesystems (/proc, /sys, cgroups, ...), container\n"
		"overlay mounts, and network and FUSE mounts are not entered. Runs at nice 10 and idle I/O\n"
		"priority with a read rate limit; every detection and a summary go to the audit stream.\n\n"
		"Options:\n"
		"  --db PATH             the vulnerability database (default $COCOON_SCAN_DB, else\n"
		"                        " SCAN_DEFAULT_VULNDB ")\n"
		"  --no-db               inventory only\n"
		"  --malware-db PATH     ClamAV signatures, a file or a directory (default $COCOON_MALWARE_DB)\n"
		"  --no-secrets          do not look for secrets\n"
		"  --exclude PATH        do not enter PATH (under ROOT; repeatable, up to %d)\n"
		"  --include-remote      also enter network (NFS, SMB, Ceph, 9p) and FUSE mounts\n"
		"  --rate MIB            read at most MIB MiB/s of file content (default %d; 0: no limit)\n"
		"  --no-nice             keep the caller's CPU and I/O priority\n"
		"  --event-log FILE      where the events go (default $COCOON_EVENT_LOG, else the audit\n"
		"                        forwarder at $COCOON_AUDIT_SOCKET, else " DEFAULT_EVENTS ")\n"
		"  -f, --format FORMAT   table (default), json, sarif, cyclonedx or spdx\n"
		"  -o, --output FILE     write the report there instead of standard output\n"
		"  --fail-on SEVERITY    exit 1 when something found is at least this severe\n"
		"  -q, --quiet           no progress line on a terminal\n"
		"  -h, --help            show this help\n\n"
		"Exit codes: 0 scanned (and nothing reached --fail-on), 1 something reached --fail-on, the scan\n"
		"failed or an event could not be recorded, 2 usage error.\n",
		MAX_EXCLUDES, DEFAULT_RATE);
}

struct node_args {
	const char *db_path, *malware_db, *format, *output, *event_log, *fail_on_name, *root;
	bool explicit_db, no_db, secrets, remote, nice, quiet;
	int fail_on;
	long rate_mib;
	const char *exclude[MAX_EXCLUDES + 1];
	size_t n_exclude;
};

static int parse_args(int argc, char **argv, struct node_args *a)
{
	static const struct option options[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "no-db", no_argument, NULL, 'n' },
		{ "malware-db", required_argument, NULL, 'm' },
		{ "no-secrets", no_argument, NULL, 'S' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "include-remote", no_argument, NULL, 'R' },
		{ "rate", required_argument, NULL, 'r' },
		{ "no-nice", no_argument, NULL, 'N' },
		{ "event-log", required_argument, NULL, 'e' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "fail-on", required_argument, NULL, 'F' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	optind = 1;
	int c;
	char *end;
	while ((c = getopt_long(argc, argv, "f:o:qh", options, NULL)) != -1) {
		switch (c) {
		case 'd':
			a->db_path = optarg;
			a->explicit_db = true;
			break;
		case 'n': a->no_db = true; break;
		case 'm': a->malware_db = optarg; break;
		case 'S': a->secrets = false; break;
		case 'x':
			if (a->n_exclude == MAX_EXCLUDES) {
				cli_error(PROGRAM, "at most %d --exclude", MAX_EXCLUDES);
				return CLI_EXIT_USAGE;
			}
			a->exclude[a->n_exclude++] = optarg;
			break;
		case 'R': a->remote = true; break;
		case 'r':
			errno = 0;
			a->rate_mib = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || a->rate_mib < 0 || a->rate_mib > 1 << 20) {
				cli_error(PROGRAM, "--rate takes MiB per second (0 for no limit), not `%s`", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'N': a->nice = false; break;
		case 'e': a->event_log = optarg; break;
		case 'f': a->format = optarg; break;
		case 'o': a->output = optarg; break;
		case 'F':
			a->fail_on_name = optarg;
			if ((a->fail_on = scan_severity_rank(optarg)) < 0) {
				cli_error(
				    PROGRAM,
				    "--fail-on takes critical, high, medium, low, negligible or unknown, not `%s`",
				    optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'q': a->quiet = true; break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (strcmp(a->format, "table") != 0 && strcmp(a->format, "json") != 0 && !scan_report_format_find(a->format)) {
		cli_error(PROGRAM, "--format takes table, json, sarif, cyclonedx or spdx, not `%s`", a->format);
		return CLI_EXIT_USAGE;
	}
	if (argc - optind > 1) {
		cli_error(PROGRAM, "give at most one ROOT to scan; see --help");
		return CLI_EXIT_USAGE;
	}
	if (optind < argc)
		a->root = argv[optind];
	return -1;
}

/* nice 10 and the idle I/O class: a scheduled scan yields to everything else on the host. */
static void lower_priority(void)
{
	if (setpriority(PRIO_PROCESS, 0, 10) < 0)
		fprintf(stderr, "%s: warning: cannot lower the CPU priority: %m\n", PROGRAM);
	if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_CLASS_IDLE << IOPRIO_CLASS_SHIFT) < 0)
		fprintf(stderr, "%s: warning: cannot lower the I/O priority: %m\n", PROGRAM);
}

static int open_events(const char *event_log)
{
	struct cc_error err = { 0 };
	int r;
	if (event_log && *event_log) {
		r = cc_event_sink_open_file(event_log, &err);
	} else {
		_cleanup_free_ char *dir = cc_xstrdup(DEFAULT_EVENTS);
		if (!getenv("COCOON_AUDIT_SOCKET") && cc_mkdir_p(dirname(dir), 0700, &err) < 0) {
			cli_error(PROGRAM, "%s", cc_error_message(&err));
			return -1;
		}
		r = cc_event_sink_open_default(DEFAULT_EVENTS, &err);
	}
	if (r < 0)
		cli_error(PROGRAM, "events: %s", cc_error_message(&err));
	return r;
}

static int run(struct node_args *a, struct scan_options *opts)
{
	char host[256] = "localhost";
	gethostname(host, sizeof(host) - 1);
	struct scan_node_options node = { .exclude = a->exclude, .n_exclude = a->n_exclude, .remote = a->remote };
	bool progress = !a->quiet && isatty(STDERR_FILENO);
	if (progress) {
		opts->progress = scan_cli_show_progress;
		opts->progress_ctx = (void *)a->root;
	}
	struct scan_result result;
	struct cc_error err = { 0 };
	int r = scan_run_node(a->root, &node, opts, &result, &err);
	if (progress)
		fputs("\r\033[K", stderr);
	if (r < 0) {
		cli_error(PROGRAM, "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	int rc = CLI_EXIT_OK;
	if (scan_node_emit_events(&result, host, &err) < 0) {
		cli_error(PROGRAM, "%s", cc_error_message(&err));
		rc = CLI_EXIT_FAILURE;
	}
	if (scan_cli_write_report(PROGRAM, &result, a->format, a->output) < 0)
		rc = CLI_EXIT_FAILURE;
	if (rc == CLI_EXIT_OK && a->fail_on >= 0 && scan_cli_reaches(&result, a->fail_on)) {
		fprintf(stderr, "%s: findings at or above --fail-on %s\n", PROGRAM, a->fail_on_name);
		rc = CLI_EXIT_FAILURE;
	}
	scan_result_clear(&result);
	return rc;
}

int cmd_scan_node(int argc, char **argv)
{
	struct node_args a = { .db_path = getenv("COCOON_SCAN_DB"),
			       .malware_db = getenv("COCOON_MALWARE_DB"),
			       .event_log = getenv("COCOON_EVENT_LOG"),
			       .format = "table",
			       .root = "/",
			       .secrets = true,
			       .nice = true,
			       .fail_on = -1,
			       .rate_mib = DEFAULT_RATE };
	a.explicit_db = a.db_path && *a.db_path;
	int rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	if (a.nice)
		lower_priority();
	if (open_events(a.event_log) < 0)
		return CLI_EXIT_FAILURE;
	struct scan_options opts;
	scan_options_default(&opts);
	opts.secrets = a.secrets;
	opts.config = false; /* a host has no image config */
	opts.max_read_rate = (uint64_t)a.rate_mib << 20;
	/* a host holds more than an image: its entry count is bounded by its own filesystems */
	opts.limits.max_entries = UINT64_MAX;
	opts.limits.max_layer_size = UINT64_MAX;
	if (!a.no_db && scan_cli_open_vulndb(PROGRAM, a.explicit_db ? a.db_path : SCAN_DEFAULT_VULNDB, a.explicit_db,
					     &opts.vulndb) < 0)
		return CLI_EXIT_FAILURE;
	struct scan_malware_engine *malware = NULL;
	if (a.malware_db && *a.malware_db && scan_cli_open_malware_db(PROGRAM, a.malware_db, &malware) < 0)
		rc = CLI_EXIT_FAILURE;
	opts.malware = malware;
	if (rc != CLI_EXIT_FAILURE)
		rc = run(&a, &opts);
	if (opts.vulndb)
		scan_vulndb_close(opts.vulndb);
	scan_malware_engine_free(malware);
	cc_event_sink_close();
	return rc;
}
