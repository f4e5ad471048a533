/* cocoond main loop: bootstrap the PKI, start the TCP (mTLS) and unix socket servers, wait for a
 * termination signal, stop both. Signals are blocked before any thread starts and taken with
 * sigwait, so no handler runs in a server thread. */
#include "node/daemon.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/event/emit.h"
#include "lib/net/grpc_health.h"
#include "lib/net/server.h"
#include "node/api.h"
#include "node/pki.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>

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
							: "local socket peer credentials");
	}
	cc_event_emit(ev);
}

int node_daemon_run(const struct node_daemon_config *cfg, struct cc_error *err)
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
		int r = node_pki_ensure(pki_dir, cfg->hosts, err);
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

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);

	size_t route_count;
	const struct cc_http_route *routes = node_api_routes(&route_count);
	struct cc_grpc_health *health = cc_grpc_health_new();
	cc_grpc_health_set(health, "cocoon.node", true);
	struct cc_grpc_method methods[] = { cc_grpc_health_method(health) };

	struct cc_server_config tcp = {
		.listen = cfg->listen,
		.tls_cert = cert,
		.tls_key = key,
		.client_ca = ca,
		.require_client_cert = true,
		.routes = routes,
		.route_count = route_count,
		.grpc_methods = methods,
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
		.grpc_methods = methods,
		.grpc_method_count = 1,
		.on_authenticate = record_authentication,
	};
	struct cc_server *tcp_server = NULL, *local_server = NULL;
	r = cc_server_start(&tcp, &tcp_server, err);
	if (r < 0) {
		cc_error_prefix(err, "start API server");
		goto out;
	}
	r = cc_server_start(&local, &local_server, err);
	if (r < 0) {
		cc_error_prefix(err, "start local socket server");
		goto out;
	}
	cc_info("cocoond %s serving the node API on %s (mutual TLS, CA %s) and %s", COCOON_VERSION, cfg->listen, ca,
		local.listen);
	int sig = 0;
	sigwait(&mask, &sig);
	cc_info("received %s, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	r = 0;
out:
	cc_server_stop(local_server);
	cc_server_stop(tcp_server);
	cc_grpc_health_free(health);
	cc_event_sink_close();
	return r;
}
