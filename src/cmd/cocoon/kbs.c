/* cocoon kbs serve: runs the key broker, which is a binary of its own (cocoon-kbs, src/cmd/cocoon-kbs.c)
 * so that what a customer trusts with the secrets is linked from the broker's code alone
 * (docs/design/tcb.md). The binary is looked for next to this one (/proc/self/exe), as `make install`
 * and the build directory place it, then on PATH. */
#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/file.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define KBS_BINARY "cocoon-kbs"

static void usage(FILE *out)
{
	fprintf(out, "Usage: cocoon kbs serve [OPTIONS]\n\n"
		     "Serves the key broker by running " KBS_BINARY " (next to this cocoon, else on PATH) with the\n"
		     "same options; `cocoon kbs serve --help` lists them.\n");
}

int cmd_kbs(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "serve") != 0) {
		bool help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
		usage(help ? stdout : stderr);
		return help ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	/* argv is {"kbs", "serve", options..., NULL}: the broker gets {path, "serve", options..., NULL}. */
	char path[PATH_MAX + sizeof(KBS_BINARY) + 1];
	if (cc_sibling_executable(KBS_BINARY, path, sizeof(path))) {
		argv[0] = path;
		execv(path, argv);
		cli_error("cocoon kbs", "cannot run `%s`: %s", path, strerror(errno));
		return CLI_EXIT_FAILURE;
	}
	argv[0] = KBS_BINARY;
	execvp(KBS_BINARY, argv);
	if (errno == ENOENT)
		cli_error("cocoon kbs",
			  "the key broker is the binary `" KBS_BINARY "`, which is neither next to this cocoon nor on "
			  "PATH: install it (`make install` puts it next to cocoon) or add its directory to PATH");
	else
		cli_error("cocoon kbs", "cannot run `" KBS_BINARY "`: %s", strerror(errno));
	return CLI_EXIT_FAILURE;
}
