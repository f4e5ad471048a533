/* Admission for the mTLS guard (see mtls_admission.h). */
#include "platform/mtls_admission.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/event/emit.h"
#include "lib/json/json.h"
#include "lib/json/kube_object.h"
#include "platform/access.h"
#include "platform/mtls_policy.h"
#include "platform/objects.h"
#include "platform/resources.h"
#include "platform/status.h"
#include "platform/user.h"

#include <errno.h>
#include <string.h>

#define ANNOTATION_FIELD "metadata.annotations[" PLATFORM_MTLS_ANNOTATION "]"

static const json_t *mode_value(const json_t *obj)
{
	return json_object_get(kube_get2(obj, "metadata", "annotations"), PLATFORM_MTLS_ANNOTATION);
}

static const char *actor(const struct cc_http_request *req)
{
	const struct platform_user *user = req ? platform_request_user(req) : NULL;
	return user ? user->name : "cocoond";
}

void platform_mtls_namespace_validate(const json_t *obj, json_t *causes)
{
	const json_t *value = mode_value(obj);
	enum platform_mtls_mode mode;
	struct cc_error err = { 0 };
	if (value && platform_mtls_mode_parse(json_string_value(value), &mode, &err) < 0)
		platform_cause(causes, "FieldValueNotSupported", ANNOTATION_FIELD, "%s", cc_error_message(&err));
}

void platform_mtls_namespace_changed(const struct cc_http_request *req, const json_t *old, const json_t *stored)
{
	enum platform_mtls_mode before = platform_mtls_mode(old), after = platform_mtls_mode(stored);
	if (before == after)
		return;
	const char *name = kube_meta(stored, "name") ?: "";
	_cleanup_free_ char *object = cc_xasprintf("namespace %s", name);
	_cleanup_free_ char *reason = cc_xasprintf("mutual TLS of namespace \"%s\" changes from %s to %s%s", name,
						   platform_mtls_mode_name(before), platform_mtls_mode_name(after),
						   after < before ? ": a weaker protection of its pods" : "");
	json_t *extra =
	    json_pack("{s:s, s:s}", "from", platform_mtls_mode_name(before), "to", platform_mtls_mode_name(after));
	cc_event_emit_decision_extra("platform", "mtls.policy", actor(req), NULL, object, true, reason, extra);
}

static bool same(const json_t *a, const json_t *b)
{
	return (!a && !b) || (a && b && json_equal(a, b));
}

bool platform_mtls_guard_admit_pod(struct platform_objects *objects, const struct cc_http_request *req,
				   const json_t *pod, const json_t *old, struct cc_http_response *resp)
{
	if (old && same(kube_get2(pod, "metadata", "annotations"), kube_get2(old, "metadata", "annotations")) &&
	    same(json_object_get(pod, "spec"), json_object_get(old, "spec")))
		return true;
	const char *namespace = kube_meta(pod, "namespace");
	if (!namespace)
		return true;
	const struct platform_resource *pods = platform_resource_find("", "v1", "pods");
	enum platform_mtls_mode mode = MTLS_OFF;
	struct cc_error err = { 0 };
	if (platform_mtls_namespace_mode(objects, namespace, &mode, &err) < 0) {
		/* Fail closed: without the namespace its mode is not known. */
		platform_status_error(resp, 500, NULL, pods, kube_meta(pod, "name"),
				      "the mutual TLS mode of namespace \"%s\" cannot be read: %s", namespace,
				      cc_error_message(&err));
		return false;
	}
	if (mode != MTLS_REQUIRED)
		return true;
	int r = platform_mtls_pod_check(pod, NULL, &err);
	if (r == 0)
		return true;
	const char *name = kube_meta(pod, "name") ?: kube_meta(pod, "generateName") ?: "";
	_cleanup_free_ char *object = cc_xasprintf("pod/%s/%s", namespace, name);
	cc_event_emit_decision("platform", "mtls.admission", actor(req), NULL, object, false, cc_error_message(&err));
	if (r == -EINVAL) {
		json_t *causes = json_array();
		platform_cause(causes, "FieldValueInvalid", "metadata.annotations[" PLATFORM_MTLS_PORTS_ANNOTATION "]",
			       "%s", cc_error_message(&err));
		platform_status_invalid(resp, pods, name, causes);
	} else {
		platform_status_error(resp, 403, "Forbidden", pods, name,
				      "pods \"%s\" is forbidden: namespace \"%s\" requires mutual TLS "
				      "(" PLATFORM_MTLS_ANNOTATION ": required): %s",
				      name, namespace, cc_error_message(&err));
	}
	return false;
}
