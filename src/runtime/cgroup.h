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
/* Creates only the container's v2 cgroup (a unified host's, or a hybrid host's under unified, where
 * it is best effort): *ret_dir gets its path, or NULL when there is none. Part of
 * runtime_cgroup_make, and on its own for a process cloned straight into it. */
int runtime_cgroup_make_v2(const char *relative, char **ret_dir, struct cc_error *err);
/* Applies the resources (and the devices filter) to the cgroups in paths. */
int runtime_cgroup_apply(const json_t *paths, const struct runtime_resources *res, struct cc_error *err);

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
