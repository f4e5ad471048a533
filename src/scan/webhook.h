/* The admission webhook server (`cocoon webhook serve`): HTTPS routes the API server calls, each a
 * review of admission.h, and /healthz for its probes. Every decision is a security event (scan /
 * admission.review, allow or deny); a decision that cannot be recorded is a refusal. */
#pragma once

#include "scan/admission.h"

struct cc_error;
struct scan_webhook;

struct scan_webhook_config {
	const char *listen; /* "0.0.0.0:8443", cc_address_parse's forms */
	const char *tls_cert, *tls_key;
	const char *client_ca; /* when set, only clients with a certificate it signed (the API server's) */
	struct scan_admission_config admission;
};

/* Serves POST /validate (validating), POST /mutate (mutating, with the patch) and GET /healthz. */
int scan_webhook_start(const struct scan_webhook_config *cfg, struct scan_webhook **ret, struct cc_error *err);
int scan_webhook_port(const struct scan_webhook *w);
void scan_webhook_stop(struct scan_webhook *w);
