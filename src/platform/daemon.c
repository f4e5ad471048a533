/* cocoond's daemon: bootstrap the PKI, start the TCP (mTLS) and unix socket servers; stop both.
 * Waiting for a signal is the command's business (src/cmd/cocoond.c, lib/base/stop.h). */
#include "platform/daemon.h"

#include "agent/agent.h"
#include "keys/root_key.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"
#include "lib/crypto/x509.h"
#include "lib/event/emit.h"
#include "lib/net/grpc_health.h"
#include "lib/net/server.h"
#include "lib/store/store.h"
#include "node/api.h"
#include "node/pki.h"
#include "platform/access.h"
#include "platform/admit.h"
#include "platform/api.h"
#include "platform/audit_log.h"
#include "platform/audit_policy.h"
#include "platform/authn.h"
#include "platform/bootstrap.h"
#include "platform/cluster_dns.h"
#include "platform/controllers.h"
#include "platform/exec.h"
#include "platform/health.h"
#include "platform/host_address.h"
#include "platform/kubeconfig.h"
#include "platform/ldap_groups.h"
#include "platform/metrics.h"
#include "platform/objects.h"
#include "platform/oidc.h"
#include "platform/pod_stream.h"
#include "platform/pods.h"
#include "platform/port_forward.h"
#include "platform/rbac.h"
#include "platform/resources.h"
#include "platform/sa_tokens.h"
#include "platform/scanning.h"
#include "platform/secrets_at_rest.h"
#include "platform/service_ips.h"
#include "platform/service_proxy.h"
#include "platform/tenancy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One security event per connection: who connected and whether the transport authenticated them. */
static void record_authentication(const struct cc_peer *peer, const char *reason, void *userdata)
{
	struct cc_event *ev;
	if (cc_event_new("node", "api.authenticate", &ev, NULL) < 0)
		return;
	if (peer->cert_verified) {
		cc_event_set_actor(ev, peer->common_name);
		json_t *groups = json_array();
		for (int i = 0; i < peer->group_count; i++)
			json_array_append_new(groups, json_string(peer->groups[i]));
		cc_event_set_extra(ev, "groups", groups);
		cc_event_set_extra(ev, "certificateSha256", json_string(peer->fingerprint));
	} else if (peer->have_credentials) {
		char actor[32];
		snprintf(actor, sizeof(actor), "uid:%u", (unsigned)peer->uid);
		cc_event_set_actor(ev, actor);
		cc_event_set_extra(ev, "pid", json_integer(peer->pid));
	} else {
		cc_event_set_actor(ev, "anonymous");
	}
	cc_event_set_extra(ev, "sourceAddress", json_string(peer->address));
	cc_event_set_object(ev, "node-api");
	if (reason) {
		cc_event_set_verdict(ev, CC_VERDICT_DENY, CC_SEVERITY_WARNING);
		cc_event_set_reason(ev, "%s", reason);
	} else {
		cc_event_set_verdict(ev, CC_VERDICT_ALLOW, CC_SEVERITY_INFO);
		cc_event_set_reason(ev, "%s",
				    peer->cert_verified ? "client certificate chained to the node CA"
				    : peer->have_credentials
					? "local socket peer credentials"
					: "TLS without a client certificate: each request must carry "
					  "a bearer token");
	}
	cc_event_emit(ev);
}

/* A gRPC method for authenticated transports only: a TLS client without a certificate is refused. */
static enum cc_grpc_code grpc_authenticated(struct cc_grpc_call *call, const uint8_t *request, size_t len,
					    struct cc_buf *resp, void *userdata)
{
	const struct cc_grpc_method *inner = userdata;
	if (!call->peer->cert_verified && !(call->peer->is_unix && call->peer->have_credentials))
		return cc_grpc_fail(call, CC_GRPC_UNAUTHENTICATED, "a client certificate of the node CA is required");
	return inner->handler(call, request, len, resp, inner->userdata);
}

static int directory_groups(void *ctx, struct platform_user *user, char *why, size_t size)
{
	return platform_ldap_add_groups(ctx, user, why, size);
}

static int64_t runner_last_pass(void *ctx)
{
	return platform_pods_last_pass_ms(ctx);
}

