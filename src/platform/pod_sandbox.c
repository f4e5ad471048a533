/* Pinned namespaces of a pod (see pod_sandbox.h). A forked child unshares the three namespaces
 * and waits; the parent bind-mounts /proc/CHILD/ns/{net,ipc,uts} onto empty files, then lets the
 * child go. The child runs only system calls between fork and _exit (the daemon is threaded). */
#include "platform/pod_sandbox.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define NSFS_MAGIC 0x6e736673

static const char *const kinds[] = { "net", "ipc", "uts" };

static void child(int ready, int go, const char *hostname)
{
	char ok = 1;
	if (unshare(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) < 0 || sethostname(hostname, strlen(hostname)) < 0)
		ok = 0;
	if (write(ready, &ok, 1) != 1)
		_exit(1);
	if (read(go, &ok, 1) < 0)
		_exit(1);
	_exit(0);
}

static int pin(const char *dir, pid_t pid, struct cc_error *err)
{
	for (size_t i = 0; i < 3; i++) {
		char source[64];
		snprintf(source, sizeof(source), "/proc/%d/ns/%s", (int)pid, kinds[i]);
		_cleanup_free_ char *target = cc_xasprintf("%s/%s", dir, kinds[i]);
		int fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0400);
		if (fd < 0)
			return cc_error_set_errno(err, errno, "create `%s`", target);
		close(fd);
		if (mount(source, target, NULL, MS_BIND, NULL) < 0)
			return cc_error_set_errno(err, errno, "pin the pod's %s namespace at `%s`", kinds[i], target);
	}
	return 0;
}

int pod_sandbox_create(const char *dir, const char *hostname, struct cc_error *err)
{
	int r = cc_mkdir_p(dir, 0700, err);
	if (r < 0)
		return r;
	int ready[2], go[2];
	if (pipe2(ready, O_CLOEXEC) < 0)
		return cc_error_set_errno(err, errno, "pipe");
	if (pipe2(go, O_CLOEXEC) < 0) {
		close(ready[0]), close(ready[1]);
		return cc_error_set_errno(err, errno, "pipe");
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(ready[0]), close(go[1]);
		child(ready[1], go[0], hostname);
	}
	close(ready[1]), close(go[0]);
	if (pid < 0) {
		close(ready[0]), close(go[1]);
		return cc_error_set_errno(err, errno, "fork the pod's namespace holder");
	}
	char ok = 0;
	if (read(ready[0], &ok, 1) != 1 || !ok)
		r = cc_error_set(err, EPERM, "create the pod's network, IPC and UTS namespaces (needs root)");
	else
		r = pin(dir, pid, err);
	close(ready[0]);
	close(go[1]); /* the child's read returns: it exits */
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		pod_sandbox_destroy(dir);
	return r;
}

bool pod_sandbox_pinned(const char *dir)
{
	_cleanup_free_ char *net = cc_xasprintf("%s/net", dir);
	struct statfs fs;
	return statfs(net, &fs) == 0 && fs.f_type == NSFS_MAGIC;
}

void pod_sandbox_destroy(const char *dir)
{
	for (size_t i = 0; i < 3; i++) {
		_cleanup_free_ char *target = cc_xasprintf("%s/%s", dir, kinds[i]);
		umount2(target, MNT_DETACH);
		unlink(target);
	}
}
