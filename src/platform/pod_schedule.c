/* The runner's side of scheduling (pod_scheduler.h decides): before a pass brings pods a step, the
 * pods not yet bound to this node are judged against what the node has left, and those that do not
 * fit are held Pending with PodScheduled False (reason Unschedulable) and a FailedScheduling event,
 * as kube-scheduler leaves them; they are judged again at every pass, so a pod that finishes or goes
 * lets the next one in. A pod that fits gets the Scheduled event; its first step binds it
 * (spec.nodeName), as the binding subresource would. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"
#include "lib/json/kube_object.h"
#include "platform/events.h"
#include "platform/objects.h"
#include "platform/pod_scheduler.h"
#include "platform/pods_internal.h"
#include "platform/resources.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

json_t *pods_schedule(struct platform_pods *p, const json_t *items)
{
	json_t *node = NULL;
	struct cc_error err = { 0 };
	if (platform_objects_get(p->cfg.objects, platform_resource_find("", "v1", "nodes"), NULL, p->cfg.node_name,
				 &node, &err) < 0) {
		/* Without its Node the runner cannot say what fits: nothing new starts (fail closed). */
		cc_warning("pods: scheduling: node `%s`: %s", p->cfg.node_name, cc_error_message(&err));
		node = json_object();
	}
	json_t *running = json_object();
	pthread_mutex_lock(&p->lock);
	for (struct pod_state *ps = p->pods; ps; ps = ps->next)
		json_object_set_new(running, ps->uid, json_true());
	pthread_mutex_unlock(&p->lock);
	json_t *verdicts = pod_scheduler_decide(node, items, running);
	json_decref(running);
	json_decref(node);
	return verdicts;
}

static void scheduler_event(struct platform_pods *p, const json_t *pod, const char *type, const char *reason,
			    const char *message)
{
	json_t *involved = json_pack("{s:s, s:s, s:s, s:s, s:s}", "apiVersion", "v1", "kind", "Pod", "namespace",
				     kube_meta(pod, "namespace") ?: "", "name", kube_meta(pod, "name") ?: "", "uid",
				     kube_meta(pod, "uid") ?: "");
	struct platform_event_source source = { .component = "default-scheduler", .host = NULL };
	platform_event_record(p->cfg.objects, &source, involved, type, reason, message);
}

static const json_t *scheduled_condition(const json_t *pod)
{
	size_t i;
	const json_t *c;
	json_array_foreach (json_object_get(json_object_get(pod, "status"), "conditions"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "type")) ?: "", "PodScheduled") == 0)
			return c;
	return NULL;
}

/* Writes the Unschedulable status when its message changed, with one FailedScheduling event per
 * change (kube-scheduler repeats it at every attempt; once per reason keeps the events readable). */
static void hold(struct platform_pods *p, const json_t *pod, const char *message)
{
	const json_t *old = scheduled_condition(pod);
	if (old && strcmp(json_string_value(json_object_get(old, "message")) ?: "", message) == 0)
		return;
	char now[40];
	cc_time_format_rfc3339_seconds(cc_time_now_ns(), now, sizeof(now));
	json_t *copy = json_deep_copy(pod);
	json_object_set_new(copy, "status",
			    json_pack("{s:s, s:[{s:s, s:s, s:s, s:s, s:n, s:s}]}", "phase", "Pending", "conditions",
				      "type", "PodScheduled", "status", "False", "reason", "Unschedulable", "message",
				      message, "lastProbeTime", "lastTransitionTime", now));
	int64_t rv = strtoll(kube_meta(pod, "resourceVersion") ?: "0", NULL, 10);
	struct cc_error err = { 0 };
	json_t *stored = NULL;
	int r = platform_objects_update(p->cfg.objects, p->pods_resource, copy, rv, &stored, &err);
	json_decref(stored);
	json_decref(copy);
	if (r == -ESTALE || r == -ENOENT)
		return; /* changed or gone meanwhile: the next pass judges it again */
	if (r < 0) {
		cc_warning("pod %s/%s: write status: %s", kube_meta(pod, "namespace"), kube_meta(pod, "name"),
			   cc_error_message(&err));
		return;
	}
	scheduler_event(p, pod, "Warning", "FailedScheduling", message);
	cc_info("pod %s/%s: not scheduled: %s", kube_meta(pod, "namespace"), kube_meta(pod, "name"), message);
}

bool pods_admit(struct platform_pods *p, const json_t *pod, const json_t *verdicts)
{
	const char *uid = kube_meta(pod, "uid");
	const json_t *verdict = json_object_get(verdicts, uid ?: "");
	if (!verdict) /* bound already, or running here: judged before */
		return true;
	if (json_is_string(verdict)) {
		hold(p, pod, json_string_value(verdict));
		return false;
	}
	if (!kube_meta(pod, "deletionTimestamp")) {
		_cleanup_free_ char *message =
		    cc_xasprintf("Successfully assigned %s/%s to %s", kube_meta(pod, "namespace"),
				 kube_meta(pod, "name"), p->cfg.node_name);
		scheduler_event(p, pod, "Normal", "Scheduled", message);
	}
	return true;
}
