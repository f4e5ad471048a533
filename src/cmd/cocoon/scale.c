/* cocoon scale: capacity in SKU blocks: plan, simulate, trace generate (docs/scale.md). */
#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/cleanup.h"

#include <stdio.h>

static void usage(FILE *out)
{
	fprintf(out, "Usage: cocoon scale COMMAND [OPTIONS]\n\n"
		     "Capacity is sold and scaled in blocks (one SKU unit: 15 nodes of 8 GB).\n\n"
		     "Commands:\n"
		     "  plan FILE|-        decide on a cluster state: scale up by k blocks, remove one block\n"
		     "                     (with its drain plan) or no change, always with the reasons\n"
		     "  state              print a cluster's state (cocoond's, or any Kubernetes API's) as\n"
		     "                     the planner reads it; `plan --cluster` plans on it directly\n"
		     "  simulate --trace F replay a pod trace against blocks, node-by-node and static capacity\n"
		     "  trace generate     write a synthetic pod trace (daily waves, bursts; seedable)\n"
		     "  provider serve     Cluster Autoscaler externalgrpc provider (blocks all or nothing)\n\n"
		     "Run 'cocoon scale COMMAND --help' for a command's options.\n");
}

int cmd_scale(int argc, char **argv)
{
	static const struct cli_subcommand commands[] = {
		{ "plan", cmd_scale_plan },   { "state", cmd_scale_state },       { "simulate", cmd_scale_simulate },
		{ "trace", cmd_scale_trace }, { "provider", cmd_scale_provider },
	};
	return cli_run_subcommand("cocoon scale", argc, argv, commands, CC_ARRAY_SIZE(commands), usage);
}
