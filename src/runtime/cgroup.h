/* Control groups for containers on cgroup v1, v2 and hybrid hosts. Only the directories this
 * runtime creates are ever written or removed; the result of setup is a map from hierarchy
 * ("memory", "cpu", ..., "unified") to the container's directory, stored in the state so later
 * commands touch exactly those. */
#pragma once

#include "runtime/spec.h"

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

struct cc_error;

enum runtime_cgroup_mode {
	RUNTIME_CGROUP_LEGACY,  /* v1 only */
	RUNTIME_CGROUP_HYBRID,  /* v1 controllers, v2 mounted at /sys/fs/cgroup/unified */
	RUNTIME_CGROUP_UNIFIED, /* v2 only */
};

enum runtime_cgroup_mode runtime_cgroup_mode(void);

/* Converts cgroupsPath (absolute, relative, or systemd "slice:prefix:name") into the path below
 * each hierarchy root. A missing path gives /cocoon/<id>. */
char *runtime_cgroup_relative_path(const char *cgroups_path, const char *id);

/* Creates the container's cgroups, applies resources and moves pid in. *ret_paths receives the map. */
int runtime_cgroup_setup(const char *relative, const struct runtime_resources *res, pid_t pid, json_t **ret_paths,
			 struct cc_error *err);

/* Creates the container's cgroup directories (the map above), without limits or processes. */
int runtime_cgroup_make(const char *relative, json_t **ret_paths, struct cc_error *err);
/* Applies the resources (and the devices filter) to the cgroups in paths. */
int runtime_cgroup_apply(const json_t *paths, const struct runtime_resources *res, struct cc_error *err);

/* Both: creates the container's cgroups and applies resources, without moving a process in. */
int runtime_cgroup_create(const char *relative, const struct runtime_resources *res, json_t **ret_paths,
			  struct cc_error *err);

/* Creates the container's cgroup on the v2 hierarchy (unified host, or hybrid host's unified mount) ahead
 * of the rest, so that the init is cloned straight into it (clone3 CLONE_INTO_CGROUP): *ret_fd is an
 * O_PATH descriptor of the directory and *ret_dir its path, or -1 and NULL on a v1-only host. */
int runtime_cgroup_open_v2(const char *relative, int *ret_fd, char **ret_dir, struct cc_error *err);

/* What a single-threaded process writes "0" into to move itself into its cgroups, opened by the
 * runtime: v1's `tasks` (and v2's cgroup.procs unless the process was cloned into it). Why the init
 * moves itself: moving another process, or a whole thread group, takes the kernel's global
 * threadgroup lock for writing, and that waits for an RCU grace period (5-15 ms here, on the path of
 * every create); a thread that moves itself through `tasks` does not take it. */
struct runtime_cgroup_self_join {
	int fds[16];
	size_t count;
};
int runtime_cgroup_open_self_join(const json_t *paths, bool v2_joined, struct runtime_cgroup_self_join *ret,
				  struct cc_error *err);
void runtime_cgroup_self_join_clear(struct runtime_cgroup_self_join *j);
/* In the process that moves: one of those descriptors. */
int runtime_cgroup_join_self(int fd, struct cc_error *err);
/* Opens and writes them all, in a process that can still see the host's cgroup tree. */
int runtime_cgroup_join_self_all(const json_t *paths, bool v2_joined, struct cc_error *err);

/* *ret_fd: an O_PATH descriptor of the v2 cgroup in paths, or -1 when there is none. */
int runtime_cgroup_open_v2_of(const json_t *paths, int *ret_fd, struct cc_error *err);

/* fork(2) with clone flags (namespaces), into the v2 cgroup at cgroup_fd when there is one and the
 * kernel can (clone3 CLONE_INTO_CGROUP, Linux 5.7): *ret_joined says whether it did. */
pid_t runtime_cgroup_clone_into(unsigned long flags, int cgroup_fd, bool *ret_joined);

/* Moves pid into the cgroups in paths from outside (cgroup.procs): what create does when hooks that
 * run before start may look at the init's cgroups. */
int runtime_cgroup_join(const json_t *paths, pid_t pid, struct cc_error *err);

/* Sends sig to every process in the container's cgroups. */
void runtime_cgroup_kill_all(const json_t *paths, int sig);

/* Lists the pids in the container (first hierarchy that has a cgroup.procs). */
int runtime_cgroup_pids(const json_t *paths, pid_t **ret, size_t *ret_count, struct cc_error *err);

int runtime_cgroup_freeze(const json_t *paths, bool freeze, struct cc_error *err);

/* Removes the directories, waiting briefly for exiting processes to leave. */
int runtime_cgroup_destroy(const json_t *paths, struct cc_error *err);
