/* Idmapped bind mounts (runtime-spec config.md: mounts[].uidMappings/gidMappings, options "idmap"
 * and "ridmap"; mount_setattr(2) MOUNT_ATTR_IDMAP, Linux 5.12). Setting the mapping needs privilege
 * over the user namespace that owns the source's filesystem, which a container with its own user
 * namespace lacks: the runtime prepares each mount as a detached tree, before GO, and hands it to the
 * init over the sync socket; the init attaches it with move_mount(2) at the destination. */
#pragma once

#include "runtime/spec.h"

#include <sys/types.h>

struct cc_error;

/* Writes maps to /proc/<pid>/<file> ("uid_map", "gid_map"). */
int runtime_write_id_map(pid_t pid, const char *file, const struct runtime_id_map *maps, size_t count,
			 struct cc_error *err);

/* For every idmapped mount of spec: the detached, idmapped tree sent to the init (a MOUNT_FD message
 * naming the mount's index). A mount without mappings of its own takes the container's. */
int runtime_idmap_mounts_send(const struct runtime_spec *spec, int sync_fd, struct cc_error *err);
