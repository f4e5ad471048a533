/* Idmapped mounts, the runtime's side (see idmap_mount.h). */
#include "runtime/idmap_mount.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "runtime/sync.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* From linux/mount.h, which Debian 12's glibc headers do not pull in. */
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif

struct mount_attr_args {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

int runtime_write_id_map(pid_t pid, const char *file, const struct runtime_id_map *maps, size_t count,
			 struct cc_error *err)
{
	struct cc_buf text = CC_BUF_INIT;
	for (size_t i = 0; i < count; i++)
		cc_buf_appendf(&text, "%u %u %u\n", maps[i].container_id, maps[i].host_id, maps[i].size);
	_cleanup_free_ char *path = cc_xasprintf("/proc/%d/%s", (int)pid, file);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	int r = 0;
	if (fd < 0 || write(fd, text.data ? text.data : "", text.len) < 0)
		r = cc_error_set_errno(err, errno, "write %s of the container (%s)", file,
				       text.data ? text.data : "empty");
	cc_buf_free(&text);
	return r;
}

/* A user namespace with the given maps, held by a child that only waits on a pipe (it runs no code
 * that allocates: the runtime may have another thread at this point). */
static int make_user_namespace(const struct runtime_mount *m, const struct runtime_id_map *uids, size_t uid_count,
			       const struct runtime_id_map *gids, size_t gid_count, struct cc_error *err)
{
	int hold[2];
	if (pipe2(hold, O_CLOEXEC) < 0)
		return cc_error_set_errno(err, errno, "idmapped mount `%s`: pipe", m->destination);
	pid_t pid = (pid_t)syscall(SYS_clone, (unsigned long)CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0) {
		char byte;
		close(hold[1]);
		while (read(hold[0], &byte, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(hold[0]);
	int fd = -1;
	if (pid < 0) {
		cc_error_set_errno(err, errno, "idmapped mount `%s`: create a user namespace", m->destination);
	} else if (runtime_write_id_map(pid, "uid_map", uids, uid_count, err) == 0 &&
		   runtime_write_id_map(pid, "gid_map", gids, gid_count, err) == 0) {
		_cleanup_free_ char *path = cc_xasprintf("/proc/%d/ns/user", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			cc_error_set_errno(err, errno, "idmapped mount `%s`: open its user namespace", m->destination);
	} else {
		cc_error_prefix(err, "idmapped mount `%s`", m->destination);
	}
	close(hold[1]);
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	return fd;
}

/* The source as a detached tree carrying the mapping. */
static int idmapped_tree(const struct runtime_spec *spec, const struct runtime_mount *m, struct cc_error *err)
{
	bool own = m->uid_map_count || m->gid_map_count;
	if (!own && !spec->uid_map_count)
		return cc_error_set(err, EINVAL,
				    "idmapped mount `%s` has no mappings and the container no user namespace to take "
				    "them from",
				    m->destination);
	_cleanup_close_ int userns =
	    make_user_namespace(m, own ? m->uid_maps : spec->uid_maps, own ? m->uid_map_count : spec->uid_map_count,
				own ? m->gid_maps : spec->gid_maps, own ? m->gid_map_count : spec->gid_map_count, err);
	if (userns < 0)
		return -err->code;
	bool recursive = m->idmap_recursive || (m->flags & MS_REC);
	int tree = (int)syscall(SYS_open_tree, AT_FDCWD, m->source,
				OPEN_TREE_CLONE | O_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
	if (tree < 0)
		return cc_error_set_errno(err, errno, "idmapped mount `%s`: open `%s`", m->destination, m->source);
	struct mount_attr_args attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns };
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | (m->idmap_recursive ? AT_RECURSIVE : 0), &attr,
		    sizeof(attr)) < 0) {
		int e = errno;
		close(tree);
		return cc_error_set_errno(err, e, "idmapped mount `%s`: the filesystem of `%s` refuses idmapping",
					  m->destination, m->source);
	}
	return tree;
}

int runtime_idmap_mounts_send(const struct runtime_spec *spec, int sync_fd, struct cc_error *err)
{
	for (size_t i = 0; i < spec->mount_count; i++) {
		if (!spec->mounts[i].idmap)
			continue;
		int tree = idmapped_tree(spec, &spec->mounts[i], err);
		if (tree < 0)
			return tree;
		char index[24];
		snprintf(index, sizeof(index), "%zu", i);
		int r = runtime_sync_send(sync_fd, RUNTIME_SYNC_MOUNT_FD, index, tree);
		close(tree);
		if (r < 0)
			return cc_error_set(err, EPIPE, "the container process exited before its mounts");
	}
	return 0;
}
