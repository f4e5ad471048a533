/* Kubernetes Events (core/v1 Event) that the platform's components record about an object, as
 * kubelet and kube-controller-manager write them: what `kubectl describe` and `kubectl get events`
 * show. They expire after an hour (controllers.c). */
#pragma once

#include <jansson.h>

struct platform_objects;

struct platform_event_source {
	const char *component; /* "kubelet", "replicaset-controller", ... */
	const char *host;      /* the node, or NULL */
};

/* involved: {apiVersion, kind, namespace, name, uid[, fieldPath]} (taken). type "Normal" or
 * "Warning". Failures to record are logged at debug level: an event never fails its caller. */
void platform_event_record(struct platform_objects *objects, const struct platform_event_source *source,
			   json_t *involved, const char *type, const char *reason, const char *message);
