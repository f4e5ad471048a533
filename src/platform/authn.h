/* Authentication of API requests, as kube-apiserver's union of authenticators: a verified client
 * certificate (CN the user, O the groups), the local socket's peer credentials (root is a cluster
 * administrator), or a bearer token that one of the token authenticators accepts (service account
 * tokens, OIDC issuers). An authenticated user is in system:authenticated. Anonymous requests are
 * refused unless allowed (kube-apiserver's --anonymous-auth; off here, as the CIS benchmark asks). */
#pragma once

#include "platform/user.h"

#include <stdbool.h>
#include <stddef.h>

struct cc_http_request;
struct platform_authn;

/* A bearer token's check. Returns 1 when the token is not this authenticator's (the next one is
 * asked), 0 with user filled (platform_user_init) when it is valid, -EACCES when it is this
 * authenticator's and invalid: why says why, never quoting the token. */
struct platform_token_authenticator {
	const char *name;
	int (*authenticate)(void *ctx, const char *token, struct platform_user *user, char *why, size_t size);
	void *ctx;
};

#define PLATFORM_TOKEN_AUTHENTICATORS_MAX 8

/* After a user is authenticated: groups from elsewhere (the company directory, ldap_groups.h) are
 * added; a negative result (-EACCES, why filled) refuses the request. */
typedef int (*platform_group_source_fn)(void *ctx, struct platform_user *user, char *why, size_t size);

struct platform_authn *platform_authn_new(bool anonymous);
/* At most one; before the first request. */
void platform_authn_set_group_source(struct platform_authn *a, platform_group_source_fn fn, void *ctx);
void platform_authn_free(struct platform_authn *a);
/* -ENOSPC beyond PLATFORM_TOKEN_AUTHENTICATORS_MAX. Before the first request. */
int platform_authn_add_token_authenticator(struct platform_authn *a, const struct platform_token_authenticator *t);

/* A bearer token alone (TokenReview): 0 with user filled, or -EACCES with why. */
int platform_authn_token(struct platform_authn *a, const char *token, struct platform_user *user, char *why,
			 size_t size);

/* 0 with user filled (clear it with platform_user_clear), or -EACCES with why (401). */
int platform_authn_authenticate(struct platform_authn *a, const struct cc_http_request *req, struct platform_user *user,
				char *why, size_t size);
