/* Container init: runs in the child created by clone(), inside the new namespaces. */
#include "runtime/init.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "runtime/caps.h"
#include "runtime/cgroup_join.h"
#include "runtime/hooks.h"
#include "runtime/rootfs.h"
#include "runtime/seccomp_filter.h"
#include "runtime/sync.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

_Noreturn static void fail(const struct runtime_init_args *a, struct cc_error *err)
{
	runtime_sync_send(a->sync_fd, RUNTIME_SYNC_ERROR, cc_error_message(err), -1);
	_exit(1);
}

char *runtime_find_executable(const char *file, char *const *env)
{
	if (strchr(file, '/')) {
		if (access(file, X_OK) == 0)
			return cc_xstrdup(file);
		return NULL;
	}
	const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (char *const *e = env; e && *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			path = *e + 5;
	_cleanup_free_ char *copy = cc_xstrdup(path);
	char *save = NULL;
	int saved_errno = ENOENT;
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char *candidate = cc_xasprintf("%s/%s", *dir ? dir : ".", file);
		struct stat st;
		if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(candidate, X_OK) == 0)
				return candidate;
			saved_errno = EACCES;
		}
		free(candidate);
	}
	errno = saved_errno;
	return NULL;
}

static int write_sysctls(const json_t *sysctl, struct cc_error *err)
{
	const char *key;
	json_t *value;
	json_object_foreach ((json_t *)sysctl, key, value) {
		if (!json_is_string(value) || strstr(key, "..") || key[0] == '/' || key[0] == '.')
			return cc_error_set(err, EINVAL, "linux.sysctl: invalid entry `%s`", key);
		_cleanup_free_ char *path = cc_xasprintf("/proc/sys/%s", key);
		for (char *p = path + strlen("/proc/sys/"); *p; p++)
			if (*p == '.')
				*p = '/';
		_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
		const char *v = json_string_value(value);
		if (fd < 0 || write(fd, v, strlen(v)) < 0)
			return cc_error_set_errno(err, errno, "set sysctl `%s`", key);
	}
	return 0;
}

static int setup_terminal(const struct runtime_init_args *a, struct cc_error *err)
{
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return cc_error_set_errno(err, errno, "open /dev/ptmx in the container (is /dev/pts mounted?)");
	int unlock = 0;
	char name[64];
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ptsname_r(master, name, sizeof(name)) != 0)
		return cc_error_set_errno(err, errno, "set up the pseudo-terminal");
	int slave = open(name, O_RDWR | O_NOCTTY);
	if (slave < 0)
		return cc_error_set_errno(err, errno, "open `%s`", name);
	if (runtime_sync_send(a->sync_fd, RUNTIME_SYNC_PTY, name, master) < 0)
		return cc_error_set(err, EPIPE, "cannot hand the terminal to the runtime");
	close(master);
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return cc_error_set_errno(err, errno, "make `%s` the controlling terminal", name);
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			return cc_error_set_errno(err, errno, "attach the terminal");
	if (slave > 2)
		close(slave);
	return 0;
}

static int switch_user(const struct runtime_process *p, struct cc_error *err)
{
	if (setgroups(p->additional_gid_count, p->additional_gids) < 0 && errno != EPERM)
		return cc_error_set_errno(err, errno, "set supplementary groups");
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		return cc_error_set_errno(err, errno, "switch to gid %u", (unsigned)p->gid);
	if (setresuid(p->uid, p->uid, p->uid) < 0)
		return cc_error_set_errno(err, errno, "switch to uid %u", (unsigned)p->uid);
	return 0;
}

/* Which of the runtime's compiled filters (the config's, the confidential profile's) are in. */
struct pending_filter {
	bool loaded;
	bool confidential_loaded;
};

/* Loads the config's filter (unless already in) and the confidential profile's own; a notify filter
 * sends its listener fd to the runtime. */
static int load_seccomp(const struct runtime_init_args *a, struct pending_filter *f, struct cc_error *err)
{
	if (a->filter && !f->loaded) {
		int fd = runtime_seccomp_program_load(a->filter, err);
		if (fd < 0)
			return fd;
		f->loaded = true;
		if (fd > 0) {
			runtime_sync_send(a->sync_fd, RUNTIME_SYNC_SECCOMP_FD, NULL, fd);
			close(fd);
		}
	}
	if (a->confidential && a->confidential_filter && !f->confidential_loaded) {
		int r = runtime_seccomp_program_load(a->confidential_filter, err);
		if (r < 0)
			return r;
		f->confidential_loaded = true;
	}
	return 0;
}

