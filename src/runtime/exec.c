/* runtime exec: a new process inside a running container. It joins the init's namespaces and
 * cgroups and gets the container's seccomp filter, capabilities and profile, with the process
 * fields (args, env, cwd, user, terminal) from --process or the command line. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"
#include "lib/event/emit.h"
#include "lib/json/json.h"
#include "runtime/cgroup.h"
#include "runtime/cgroup_join.h"
#include "runtime/container.h"
#include "runtime/init.h"
#include "runtime/profile.h"
#include "runtime/spec.h"
#include "runtime/sync.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* Builds the process object: the container's own, with the command line's changes applied. */
static int exec_process(const struct runtime_exec_opts *o, const json_t *config_process, json_t **ret,
			struct cc_error *err)
{
	if (o->process_file) {
		int r = cc_json_load_file(o->process_file, 1u << 20, ret, err);
		return r < 0 ? cc_error_prefix(err, "--process") : 0;
	}
	if (!o->args || !o->args[0])
		return cc_error_set(err, EINVAL, "exec needs a command (or --process FILE)");
	json_t *p = config_process ? json_deep_copy(config_process) : json_object();
	json_t *args = json_array();
	for (char **a = o->args; *a; a++)
		json_array_append_new(args, json_string(*a));
	json_object_set_new(p, "args", args);
	json_object_set_new(p, "terminal", json_boolean(o->tty));
	if (o->cwd)
		json_object_set_new(p, "cwd", json_string(o->cwd));
	json_t *env = json_object_get(p, "env");
	if (!json_is_array(env)) {
		env = json_array();
		json_object_set_new(p, "env", env);
	}
	for (char **e = o->env; e && *e; e++)
		json_array_append_new(env, json_string(*e));
	if (o->user) {
		char *end;
		unsigned long uid = strtoul(o->user, &end, 10);
		unsigned long gid = *end == ':' ? strtoul(end + 1, &end, 10) : 0;
		if (*end != '\0' || end == o->user) {
			json_decref(p);
			return cc_error_set(err, EINVAL, "--user `%s` must be UID[:GID]", o->user);
		}
		json_object_set_new(p, "user", json_pack("{s:I, s:I}", "uid", (json_int_t)uid, "gid", (json_int_t)gid));
	}
	if (o->no_new_privs)
		json_object_set_new(p, "noNewPrivileges", json_true());
	*ret = p;
	return 0;
}

static int join_namespaces_of(pid_t pid, bool pid_only, struct cc_error *err)
{
	static const struct {
		const char *name;
		int flag;
	} order[] = {
		{ "user", CLONE_NEWUSER }, { "ipc", CLONE_NEWIPC },       { "uts", CLONE_NEWUTS },
		{ "net", CLONE_NEWNET },   { "cgroup", CLONE_NEWCGROUP }, { "mnt", CLONE_NEWNS },
	};
	if (pid_only) {
		_cleanup_free_ char *path = cc_xasprintf("/proc/%d/ns/pid", (int)pid);
		_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWPID) < 0)
			return cc_error_set_errno(err, errno, "join the container's pid namespace");
		return 0;
	}
	for (size_t i = 0; i < CC_ARRAY_SIZE(order); i++) {
		_cleanup_free_ char *mine = cc_xasprintf("/proc/self/ns/%s", order[i].name);
		_cleanup_free_ char *theirs = cc_xasprintf("/proc/%d/ns/%s", (int)pid, order[i].name);
		char a[64] = "", b[64] = "";
		/* Joining the namespace we are already in would fail for user namespaces: skip it. */
		if (readlink(mine, a, sizeof(a) - 1) > 0 && readlink(theirs, b, sizeof(b) - 1) > 0 && strcmp(a, b) == 0)
			continue;
		_cleanup_close_ int fd = open(theirs, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, order[i].flag) < 0)
			return cc_error_set_errno(err, errno, "join the container's %s namespace", order[i].name);
	}
	return 0;
}

static void emit_exec(const char *id, const json_t *process, enum cc_event_verdict verdict, const char *reason)
{
	json_t *args = json_object_get(process, "args");
	runtime_emit("container.exec", id, verdict,
		     verdict == CC_VERDICT_ALLOW ? CC_SEVERITY_NOTICE : CC_SEVERITY_WARNING, reason,
		     args ? json_pack("{s:O}", "args", args) : NULL);
}

/* The container's config with the exec'd process in place of its own, parsed, and refused when the
 * container's profile would refuse it; *ret_process is that process object (for the event). */
static int load_exec_spec(const struct runtime_state *st, const struct runtime_exec_opts *o, json_t **ret_process,
			  struct runtime_spec **ret_spec, struct cc_error *err)
{
	_cleanup_free_ char *config_path = cc_xasprintf("%s/config.json", st->bundle);
	_cleanup_json_ json_t *config = NULL;
	_cleanup_json_ json_t *process = NULL;
	_cleanup_(runtime_spec_freep) struct runtime_spec *spec = NULL;
	int r;
	if ((r = cc_json_load_file(config_path, RUNTIME_SPEC_MAX_SIZE, &config, err)) < 0 ||
	    (r = exec_process(o, json_object_get(config, "process"), &process, err)) < 0)
		return r;
	json_object_set(config, "process", process);
	if ((r = runtime_spec_parse(config, st->bundle, &spec, err)) < 0)
		return r;
	if (spec->process.terminal && !o->console_socket)
		return cc_error_set(err, EINVAL, "--tty needs --console-socket");
	if (st->profile) {
		_cleanup_buf_ struct cc_buf report = CC_BUF_INIT;
		if ((r = runtime_profile_confidential(spec, &report, err)) < 0)
			return r;
	}
	*ret_process = CC_TAKE_PTR(process);
	*ret_spec = CC_TAKE_PTR(spec);
	return 0;
}

