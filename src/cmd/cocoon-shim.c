/* cocoon-shim: the per-container monitor cocoond runs each container under (what conmon is to
 * podman). This file parses the command line only; the work is in src/cmd/shim (launch.c starts
 * the monitor, monitor.c is the monitor). docs/shim.md. */
#include "cli.h"
#include "lib/base/cleanup.h"
#include "shim/shim.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "Usage: cocoon-shim --runtime PATH --runtime-root DIR --bundle DIR --id ID --log FILE --exit-file FILE\n"
	    "                   [--shim-pid-file FILE] [--log-max-bytes N] [--log-max-files N]\n"
	    "                   [--stdin-fifo FILE [--stdin-once]] [--runtime-arg ARG]...\n"
	    "       cocoon-shim attach --log FILE --exit-file FILE [--stdin-fifo FILE] [--no-stdout] [--no-stderr]\n"
	    "\n"
	    "Runs one container through an OCI runtime and stays with it: a monitor, detached from the caller\n"
	    "(its own session, not the caller's child), creates and starts the container, writes its stdout\n"
	    "and stderr to FILE in the Kubernetes CRI log format, and records how it ended in the exit file.\n"
	    "This process returns once the container has started, printing `pid=N` (the container's init),\n"
	    "or exits 1 with the runtime's error and nothing left behind.\n"
	    "\n"
	    "Options:\n"
	    "      --runtime PATH        the OCI runtime (cocoon-runtime, runc, crun)\n"
	    "      --runtime-root DIR    the runtime's --root\n"
	    "      --runtime-arg ARG     an extra global option for the runtime (repeatable)\n"
	    "      --bundle DIR          the OCI bundle\n"
	    "      --id ID               the container id\n"
	    "      --log FILE            the container's log (CRI format, 0600); the monitor's own log is\n"
	    "                            FILE.shim.log\n"
	    "      --log-max-bytes N     rotate FILE when it would grow past N bytes (default %u)\n"
	    "      --log-max-files N     keep FILE and FILE.1 ... FILE.(N-1) (default %u)\n"
	    "      --exit-file FILE      JSON written when the container has exited: exitCode, signal,\n"
	    "                            reason (Completed, Error, OOMKilled), startedAt, finishedAt, pid\n"
	    "      --shim-pid-file FILE  the monitor's pid, written once the container has started\n"
	    "      --stdin-fifo FILE     give the container a stdin: a FIFO made at FILE (0600) that\n"
	    "                            `cocoon-shim attach` writes to; it never ends while the monitor runs\n"
	    "      --stdin-once          ... unless this: it ends when the first attacher's stdin does\n"
	    "\n"
	    "attach follows a running container: its output from now on (read from the CRI log, rotation\n"
	    "included) to this stdout and stderr, this stdin to the container's stdin FIFO, until the\n"
	    "container has exited (then the exit file's exitCode is this exit status) or the reader of\n"
	    "this output goes away. cocoond serves `kubectl attach` with it.\n"
	    "  -h, --help                show this help\n"
	    "  -V, --version             show the version\n",
	    SHIM_DEFAULT_LOG_MAX_BYTES, SHIM_DEFAULT_LOG_MAX_FILES);
}

/* The monitor runs in "/", so every path it is given is made absolute here. */
static const char *absolute(const char *path, char **owned)
{
	if (!path || path[0] == '/')
		return path;
	char cwd[4096];
	if (!getcwd(cwd, sizeof(cwd)))
		return path;
	*owned = cc_xasprintf("%s/%s", cwd, path);
	return *owned;
}

static int parse_count(const char *name, const char *text, uint64_t min, uint64_t max, uint64_t *ret)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || v < min || v > max) {
		cli_error("cocoon-shim", "--%s must be a number from %" PRIu64 " to %" PRIu64 ", not `%s`", name, min,
			  max, text);
		return CLI_EXIT_USAGE;
	}
	*ret = v;
	return 0;
}

