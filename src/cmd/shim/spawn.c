/* Starting the runtime (see spawn.h). posix_spawn rather than fork and exec: the file actions and
 * the signal reset are done by libc in the child, with nothing of ours running between fork and
 * exec. Every descriptor of the monitor is O_CLOEXEC, so the child gets only 0, 1 and 2. */
#include "cmd/shim/spawn.h"

#include "cmd/shim/shim.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

char **shim_runtime_argv(const struct shim_config *cfg, const char *runtime_log, const char *const *command)
{
	size_t command_count = 0;
	while (command[command_count])
		command_count++;
	/* runtime, extra args, --root DIR, --log FILE, command, NULL */
	size_t total = 1 + cfg->runtime_arg_count + 4 + command_count + 1;
	char **argv = cc_xcalloc(total, sizeof(char *));
	size_t n = 0;
	argv[n++] = cc_xstrdup(cfg->runtime);
	for (size_t i = 0; i < cfg->runtime_arg_count; i++)
		argv[n++] = cc_xstrdup(cfg->runtime_args[i]);
	argv[n++] = cc_xstrdup("--root");
	argv[n++] = cc_xstrdup(cfg->runtime_root);
	argv[n++] = cc_xstrdup("--log");
	argv[n++] = cc_xstrdup(runtime_log);
	for (size_t i = 0; i < command_count; i++)
		argv[n++] = cc_xstrdup(command[i]);
	argv[n] = NULL;
	return argv;
}

void shim_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}

int shim_spawn(char *const *argv, int in_fd, int out_fd, int err_fd, pid_t *ret_pid, struct cc_error *err)
{
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attr;
	if (posix_spawn_file_actions_init(&actions) != 0)
		return cc_error_set(err, ENOMEM, "prepare to start `%s`", argv[0]);
	cc_process_spawnattr_init(&attr, 0);
	if (in_fd >= 0)
		posix_spawn_file_actions_adddup2(&actions, in_fd, 0);
	else
		posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
	posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
	pid_t pid;
	int r = strchr(argv[0], '/') ? posix_spawn(&pid, argv[0], &actions, &attr, argv, environ)
				     : posix_spawnp(&pid, argv[0], &actions, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	posix_spawnattr_destroy(&attr);
	if (r != 0)
		return cc_error_set_errno(err, r, "start the runtime `%s`", argv[0]);
	*ret_pid = pid;
	return 0;
}