struct platform_daemon {
	struct cc_store *store;
	struct platform_objects *objects;
	struct platform_secrets_at_rest *secrets;
	enum platform_pss_level pod_security;
	struct platform_api *api;
	struct platform_controllers *controllers;
	struct platform_pods *pods;
	struct platform_exec *exec;
	struct platform_port_forward *port_forward;
	struct platform_pod_streams streams;
	char *down_marker;
	char *node_name;
	char *agent_state;
	struct platform_audit_log *audit;
	struct platform_health *healthz;
	struct platform_metrics *metrics;
	struct platform_authn *authn;
	struct platform_sa_tokens *sa_tokens;
	struct platform_oidc *oidc;
	struct platform_ldap *ldap;
	struct platform_service_ips *service_ips;
	struct platform_service_proxy *service_proxy;
	struct platform_cluster_dns *dns;
	char dns_ip[INET_ADDRSTRLEN];  /* the bridge's address: the name server and in-cluster API listen there */
	char api_vip[INET_ADDRSTRLEN]; /* the `kubernetes` Service's */
	struct cc_server *pods_server;
	char *ca_pem; /* the cluster CA, published in every namespace's kube-root-ca.crt */
	struct platform_rbac *rbac;
	struct platform_tenancy *tenancy;
	struct platform_guard *guard;
	struct cc_http_route *routes;
	size_t route_count;
	struct cc_server *tcp_server;
	struct cc_server *local_server;
	struct cc_grpc_health *health;
	struct cc_grpc_method health_method; /* wrapped by grpc_authenticated */
	struct cc_grpc_method methods[1];
	struct platform_scanning scanning;
};

void platform_daemon_stop(struct platform_daemon *d)
{
	if (!d)
		return;
	/* Servers first: their watch streams end (the object store's watchers are told) before the
	 * store closes. */
	cc_server_stop(d->local_server);
	cc_server_stop(d->pods_server);
	cc_server_stop(d->tcp_server);
	platform_controllers_stop(d->controllers);
	platform_scanning_stop(&d->scanning);
	platform_exec_free(d->exec);
	platform_port_forward_free(d->port_forward);
	platform_cluster_dns_stop(d->dns);
	bool down = d->down_marker && access(d->down_marker, F_OK) == 0;
	platform_service_proxy_stop(d->service_proxy, down); /* the Services' rules go with `cocoon down` */
	if (down) {
		platform_pods_stop_all(d->pods); /* NULL (an API-only platform): nothing to stop */
		unlink(d->down_marker);
	} else {
		platform_pods_stop(d->pods);
	}
	free(d->down_marker);
	free(d->node_name);
	free(d->agent_state);
	platform_api_free(d->api);
	platform_guard_free(d->guard);
	platform_rbac_free(d->rbac);
	platform_tenancy_free(d->tenancy);
	platform_authn_free(d->authn);
	platform_sa_tokens_free(d->sa_tokens);
	platform_oidc_free(d->oidc);
	platform_ldap_free(d->ldap);
	platform_service_ips_free(d->service_ips);
	free(d->ca_pem);
	platform_metrics_free(d->metrics);
	platform_health_free(d->healthz);
	platform_audit_log_close(d->audit);
	platform_objects_close(d->objects);
	platform_secrets_at_rest_free(d->secrets);
	cc_store_close(d->store);
	cc_grpc_health_free(d->health);
	cc_event_sink_close();
	free(d->routes);
	free(d);
}

/* The Kubernetes audit log, at the levels of the audit policy file when one is given. */
static int open_audit_log(struct platform_daemon *d, const struct platform_daemon_config *cfg, const char *path,
			  struct cc_error *err)
{
	struct platform_audit_policy *policy = NULL;
	if (cfg->audit_policy) {
		int r = platform_audit_policy_load(cfg->audit_policy, &policy, err);
		if (r < 0)
			return cc_error_prefix(err, "the audit policy");
	}
	return platform_audit_log_open(path, policy, &d->audit, err);
}

/* Secrets are sealed before they reach the store (secrets_at_rest.h); the default root key is a
 * file of cocoond's own, made on first start. */
static int seal_secrets(struct platform_daemon *d, const struct platform_daemon_config *cfg, struct cc_error *err)
{
	_cleanup_free_ char *path = cc_xasprintf("%s/secrets-root.key", cfg->data_dir);
	if (!cfg->secrets_root_key && access(path, F_OK) != 0) {
		int r = keys_root_key_generate(path, err);
		if (r < 0)
			return cc_error_prefix(err, "make the root key of Secrets at rest");
		cc_info("made the root key of Secrets at rest: %s (back it up: without it the Secrets are lost)", path);
	}
	int r = platform_secrets_at_rest_open(d->store, cfg->secrets_root_key ? cfg->secrets_root_key : path,
					      &d->secrets, err);
	if (r == 0)
		platform_objects_set_transformer(d->objects, platform_resource_find("", "v1", "secrets"),
						 platform_secrets_at_rest_transformer(d->secrets));
	return r;
}

