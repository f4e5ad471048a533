/* The OCI runtime-spec configuration (config.json) as the runtime uses it. Parsing validates every
 * field it reads and names the offending one ("process.args[0] must be a string"), because a
 * config comes from whoever calls the runtime (podman, containerd, a Kubernetes node). */
#pragma once

#include "lib/base/cleanup.h"

#include <jansson.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct cc_error;

#define RUNTIME_SPEC_MAX_SIZE (4u * 1024 * 1024)

/* Time namespaces came with Linux 5.6; older glibc <sched.h> headers lack the flag, so it is named
 * once here for clone flags, setns and unshare (the value is the kernel's, linux/sched.h). */
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

enum runtime_ns {
	RUNTIME_NS_PID,
	RUNTIME_NS_NETWORK,
	RUNTIME_NS_MOUNT,
	RUNTIME_NS_IPC,
	RUNTIME_NS_UTS,
	RUNTIME_NS_USER,
	RUNTIME_NS_CGROUP,
	RUNTIME_NS_TIME,
	RUNTIME_NS_MAX, /* invalid */
};

struct runtime_namespace {
	bool enabled;
	char *path; /* join this namespace instead of creating one */
};

struct runtime_id_map {
	uint32_t container_id, host_id, size;
};

struct runtime_mount {
	char *destination;
	char *type;
	char *source;
	unsigned long flags;       /* MS_* from options */
	unsigned long propagation; /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC) or 0 */
	bool bind;
	bool recursive_ro; /* "rro" */
	bool tmpcopyup;    /* tmpfs: the image's files at the destination copied in (see tree_copy.h) */
	/* An idmapped bind mount ("idmap"/"ridmap", or uidMappings and gidMappings): files show through
	 * these mappings, or the container's own where none are given (see idmap_mount.h). */
	bool idmap;
	bool idmap_recursive; /* "ridmap": submounts idmapped too */
	struct runtime_id_map *uid_maps, *gid_maps;
	size_t uid_map_count, gid_map_count;
	char *data; /* options that are not flags, comma-joined */
};

struct runtime_rlimit {
	int resource;
	uint64_t soft, hard;
};

struct runtime_device {
	char *path;
	char type; /* c, b, u, p */
	int64_t major, minor;
	uint32_t mode;
	uid_t uid;
	gid_t gid;
};

/* Capability sets as bitmasks over capability numbers. */
struct runtime_caps {
	uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct runtime_resources {
	int64_t memory_limit;       /* bytes, -1 unset */
	int64_t memory_swap;        /* bytes (memory+swap), -1 unset */
	int64_t memory_reservation; /* bytes, -1 unset */
	int64_t cpu_shares;         /* -1 unset */
	int64_t cpu_quota;          /* -1 unset */
	int64_t cpu_period;         /* -1 unset */
	char *cpuset_cpus;
	char *cpuset_mems;
	int64_t pids_limit; /* -1 unset, 0 means unset too (runc) */
	int64_t blkio_weight;
	json_t *unified;   /* linux.resources.unified (cgroup v2 files), borrowed */
	json_t *devices;   /* linux.resources.devices (device cgroup rules), borrowed */
	json_t *hugepages; /* linux.resources.hugepageLimits, borrowed */
};

struct runtime_hook {
	char *path;
	char **args; /* NULL-terminated */
	char **env;
	int timeout; /* seconds, 0 none */
};

enum runtime_hook_kind {
	RUNTIME_HOOK_PRESTART,
	RUNTIME_HOOK_CREATE_RUNTIME,
	RUNTIME_HOOK_CREATE_CONTAINER,
	RUNTIME_HOOK_START_CONTAINER,
	RUNTIME_HOOK_POSTSTART,
	RUNTIME_HOOK_POSTSTOP,
	RUNTIME_HOOK_KIND_MAX,
};

struct runtime_process {
	bool terminal;
	uid_t uid;
	gid_t gid;
	gid_t *additional_gids;
	size_t additional_gid_count;
	int umask; /* -1 unset */
	char **args;
	char **env;
	char *cwd;
	bool has_caps;
	struct runtime_caps caps;
	struct runtime_rlimit *rlimits;
	size_t rlimit_count;
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj;
	char *apparmor_profile;
	char *selinux_label;
};

struct runtime_spec {
	json_t *json; /* the whole document, owned */
	char *oci_version;
	char *root_path; /* absolute (resolved against the bundle) */
	bool root_readonly;
	char *hostname;
	char *domainname;
	struct runtime_process process;
	struct runtime_mount *mounts;
	size_t mount_count;
	struct runtime_namespace namespaces[RUNTIME_NS_MAX];
	struct runtime_id_map *uid_maps, *gid_maps;
	size_t uid_map_count, gid_map_count;
	struct runtime_device *devices;
	size_t device_count;
	char *cgroups_path;
	struct runtime_resources resources;
	json_t *sysctl;  /* object, borrowed */
	json_t *seccomp; /* object, borrowed, or NULL */
	char **masked_paths;
	char **readonly_paths;
	unsigned long rootfs_propagation;
	char *mount_label;
	struct runtime_hook *hooks[RUNTIME_HOOK_KIND_MAX];
	size_t hook_count[RUNTIME_HOOK_KIND_MAX];
	json_t *annotations; /* object, borrowed, may be NULL */
};

const char *runtime_ns_name(enum runtime_ns ns);
int runtime_ns_clone_flag(enum runtime_ns ns);

/* Capability name ("CAP_SYS_ADMIN") to number, -1 when unknown to this runtime. */
int runtime_cap_from_name(const char *name);
const char *runtime_cap_name(int cap);
int runtime_cap_last(void);

/* Loads <bundle>/config.json. */
int runtime_spec_load(const char *bundle, struct runtime_spec **ret, struct cc_error *err);
/* Parses a config document; bundle resolves a relative root.path. Takes a reference to json. */
int runtime_spec_parse(json_t *json, const char *bundle, struct runtime_spec **ret, struct cc_error *err);
void runtime_spec_free(struct runtime_spec *spec);
CC_DEFINE_CLEANUP_FUNC(struct runtime_spec *, runtime_spec_free)

const char *runtime_spec_annotation(const struct runtime_spec *spec, const char *key);

/* The default config that `spec` writes (runc's defaults: sh, masked paths, default caps). */
json_t *runtime_spec_default(bool rootless);
