/* The OCI lifecycle operations behind cocoon-runtime's commands (runtime-spec runtime.md
 * "Operations"), with the state kept under the global --root directory. */
#pragma once

#include "lib/event/event.h"
#include "runtime/state.h"

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

struct cc_error;

struct runtime_globals {
	const char *root;            /* state directory (default /run/cocoon-runtime) */
	bool systemd_cgroup;         /* accepted; cgroupfs is used with the systemd path notation */
	const char *measurement_log; /* default <root>/measurements.jsonl */
};

struct runtime_create_opts {
	const char *id;
	const char *bundle;
	const char *pid_file;
	const char *console_socket;
	int preserve_fds;
	bool no_pivot;
	bool no_new_keyring;
	const char *profile; /* --profile; overrides the annotation when stricter */
};

int runtime_create(const struct runtime_globals *g, const struct runtime_create_opts *o, struct cc_error *err);
/* The measurement create would take of the bundle (its profile applied), without creating anything:
 * *ret is {container, measurement, parts, recorded}. record: appended to the measurement log and
 * extended into the TPM as create does, so that a node can attest to what it is about to launch
 * before it asks for the keys the launch needs (a pod's volume key); create records it again. */
int runtime_measure_only(const struct runtime_globals *g, const struct runtime_create_opts *o, bool record,
			 json_t **ret, struct cc_error *err);
int runtime_start(const struct runtime_globals *g, const char *id, struct cc_error *err);
/* create + start; without detach, waits and returns the exit status (128+signal for a signal). */
int runtime_run(const struct runtime_globals *g, const struct runtime_create_opts *o, bool detach, bool keep,
		int *ret_status, struct cc_error *err);
int runtime_kill(const struct runtime_globals *g, const char *id, int sig, bool all, struct cc_error *err);
int runtime_delete(const struct runtime_globals *g, const char *id, bool force, struct cc_error *err);
int runtime_pause(const struct runtime_globals *g, const char *id, bool pause, struct cc_error *err);

struct runtime_exec_opts {
	const char *id;
	const char *process_file; /* --process: a runtime-spec process JSON */
	char **args;              /* when no process file */
	char **env;               /* --env additions */
	const char *cwd;
	const char *user; /* "uid[:gid]" */
	bool tty;
	bool detach;
	const char *console_socket;
	const char *pid_file;
	int preserve_fds;
	bool no_new_privs;
	char **caps; /* --cap additions */
};

int runtime_exec(const struct runtime_globals *g, const struct runtime_exec_opts *o, int *ret_status,
		 struct cc_error *err);

/* Emits a runtime security event about container id: actor the caller's uid, object
 * "container/<id>", extra (stolen, may be NULL) as its extra fields. */
void runtime_emit(const char *action, const char *id, enum cc_event_verdict verdict, enum cc_event_severity severity,
		  const char *reason, json_t *extra);

/* Writes pid in decimal to path (--pid-file of create, run and exec), replacing it atomically. */
int runtime_write_pid_file(const char *path, pid_t pid, struct cc_error *err);

/* Parses "KILL", "SIGKILL" or "9"; -1 when unknown. */
int runtime_signal_from_string(const char *s);
