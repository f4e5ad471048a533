/* How every key broker handler answers (kbs.c, kbs_admin.c, kbs_register.c): errors as the KBS
 * protocol's problem bodies, and each decision as an audit event. Knows nothing of the broker itself,
 * so the registrar uses it without including the broker. */
#pragma once

#include "lib/net/http.h"

#include <jansson.h>
#include <stdbool.h>

/* An RFC 7807-style problem body, as the KBS protocol answers errors:
 * {"type": ".../errors/<kind>", "detail": "..."}. */
void kbs_problem(struct cc_http_response *resp, int status, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Records one decision as an audit event (action "kbs.<what>"). reason is NULL when allowed. */
void kbs_record(const struct cc_http_request *req, const char *action, const char *tenant, const char *object,
		bool allowed, const char *reason);
/* The same with the actor given (a user the platform authenticated). */
void kbs_record_as(const char *actor, const char *action, const char *tenant, const char *object, bool allowed,
		   const char *reason);
/* The same with extra fields (a JSON object; stolen; NULL for none): what a certificate event names
 * (serial, SPIFFE ID, node, EAR id). Never a key, a token or a secret. */
void kbs_record_extra(const char *actor, const char *action, const char *tenant, const char *object, bool allowed,
		      const char *reason, json_t *extra);
