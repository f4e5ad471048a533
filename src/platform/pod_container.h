/* One instance of a pod's container on this node: its bundle (config.json and an overlayfs rootfs
 * over the image's layers), started through cocoon-shim (which owns its output and records its exit)
 * and driven through cocoon-runtime's OCI command line. Each restart is a new instance with a new
 * id, a fresh writable layer and its own log file, as kubelet does it.
 *
 *   BUNDLE/config.json   on the runner's tmpfs: it holds the container's environment (secrets)
 *   BUNDLE/shim.pid      the monitor; alive while the container runs
 *   BUNDLE/exit.json     written by the monitor when the container has exited
 *   DIR/rootfs (overlay), DIR/upper, DIR/work   on disk: the writable layer can be large */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct cc_error;

struct pod_runtime_tools {
	const char *runtime;      /* cocoon-runtime */
	const char *runtime_root; /* its --root */
	const char *shim;         /* cocoon-shim */
};

struct pod_instance_spec {
	const char *id;       /* runtime container id */
	const char *bundle;   /* config.json and the monitor's files (memory) */
	const char *dir;      /* the rootfs and its writable layer (disk) */
	const char *log_path; /* CRI-format log */
	char **layers;        /* image layers, bottom first */
	size_t n_layers;
	json_t *config;  /* config.json; root.path is set here */
	bool stdin;      /* the container has a stdin (BUNDLE/stdin, a FIFO `kubectl attach -i` writes to) */
	bool stdin_once; /* which ends when the first attacher's does */
};

/* Writes the bundle, mounts the rootfs and starts the container through the shim. *ret_pid is the
 * container's init. On failure nothing is left running or mounted. */
int pod_instance_start(const struct pod_runtime_tools *tools, const struct pod_instance_spec *spec, pid_t *ret_pid,
		       struct cc_error *err);

/* What create would measure of the instance (cocoon-runtime measure --record): the config written
 * to bundle (a directory on the runner's tmpfs) with root.path the instance's rootfs to be (made,
 * empty, so that the same config is measured again at create), the measurement recorded and
 * extended ahead of the launch; *ret is the runtime's answer ({container, measurement, parts,
 * recorded}). */
int pod_instance_measure(const struct pod_runtime_tools *tools, const char *id, const char *bundle, const char *rootfs,
			 json_t *config, json_t **ret, struct cc_error *err);

struct pod_instance_exit {
	int exit_code;
	int signal;
	char reason[32];
	int64_t started_ns, finished_ns;
};

/* 1 when the instance has exited (*ret filled), 0 while it runs, -ESRCH when neither its monitor
 * nor an exit record exists (lost: a crash between start and the monitor's record). */
int pod_instance_poll(const char *bundle, struct pod_instance_exit *ret);
/* Sends sig to the container's processes (cocoon-runtime kill --all). */
int pod_instance_signal(const struct pod_runtime_tools *tools, const char *id, const char *sig, struct cc_error *err);
/* After exit: unmounts the rootfs and removes the instance's directories (the log stays). */
void pod_instance_remove(const struct pod_runtime_tools *tools, const char *id, const char *bundle, const char *dir);
