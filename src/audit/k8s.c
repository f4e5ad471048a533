/* Kubernetes audit.k8s.io/v1 -> cocoon event. */
#include "audit/k8s.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int required_string(const char *field, const char *value, bool not_string, struct cc_error *err)
{
	if (not_string)
		return cc_error_set(err, EINVAL, "Kubernetes audit event: field `%s` must be a string", field);
	if (!value)
		return cc_error_set(err, ENOENT, "Kubernetes audit event: required field `%s` is missing", field);
	return 0;
}

int audit_k8s_fields_to_event(const struct audit_k8s_fields *f, struct cc_event **ret, struct cc_error *err)
{
	if ((f->kind && strcmp(f->kind, "Event") != 0) ||
	    (f->api_version && strncmp(f->api_version, "audit.k8s.io/", 13) != 0))
		return cc_error_set(err, EINVAL, "not an audit.k8s.io Event (kind `%.32s`)", f->kind ? f->kind : "");
	int r;
	if ((r = required_string("auditID", f->audit_id, f->audit_id_not_string, err)) < 0 ||
	    (r = required_string("verb", f->verb, f->verb_not_string, err)) < 0)
		return r;
	const char *audit_id = f->audit_id;
	if (strlen(audit_id) > 36 || audit_id[strspn(audit_id, "0123456789abcdefABCDEF-")] != '\0')
		return cc_error_set(err, EINVAL, "Kubernetes audit event: auditID `%.40s` is not a UUID", audit_id);
	struct cc_event *ev;
	char action[4 + 64 + 1] = "k8s.";
	size_t verb_len = strnlen(f->verb, 64);
	memcpy(action + 4, f->verb, verb_len);
	action[4 + verb_len] = '\0';
	if ((r = cc_event_new_with_id("k8s-apiserver", action, audit_id, &ev, err)) < 0)
		return r;

	const char *stamp = f->stage_timestamp ? f->stage_timestamp : f->received_timestamp;
	if (stamp && cc_time_parse_rfc3339(stamp, &ev->time_ns) < 0) {
		cc_event_free(ev);
		return cc_error_set(err, EINVAL, "Kubernetes audit event %s: timestamp `%.40s` is not RFC 3339",
				    audit_id, stamp);
	}
	cc_event_set_actor(ev, f->username);
	if (f->has_object_ref) {
		/* "<resource>[/<subresource>] [<namespace>/]<name>" */
		const char *parts[] = { f->resource ? f->resource : "?",
					f->subresource ? "/" : "",
					f->subresource ? f->subresource : "",
					" ",
					f->namespace_ ? f->namespace_ : "",
					f->namespace_ ? "/" : "",
					f->name ? f->name : "" };
		/* Longer than an event field may be anyway: cc_event_set_object cuts it at a character. */
		char object[2 * CC_EVENT_FIELD_MAX];
		size_t used = 0;
		for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
			size_t n = strnlen(parts[i], sizeof(object) - 1 - used);
			memcpy(object + used, parts[i], n);
			used += n;
		}
		object[used] = '\0';
		cc_event_set_object(ev, object);
		cc_event_set_tenant(ev, f->namespace_);
	}
	int64_t code = f->code;
	if (code == 0 || code < 400)
		cc_event_set_verdict(ev, code ? CC_VERDICT_ALLOW : CC_VERDICT_NONE, CC_SEVERITY_INFO);
	else if (code == 401 || code == 403)
		cc_event_set_verdict(ev, CC_VERDICT_DENY, CC_SEVERITY_WARNING);
	else
		cc_event_set_verdict(ev, CC_VERDICT_ERROR, CC_SEVERITY_NOTICE);
	if (f->reason)
		cc_event_set_reason(ev, "%s", f->reason);
	if (code)
		cc_event_set_extra(ev, "responseCode", json_integer(code));
	*ret = ev;
	return 0;
}

/* A member's string value; NULL when absent, null or of another type. */
static const char *string_at(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static bool present_not_string(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return v && !json_is_null(v) && !json_is_string(v);
}

int audit_k8s_to_event(const json_t *k8s, struct cc_event **ret, struct cc_error *err)
{
	if (!json_is_object(k8s))
		return cc_error_set(err, EINVAL, "Kubernetes audit event must be a JSON object");
	json_t *user = json_object_get(k8s, "user"), *ref = json_object_get(k8s, "objectRef");
	json_t *status = json_object_get(k8s, "responseStatus"), *notes = json_object_get(k8s, "annotations");
	struct audit_k8s_fields f = {
		.kind = string_at(k8s, "kind"),
		.api_version = string_at(k8s, "apiVersion"),
		.audit_id = string_at(k8s, "auditID"),
		.audit_id_not_string = present_not_string(k8s, "auditID"),
		.verb = string_at(k8s, "verb"),
		.verb_not_string = present_not_string(k8s, "verb"),
		.stage_timestamp = string_at(k8s, "stageTimestamp"),
		.received_timestamp = string_at(k8s, "requestReceivedTimestamp"),
		.username = string_at(user, "username"),
		.has_object_ref = json_is_object(ref),
		.resource = string_at(ref, "resource"),
		.subresource = string_at(ref, "subresource"),
		.namespace_ = string_at(ref, "namespace"),
		.name = string_at(ref, "name"),
		.code = json_integer_value(json_object_get(status, "code")),
		.reason = string_at(notes, "authorization.k8s.io/reason"),
	};
	struct cc_event *ev;
	int r = audit_k8s_fields_to_event(&f, &ev, err);
	if (r < 0)
		return r;
	json_t *ips = json_object_get(k8s, "sourceIPs");
	if (json_is_array(ips))
		cc_event_set_extra(ev, "sourceIPs", json_incref(ips));
	/* Shared, not copied: the caller's tree is not changed afterwards. */
	cc_event_set_extra(ev, "k8s", json_incref((json_t *)k8s));
	*ret = ev;
	return 0;
}
