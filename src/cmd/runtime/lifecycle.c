/* create, run, start, kill, delete, pause, resume: argument parsing only. */
#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/error.h"
#include "lib/base/log.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool rt_log_is_file;

int rt_fail(const char *command, const struct cc_error *err)
{
	cc_err("%s: %s", command, cc_error_message(err));
	if (rt_log_is_file)
		fprintf(stderr, "cocoon-runtime: %s: %s\n", command, cc_error_message(err));
	return CLI_EXIT_FAILURE;
}

static int need_id(const char *command, int argc, char **argv, const char **ret)
{
	if (optind != argc - 1) {
		cli_error("cocoon-runtime", "%s needs exactly one container id", command);
		return CLI_EXIT_USAGE;
	}
	*ret = argv[optind];
	return 0;
}

static int parse_create(int argc, char **argv, struct runtime_create_opts *o, bool *detach, bool *keep)
{
	enum { OPT_NO_PIVOT = 256, OPT_NO_NEW_KEYRING, OPT_PRESERVE_FDS, OPT_PROFILE, OPT_KEEP, OPT_NO_SUBREAPER };
	static const struct option options[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "console-socket", required_argument, NULL, 'c' },
		{ "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
		{ "no-pivot", no_argument, NULL, OPT_NO_PIVOT },
		{ "no-new-keyring", no_argument, NULL, OPT_NO_NEW_KEYRING },
		{ "profile", required_argument, NULL, OPT_PROFILE },
		{ "detach", no_argument, NULL, 'd' },
		{ "keep", no_argument, NULL, OPT_KEEP },
		{ "no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "b:p:c:dh", options, NULL)) != -1) {
		switch (c) {
		case 'b': o->bundle = optarg; break;
		case 'p': o->pid_file = optarg; break;
		case 'c': o->console_socket = optarg; break;
		case OPT_PRESERVE_FDS: o->preserve_fds = atoi(optarg); break;
		case OPT_NO_PIVOT: o->no_pivot = true; break;
		case OPT_NO_NEW_KEYRING: o->no_new_keyring = true; break;
		case OPT_PROFILE:
			if (strcmp(optarg, "confidential") != 0 && strcmp(optarg, "default") != 0) {
				cli_error("cocoon-runtime", "--profile must be confidential or default");
				return CLI_EXIT_USAGE;
			}
			o->profile = optarg;
			break;
		case 'd': *detach = true; break;
		case OPT_KEEP: *keep = true; break;
		case OPT_NO_SUBREAPER: break;
		case 'h':
			printf("Usage: cocoon-runtime %s [--bundle DIR] [--pid-file FILE] [--console-socket PATH]\n"
			       "       [--preserve-fds N] [--no-new-keyring] [--profile confidential]%s ID\n",
			       argv[0], strcmp(argv[0], "run") == 0 ? " [--detach] [--keep]" : "");
			exit(CLI_EXIT_OK);
		default: return CLI_EXIT_USAGE;
		}
	}
	if (o->preserve_fds < 0) {
		cli_error("cocoon-runtime", "--preserve-fds must not be negative");
		return CLI_EXIT_USAGE;
	}
	return need_id(argv[0], argc, argv, &o->id);
}

int rt_cmd_create(const struct runtime_globals *g, int argc, char **argv)
{
	struct runtime_create_opts o = { 0 };
	bool detach = false, keep = false;
	int r = parse_create(argc, argv, &o, &detach, &keep);
	if (r)
		return r;
	struct cc_error err = { 0 };
	return runtime_create(g, &o, &err) < 0 ? rt_fail("create", &err) : CLI_EXIT_OK;
}

int rt_cmd_run(const struct runtime_globals *g, int argc, char **argv)
{
	struct runtime_create_opts o = { 0 };
	bool detach = false, keep = false;
	int r = parse_create(argc, argv, &o, &detach, &keep);
	if (r)
		return r;
	struct cc_error err = { 0 };
	int status = 0;
	if (runtime_run(g, &o, detach, keep, &status, &err) < 0)
		return rt_fail("run", &err);
	return status;
}

static int simple(const char *name, int argc, char **argv, const char **ret_id, bool *ret_flag, const char *flag_name)
{
	static struct option options[] = { { NULL, no_argument, NULL, 'f' },
					   { "help", no_argument, NULL, 'h' },
					   { 0 } };
	options[0].name = flag_name ? flag_name : "help-unused";
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "fah", options, NULL)) != -1) {
		if (c == 'f' || c == 'a') {
			if (ret_flag)
				*ret_flag = true;
		} else if (c == 'h') {
			if (flag_name)
				printf("Usage: cocoon-runtime %s [--%s] ID\n", name, flag_name);
			else
				printf("Usage: cocoon-runtime %s ID\n", name);
			exit(CLI_EXIT_OK);
		} else {
			return CLI_EXIT_USAGE;
		}
	}
	return need_id(name, argc, argv, ret_id);
}

int rt_cmd_start(const struct runtime_globals *g, int argc, char **argv)
{
	const char *id;
	int r = simple("start", argc, argv, &id, NULL, NULL);
	if (r)
		return r;
	struct cc_error err = { 0 };
	return runtime_start(g, id, &err) < 0 ? rt_fail("start", &err) : CLI_EXIT_OK;
}

int rt_cmd_kill(const struct runtime_globals *g, int argc, char **argv)
{
	bool all = false;
	static const struct option options[] = { { "all", no_argument, NULL, 'a' },
						 { "help", no_argument, NULL, 'h' },
						 { 0 } };
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "ah", options, NULL)) != -1) {
		if (c == 'a')
			all = true;
		else if (c == 'h') {
			printf("Usage: cocoon-runtime kill [--all] ID [SIGNAL]   (default SIGTERM)\n");
			return CLI_EXIT_OK;
		} else
			return CLI_EXIT_USAGE;
	}
	if (optind >= argc || argc - optind > 2) {
		cli_error("cocoon-runtime", "kill needs a container id and optionally a signal");
		return CLI_EXIT_USAGE;
	}
	int sig = argc - optind == 2 ? runtime_signal_from_string(argv[optind + 1]) : SIGTERM;
	if (sig < 0) {
		cli_error("cocoon-runtime", "unknown signal `%s`", argv[optind + 1]);
		return CLI_EXIT_USAGE;
	}
	struct cc_error err = { 0 };
	return runtime_kill(g, argv[optind], sig, all, &err) < 0 ? rt_fail("kill", &err) : CLI_EXIT_OK;
}

int rt_cmd_delete(const struct runtime_globals *g, int argc, char **argv)
{
	const char *id;
	bool force = false;
	int r = simple("delete", argc, argv, &id, &force, "force");
	if (r)
		return r;
	struct cc_error err = { 0 };
	return runtime_delete(g, id, force, &err) < 0 ? rt_fail("delete", &err) : CLI_EXIT_OK;
}

/* pause and resume differ only in the direction of the freeze. */
static int pause_or_resume(const struct runtime_globals *g, int argc, char **argv, bool pause)
{
	const char *command = pause ? "pause" : "resume";
	const char *id;
	int r = simple(command, argc, argv, &id, NULL, NULL);
	if (r)
		return r;
	struct cc_error err = { 0 };
	return runtime_pause(g, id, pause, &err) < 0 ? rt_fail(command, &err) : CLI_EXIT_OK;
}

int rt_cmd_pause(const struct runtime_globals *g, int argc, char **argv)
{
	return pause_or_resume(g, argc, argv, true);
}

int rt_cmd_resume(const struct runtime_globals *g, int argc, char **argv)
{
	return pause_or_resume(g, argc, argv, false);
}
