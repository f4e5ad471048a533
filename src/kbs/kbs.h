/* The key broker (`cocoon kbs serve`): releases secrets only to attested workloads, speaking the
 * Trustee KBS protocol v0 (Confidential Containers) over HTTPS:
 *
 *   POST /kbs/v0/auth      {"version","tee","extra-params"} -> challenge {"nonce"} and the
 *                          `kbs-session-id` cookie (5 minutes once attested, 60 s to answer the
 *                          challenge); extra-params.tenant picks the tenant
 *   POST /kbs/v0/attest    {"runtime-data": {"nonce","tee-pubkey"}, "tee-evidence"} -> {"token": EAR}
 *                          the evidence must bind SHA-384 of the canonical runtime-data
 *   GET  /kbs/v0/resource/<repo>/<type>/<tag> -> the secret as a JWE to the TEE key
 *   POST /kbs/v0/mtls/certificate {"csr","token","dnsNames"} -> a pod certificate (kbs_mtls_issue.h)
 *   POST /kbs/v0/mtls/revoke {"serials","reason"} -> the node revokes its pods' (kbs_mtls_revoke.h)
 *   GET  /kbs/v0/mtls/crl, /kbs/v0/mtls/bundle -> the tenant's CRL and CA bundle, PEM (kbs_mtls_crl.h)
 *
 * TPM nodes register their attestation key by credential activation (kbs_register.c):
 *
 *   POST /kbs/v0/node/register, POST /kbs/v0/node/activate
 *
 * and an admin API under /kbs/v0/admin/<tenant>/ (policy, resources, nodes, mtls) for client certificates
 * of the tenant (O=<tenant>) or of the admin group. Every decision is an audit event. */
#pragma once

#include "kbs/kbs_delegate.h"
#include "keys/root_key.h"
#include "lib/net/http.h"

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct cc_error;
struct cc_store;
struct kbs;

struct kbs_config {
	struct cc_store *store;
	const uint8_t *root;   /* KEYS_ROOT_KEY_SIZE bytes: seals the resources */
	EVP_PKEY *token_key;   /* P-256: signs the EAR tokens */
	const char *snp_chain; /* AMD ASK + ARK (PEM), or NULL to refuse SNP */
	size_t snp_chain_len;
	const char *tdx_root; /* Intel SGX Root CA (PEM), or NULL to refuse TDX */
	size_t tdx_root_len;
	const char *ek_ca; /* TPM manufacturers' EK CAs (PEM bundle), or NULL: no node registration */
	size_t ek_ca_len;
	const char *vcek_cache;        /* directory of VCEKs by chip and TCB, or NULL */
	const char *kds_url;           /* AMD KDS VCEK URL of the product, or NULL: never fetch */
	const char *kds_ca;            /* its CA bundle, or NULL for the system store */
	time_t verify_at;              /* certificate time for evidence; 0 for now */
	int session_ttl;               /* seconds (300) */
	int challenge_ttl;             /* seconds an unanswered challenge lasts (60) */
	int max_challenges_per_source; /* unattested sessions one address may hold (64) */
	int token_ttl;                 /* seconds (300) */
	const char *admin_group;       /* O= of certificates that administer every tenant */
	/* The admin API's client CA (PEM bundle, --client-ca): a tenant's mTLS CA may never be it or be
	 * signed by it (kbs_mtls_ca_not_client_ca). NULL skips that check (unit tests). */
	const char *client_ca;
	size_t client_ca_len;
	/* The public key the platform signs service account tokens with (--sa-issuer-key), or NULL:
	 * then no pod certificate is issued (kbs_mtls_issue.h). */
	EVP_PKEY *sa_issuer_key;
	/* Seconds pod certificate records and kept EARs outlive the certificates (0: a day,
	 * KBS_MTLS_RETENTION_DEFAULT in kbs_mtls_records.h). */
	int mtls_retention;
	/* Bearer tokens on the admin API, authenticated and authorized by the platform (kbs_delegate.h);
	 * url NULL: client certificates only. */
	struct kbs_delegate_config delegate;
};

int kbs_new(const struct kbs_config *cfg, struct kbs **ret, struct cc_error *err);
void kbs_free(struct kbs *kbs);
const struct cc_http_route *kbs_routes(struct kbs *kbs, size_t *ret_count);