static int check_required(const struct shim_config *cfg)
{
	const struct {
		const char *name, *value;
	} required[] = {
		{ "runtime", cfg->runtime }, { "runtime-root", cfg->runtime_root },
		{ "bundle", cfg->bundle },   { "id", cfg->id },
		{ "log", cfg->log_path },    { "exit-file", cfg->exit_file },
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(required); i++) {
		if (!required[i].value || !*required[i].value) {
			cli_error("cocoon-shim", "--%s is required; see --help", required[i].name);
			return CLI_EXIT_USAGE;
		}
	}
	if (strchr(cfg->id, '/') || cfg->id[0] == '.' || cfg->id[0] == '-') {
		cli_error("cocoon-shim", "invalid container id `%s`", cfg->id);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

int main(int argc, char **argv)
{
	enum {
		OPT_RUNTIME = 256,
		OPT_RUNTIME_ROOT,
		OPT_RUNTIME_ARG,
		OPT_BUNDLE,
		OPT_ID,
		OPT_LOG,
		OPT_EXIT_FILE,
		OPT_SHIM_PID_FILE,
		OPT_LOG_MAX_BYTES,
		OPT_LOG_MAX_FILES,
		OPT_STDIN_FIFO,
		OPT_STDIN_ONCE
	};
	static const struct option options[] = {
		{ "runtime", required_argument, NULL, OPT_RUNTIME },
		{ "runtime-root", required_argument, NULL, OPT_RUNTIME_ROOT },
		{ "runtime-arg", required_argument, NULL, OPT_RUNTIME_ARG },
		{ "bundle", required_argument, NULL, OPT_BUNDLE },
		{ "id", required_argument, NULL, OPT_ID },
		{ "log", required_argument, NULL, OPT_LOG },
		{ "exit-file", required_argument, NULL, OPT_EXIT_FILE },
		{ "shim-pid-file", required_argument, NULL, OPT_SHIM_PID_FILE },
		{ "log-max-bytes", required_argument, NULL, OPT_LOG_MAX_BYTES },
		{ "log-max-files", required_argument, NULL, OPT_LOG_MAX_FILES },
		{ "stdin-fifo", required_argument, NULL, OPT_STDIN_FIFO },
		{ "stdin-once", no_argument, NULL, OPT_STDIN_ONCE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	if (argc > 1 && strcmp(argv[1], "attach") == 0)
		return shim_attach_main(argc - 1, argv + 1);
	struct shim_config cfg = { .log_max_bytes = SHIM_DEFAULT_LOG_MAX_BYTES,
				   .log_max_files = SHIM_DEFAULT_LOG_MAX_FILES };
	_cleanup_free_ const char **runtime_args = cc_xcalloc((size_t)argc, sizeof(char *));
	uint64_t files = cfg.log_max_files;
	int c, r;
	while ((c = getopt_long(argc, argv, "hV", options, NULL)) != -1) {
		switch (c) {
		case OPT_RUNTIME: cfg.runtime = optarg; break;
		case OPT_RUNTIME_ROOT: cfg.runtime_root = optarg; break;
		case OPT_RUNTIME_ARG: runtime_args[cfg.runtime_arg_count++] = optarg; break;
		case OPT_BUNDLE: cfg.bundle = optarg; break;
		case OPT_ID: cfg.id = optarg; break;
		case OPT_LOG: cfg.log_path = optarg; break;
		case OPT_EXIT_FILE: cfg.exit_file = optarg; break;
		case OPT_SHIM_PID_FILE: cfg.shim_pid_file = optarg; break;
		case OPT_STDIN_FIFO: cfg.stdin_fifo = optarg; break;
		case OPT_STDIN_ONCE: cfg.stdin_once = true; break;
		case OPT_LOG_MAX_BYTES:
			if ((r = parse_count("log-max-bytes", optarg, 1, UINT64_MAX, &cfg.log_max_bytes)))
				return r;
			break;
		case OPT_LOG_MAX_FILES:
			if ((r = parse_count("log-max-files", optarg, 1, 1000, &files)))
				return r;
			cfg.log_max_files = (unsigned)files;
			break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		case 'V': cli_print_version("cocoon-shim", false); return CLI_EXIT_OK;
		default: fprintf(stderr, "Try 'cocoon-shim --help'.\n"); return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_error("cocoon-shim", "unexpected argument `%s`", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	if ((r = check_required(&cfg)))
		return r;
	if (cfg.stdin_once && !cfg.stdin_fifo) {
		cli_error("cocoon-shim", "--stdin-once goes with --stdin-fifo");
		return CLI_EXIT_USAGE;
	}
	cfg.runtime_args = runtime_args;
	_cleanup_free_ char *runtime = NULL, *root = NULL, *bundle = NULL, *log = NULL, *exit_file = NULL,
			    *pid_file = NULL, *fifo = NULL;
	/* A runtime named without a slash is looked up in PATH, as exec does. */
	if (strchr(cfg.runtime, '/'))
		cfg.runtime = absolute(cfg.runtime, &runtime);
	cfg.runtime_root = absolute(cfg.runtime_root, &root);
	cfg.bundle = absolute(cfg.bundle, &bundle);
	cfg.log_path = absolute(cfg.log_path, &log);
	cfg.exit_file = absolute(cfg.exit_file, &exit_file);
	cfg.shim_pid_file = absolute(cfg.shim_pid_file, &pid_file);
	cfg.stdin_fifo = absolute(cfg.stdin_fifo, &fifo);
	return shim_launch(&cfg);
}
