/* Service account tokens, as kube-apiserver issues and checks them: ES256 JSON Web Tokens signed
 * with the platform's service account key (DATA/pki/service-account.key, made at first start),
 * issuer https://kubernetes.default.svc.cluster.local, subject system:serviceaccount:NS:NAME, with the
 * "kubernetes.io" claim naming the service account and the pod the token is bound to. A token is
 * valid only while its service account (and pod) still exist with the uids it names: deleting
 * either makes it invalid at once. Issued by the TokenRequest API (`kubectl create token`,
 * POST .../serviceaccounts/NAME/token) and by the pod runner for projected volumes. */
#pragma once

#include "platform/authn.h"

#include <jansson.h>
#include <stdint.h>

struct cc_error;
struct cc_http_request;
struct cc_http_response;
struct platform_objects;
struct platform_target;
struct platform_sa_tokens;

#define PLATFORM_SA_ISSUER          "https://kubernetes.default.svc.cluster.local"
#define PLATFORM_SA_DEFAULT_SECONDS 3600
#define PLATFORM_SA_MIN_SECONDS     600
#define PLATFORM_SA_MAX_SECONDS     (48 * 3600)

/* key_path: the signing key (P-256, PEM), created 0600 when absent. */
int platform_sa_tokens_new(struct platform_objects *objects, const char *key_path, struct platform_sa_tokens **ret,
			   struct cc_error *err);
void platform_sa_tokens_free(struct platform_sa_tokens *t);

/* The authenticator to add to authn.h's list (ctx: t). */
struct platform_token_authenticator platform_sa_tokens_authenticator(struct platform_sa_tokens *t);

/* A token for service account sa (a stored ServiceAccount) of namespace, for audiences (NULL: the
 * API's), valid for seconds, bound to pod (NULL: unbound). *ret_token malloc'd. */
int platform_sa_token_issue(struct platform_sa_tokens *t, const json_t *sa, const json_t *audiences, int64_t seconds,
			    const json_t *pod, char **ret_token, int64_t *ret_expires_ns, struct cc_error *err);

/* POST .../namespaces/NS/serviceaccounts/NAME/token: answers the TokenRequest (201). */
void platform_sa_token_request(struct platform_sa_tokens *t, const struct platform_target *target, json_t *request,
			       struct cc_http_response *resp);