/* createContainer hooks: in the container's namespaces, before pivot_root, so their paths are
 * still the runtime's (runtime-spec config.md "createContainer Hooks"). */
static int create_container_hooks(void *arg, struct cc_error *err)
{
	const struct runtime_init_args *a = arg;
	return runtime_hooks_run_json(a->spec, RUNTIME_HOOK_CREATE_CONTAINER, a->state_json, err);
}

/* Waits for GO: the runtime has written the id maps (and set up the cgroups, unless it sets them up
 * beside our setup: cgroups_after_go). The runtime sends the container state with it, for the hooks
 * run in here; msg keeps that text. Before GO come the trees of idmapped mounts, by mount index. */
static void wait_for_go(struct runtime_init_args *a, struct runtime_sync_msg *msg)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* if the runtime dies during create, so do we */
	size_t count = a->spec->mount_count;
	a->mount_fds = cc_xcalloc(count + 1, sizeof(int));
	for (size_t i = 0; i < count; i++)
		a->mount_fds[i] = -1;
	for (;;) {
		int fd = -1;
		if (runtime_sync_recv(a->sync_fd, msg, &fd) < 0)
			_exit(1);
		if (msg->type == RUNTIME_SYNC_GO)
			break;
		char *end;
		unsigned long index = strtoul(msg->text, &end, 10);
		if (msg->type != RUNTIME_SYNC_MOUNT_FD || fd < 0 || *end || index >= count)
			_exit(1);
		a->mount_fds[index] = fd;
	}
	prctl(PR_SET_PDEATHSIG, 0);
	a->state_json = msg->text;
}

/* When the runtime sets the cgroups up beside our setup: moves into each cgroup the runtime hands
 * over, once; what reads which cgroups we are in (a cgroup mount, a cgroup namespace) comes after.
 * arg is the init's own (mutable) copy of its args. */
static int await_cgroup_membership(void *arg, struct cc_error *err)
{
	struct runtime_init_args *a = arg;
	if (!a->cgroups_after_go || a->cgroups_joined)
		return 0;
	for (size_t joined = 0;; joined++) {
		struct runtime_sync_msg msg;
		int fd = -1;
		if (runtime_sync_recv(a->sync_fd, &msg, &fd) < 0 ||
		    (msg.type != RUNTIME_SYNC_CGROUPS_MADE && (msg.type != RUNTIME_SYNC_CGROUP_JOIN || fd < 0))) {
			if (fd >= 0)
				close(fd);
			return cc_error_set(err, EPROTO, "the runtime did not set up the container's cgroups");
		}
		if (msg.type == RUNTIME_SYNC_CGROUPS_MADE) {
			/* Every cgroup the runtime made, or none of the container's limits can be trusted. */
			if (strtoull(msg.text, NULL, 10) != joined)
				return cc_error_set(err, EPROTO, "joined %zu of the container's %s cgroups", joined,
						    msg.text);
			break;
		}
		int r = runtime_cgroup_join_self(fd, msg.text, err);
		close(fd);
		if (r < 0)
			return r;
	}
	a->cgroups_joined = true;
	return 0;
}

/* The same, and then CGROUPS: the limits are in place (before READY lets start come). */
static int await_cgroups(struct runtime_init_args *a, struct cc_error *err)
{
	if (!a->cgroups_after_go)
		return 0;
	int r = await_cgroup_membership(a, err);
	if (r < 0)
		return r;
	struct runtime_sync_msg msg;
	int fd = -1;
	if (runtime_sync_recv(a->sync_fd, &msg, &fd) < 0 || msg.type != RUNTIME_SYNC_CGROUPS) {
		if (fd >= 0)
			close(fd);
		return cc_error_set(err, EPROTO, "the runtime did not set up the container's cgroups");
	}
	a->cgroups_after_go = false;
	return 0;
}

/* A new container's own system: names, root filesystem, sysctls, keyring (not for exec). */
static int set_up_container(const struct runtime_init_args *a, struct cc_error *err)
{
	const struct runtime_spec *spec = a->spec;
	if (spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)) < 0)
		return cc_error_set_errno(err, errno, "set hostname `%s`", spec->hostname);
	if (spec->domainname && setdomainname(spec->domainname, strlen(spec->domainname)) < 0)
		return cc_error_set_errno(err, errno, "set domainname `%s`", spec->domainname);
	if (spec->namespaces[RUNTIME_NS_MOUNT].enabled) {
		struct runtime_rootfs_steps steps = { .before_cgroup_mount = await_cgroup_membership,
						      .before_pivot = create_container_hooks,
						      .arg = (void *)a };
		int r = runtime_rootfs_prepare(spec, a->mount_fds, &steps, err);
		if (r < 0)
			return r;
	} else if (chroot(spec->root_path) < 0 || chdir("/") < 0) {
		return cc_error_set_errno(err, errno, "chroot into `%s` (no mount namespace)", spec->root_path);
	}
	int r;
	if (spec->sysctl && (r = write_sysctls(spec->sysctl, err)) < 0)
		return r;
	if (spec->namespaces[RUNTIME_NS_MOUNT].enabled && (r = runtime_rootfs_finalize(spec, err)) < 0)
		return r;
	/* A fresh session keyring, so containers cannot see each other's keys (runc default). */
	if (a->new_keyring)
		syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, NULL);
	return 0;
}

