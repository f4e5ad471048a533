/* Resolving paths inside a root directory (a container rootfs, an image layer) without ever
 * leaving it. Symlinks and ".." are interpreted as if the root were "/", which closes the classic
 * runtime escapes (CVE-2018-15664, CVE-2021-30465, CVE-2024-21626). The kernel does this for us with
 * openat2(RESOLVE_IN_ROOT) (Linux 5.6+); older kernels get an equivalent walk in user space. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct cc_error;

/* Opens path (absolute or relative; both are taken relative to root_fd) with open(2) flags and
 * mode. Returns a new fd or a negative errno with the reason in err. O_CLOEXEC is always added. */
int cc_path_open_in_root(int root_fd, const char *path, int flags, mode_t mode, struct cc_error *err);

/* Like cc_path_open_in_root, forcing the user-space walk; for tests and old kernels. */
int cc_path_open_in_root_walk(int root_fd, const char *path, int flags, mode_t mode, struct cc_error *err);

/* True when this kernel supports openat2(RESOLVE_IN_ROOT). */
bool cc_path_have_openat2(void);

/* Creates every missing directory of path inside root_fd (like mkdir -p, confined to the root) and
 * returns an O_PATH|O_DIRECTORY fd to the last one. */
int cc_path_mkdir_in_root(int root_fd, const char *path, mode_t mode, struct cc_error *err);
