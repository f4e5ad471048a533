/* The platform's service account tokens as the key broker reads them (docs/design/pod-mtls.md,
 * "Issuance: who proves what"): the API server vouches, through a token bound to a pod, for the pod's
 * namespace, service account and uid. The broker holds only the public key cocoond signs them with
 * (--sa-issuer-key; cocoond keeps the private key at DATA/pki/service-account.key) and checks what
 * platform_sa_token_issue() (src/platform/sa_tokens.c) writes: an ES256 JWT with exp, nbf, aud and
 * kubernetes.io {namespace, serviceaccount {name, uid}, pod {name, uid}}.
 *
 * The issuer (iss) is not compared: the pinned key is what names the issuer, and cocoond and a
 * cluster's API server spell it differently. */
#pragma once

#include <jansson.h>
#include <openssl/evp.h>
#include <time.h>

struct cc_error;

/* Tokens must be for this audience followed by the tenant: `cocoon-kbs:acme`. */
#define KBS_SA_AUDIENCE_PREFIX "cocoon-kbs:"
#define KBS_SA_TOKEN_MAX       8192 /* cocoond's tokens are under 1 KiB; a bound on what is parsed */
#define KBS_SA_CLOCK_SKEW      60   /* seconds of nbf leeway, as kube-apiserver allows */

/* Who a token vouches for. Names are Kubernetes names (DNS labels or subdomains, so <= 253 bytes). */
struct kbs_sa_identity {
	char namespace[64];
	char service_account[254];
	char pod_name[254];
	char pod_uid[64];
};

/* Reads the pod's identity from claims already verified (signature and exp): the audience must
 * include KBS_SA_AUDIENCE_PREFIX + tenant, nbf must not lie ahead of now (with KBS_SA_CLOCK_SKEW),
 * and kubernetes.io must name a namespace, a service account and a pod (a token not bound to a pod
 * vouches for no pod). -EACCES with the reason for a token that is not for this; -EINVAL for a
 * malformed one. */
int kbs_sa_identity_from_claims(const json_t *claims, const char *tenant, time_t now, struct kbs_sa_identity *ret,
				struct cc_error *err);

/* Verifies the token's signature with key (P-256) and its expiry, then reads it as above. */
int kbs_sa_token_verify(EVP_PKEY *key, const char *token, const char *tenant, time_t now, struct kbs_sa_identity *ret,
			struct cc_error *err);

/* Reads --sa-issuer-key: a PEM public key (SubjectPublicKeyInfo) on P-256. A private key is refused:
 * the broker has no business holding what signs the platform's tokens. */
int kbs_sa_issuer_key_load(const char *path, EVP_PKEY **ret, struct cc_error *err);
