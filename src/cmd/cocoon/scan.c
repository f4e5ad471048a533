/* cocoon scan: image, node and db subcommands (docs/scan.md). */
#include "cmd/cli.h"
#include "commands.h"

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
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "image") == 0)
		return cmd_scan_image(argc - 1, argv + 1);
	if (strcmp(argv[1], "node") == 0)
		return cmd_scan_node(argc - 1, argv + 1);
	if (strcmp(argv[1], "config") == 0)
		return cmd_scan_config(argc - 1, argv + 1);
	if (strcmp(argv[1], "db") == 0)
		return cmd_scan_db(argc - 1, argv + 1);
	if (strcmp(argv[1], "policy") == 0)
		return cmd_scan_policy(argc - 1, argv + 1);
	cli_error("cocoon scan", "unknown command `%s`; run 'cocoon scan --help' for the list", argv[1]);
	return CLI_EXIT_USAGE;
}
