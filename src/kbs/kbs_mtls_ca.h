/* A tenant's issuing CAs for pod certificates and their rotation (docs/design/pod-mtls.md, "The
 * issuer"), in the state store so that several brokers on one etcd share them:
 *
 *   kbs/<tenant>/mtls/ca       the first CA's private key (DER), sealed under the root key with this
 *   kbs/<tenant>/mtls/ca-<n>   store key as associated data (so a key cannot be moved to another
 *                              name); the n-th key, made by the n-1-th rotation. Made once each, by
 *                              a create-only write, and never clear
 *   kbs/<tenant>/mtls/ca-cert  the tenant's issuers, JSON, every change one compare-and-swap:
 *                              {"active": {"generation", "certificate" (PEM)},
 *                               "next": {"generation", "startedAt"}          a rotation's key waiting
 *                                                                            for its certificate
 *                               "previous": {"generation", "certificate", "until"}}
 *                              (a PEM stored before rotation existed reads as generation 1's
 *                              certificate)
 *
 * A rotation makes key n+1 while generation n keeps issuing; activating the root's certificate for
 * it switches issuance and new CRLs to it in one write, and generation n becomes the previous CA:
 * it stays in the bundle and signs a CRL of its own until `until` (the switch plus the tenant's leaf
 * lifetime and the skew, never past its certificate's notAfter) has passed and no record of an
 * unexpired, unrevoked certificate names it (kbs_mtls_records.h). Then it retires: dropped from the
 * state, its key deleted. Only one rotation runs at a time. */
#pragma once

#include "keys/root_key.h"
#include "lib/crypto/x509.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct cc_error;
struct cc_store;

#define KBS_MTLS_CA_STATE_MAX (256 * 1024) /* two certificates of at most 64 KiB, as PEM */
#define KBS_MTLS_CA_SKEW      60           /* a leaf's notBefore slack, added to the previous CA's stay */

/* A PEM CSR for the active CA's key (the key of generation 1, made and sealed first when the tenant
 * has none: *ret_created then true). Two brokers racing to make it agree on the first one stored. */
int kbs_mtls_ca_request(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant,
			char **ret_csr_pem, bool *ret_created, struct cc_error *err);

/* Starts a rotation, or goes on with the one started: a PEM CSR for the next generation's key, made
 * and sealed when the rotation starts now (*ret_created true). -EBUSY when there is no active CA to
 * rotate, or while a previous CA is still in the bundle (the error says until when). */
int kbs_mtls_ca_rotate(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant,
		       char **ret_csr_pem, bool *ret_created, unsigned *ret_generation, struct cc_error *err);

struct kbs_mtls_activation {
	char serial[CC_X509_SERIAL_HEX_MAX]; /* of the certificate activated */
	unsigned generation;
	bool switched; /* a rotation's key became the active one */
	char previous_serial[CC_X509_SERIAL_HEX_MAX];
	time_t previous_until;
};

/* Activates the certificate (PEM or DER) the tenant's root signed for one of its keys: the rotation's
 * next key (the switch: issuance moves to it, the active CA becomes the previous one), the active key
 * (a renewed certificate replaces the active one), or generation 1's when nothing is active yet. It
 * must pass cc_x509_ca_check with that key and kbs_mtls_ca_not_client_ca with client_ca (the broker's
 * --client-ca, PEM; NULL skips that check). *ret (optional) says what happened. */
int kbs_mtls_ca_activate(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant,
			 const void *cert, size_t len, const char *client_ca, size_t client_ca_len,
			 struct kbs_mtls_activation *ret, struct cc_error *err);

/* "Confusing CAs" (docs/design/pod-mtls.md, "Threat model"): cocoond's API and this broker's admin
 * API map certificates of their client CA to users and groups, so a tenant's issuing CA must never be
 * that CA, nor be signed by it, or every pod certificate would also be an admin client certificate.
 * Refuses cert (-EINVAL) when its key is a key of a certificate in client_ca (PEM bundle) or when one of
 * them signed it. A chain through an intermediate the broker does not see cannot be judged here. */
int kbs_mtls_ca_not_client_ca(X509 *cert, const char *client_ca, size_t client_ca_len, struct cc_error *err);

/* The active CA certificate as PEM (*ret malloc'ed); -ENOENT when none is active. */
int kbs_mtls_ca_certificate(struct cc_store *store, const char *tenant, char **ret_pem, struct cc_error *err);

/* The bundle peers trust: the active CA certificate, then the previous one while it stays (PEM). */
int kbs_mtls_ca_bundle(struct cc_store *store, const char *tenant, char **ret_pem, struct cc_error *err);

/* What GET mtls/ca answers: {"certificate", "generation", "previous"?: {"certificate", "generation",
 * "until"}, "next"?: {"generation", "startedAt"}}; -ENOENT when none is active. */
int kbs_mtls_ca_status(struct cc_store *store, const char *tenant, json_t **ret, struct cc_error *err);

/* The active CA, certificate and key, ready to sign; *ret_generation (optional) is its generation,
 * which the records keep. -ENOENT when none is active. */
int kbs_mtls_ca_load(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant,
		     X509 **ret_cert, EVP_PKEY **ret_key, unsigned *ret_generation, struct cc_error *err);

/* The CAs that sign CRLs: the active one first, then the previous one while it stays. */
struct kbs_mtls_signer {
	unsigned generation;
	X509 *cert;
	EVP_PKEY *key;
	time_t until; /* the previous CA's: 0 for the active one */
};
struct kbs_mtls_signers {
	struct kbs_mtls_signer ca[2];
	size_t n;
	char digest[65]; /* SHA-256 (hex) of the certificates in order: changes with every switch */
};
/* -ENOENT when none is active; -ESTALE when the previous CA retired while it was read (read again). */
int kbs_mtls_ca_signers(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant,
			struct kbs_mtls_signers *ret, struct cc_error *err);
void kbs_mtls_signers_free(struct kbs_mtls_signers *signers);

/* Retires the previous CA of that generation: drops it from the state (compare-and-swap) and
 * deletes its key. 1 when retired now, 0 when it was gone already. The caller has judged that no
 * certificate of it is still valid (kbs_mtls_crl.c). */
int kbs_mtls_ca_retire(struct cc_store *store, const char *tenant, unsigned generation, struct cc_error *err);
