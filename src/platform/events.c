/* Recording Events (see events.h). */
#include "platform/events.h"

#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "lib/net/http.h"
#include "platform/admit.h"
#include "platform/objects.h"
#include "platform/resources.h"

#include <stdio.h>

static json_t *rfc3339(int64_t ns)
{
	char text[CC_TIME_RFC3339_MAX];
	cc_time_format_rfc3339_seconds(ns, text, sizeof(text));
	return json_string(text);
}

void platform_event_record(struct platform_objects *objects, const struct platform_event_source *source,
			   json_t *involved, const char *type, const char *reason, const char *message)
{
	const char *ns = json_string_value(json_object_get(involved, "namespace")) ?: "default";
	const char *object = json_string_value(json_object_get(involved, "name")) ?: "object";
	int64_t now = cc_time_now_ns();
	char name[300];
	snprintf(name, sizeof(name), "%.200s.%016llx", object, (unsigned long long)now);
	json_t *ev =
	    json_pack("{s:s, s:s, s:{s:s, s:s}, s:o, s:s, s:s, s:{s:s}, s:o, s:o, s:n, s:i, s:s, s:s, s:s}",
		      "apiVersion", "v1", "kind", "Event", "metadata", "name", name, "namespace", ns, "involvedObject",
		      involved, "reason", reason, "message", message, "source", "component", source->component,
		      "firstTimestamp", rfc3339(now), "lastTimestamp", rfc3339(now), "eventTime", "count", 1, "type",
		      type, "reportingComponent", source->component, "action", reason);
	if (!ev)
		return;
	if (source->host) {
		json_object_set_new(json_object_get(ev, "source"), "host", json_string(source->host));
		json_object_set_new(ev, "reportingInstance", json_string(source->host));
	}
	const struct platform_resource *events = platform_resource_find("", "v1", "events");
	json_t *stored = NULL;
	struct cc_error err = { 0 };
	struct cc_http_response refused;
	cc_http_response_init(&refused);
	if (platform_admit_create(events, ev, ns, &refused) == 0 &&
	    platform_objects_create(objects, events, ev, &stored, &err) < 0)
		cc_debug("event for %s/%s: %s", ns, object, cc_error_message(&err));
	cc_http_response_free(&refused);
	json_decref(stored);
	json_decref(ev);
}
