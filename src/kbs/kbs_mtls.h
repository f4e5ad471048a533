/* A tenant's mTLS issuer in the key broker (docs/design/pod-mtls.md, "The issuer"), kept in the state
 * store beside the tenant's other data (kbs_tenant.h), so several brokers on one etcd share it:
 *
 *   kbs/<tenant>/mtls          the configuration, canonical JSON: {"trustDomain", "clusterDomain",
 *                              "lifetime" (seconds), "enabled", and "issuancesPerMinute" (per node;
 *                              kbs_mtls_rate.h's 120 when absent)}; without it nothing is issued
 *   kbs/<tenant>/mtls/ca       the issuing CA's private key (DER), sealed under the root key with
 *                              this store key as associated data, so it cannot be moved; never clear
 *   kbs/<tenant>/mtls/ca-cert  the CA certificate the tenant's offline root signed (PEM)
 *
 * The key is made here and never leaves the broker: the administrator gets a CSR and returns the
 * root's certificate for it. */
#pragma once

#include "keys/root_key.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;
struct cc_store;

#define KBS_MTLS_LIFETIME_DEFAULT 3600
#define KBS_MTLS_LIFETIME_MIN     600
#define KBS_MTLS_LIFETIME_MAX     86400
#define KBS_MTLS_CONFIG_MAX       4096

/* Checks the configuration (unknown fields refused; trustDomain required; clusterDomain defaults to
 * cluster.local, lifetime to 3600 s within 600-86400, enabled to true; issuancesPerMinute, 1-10000,
 * stays absent unless given) and stores it with the defaults filled in. *ret (optional) is what was
 * stored. */
int kbs_mtls_config_put(struct cc_store *store, const char *tenant, const char *text, size_t len, json_t **ret,
			struct cc_error *err);
/* -ENOENT when the tenant has no mTLS configuration. */
int kbs_mtls_config_get(struct cc_store *store, const char *tenant, json_t **ret, struct cc_error *err);

/* A PEM CSR for the tenant's issuing CA key, making and sealing the key first when the tenant has
 * none (*ret_created then true). Two brokers racing to make it agree on the first one stored. */
int kbs_mtls_ca_request(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant,
			char **ret_csr_pem, bool *ret_created, struct cc_error *err);

/* Activates the certificate (PEM or DER) the tenant's root signed for the CA key: it must pass
 * cc_x509_ca_check with the sealed key and kbs_mtls_ca_not_client_ca with client_ca (the broker's
 * --client-ca, PEM; NULL skips that check). Replaces an earlier certificate for the same key
 * (renewal). *ret_serial (optional, CC_X509_SERIAL_HEX_MAX bytes) names the certificate activated. */
int kbs_mtls_ca_activate(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant,
			 const void *cert, size_t len, const char *client_ca, size_t client_ca_len, char *ret_serial,
			 struct cc_error *err);

/* "Confusing CAs" (docs/design/pod-mtls.md, "Threat model"): cocoond's API and this broker's admin
 * API map certificates of their client CA to users and groups, so a tenant's issuing CA must never be
 * that CA, nor be signed by it, or every pod certificate would also be an admin client certificate.
 * Refuses cert (-EINVAL) when its key is a key of a certificate in client_ca (PEM bundle) or when one of
 * them signed it. A chain through an intermediate the broker does not see cannot be judged here. */
int kbs_mtls_ca_not_client_ca(X509 *cert, const char *client_ca, size_t client_ca_len, struct cc_error *err);

/* The active CA certificate as PEM (*ret malloc'ed); -ENOENT when none is active. */
int kbs_mtls_ca_certificate(struct cc_store *store, const char *tenant, char **ret_pem, struct cc_error *err);

/* The issuing CA, certificate and key, ready to sign; -ENOENT when none is active. */
int kbs_mtls_ca_load(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant,
		     X509 **ret_cert, EVP_PKEY **ret_key, struct cc_error *err);
