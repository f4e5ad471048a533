/* Admission for the mTLS guard (mtls_guard.h): the namespace annotation `run.cocoon.mtls` checked
 * and each change of it recorded, and the pods a required namespace cannot guard refused. The
 * certificate volume that required and permissive namespaces add to pods is pod_mtls_admission.h's. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

struct cc_http_request;
struct cc_http_response;
struct platform_objects;

/* A Namespace's annotation value checked, as a cause (422) for admit.c's validation of the kind. */
void platform_mtls_namespace_validate(const json_t *obj, json_t *causes);

/* A Namespace stored (old NULL: created): a change of the annotation is an `mtls.policy` security
 * event naming who, the namespace, and the mode before and after (turning it down weakens what the
 * namespace's pods are protected by, so the security log hears of every change). */
void platform_mtls_namespace_changed(const struct cc_http_request *req, const json_t *old, const json_t *stored);

/* A Pod created (old NULL) or updated in a namespace that requires mutual TLS: refused when its ports
 * annotation is malformed (422, naming the value), or it uses hostNetwork or could change its
 * network namespace's rules (403, naming the reason); an update that changes neither its
 * annotations nor its spec is not judged again. Each refusal is an `mtls.admission` deny event.
 * false after answering. */
bool platform_mtls_guard_admit_pod(struct platform_objects *objects, const struct cc_http_request *req,
				   const json_t *pod, const json_t *old, struct cc_http_response *resp);
