/* cocoon scan node [ROOT]: the host's own filesystem scanned as an image is (docs/scan.md), gently:
 * at low CPU and idle I/O priority and a read rate limit, so a scheduled scan does not compete
 * with the workloads; detections go to the audit stream. */
#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/thread.h"
#include "lib/event/emit.h"
#include "scan/node.h"
#include "scan/scan.h"
#include "scan_common.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROGRAM        "cocoon scan node"
#define DEFAULT_EVENTS "/var/lib/cocoon/scan/events.jsonl"
#define DEFAULT_RATE   64 /* MiB/s */
#define MAX_EXCLUDES   64

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
	struct scan_cli_args common;
	const char *event_log, *root;
	bool remote, nice;
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
		int taken = scan_cli_args_take(PROGRAM, &a->common, c, optarg);
		if (taken < 0)
			return CLI_EXIT_USAGE;
		if (taken)
			continue;
		switch (c) {
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
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (scan_cli_args_check(PROGRAM, &a->common) < 0)
		return CLI_EXIT_USAGE;
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
	int r = cc_thread_lower_priority();
	if (r < 0)
		fprintf(stderr, "%s: warning: cannot lower the CPU or I/O priority: %s\n", PROGRAM, strerror(-r));
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

static int run(struct node_args *a)
{
	struct scan_options opts;
	scan_options_default(&opts);
	opts.config = false; /* a host has no image config */
	opts.max_read_rate = (uint64_t)a->rate_mib << 20;
	/* a host holds more than an image: its entry count is bounded by its own filesystems */
	opts.limits.max_entries = UINT64_MAX;
	opts.limits.max_layer_size = UINT64_MAX;
	struct scan_malware_engine *malware;
	if (scan_cli_open(PROGRAM, &a->common, a->root, &opts, &malware) < 0)
		return CLI_EXIT_FAILURE;
	struct scan_node_options node = { .exclude = a->exclude, .n_exclude = a->n_exclude, .remote = a->remote };
	struct scan_result result;
	struct cc_error err = { 0 };
	int r = scan_run_node(a->root, &node, &opts, &result, &err);
	scan_cli_close(&opts, malware);
	if (r < 0) {
		cli_error(PROGRAM, "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	char host[256] = "localhost";
	gethostname(host, sizeof(host) - 1);
	bool recorded = scan_node_emit_events(&result, host, &err) == 0;
	if (!recorded)
		cli_error(PROGRAM, "%s", cc_error_message(&err));
	int rc = scan_cli_finish(PROGRAM, &a->common, &result, NULL);
	scan_result_clear(&result);
	return recorded ? rc : CLI_EXIT_FAILURE;
}

int cmd_scan_node(int argc, char **argv)
{
	struct node_args a = {
		.event_log = getenv("COCOON_EVENT_LOG"), .root = "/", .nice = true, .rate_mib = DEFAULT_RATE
	};
	scan_cli_args_init(&a.common);
	int rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	if (a.nice)
		lower_priority();
	if (open_events(a.event_log) < 0)
		return CLI_EXIT_FAILURE;
	rc = run(&a);
	cc_event_sink_close();
	return rc;
}
