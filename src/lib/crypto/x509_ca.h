/* A tenant's issuing CA for pod certificates (docs/design/pod-mtls.md, "The issuer"): the broker
 * makes the CA's key and a CSR, the tenant's offline root signs it, and the broker checks what comes
 * back before it issues anything under it. */
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <time.h>

struct cc_error;

/* Makes the CA's EC P-256 key and a PEM CSR for it with subject CN=common_name that asks for
 * basicConstraints CA:TRUE and keyUsage keyCertSign, cRLSign. *ret_csr_pem is malloc'ed. */
int cc_x509_ca_request(const char *common_name, EVP_PKEY **ret_key, char **ret_csr_pem, struct cc_error *err);

/* Checks that cert can issue pod certificates and CRLs with key: the certificate's public key is
 * key's, basicConstraints says CA:TRUE (a pathLenConstraint of 0 is fine), keyUsage (when present)
 * has keyCertSign and cRLSign, it is valid at now, and the key is EC P-256 or P-384. Name
 * constraints are allowed: they are the offline root's to set. 0, or -EINVAL naming the fault. */
int cc_x509_ca_check(X509 *cert, EVP_PKEY *key, time_t now, struct cc_error *err);
