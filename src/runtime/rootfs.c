/* Container filesystem setup. Every mount target is opened with cc_path_open_in_root (openat2
 * RESOLVE_IN_ROOT) and mounted through /proc/self/fd/N, so a symlink planted in the image (the
 * CVE-2021-30465 class) can only ever point back inside the rootfs. */
#include "runtime/rootfs.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/base/safepath.h"
#include "runtime/tree_copy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

const char *const runtime_default_masked_paths[] = {
	"/proc/acpi",
	"/proc/asound",
	"/proc/kcore",
	"/proc/keys",
	"/proc/latency_stats",
	"/proc/timer_list",
	"/proc/timer_stats",
	"/proc/sched_debug",
	"/proc/scsi",
	"/sys/firmware",
	"/sys/devices/virtual/powercap",
	NULL,
};

const char *const runtime_default_readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

static char *fd_path(int fd)
{
	return cc_xasprintf("/proc/self/fd/%d", fd);
}

/* Opens (creating if needed) the mount target inside root: a directory, or for a file source an
 * empty file, as runc does for bind mounts of files. */
static int open_target(int root_fd, const char *dest, bool file, struct cc_error *err)
{
	if (!file)
		return cc_path_mkdir_in_root(root_fd, dest, 0755, err);
	_cleanup_free_ char *parent = cc_xstrdup(dest);
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		int dir = cc_path_mkdir_in_root(root_fd, parent, 0755, err);
		if (dir < 0)
			return dir;
		close(dir);
	}
	int fd = cc_path_open_in_root(root_fd, dest, O_PATH, 0, NULL);
	if (fd >= 0)
		return fd;
	fd = cc_path_open_in_root(root_fd, dest, O_WRONLY | O_CREAT | O_NOCTTY, 0644, err);
	if (fd < 0)
		return fd;
	close(fd);
	return cc_path_open_in_root(root_fd, dest, O_PATH, 0, err);
}

static bool source_is_file(const struct runtime_mount *m)
{
	struct stat st;
	return m->bind && stat(m->source, &st) == 0 && !S_ISDIR(st.st_mode);
}

/* One v1 hierarchy (a line of /proc/self/cgroup: controllers, "name=NAME", or "" for the unified
 * one) mounted by type at p, read-only. In a cgroup namespace the kernel roots it at the namespace's
 * root, which is the container's own cgroup. */
static int mount_hierarchy_in_cgroupns(const char *controllers, const char *p)
{
	unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY;
	if (!*controllers)
		return mount("cgroup2", p, "cgroup2", flags, NULL);
	_cleanup_free_ char *options =
	    strncmp(controllers, "name=", 5) == 0 ? cc_xasprintf("none,%s", controllers) : cc_xstrdup(controllers);
	return mount("cgroup", p, "cgroup", flags, options);
}

/* v1/hybrid hosts: a read-only tmpfs with each hierarchy of the container in it, like runc.
 * v2: a cgroup2 mount (the cgroup namespace scopes it). */