/* Forks the exec'd process, into the container's v2 cgroup when it can. It enters the container's
 * pid namespace through us (setns on a pid namespace applies to children), moves itself into the
 * container's other cgroups (see cgroup_join.h: the runtime moving it was an RCU grace
 * period), joins the other namespaces, and runs runtime_init_main without rootfs setup; the parent
 * keeps the sync socket in *ret_sync_fd. */
static int fork_exec_process(const struct runtime_state *st, const struct runtime_spec *spec,
			     const struct runtime_exec_opts *o, const struct runtime_seccomp_program *filters,
			     pid_t *ret_pid, int *ret_sync_fd, struct cc_error *err)
{
	_cleanup_close_ int v2_cgroup = -1;
	int r = join_namespaces_of(st->pid, true, err);
	if (r < 0 || (r = runtime_cgroup_open_v2_of(st->cgroup_paths, &v2_cgroup, err)) < 0)
		return r;
	int pair[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
		return cc_error_set_errno(err, errno, "create sync socket");
	fflush(NULL);
	bool v2_joined;
	pid_t pid = runtime_cgroup_clone_into(0, v2_cgroup, &v2_joined);
	if (pid < 0) {
		r = cc_error_set_errno(err, errno, "fork");
		close(pair[0]);
		close(pair[1]);
		return r;
	}
	if (pid == 0) {
		close(pair[0]);
		struct cc_error child_err = { 0 };
		if (runtime_cgroup_join_self_all(st->cgroup_paths, v2_joined, &child_err) < 0 ||
		    join_namespaces_of(st->pid, false, &child_err) < 0) {
			runtime_sync_send(pair[1], RUNTIME_SYNC_ERROR, cc_error_message(&child_err), -1);
			_exit(1);
		}
		struct runtime_init_args args = { .spec = spec,
						  .sync_fd = pair[1],
						  .fifo_fd = -1,
						  .preserve_fds = o->preserve_fds,
						  .confidential = st->profile != NULL,
						  .filter = &filters[0],
						  .confidential_filter = &filters[1],
						  .join_only = true,
						  .die_with_runtime = !o->detach };
		runtime_init_main(&args);
	}
	close(pair[1]);
	*ret_pid = pid;
	*ret_sync_fd = pair[0];
	return 0;
}

/* Sends GO to the process (in the container's cgroups by now) and serves it (its terminal goes to
 * --console-socket) until it is ready. */
static int run_exec_setup(const struct runtime_exec_opts *o, int sync_fd, struct cc_error *err)
{
	int r = 0;
	if ((r = runtime_sync_send_or_why(sync_fd, RUNTIME_SYNC_GO, NULL, -1, "the exec process exited before setup",
					  err)) < 0)
		return r;
	/* As for create: READY, then the process's last steps until it closes its end. */
	for (bool ready = false;;) {
		struct runtime_sync_msg msg;
		int fd = -1;
		if (runtime_sync_recv(sync_fd, &msg, &fd) < 0) {
			if (ready)
				return 0;
			return cc_error_set(err, EPIPE, "the exec process exited during setup");
		}
		if (msg.type == RUNTIME_SYNC_READY) {
			ready = true;
			continue;
		}
		if (msg.type == RUNTIME_SYNC_ERROR)
			r = cc_error_set(err, EPERM, "%s", msg.text);
		else if (msg.type == RUNTIME_SYNC_PTY && fd >= 0)
			r = runtime_send_fd(o->console_socket, fd, msg.text, err);
		if (fd >= 0)
			close(fd);
		if (r < 0)
			return r;
	}
}

/* A shell-style status: the exit code, or 128+N for signal N. */
static int wait_exit_status(pid_t pid)
{
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int runtime_exec(const struct runtime_globals *g, const struct runtime_exec_opts *o, int *ret_status,
		 struct cc_error *err)
{
	_cleanup_(runtime_state_freep) struct runtime_state *st = NULL;
	_cleanup_(runtime_spec_freep) struct runtime_spec *spec = NULL;
	_cleanup_json_ json_t *process = NULL;
	int r = runtime_state_load(g->root, o->id, &st, err);
	if (r < 0)
		return r;
	enum runtime_status status = runtime_state_status(st);
	if (status != RUNTIME_STATUS_RUNNING && status != RUNTIME_STATUS_CREATED)
		return cc_error_set(err, EINVAL, "container `%s` is %s: cannot exec into it", o->id,
				    runtime_status_name(status));
	pid_t pid;
	int sync_fd;
	struct runtime_seccomp_program filters[2] = { 0 };
	if ((r = load_exec_spec(st, o, &process, &spec, err)) == 0 &&
	    (r = runtime_seccomp_programs_prepare(spec, st->profile != NULL, g->root, &filters[0], &filters[1], err)) ==
		0)
		r = fork_exec_process(st, spec, o, filters, &pid, &sync_fd, err);
	runtime_seccomp_program_clear(&filters[0]);
	runtime_seccomp_program_clear(&filters[1]);
	if (r < 0)
		return r;
	r = run_exec_setup(o, sync_fd, err);
	close(sync_fd);
	if (r < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		emit_exec(o->id, process, CC_VERDICT_ERROR, cc_error_message(err));
		return r;
	}
	emit_exec(o->id, process, CC_VERDICT_ALLOW, "process started in the container");
	if (o->pid_file)
		runtime_write_pid_file(o->pid_file, pid, NULL);
	*ret_status = o->detach ? 0 : wait_exit_status(pid);
	return 0;
}
