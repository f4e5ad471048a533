/* cocoon yaml2json FILE: shows how cocoon reads a YAML stream (typing, merge keys, documents). */
#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "lib/json/yaml.h"

#include <getopt.h>
#include <stdio.h>

int cmd_yaml2json(int argc, char **argv)
{
	static const struct option options[] = { { "array", no_argument, NULL, 'a' },
						 { "pretty", no_argument, NULL, 'p' },
						 { "help", no_argument, NULL, 'h' },
						 { 0 } };
	bool array = false, pretty = false;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "aph", options, NULL)) != -1) {
		switch (c) {
		case 'a': array = true; break;
		case 'p': pretty = true; break;
		case 'h':
			printf(
			    "Usage: cocoon yaml2json [--array] [--pretty] FILE\n\n"
			    "Prints each YAML document of FILE ('-' for standard input) as one JSON line, or all of\n"
			    "them as one array with --array. Scalars are typed as Kubernetes types them.\n");
			return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		cli_error("cocoon yaml2json", "give exactly one FILE ('-' for standard input)");
		return CLI_EXIT_USAGE;
	}
	struct cc_error err = { 0 };
	_cleanup_json_ json_t *docs = NULL;
	if (cc_yaml_load_file(argv[optind], &docs, &err) < 0) {
		cli_error("cocoon yaml2json", "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	size_t flags = JSON_ENCODE_ANY | (pretty ? JSON_INDENT(2) : JSON_COMPACT);
	if (array) {
		char *text = json_dumps(docs, flags);
		printf("%s\n", text);
		free(text);
		return CLI_EXIT_OK;
	}
	size_t i;
	json_t *doc;
	json_array_foreach (docs, i, doc) {
		char *text = json_dumps(doc, flags);
		printf("%s\n", text);
		free(text);
	}
	return CLI_EXIT_OK;
}
