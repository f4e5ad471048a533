/* The pod runner's state, shared by its files: pods.c (the loop, the registry, persistence),
 * pod_sync.c (one pod towards its spec), pod_status.c (status and Events), pod_probe.c. */
#pragma once

#include "agent/agent.h"
#include "platform/cni.h"
#include "platform/pod_container.h"
#include "platform/pods.h"

#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct image_store;
struct pod_puller;
struct platform_resource;
struct pods_mtls_observer;

enum container_phase { CONTAINER_WAITING, CONTAINER_RUNNING, CONTAINER_TERMINATED };

struct container_state {
	char name[64];
	bool init;         /* an init container */
	char id[192];      /* current instance's runtime id ("" before the first start) */
	int restart_count; /* instances started after the first */
	int instances;     /* instances started */
	enum container_phase phase;
	char reason[64]; /* waiting or terminated reason */
	char message[1024];
	int exit_code, signal;
	int64_t started_ns, finished_ns;
	json_t *last_terminated; /* lastState.terminated of the previous instance */
	char image_id[80];       /* sha256:... of the running image */
	char image_digest[80];
	int64_t next_start_ms; /* back-off: not before this monotonic time */
	int backoff_s;
	bool ready, started;
	int probe_failures[3], probe_successes[3]; /* liveness, readiness, startup */
	int64_t next_probe_ms[3];
	bool killed_for_probe;
};

struct pod_state {
	char uid[64], namespace[254], name[254];
	char dir[PATH_MAX];     /* DATA/pods/UID */
	char run_dir[PATH_MAX]; /* RUN/pods/UID: ns/ (pinned namespaces), mem/ (tmpfs files) */
	char log_dir[PATH_MAX]; /* LOG/pods/NS_NAME_UID */
	char ip[64];
	bool spec_loaded; /* containers[] follow the spec (after a restore: merged with it) */
	bool sandbox_ready, volumes_ready;
	json_t *volumes; /* name -> {path, readOnly} */
	json_t *port_mappings;
	struct container_state *containers;
	size_t n_containers, n_init;
	int64_t start_ns;
	bool terminating;
	int64_t kill_deadline_ms;
	bool sent_term, sent_kill;
	bool torn_down;                 /* stopped and unplugged; only finalizers keep the pod in the store */
	int64_t next_volume_refresh_ms; /* CLOCK_MONOTONIC; 0: not yet scheduled */
	int64_t next_sandbox_ms;
	bool seen; /* in the store at the last pass */
	struct pod_state *next;
};

struct platform_pods {
	struct platform_pods_config cfg;
	char runtime[PATH_MAX], shim[PATH_MAX];
	char runtime_root[PATH_MAX];
	char cni_state[PATH_MAX];
	char memory_root[PATH_MAX]; /* tmpfs for Secret and ConfigMap volumes */
	char pool_dir[PATH_MAX];    /* fscrypt-capable filesystem for encrypted volumes */
	struct platform_cni_config cni;
	struct pod_runtime_tools tools;
	struct agent_config agent; /* a copy of cfg.agent, with the runtime's measurement log */
	bool have_agent;
	char measurement_log[PATH_MAX + 32];
	struct image_store *images;
	struct pod_puller *puller; /* pod_pull.c: made at the first pull */
	const struct platform_resource *pods_resource, *events_resource;
	char host_ip[64];
	pthread_t thread;
	pthread_mutex_t lock;      /* the registry: held for one pod's step at a time */
	pthread_mutex_t wake_lock; /* wake, stopping, cond: never held across a store call, so the store's
				    * observer may take it */
	pthread_cond_t cond;
	bool wake, stopping, started;
	int64_t last_pass_ms; /* CLOCK_MONOTONIC ms at the end of the last pass (atomic): health's syncloop */
	struct pod_state *pods;
	json_t *mtls_material; /* pod_mtls.c: broker tenant -> {bundle, crl, at}, the tenants' mTLS files */
	struct pods_mtls_observer *mtls_observer; /* mtls_observe.c: probes and connection events */
};

/* pod_sync.c */
void pods_sync(struct platform_pods *p, struct pod_state *ps, const json_t *pod);
/* A pod that left the store: everything of it goes. */
void pods_teardown(struct platform_pods *p, struct pod_state *ps);
/* Whether a container of any pod still runs (reading their exits). */
bool pods_any_running(struct platform_pods *p);
void pods_container_kill(struct platform_pods *p, struct pod_state *ps, struct container_state *cs, const char *sig);

/* pod_sync.c: everything a new instance of the container needs that can fail before the runtime is
 * asked (its config.json); *ret_reason is the waiting reason of a failure. */
struct image_resolved;
int pods_container_config(struct platform_pods *p, struct pod_state *ps, const json_t *pod, const json_t *spec,
			  const struct image_resolved *image, json_t **ret, const char **ret_reason,
			  struct cc_error *err);
/* DATA/pods/UID/containers/ID: an instance's rootfs and writable layer. */
char *pods_instance_dir(const struct pod_state *ps, const char *id);

/* pod_volume_key.c: the key of the pod's encrypted volumes in place (memory_root/UID/volume.key); a
 * key from the key broker only after the pod's containers are measured (and recorded) and the node
 * attested with them, so that the broker's policy judges the pod itself (pod.containers). */
int pod_volume_key(struct platform_pods *p, struct pod_state *ps, const json_t *pod, struct cc_error *err);
/* Before the node attests for a pod: the node registered in the broker tenant agent names, and
 * the pod's containers measured ahead of their launch (once; their parts pinned on the runner's
 * tmpfs), so that the quote covers them. */
int pods_attest_ready(struct platform_pods *p, struct pod_state *ps, const json_t *pod,
		      const struct agent_config *agent, struct cc_error *err);
/* A launch of a pod whose key the broker released is held to what was judged: the container's image
 * digest and profile (in its config) must be those it was measured with (-EPERM saying so). 0 for
 * pods without a broker key. */
int pod_volume_key_pinned(struct platform_pods *p, const struct pod_state *ps, const json_t *pod, const char *name,
			  const json_t *config, struct cc_error *err);

/* pod_schedule.c: which unbound pods of a list's items may start now (pod_scheduler.h), and acting
 * on it for one pod: false when it is held Pending (its Unschedulable status written). */
json_t *pods_schedule(struct platform_pods *p, const json_t *items);
bool pods_admit(struct platform_pods *p, const json_t *pod, const json_t *verdicts);

/* pod_status.c */
json_t *pods_status(struct platform_pods *p, const struct pod_state *ps, const json_t *pod);
void pods_event(struct platform_pods *p, const struct pod_state *ps, const char *container, const char *type,
		const char *reason, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* pod_probe.c: runs the due probes of a running container; may mark it for restart. */
void pods_probe(struct platform_pods *p, struct pod_state *ps, struct container_state *cs, const json_t *spec);

/* pods.c */
void pods_save(const struct pod_state *ps);
const json_t *pods_container_spec(const json_t *pod, const struct container_state *cs);
