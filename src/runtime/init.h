/* The container's first process, between clone() and execve(): it finishes the isolation the
 * runtime started (mounts, pivot_root, hostname, sysctls, rlimits, user, capabilities,
 * no_new_privs, seccomp), reports readiness, waits for `start` on the exec FIFO, and executes the
 * workload. Errors go back to the runtime over the sync socket as one sentence. */
#pragma once

#include "runtime/seccomp_program.h"
#include "runtime/spec.h"

#include <stdbool.h>

struct runtime_init_args {
	const struct runtime_spec *spec;
	int sync_fd;
	int fifo_fd;       /* O_PATH fd of the exec FIFO; -1 to exec at once (runtime exec) */
	int preserve_fds;  /* fds 3 .. 3+n-1 stay open in the container */
	bool confidential; /* stack the confidential profile's seccomp filter */
	/* The compiled filters (see seccomp_program.h), prepared by the runtime; may be empty. */
	const struct runtime_seccomp_program *filter;
	const struct runtime_seccomp_program *confidential_filter;
	bool new_keyring;
	bool join_only; /* exec into an existing container: no rootfs setup */
	/* exec without --detach: the process is killed when the runtime dies (the runtime is what its
	 * caller, kubectl exec's bridge for one, kills to end it, possibly before it wrote the pid file). */
	bool die_with_runtime;
	const char *state_json; /* the container state for hooks; set by the init itself */
	int *mount_fds;         /* per mount: a prepared tree to attach (idmapped), or -1; set by the init */
	/* The runtime sets up the cgroups after GO, while the init builds its rootfs, and says so with
	 * CGROUPS: the init moves itself in (CGROUP_JOIN ... CGROUPS_MADE) before what depends on which
	 * cgroups it is in (a cgroup mount, a cgroup namespace), and waits for CGROUPS (the limits are
	 * set) before READY. */
	bool cgroups_after_go;
	bool cgroups_joined; /* set by the init itself */
};

_Noreturn void runtime_init_main(const struct runtime_init_args *args);

/* Finds file in the PATH of env (or the default PATH) inside the current root. Returns a malloc'd
 * path, or NULL with errno ENOENT/EACCES. */
char *runtime_find_executable(const char *file, char *const *env);
