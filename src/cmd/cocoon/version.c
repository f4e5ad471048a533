/* cocoon version [--json] */
#include "cmd/cli.h"
#include "commands.h"

#include <getopt.h>
#include <stdio.h>

int cmd_version(int argc, char **argv)
{
	static const struct option options[] = { { "json", no_argument, NULL, 'j' },
						 { "help", no_argument, NULL, 'h' },
						 { 0 } };
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", options, NULL)) != -1) {
		if (c == 'j')
			json = true;
		else if (c == 'h') {
			printf("Usage: cocoon version [--json]\n");
			return CLI_EXIT_OK;
		} else
			return CLI_EXIT_USAGE;
	}
	cli_print_version("cocoon", json);
	return CLI_EXIT_OK;
}