/* The API objects, the first of them, and the routes (node API + Kubernetes API). */
/* The first address of an IPv4 CIDR: the bridge's (host-local gives it the gateway), and the
 * `kubernetes` Service's (kept by the allocator). */
static int first_address(const char *cidr, char *out, size_t size, struct cc_error *err)
{
	char net[32];
	int bits = 0;
	struct in_addr a;
	if (sscanf(cidr, "%31[0-9.]/%d", net, &bits) != 2 || inet_pton(AF_INET, net, &a) != 1 || bits < 8 || bits > 30)
		return cc_error_set(err, EINVAL, "pod subnet `%s`: an IPv4 network from /8 to /30", cidr);
	uint32_t host = (ntohl(a.s_addr) & ~((1u << (32 - bits)) - 1)) + 1;
	a.s_addr = htonl(host);
	inet_ntop(AF_INET, &a, out, (socklen_t)size);
	return 0;
}

#define IN_CLUSTER_API_PORT 6443 /* on the bridge's address, behind the `kubernetes` Service's 443 */

/* The `kubernetes` Service of the default namespace, as kube-apiserver keeps it: the service
 * range's first address, port 443, and Endpoints (no selector: ours to write) at the API's listener
 * on the bridge. Written at every start (the bridge's address follows --pod-subnet). */
static int ensure_kubernetes_service(struct platform_objects *o, const char *vip, const char *endpoint,
				     struct cc_error *err)
{
	const struct platform_resource *services = platform_resource_find("", "v1", "services");
	const struct platform_resource *endpoints = platform_resource_find("", "v1", "endpoints");
	json_t *svc =
	    json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s, s:s}}, s:{s:s, s:[s], s:s, s:s, s:[{s:s, s:i, s:s, s:i}]}}",
		      "apiVersion", "v1", "kind", "Service", "metadata", "name", "kubernetes", "namespace", "default",
		      "labels", "component", "apiserver", "provider", "kubernetes", "spec", "clusterIP", vip,
		      "clusterIPs", vip, "type", "ClusterIP", "sessionAffinity", "None", "ports", "name", "https",
		      "port", 443, "protocol", "TCP", "targetPort", IN_CLUSTER_API_PORT);
	json_t *eps =
	    json_pack("{s:s, s:s, s:{s:s, s:s}, s:[{s:[{s:s}], s:[{s:s, s:i, s:s}]}]}", "apiVersion", "v1", "kind",
		      "Endpoints", "metadata", "name", "kubernetes", "namespace", "default", "subsets", "addresses",
		      "ip", endpoint, "ports", "name", "https", "port", IN_CLUSTER_API_PORT, "protocol", "TCP");
	int r = 0;
	const struct platform_resource *kinds[] = { services, endpoints };
	json_t *objs[] = { svc, eps };
	for (size_t i = 0; i < 2 && r == 0; i++) {
		json_t *live = NULL, *stored = NULL;
		struct cc_http_response refused;
		cc_http_response_init(&refused);
		r = platform_objects_get(o, kinds[i], "default", "kubernetes", &live, err);
		if (r == -ENOENT) {
			r = platform_admit_create(kinds[i], objs[i], "default", &refused);
			if (r < 0)
				r = cc_error_set(err, EINVAL, "the kubernetes %s: %.*s", kinds[i]->kind,
						 (int)refused.body.len, refused.body.data);
			else
				r = platform_objects_create(o, kinds[i], objs[i], &stored, err);
		} else if (r == 0 && i == 1 &&
			   !json_equal(json_object_get(live, "subsets"), json_object_get(eps, "subsets"))) {
			json_object_set(live, "subsets", json_object_get(eps, "subsets"));
			r = platform_objects_update(o, kinds[i], live, 0, &stored, err);
		}
		cc_http_response_free(&refused);
		json_decref(live);
		json_decref(stored);
	}
	json_decref(svc);
	json_decref(eps);
	return r;
}

