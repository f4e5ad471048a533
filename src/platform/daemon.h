/* cocoond: the single-machine platform daemon. It serves the Kubernetes API (platform/api.h) and the
 * node API over mutual TLS and the local unix socket (HTTP and gRPC health), keeps the API objects in
 * lib/store (<data_dir>/state.db unless a store is given), writes an admin kubeconfig, and records each
 * connection's authentication as a security event in <data_dir>/events.jsonl. */
#pragma once

#include <stdbool.h>

struct cc_error;

struct platform_daemon_config {
	const char *listen;      /* TCP API address, e.g. 127.0.0.1:7443 */
	const char *data_dir;    /* state; the PKI lives in <data_dir>/pki unless given */
	const char *socket_path; /* local API socket; default <data_dir>/cocoond.sock */
	const char *tls_cert;    /* all three given: use them instead of the node PKI */
	const char *tls_key;
	const char *client_ca;
	const char *hosts;     /* extra names for the bootstrapped server certificate */
	const char *store_url; /* lib/store URL; default sqlite:<data_dir>/state.db */
	const char *node_name; /* this host's Node; default the host name */
	/* The Node's reserve, labels and taints, as kubelet's --system-reserved, --node-labels and
	 * --register-with-taints (node_options.h); each NULL: none. */
	const char *system_reserved, *node_labels, *node_taints;
	/* The pod runner (pods.h); run_pods false: pods are stored but not run. */
	bool run_pods;
	const char *run_dir;    /* default /run/cocoon */
	const char *log_dir;    /* default /var/log/cocoon */
	const char *image_root; /* default <data_dir>/images */
	const char *pod_subnet; /* default 10.244.0.0/16 */
	const char *bridge;     /* default cocoon0 */
	/* Image pulls (pods.h): the registries' CA bundle (NULL: the system's), and the HOST[:PORT]s
	 * reached without verifying TLS or over plain HTTP (NULL-terminated, or NULL). */
	const char *registry_ca;
	const char *const *insecure_registries;
	/* The key broker that releases pods' volume keys after the node attests (pods.h): all of
	 * kbs_url, kbs_ca and tpm_tcti, or none. */
	const char *kbs_url, *kbs_ca, *kbs_tenant; /* tenant: default "default" */
	const char *agent_state;                   /* the node's attestation key; default DATA/agent */
	const char *tpm_tcti;                      /* the node's TPM, e.g. swtpm:host=...,port=... */
	/* How often the mTLS guard's connection sets are read into mtls.connections events (seconds;
	 * 0: 60). */
	int mtls_observe_interval_s;
	/* The root key sealing the key ring that encrypts Secrets in the store (keys/root_key.h spec);
	 * default <data_dir>/secrets-root.key, made on first start. */
	const char *secrets_root_key;
	const char *audit_policy; /* an audit.k8s.io/v1 Policy file; default: Metadata for everything */
	/* OIDC issuers (oidc.h): kube-apiserver's AuthenticationConfiguration file; NULL: none. */
	const char *authentication_config;
	/* Groups from an LDAP directory (ldap_groups.h): its YAML configuration; NULL: none. */
	const char *ldap_config;
	const char *service_cidr; /* Services' virtual IPs; NULL: 10.96.0.0/16 */
	/* Pod Security for namespaces without a pod-security.kubernetes.io/enforce label: privileged,
	 * baseline or restricted (NULL: restricted). */
	const char *pod_security_default;
	/* The image scanner (image_scan.h): on unless no_image_scan. scan_db: the vulnerability
	 * database (default <data_dir>/scan/vulndb.sqlite); malware_db: ClamAV signatures or NULL;
	 * node_scan_interval_s: the host scanned every so often (0: never). */
	bool no_image_scan;
	const char *scan_db;
	const char *malware_db;
	int node_scan_interval_s;
	/* Admission by the scan verdicts and the policies (image_admission.h): a policy file or
	 * directory, or "default" for the shipped set; NULL: none. admission_allow_unscanned admits an
	 * image without a verdict (with a warning) instead of refusing it. */
	const char *admission_policy;
	bool admission_allow_unscanned;
};

/* `cocoon down` leaves this file in the data directory before it stops cocoond: the pods are
 * stopped and everything the runner made is removed, instead of being left for the next start. */
#define PLATFORM_DOWN_MARKER "down-requested"

struct platform_daemon;

/* Bootstraps the PKI and starts serving on background threads. */
int platform_daemon_start(const struct platform_daemon_config *cfg, struct platform_daemon **ret, struct cc_error *err);
/* Stops serving (running requests finish) and frees. */
void platform_daemon_stop(struct platform_daemon *d);
