/* libFuzzer target: the pod-certificate parsers that take a requester's bytes (lib/crypto/csr.h,
 * which the key broker runs on every CSR a node sends) and the CocoonAttestation decoder
 * (lib/crypto/attestation_ext.h, which audit tools run on certificates). Every input goes to both.
 * Besides never crashing: a CSR that parses has a P-256 key its own signature verifies with, and an
 * attestation that decodes encodes back to exactly the input (the decoder accepts DER only). */
#include "lib/base/error.h"
#include "lib/crypto/attestation_ext.h"
#include "lib/crypto/csr.h"

#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void csr(const uint8_t *data, size_t size)
{
	struct cc_error err = { 0 };
	struct cc_csr *parsed = NULL;
	if (cc_csr_parse(data, size, &parsed, &err) < 0)
		return;
	char group[32];
	if (!EVP_PKEY_get_group_name(parsed->key, group, sizeof(group), NULL) || strcmp(group, "prime256v1") != 0 ||
	    X509_REQ_verify(parsed->req, parsed->key) != 1)
		abort(); /* the parser let through what it promises to refuse */
	cc_csr_free(parsed);
}

static void attestation(const uint8_t *data, size_t size)
{
	struct cc_error err = { 0 };
	struct cc_attestation *a = NULL;
	if (cc_attestation_ext_decode(data, size, &a, &err) < 0)
		return;
	uint8_t *der = NULL;
	size_t len = 0;
	if (cc_attestation_ext_encode(a, &der, &len, &err) < 0 || len != size || memcmp(der, data, size) != 0)
		abort(); /* decoded, but not the DER of what was decoded */
	free(der);
	cc_attestation_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	csr(data, size);
	attestation(data, size);
	return 0;
}