/* The process's session, terminal, rlimits and AppArmor profile (applied at execve). */
static int set_up_process(const struct runtime_init_args *a, struct cc_error *err)
{
	const struct runtime_process *p = &a->spec->process;
	setsid();
	int r;
	if (p->terminal && (r = setup_terminal(a, err)) < 0)
		return r;
	for (size_t i = 0; i < p->rlimit_count; i++) {
		struct rlimit rl = { p->rlimits[i].soft, p->rlimits[i].hard };
		if (setrlimit(p->rlimits[i].resource, &rl) < 0)
			return cc_error_set_errno(err, errno, "set rlimit %d", p->rlimits[i].resource);
	}
	if (p->apparmor_profile && access("/proc/self/attr/apparmor/exec", F_OK) == 0) {
		_cleanup_close_ int fd = open("/proc/self/attr/apparmor/exec", O_WRONLY | O_CLOEXEC);
		_cleanup_free_ char *cmd = cc_xasprintf("exec %s", p->apparmor_profile);
		if (fd < 0 || write(fd, cmd, strlen(cmd)) < 0)
			return cc_error_set_errno(err, errno, "apply AppArmor profile `%s`", p->apparmor_profile);
	}
	return 0;
}

/* Resolves the executable now so a typo fails `create` with a clear message (podman maps
 * "executable file not found" to exit code 127). */
static int resolve_executable(const struct runtime_process *p, char **ret_exe, struct cc_error *err)
{
	if (!p->args || !p->args[0])
		return cc_error_set(err, EINVAL, "process.args must name the program to run");
	char *exe = runtime_find_executable(p->args[0], p->env);
	if (!exe)
		return cc_error_set(err, errno == EACCES ? EACCES : ENOENT, "exec: \"%s\": %s", p->args[0],
				    errno == EACCES ? "permission denied" : "executable file not found in $PATH");
	*ret_exe = exe;
	return 0;
}

/* Enters process.cwd, which must lie inside the container. */
static int enter_cwd(const struct runtime_process *p, struct cc_error *err)
{
	if (chdir(p->cwd) < 0)
		return cc_error_set_errno(err, errno, "chdir to process.cwd `%s`", p->cwd);
	/* CVE-2024-21626: a cwd reached through a leaked host fd shows as "(unreachable)". */
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)) || cwd[0] != '/')
		return cc_error_set(err, EPERM, "process.cwd `%s` is outside the container", p->cwd);
	return 0;
}

/* User, capabilities, umask, cwd and no_new_privs, in the order that keeps each step possible. A
 * filter loaded without no_new_privs needs CAP_SYS_ADMIN, so it goes in first (runc's order); with
 * no_new_privs it waits for the last moment before execve (see runtime_init_main). */
static int drop_privileges(const struct runtime_init_args *a, struct pending_filter *f, struct cc_error *err)
{
	const struct runtime_process *p = &a->spec->process;
	int r;
	if (!p->no_new_privileges && (r = load_seccomp(a, f, err)) < 0)
		return r;
	prctl(PR_SET_KEEPCAPS, 1);
	if ((r = switch_user(p, err)) < 0)
		return r;
	prctl(PR_SET_KEEPCAPS, 0);
	if (p->has_caps && (r = runtime_caps_apply(&p->caps, err)) < 0)
		return r;
	if (p->umask >= 0)
		umask((mode_t)p->umask);
	if ((r = enter_cwd(p, err)) < 0)
		return r;
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return cc_error_set_errno(err, errno, "set no_new_privs");
	return 0;
}

