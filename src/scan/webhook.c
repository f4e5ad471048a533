/* The admission webhook's server (see webhook.h). Handlers run on the server's worker threads, so
 * several reviews are judged at once; what they share (the policies, the reports) is read-only or
 * swapped under its own lock. */
#include "scan/webhook.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/event/emit.h"
#include "lib/net/server.h"
#include "scan/image_verdicts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct scan_webhook {
	struct scan_webhook_config cfg;
	struct cc_server *server;
	struct cc_http_route routes[3];
};

static void review(struct scan_webhook *w, const struct cc_http_request *req, struct cc_http_response *resp,
		   bool mutate)
{
	if (w->cfg.admission.verdicts)
		scan_image_verdicts_refresh(w->cfg.admission.verdicts);
	struct scan_admission_outcome out;
	struct cc_error err = { 0 };
	if (scan_admission_review(&w->cfg.admission, req->body.data ? req->body.data : "", req->body.len, mutate, &out,
				  &err) < 0) {
		cc_event_emit_decision("scan", "admission.review", NULL, NULL, NULL, false, cc_error_message(&err));
		cc_http_response_error(resp, 400, "%s", cc_error_message(&err));
		return;
	}
	int r = cc_event_emit_decision("scan", mutate ? "admission.mutate" : "admission.review", out.user, NULL,
				       out.object, out.allowed, out.reason);
	if (r < 0 && out.allowed) {
		/* fail closed: an admission the audit stream does not hold did not happen */
		json_t *resp_obj = json_object_get(out.review, "response");
		json_object_set_new(resp_obj, "allowed", json_false());
		json_object_del(resp_obj, "patch");
		json_object_del(resp_obj, "patchType");
		json_object_set_new(
		    resp_obj, "status",
		    json_pack("{s:I, s:s}", "code", (json_int_t)403, "message",
			      "the admission decision could not be recorded in the audit stream: refused"));
	}
	cc_http_response_json(resp, 200, json_incref(out.review));
	scan_admission_outcome_clear(&out);
}

static void handle_validate(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	review(userdata, req, resp, false);
}

static void handle_mutate(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	review(userdata, req, resp, true);
}

static void handle_health(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	struct scan_webhook *w = userdata;
	size_t reports = w->cfg.admission.verdicts ? scan_image_verdicts_count(w->cfg.admission.verdicts) : 0;
	cc_http_response_json(resp, 200, json_pack("{s:s, s:I}", "status", "ok", "reports", (json_int_t)reports));
}

int scan_webhook_start(const struct scan_webhook_config *cfg, struct scan_webhook **ret, struct cc_error *err)
{
	if (!cfg->tls_cert || !cfg->tls_key)
		return cc_error_set(
		    err, EINVAL,
		    "the API server calls admission webhooks over HTTPS only: give a certificate and its key");
	struct scan_webhook *w = cc_xcalloc(1, sizeof(*w));
	w->cfg = *cfg;
	w->routes[0] = (struct cc_http_route){ .method = "POST",
					       .path = "/validate",
					       .handler = handle_validate,
					       .userdata = w,
					       .max_body = SCAN_ADMISSION_MAX_BODY };
	w->routes[1] = (struct cc_http_route){ .method = "POST",
					       .path = "/mutate",
					       .handler = handle_mutate,
					       .userdata = w,
					       .max_body = SCAN_ADMISSION_MAX_BODY };
	w->routes[2] =
	    (struct cc_http_route){ .method = "GET", .path = "/healthz", .handler = handle_health, .userdata = w };
	struct cc_server_config scfg = {
		.listen = cfg->listen,
		.tls_cert = cfg->tls_cert,
		.tls_key = cfg->tls_key,
		.client_ca = cfg->client_ca,
		.require_client_cert = cfg->client_ca != NULL,
		.routes = w->routes,
		.route_count = CC_ARRAY_SIZE(w->routes),
		.max_body = SCAN_ADMISSION_MAX_BODY,
	};
	int r = cc_server_start(&scfg, &w->server, err);
	if (r < 0) {
		free(w);
		return cc_error_prefix(err, "admission webhook");
	}
	*ret = w;
	return 0;
}

int scan_webhook_port(const struct scan_webhook *w)
{
	return cc_server_port(w->server);
}

void scan_webhook_stop(struct scan_webhook *w)
{
	if (!w)
		return;
	cc_server_stop(w->server);
	free(w);
}
