/* The ServiceAccount admission of kube-apiserver, for pods: a pod runs as a service account
 * (spec.serviceAccountName, "default" when absent) that must exist in its namespace; unless the pod
 * or the account turns automountServiceAccountToken off, the pod gets the projected volume
 * kube-api-access-XXXXX (a bound token that the node renews, the cluster's CA from the
 * kube-root-ca.crt ConfigMap, the namespace) mounted read-only at
 * /var/run/secrets/kubernetes.io/serviceaccount in each of its containers. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

struct cc_error;
struct cc_http_response;
struct platform_objects;

#define PLATFORM_SA_MOUNT_PATH     "/var/run/secrets/kubernetes.io/serviceaccount"
#define PLATFORM_ROOT_CA_CONFIGMAP "kube-root-ca.crt"

/* Edits pod in place; false after answering 403 (no such service account). */
bool platform_sa_admit_pod(struct platform_objects *objects, json_t *pod, struct cc_http_response *resp);

/* A read-only mount of volume at path in every container and init container of the pod spec,
 * unless the container mounts something there already. */
void platform_admission_mount_everywhere(json_t *spec, const char *volume, const char *path);

/* What kube-controller-manager's service account and root CA publisher controllers make in every
 * namespace: the "default" ServiceAccount and the kube-root-ca.crt ConfigMap (ca.crt: ca_pem).
 * Idempotent. */
int platform_sa_namespace_defaults(struct platform_objects *objects, const char *namespace, const char *ca_pem,
				   struct cc_error *err);
