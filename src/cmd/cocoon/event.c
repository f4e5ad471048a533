/* cocoon event new|emit|validate: make a canonical security event, record one as the components
 * do, or check JSON lines of events. */
#include "lib/event/event.h"

#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"
#include "lib/event/emit.h"
#include "lib/json/json.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out, "Usage: cocoon event new --component NAME --action VERB [FIELDS]\n"
		     "       cocoon event emit --component NAME --action VERB [FIELDS] [--socket PATH | --file PATH]\n"
		     "       cocoon event validate FILE...\n"
		     "\n"
		     "new prints one event in canonical JSON (schema " CC_EVENT_SCHEMA "). Fields:\n"
		     "  --actor WHO --object WHAT --tenant NAME --reason TEXT\n"
		     "  --verdict none|allow|deny|error   --severity emergency..debug (RFC 5424 names)\n"
		     "  --extra JSON-OBJECT\n"
		     "\n"
		     "emit records the event as cocoon's components do: to the audit forwarder's socket\n"
		     "(--socket, or COCOON_AUDIT_SOCKET), answered once it is durable there, else to the socket's\n"
		     "spool (PATH.spool, which the forwarder reads), or appended to --file. It prints the event's\n"
		     "id; exit code 1 when the event could not be recorded anywhere.\n"
		     "\n"
		     "validate reads JSON lines ('-' is standard input) and reports every invalid line with its\n"
		     "number; exit code 1 when any line is invalid.\n");
}

/* The fields of `event new` and `event emit`, and emit's sink. */
struct event_args {
	const char *component, *action, *actor, *object, *tenant, *reason, *verdict, *severity, *extra;
	const char *socket, *file;
};

/* -1 to go on, else the exit code. */
static int parse_event_args(const char *program, int argc, char **argv, struct event_args *a)
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
		{ "socket", required_argument, NULL, 'S' },
		{ "file", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	*a = (struct event_args){ .verdict = "none", .severity = "info" };
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'c': a->component = optarg; break;
		case 'a': a->action = optarg; break;
		case 'A': a->actor = optarg; break;
		case 'o': a->object = optarg; break;
		case 't': a->tenant = optarg; break;
		case 'r': a->reason = optarg; break;
		case 'v': a->verdict = optarg; break;
		case 's': a->severity = optarg; break;
		case 'x': a->extra = optarg; break;
		case 'S': a->socket = optarg; break;
		case 'F': a->file = optarg; break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (!a->component || !a->action) {
		cli_error(program, "--component and --action are required");
		return CLI_EXIT_USAGE;
	}
	return -1;
}

/* The event the arguments describe; -1 to go on, else the exit code. */
static int build_event(const char *program, const struct event_args *a, struct cc_event **ret)
{
	enum cc_event_verdict v = cc_event_verdict_from_string(a->verdict);
	enum cc_event_severity s = cc_event_severity_from_string(a->severity);
	if (v == CC_VERDICT_MAX || s == CC_SEVERITY_MAX) {
		cli_error(program, "invalid %s `%s`", v == CC_VERDICT_MAX ? "--verdict" : "--severity",
			  v == CC_VERDICT_MAX ? a->verdict : a->severity);
		return CLI_EXIT_USAGE;
	}
	struct cc_error err = { 0 };
	_cleanup_json_ json_t *extra_json = NULL;
	if (a->extra &&
	    (cc_json_parse(a->extra, strlen(a->extra), CC_EVENT_MAX_SIZE, "--extra", &extra_json, &err) < 0 ||
	     !json_is_object(extra_json))) {
		cli_error(program, "%s", err.code ? cc_error_message(&err) : "--extra must be a JSON object");
		return CLI_EXIT_USAGE;
	}
	struct cc_event *ev = NULL;
	if (cc_event_new(a->component, a->action, &ev, &err) < 0) {
		cli_error(program, "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	cc_event_set_actor(ev, a->actor);
	cc_event_set_object(ev, a->object);
	cc_event_set_tenant(ev, a->tenant);
	if (a->reason)
		cc_event_set_reason(ev, "%s", a->reason);
	cc_event_set_verdict(ev, v, s);
	const char *key;
	json_t *value;
	json_object_foreach (extra_json, key, value)
		cc_event_set_extra(ev, key, json_incref(value));
	*ret = ev;
	return -1;
}

static int event_new(int argc, char **argv)
{
	struct event_args a;
	_cleanup_event_ struct cc_event *ev = NULL;
	int r = parse_event_args("cocoon event new", argc, argv, &a);
	if (r == -1)
		r = build_event("cocoon event new", &a, &ev);
	if (r != -1)
		return r;
	_cleanup_free_ char *text = cc_event_canonical(ev);
	printf("%s\n", text);
	return CLI_EXIT_OK;
}

/* Opens the sink emit writes to: --file, --socket, or COCOON_AUDIT_SOCKET. A socket that cannot
 * be reached now is no reason to stop: the event goes to its spool. */
static int open_sink(const struct event_args *a)
{
	struct cc_error err = { 0 };
	const char *socket = a->socket ? a->socket : getenv("COCOON_AUDIT_SOCKET");
	if (a->file) {
		if (cc_event_sink_open_file(a->file, &err) < 0) {
			cli_error("cocoon event emit", "%s", cc_error_message(&err));
			return CLI_EXIT_FAILURE;
		}
		return -1;
	}
	if (!socket || !*socket) {
		cli_error("cocoon event emit", "give --socket PATH or --file PATH, or set COCOON_AUDIT_SOCKET");
		return CLI_EXIT_USAGE;
	}
	if (cc_event_sink_open_socket(socket, &err) < 0)
		cc_warning("%s; the event goes to the spool if it still cannot be sent", cc_error_message(&err));
	return -1;
}

static int event_emit(int argc, char **argv)
{
	struct event_args a;
	struct cc_event *ev = NULL;
	int r = parse_event_args("cocoon event emit", argc, argv, &a);
	if (r == -1)
		r = open_sink(&a);
	if (r == -1)
		r = build_event("cocoon event emit", &a, &ev);
	if (r != -1) {
		cc_event_sink_close();
		return r;
	}
	char id[sizeof(ev->id)];
	snprintf(id, sizeof(id), "%s", ev->id);
	r = cc_event_emit(ev);
	cc_event_sink_close();
	if (r < 0) {
		cli_error("cocoon event emit", "event %s was not recorded: %s", id, strerror(-r));
		return CLI_EXIT_FAILURE;
	}
	printf("%s\n", id);
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
	if (argc >= 2 && strcmp(argv[1], "emit") == 0)
		return event_emit(argc - 1, argv + 1);
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
