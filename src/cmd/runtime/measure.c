/* measure: what create would measure of a bundle, printed as JSON, and with --record extended into
 * the TPM and the measurement log ahead of create (runtime_measure_only). */
#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/error.h"
#include "lib/json/json.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rt_cmd_measure(const struct runtime_globals *g, int argc, char **argv)
{
	static const struct option options[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "profile", required_argument, NULL, 'P' },
		{ "record", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct runtime_create_opts o = { 0 };
	bool record = false;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "b:h", options, NULL)) != -1) {
		switch (c) {
		case 'b': o.bundle = optarg; break;
		case 'P':
			if (strcmp(optarg, "confidential") != 0 && strcmp(optarg, "default") != 0) {
				cli_error("cocoon-runtime", "--profile must be confidential or default");
				return CLI_EXIT_USAGE;
			}
			o.profile = optarg;
			break;
		case 'r': record = true; break;
		case 'h':
			printf("Usage: cocoon-runtime measure [--bundle DIR] [--profile confidential] [--record] ID\n\n"
			       "Prints the measurement create would take of the bundle, and its parts (JSON):\n"
			       "{container, measurement, parts: {config, rootfs, profile}, recorded}. With --record\n"
			       "it is also appended to the measurement log and extended into the TPM, as create\n"
			       "does, so that the node can attest to a launch before it asks for the launch's keys.\n");
			return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		cli_error("cocoon-runtime", "measure needs exactly one container id");
		return CLI_EXIT_USAGE;
	}
	o.id = argv[optind];
	struct cc_error err = { 0 };
	json_t *out = NULL;
	if (runtime_measure_only(g, &o, record, &out, &err) < 0)
		return rt_fail("measure", &err);
	char *text = json_dumps(out, JSON_COMPACT);
	printf("%s\n", text ? text : "{}");
	free(text);
	json_decref(out);
	return CLI_EXIT_OK;
}
