/* The pod runner: kubelet's part of cocoond. It runs the pods stored in the API on this node
 * through cocoon-runtime, each in a sandbox of shared namespaces on the node's CNI bridge, with its
 * volumes, its containers supervised by cocoon-shim (restartPolicy with back-off, probes,
 * graceful termination), and writes what happens back as the pod's status and as Events. After a
 * restart of cocoond it re-adopts the pods it left running: state lives in DATA/pods/UID. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct agent_config;
struct cc_error;
struct cc_http_request;
struct cc_http_response;
struct platform_objects;
struct platform_sa_tokens;
struct image_store;
struct platform_pods;

struct platform_pods_config {
	struct platform_objects *objects;
	const char *node_name;
	const char *data_dir;   /* DATA: pods/ (state, emptyDirs, bundles), cni/ */
	const char *run_dir;    /* RUN (/run/cocoon): runtime state, pinned namespaces, secret tmpfs */
	const char *log_dir;    /* LOG (/var/log/cocoon): pods/NS_NAME_UID/CONTAINER/N.log */
	const char *image_root; /* the image store; NULL: DATA/images */
	const char *runtime;    /* cocoon-runtime; NULL: next to cocoond, else PATH */
	const char *shim;       /* cocoon-shim; the same */
	const char *cni_plugin_dir;
	const char *pod_subnet;
	const char *bridge;
	/* Image pulls (pod_pull.h): the registries' CA bundle (NULL: the system store), and the
	 * HOST[:PORT]s reached without verifying TLS or over plain HTTP (NULL-terminated, or NULL). */
	const char *registry_ca;
	const char *const *insecure_registries;
	/* The node attestation agent (agent/agent.h): a pod whose annotation run.cocoon.volume.key names
	 * a key broker resource gets its volume key from the broker, after this node attested with its
	 * TPM; without it such pods wait (fail closed). NULL: no broker. measurement_log is set here. */
	const struct agent_config *agent;
	/* Issues the tokens of projected serviceAccountToken volumes (sa_tokens.h); NULL: none. */
	struct platform_sa_tokens *sa_tokens;
	/* The cluster's name server pods' resolv.conf names (dnsPolicy ClusterFirst); NULL: the node's. */
	const char *dns_ip;
	/* The `kubernetes` Service's address, for its environment variables in every container. */
	const char *api_service_ip;
	/* The service proxy's nftables table (NULL: "cocoon"), whose TABLE-mtls-connections set the mTLS
	 * observer reads (copied at start), and how often it reads the connection sets (seconds; 0: 60). */
	const char *service_table;
	int mtls_observe_interval_s;
};

int platform_pods_start(const struct platform_pods_config *cfg, struct platform_pods **ret, struct cc_error *err);
/* Stops the runner; the pods keep running (a restarted cocoond adopts them). */
void platform_pods_stop(struct platform_pods *p);
/* Stops every pod and removes what the runner created (sandboxes, addresses, mounts): `cocoon
 * down`. */
void platform_pods_stop_all(struct platform_pods *p);

/* CLOCK_MONOTONIC ms at the end of the runner's last pass (0 before the first): readiness's syncloop. */
int64_t platform_pods_last_pass_ms(struct platform_pods *p);

/* What an exec, attach or log request needs of a running container. -ESRCH when the node runs
 * no such pod, -ENOENT with the reason (no such container, not started yet) in err. */
struct platform_container_ref {
	char id[192]; /* runtime container id */
	char runtime[4096];
	char runtime_root[4096];
	char log_path[8192];     /* current instance's log */
	char previous_log[8192]; /* the previous instance's log, or "" */
	char exit_file[8192];    /* exists once the current instance has exited */
	char stdin_fifo[8192];   /* the current instance's stdin (spec stdin: true), or "" */
	char shim[4096];         /* cocoon-shim, whose `attach` follows the instance */
	bool running;
};
int platform_pods_container(struct platform_pods *p, const char *namespace, const char *pod, const char *container,
			    struct platform_container_ref *ret, struct cc_error *err);
/* The pinned network namespace of a pod this node runs (port-forward): -ESRCH when the node runs no
 * such pod, -ENOENT (why in err) while its sandbox is not ready. */
int platform_pods_netns(struct platform_pods *p, const char *namespace, const char *pod, char *ret, size_t size,
			struct cc_error *err);
