/* cocoon event new|validate: make a canonical security event, or check JSON lines of events. */
#include "lib/event/event.h"

#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/json/json.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out, "Usage: cocoon event new --component NAME --action VERB [FIELDS]\n"
		     "       cocoon event validate FILE...\n"
		     "\n"
		     "new prints one event in canonical JSON (schema " CC_EVENT_SCHEMA "). Fields:\n"
		     "  --actor WHO --object WHAT --tenant NAME --reason TEXT\n"
		     "  --verdict none|allow|deny|error   --severity emergency..debug (RFC 5424 names)\n"
		     "  --extra JSON-OBJECT\n"
		     "\n"
		     "validate reads JSON lines ('-' is standard input) and reports every invalid line with its\n"
		     "number; exit code 1 when any line is invalid.\n");
}

static int event_new(int argc, char **argv)
{
	static const struct option options[] = {
		{ "component", required_argument, NULL, 'c' },
		{ "action", required_argument, NULL, 'a' },
		{ "actor", required_argument, NULL, 'A' },
		{ "object", required_argument, NULL, 'o' },
		{ "tenant", required_argument, NULL, 't' },
		{ "reason", required_argument, NULL, 'r' },
		{ "verdict", required_argument, NULL, 'v' },
		{ "severity", required_argument, NULL, 's' },
		{ "extra", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *component = NULL, *action = NULL, *actor = NULL, *object = NULL, *tenant = NULL, *reason = NULL;
	const char *verdict = "none", *severity = "info", *extra = NULL;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'c': component = optarg; break;
		case 'a': action = optarg; break;
		case 'A': actor = optarg; break;
		case 'o': object = optarg; break;
		case 't': tenant = optarg; break;
		case 'r': reason = optarg; break;
		case 'v': verdict = optarg; break;
		case 's': severity = optarg; break;
		case 'x': extra = optarg; break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (!component || !action) {
		cli_error("cocoon event new", "--component and --action are required");
		return CLI_EXIT_USAGE;
	}
	enum cc_event_verdict v = cc_event_verdict_from_string(verdict);
	enum cc_event_severity s = cc_event_severity_from_string(severity);
	if (v == CC_VERDICT_MAX || s == CC_SEVERITY_MAX) {
		cli_error("cocoon event new", "invalid %s `%s`", v == CC_VERDICT_MAX ? "--verdict" : "--severity",
			  v == CC_VERDICT_MAX ? verdict : severity);
		return CLI_EXIT_USAGE;
	}
	struct cc_error err = { 0 };
	_cleanup_json_ json_t *extra_json = NULL;
	if (extra && (cc_json_parse(extra, strlen(extra), CC_EVENT_MAX_SIZE, "--extra", &extra_json, &err) < 0 ||
		      !json_is_object(extra_json))) {
		cli_error("cocoon event new", "%s",
			  err.code ? cc_error_message(&err) : "--extra must be a JSON object");
		return CLI_EXIT_USAGE;
	}
	_cleanup_event_ struct cc_event *ev = NULL;
	if (cc_event_new(component, action, &ev, &err) < 0) {
		cli_error("cocoon event new", "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	cc_event_set_actor(ev, actor);
	cc_event_set_object(ev, object);
	cc_event_set_tenant(ev, tenant);
	if (reason)
		cc_event_set_reason(ev, "%s", reason);
	cc_event_set_verdict(ev, v, s);
	if (extra_json) {
		const char *key;
		json_t *value;
		json_object_foreach (extra_json, key, value)
			cc_event_set_extra(ev, key, json_incref(value));
	}
	_cleanup_free_ char *text = cc_event_canonical(ev);
	printf("%s\n", text);
	return CLI_EXIT_OK;
}

static int validate_file(const char *path, unsigned *ret_valid, unsigned *ret_invalid)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	struct cc_error err = { 0 };
	if (cc_read_file(path, 1u << 30, &data, &len, &err) < 0) {
		cli_error("cocoon event validate", "%s", cc_error_message(&err));
		return -1;
	}
	unsigned line = 0;
	for (char *p = data, *end = data + len; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		line++;
		if (n > 0) {
			struct cc_event *ev = NULL;
			cc_error_clear(&err);
			if (cc_event_parse(p, n, &ev, &err) < 0) {
				fprintf(stderr, "%s:%u: %s\n", path, line, cc_error_message(&err));
				(*ret_invalid)++;
			} else {
				(*ret_valid)++;
			}
			cc_event_free(ev);
		}
		p += n + 1;
	}
	return 0;
}

int cmd_event(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "new") == 0)
		return event_new(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "validate") == 0) {
		if (argc < 3) {
			cli_error("cocoon event validate", "give at least one FILE ('-' for standard input)");
			return CLI_EXIT_USAGE;
		}
		unsigned valid = 0, invalid = 0;
		for (int i = 2; i < argc; i++)
			if (validate_file(argv[i], &valid, &invalid) < 0)
				return CLI_EXIT_FAILURE;
		printf("%u valid, %u invalid\n", valid, invalid);
		return invalid ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
	}
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	usage(stderr);
	return CLI_EXIT_USAGE;
}