/* Whether the server certificate answers for kubernetes.default.svc (made before this cocoond knew
 * the in-cluster names): if not, it is made again with them (same CA, same admin certificate). */
static void renew_server_cert_for_pods(const struct node_pki_paths *pki)
{
	X509 *cert = NULL;
	struct cc_error err = { 0 };
	if (cc_x509_read_cert(pki->server_cert, &cert, &err) < 0)
		return; /* none yet: node_pki_ensure makes it */
	bool covered = X509_check_host(cert, "kubernetes.default.svc", 0, 0, NULL) == 1;
	X509_free(cert);
	if (!covered) {
		cc_info("the server certificate does not name kubernetes.default.svc: making a new one");
		unlink(pki->server_cert);
		unlink(pki->server_key);
	}
}

/* The guard of one route: the API's own paths (/api, /apis and below) authorize each request as a
 * resource request; every other path is a non-resource URL. */
static enum platform_guard_mode guard_mode(const struct cc_http_route *route)
{
	static const char *const api_paths[] = { "/api", "/api/", "/apis", "/apis/" };
	for (size_t i = 0; i < 4; i++)
		if (strcmp(route->path, api_paths[i]) == 0)
			return PLATFORM_GUARD_AUTHENTICATE;
	return PLATFORM_GUARD_AUTHORIZE_PATH;
}

