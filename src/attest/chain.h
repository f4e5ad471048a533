/* Certificate chains of attestation evidence: a leaf (VCEK, PCK, EK) and its intermediates checked
 * against pinned trust anchors, at a chosen time, optionally against CRLs. Shared by the verifiers
 * so each checks chains the same strict way. */
#pragma once

#include <openssl/x509.h>
#include <stddef.h>
#include <time.h>

struct cc_error;
struct attest_blob;

struct attest_chain_options {
	const char *anchors_pem; /* the pinned roots; only self-signed certificates in it are anchors */
	size_t anchors_len;
	const struct attest_blob *crls; /* optional CRLs, each DER or PEM (several PEM allowed) */
	size_t n_crls;
	time_t at; /* verification time, 0 for now */
};

/* Verifies leaf up to an anchor through intermediates (may be NULL; self-signed certificates in it
 * are ignored, so a chain that carries its own root cannot choose it). what names the leaf in errors. */
int attest_chain_verify(X509 *leaf, STACK_OF(X509) * intermediates, const struct attest_chain_options *o,
			const char *what, struct cc_error *err);

/* Reads every certificate of a PEM text into a new stack; -EINVAL when there is none. */
int attest_pem_certificates(const char *pem, size_t len, STACK_OF(X509) * *ret, struct cc_error *err);
