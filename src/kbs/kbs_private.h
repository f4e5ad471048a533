/* The broker itself, shared by its protocol (kbs.c), admin (kbs_admin.c), evidence (kbs_evidence.c)
 * and pod certificate (kbs_mtls_issue.c) code. The registrar (kbs_register.c) does not see it: the
 * broker includes the registrar, never the other way round. */
#pragma once

#include "kbs/kbs.h"
#include "kbs/kbs_register.h"
#include "kbs/kbs_reply.h"
#include "kbs/kbs_session.h"

#include <stdbool.h>

struct kbs {
	struct kbs_config cfg;
	uint8_t root[KEYS_ROOT_KEY_SIZE];
	char token_kid[24];
	struct kbs_sessions *sessions;
	struct kbs_registrations *registrations;
	struct cc_http_route routes[10];
};

void kbs_admin_handle(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata);

/* Who asks: the tenant of an attested session (cookie, authentic evidence) or of an EAR of ours
 * (Authorization: Bearer), the verdict and the TEE key; -ENOENT or the token's error otherwise. */
int kbs_requester(struct kbs *kbs, const struct cc_http_request *req, char *tenant, size_t tenant_size,
		  bool *ret_affirming, json_t **ret_key, struct cc_error *err);

/* The session id from the request's `kbs-session-id` cookie; false when there is none. */
bool kbs_session_cookie(const struct cc_http_request *req, char out[KBS_SESSION_ID_SIZE]);