/* Every descriptor above the preserved ones is closed on exec, whatever opened it. */
static void close_inherited_fds(int preserve_fds)
{
	unsigned first_closed = 3 + (unsigned)preserve_fds;
	if (syscall(SYS_close_range, first_closed, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		for (int fd = (int)first_closed; fd < 65536; fd++)
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	for (int fd = 3; fd < (int)first_closed; fd++)
		fcntl(fd, F_SETFD, 0);
}

/* For create: waits for `start` (the init blocks opening the exec FIFO until `start` reads it) and
 * runs the startContainer hooks. The runtime may be gone by then, so failures here only exit. */
static void wait_for_start(const struct runtime_init_args *a)
{
	if (a->fifo_fd < 0)
		return;
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", a->fifo_fd);
	int fifo = open(path, O_WRONLY | O_CLOEXEC);
	if (fifo < 0 || write(fifo, "0", 1) != 1)
		_exit(1);
	close(fifo);
	/* startContainer hooks: inside the container, after start, before the workload. */
	struct cc_error err = { 0 };
	if (a->spec->hook_count[RUNTIME_HOOK_START_CONTAINER] > 0 &&
	    runtime_hooks_run_json(a->spec, RUNTIME_HOOK_START_CONTAINER, a->state_json, &err) < 0) {
		fprintf(stderr, "cocoon-runtime: %s\n", cc_error_message(&err));
		_exit(1);
	}
}

void runtime_init_main(const struct runtime_init_args *args)
{
	struct runtime_init_args local = *args;
	const struct runtime_init_args *a = &local;
	const struct runtime_process *p = &a->spec->process;
	struct cc_error err = { 0 };
	struct runtime_sync_msg msg;

	wait_for_go(&local, &msg);
	if (a->spec->namespaces[RUNTIME_NS_USER].enabled && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
		cc_error_set_errno(&err, errno, "become root in the user namespace (check uid/gid mappings)");
		fail(a, &err);
	}
	/* A new cgroup namespace is made here, not at clone: its root is the cgroup the process is in
	 * when it is made, and that must be the container's own (runc's order). */
	const struct runtime_namespace *cgroupns = &a->spec->namespaces[RUNTIME_NS_CGROUP];
	if (!a->join_only && cgroupns->enabled && !cgroupns->path &&
	    (await_cgroup_membership(&local, &err) < 0 ||
	     (unshare(CLONE_NEWCGROUP) < 0 && cc_error_set_errno(&err, errno, "make the cgroup namespace") < 0)))
		fail(a, &err);
	if (!a->join_only && set_up_container(a, &err) < 0)
		fail(a, &err);
	_cleanup_free_ char *exe = NULL;
	struct pending_filter filter = { 0 };
	if (set_up_process(a, &err) < 0 || resolve_executable(p, &exe, &err) < 0 ||
	    (p->has_caps && runtime_caps_drop_bounding(&p->caps, &err) < 0))
		fail(a, &err);
	/* A notify filter's listener fd goes over the socket, so it is loaded while the socket is open
	 * (its profile must allow sendmsg, as with runc). */
	if (a->filter && a->filter->notify) {
		if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			cc_error_set_errno(&err, errno, "set no_new_privs");
		if (err.code || load_seccomp(a, &filter, &err) < 0)
			fail(a, &err);
	}
	if (await_cgroups(&local, &err) < 0)
		fail(a, &err);
	/* READY before any other filter exists: the filter need not allow the conversation. The runtime
	 * goes on listening until the socket closes, so what fails from here on is still reported. */
	if (runtime_sync_send(a->sync_fd, RUNTIME_SYNC_READY, NULL, -1) < 0)
		_exit(1);
	if (drop_privileges(a, &filter, &err) < 0)
		fail(a, &err);
	/* After the change of user, which clears it. A runtime gone meanwhile has closed its end. */
	if (a->die_with_runtime) {
		char byte;
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || recv(a->sync_fd, &byte, 1, MSG_DONTWAIT | MSG_PEEK) == 0)
			_exit(1);
	}
	close_inherited_fds(a->preserve_fds);
	close(a->sync_fd);
	/* Under the confidential profile the startContainer hooks run filtered, as the workload does. */
	if (a->confidential && load_seccomp(a, &filter, &err) < 0) {
		fprintf(stderr, "cocoon-runtime: %s\n", cc_error_message(&err));
		_exit(1);
	}
	wait_for_start(a);
	/* With no_new_privs the filter comes last, so that as few calls as possible run under it and
	 * the startContainer hooks run before it (runc's order). */
	if (p->no_new_privileges && load_seccomp(a, &filter, &err) < 0) {
		fprintf(stderr, "cocoon-runtime: %s\n", cc_error_message(&err));
		_exit(1);
	}
	execve(exe, p->args, p->env ? p->env : (char *[]){ NULL });
	/* The runtime is gone by now: the workload's stderr is the only place left to say why. */
	fprintf(stderr, "cocoon-runtime: exec `%s`: %s\n", exe, strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}
