/* cocoon's own policy for confidential workloads: what a pod must say so that it runs inside a TEE
 * whose launch is measured and attested, and so that nothing outside the trust boundary (the host,
 * its disk, its namespaces) reads or changes what the pod holds. docs/scan.md lists each check with
 * its reason; every one is justified in confidential_checks.c. */
#pragma once

#include "scan/workload.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The runtime class that runs pods in cocoon's TEE, and the annotations cocoon reads. */
#define SCAN_CONFIDENTIAL_RUNTIME_CLASS      "cocoon"
#define SCAN_CONFIDENTIAL_PROFILE_ANNOTATION "run.cocoon.profile"
#define SCAN_CONFIDENTIAL_ENCRYPTED_VOLUMES  "run.cocoon.volume.encrypted"

/* Appends one object per problem to out:
 *   {"id": "CC-...", "title", "severity", "category": "confidential", "container" (when one container
 *    is concerned), "field" (from the pod: "spec.runtimeClassName",
 *    "metadata.annotations[run.cocoon.profile]", "spec.containers[1].image"), "message"}
 * pod_metadata may be NULL. A spec that is not an object has nothing to check. */
void scan_confidential_check(const json_t *pod_metadata, const json_t *pod_spec, json_t *out);

/* The checks (struct scan_workload_rule, workload.h): the i-th, NULL past the last. */
const struct scan_workload_rule *scan_confidential_rule(size_t i);

/* Whether image names its content by digest: NAME@sha256:<64 hex> or NAME@sha512:<128 hex>
 * (the OCI image spec's registered algorithms), lower-case hex as the spec requires. */
bool scan_image_by_digest(const char *image);
