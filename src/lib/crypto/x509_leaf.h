/* Pod certificates (docs/design/pod-mtls.md, "Certificate profile"): short-lived X.509 leaves for
 * mutual TLS, issued from a verified CSR's key by a tenant's issuing CA. The profile is fixed here so
 * that every caller issues the same kind of certificate: one SPIFFE ID, DNS names, serverAuth and
 * clientAuth, and optionally the attestation extension. */
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct cc_error;

#define CC_LEAF_DNS_MAX 32
/* The library's bound; the broker's configuration narrows it (600-86400 s). */
#define CC_LEAF_LIFETIME_MAX (366 * 86400)
/* notBefore lies this far in the past, for nodes whose clocks run a little behind the broker's. */
#define CC_LEAF_SKEW          60
#define CC_LEAF_EXTENSION_MAX (64 * 1024)

struct cc_leaf_profile {
	const char *common_name;      /* CN, for people only: `<namespace>/<pod>` (not a host name: see pod-mtls.md) */
	const char *spiffe_id;        /* the one URI SAN, checked by cc_spiffe_id_check */
	const char *const *dns_names; /* dNSName SANs, each checked by cc_dns_name_check */
	size_t n_dns_names;           /* at most CC_LEAF_DNS_MAX */
	int64_t lifetime;             /* seconds, 1..CC_LEAF_LIFETIME_MAX */
	/* Optional: one more extension, non-critical, as a dotted OID (not one OpenSSL knows by name)
	 * and its DER value (one complete TLV). */
	const char *extension_oid;
	const uint8_t *extension_der;
	size_t extension_len;
};

/* Issues a leaf for subject_key (a public EC key, usually a cc_csr's) signed by issuer_cert and
 * issuer_key, which must pass cc_x509_ca_check at now. Validity: notBefore now - CC_LEAF_SKEW,
 * notAfter now + lifetime, cut to the issuer's notAfter. basicConstraints CA:FALSE and keyUsage
 * digitalSignature are critical; extendedKeyUsage serverAuth and clientAuth; subject and authority
 * key identifiers; a random positive 128-bit serial; ECDSA with SHA-256 (P-256 issuer) or SHA-384
 * (P-384). */
int cc_x509_leaf_issue(const struct cc_leaf_profile *profile, EVP_PKEY *subject_key, X509 *issuer_cert,
		       EVP_PKEY *issuer_key, time_t now, X509 **ret, struct cc_error *err);
