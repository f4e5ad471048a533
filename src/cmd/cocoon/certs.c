/* cocoon certs init --dir DIR [--hosts LIST]: create the node PKI that cocoond uses. */
#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/error.h"
#include "node/pki.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out, "Usage: cocoon certs init [--dir DIR] [--hosts LIST]\n"
		     "\n"
		     "Creates a node CA, a server certificate (localhost, 127.0.0.1, ::1 and LIST) and an admin\n"
		     "client certificate (CN=admin, O=system:masters) in DIR (default /var/lib/cocoon/pki).\n"
		     "Files that exist are kept, so running it again is safe.\n");
}

int cmd_certs(int argc, char **argv)
{
	static const struct option options[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "hosts", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = "/var/lib/cocoon/pki", *hosts = NULL;
	if (argc < 2 || strcmp(argv[1], "init") != 0) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			usage(stdout);
			return CLI_EXIT_OK;
		}
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	optind = 1;
	int c;
	while ((c = getopt_long(argc - 1, argv + 1, "d:H:h", options, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'H': hosts = optarg; break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	struct cc_error err = { 0 };
	int r = node_pki_ensure(dir, hosts, &err);
	if (r < 0) {
		cli_error("cocoon certs", "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	printf(r ? "created node PKI in %s\n" : "node PKI in %s is complete; nothing to do\n", dir);
	return CLI_EXIT_OK;
}
