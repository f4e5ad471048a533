/* cocoond: argument parsing for the platform daemon; the work is in src/node/daemon.c. */
#include "cli.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/stop.h"
#include "platform/daemon.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void usage(FILE *out)
{
	fprintf(out, "Usage: cocoond [OPTIONS]\n"
		     "\n"
		     "The cocoon platform daemon for a single machine. It serves the node API over HTTPS with\n"
		     "mutual TLS (every client presents a certificate signed by the node CA) and over a local unix\n"
		     "socket (HTTP and gRPC, authenticated by the caller's uid). On first start it creates the\n"
		     "node PKI: a CA, its server certificate and an admin client certificate.\n"
		     "\n"
		     "Endpoints: the Kubernetes API under /api and /apis; GET /livez, /readyz, /healthz (checks,\n"
		     "?verbose, /NAME), GET /metrics (Prometheus), GET /version, GET /v1/whoami; gRPC\n"
		     "grpc.health.v1.Health/Check.\n"
		     "\n"
		     "Options:\n"
		     "  -l, --listen ADDR       API address (default 127.0.0.1:7443)\n"
		     "  -d, --data-dir DIR      state directory (default /var/lib/cocoon)\n"
		     "  -s, --socket PATH       local API socket (default DATA_DIR/cocoond.sock)\n"
		     "      --store URL         the API objects' store: sqlite:PATH or etcd:URL[,URL...]\n"
		     "                          (default sqlite:DATA_DIR/state.db)\n"
		     "      --hosts LIST        extra names/IPs for the bootstrapped server certificate\n"
		     "      --tls-cert FILE     use this server certificate instead of the node PKI\n"
		     "      --tls-key FILE      its private key\n"
		     "      --client-ca FILE    CA bundle that client certificates must chain to\n"
		     "      --node-name NAME    this node's name (default the host name)\n"
		     "      --system-reserved cpu=Q,memory=Q  kept for the system: the Node's allocatable is its\n"
		     "                          capacity less this, and pods are scheduled against it (default none)\n"
		     "      --node-labels K=V,...  labels of the Node (e.g. scale.cocoon.dev/block=b1 for\n"
		     "                          `cocoon scale plan --cluster`)\n"
		     "      --register-with-taints K[=V]:EFFECT,...  taints of the Node (NoSchedule,\n"
		     "                          PreferNoSchedule, NoExecute): only pods that tolerate them start\n"
		     "      --run-dir DIR       runtime state of pods: namespaces, secret tmpfs (default /run/cocoon)\n"
		     "      --log-dir DIR       container logs (default /var/log/cocoon)\n"
		     "      --image-root DIR    the image store (default DATA_DIR/images)\n"
		     "      --pod-subnet CIDR   pod addresses on the node's bridge (default 10.244.0.0/16)\n"
		     "      --bridge NAME       the node's pod bridge (default cocoon0)\n"
		     "      --service-cidr CIDR Services' virtual IPs (default 10.96.0.0/16)\n"
		     "      --registry-ca FILE  CA bundle for the registries pods' images are pulled from\n"
		     "                          (default the system's)\n"
		     "      --insecure-registry HOST[:PORT]  pull from this registry without verifying TLS, or\n"
		     "                          over plain HTTP (repeatable)\n"
		     "      --no-pods           store pods but do not run them (an API-only platform)\n"
		     "      --pod-security-default LEVEL  Pod Security for namespaces without the label\n"
		     "                          pod-security.kubernetes.io/enforce: privileged, baseline or\n"
		     "                          restricted (default restricted)\n"
		     "      --scan-db PATH      the vulnerability database images are matched against (default\n"
		     "                          DATA_DIR/scan/vulndb.sqlite; `cocoon scan db import --db PATH`)\n"
		     "      --malware-db PATH   ClamAV signatures (.hdb, .ndb, .yar, ...) every image is scanned with\n"
		     "      --no-image-scan     do not scan the images of the node's store\n"
		     "      --scan-node-interval SECONDS  also scan this host (as `cocoon scan node /`) every\n"
		     "                          SECONDS, at low priority (default 0: never)\n"
		     "      --admission-policy PATH|default  judge every new or changed workload by its images'\n"
		     "                          scan verdicts and these policies (a file or directory; `default`:\n"
		     "                          the shipped set); default: no such admission\n"
		     "      --admission-allow-unscanned  admit an image without a scan verdict, with a warning\n"
		     "                          (default: refused)\n"
		     "      --audit-policy FILE the audit policy (audit.k8s.io/v1 Policy, as kube-apiserver's\n"
		     "                          --audit-policy-file); default: Metadata for every request\n"
		     "      --authentication-config FILE  OIDC issuers for bearer tokens: kube-apiserver's\n"
		     "                          AuthenticationConfiguration (apiserver.config.k8s.io/v1beta1, v1)\n"
		     "      --ldap-config FILE  groups from an LDAP directory for OIDC and certificate users\n"
		     "                          (docs/access.md)\n"
		     "      --secrets-root-key SPEC  the root key sealing Secrets at rest: FILE or tpm:FILE\n"
		     "                          (default DATA_DIR/secrets-root.key, made on first start)\n"
		     "      --kbs URL           the key broker that releases pods' volume keys after attestation\n"
		     "      --kbs-ca FILE       its CA certificate\n"
		     "      --kbs-tenant NAME   the tenant this node belongs to (default \"default\")\n"
		     "      --agent-state DIR   the node's attestation key (default DATA_DIR/agent; made by\n"
		     "                          `cocoon attest agent register --state DIR`)\n"
		     "      --tpm TCTI          the node's TPM (e.g. device:/dev/tpmrm0); the runtime extends PCR 15\n"
		     "                          with each container's measurement there\n"
		     "      --mtls-observe-interval SECONDS  how often the mTLS guard's connection sets are read\n"
		     "                          into mtls.connections events (1 to 3600, default 60)\n"
		     "      --log-level LEVEL   debug, info, warning, error (default info)\n"
		     "      --log-format FMT    text or json (default text)\n"
		     "      --log-file FILE     log here instead of stderr\n"
		     "  -h, --help              show this help\n"
		     "  -V, --version           show the version\n"
		     "\n"
		     "Stop it with SIGTERM or SIGINT. Files: DATA_DIR/pki/{ca,server,admin}.{crt,key}.\n");
}

