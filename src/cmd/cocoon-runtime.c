/* cocoon-runtime: global options (runc-compatible) and dispatch to one command. The work is in
 * src/runtime; command parsing is in src/cmd/runtime. */
#include "cli.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"
#include "lib/event/emit.h"
#include "runtime/commands.h"
#include "runtime/libcrypto_lazy.h"
#include "runtime/selfexec.h"
#include "runtime/state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

static const struct {
	const char *name;
	int (*run)(const struct runtime_globals *g, int argc, char **argv);
	bool runs_container_code; /* re-exec from a sealed copy first (CVE-2019-5736) */
	const char *summary;
} commands[] = {
	{ "create", rt_cmd_create, true, "create a container from a bundle (it waits for start)" },
	{ "start", rt_cmd_start, false, "start the process of a created container" },
	{ "run", rt_cmd_run, true, "create and start a container, wait for it unless --detach" },
	{ "state", rt_cmd_state, false, "print the state of a container (JSON)" },
	{ "kill", rt_cmd_kill, false, "send a signal to a container's init (or --all processes)" },
	{ "delete", rt_cmd_delete, false, "remove a container (--force kills it first)" },
	{ "exec", rt_cmd_exec, true, "run a new process inside a running container" },
	{ "list", rt_cmd_list, false, "list containers (--format json)" },
	{ "ps", rt_cmd_ps, false, "list the processes of a container" },
	{ "pause", rt_cmd_pause, false, "freeze all processes of a container" },
	{ "resume", rt_cmd_resume, false, "thaw a paused container" },
	{ "spec", rt_cmd_spec, false, "write a default config.json" },
	{ "features", rt_cmd_features, false, "print the features of this runtime (OCI features JSON)" },
	{ "measure", rt_cmd_measure, false, "print (and with --record, extend) what create would measure" },
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: cocoon-runtime [GLOBAL OPTIONS] COMMAND [OPTIONS] [ID]\n\n"
		     "cocoon's OCI runtime: a runc-compatible command line, hardened and measured.\n"
		     "Every container is measured (SHA-384 over config and rootfs) into the measurement log;\n"
		     "the annotation run.cocoon.profile=confidential (or --profile confidential) tightens it.\n\n"
		     "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nGlobal options:\n"
		     "  --root DIR            state directory (default " RUNTIME_DEFAULT_ROOT ")\n"
		     "  --log FILE            log here instead of stderr\n"
		     "  --log-format FMT      text or json\n"
		     "  --debug               debug logging\n"
		     "  --systemd-cgroup      accept systemd cgroup paths (slice:prefix:name) on cgroupfs\n"
		     "  --measurement-log F   measurement log (default ROOT/measurements.jsonl)\n"
		     "  --event-log F         security events (default ROOT/events.jsonl; env COCOON_EVENT_LOG)\n"
		     "  -h, --help            show this help\n"
		     "  -v, --version         show the version\n\n"
		     "Environment:\n"
		     "  COCOON_MEASUREMENT_LOG  the measurement log, as --measurement-log\n"
		     "  COCOON_TPM_TCTI         the TPM to extend measurements into (also TPM2TOOLS_TCTI)\n"
		     "  COCOON_TPM_PCR          the PCR extended (default 15)\n"
		     "  COCOON_AUDIT_SOCKET     send security events to the audit forwarder's socket\n"
		     "  COCOON_RUNTIME_PROFILE  1: print each create/run phase's microseconds on stderr (JSON)\n");
}

/* Global option value: "--name VALUE" or "--name=VALUE". */
static bool option_value(int *i, int argc, char **argv, const char *name, const char **ret)
{
	size_t len = strlen(name);
	if (strncmp(argv[*i], name, len) != 0)
		return false;
	if (argv[*i][len] == '=') {
		*ret = argv[*i] + len + 1;
		return true;
	}
	if (argv[*i][len] == '\0' && *i + 1 < argc) {
		*ret = argv[++*i];
		return true;
	}
	return false;
}

int main(int argc, char **argv)
{
	runtime_libcrypto_lazy_bind();
	struct runtime_globals g = { .root = RUNTIME_DEFAULT_ROOT };
	const char *log_file = NULL, *log_format = NULL, *event_log = getenv("COCOON_EVENT_LOG"), *ignored;
	const char *measurement_log = getenv("COCOON_MEASUREMENT_LOG");
	bool debug = false;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return CLI_EXIT_OK;
		}
		if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "-V") == 0) {
			/* runc prints "runc version X" then "spec: Y"; podman and containerd only log it. */
			cli_print_version("cocoon-runtime", false);
			printf("spec: 1.2.0\n");
			return CLI_EXIT_OK;
		}
		if (strcmp(argv[i], "--debug") == 0)
			debug = true;
		/* runc's --rootless (true, false or auto), accepted and ignored: given alone it must not
		 * take the command as its value. */
		else if (strcmp(argv[i], "--rootless") == 0) {
			const char *next = i + 1 < argc ? argv[i + 1] : "";
			if (strcmp(next, "true") == 0 || strcmp(next, "false") == 0 || strcmp(next, "auto") == 0)
				i++;
		} else if (strcmp(argv[i], "--systemd-cgroup") == 0)
			g.systemd_cgroup = true;
		else if (option_value(&i, argc, argv, "--root", &g.root) ||
			 option_value(&i, argc, argv, "--log", &log_file) ||
			 option_value(&i, argc, argv, "--log-format", &log_format) ||
			 option_value(&i, argc, argv, "--event-log", &event_log) ||
			 option_value(&i, argc, argv, "--measurement-log", &measurement_log) ||
			 option_value(&i, argc, argv, "--rootless", &ignored) ||
			 option_value(&i, argc, argv, "--criu", &ignored))
			continue;
		else {
			cli_error("cocoon-runtime", "unknown global option `%s`; see --help", argv[i]);
			return CLI_EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	g.measurement_log = measurement_log;
	int r = cli_setup_logging("cocoon-runtime", debug ? "debug" : "warning", log_format, log_file);
	if (r)
		return r;
	rt_log_is_file = log_file != NULL;
	const char *name = argv[i];
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++) {
		if (strcmp(commands[k].name, name) != 0)
			continue;
		if (commands[k].runs_container_code) {
			int sealed = runtime_ensure_sealed_exe(argv, environ);
			if (sealed < 0) {
				cli_error("cocoon-runtime",
					  "cannot re-execute from a sealed copy (CVE-2019-5736 protection): %s",
					  strerror(-sealed));
				return CLI_EXIT_FAILURE;
			}
		}
		cc_mkdir_p(g.root, 0700, NULL);
		_cleanup_free_ char *default_events = cc_xasprintf("%s/events.jsonl", g.root);
		struct cc_error err = { 0 };
		int sink = event_log ? cc_event_sink_open_file(event_log, &err)
				     : cc_event_sink_open_default(default_events, &err);
		if (sink < 0 && (event_log || getenv("COCOON_AUDIT_SOCKET"))) {
			/* An explicitly requested event log or audit socket that cannot be used fails closed. */
			cli_error("cocoon-runtime", "%s", cc_error_message(&err));
			return CLI_EXIT_FAILURE;
		}
		r = commands[k].run(&g, argc - i, argv + i);
		cc_event_sink_close();
		return r;
	}
	cli_error("cocoon-runtime", "unknown command `%s`; see --help", name);
	return CLI_EXIT_USAGE;
}
