/* cocoon scale plan FILE|-: one planner decision on a cluster state (src/scale/plan.h), as text or
 * JSON. The planner's time is reported apart from reading the JSON, since the one is what a
 * provider pays on every loop and the other depends on how the state is fetched. */
#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"
#include "scale/cluster.h"
#include "scale/plan.h"
#include "scale/report.h"
#include "scale_kube.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROGRAM "cocoon scale plan"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: cocoon scale plan [--format text|json] [--timing] FILE|-\n"
		"       cocoon scale plan --cluster [--format text|json] [--timing] [OPTIONS]\n\n"
		"Reads a cluster state (JSON, docs/scale.md \"Input\"; `-` for standard input) and prints the\n"
		"decision: scale up by k blocks, scale down one named block with its drain plan (each pod and\n"
		"the node it goes to, in order), or no change; always with the reason, what stays pending and\n"
		"why, each block's verdict, and the timers to give back as history next time.\n"
		"With --cluster the state is read from a Kubernetes API server instead (cocoond by default),\n"
		"as `cocoon scale state` prints it.\n\n"
		"Options:\n"
		"  -f, --format FORMAT     text (default) or json\n"
		"  --timing                print the time spent reading and deciding to standard error\n"
		"  --cluster               read the state from the API server; then also:\n" SCALE_KUBE_USAGE
		    KUBE_CONNECTION_USAGE "  -h, --help              show this help\n\n"
		"Exit codes: 0 a decision was made (any decision); 1 the file or server could not be read; 2 usage\n"
		"error or a cluster state that is not valid (the message names the object and the field).\n");
}

static double elapsed_ms(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static int read_input(const char *path, char **ret_data, size_t *ret_len, struct cc_error *err)
{
	if (strcmp(path, "-") == 0)
		return cc_read_fd(STDIN_FILENO, "standard input", SCALE_CLUSTER_MAX_SIZE, ret_data, ret_len, err);
	return cc_read_file(path, SCALE_CLUSTER_MAX_SIZE, ret_data, ret_len, err);
}

static int print_plan(const struct scale_cluster *cluster, const struct scale_plan *plan, bool json)
{
	if (json) {
		_cleanup_json_ json_t *doc = scale_plan_json(cluster, plan);
		_cleanup_free_ char *text = json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(4));
		printf("%s\n", text ? text : "null");
	} else {
		scale_plan_text(stdout, cluster, plan);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error(PROGRAM, "write standard output: %s", strerror(errno));
		return CLI_EXIT_FAILURE;
	}
	return CLI_EXIT_OK;
}

/* The state as JSON, from FILE or the API server; the CLI exit code on failure, -1 when read. */
static int load_state(const char *path, struct kube *k, const struct scale_kube_options *o, json_t **ret)
{
	struct cc_error err = { 0 };
	if (!path)
		return scale_state_fetch(k, o, stderr, ret) < 0 ? CLI_EXIT_FAILURE : -1;
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	if (read_input(path, &data, &len, &err) < 0) {
		cli_error(PROGRAM, "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	if (cc_json_parse(data, len, SCALE_CLUSTER_MAX_SIZE, strcmp(path, "-") == 0 ? "standard input" : path, ret,
			  &err) < 0) {
		cli_error(PROGRAM, "%s: %s", path, cc_error_message(&err));
		return CLI_EXIT_USAGE;
	}
	return -1;
}

static int plan_state(const char *what, json_t *doc, bool json, bool timing, const struct timespec *t0)
{
	struct cc_error err = { 0 };
	_cleanup_(scale_cluster_freep) struct scale_cluster *cluster = NULL;
	if (scale_cluster_from_json(doc, &cluster, &err) < 0) {
		cli_error(PROGRAM, "%s: %s", what, cc_error_message(&err));
		return CLI_EXIT_USAGE;
	}
	struct timespec t1, t2;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	struct scale_plan plan;
	if (scale_plan_make(cluster, &plan, &err) < 0) {
		cli_error(PROGRAM, "%s: %s", what, cc_error_message(&err));
		return CLI_EXIT_USAGE;
	}
	clock_gettime(CLOCK_MONOTONIC, &t2);
	if (timing)
		fprintf(stderr, "%s: %zu nodes, %zu pods: read and parse %.1f ms, decide %.1f ms\n", PROGRAM,
			cluster->n_nodes, cluster->n_pods, elapsed_ms(t0, &t1), elapsed_ms(&t1, &t2));
	int r = print_plan(cluster, &plan, json);
	scale_plan_release(&plan);
	return r;
}

static int plan(const char *path, struct kube *k, const struct scale_kube_options *o, bool json, bool timing)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* The JSON tree is freed only at the end: freeing 150,000 pods' objects leaves the allocator a
	 * consolidation to do on the next large allocation, which would otherwise be billed to the plan. */
	_cleanup_json_ json_t *doc = NULL;
	int rc = load_state(path, k, o, &doc);
	return rc >= 0 ? rc : plan_state(path ? path : k->server, doc, json, timing, &t0);
}

int cmd_scale_plan(int argc, char **argv)
{
	enum { OPT_TIMING = 0x200, OPT_CLUSTER };
	static const struct option verb_options[] = { { "format", required_argument, NULL, 'f' },
						      { "timing", no_argument, NULL, OPT_TIMING },
						      { "cluster", no_argument, NULL, OPT_CLUSTER },
						      { "help", no_argument, NULL, 'h' },
						      { 0 } };
	_cleanup_free_ struct option *options = scale_kube_all_options(verb_options);
	const char *format = "text";
	bool timing = false, cluster = false, remote_options = false;
	struct scale_kube_options o;
	scale_kube_options_init(&o);
	struct kube k;
	kube_init(&k, PROGRAM);
	int rc = CLI_EXIT_OK, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:h", options, NULL)) != -1) {
		int taken = scale_kube_option(PROGRAM, &k, c, optarg, &o);
		if (taken < 0) {
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		if (taken) {
			remote_options = true;
			continue;
		}
		switch (c) {
		case 'f': format = optarg; break;
		case OPT_TIMING: timing = true; break;
		case OPT_CLUSTER: cluster = true; break;
		case 'h': usage(stdout); goto out;
		default:
			usage(stderr);
			rc = CLI_EXIT_USAGE;
			goto out;
		}
	}
	if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0) {
		cli_error(PROGRAM, "unknown --format `%s`: use text or json", format);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (cluster ? argc != optind : argc - optind != 1) {
		cli_error(PROGRAM,
			  cluster ? "--cluster reads the state from the API server: give no FILE"
				  : "give one cluster state FILE, or `-` for standard input, or --cluster; see --help");
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (!cluster && remote_options) {
		cli_error(PROGRAM, "the server and SKU options go with --cluster; a FILE carries its own");
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (cluster)
		kube_connect(&k);
	rc = plan(cluster ? NULL : argv[optind], &k, &o, strcmp(format, "json") == 0, timing);
out:
	kube_clear(&k);
	scale_kube_options_clear(&o);
	return rc;
}
