/* Admission of pods in namespaces that ask for mutual TLS (run.cocoon.mtls, mtls_policy.h): the pod
 * gets the volume of its certificate, a `csi` volume of the driver mtls.cocoon.run as cert-manager's
 * csi-driver-spiffe is asked for, mounted read-only in every container at
 * /var/run/secrets/cocoon.run/mtls (pod_mtls.h), as the service account's token volume is added. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

struct cc_http_response;
struct platform_objects;

#define POD_MTLS_VOLUME "cocoon-mtls"

/* Edits pod in place (true: it may be created; false after answering 500 when the namespace
 * cannot be read); nothing for namespaces without the annotation, or pods that already
 * have a volume of the driver (then mounted where the pod says). */
bool platform_mtls_admit_pod(struct platform_objects *objects, json_t *pod, struct cc_http_response *resp);
