/* A scan's findings as security events (see scan_events.h). */
#include "scan/scan_events.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/event/emit.h"
#include "scan/scan.h"

static int emit(struct cc_event *ev, struct cc_error *err)
{
	int r = cc_event_emit(ev);
	return r < 0 ? cc_error_set(err, -r, "a detection could not be written to the audit stream") : 0;
}

static int detection(const struct scan_event_subject *subject, const char *action, const json_t *item,
		     enum cc_event_severity severity, const char *reason, json_t *extra, struct cc_error *err)
{
	struct cc_event *ev;
	int r = cc_event_new("scan", action, &ev, err);
	if (r < 0) {
		json_decref(extra);
		return r;
	}
	_cleanup_free_ char *object =
	    cc_xasprintf("%s:%s", subject->where, json_string_value(json_object_get(item, "path")) ?: "?");
	cc_event_set_object(ev, object);
	cc_event_set_actor(ev, subject->actor);
	cc_event_set_verdict(ev, CC_VERDICT_NONE, severity);
	cc_event_set_reason(ev, "%s", reason);
	cc_event_set_extra(ev, "detection", extra);
	return emit(ev, err);
}

int scan_emit_events(const struct scan_result *r, const struct scan_event_subject *subject, struct cc_error *err)
{
	size_t i;
	json_t *m;
	int rc = 0;
	json_array_foreach (r->malware, i, m) {
		const char *signature = json_string_value(json_object_get(m, "signature"));
		_cleanup_free_ char *reason = cc_xasprintf("malware %s", signature ?: "?");
		if ((rc = detection(subject, "malware.detected", m, CC_SEVERITY_CRITICAL, reason,
				    json_pack("{s:O, s:O}", "signature", json_object_get(m, "signature"), "engine",
					      json_object_get(m, "engine")),
				    err)) < 0)
			return rc;
	}
	json_array_foreach (r->secrets, i, m) {
		_cleanup_free_ char *reason = cc_xasprintf(
		    "%s%s", json_string_value(json_object_get(m, "title")) ?: "?", subject->secret_context ?: "");
		if ((rc = detection(subject, "secret.detected", m, CC_SEVERITY_WARNING, reason,
				    json_pack("{s:O, s:O, s:O}", "rule", json_object_get(m, "rule"), "line",
					      json_object_get(m, "line"), "severity", json_object_get(m, "severity")),
				    err)) < 0)
			return rc;
	}
	struct cc_event *ev;
	if ((rc = cc_event_new("scan", subject->summary_action, &ev, err)) < 0)
		return rc;
	_cleanup_free_ char *object = cc_xasprintf("%s:%s", subject->where, r->target);
	cc_event_set_object(ev, object);
	cc_event_set_actor(ev, subject->actor);
	bool found = json_array_size(r->malware) || json_array_size(r->secrets);
	cc_event_set_verdict(ev, CC_VERDICT_NONE, found ? CC_SEVERITY_WARNING : CC_SEVERITY_INFO);
	cc_event_set_reason(ev, "%zu packages, %zu vulnerabilities, %zu malware, %zu secrets", r->inventory.n_packages,
			    json_array_size(r->findings), json_array_size(r->malware), json_array_size(r->secrets));
	cc_event_set_extra(ev, "files", json_integer((json_int_t)r->image.files));
	return emit(ev, err);
}
