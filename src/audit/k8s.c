/* Kubernetes audit.k8s.io/v1 -> cocoon event. */
#include "audit/k8s.h"

#include "base/cleanup.h"
#include "base/error.h"
#include "base/timeutil.h"
#include "json/json.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int audit_k8s_to_event(const json_t *k8s, struct cc_event **ret, struct cc_error *err)
{
	if (!json_is_object(k8s))
		return cc_error_set(err, EINVAL, "Kubernetes audit event must be a JSON object");
	const char *kind = json_string_value(json_object_get(k8s, "kind"));
	const char *api = json_string_value(json_object_get(k8s, "apiVersion"));
	if ((kind && strcmp(kind, "Event") != 0) || (api && strncmp(api, "audit.k8s.io/", 13) != 0))
		return cc_error_set(err, EINVAL, "not an audit.k8s.io Event (kind `%.32s`)", kind ? kind : "");
	const char *audit_id, *verb, *stamp = NULL;
	int r;
	if ((r = cc_json_get_string(k8s, "auditID", true, &audit_id, err)) < 0 ||
	    (r = cc_json_get_string(k8s, "verb", true, &verb, err)) < 0)
		return cc_error_prefix(err, "Kubernetes audit event");
	if (cc_json_get_string(k8s, "stageTimestamp", false, &stamp, NULL) < 0 || !stamp)
		cc_json_get_string(k8s, "requestReceivedTimestamp", false, &stamp, NULL);
	if (strlen(audit_id) > 36 || audit_id[strspn(audit_id, "0123456789abcdefABCDEF-")] != '\0')
		return cc_error_set(err, EINVAL, "Kubernetes audit event: auditID `%.40s` is not a UUID", audit_id);
	struct cc_event *ev;
	char action[80];
	snprintf(action, sizeof(action), "k8s.%.64s", verb);
	if ((r = cc_event_new_with_id("k8s-apiserver", action, audit_id, &ev, err)) < 0)
		return r;

	if (stamp && cc_time_parse_rfc3339(stamp, &ev->time_ns) < 0) {
		cc_event_free(ev);
		return cc_error_set(err, EINVAL, "Kubernetes audit event %s: timestamp `%.40s` is not RFC 3339",
				    audit_id, stamp);
	}
	cc_event_set_actor(ev, json_string_value(json_object_get(json_object_get(k8s, "user"), "username")));
	json_t *ref = json_object_get(k8s, "objectRef");
	if (json_is_object(ref)) {
		const char *resource = json_string_value(json_object_get(ref, "resource"));
		const char *sub = json_string_value(json_object_get(ref, "subresource"));
		const char *ns = json_string_value(json_object_get(ref, "namespace"));
		const char *name = json_string_value(json_object_get(ref, "name"));
		_cleanup_free_ char *object =
		    cc_xasprintf("%s%s%s %s%s%s", resource ? resource : "?", sub ? "/" : "", sub ? sub : "",
				 ns ? ns : "", ns ? "/" : "", name ? name : "");
		cc_event_set_object(ev, object);
		cc_event_set_tenant(ev, ns);
	}
	json_int_t code = json_integer_value(json_object_get(json_object_get(k8s, "responseStatus"), "code"));
	if (code == 0 || code < 400)
		cc_event_set_verdict(ev, code ? CC_VERDICT_ALLOW : CC_VERDICT_NONE, CC_SEVERITY_INFO);
	else if (code == 401 || code == 403)
		cc_event_set_verdict(ev, CC_VERDICT_DENY, CC_SEVERITY_WARNING);
	else
		cc_event_set_verdict(ev, CC_VERDICT_ERROR, CC_SEVERITY_NOTICE);
	const char *reason =
	    json_string_value(json_object_get(json_object_get(k8s, "annotations"), "authorization.k8s.io/reason"));
	if (reason)
		cc_event_set_reason(ev, "%s", reason);
	json_t *ips = json_object_get(k8s, "sourceIPs");
	if (json_is_array(ips))
		cc_event_set_extra(ev, "sourceIPs", json_incref(ips));
	if (code)
		cc_event_set_extra(ev, "responseCode", json_integer(code));
	/* Shared, not copied: the caller's tree is not changed afterwards. */
	cc_event_set_extra(ev, "k8s", json_incref((json_t *)k8s));
	*ret = ev;
	return 0;
}
