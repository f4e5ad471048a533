/* Admission by the scanner inside cocoond (image_admission.h). The object is put in an
 * AdmissionReview and judged by the very code the webhook runs, so the platform and a cluster with
 * the webhook decide alike. */
#include "platform/image_admission.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/event/emit.h"
#include "lib/json/json.h"
#include "platform/access.h"
#include "platform/status.h"
#include "platform/target.h"
#include "platform/user.h"
#include "scan/admission.h"

#include <string.h>

static json_t *review_of(const struct platform_target *t, const char *operation, const char *user,
			 const json_t *obj, const json_t *old)
{
	json_t *request = json_pack("{s:s, s:{s:s, s:s, s:s}, s:s, s:s?, s:{s:s}, s:O}", "uid", "cocoond", "kind",
				    "group", t->resource->group, "version", t->resource->version, "kind",
				    t->resource->kind, "operation", operation, "namespace", t->namespace, "userInfo",
				    "username", user, "object", obj);
	if (old)
		json_object_set(request, "oldObject", (json_t *)old);
	return json_pack("{s:s, s:s, s:o}", "apiVersion", "admission.k8s.io/v1", "kind", "AdmissionReview", "request",
			 request);
}

bool platform_image_admission(const struct scan_admission_config *cfg, const struct platform_target *t,
			      const char *operation, const struct cc_http_request *req, const json_t *obj,
			      const json_t *old, struct cc_http_response *resp)
{
	if (!cfg)
		return true;
	const struct platform_user *u = platform_request_user(req);
	const char *user = u && u->name[0] ? u->name : "unknown";
	_cleanup_json_ json_t *review = review_of(t, operation, user, obj, old);
	struct scan_admission_outcome out = { 0 };
	struct cc_error err = { 0 };
	const char *name = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
	if (scan_admission_review_json(cfg, review, false, &out, &err) < 0) {
		/* a review made here that the judge cannot read: refused, not waved through */
		cc_event_emit_decision("scan", "admission.review", user, NULL, t->resource->kind, false,
				       cc_error_message(&err));
		platform_status_error(resp, 500, NULL, t->resource, name, "the scan admission failed: %s",
				      cc_error_message(&err));
		return false;
	}
	const json_t *response = json_object_get(out.review, "response");
	size_t i;
	const json_t *w;
	json_array_foreach (json_object_get(response, "warnings"), i, w)
		platform_add_warning(resp, json_string_value(w));
	bool allowed = out.allowed;
	/* A decision that cannot be recorded is not made (the audit stream must hold every refusal
	 * and every admission the scanner judged). */
	if (cc_event_emit_decision("scan", "admission.review", user, NULL, out.object, allowed, out.reason) < 0) {
		platform_status_error(resp, 500, NULL, t->resource, name,
				      "the admission decision could not be written to the audit stream");
		allowed = false;
	} else if (!allowed) {
		platform_status_error(resp, 403, "Forbidden", t->resource, name, "%s \"%s\" is forbidden: %s",
				      t->resource->resource, name ? name : "", out.reason);
	}
	scan_admission_outcome_clear(&out);
	return allowed;
}
