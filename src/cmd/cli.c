/* Shared command-line helpers. */
#include "cli.h"

#include "lib/base/log.h"
#include "lib/event/emit.h"
#include "lib/event/event.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/opensslv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_print_version(const char *program, bool json)
{
	if (json) {
		json_t *v = json_pack("{s:s, s:s, s:s}", "program", program, "version", COCOON_VERSION, "openssl",
				      OPENSSL_VERSION_TEXT);
		char *text = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("%s\n", text);
		free(text);
		json_decref(v);
		return;
	}
	printf("%s version %s\n", program, COCOON_VERSION);
}

int cli_setup_logging(const char *program, const char *level, const char *format, const char *file)
{
	enum cc_log_level lvl = level ? cc_log_level_from_string(level) : CC_LOG_INFO;
	if (lvl == CC_LOG_LEVEL_MAX) {
		cli_error(program, "invalid --log-level `%s` (use debug, info, warning or error)", level);
		return CLI_EXIT_USAGE;
	}
	enum cc_log_format fmt = format ? cc_log_format_from_string(format) : CC_LOG_TEXT;
	if (fmt == CC_LOG_FORMAT_MAX) {
		cli_error(program, "invalid --log-format `%s` (use text or json)", format);
		return CLI_EXIT_USAGE;
	}
	if (cc_log_setup(program, lvl, fmt, file) < 0) {
		cli_error(program, "cannot open log file `%s`", file);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

void cli_error(const char *program, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", program);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void cli_emit_decision(const char *component, const char *action, const char *object, const char *tenant, bool allowed,
		       const char *reason)
{
	const char *socket = getenv("COCOON_AUDIT_SOCKET");
	char program[64];
	snprintf(program, sizeof(program), "cocoon %s", component);
	if (socket && cc_event_sink_open_socket(socket, NULL) < 0)
		cli_error(program, "cannot reach the audit socket `%s`", socket);
	cc_event_emit_decision(component, action, NULL, tenant, object, allowed, reason);
	cc_event_sink_close();
}

int cli_run_subcommand(const char *program, int argc, char **argv, const struct cli_subcommand *commands, size_t n,
		       void (*usage)(FILE *out))
{
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	char list[256] = "";
	for (size_t i = 0; i < n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "", commands[i].name);
	cli_error(program, "unknown command `%s`; the commands are %s (see --help)", argv[1], list);
	return CLI_EXIT_USAGE;
}

bool cli_parse_int64(const char *text, int64_t min, int64_t max, int64_t *ret)
{
	char *end = NULL;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (end == text || *end || errno || v < min || v > max)
		return false;
	*ret = v;
	return true;
}
