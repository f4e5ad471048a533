/* How a container's processes get into its cgroups without the kernel's global lock. Moving another
 * process into a cgroup, or a whole thread group, takes cgroup_threadgroup_rwsem for writing, which
 * waits for an RCU grace period (5-15 ms on the path of every create and exec here). Instead the
 * new process is cloned into its v2 cgroup (clone3 CLONE_INTO_CGROUP, Linux 5.7), and moves itself
 * into each v1 hierarchy by writing "0" to its `tasks` file, which moves only the calling thread
 * and takes no such lock (the process is single-threaded then, so the thread is the process). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

struct cc_error;

/* Creates the container's v2 cgroup ahead of the rest (see runtime_cgroup_make_v2): *ret_fd is an
 * O_PATH descriptor of it and *ret_dir its path, or -1 and NULL when there is none. */
int runtime_cgroup_open_v2(const char *relative, int *ret_fd, char **ret_dir, struct cc_error *err);
/* The same for the v2 cgroup already in paths (exec). */
int runtime_cgroup_open_v2_of(const json_t *paths, int *ret_fd, struct cc_error *err);

/* fork(2) with clone flags (namespaces), into the v2 cgroup at cgroup_fd when there is one and the
 * kernel can: *ret_joined says whether it did. The child's copy of cgroup_fd is closed at once: a
 * host directory must never reach a container (CVE-2024-21626). */
pid_t runtime_cgroup_clone_into(unsigned long flags, int cgroup_fd, bool *ret_joined);

/* Calls fn with each file a process writes "0" into to move itself into the cgroups in paths
 * (v1's `tasks`; v2's cgroup.procs unless it was cloned into it), opened for writing, and the
 * cgroup's directory; the descriptor is closed after. Stops at the first error. */
int runtime_cgroup_each_self_join(const json_t *paths, bool v2_joined,
				  int (*fn)(void *arg, int fd, const char *dir, struct cc_error *err), void *arg,
				  struct cc_error *err);
/* In the process that moves: one of those descriptors (dir names the cgroup in errors). */
int runtime_cgroup_join_self(int fd, const char *dir, struct cc_error *err);
/* All of them, in a process that still sees the host's cgroup tree (exec, before it enters the
 * container's namespaces). */
int runtime_cgroup_join_self_all(const json_t *paths, bool v2_joined, struct cc_error *err);
