/* cocoon scale simulate --trace FILE: replays a pod trace against SKU blocks, a node-by-node
 * autoscaler and static capacity for the peak (src/scale/simulate.h), and prints what each cost and
 * how long pods waited; --plot draws nodes over time as SVG. */
#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "scale/plot.h"
#include "scale/quantity.h"
#include "scale/simulate.h"
#include "scale/trace.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROGRAM "cocoon scale simulate"

static void usage(FILE *out)
{
	fprintf(out, "Usage: cocoon scale simulate --trace FILE [OPTIONS]\n\n"
		     "Replays a pod trace (CSV with the columns name, cpu_milli, memory_mib, creation_time and\n"
		     "deletion_time, in any order; other columns are ignored) against three policies: SKU blocks\n"
		     "driven by the planner of `cocoon scale plan`, a node-by-node autoscaler, and static capacity\n"
		     "for the peak. Prints node-hours, pending times, utilization, scale events and flaps of each.\n\n"
		     "Options:\n"
		     "  --trace FILE             the trace (`-`: standard input)\n"
		     "  --nodes-per-block N      nodes in a block (default 15)\n"
		     "  --node-cpu Q             a node's cpu (default 4000m)\n"
		     "  --node-memory Q          a node's memory (default 8Gi)\n"
		     "  --reserve-cpu Q, --reserve-memory Q   kept for the system on each node (default 0)\n"
		     "  --provision-delay S      seconds from a scale-up to ready nodes (default 120)\n"
		     "  --min-blocks N, --max-blocks N        limits (default 0 and 1000)\n"
		     "  --interval S             seconds between planner runs (default 10)\n"
		     "  --target-utilization F   scale-down candidates are under it (default 0.5)\n"
		     "  --unneeded-time S        how long under the target before removal (default 600)\n"
		     "  --flap-window S          a scale-up this soon after a scale-down is a flap (default 1800)\n"
		     "  -f, --format FORMAT      text (default) or json\n"
		     "  --plot FILE.svg          draw nodes over time for the three policies and the demand\n"
		     "  -h, --help               show this help\n\n"
		     "Exit codes: 0 done; 1 the trace or the plot could not be read or written; 2 usage error or a\n"
		     "trace that is not valid.\n");
}

static json_t *result_json(const struct scale_sim_result *r, bool blocks)
{
	json_t *o = json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:I, s:I}", "node_hours", r->node_hours,
			      "pending_p50_s", r->pending_p50, "pending_p95_s", r->pending_p95, "pending_max_s",
			      r->pending_max, "utilization_mean", r->utilization_mean, "utilization_p5",
			      r->utilization_p5, "scale_ups", (json_int_t)r->scale_ups, "scale_downs",
			      (json_int_t)r->scale_downs, "flaps", (json_int_t)r->flaps, "max_nodes",
			      (json_int_t)r->max_nodes, "planner_runs", (json_int_t)r->plans);
	if (blocks)
		json_object_set_new(o, "block_hours", json_real(r->block_hours));
	return o;
}

static json_t *report_json(const struct scale_sim_report *rep, const struct scale_sim_options *o)
{
	char cpu[32], memory[32];
	scale_format_cpu(o->sku.node.cpu_milli, cpu, sizeof(cpu));
	scale_format_memory(o->sku.node.memory, memory, sizeof(memory));
	return json_pack("{s:{s:I, s:s, s:s}, s:I, s:I, s:{s:o, s:o, s:o}}", "sku", "nodes_per_block",
			 (json_int_t)o->sku.nodes_per_block, "node_cpu", cpu, "node_memory", memory, "pods",
			 (json_int_t)rep->pods, "unschedulable", (json_int_t)rep->unschedulable, "policies", "blocks",
			 result_json(&rep->blocks, true), "node_by_node", result_json(&rep->node_by_node, false),
			 "static_peak", result_json(&rep->static_peak, true));
}

