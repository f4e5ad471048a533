/* Container state on disk: <root>/<id>/state.json (written atomically) and the exec FIFO that the
 * container's init blocks on until `start`. The live status is computed from the init process
 * (pid plus its start time, so a reused pid is not mistaken for the container) and the FIFO. */
#pragma once

#include "lib/base/cleanup.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct cc_error;

#define RUNTIME_DEFAULT_ROOT "/run/cocoon-runtime"

enum runtime_status {
	RUNTIME_STATUS_CREATING,
	RUNTIME_STATUS_CREATED,
	RUNTIME_STATUS_RUNNING,
	RUNTIME_STATUS_PAUSED,
	RUNTIME_STATUS_STOPPED,
	RUNTIME_STATUS_MAX,
};

struct runtime_state {
	char *id;
	char *dir; /* <root>/<id> */
	pid_t pid;
	uint64_t pid_start_time; /* /proc/<pid>/stat field 22 */
	char *bundle;
	char *rootfs;
	int64_t created_ns;
	char *owner;
	json_t *annotations;  /* owned, may be NULL */
	json_t *cgroup_paths; /* owned: {"memory": "/sys/fs/cgroup/memory/x", ...} */
	char *measurement;    /* sha384:<hex>, or NULL */
	char *profile;        /* "confidential" or NULL */
	char *fscrypt_dir;    /* encrypted writable directory, or NULL */
	char *fscrypt_key_id; /* its fscrypt v2 key identifier (hex), or NULL */
	char *fscrypt_mount;  /* the filesystem holding it */
	bool use_terminal;
	bool late_hooks; /* poststart or poststop hooks: start and delete read the bundle's config for them */
};

const char *runtime_status_name(enum runtime_status s);

/* Container ids: 1-1024 characters of [A-Za-z0-9_+.-], not "." or "..". */
bool runtime_id_valid(const char *id);

int runtime_state_save(const struct runtime_state *st, struct cc_error *err);
int runtime_state_load(const char *root, const char *id, struct runtime_state **ret, struct cc_error *err);
void runtime_state_free(struct runtime_state *st);
CC_DEFINE_CLEANUP_FUNC(struct runtime_state *, runtime_state_free)

/* Removes the container directory dir with its state.json and exec FIFO; the one place that knows
 * what a state directory holds. */
int runtime_state_remove_dir(const char *dir, struct cc_error *err);

/* The start time of pid from /proc, or 0 when it does not exist. */
uint64_t runtime_pid_start_time(pid_t pid);
bool runtime_state_init_alive(const struct runtime_state *st);
enum runtime_status runtime_state_status(const struct runtime_state *st);

/* The OCI state document (runtime-spec runtime.md "State") plus cocoon fields. */
json_t *runtime_state_to_json(const struct runtime_state *st);
/* The same as compact JSON text (malloc'd), as hooks, the init and a seccomp listener get it. */
char *runtime_state_to_text(const struct runtime_state *st);

/* Ids of all containers under root, sorted. */
int runtime_state_list(const char *root, char ***ret_ids, size_t *ret_count, struct cc_error *err);

/* Path of the exec FIFO of a container directory. */
char *runtime_exec_fifo_path(const char *dir);