static int mount_cgroup(int root_fd, const struct runtime_mount *m, int target, bool own_cgroupns, struct cc_error *err)
{
	_cleanup_free_ char *path = fd_path(target);
	struct stat st;
	if (stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0) {
		if (mount("cgroup2", path, "cgroup2", m->flags & ~MS_BIND, NULL) < 0)
			return cc_error_set_errno(err, errno, "mount cgroup2 on `%s`", m->destination);
		return 0;
	}
	if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
		return cc_error_set_errno(err, errno, "mount tmpfs for cgroups on `%s`", m->destination);
	/* Bind each hierarchy's view of our own cgroup (from /proc/self/cgroup) read-only. */
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[4096];
	while (f && fgets(line, sizeof(line), f)) {
		char *controllers = strchr(line, ':');
		char *cgpath = controllers ? strchr(controllers + 1, ':') : NULL;
		if (!cgpath)
			continue;
		*cgpath++ = '\0';
		controllers++;
		cgpath[strcspn(cgpath, "\n")] = '\0';
		const char *name = *controllers ? controllers : "unified";
		if (strncmp(name, "name=", 5) == 0)
			name += 5;
		_cleanup_free_ char *host = cc_xasprintf("/sys/fs/cgroup/%s%s", name, cgpath);
		_cleanup_free_ char *dest = cc_xasprintf("%s/%s", m->destination, name);
		if (access(host, F_OK) != 0 && !own_cgroupns)
			continue;
		int fd = cc_path_mkdir_in_root(root_fd, dest, 0755, NULL);
		if (fd < 0)
			continue;
		_cleanup_free_ char *p = fd_path(fd);
		/* In a cgroup namespace of the container's own, each hierarchy is mounted by type (binding
		 * the host's directory would need its path outside the namespace); otherwise our
		 * cgroup's directory is bound, then made read-only through the new mount. */
		if (own_cgroupns)
			mount_hierarchy_in_cgroupns(controllers, p);
		else if (mount(host, p, NULL, MS_BIND, NULL) == 0) {
			int top = cc_path_open_in_root(root_fd, dest, O_PATH, 0, NULL);
			_cleanup_free_ char *q = top >= 0 ? fd_path(top) : NULL;
			if (q)
				mount(NULL, q, NULL,
				      MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
			if (top >= 0)
				close(top);
		}
		close(fd);
	}
	if (f)
		fclose(f);
	if (m->flags & MS_RDONLY) {
		_cleanup_close_ int top = cc_path_open_in_root(root_fd, m->destination, O_PATH, 0, err);
		if (top < 0)
			return top;
		_cleanup_free_ char *p = fd_path(top);
		if (mount(NULL, p, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
			return cc_error_set_errno(err, errno, "make `%s` read-only", m->destination);
	}
	return 0;
}

/* An fd opened before a mount refers to what was underneath; reopen to reach the new mount. */
static int reopen_target(int root_fd, int *target, const char *dest, struct cc_error *err)
{
	int fd = cc_path_open_in_root(root_fd, dest, O_PATH, 0, err);
	if (fd < 0)
		return fd;
	close(*target);
	*target = fd;
	return 0;
}

/* A tmpfs holding a copy of what it covers: the directory is opened before the mount (a descriptor
 * keeps reaching what is underneath), the tmpfs mounted writable, filled, then given its flags. */
static int mount_tmpfs_copied_up(int root_fd, const struct runtime_mount *m, int *target, struct cc_error *err)
{
	_cleanup_close_ int below = cc_path_open_in_root(root_fd, m->destination, O_RDONLY | O_DIRECTORY, 0, err);
	if (below < 0)
		return cc_error_prefix(err, "tmpcopyup");
	_cleanup_free_ char *path = fd_path(*target);
	const char *data = m->data && m->data[0] ? m->data : NULL;
	if (mount(m->source, path, "tmpfs", m->flags & ~(MS_REMOUNT | MS_RDONLY), data) < 0)
		return cc_error_set_errno(err, errno, "mount tmpfs on `%s` (options `%s`)", m->destination,
					  data ? data : "");
	_cleanup_close_ int top = cc_path_open_in_root(root_fd, m->destination, O_RDONLY | O_DIRECTORY, 0, err);
	if (top < 0)
		return -err->code;
	int r = runtime_tree_copy(below, top, m->destination, err);
	if (r < 0)
		return r;
	if (reopen_target(root_fd, target, m->destination, err) < 0)
		return -err->code;
	if (m->flags & MS_RDONLY) {
		_cleanup_free_ char *mounted = fd_path(*target);
		if (mount(NULL, mounted, NULL, MS_REMOUNT | (m->flags & ~MS_REMOUNT), data) < 0)
			return cc_error_set_errno(err, errno, "make tmpfs `%s` read-only", m->destination);
	}
	return 0;
}

/* The source of a bind mount at the target: a bind of the path, or the tree the runtime prepared. */
static int bind_source(const struct runtime_mount *m, int tree, int target, const char *path, struct cc_error *err)
{
	if (tree < 0) {
		if (mount(m->source, path, NULL, MS_BIND | (m->flags & MS_REC), NULL) < 0)
			return cc_error_set_errno(err, errno, "bind mount `%s` on `%s`", m->source, m->destination);
		return 0;
	}
	/* Both ends as descriptors: a /proc/self/fd path as the target is refused (EINVAL). */
	if (syscall(SYS_move_mount, tree, "", target, "",
		    0x4 /* MOVE_MOUNT_F_EMPTY_PATH */ | 0x40 /* MOVE_MOUNT_T_EMPTY_PATH */) < 0)
		return cc_error_set_errno(err, errno, "attach the idmapped mount of `%s` on `%s`", m->source,
					  m->destination);
	return 0;
}

static int mount_one(int root_fd, const struct runtime_mount *m, int tree, bool own_cgroupns, struct cc_error *err)
{
	bool file = source_is_file(m);
	_cleanup_close_ int target = open_target(root_fd, m->destination, file, err);
	if (target < 0)
		return cc_error_prefix(err, "mount `%s`", m->destination);
	if (strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0)
		return mount_cgroup(root_fd, m, target, own_cgroupns, err);
	_cleanup_free_ char *path = fd_path(target);
	unsigned long flags = m->flags;
	if (m->bind) {
		/* Bind first; flags such as ro/nosuid only take effect in a remount. */
		if (bind_source(m, tree, target, path, err) < 0)
			return -err->code;
		if (reopen_target(root_fd, &target, m->destination, err) < 0)
			return -err->code;
		free(path);
		path = fd_path(target);
		unsigned long extra = flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
		if (extra && mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | extra, NULL) < 0)
			return cc_error_set_errno(err, errno, "apply options to bind mount `%s`", m->destination);
		if (m->recursive_ro) {
			/* mount_setattr(2) with AT_RECURSIVE makes submounts read-only too (Linux 5.12). */
			struct {
				uint64_t set, clr, propagation, userns;
			} attr = { 0x1 /* MOUNT_ATTR_RDONLY */, 0, 0, 0 };
			if (syscall(442 /* SYS_mount_setattr */, target, "",
				    0x1000 /* AT_EMPTY_PATH */ | 0x8000 /* AT_RECURSIVE */, &attr, sizeof(attr)) < 0)
				return cc_error_set_errno(err, errno, "make `%s` recursively read-only",
							  m->destination);
		}
	} else if (m->tmpcopyup && strcmp(m->type, "tmpfs") == 0) {
		int r = mount_tmpfs_copied_up(root_fd, m, &target, err);
		if (r < 0)
			return r;
		free(path);
		path = fd_path(target);
	} else {
		const char *data = m->data;
		if (m->data && m->data[0] == '\0')
			data = NULL;
		if (mount(m->source, path, m->type, flags & ~MS_REMOUNT, data) < 0) {
			/* mqueue and sysfs cannot be mounted in some namespace combinations: fall back to
			 * a bind of the host's, as runc does for sysfs without a network namespace. */
			if ((strcmp(m->type, "sysfs") == 0 || strcmp(m->type, "mqueue") == 0) &&
			    (errno == EPERM || errno == EBUSY)) {
				const char *host = strcmp(m->type, "sysfs") == 0 ? "/sys" : "/dev/mqueue";
				if (mount(host, path, NULL, MS_BIND | MS_REC, NULL) == 0) {
					mount(NULL, path, NULL,
					      MS_BIND | MS_REMOUNT | MS_RDONLY |
						  (flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC)),
					      NULL);
					return 0;
				}
			}
			return cc_error_set_errno(err, errno, "mount %s on `%s` (options `%s`)", m->type,
						  m->destination, data ? data : "");
		}
		if (m->propagation) {
			if (reopen_target(root_fd, &target, m->destination, err) < 0)
				return -err->code;
			free(path);
			path = fd_path(target);
		}
	}
	if (m->propagation && mount(NULL, path, NULL, m->propagation, NULL) < 0)
		return cc_error_set_errno(err, errno, "set propagation of `%s`", m->destination);
	return 0;
}

static bool has_mount_at(const struct runtime_spec *spec, const char *dest)
{
	for (size_t i = 0; i < spec->mount_count; i++)
		if (strcmp(spec->mounts[i].destination, dest) == 0)
			return true;
	return false;
}

/* The devices every container gets (runtime-spec config-linux.md "Default Devices"), bound from the
 * host: mknod is not allowed in user namespaces, and a bind works everywhere. */
/* Whether /dev is a tmpfs of the container's own (the config's mount there), where device nodes may
 * be made: never in a directory bound from the host. */
static bool dev_is_own_tmpfs(const struct runtime_spec *spec)
{
	for (size_t i = spec->mount_count; i-- > 0;)
		if (strcmp(spec->mounts[i].destination, "/dev") == 0)
			return strcmp(spec->mounts[i].type, "tmpfs") == 0 && !spec->mounts[i].bind;
	return false;
}

static int create_default_devices(int root_fd, const struct runtime_spec *spec, struct cc_error *err)
{
	static const struct {
		const char *path;
		unsigned major, minor;
	} devices[] = { { "/dev/null", 1, 3 },   { "/dev/zero", 1, 5 },    { "/dev/full", 1, 7 },
			{ "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 } };
	/* mknod, as runc makes them (0666, root's), where it is allowed: one call instead of a bind and
	 * a remount each. In a user namespace the host's nodes are bound instead. */
	bool make_nodes = !spec->namespaces[RUNTIME_NS_USER].enabled && dev_is_own_tmpfs(spec);
	_cleanup_close_ int dev_dir =
	    make_nodes ? cc_path_open_in_root(root_fd, "/dev", O_PATH | O_DIRECTORY, 0, NULL) : -1;
	for (size_t i = 0; i < CC_ARRAY_SIZE(devices); i++) {
		const char *name = devices[i].path + strlen("/dev/");
		if (dev_dir >= 0 &&
		    mknodat(dev_dir, name, S_IFCHR | 0666, makedev(devices[i].major, devices[i].minor)) == 0) {
			fchmodat(dev_dir, name, 0666, 0); /* whatever the umask took */
			continue;
		}
		struct runtime_mount m = { .destination = (char *)devices[i].path,
					   .source = (char *)devices[i].path,
					   .type = "bind",
					   .bind = true,
					   .flags = MS_BIND | MS_NOSUID | MS_NOEXEC };
		int r = mount_one(root_fd, &m, -1, false, err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < spec->device_count; i++) {
		const struct runtime_device *d = &spec->devices[i];
		_cleanup_free_ char *parent = cc_xstrdup(d->path);
		*strrchr(parent, '/') = '\0';
		_cleanup_close_ int dir = cc_path_mkdir_in_root(root_fd, *parent ? parent : "/", 0755, err);
		if (dir < 0)
			return dir;
		const char *name = strrchr(d->path, '/') + 1;
		mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
		unlinkat(dir, name, 0);
		if (mknodat(dir, name, type | (d->mode & 07777), makedev((unsigned)d->major, (unsigned)d->minor)) < 0) {
			/* In a user namespace mknod fails: bind the host node instead. */
			struct runtime_mount m = { .destination = d->path,
						   .source = d->path,
						   .type = "bind",
						   .bind = true,
						   .flags = MS_BIND };
			int r = mount_one(root_fd, &m, -1, false, err);
			if (r < 0)
				return cc_error_prefix(err, "device `%s`", d->path);
			continue;
		}
		fchownat(dir, name, d->uid, d->gid, 0);
	}
	/* Links every Linux program expects in /dev. */
	static const char *const links[][2] = {
		{ "/proc/self/fd", "fd" },       { "/proc/self/fd/0", "stdin" }, { "/proc/self/fd/1", "stdout" },
		{ "/proc/self/fd/2", "stderr" }, { "/proc/kcore", "core" },
	};
	_cleanup_close_ int dev = cc_path_open_in_root(root_fd, "/dev", O_PATH | O_DIRECTORY, 0, err);
	if (dev < 0)
		return dev;
	for (size_t i = 0; i < CC_ARRAY_SIZE(links); i++)
		symlinkat(links[i][0], dev, links[i][1]);
	if (has_mount_at(spec, "/dev/pts")) {
		unlinkat(dev, "ptmx", 0);
		symlinkat("pts/ptmx", dev, "ptmx");
	}
	return 0;
}

/* Whether the destination of mount i lies under an earlier mount's: the init creates it inside that
 * filesystem, not in the rootfs. */
static bool nested_in_earlier_mount(const struct runtime_spec *spec, size_t i)
{
	const char *dest = spec->mounts[i].destination;
	for (size_t j = 0; j < i; j++) {
		const char *outer = spec->mounts[j].destination;
		size_t len = strlen(outer);
		while (len > 1 && outer[len - 1] == '/')
			len--;
		if (strncmp(dest, outer, len) == 0 && (dest[len] == '/' || dest[len] == '\0' || len == 1))
			return true;
	}
	return false;
}

/* Whether some existing component of path inside root is a symlink: where it leads may be under a
 * mount, which only the init can tell. */
static bool crosses_symlink(int root_fd, const char *path)
{
	_cleanup_free_ char *copy = cc_xstrdup(path);
	_cleanup_close_ int dir = dup(root_fd);
	char *save = NULL;
	for (char *name = strtok_r(copy, "/", &save); name && dir >= 0; name = strtok_r(NULL, "/", &save)) {
		struct stat st;
		if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return false; /* missing from here on: it will be created */
		if (S_ISLNK(st.st_mode) || strcmp(name, "..") == 0)
			return true;
		int next = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		close(dir);
		dir = next;
	}
	return dir < 0;
}

int runtime_rootfs_create_mount_points(const struct runtime_spec *spec, struct cc_error *err)
{
	_cleanup_close_ int root_fd = open(spec->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return cc_error_set_errno(err, errno, "open rootfs `%s`", spec->root_path);
	for (size_t i = 0; i < spec->mount_count; i++) {
		const struct runtime_mount *m = &spec->mounts[i];
		if (nested_in_earlier_mount(spec, i))
			continue;
		if (crosses_symlink(root_fd, m->destination))
			return cc_error_set(err, ELOOP, "mount `%s` is reached through a symlink", m->destination);
		int fd = open_target(root_fd, m->destination, source_is_file(m), err);
		if (fd < 0)
			return fd;
		close(fd);
	}
	return 0;
}

int runtime_rootfs_prepare(const struct runtime_spec *spec, const int *mount_fds,
			   const struct runtime_rootfs_steps *steps, struct cc_error *err)
{
	/* Nothing we mount may propagate back to the host. */
	unsigned long propagation = spec->rootfs_propagation ? spec->rootfs_propagation : MS_SLAVE | MS_REC;
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return cc_error_set_errno(err, errno, "make the mount namespace a slave of the host");
	/* pivot_root needs the new root to be a mount point. */
	if (mount(spec->root_path, spec->root_path, NULL, MS_BIND | MS_REC, NULL) < 0)
		return cc_error_set_errno(err, errno, "bind mount rootfs `%s`", spec->root_path);
	_cleanup_close_ int root_fd = open(spec->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return cc_error_set_errno(err, errno, "open rootfs `%s`", spec->root_path);
	/* made by the init before this (runtime_init_main) when the config asks for a new one */
	bool own_cgroupns = spec->namespaces[RUNTIME_NS_CGROUP].enabled && !spec->namespaces[RUNTIME_NS_CGROUP].path;
	for (size_t i = 0; i < spec->mount_count; i++) {
		const struct runtime_mount *m = &spec->mounts[i];
		bool cgroup = strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0;
		int r = cgroup && steps->before_cgroup_mount ? steps->before_cgroup_mount(steps->arg, err) : 0;
		if (r == 0)
			r = mount_one(root_fd, m, mount_fds ? mount_fds[i] : -1, own_cgroupns, err);
		if (r < 0)
			return r;
	}
	if (has_mount_at(spec, "/dev")) {
		int r = create_default_devices(root_fd, spec, err);
		if (r < 0)
			return r;
	}
	if (steps->before_pivot) {
		int r = steps->before_pivot(steps->arg, err);
		if (r < 0)
			return r;
	}
	/* pivot_root(".", ".") then detach the old root: the old root is stacked under the new one
	 * and lazily unmounted, without needing a directory for it inside the image. */
	_cleanup_close_ int old_root = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (fchdir(root_fd) < 0)
		return cc_error_set_errno(err, errno, "enter rootfs");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return cc_error_set_errno(err, errno, "pivot_root into `%s`", spec->root_path);
	if (fchdir(old_root) < 0 || mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0 || umount2(".", MNT_DETACH) < 0)
		return cc_error_set_errno(err, errno, "detach the host's root");
	if (chdir("/") < 0)
		return cc_error_set_errno(err, errno, "chdir to the new root");
	if (mount(NULL, "/", NULL, propagation, NULL) < 0)
		return cc_error_set_errno(err, errno, "set rootfs propagation");
	return 0;
}

static int mask_path(const char *path, struct cc_error *err)
{
	_cleanup_close_ int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : cc_error_set_errno(err, errno, "open masked path `%s`", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return cc_error_set_errno(err, errno, "stat masked path `%s`", path);
	_cleanup_free_ char *target = fd_path(fd);
	int r = S_ISDIR(st.st_mode) ? mount("tmpfs", target, "tmpfs", MS_RDONLY, "size=0k,mode=0500")
				    : mount("/dev/null", target, NULL, MS_BIND, NULL);
	if (r < 0 && errno != ENOENT)
		return cc_error_set_errno(err, errno, "mask `%s`", path);
	return 0;
}

static int readonly_path(const char *path, struct cc_error *err)
{
	_cleanup_close_ int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : cc_error_set_errno(err, errno, "open read-only path `%s`", path);
	_cleanup_free_ char *target = fd_path(fd);
	if (mount(target, target, NULL, MS_BIND | MS_REC, NULL) < 0)
		return cc_error_set_errno(err, errno, "bind read-only path `%s`", path);
	/* Re-open the new mount, then remount it read-only keeping nosuid/nodev/noexec as they were. */
	_cleanup_close_ int fd2 = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_free_ char *target2 = fd_path(fd2);
	if (mount(NULL, target2, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 &&
	    mount(NULL, target2, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
		return cc_error_set_errno(err, errno, "make `%s` read-only", path);
	return 0;
}

int runtime_rootfs_finalize(const struct runtime_spec *spec, struct cc_error *err)
{
	for (char **p = spec->masked_paths; p && *p; p++) {
		int r = mask_path(*p, err);
		if (r < 0)
			return r;
	}
	for (char **p = spec->readonly_paths; p && *p; p++) {
		int r = readonly_path(*p, err);
		if (r < 0)
			return r;
	}
	if (spec->root_readonly && mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
		return cc_error_set_errno(err, errno, "make the root filesystem read-only");
	return 0;
}
