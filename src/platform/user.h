/* Who made a request, as kube-apiserver's authenticators describe a user (user.Info): a name, a uid,
 * groups and extra values. Every authenticator (client certificates, local socket credentials,
 * service account and OIDC tokens) fills one; the authorizer and the audit log read it. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

struct platform_user {
	char name[256];
	char uid[128];
	json_t *groups;            /* strings; system:authenticated included once authenticated */
	json_t *extra;             /* {"key": ["value", ...]}, or NULL */
	const char *authenticator; /* "x509", "unix", "serviceaccount", "oidc" */
};

void platform_user_init(struct platform_user *u, const char *name, const char *authenticator);
void platform_user_add_group(struct platform_user *u, const char *group);
bool platform_user_in_group(const struct platform_user *u, const char *group);
void platform_user_clear(struct platform_user *u);
