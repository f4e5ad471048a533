/* cocoond's daemon: bootstrap the PKI, start the TCP (mTLS) and unix socket servers; stop both.
 * Waiting for a signal is the command's business (src/cmd/cocoond.c, lib/base/stop.h). */
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
#include <stdio.h>
#include <stdlib.h>
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

struct node_daemon {
	struct cc_server *tcp_server;
	struct cc_server *local_server;
	struct cc_grpc_health *health;
	struct cc_grpc_method methods[1];
};

void node_daemon_stop(struct node_daemon *d)
{
	if (!d)
		return;
	cc_server_stop(d->local_server);
	cc_server_stop(d->tcp_server);
	cc_grpc_health_free(d->health);
	cc_event_sink_close();
	free(d);
}

int node_daemon_start(const struct node_daemon_config *cfg, struct node_daemon **ret, struct cc_error *err)
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

	size_t route_count;
	const struct cc_http_route *routes = node_api_routes(&route_count);
	struct node_daemon *d = cc_xcalloc(1, sizeof(*d));
	d->health = cc_grpc_health_new();
	cc_grpc_health_set(d->health, "cocoon.node", true);
	d->methods[0] = cc_grpc_health_method(d->health);

	struct cc_server_config tcp = {
		.listen = cfg->listen,
		.tls_cert = cert,
		.tls_key = key,
		.client_ca = ca,
		.require_client_cert = true,
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
		node_daemon_stop(d);
		return cc_error_prefix(err, "start API server");
	}
	r = cc_server_start(&local, &d->local_server, err);
	if (r < 0) {
		node_daemon_stop(d);
		return cc_error_prefix(err, "start local socket server");
	}
	cc_info("cocoond %s serving the node API on %s (mutual TLS, CA %s) and %s", COCOON_VERSION, cfg->listen, ca,
		local.listen);
	*ret = d;
	return 0;
}
