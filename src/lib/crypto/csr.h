/* PKCS#10 certificate signing requests (RFC 2986) for pod certificates (docs/design/pod-mtls.md):
 * cocoond's runner makes one per pod key; the key broker parses and verifies it before issuing. The
 * broker binds a CSR to an attestation by the SHA-384 of its SubjectPublicKeyInfo, which the node's
 * quote covers through the runtime data (`cocoon-csr`). */
#pragma once

#include "lib/base/cleanup.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;

/* The largest CSR accepted: a P-256 CSR is about 300 bytes of DER (450 as PEM), so 8 KiB leaves room
 * for a subject and attributes and none for abuse. */
#define CC_CSR_MAX          8192
#define CC_SPKI_DIGEST_SIZE 48

struct cc_csr {
	X509_REQ *req;
	EVP_PKEY *key; /* the requester's public key: EC P-256, named curve */
	/* SHA-384 of the DER SubjectPublicKeyInfo as the CSR encodes it */
	uint8_t spki_sha384[CC_SPKI_DIGEST_SIZE];
};

/* Parses a CSR (PEM `CERTIFICATE REQUEST` or DER, at most CC_CSR_MAX bytes, nothing after it) and
 * verifies its signature with its own key: proof that the requester holds the private key. Refuses
 * any key but EC P-256 on the named curve, and signatures other than ECDSA with SHA-2. */
int cc_csr_parse(const void *data, size_t len, struct cc_csr **ret, struct cc_error *err);
void cc_csr_free(struct cc_csr *csr);
CC_DEFINE_CLEANUP_FUNC(struct cc_csr *, cc_csr_free)

/* SHA-384 of key's DER SubjectPublicKeyInfo: what a requester puts in `cocoon-csr` for its own key.
 * It equals cc_csr's spki_sha384 for a CSR that cc_csr_make made from the same key. */
int cc_spki_sha384(EVP_PKEY *key, uint8_t out[CC_SPKI_DIGEST_SIZE], struct cc_error *err);

/* Makes a PEM CSR for key (EC P-256 or P-384; private) with subject CN=common_name. With ca, it
 * asks for basicConstraints CA:TRUE and keyUsage keyCertSign and cRLSign (critical), which
 * `openssl x509 -req -copy_extensions copy` or `openssl ca` can take over. *ret_pem is malloc'ed. */
int cc_csr_make(EVP_PKEY *key, const char *common_name, bool ca, char **ret_pem, struct cc_error *err);
