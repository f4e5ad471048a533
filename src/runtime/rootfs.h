/* Building the container's filesystem view inside its mount namespace: the config's mounts (every
 * destination resolved inside the rootfs, never through a symlink out of it), /dev, pivot_root,
 * masked and read-only paths, a read-only root. Runs in the container's init before exec. */
#pragma once

#include "runtime/spec.h"

struct cc_error;

/* What the init does at two points of runtime_rootfs_prepare (each may be NULL). */
struct runtime_rootfs_steps {
	int (*before_cgroup_mount)(void *arg, struct cc_error *err); /* before each cgroup mount */
	int (*before_pivot)(void *arg, struct cc_error *err);        /* mounts in place: createContainer hooks */
	void *arg;
};

/* Everything up to and including pivot_root; afterwards "/" is the container's root. mount_fds
 * (may be NULL) holds per mount a detached tree the runtime prepared (an idmapped source) or -1. */
int runtime_rootfs_prepare(const struct runtime_spec *spec, const int *mount_fds,
			   const struct runtime_rootfs_steps *steps, struct cc_error *err);
/* What runtime_rootfs_prepare would create in the rootfs itself, created beforehand by the runtime: the
 * destinations of the mounts that are not inside another mount. Afterwards the init changes nothing in
 * the rootfs, so it can be measured while the init sets up. Fails (changing nothing more) when a
 * destination is reached through a symlink, or cannot be created (a read-only rootfs). */
int runtime_rootfs_create_mount_points(const struct runtime_spec *spec, struct cc_error *err);
/* After pivot_root: masked paths, read-only paths, read-only root. */
int runtime_rootfs_finalize(const struct runtime_spec *spec, struct cc_error *err);

/* runc's defaults, which the confidential profile enforces as a minimum. */
extern const char *const runtime_default_masked_paths[];
extern const char *const runtime_default_readonly_paths[];
