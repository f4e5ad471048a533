/* Who writes, and the record a create or update leaves (see field_manager.h). */
#include "platform/field_manager.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"
#include "lib/net/http.h"
#include "platform/resources.h"
#include "platform/status.h"
#include "platform/target.h"

#include <stdio.h>
#include <string.h>

static const char *const options_kind[] = {
	[PLATFORM_WRITE_CREATE] = "CreateOptions",
	[PLATFORM_WRITE_UPDATE] = "UpdateOptions",
	[PLATFORM_WRITE_PATCH] = "PatchOptions",
	[PLATFORM_WRITE_APPLY] = "PatchOptions",
};

/* kube-apiserver's answer to invalid request options: `PatchOptions.meta.k8s.io "" is invalid:
 * fieldManager: Required value: is required for apply patch`. */
static void refuse_options(struct cc_http_response *resp, enum platform_write write, const char *reason,
			   const char *field, const char *message)
{
	char text[512];
	snprintf(text, sizeof(text), "%s.meta.k8s.io \"\" is invalid: %s: %s", options_kind[write], field, message);
	json_t *status = json_pack("{s:s, s:s, s:{}, s:s, s:s, s:s, s:{s:s, s:s, s:[{s:s, s:s, s:s}]}, s:i}", "kind",
				   "Status", "apiVersion", "v1", "metadata", "status", "Failure", "message", text,
				   "reason", "Invalid", "details", "group", "meta.k8s.io", "kind", options_kind[write],
				   "causes", "reason", reason, "message", message, "field", field, "code", 422);
	platform_respond(resp, 422, status);
}

bool platform_write_manager_of(const struct cc_http_request *req, const struct platform_target *t,
			       enum platform_write write, struct platform_write_manager *ret,
			       struct cc_http_response *resp)
{
	*ret = (struct platform_write_manager){ 0 };
	_cleanup_free_ char *given = cc_http_request_query(req, "fieldManager");
	_cleanup_free_ char *force = cc_http_request_query(req, "force");
	struct cc_error err = { 0 };
	if (given && platform_field_manager_validate(given, &err) < 0) {
		refuse_options(resp, write, "FieldValueInvalid", "fieldManager", cc_error_message(&err));
		return false;
	}
	if (write == PLATFORM_WRITE_APPLY && (!given || !given[0])) {
		/* kubectl sends "kubectl"; a controller must name itself. */
		refuse_options(resp, write, "FieldValueRequired", "fieldManager",
			       "Required value: is required for apply patch");
		return false;
	}
	if (write == PLATFORM_WRITE_PATCH && force) {
		refuse_options(resp, write, "FieldValueForbidden", "force",
			       "Forbidden: may not be specified for non-apply patch");
		return false;
	}
	if (given && given[0])
		ret->manager = CC_TAKE_PTR(given);
	else
		ret->manager = platform_field_manager_from_user_agent(cc_http_request_header(req, "user-agent"));
	ret->force = force && strcmp(force, "true") == 0;
	platform_resource_api_version(t->resource, ret->api_version, sizeof(ret->api_version));
	ret->who = (struct platform_field_manager){ .manager = ret->manager,
						    .apply = write == PLATFORM_WRITE_APPLY,
						    .api_version = ret->api_version,
						    .subresource = t->subresource };
	return true;
}

void platform_write_manager_clear(struct platform_write_manager *m)
{
	free(m->manager);
	*m = (struct platform_write_manager){ 0 };
}

void platform_managed_fields_now(char *buf, size_t size)
{
	cc_time_format_rfc3339_seconds(cc_time_now_ns(), buf, size);
}

void platform_managed_fields_store(json_t *obj, json_t *list)
{
	json_t *meta = json_object_get(obj, "metadata");
	if (!json_is_object(meta)) {
		json_decref(list);
		return;
	}
	if (json_array_size(list) == 0) {
		json_object_del(meta, "managedFields");
		json_decref(list);
		return;
	}
	json_object_set_new(meta, "managedFields", list);
}

void platform_managed_fields_created(json_t *obj, const struct platform_target *t,
				     const struct platform_write_manager *m)
{
	char now[CC_TIME_RFC3339_MAX];
	platform_managed_fields_now(now, sizeof(now));
	_cleanup_managed_fields_ struct platform_managed_fields record = { 0 };
	json_object_del(json_object_get(obj, "metadata"), "managedFields");
	platform_managed_fields_update(&record, NULL, obj, t->resource->kind, &m->who, now);
	platform_managed_fields_store(obj, platform_managed_fields_encode(&record));
}

bool platform_managed_fields_updated(json_t *obj, const json_t *old, const struct platform_target *t,
				     const struct platform_write_manager *m, struct cc_http_response *resp)
{
	const json_t *sent = json_object_get(json_object_get(obj, "metadata"), "managedFields");
	const json_t *stored = json_object_get(json_object_get(old, "metadata"), "managedFields");
	_cleanup_managed_fields_ struct platform_managed_fields record = { 0 };
	struct cc_error err = { 0 };
	if (t->subresource || !sent || (json_is_array(sent) && json_array_size(sent) == 0)) {
		/* Nothing sent (a client unaware of the record), or a subresource: the stored record. A
		 * corrupt stored record is not the writer's fault: it starts afresh. */
		if (platform_managed_fields_decode(stored, &record, NULL, &err) < 0)
			record = (struct platform_managed_fields){ 0 };
	} else if (!platform_managed_fields_is_reset(sent)) {
		json_t *causes = json_array();
		if (platform_managed_fields_decode(sent, &record, causes, &err) < 0) {
			const char *name = json_string_value(json_object_get(json_object_get(old, "metadata"), "name"));
			platform_status_invalid(resp, t->resource, name, causes);
			return false;
		}
		json_decref(causes);
	}
	char now[CC_TIME_RFC3339_MAX];
	platform_managed_fields_now(now, sizeof(now));
	platform_managed_fields_update(&record, old, obj, t->resource->kind, &m->who, now);
	platform_managed_fields_store(obj, platform_managed_fields_encode(&record));
	return true;
}
