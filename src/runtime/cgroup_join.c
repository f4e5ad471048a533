/* Joining a container's cgroups from inside the moving process (see cgroup_join.h). */
#include "runtime/cgroup_join.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "runtime/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h> /* struct clone_args, CLONE_INTO_CGROUP */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int open_dir(const char *dir, int *ret_fd, struct cc_error *err)
{
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cc_error_set_errno(err, errno, "open cgroup `%s`", dir);
	*ret_fd = fd;
	return 0;
}

int runtime_cgroup_open_v2(const char *relative, int *ret_fd, char **ret_dir, struct cc_error *err)
{
	*ret_fd = -1;
	*ret_dir = NULL;
	_cleanup_free_ char *dir = NULL;
	int r = runtime_cgroup_make_v2(relative, &dir, err);
	if (r < 0 || !dir || (r = open_dir(dir, ret_fd, err)) < 0)
		return r;
	*ret_dir = CC_TAKE_PTR(dir);
	return 0;
}

int runtime_cgroup_open_v2_of(const json_t *paths, int *ret_fd, struct cc_error *err)
{
	*ret_fd = -1;
	const char *dir = json_string_value(json_object_get(paths, "unified"));
	return dir ? open_dir(dir, ret_fd, err) : 0;
}

/* Errors of clone3 that are not about the cgroup or the kernel's support: retrying outside the
 * cgroup would only get around its limits (pids.max) or fail the same way. */
static bool clone_resource_error(int e)
{
	return e == EAGAIN || e == ENOMEM || e == EINTR || e == ENOSPC;
}

pid_t runtime_cgroup_clone_into(unsigned long flags, int cgroup_fd, bool *ret_joined)
{
	*ret_joined = false;
	pid_t pid;
	if (cgroup_fd >= 0) {
		struct clone_args args = { .flags = flags | CLONE_INTO_CGROUP,
					   .exit_signal = SIGCHLD,
					   .cgroup = (uint64_t)cgroup_fd };
		pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
		if (pid >= 0)
			*ret_joined = true;
		else if (clone_resource_error(errno))
			return -1;
		/* Otherwise an older kernel, or a cgroup it will not clone into: the process joins it
		 * itself, and that says why if it cannot. */
	}
	if (!*ret_joined)
		pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0 && cgroup_fd >= 0)
		close(cgroup_fd);
	return pid;
}

int runtime_cgroup_each_self_join(const json_t *paths, bool v2_joined,
				  int (*fn)(void *arg, int fd, const char *dir, struct cc_error *err), void *arg,
				  struct cc_error *err)
{
	const char *name;
	json_t *value;
	json_object_foreach ((json_t *)paths, name, value) {
		bool v2 = strcmp(name, "unified") == 0;
		if (v2 && v2_joined)
			continue;
		const char *dir = json_string_value(value);
		/* v1's tasks moves one thread; v2 has no such file for a domain cgroup: cgroup.procs. */
		_cleanup_free_ char *path = cc_xasprintf("%s/%s", dir, v2 ? "cgroup.procs" : "tasks");
		_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return cc_error_set_errno(err, errno, "open `%s`", path);
		int r = fn(arg, fd, dir, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int runtime_cgroup_join_self(int fd, const char *dir, struct cc_error *err)
{
	if (write(fd, "0", 1) < 0)
		return cc_error_set_errno(err, errno, "join cgroup `%s`", dir);
	return 0;
}

static int join_one(void *arg, int fd, const char *dir, struct cc_error *err)
{
	(void)arg;
	return runtime_cgroup_join_self(fd, dir, err);
}

int runtime_cgroup_join_self_all(const json_t *paths, bool v2_joined, struct cc_error *err)
{
	return runtime_cgroup_each_self_join(paths, v2_joined, join_one, NULL, err);
}
