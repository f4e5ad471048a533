/* Shared between the key broker's protocol (kbs.c) and admin (kbs_admin.c) handlers. */
#pragma once

#include "kbs/kbs.h"
#include "kbs/kbs_register.h"
#include "kbs/kbs_session.h"

#include <stdbool.h>

struct kbs {
	struct kbs_config cfg;
	uint8_t root[KEYS_ROOT_KEY_SIZE];
	char token_kid[24];
	struct kbs_sessions *sessions;
	struct kbs_registrations *registrations;
	struct cc_http_route routes[6];
};

/* An RFC 7807-style problem body, as the KBS protocol answers errors:
 * {"type": ".../errors/<kind>", "detail": "..."}. */
void kbs_problem(struct cc_http_response *resp, int status, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Records one decision as an audit event (action "kbs.<what>"). reason is NULL when allowed. */
void kbs_record(const struct cc_http_request *req, const char *action, const char *tenant, const char *object,
		bool allowed, const char *reason);

void kbs_admin_handle(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata);