static int start_platform(struct platform_daemon *d, const struct platform_daemon_config *cfg, struct cc_error *err)
{
	d->pod_security = PLATFORM_PSS_RESTRICTED;
	if (cfg->pod_security_default && platform_pss_level_parse(cfg->pod_security_default, &d->pod_security) < 0)
		return cc_error_set(err, EINVAL, "--pod-security-default `%s`: privileged, baseline or restricted",
				    cfg->pod_security_default);
	_cleanup_free_ char *default_store = cc_xasprintf("sqlite:%s/state.db", cfg->data_dir);
	int r = cc_store_open(cfg->store_url ? cfg->store_url : default_store, &d->store, err);
	if (r == 0)
		r = platform_objects_open(d->store, &d->objects, err);
	if (r == 0)
		r = seal_secrets(d, cfg, err);
	char host[256] = "localhost";
	gethostname(host, sizeof(host) - 1);
	d->node_name = cc_xstrdup(cfg->node_name ? cfg->node_name : host);
	const char *node = d->node_name;
	_cleanup_free_ char *sa_key = cc_xasprintf("%s/pki/service-account.key", cfg->data_dir);
	if (r == 0)
		r = platform_sa_tokens_new(d->objects, sa_key, &d->sa_tokens, err);
	d->authn = platform_authn_new(false);
	if (r == 0) {
		struct platform_token_authenticator sa = platform_sa_tokens_authenticator(d->sa_tokens);
		platform_authn_add_token_authenticator(d->authn, &sa);
	}
	if (r == 0 && cfg->ldap_config) {
		r = platform_ldap_new(cfg->ldap_config, &d->ldap, err);
		if (r == 0)
			platform_authn_set_group_source(d->authn, directory_groups, d->ldap);
	}
	if (r == 0 && cfg->authentication_config) {
		r = platform_oidc_new(cfg->authentication_config, &d->oidc, err);
		if (r == 0) {
			struct platform_token_authenticator oidc = platform_oidc_authenticator(d->oidc);
			platform_authn_add_token_authenticator(d->authn, &oidc);
		}
	}
	if (r == 0) {
		struct platform_node_options node_options;
		r = platform_node_options_parse(cfg->system_reserved, cfg->node_labels, cfg->node_taints, &node_options,
						err);
		if (r == 0)
			r = platform_bootstrap(d->objects, node, &node_options, d->ca_pem, err);
		platform_node_options_clear(&node_options);
	}
	if (r == 0)
		r = platform_scanning_start(&d->scanning, cfg, d->objects, node, err);
	if (r == 0)
		r = platform_controllers_start(d->objects, cfg->run_pods, d->pod_security,
					       d->scanning.admission_on ? &d->scanning.admission : NULL,
					       &d->controllers, err);
	/* LoadBalancer Services answer on the node's address, where this node routes them. */
	char node_address[INET_ADDRSTRLEN];
	platform_host_address(cfg->bridge ? cfg->bridge : "cocoon0", node_address, sizeof(node_address));
	if (r == 0)
		r = platform_service_ips_new(d->objects, cfg->service_cidr ? cfg->service_cidr : PLATFORM_SERVICE_CIDR,
					     cfg->run_pods ? node_address : NULL, &d->service_ips, err);
	/* Only a node that runs pods routes to them: the API-only platform has no table to keep. */
	/* One table per bridge, so two platforms on one host (a test beside the demo) keep theirs. */
	_cleanup_free_ char *table = cfg->bridge && strcmp(cfg->bridge, "cocoon0") != 0
					 ? cc_xasprintf("%s-%s", PLATFORM_SERVICE_TABLE, cfg->bridge)
					 : cc_xstrdup(PLATFORM_SERVICE_TABLE);
	if (r == 0 && cfg->run_pods)
		r = platform_service_proxy_start(d->objects, table, cfg->pod_subnet ? cfg->pod_subnet : "10.244.0.0/16",
						 &d->service_proxy, err);
	/* The cluster's name server on the bridge's address (the pods' gateway: the subnet's first). */
	if (r == 0 && cfg->run_pods)
		r = first_address(cfg->pod_subnet ? cfg->pod_subnet : "10.244.0.0/16", d->dns_ip, sizeof(d->dns_ip),
				  err);
	if (r == 0 && cfg->run_pods)
		r = first_address(cfg->service_cidr ? cfg->service_cidr : PLATFORM_SERVICE_CIDR, d->api_vip,
				  sizeof(d->api_vip), err);
	if (r == 0 && cfg->run_pods)
		r = ensure_kubernetes_service(d->objects, d->api_vip, d->dns_ip, err);
	if (r == 0 && cfg->run_pods)
		r = platform_cluster_dns_start(d->objects, d->dns_ip, 53, &d->dns, err);
	/* A marker an earlier `cocoon down` left is spent: this start is a new one. */
	d->down_marker = cc_xasprintf("%s/%s", cfg->data_dir, PLATFORM_DOWN_MARKER);
	unlink(d->down_marker);
	if (r == 0 && cfg->run_pods) {
		/* The runner keeps a copy of the agent's settings: the strings must outlive this call. */
		d->agent_state =
		    cfg->agent_state ? cc_xstrdup(cfg->agent_state) : cc_xasprintf("%s/agent", cfg->data_dir);
		struct agent_config agent = { .kbs_url = cfg->kbs_url,
					      .ca_file = cfg->kbs_ca,
					      .tenant = cfg->kbs_tenant ? cfg->kbs_tenant : "default",
					      .node = node,
					      .state_dir = d->agent_state,
					      .tcti = cfg->tpm_tcti,
					      .pcr = 15 };
		if (!cfg->kbs_url != !cfg->kbs_ca || !cfg->kbs_url != !cfg->tpm_tcti)
			return cc_error_set(err, EINVAL, "--kbs, --kbs-ca and --tpm go together");
		struct platform_pods_config pcfg = { .objects = d->objects,
						     .node_name = node,
						     .data_dir = cfg->data_dir,
						     .run_dir = cfg->run_dir ? cfg->run_dir : "/run/cocoon",
						     .log_dir = cfg->log_dir ? cfg->log_dir : "/var/log/cocoon",
						     .image_root = cfg->image_root,
						     .pod_subnet = cfg->pod_subnet,
						     .bridge = cfg->bridge,
						     .registry_ca = cfg->registry_ca,
						     .insecure_registries = cfg->insecure_registries,
						     .agent = cfg->kbs_url ? &agent : NULL,
						     .sa_tokens = d->sa_tokens,
						     .dns_ip = d->dns ? d->dns_ip : NULL,
						     .api_service_ip = d->api_vip[0] ? d->api_vip : NULL,
						     .service_table = table,
						     .mtls_observe_interval_s = cfg->mtls_observe_interval_s };
		r = platform_pods_start(&pcfg, &d->pods, err);
		_cleanup_free_ char *exec_dir = cc_xasprintf("%s/exec", pcfg.run_dir);
		if (r == 0)
			r = platform_exec_new(exec_dir, &d->exec, err);
		if (r == 0)
			r = platform_port_forward_new(&d->port_forward, err);
		d->streams =
		    (struct platform_pod_streams){ .pods = d->pods, .exec = d->exec, .port_forward = d->port_forward };
	}
	_cleanup_free_ char *audit_path = cc_xasprintf("%s/audit.log", cfg->data_dir);
	if (r == 0)
		r = open_audit_log(d, cfg, audit_path, err);
	if (r == 0)
		r = platform_rbac_new(d->objects, &d->rbac, err);
	if (r == 0)
		r = platform_tenancy_new(d->objects, &d->tenancy, err);
	if (r == 0)
		d->guard = platform_guard_new(d->authn, d->rbac, d->tenancy);
	struct platform_api_config acfg = { .objects = d->objects,
					    .guard = d->guard,
					    .authn = d->authn,
					    .sa_tokens = d->sa_tokens,
					    .service_ips = d->service_ips,
					    .ca_pem = d->ca_pem,
					    .node_name = node,
					    .audit = d->audit,
					    .pods = d->pods,
					    .pod_security = d->pod_security,
					    .scan_admission = d->scanning.admission_on ? &d->scanning.admission : NULL,
					    .tenancy = d->tenancy,
					    .kbs_tenant = cfg->kbs_tenant ? cfg->kbs_tenant : "default" };
	if (d->exec) {
		acfg.pod_stream = platform_pod_stream;
		acfg.pod_stream_ctx = &d->streams;
	}
	if (r == 0)
		r = platform_api_new(&acfg, &d->api, err);
	struct platform_health_config hcfg = { .store = d->store, .objects = d->objects };
	if (d->pods) {
		hcfg.runner_last_pass_ms = runner_last_pass;
		hcfg.runner_ctx = d->pods;
	}
	if (r == 0)
		r = platform_health_new(&hcfg, &d->healthz, err);
	struct platform_metrics_config mcfg = { .objects = d->objects, .node_name = node };
	if (r == 0)
		r = platform_metrics_new(&mcfg, &d->metrics, err);
	if (r < 0)
		return r;
	/* Health and metrics, the node API, the Kubernetes API; every request counted (metrics.h). */
	size_t counts[4];
	const struct cc_http_route *tables[4] = { platform_health_routes(d->healthz, &counts[0]),
						  platform_metrics_routes(d->metrics, &counts[1]),
						  node_api_routes(&counts[2]),
						  platform_api_routes(d->api, &counts[3]) };
	d->route_count = counts[0] + counts[1] + counts[2] + counts[3];
	d->routes = cc_xcalloc(d->route_count, sizeof(*d->routes));
	for (size_t i = 0, at = 0; i < 4; at += counts[i], i++)
		memcpy(d->routes + at, tables[i], counts[i] * sizeof(*d->routes));
	/* Every route behind authentication and authorization (access.h); counted outermost: refusals
	 * are requests too. */
	for (size_t i = 0; i < d->route_count; i++)
		platform_guard_routes(d->guard, &d->routes[i], 1, guard_mode(&d->routes[i]));
	platform_metrics_instrument(d->metrics, d->routes, d->route_count);
	return 0;
}

