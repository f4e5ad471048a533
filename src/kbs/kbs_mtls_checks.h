/* The checks of a pod certificate request (docs/design/pod-mtls.md, "Issuance: who proves what") that
 * need neither the store nor a session, so unit tests and the fuzzer reach them directly: the body of
 * POST /kbs/v0/mtls/certificate, the runtime data's `cocoon-csr` list, the DNS names a pod may ask
 * for, and the pod's containers in the replayed log as the attestation extension lists them. */
#pragma once

#include "lib/crypto/attestation_ext.h"
#include "lib/crypto/csr.h"
#include "lib/crypto/x509_leaf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;

#define KBS_MTLS_REQUEST_MAX  (32 * 1024) /* a CSR (8 KiB), a token (8 KiB) and 32 DNS names */
#define KBS_MTLS_CSR_LIST_MAX 256         /* CSR keys one attestation may bind (pods a node asks for at once) */

struct kbs_mtls_request {
	json_t *body;    /* owns the strings below */
	const char *csr; /* PEM */
	const char *token;
	const char *dns_names[CC_LEAF_DNS_MAX];
	size_t n_dns_names;
};

/* {"csr": PEM, "token": the pod's service account token, "dnsNames": [names] (optional)}; unknown
 * fields, more than CC_LEAF_DNS_MAX names and anything over KBS_MTLS_REQUEST_MAX are -EINVAL. */
int kbs_mtls_request_parse(const char *data, size_t len, struct kbs_mtls_request *ret, struct cc_error *err);
void kbs_mtls_request_free(struct kbs_mtls_request *req);

/* The runtime data's "cocoon-csr" (a cocoon extension of the KBS protocol): absent (0), or 1 to
 * KBS_MTLS_CSR_LIST_MAX lowercase hex SHA-384 digests of SubjectPublicKeyInfos, sorted and without
 * repeats, so a node's list has one spelling. Else -EINVAL. */
int kbs_mtls_csr_list_check(const json_t *runtime_data, struct cc_error *err);

/* Whether the checked list holds this SPKI digest. */
bool kbs_mtls_csr_bound(const json_t *list, const uint8_t spki_sha384[CC_SPKI_DIGEST_SIZE]);

/* Every name must pass cc_dns_name_check and end in `.NS.svc` or `.NS.svc.CLUSTER_DOMAIN` with at
 * least one label in front: a pod is named only under its own namespace's Services (-EACCES naming the
 * first foreign name; -EINVAL for a malformed one). */
int kbs_mtls_dns_names_check(const char *const *names, size_t n, const char *ns, const char *cluster_domain,
			     struct cc_error *err);

/* The pod's containers among the replayed log's (claims.containers: {container, measurement}), those
 * named UID-NAME-INSTANCE, with the log record's seq from seqs (the log's seq per record, in the same
 * order). -ENOENT when the log has none of the pod's; -EINVAL for a record that cannot be listed.
 * *ret is an array of *ret_n entries, freed with kbs_mtls_containers_free. */
int kbs_mtls_pod_containers(const json_t *containers, const json_t *seqs, const char *uid,
			    struct cc_attested_container **ret, size_t *ret_n, struct cc_error *err);
void kbs_mtls_containers_free(struct cc_attested_container *c, size_t n);
