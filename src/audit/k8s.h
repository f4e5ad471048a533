/* Kubernetes audit events (audit.k8s.io/v1 Event, one JSON object per line in the API server's
 * audit log) mapped onto the cocoon event model. The original event is kept in extra.k8s. */
#pragma once

#include "event/event.h"

#include <jansson.h>

struct cc_error;

/* Mapping (docs/design/events.md, "Kubernetes audit events"):
 *   auditID -> id, stageTimestamp (else requestReceivedTimestamp) -> time, component "k8s-apiserver",
 *   verb -> action "k8s.<verb>", user.username -> actor, objectRef -> object
 *   "<resource>[/<subresource>] <namespace>/<name>", objectRef.namespace -> tenant,
 *   responseStatus.code -> verdict (<400 allow, 401/403 deny, else error) and severity,
 *   annotations "authorization.k8s.io/reason" -> reason. */
int audit_k8s_to_event(const json_t *k8s, struct cc_event **ret, struct cc_error *err);