int main(int argc, char **argv)
{
	enum {
		OPT_HOSTS = 256,
		OPT_TLS_CERT,
		OPT_TLS_KEY,
		OPT_CLIENT_CA,
		OPT_LOG_LEVEL,
		OPT_LOG_FORMAT,
		OPT_LOG_FILE,
		OPT_RUN_DIR,
		OPT_POD_LOG_DIR,
		OPT_IMAGE_ROOT,
		OPT_POD_SUBNET,
		OPT_BRIDGE,
		OPT_NO_PODS,
		OPT_STORE,
		OPT_NODE_NAME,
		OPT_SYSTEM_RESERVED,
		OPT_NODE_LABELS,
		OPT_NODE_TAINTS,
		OPT_SECRETS_ROOT_KEY,
		OPT_AUDIT_POLICY,
		OPT_AUTHENTICATION_CONFIG,
		OPT_LDAP_CONFIG,
		OPT_SERVICE_CIDR,
		OPT_POD_SECURITY,
		OPT_KBS,
		OPT_KBS_CA,
		OPT_KBS_TENANT,
		OPT_AGENT_STATE,
		OPT_TPM,
		OPT_MTLS_OBSERVE_INTERVAL,
		OPT_REGISTRY_CA,
		OPT_INSECURE_REGISTRY,
		OPT_SCAN_DB,
		OPT_MALWARE_DB,
		OPT_NO_IMAGE_SCAN,
		OPT_SCAN_NODE_INTERVAL,
		OPT_ADMISSION_POLICY,
		OPT_ADMISSION_ALLOW_UNSCANNED
	};
	static const struct option options[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "socket", required_argument, NULL, 's' },
		{ "hosts", required_argument, NULL, OPT_HOSTS },
		{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
		{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
		{ "client-ca", required_argument, NULL, OPT_CLIENT_CA },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
		{ "log-file", required_argument, NULL, OPT_LOG_FILE },
		{ "run-dir", required_argument, NULL, OPT_RUN_DIR },
		{ "log-dir", required_argument, NULL, OPT_POD_LOG_DIR },
		{ "image-root", required_argument, NULL, OPT_IMAGE_ROOT },
		{ "pod-subnet", required_argument, NULL, OPT_POD_SUBNET },
		{ "bridge", required_argument, NULL, OPT_BRIDGE },
		{ "no-pods", no_argument, NULL, OPT_NO_PODS },
		{ "store", required_argument, NULL, OPT_STORE },
		{ "node-name", required_argument, NULL, OPT_NODE_NAME },
		{ "system-reserved", required_argument, NULL, OPT_SYSTEM_RESERVED },
		{ "node-labels", required_argument, NULL, OPT_NODE_LABELS },
		{ "register-with-taints", required_argument, NULL, OPT_NODE_TAINTS },
		{ "secrets-root-key", required_argument, NULL, OPT_SECRETS_ROOT_KEY },
		{ "audit-policy", required_argument, NULL, OPT_AUDIT_POLICY },
		{ "authentication-config", required_argument, NULL, OPT_AUTHENTICATION_CONFIG },
		{ "ldap-config", required_argument, NULL, OPT_LDAP_CONFIG },
		{ "service-cidr", required_argument, NULL, OPT_SERVICE_CIDR },
		{ "pod-security-default", required_argument, NULL, OPT_POD_SECURITY },
		{ "kbs", required_argument, NULL, OPT_KBS },
		{ "kbs-ca", required_argument, NULL, OPT_KBS_CA },
		{ "kbs-tenant", required_argument, NULL, OPT_KBS_TENANT },
		{ "mtls-observe-interval", required_argument, NULL, OPT_MTLS_OBSERVE_INTERVAL },
		{ "agent-state", required_argument, NULL, OPT_AGENT_STATE },
		{ "tpm", required_argument, NULL, OPT_TPM },
		{ "registry-ca", required_argument, NULL, OPT_REGISTRY_CA },
		{ "insecure-registry", required_argument, NULL, OPT_INSECURE_REGISTRY },
		{ "scan-db", required_argument, NULL, OPT_SCAN_DB },
		{ "malware-db", required_argument, NULL, OPT_MALWARE_DB },
		{ "no-image-scan", no_argument, NULL, OPT_NO_IMAGE_SCAN },
		{ "scan-node-interval", required_argument, NULL, OPT_SCAN_NODE_INTERVAL },
		{ "admission-policy", required_argument, NULL, OPT_ADMISSION_POLICY },
		{ "admission-allow-unscanned", no_argument, NULL, OPT_ADMISSION_ALLOW_UNSCANNED },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct platform_daemon_config cfg = { .listen = "127.0.0.1:7443",
					      .data_dir = "/var/lib/cocoon",
					      /* running pods needs root: anyone else gets the API only */
					      .run_pods = geteuid() == 0 };
	const char *log_level = NULL, *log_format = NULL, *log_file = NULL;
	_cleanup_free_ const char **insecure = NULL;
	size_t n_insecure = 0;
	int c;
	while ((c = getopt_long(argc, argv, "l:d:s:hV", options, NULL)) != -1) {
		switch (c) {
		case 'l': cfg.listen = optarg; break;
		case 'd': cfg.data_dir = optarg; break;
		case 's': cfg.socket_path = optarg; break;
		case OPT_HOSTS: cfg.hosts = optarg; break;
		case OPT_TLS_CERT: cfg.tls_cert = optarg; break;
		case OPT_TLS_KEY: cfg.tls_key = optarg; break;
		case OPT_CLIENT_CA: cfg.client_ca = optarg; break;
		case OPT_LOG_LEVEL: log_level = optarg; break;
		case OPT_LOG_FORMAT: log_format = optarg; break;
		case OPT_LOG_FILE: log_file = optarg; break;
		case OPT_RUN_DIR: cfg.run_dir = optarg; break;
		case OPT_POD_LOG_DIR: cfg.log_dir = optarg; break;
		case OPT_IMAGE_ROOT: cfg.image_root = optarg; break;
		case OPT_POD_SUBNET: cfg.pod_subnet = optarg; break;
		case OPT_BRIDGE: cfg.bridge = optarg; break;
		case OPT_NO_PODS: cfg.run_pods = false; break;
		case OPT_STORE: cfg.store_url = optarg; break;
		case OPT_NODE_NAME: cfg.node_name = optarg; break;
		case OPT_SYSTEM_RESERVED: cfg.system_reserved = optarg; break;
		case OPT_NODE_LABELS: cfg.node_labels = optarg; break;
		case OPT_NODE_TAINTS: cfg.node_taints = optarg; break;
		case OPT_SECRETS_ROOT_KEY: cfg.secrets_root_key = optarg; break;
		case OPT_AUDIT_POLICY: cfg.audit_policy = optarg; break;
		case OPT_AUTHENTICATION_CONFIG: cfg.authentication_config = optarg; break;
		case OPT_LDAP_CONFIG: cfg.ldap_config = optarg; break;
		case OPT_SERVICE_CIDR: cfg.service_cidr = optarg; break;
		case OPT_POD_SECURITY: cfg.pod_security_default = optarg; break;
		case OPT_KBS: cfg.kbs_url = optarg; break;
		case OPT_KBS_CA: cfg.kbs_ca = optarg; break;
		case OPT_KBS_TENANT: cfg.kbs_tenant = optarg; break;
		case OPT_AGENT_STATE: cfg.agent_state = optarg; break;
		case OPT_TPM: cfg.tpm_tcti = optarg; break;
		case OPT_REGISTRY_CA: cfg.registry_ca = optarg; break;
		case OPT_INSECURE_REGISTRY:
			insecure = cc_xrealloc(insecure, (n_insecure + 2) * sizeof(*insecure));
			insecure[n_insecure++] = optarg;
			insecure[n_insecure] = NULL;
			cfg.insecure_registries = insecure;
			break;
		case OPT_SCAN_DB: cfg.scan_db = optarg; break;
		case OPT_MALWARE_DB: cfg.malware_db = optarg; break;
		case OPT_NO_IMAGE_SCAN: cfg.no_image_scan = true; break;
		case OPT_SCAN_NODE_INTERVAL: {
			int64_t seconds;
			if (!cli_parse_int64(optarg, 0, 365L * 86400, &seconds)) {
				cli_error("cocoond", "--scan-node-interval takes whole seconds (0 to a year), not `%s`",
					  optarg);
				return CLI_EXIT_USAGE;
			}
			cfg.node_scan_interval_s = (int)seconds;
			break;
		}
		case OPT_MTLS_OBSERVE_INTERVAL: {
			int64_t seconds;
			if (!cli_parse_int64(optarg, 1, 3600, &seconds)) {
				cli_error("cocoond",
					  "--mtls-observe-interval takes whole seconds (1 to 3600), not `%s`", optarg);
				return CLI_EXIT_USAGE;
			}
			cfg.mtls_observe_interval_s = (int)seconds;
			break;
		}
		case OPT_ADMISSION_POLICY: cfg.admission_policy = optarg; break;
		case OPT_ADMISSION_ALLOW_UNSCANNED: cfg.admission_allow_unscanned = true; break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		case 'V': cli_print_version("cocoond", false); return CLI_EXIT_OK;
		default: fprintf(stderr, "Try 'cocoond --help'.\n"); return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_error("cocoond", "unexpected argument `%s`", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	/* The runtime cocoond starts for each container extends the node's TPM with its measurement:
	 * it reads the TPM from its environment. */
	if (cfg.tpm_tcti)
		setenv("COCOON_TPM_TCTI", cfg.tpm_tcti, 1);
	int r = cli_setup_logging("cocoond", log_level, log_format, log_file);
	if (r)
		return r;
	/* Signals stay in the command: blocked before the servers' threads start, taken here. */
	cc_stop_signals_block();
	struct cc_error err = { 0 };
	struct platform_daemon *daemon;
	if (platform_daemon_start(&cfg, &daemon, &err) < 0) {
		cli_error("cocoond", "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	cc_wait_until_stopped(0, NULL, NULL);
	platform_daemon_stop(daemon);
	return CLI_EXIT_OK;
}