static void print_text(const struct scale_sim_report *rep, const struct scale_sim_options *o)
{
	printf("Trace: %zu pods over %.1f h (%zu unschedulable: larger than a node)\n", rep->pods,
	       (double)(rep->end - rep->start) / 3600.0, rep->unschedulable);
	printf("Blocks of %" PRId64 " nodes, provisioning delay %" PRId64 " s\n\n", o->sku.nodes_per_block,
	       o->provision_delay);
	printf("%-14s %10s %10s %8s %8s %8s %6s %6s %6s %6s %6s\n", "POLICY", "NODE-H", "BLOCK-H", "P50(s)", "P95(s)",
	       "MAX(s)", "UTIL", "UTILp5", "UPS", "DOWNS", "FLAPS");
	const struct scale_sim_result *r[] = { &rep->blocks, &rep->node_by_node, &rep->static_peak };
	const char *names[] = { "blocks", "node_by_node", "static_peak" };
	for (int i = 0; i < 3; i++)
		printf("%-14s %10.1f %10.1f %8.0f %8.0f %8.0f %6.2f %6.2f %6zu %6zu %6zu\n", names[i], r[i]->node_hours,
		       r[i]->node_hours / (double)o->sku.nodes_per_block, r[i]->pending_p50, r[i]->pending_p95,
		       r[i]->pending_max, r[i]->utilization_mean, r[i]->utilization_p5, r[i]->scale_ups,
		       r[i]->scale_downs, r[i]->flaps);
	printf("\nMost nodes: blocks %" PRId64 ", node by node %" PRId64 ", static %" PRId64 "\n",
	       rep->blocks.max_nodes, rep->node_by_node.max_nodes, rep->static_peak.max_nodes);
}

static void show_progress(void *ctx, const char *policy, double done)
{
	fprintf(stderr, "\r%s: %-12s %3.0f%%", PROGRAM, policy, done * 100);
}

