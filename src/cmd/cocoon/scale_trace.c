/* cocoon scale trace generate: a synthetic pod trace for `cocoon scale simulate` (src/scale/trace.h):
 * daily waves, bursts, a pod size mix, and the same bytes for the same --seed. */
#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "scale/trace.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROGRAM "cocoon scale trace generate"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: cocoon scale trace generate [OPTIONS]\n\n"
		"Writes a pod trace as CSV (name,cpu_milli,memory_mib,creation_time,deletion_time) to standard\n"
		"output or --output. Pods arrive following the day (fewest at 04:00, most at 16:00) so that about\n"
		"--peak-pods run at the peak, live an exponentially distributed time, and come in bursts of\n"
		"short-lived pods now and then. Pods alive at the end have no deletion_time.\n\n"
		"Options:\n"
		"  --seed N             the random seed (default 1): the same seed gives the same trace\n"
		"  --duration S         seconds (default 86400)\n"
		"  --peak-pods N        pods running at the peak, roughly (default 1000)\n"
		"  --mean-lifetime S    a pod's mean lifetime in seconds (default 3600)\n"
		"  --bursts-per-day F   batches of short pods a day (default 4)\n"
		"  --burst-pods N       pods in a batch (default 200)\n"
		"  --sizes KIND         small, mixed (default) or large\n"
		"  -o, --output FILE    write there instead of standard output\n"
		"  -h, --help           show this help\n\n"
		"Exit codes: 0 written; 1 the output could not be written; 2 usage error.\n");
}

static void usage_trace(FILE *out)
{
	fprintf(out, "Usage: cocoon scale trace generate [OPTIONS]\n\nRun 'cocoon scale trace generate --help' for "
		     "the options.\n");
}

static int generate(int argc, char **argv)
{
	static const struct option options[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "duration", required_argument, NULL, 'd' },
		{ "peak-pods", required_argument, NULL, 'p' },
		{ "mean-lifetime", required_argument, NULL, 'l' },
		{ "bursts-per-day", required_argument, NULL, 'b' },
		{ "burst-pods", required_argument, NULL, 'n' },
		{ "sizes", required_argument, NULL, 'z' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct scale_trace_options o = { .seed = 1,
					 .duration = 86400,
					 .peak_pods = 1000,
					 .mean_lifetime = 3600,
					 .bursts_per_day = 4,
					 .burst_pods = 200,
					 .sizes = "mixed" };
	const char *output = NULL;
	int64_t seed = 1;
	char *end = NULL;
	bool ok = true;
	optind = 1;
	int c;
	while (ok && (c = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
		switch (c) {
		case 's': ok = cli_parse_int64(optarg, 0, INT64_MAX, &seed); break;
		case 'd': ok = cli_parse_int64(optarg, 1, 366 * 86400, &o.duration); break;
		case 'p': ok = cli_parse_int64(optarg, 1, 1000000, &o.peak_pods); break;
		case 'l': ok = cli_parse_int64(optarg, 1, 366 * 86400, &o.mean_lifetime); break;
		case 'n': ok = cli_parse_int64(optarg, 0, 1000000, &o.burst_pods); break;
		case 'b':
			o.bursts_per_day = strtod(optarg, &end);
			ok = end != optarg && !*end && o.bursts_per_day >= 0 && o.bursts_per_day <= 10000;
			break;
		case 'z': o.sizes = optarg; break;
		case 'o': output = optarg; break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: usage(stderr); return CLI_EXIT_USAGE;
		}
	}
	if (!ok) {
		cli_error(PROGRAM, "invalid value `%s`; see --help", optarg);
		return CLI_EXIT_USAGE;
	}
	if (optind != argc) {
		cli_error(PROGRAM, "unexpected argument `%s`; see --help", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	o.seed = (uint64_t)seed;
	struct cc_error err = { 0 };
	struct scale_trace trace;
	if (scale_trace_generate(&o, &trace, &err) < 0) {
		cli_error(PROGRAM, "%s", cc_error_message(&err));
		return CLI_EXIT_USAGE;
	}
	_cleanup_fclose_ FILE *f = output ? fopen(output, "w") : NULL;
	if (output && !f) {
		cli_error(PROGRAM, "open `%s`: %s", output, strerror(errno));
		scale_trace_release(&trace);
		return CLI_EXIT_FAILURE;
	}
	int r = scale_trace_write(&trace, f ? f : stdout, &err);
	scale_trace_release(&trace);
	if (r < 0) {
		cli_error(PROGRAM, "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	return CLI_EXIT_OK;
}

int cmd_scale_trace(int argc, char **argv)
{
	static const struct cli_subcommand commands[] = { { "generate", generate } };
	return cli_run_subcommand("cocoon scale trace", argc, argv, commands, CC_ARRAY_SIZE(commands), usage_trace);
}
