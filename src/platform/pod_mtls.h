/* Pods' mTLS certificates (docs/design/pod-mtls.md, build steps 5 and 6). In a namespace annotated
 * `run.cocoon.mtls` (mtls_policy.h), each pod gets a short-lived X.509 certificate from the key broker
 * before any of its containers starts: its containers are measured ahead of their launch, the node
 * attests naming the pod and binding the pod's new key, and the broker checks the pod's own service
 * account token. The files (tls.key, tls.crt, ca.pem, crl.pem, credentials.pem) are written on the
 * runner's tmpfs, switched atomically (atomic_dir.h), and reach containers through a `csi` volume of
 * the driver mtls.cocoon.run, which admission adds. Certificates are renewed at two thirds of their
 * life, the tenant's bundle and CRL refreshed each minute, and a deleted pod's certificate revoked. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

struct cc_error;
struct platform_pods;
struct pod_state;

#define POD_MTLS_DRIVER     "mtls.cocoon.run"
#define POD_MTLS_MOUNT_PATH "/var/run/secrets/cocoon.run/mtls"

/* Whether a pod's spec.volumes hold one of the driver mtls.cocoon.run. */
bool pod_mtls_has_volume(const json_t *volumes);

/* What the runner keeps of a pod's certificate (RUN/memory/UID/mtls.json): tenant, serial, spiffeId,
 * issuedAt and notAfter (Unix seconds), issuingCa (PEM), materialAt; negative when it has none. */
int pod_mtls_state_load(const struct platform_pods *p, const char *uid, json_t **ret);

/* The host directory of the pod's mtls volume (memory_dir/mtls.cocoon.run: volume names are DNS
 * labels, so no volume of the pod's own can take it). malloc'ed. */
char *pod_mtls_dir(const char *memory_dir);

/* Before the pod's first container: its certificate in place, or an error that keeps it waiting
 * (fail closed). On later passes (refresh): renewal when due, the bundle and CRL when stale; a
 * failed renewal is a Warning event and leaves the current files (peers refuse them at expiry). Pods
 * of namespaces without the annotation: nothing. */
int pod_mtls_certificate(struct platform_pods *p, struct pod_state *ps, const json_t *pod, bool refresh,
			 struct cc_error *err);

/* The pod's condition cocoon.run/MTLSReady: false (the pod has no mtls volume) when it has none;
 * *ready while it holds an unexpired certificate, *reason otherwise (CertificatePending before the
 * first, CertificateExpired after). */
bool pod_mtls_condition(const struct platform_pods *p, const struct pod_state *ps, const json_t *pod, bool *ready,
			const char **reason);

/* A pod that goes: its certificate revoked at the broker (best effort: it expires anyway), with a
 * security event either way. */
void pod_mtls_revoke(struct platform_pods *p, struct pod_state *ps);