static int write_plot(const char *path, const struct scale_sim_report *rep)
{
	struct cc_error err = { 0 };
	_cleanup_fclose_ FILE *f = fopen(path, "w");
	if (!f) {
		cli_error(PROGRAM, "open `%s`: %s", path, strerror(errno));
		return CLI_EXIT_FAILURE;
	}
	if (scale_plot_svg(f, rep, &err) < 0) {
		cli_error(PROGRAM, "%s: %s", path, cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	return CLI_EXIT_OK;
}

struct sim_args {
	const char *trace, *format, *plot;
	struct scale_sim_options options;
};

enum {
	OPT_TRACE = 256,
	OPT_NPB,
	OPT_CPU,
	OPT_MEMORY,
	OPT_RESERVE_CPU,
	OPT_RESERVE_MEMORY,
	OPT_DELAY,
	OPT_MIN,
	OPT_MAX,
	OPT_INTERVAL,
	OPT_TARGET,
	OPT_UNNEEDED,
	OPT_FLAP,
	OPT_PLOT,
};

static int parse_option(int c, struct sim_args *a)
{
	struct scale_sim_options *o = &a->options;
	struct cc_error err = { 0 };
	bool ok = true;
	char *end = NULL;
	switch (c) {
	case OPT_TRACE: a->trace = optarg; break;
	case 'f': a->format = optarg; break;
	case OPT_PLOT: a->plot = optarg; break;
	case OPT_NPB: ok = cli_parse_int64(optarg, 1, 1000, &o->sku.nodes_per_block); break;
	case OPT_CPU: ok = scale_parse_cpu(optarg, &o->sku.node.cpu_milli, &err) == 0; break;
	case OPT_MEMORY: ok = scale_parse_memory(optarg, &o->sku.node.memory, &err) == 0; break;
	case OPT_RESERVE_CPU: ok = scale_parse_cpu(optarg, &o->sku.reserve.cpu_milli, &err) == 0; break;
	case OPT_RESERVE_MEMORY: ok = scale_parse_memory(optarg, &o->sku.reserve.memory, &err) == 0; break;
	case OPT_DELAY: ok = cli_parse_int64(optarg, 0, 86400 * 7, &o->provision_delay); break;
	case OPT_MIN: ok = cli_parse_int64(optarg, 0, 100000, &o->min_blocks); break;
	case OPT_MAX: ok = cli_parse_int64(optarg, 0, 100000, &o->max_blocks); break;
	case OPT_INTERVAL: ok = cli_parse_int64(optarg, 1, 86400, &o->interval); break;
	case OPT_UNNEEDED: ok = cli_parse_int64(optarg, 0, 86400 * 30, &o->policy.unneeded_time); break;
	case OPT_FLAP: ok = cli_parse_int64(optarg, 0, 86400 * 30, &o->flap_window); break;
	case OPT_TARGET:
		o->policy.target_utilization = strtod(optarg, &end);
		ok = end != optarg && !*end && o->policy.target_utilization > 0 && o->policy.target_utilization <= 1;
		break;
	default: return CLI_EXIT_USAGE;
	}
	if (!ok) {
		cli_error(PROGRAM, "invalid value `%s` for an option%s%s; see --help", optarg, err.code ? ": " : "",
			  err.code ? cc_error_message(&err) : "");
		return CLI_EXIT_USAGE;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct sim_args *a)
{
	static const struct option options[] = {
		{ "trace", required_argument, NULL, OPT_TRACE },
		{ "nodes-per-block", required_argument, NULL, OPT_NPB },
		{ "node-cpu", required_argument, NULL, OPT_CPU },
		{ "node-memory", required_argument, NULL, OPT_MEMORY },
		{ "reserve-cpu", required_argument, NULL, OPT_RESERVE_CPU },
		{ "reserve-memory", required_argument, NULL, OPT_RESERVE_MEMORY },
		{ "provision-delay", required_argument, NULL, OPT_DELAY },
		{ "min-blocks", required_argument, NULL, OPT_MIN },
		{ "max-blocks", required_argument, NULL, OPT_MAX },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "target-utilization", required_argument, NULL, OPT_TARGET },
		{ "unneeded-time", required_argument, NULL, OPT_UNNEEDED },
		{ "flap-window", required_argument, NULL, OPT_FLAP },
		{ "format", required_argument, NULL, 'f' },
		{ "plot", required_argument, NULL, OPT_PLOT },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	optind = 1;
	int c, r;
	while ((c = getopt_long(argc, argv, "f:h", options, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return -1;
		}
		if (c == '?') {
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
		if ((r = parse_option(c, a)) != 0)
			return r;
	}
	if (optind != argc || !a->trace) {
		cli_error(PROGRAM, "give the trace with --trace FILE (and no other arguments); see --help");
		return CLI_EXIT_USAGE;
	}
	if (strcmp(a->format, "text") != 0 && strcmp(a->format, "json") != 0) {
		cli_error(PROGRAM, "unknown --format `%s`: use text or json", a->format);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

static int read_trace(const char *path, struct scale_trace *trace)
{
	struct cc_error err = { 0 };
	bool is_stdin = strcmp(path, "-") == 0;
	_cleanup_fclose_ FILE *f = is_stdin ? NULL : fopen(path, "r");
	if (!is_stdin && !f) {
		cli_error(PROGRAM, "open `%s`: %s", path, strerror(errno));
		return CLI_EXIT_FAILURE;
	}
	int r = scale_trace_read(is_stdin ? stdin : f, is_stdin ? "standard input" : path, trace, &err);
	if (r < 0) {
		cli_error(PROGRAM, "%s", cc_error_message(&err));
		return r == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
	}
	return 0;
}

int cmd_scale_simulate(int argc, char **argv)
{
	struct sim_args a = { .format = "text" };
	scale_sim_options_default(&a.options);
	int r = parse_args(argc, argv, &a);
	if (r != 0)
		return r < 0 ? CLI_EXIT_OK : r;
	struct scale_trace trace = { 0 };
	if ((r = read_trace(a.trace, &trace)) != 0)
		return r;
	if (isatty(STDERR_FILENO)) {
		a.options.progress = show_progress;
		a.options.progress_ctx = NULL;
	}
	struct cc_error err = { 0 };
	struct scale_sim_report rep;
	r = scale_simulate(&trace, &a.options, &rep, &err);
	if (a.options.progress)
		fprintf(stderr, "\r%60s\r", "");
	scale_trace_release(&trace);
	if (r < 0) {
		cli_error(PROGRAM, "%s", cc_error_message(&err));
		return r == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
	}
	if (strcmp(a.format, "json") == 0) {
		_cleanup_json_ json_t *doc = report_json(&rep, &a.options);
		_cleanup_free_ char *text = json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
		printf("%s\n", text ? text : "null");
	} else {
		print_text(&rep, &a.options);
	}
	r = a.plot ? write_plot(a.plot, &rep) : CLI_EXIT_OK;
	scale_sim_report_release(&rep);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error(PROGRAM, "write standard output: %s", strerror(errno));
		return CLI_EXIT_FAILURE;
	}
	return r;
}
