/* exec: run a new process in a container. */
#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char **push(char **list, size_t *n, char *item)
{
	list = cc_xrealloc(list, (*n + 2) * sizeof(char *));
	list[(*n)++] = item;
	list[*n] = NULL;
	return list;
}

int rt_cmd_exec(const struct runtime_globals *g, int argc, char **argv)
{
	enum { OPT_PRESERVE_FDS = 256, OPT_NO_NEW_PRIVS };
	static const struct option options[] = {
		{ "process", required_argument, NULL, 'p' },
		{ "tty", no_argument, NULL, 't' },
		{ "detach", no_argument, NULL, 'd' },
		{ "cwd", required_argument, NULL, 'w' },
		{ "env", required_argument, NULL, 'e' },
		{ "user", required_argument, NULL, 'u' },
		{ "console-socket", required_argument, NULL, 'c' },
		{ "pid-file", required_argument, NULL, 'P' },
		{ "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
		{ "no-new-privs", no_argument, NULL, OPT_NO_NEW_PRIVS },
		{ "cap", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct runtime_exec_opts o = { 0 };
	size_t env_count = 0, cap_count = 0;
	optind = 1;
	int c;
	/* "+" stops at the first non-option: everything after the id belongs to the command. */
	while ((c = getopt_long(argc, argv, "+p:tdw:e:u:c:P:C:h", options, NULL)) != -1) {
		switch (c) {
		case 'p': o.process_file = optarg; break;
		case 't': o.tty = true; break;
		case 'd': o.detach = true; break;
		case 'w': o.cwd = optarg; break;
		case 'e': o.env = push(o.env, &env_count, optarg); break;
		case 'u': o.user = optarg; break;
		case 'c': o.console_socket = optarg; break;
		case 'P': o.pid_file = optarg; break;
		case 'C': o.caps = push(o.caps, &cap_count, optarg); break;
		case OPT_PRESERVE_FDS: o.preserve_fds = atoi(optarg); break;
		case OPT_NO_NEW_PRIVS: o.no_new_privs = true; break;
		case 'h':
			printf("Usage: cocoon-runtime exec [--process FILE | OPTIONS] ID [COMMAND [ARG...]]\n"
			       "  --tty --detach --cwd DIR --env K=V --user UID[:GID] --console-socket PATH\n"
			       "  --pid-file FILE --preserve-fds N --no-new-privs\n");
			return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		cli_error("cocoon-runtime", "exec needs a container id");
		free(o.env);
		free(o.caps);
		return CLI_EXIT_USAGE;
	}
	o.id = argv[optind];
	o.args = argv + optind + 1;
	struct cc_error err = { 0 };
	int status = 0;
	int r = runtime_exec(g, &o, &status, &err);
	free(o.env);
	free(o.caps);
	if (r < 0)
		return rt_fail("exec", &err);
	return status;
}
