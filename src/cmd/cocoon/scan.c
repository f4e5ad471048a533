/* cocoon scan: image, node and db subcommands (docs/scan.md). */
#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/cleanup.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out, "Usage: cocoon scan COMMAND [OPTIONS]\n\n"
		     "Commands:\n"
		     "  image PATH       scan an image: a root filesystem directory, a tar of one, a docker-archive,\n"
		     "                   an oci-archive or an OCI image layout directory\n"
		     "  node [ROOT]      scan this host's filesystem (packages, malware, secrets) gently\n"
		     "  config PATH...   check Kubernetes manifests: Pod Security Standards, confidential policy\n"
		     "  db import|status the vulnerability database (Debian tracker, Alpine secdb, OSV)\n"
		     "  policy list|lint|eval|fields\n"
		     "                   security policies and judging facts against them\n\n"
		     "Run 'cocoon scan COMMAND --help' for a command's options.\n");
}

int cmd_scan(int argc, char **argv)
{
	static const struct cli_subcommand commands[] = {
		{ "image", cmd_scan_image }, { "node", cmd_scan_node },     { "config", cmd_scan_config },
		{ "db", cmd_scan_db },       { "policy", cmd_scan_policy },
	};
	return cli_run_subcommand("cocoon scan", argc, argv, commands, CC_ARRAY_SIZE(commands), usage);
}
