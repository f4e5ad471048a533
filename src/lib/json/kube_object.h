/* Reading Kubernetes objects held as JSON: the few questions about a pod or any object that the
 * platform's controllers, its scheduler and the CLI's capacity reader all ask, answered once. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

/* metadata.FIELD as a string, or NULL. */
const char *kube_meta(const json_t *obj, const char *field);
/* The ownerReference with controller: true, or NULL. */
const json_t *kube_controller_ref(const json_t *obj);
/* The pod's Ready condition is True. */
bool kube_pod_ready(const json_t *pod);
/* The pod has finished (phase Succeeded or Failed): it holds no resources any more. */
bool kube_pod_finished(const json_t *pod);
