/* cocoond main loop: bootstrap the PKI, start the TCP (mTLS) and unix socket servers, wait for a
 * termination signal, stop both. Signals are blocked before any thread starts and taken with
 * sigwait, so no handler runs in a server thread. */
#include "node/daemon.h"

#include "base/cleanup.h"
#include "base/error.h"
#include "base/log.h"
#include "net/grpc_health.h"
#include "net/server.h"
#include "node/api.h"
#include "node/pki.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>

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
	};
	struct cc_server *tcp_server = NULL, *local_server = NULL;
	int r = cc_server_start(&tcp, &tcp_server, err);
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
	return r;
}
