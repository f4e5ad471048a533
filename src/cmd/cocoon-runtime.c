/* cocoon-runtime: the OCI runtime's command line. The OCI commands (create, start, run, state,
 * kill, delete, exec, ...) arrive with the runtime component (src/runtime); until then this front
 * end answers --help and --version and refuses everything else with exit code 2. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out, "Usage: cocoon-runtime [GLOBAL OPTIONS] COMMAND [ARGS]\n"
		     "\n"
		     "cocoon's OCI runtime (runc-compatible command line), hardened and measured.\n"
		     "\n"
		     "This build has no OCI commands yet: the runtime component is being built and will add\n"
		     "create, start, run, state, kill, delete, exec, list, ps, pause, resume, features and spec.\n"
		     "\n"
		     "Options:\n"
		     "  -h, --help      show this help\n"
		     "  -v, --version   show the version\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "-V") == 0 ||
	    strcmp(argv[1], "version") == 0) {
		/* runc prints "runc version X" then "spec: Y"; podman and containerd only log it. */
		cli_print_version("cocoon-runtime", false);
		printf("spec: 1.2.0\n");
		return CLI_EXIT_OK;
	}
	cli_error("cocoon-runtime", "unknown command `%s` (this build has no OCI commands yet; see --help)", argv[1]);
	return CLI_EXIT_USAGE;
}
