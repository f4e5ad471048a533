/* The names an mTLS leaf may carry in its subjectAltName: one SPIFFE ID and DNS names. They are
 * checked before they reach OpenSSL, because OpenSSL encodes whatever it is given and a peer
 * authorizes on these strings (SPIFFE prefixes, name constraints, host name checks). */
#pragma once

struct cc_error;

/* The SPIFFE ID limit (SPIFFE-ID.md §2.3: 2048 bytes) and the trust domain's (§2.1: 255). */
#define CC_SPIFFE_ID_MAX           2048
#define CC_SPIFFE_TRUST_DOMAIN_MAX 255

/* A workload's SPIFFE ID (SPIFFE-ID.md §2): `spiffe://` + a trust domain of [a-z0-9._-] (no port, no
 * user) + a non-empty path of `/segment`s of [a-zA-Z0-9._-], none empty, `.` or `..`, no trailing `/`,
 * query or fragment. X.509-SVID §2 requires a path for a leaf. 0 or -EINVAL naming the fault. */
int cc_spiffe_id_check(const char *id, struct cc_error *err);

/* A trust domain alone (SPIFFE-ID.md §2.1), as a tenant's mTLS configuration names it. */
int cc_spiffe_trust_domain_check(const char *trust_domain, struct cc_error *err);

/* A DNS name for a dNSName SAN (RFC 5280 §4.2.1.6, RFC 1123 §2.1): labels of 1-63 letters, digits and
 * inner hyphens, at most 253 characters, no trailing dot, no wildcard. 0 or -EINVAL naming the fault. */
int cc_dns_name_check(const char *name, struct cc_error *err);
