/* webhook:ADDR input (--webhook ADDR, or `webhook:` in the configuration file): the Kubernetes
 * audit webhook backend. kube-apiserver POSTs an audit.k8s.io/v1 EventList over HTTPS and gets
 * 200 only once every event in it is durable, 503 (it then sends the batch again: duplicates,
 * never losses) when the queue cannot take it now. With a client CA the API server must present
 * a certificate that chains to it. Served by the HTTP server's own threads, which submit each
 * batch to the forwarder. */
#include "audit/input.h"
#include "audit/k8s.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/json/json.h"
#include "lib/net/server.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct webhook_settings {
	const char *cert_file, *key_file, *client_ca;
};

static const struct audit_setting webhook_settings[] = {
	{ .key = "cert",
	  .option = "webhook-cert",
	  .arg = "FILE",
	  .help = "the webhook's server certificate",
	  .type = AUDIT_SETTING_STRING,
	  .offset = offsetof(struct webhook_settings, cert_file) },
	{ .key = "key",
	  .option = "webhook-key",
	  .arg = "FILE",
	  .help = "its private key",
	  .type = AUDIT_SETTING_STRING,
	  .offset = offsetof(struct webhook_settings, key_file) },
	{ .key = "clientCA",
	  .option = "webhook-client-ca",
	  .arg = "FILE",
	  .help = "CA the API server's client certificate must chain to (mutual TLS)",
	  .type = AUDIT_SETTING_STRING,
	  .offset = offsetof(struct webhook_settings, client_ca) },
	{ 0 },
};

struct webhook {
	struct audit_input *in;
	struct audit_forwarder *f;
	struct cc_http_route route;
	struct cc_server *server;
};

/* The items of an EventList as events; items that are not audit events are counted and logged. */
static struct cc_event **events_of(struct webhook *w, json_t *items, size_t *ret_count, size_t *ret_rejected)
{
	struct cc_event **events = cc_xcalloc(json_array_size(items) + 1, sizeof(*events));
	size_t count = 0, rejected = 0, i;
	json_t *item;
	json_array_foreach (items, i, item) {
		struct cc_error err = { 0 };
		if (audit_k8s_to_event(item, &events[count], &err) == 0) {
			count++;
			continue;
		}
		rejected++;
		cc_warning("audit webhook %s: event %zu rejected: %s", w->in->target, i, cc_error_message(&err));
	}
	audit_forwarder_count_rejected(w->f, rejected);
	*ret_count = count;
	*ret_rejected = rejected;
	return events;
}

static void handle_event_list(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	struct webhook *w = userdata;
	_cleanup_json_ json_t *doc = NULL;
	if (cc_http_request_json(req, resp, &doc) < 0)
		return;
	json_t *items = json_object_get(doc, "items");
	const char *kind = json_string_value(json_object_get(doc, "kind"));
	if (!json_is_array(items) || !kind || strcmp(kind, "EventList") != 0) {
		cc_http_response_error(resp, 400, "expected an audit.k8s.io EventList with items");
		return;
	}
	size_t accepted, rejected;
	_cleanup_free_ struct cc_event **events = events_of(w, items, &accepted, &rejected);
	if (audit_forwarder_submit(w->f, events, accepted) < 0) {
		cc_http_response_error(resp, 503, "the audit queue cannot take the events now");
		return;
	}
	cc_http_response_json(
	    resp, 200, json_pack("{s:I, s:I}", "accepted", (json_int_t)accepted, "rejected", (json_int_t)rejected));
}

static int webhook_start(struct audit_input *in, struct audit_forwarder *f, struct cc_error *err)
{
	const struct webhook_settings *cfg = in->settings.values;
	/* The API server speaks HTTPS to its webhook backends; plain HTTP only on a local socket. */
	if (strncmp(in->target, "unix:", 5) != 0 && (!cfg->cert_file || !cfg->key_file))
		return cc_error_set(err, EINVAL, "audit webhook %s needs --webhook-cert and --webhook-key", in->target);
	struct webhook *w = cc_xcalloc(1, sizeof(*w));
	*w = (struct webhook){ .in = in, .f = f };
	w->route = (struct cc_http_route){
		.method = "POST", .path = "/", .prefix = true, .handler = handle_event_list, .userdata = w
	};
	struct cc_server_config scfg = {
		.listen = in->target,
		.tls_cert = cfg->cert_file,
		.tls_key = cfg->key_file,
		.client_ca = cfg->client_ca,
		.require_client_cert = cfg->client_ca != NULL,
		.routes = &w->route,
		.route_count = 1,
		.max_body = 64u << 20, /* kube-apiserver batches up to hundreds of events */
	};
	int r = cc_server_start(&scfg, &w->server, err);
	if (r < 0) {
		free(w);
		return cc_error_prefix(err, "audit webhook");
	}
	in->state = w;
	return 0;
}

static void webhook_stop(struct audit_input *in)
{
	struct webhook *w = in->state;
	if (!w)
		return;
	cc_server_stop(w->server);
	free(w);
	in->state = NULL;
}

const struct audit_input_ops audit_in_webhook = {
	.kind = "webhook",
	.prefix = "webhook:",
	.usage = "webhook:ADDR",
	.settings = webhook_settings,
	.settings_size = sizeof(struct webhook_settings),
	.start = webhook_start,
	.stop = webhook_stop,
};
