/* Running OCI hooks. */
#include "runtime/hooks.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"
#include "lib/base/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int run_one(const struct runtime_hook *hook, const char *state_json, struct cc_error *err)
{
	int in[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return cc_error_set_errno(err, errno, "create pipe for hook `%s`", hook->path);
	pid_t pid = fork();
	if (pid < 0) {
		close(in[0]);
		close(in[1]);
		return cc_error_set_errno(err, errno, "fork hook `%s`", hook->path);
	}
	if (pid == 0) {
		dup2(in[0], STDIN_FILENO);
		char *default_args[] = { hook->path, NULL };
		execve(hook->path, hook->args ? hook->args : default_args, hook->env ? hook->env : (char *[]){ NULL });
		_exit(127);
	}
	close(in[0]);
	cc_write_all(in[1], state_json, strlen(state_json));
	close(in[1]);
	int64_t deadline = hook->timeout > 0 ? cc_time_monotonic_ms() + hook->timeout * 1000LL : 0;
	int status;
	for (;;) {
		pid_t w = waitpid(pid, &status, deadline ? WNOHANG : 0);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return cc_error_set_errno(err, errno, "wait for hook `%s`", hook->path);
		if (deadline && cc_time_monotonic_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return cc_error_set(err, ETIMEDOUT, "hook `%s` did not finish within %d s", hook->path,
					    hook->timeout);
		}
		if (deadline)
			usleep(5000);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return cc_error_set(err, EIO, "hook `%s` failed (%s %d)", hook->path,
				    WIFEXITED(status) ? "exit status" : "signal",
				    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return 0;
}

int runtime_hooks_run(const struct runtime_spec *spec, enum runtime_hook_kind kind, const struct runtime_state *state,
		      struct cc_error *err)
{
	if (spec->hook_count[kind] == 0)
		return 0;
	_cleanup_free_ char *text = runtime_state_to_text(state);
	return runtime_hooks_run_json(spec, kind, text, err);
}

void runtime_hooks_run_from_bundle(const struct runtime_state *state, enum runtime_hook_kind kind)
{
	_cleanup_(runtime_spec_freep) struct runtime_spec *spec = NULL;
	if (runtime_spec_load(state->bundle, &spec, NULL) == 0)
		runtime_hooks_run(spec, kind, state, NULL);
}

int runtime_hooks_run_json(const struct runtime_spec *spec, enum runtime_hook_kind kind, const char *text,
			   struct cc_error *err)
{
	for (size_t i = 0; i < spec->hook_count[kind]; i++) {
		struct cc_error hook_err = { 0 };
		if (run_one(&spec->hooks[kind][i], text, &hook_err) < 0) {
			if (kind == RUNTIME_HOOK_POSTSTART || kind == RUNTIME_HOOK_POSTSTOP) {
				cc_warning("%s", cc_error_message(&hook_err));
				continue;
			}
			*err = hook_err;
			return -err->code;
		}
	}
	return 0;
}
