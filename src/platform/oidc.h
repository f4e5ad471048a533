/* OpenID Connect ID tokens as bearer tokens, configured as kube-apiserver's structured
 * authentication is (--authentication-config: an AuthenticationConfiguration of
 * apiserver.config.k8s.io/v1beta1 or v1, so a cluster's file works unchanged): one or more `jwt`
 * issuers, each with its URL (https), audiences, an optional CA (PEM) and discovery URL, claim
 * validation rules (claim and requiredValue), and claim mappings for username, groups and uid (claim
 * and prefix). CEL expressions are refused at start with a message naming the field: cocoond has
 * no CEL. Signing keys come from the issuer's discovery document and JWKS (RS256, ES256, ES384,
 * EdDSA), cached; a token with a key id the cache does not know fetches the JWKS again (at most
 * every 10 s), so keys rotate; when the issuer cannot be reached the cached keys still serve and
 * unknown ones fail closed. */
#pragma once

#include "platform/authn.h"

struct cc_error;
struct platform_oidc;

/* Reads and checks the configuration file (YAML or JSON). */
int platform_oidc_new(const char *config_path, struct platform_oidc **ret, struct cc_error *err);
void platform_oidc_free(struct platform_oidc *o);

/* The authenticator to add to authn.h's list (ctx: o): tokens whose iss is a configured issuer. */
struct platform_token_authenticator platform_oidc_authenticator(struct platform_oidc *o);