int platform_daemon_start(const struct platform_daemon_config *cfg, struct platform_daemon **ret, struct cc_error *err)
{
	if (mkdir(cfg->data_dir, 0700) < 0 && errno != EEXIST)
		return cc_error_set_errno(err, errno, "create data directory `%s`", cfg->data_dir);

	struct node_pki_paths pki;
	_cleanup_free_ char *pki_dir = cc_xasprintf("%s/pki", cfg->data_dir);
	node_pki_paths(pki_dir, &pki);
	const char *cert = cfg->tls_cert, *key = cfg->tls_key, *ca = cfg->client_ca;
	if (!cert || !key || !ca) {
		if (cert || key || ca)
			return cc_error_set(err, EINVAL, "--tls-cert, --tls-key and --client-ca go together");
		/* Pods reach the API as kubernetes.default.svc, at the Service's and the bridge's addresses. */
		_cleanup_free_ char *hosts = NULL;
		char vip[INET_ADDRSTRLEN], bridge[INET_ADDRSTRLEN];
		if (cfg->run_pods &&
		    first_address(cfg->service_cidr ? cfg->service_cidr : PLATFORM_SERVICE_CIDR, vip, sizeof(vip),
				  err) == 0 &&
		    first_address(cfg->pod_subnet ? cfg->pod_subnet : "10.244.0.0/16", bridge, sizeof(bridge), err) ==
			0) {
			hosts = cc_xasprintf("%s%skubernetes,kubernetes.default,kubernetes.default.svc,"
					     "kubernetes.default.svc.cluster.local,%s,%s",
					     cfg->hosts ? cfg->hosts : "", cfg->hosts ? "," : "", vip, bridge);
			renew_server_cert_for_pods(&pki);
		}
		int r = node_pki_ensure(pki_dir, hosts ? hosts : cfg->hosts, err);
		if (r < 0)
			return cc_error_prefix(err, "bootstrap node PKI in `%s`", pki_dir);
		if (r > 0)
			cc_info("created node PKI in %s (admin client certificate: %s)", pki_dir, pki.admin_cert);
		cert = pki.server_cert, key = pki.server_key, ca = pki.ca_cert;
	}

	_cleanup_free_ char *events = cc_xasprintf("%s/events.jsonl", cfg->data_dir);
	int r = cc_event_sink_open_default(events, err);
	if (r < 0)
		return r;

	struct platform_daemon *d = cc_xcalloc(1, sizeof(*d));
	size_t ca_len = 0;
	r = cc_read_file(ca, 1u << 20, &d->ca_pem, &ca_len, err);
	if (r == 0)
		r = start_platform(d, cfg, err);
	if (r < 0) {
		platform_daemon_stop(d);
		return r;
	}
	r = platform_kubeconfig_write(cfg->data_dir, cfg->listen, ca, pki.admin_cert, pki.admin_key, err);
	_cleanup_free_ char *kubeconfig = cc_xasprintf("%s/kubeconfig", cfg->data_dir);
	if (r < 0 && access(kubeconfig, R_OK) == 0) {
		/* The one a start before wrote still serves (a full disk must not keep the API down). */
		cc_warning("%s; the existing %s is kept", cc_error_message(err), kubeconfig);
		r = 0;
	}
	if (r < 0) {
		platform_daemon_stop(d);
		return r;
	}
	const struct cc_http_route *routes = d->routes;
	size_t route_count = d->route_count;
	d->health = cc_grpc_health_new();
	cc_grpc_health_set(d->health, "cocoon.node", true);
	/* gRPC carries no bearer tokens here: it is for certificate holders and the local socket. */
	d->health_method = cc_grpc_health_method(d->health);
	d->methods[0] = (struct cc_grpc_method){ .path = d->health_method.path,
						 .handler = grpc_authenticated,
						 .userdata = &d->health_method };

	struct cc_server_config tcp = {
		.listen = cfg->listen,
		.tls_cert = cert,
		.tls_key = key,
		.client_ca = ca,
		.require_client_cert = false, /* bearer tokens too; every route authenticates (access.h) */
		.routes = routes,
		.route_count = route_count,
		.grpc_methods = d->methods,
		.grpc_method_count = 1,
		.on_authenticate = record_authentication,
	};
	_cleanup_free_ char *default_socket = cc_xasprintf("unix:%s/cocoond.sock", cfg->data_dir);
	_cleanup_free_ char *socket = cfg->socket_path ? cc_xasprintf("unix:%s", cfg->socket_path) : NULL;
	struct cc_server_config local = {
		.listen = socket ? socket : default_socket,
		.socket_mode = 0600,
		.routes = routes,
		.route_count = route_count,
		.grpc_methods = d->methods,
		.grpc_method_count = 1,
		.on_authenticate = record_authentication,
	};
	r = cc_server_start(&tcp, &d->tcp_server, err);
	if (r < 0) {
		platform_daemon_stop(d);
		return cc_error_prefix(err, "start API server");
	}
	r = cc_server_start(&local, &d->local_server, err);
	if (r < 0) {
		platform_daemon_stop(d);
		return cc_error_prefix(err, "start local socket server");
	}
	/* In-cluster clients: the same API on the bridge's address, behind the `kubernetes` Service. */
	_cleanup_free_ char *pods_listen = d->api_vip[0] ? cc_xasprintf("%s:%d", d->dns_ip, IN_CLUSTER_API_PORT) : NULL;
	struct cc_server_config in_cluster = tcp;
	in_cluster.listen = pods_listen;
	in_cluster.freebind = true;
	if (pods_listen && (r = cc_server_start(&in_cluster, &d->pods_server, err)) < 0) {
		platform_daemon_stop(d);
		return cc_error_prefix(err, "start the in-cluster API listener");
	}
	cc_info("cocoond %s serving the node API on %s (mutual TLS, CA %s) and %s", COCOON_VERSION, cfg->listen, ca,
		local.listen);
	*ret = d;
	return 0;
}
