/* The CocoonAttestation certificate extension (docs/design/pod-mtls.md, "The attestation
 * extension"): what the broker saw when it issued a pod certificate, for auditors and the console.
 * Non-critical, so every TLS stack ignores what it does not know. DER of:
 *
 *   CocoonAttestation ::= SEQUENCE {
 *     version INTEGER (1), tenant UTF8String, node UTF8String, tee UTF8String,
 *     attestedAt GeneralizedTime, earId UTF8String,
 *     evidenceDigest OCTET STRING (SIZE (48)), policyDigest OCTET STRING (SIZE (48)),
 *     containers SEQUENCE OF SEQUENCE {
 *       name UTF8String, instance INTEGER, measurement OCTET STRING (SIZE (48)), logSeq INTEGER } }
 */
#pragma once

#include "lib/base/cleanup.h"

#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct cc_error;

/* The extension's OID: under 2.25 (ITU-T X.667: a UUID as an integer arc, no registration needed),
 * from UUID ed7edd4a-1a46-4be9-927a-d0d8c2cba55a, made once for this purpose. Never change it: issued
 * certificates and audit tools name the extension by it. */
#define CC_ATTESTATION_EXT_OID "2.25.315685752688738476782982348621596042586"

#define CC_ATTESTATION_VERSION     1
#define CC_ATTESTATION_DIGEST_SIZE 48 /* SHA-384 */
/* Limits on what is decoded: an extension is at most 64 KiB (x509_leaf.h), a pod far fewer than 1024
 * containers, and each string a name, not a document. */
#define CC_ATTESTATION_EXT_MAX        (64 * 1024)
#define CC_ATTESTATION_CONTAINERS_MAX 1024
#define CC_ATTESTATION_STRING_MAX     1024

struct cc_attested_container {
	char *name;       /* the runtime's container id, `UID-NAME-INSTANCE` */
	int64_t instance; /* >= 0 */
	uint8_t measurement[CC_ATTESTATION_DIGEST_SIZE];
	int64_t log_seq; /* the record's seq in measurements.jsonl, >= 0 */
};

struct cc_attestation {
	int64_t version; /* CC_ATTESTATION_VERSION */
	char *tenant;
	char *node;
	char *tee; /* "tpm" */
	time_t attested_at;
	char *ear_id; /* the EAR's jti */
	uint8_t evidence_digest[CC_ATTESTATION_DIGEST_SIZE];
	uint8_t policy_digest[CC_ATTESTATION_DIGEST_SIZE];
	struct cc_attested_container *containers;
	size_t n_containers;
};

/* DER of a; every string non-empty valid UTF-8 of at most CC_ATTESTATION_STRING_MAX bytes, numbers
 * non-negative. *ret_der is malloc'ed. */
int cc_attestation_ext_encode(const struct cc_attestation *a, uint8_t **ret_der, size_t *ret_len, struct cc_error *err);

/* Decodes exactly one DER CocoonAttestation: refuses trailing bytes, BER forms (indefinite or long
 * lengths, non-minimal integers), another version, digests of another size, empty or invalid UTF-8
 * or NUL bytes in strings, negative numbers, and anything over the limits above. */
int cc_attestation_ext_decode(const uint8_t *der, size_t len, struct cc_attestation **ret, struct cc_error *err);

/* The extension of cert decoded; -ENOENT when it has none, -EINVAL when it has two. */
int cc_attestation_ext_from_cert(X509 *cert, struct cc_attestation **ret, struct cc_error *err);

void cc_attestation_free(struct cc_attestation *a);
CC_DEFINE_CLEANUP_FUNC(struct cc_attestation *, cc_attestation_free)
