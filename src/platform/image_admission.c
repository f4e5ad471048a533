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

#include <stdlib.h>
#include <string.h>

static json_t *review_of(const struct platform_target *t, const char *operation, const char *user, const json_t *obj,
			 const json_t *old)
{
	json_t *request =
	    json_pack("{s:s, s:{s:s, s:s, s:s}, s:s, s:s?, s:{s:s}, s:O}", "uid", "cocoond", "kind", "group",
		      t->resource->group, "version", t->resource->version, "kind", t->resource->kind, "operation",
		      operation, "namespace", t->namespace, "userInfo", "username", user, "object", obj);
	if (old)
		json_object_set(request, "oldObject", (json_t *)old);
	return json_pack("{s:s, s:s, s:o}", "apiVersion", "admission.k8s.io/v1", "kind", "AdmissionReview", "request",
			 request);
}

int platform_image_admission_judge(const struct scan_admission_config *cfg, const struct platform_resource *r,
				   const char *namespace, const char *operation, const char *user, const json_t *obj,
				   const json_t *old, struct platform_image_verdict *ret)
{
	*ret = (struct platform_image_verdict){ .allowed = true };
	if (!cfg)
		return 0;
	struct platform_target t = { .resource = r, .namespace = (char *)namespace };
	_cleanup_json_ json_t *review = review_of(&t, operation, user, obj, old);
	struct scan_admission_outcome out = { 0 };
	struct cc_error err = { 0 };
	if (scan_admission_review_json(cfg, review, false, &out, &err) < 0) {
		/* a review made here that the judge cannot read: refused, not waved through */
		ret->allowed = false;
		ret->reason = cc_xasprintf("the scan admission failed: %s", cc_error_message(&err));
		cc_event_emit_decision("scan", "admission.review", user, NULL, r->kind, false, ret->reason);
		return 0;
	}
	ret->warnings = json_incref(json_object_get(json_object_get(out.review, "response"), "warnings"));
	ret->allowed = out.allowed;
	ret->reason = CC_TAKE_PTR(out.reason);
	/* A decision that cannot be recorded is not made (the audit stream must hold every refusal
	 * and every admission the scanner judged). */
	if (cc_event_emit_decision("scan", "admission.review", user, NULL, out.object, out.allowed, ret->reason) < 0) {
		ret->allowed = false;
		free(ret->reason);
		ret->reason = cc_xstrdup("the admission decision could not be written to the audit stream");
	}
	scan_admission_outcome_clear(&out);
	return 0;
}

void platform_image_verdict_clear(struct platform_image_verdict *v)
{
	free(v->reason);
	json_decref(v->warnings);
	*v = (struct platform_image_verdict){ 0 };
}

bool platform_image_admission(const struct scan_admission_config *cfg, const struct platform_target *t,
			      const char *operation, const struct cc_http_request *req, const json_t *obj,
			      const json_t *old, struct cc_http_response *resp)
{
	if (!cfg)
		return true;
	const struct platform_user *u = platform_request_user(req);
	const char *user = u && u->name[0] ? u->name : "unknown";
	struct platform_image_verdict v;
	platform_image_admission_judge(cfg, t->resource, t->namespace, operation, user, obj, old, &v);
	size_t i;
	const json_t *w;
	json_array_foreach (v.warnings, i, w)
		platform_add_warning(resp, json_string_value(w));
	const char *name = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
	if (!v.allowed)
		platform_status_error(resp, 403, "Forbidden", t->resource, name, "%s \"%s\" is forbidden: %s",
				      t->resource->resource, name ? name : "", v.reason ? v.reason : "refused");
	bool allowed = v.allowed;
	platform_image_verdict_clear(&v);
	return allowed;
}
