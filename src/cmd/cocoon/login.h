/* What the two ways of `cocoon login` share (login.c: the code flow with PKCE, the cache, the
 * kubeconfig; login_device.c: the device authorization grant, RFC 8628). */
#pragma once

#include "lib/base/buf.h"

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>

struct cc_error;

struct login {
	const char *issuer, *client_id, *client_secret, *issuer_ca, *scope, *listen;
	bool no_browser;
	bool device; /* the device grant: a code to enter on another device, no browser here */
	int timeout_s;
	char cache_path[PATH_MAX];
	json_t *discovery;
};

/* application/x-www-form-urlencoded, each value escaped. */
void login_form_add(struct cc_buf *form, const char *name, const char *value);
/* POSTs the form (with client_id and any secret added) to endpoint; *ret_status and *ret the HTTP
 * status and the JSON answer, whatever the status. The form is wiped. */
int login_post_form(const struct login *l, const char *endpoint, struct cc_buf *form, long *ret_status, json_t **ret,
		    struct cc_error *err);
/* The provider's error answer as one phrase ("error_description", else "error"), or NULL. */
const char *login_error_text(const json_t *answer);

/* The device authorization grant: asks the provider for a code, tells the user where to enter it,
 * and polls the token endpoint until the sign-in is done, refused or expired; *ret the token
 * response (with an ID token). */
int login_device(struct login *l, json_t **ret, struct cc_error *err);
