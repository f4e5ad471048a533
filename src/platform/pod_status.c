/* The pod's status as kubelet reports it (phase, conditions, container states, addresses), and the
 * Events of what happened to it (see pods_internal.h). */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"
#include "lib/net/http.h"
#include "platform/events.h"
#include "platform/mtls_observe.h"
#include "platform/objects.h"
#include "platform/pod_mtls.h"
#include "platform/pods_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static json_t *rfc3339(int64_t ns)
{
	char text[CC_TIME_RFC3339_MAX];
	cc_time_format_rfc3339_seconds(ns, text, sizeof(text));
	return json_string(text);
}

static json_t *container_state_json(const struct container_state *cs)
{
	_cleanup_free_ char *cid = cc_xasprintf("cocoon://%s", cs->id);
	switch (cs->phase) {
	case CONTAINER_RUNNING: return json_pack("{s:{s:o}}", "running", "startedAt", rfc3339(cs->started_ns));
	case CONTAINER_TERMINATED:
		return json_pack("{s:{s:i, s:s, s:o, s:o, s:s}}", "terminated", "exitCode", cs->exit_code, "reason",
				 cs->reason, "startedAt", rfc3339(cs->started_ns), "finishedAt",
				 rfc3339(cs->finished_ns), "containerID", cid);
	case CONTAINER_WAITING:
	default: {
		json_t *w = json_pack("{s:s}", "reason", cs->reason[0] ? cs->reason : "ContainerCreating");
		if (cs->message[0])
			json_object_set_new(w, "message", json_string(cs->message));
		return json_pack("{s:o}", "waiting", w);
	}
	}
}

static json_t *container_status(const struct container_state *cs, const json_t *spec)
{
	json_t *s = json_pack(
	    "{s:s, s:o, s:o, s:b, s:i, s:s, s:s, s:b}", "name", cs->name, "state", container_state_json(cs),
	    "lastState", cs->last_terminated ? json_pack("{s:O}", "terminated", cs->last_terminated) : json_object(),
	    "ready", cs->ready, "restartCount", cs->restart_count, "image",
	    json_string_value(json_object_get(spec, "image")) ?: "", "imageID",
	    cs->image_digest[0] ? cs->image_digest : "", "started", cs->phase == CONTAINER_RUNNING && cs->started);
	if (cs->id[0]) {
		_cleanup_free_ char *cid = cc_xasprintf("cocoon://%s", cs->id);
		json_object_set_new(s, "containerID", json_string(cid));
	}
	return s;
}

/* Succeeded or Failed once every container has terminated for good; Running once all have
 * started; Pending before. */
static const char *phase_of(const struct pod_state *ps, const json_t *pod)
{
	const char *policy =
	    json_string_value(json_object_get(json_object_get(pod, "spec"), "restartPolicy")) ?: "Always";
	bool all_started = true, all_done = true, any_failed = false, any_running = false;
	for (size_t i = 0; i < ps->n_containers; i++) {
		const struct container_state *cs = &ps->containers[i];
		if (cs->init) {
			if (cs->phase == CONTAINER_TERMINATED && cs->exit_code != 0 && strcmp(policy, "Never") == 0)
				return "Failed";
			continue;
		}
		if (cs->instances == 0)
			all_started = false;
		any_running |= cs->phase == CONTAINER_RUNNING;
		bool done = cs->phase == CONTAINER_TERMINATED &&
			    (strcmp(policy, "Never") == 0 || (strcmp(policy, "OnFailure") == 0 && cs->exit_code == 0));
		all_done &= done;
		any_failed |= done && cs->exit_code != 0;
	}
	if (!all_started || !ps->sandbox_ready)
		return "Pending";
	if (all_done && !any_running)
		return any_failed ? "Failed" : "Succeeded";
	return "Running";
}

/* A condition keeps its lastTransitionTime while its status stays. */
static json_t *condition(const json_t *old_status, const char *type, bool value, const char *reason)
{
	const char *status = value ? "True" : "False";
	const json_t *transition = NULL;
	size_t i;
	const json_t *c;
	json_array_foreach (json_object_get(old_status, "conditions"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "type")) ?: "", type) == 0 &&
		    strcmp(json_string_value(json_object_get(c, "status")) ?: "", status) == 0)
			transition = json_object_get(c, "lastTransitionTime");
	json_t *out =
	    json_pack("{s:s, s:s, s:n, s:o}", "type", type, "status", status, "lastProbeTime", "lastTransitionTime",
		      transition ? json_incref((json_t *)transition) : rfc3339(cc_time_now_ns()));
	if (!value && reason)
		json_object_set_new(out, "reason", json_string(reason));
	return out;
}

static const char *qos_class(const json_t *pod)
{
	bool any = false, guaranteed = true;
	size_t i;
	const json_t *c;
	json_array_foreach (json_object_get(json_object_get(pod, "spec"), "containers"), i, c) {
		const json_t *res = json_object_get(c, "resources");
		const json_t *limits = json_object_get(res, "limits"), *requests = json_object_get(res, "requests");
		any |= json_object_size(limits) || json_object_size(requests);
		guaranteed &=
		    json_object_get(limits, "cpu") && json_object_get(limits, "memory") &&
		    (!requests || json_equal(json_object_get(limits, "cpu"),
					     json_object_get(requests, "cpu") ?: json_object_get(limits, "cpu")));
	}
	return !any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
}

json_t *pods_status(struct platform_pods *p, const struct pod_state *ps, const json_t *pod)
{
	const json_t *old = json_object_get(pod, "status");
	json_t *init_statuses = json_array(), *statuses = json_array();
	bool inits_done = true, all_ready = ps->n_containers > ps->n_init;
	for (size_t i = 0; i < ps->n_containers; i++) {
		const struct container_state *cs = &ps->containers[i];
		json_t *s = container_status(cs, pods_container_spec(pod, cs));
		if (cs->init) {
			inits_done &= cs->phase == CONTAINER_TERMINATED && cs->exit_code == 0;
			json_array_append_new(init_statuses, s);
		} else {
			all_ready &= cs->ready;
			json_array_append_new(statuses, s);
		}
	}
	const char *phase = phase_of(ps, pod);
	bool ready = all_ready && strcmp(phase, "Running") == 0;
	json_t *conditions = json_array();
	json_array_append_new(conditions, condition(old, "PodReadyToStartContainers", ps->sandbox_ready, NULL));
	json_array_append_new(conditions, condition(old, "Initialized", inits_done, "ContainersNotInitialized"));
	json_array_append_new(conditions, condition(old, "Ready", ready, "ContainersNotReady"));
	json_array_append_new(conditions, condition(old, "ContainersReady", ready, "ContainersNotReady"));
	json_array_append_new(conditions, condition(old, "PodScheduled", true, NULL));
	bool mtls_ready;
	const char *mtls_reason;
	if (pod_mtls_condition(p, ps, pod, &mtls_ready, &mtls_reason))
		json_array_append_new(conditions, condition(old, "cocoon.run/MTLSReady", mtls_ready, mtls_reason));
	char probe_reason[64], probe_message[1024];
	if (pods_mtls_probed_condition(p, ps->uid, &mtls_ready, probe_reason, sizeof(probe_reason), probe_message,
				       sizeof(probe_message))) {
		json_t *c = condition(old, "cocoon.run/MTLSProbed", mtls_ready, probe_reason);
		if (!mtls_ready)
			json_object_set_new(c, "message", json_string(probe_message));
		json_array_append_new(conditions, c);
	}
	json_t *status = json_pack("{s:s, s:o, s:s, s:[{s:s}], s:o, s:s}", "phase", phase, "conditions", conditions,
				   "hostIP", p->host_ip, "hostIPs", "ip", p->host_ip, "containerStatuses", statuses,
				   "qosClass", qos_class(pod));
	if (json_array_size(init_statuses))
		json_object_set_new(status, "initContainerStatuses", init_statuses);
	else
		json_decref(init_statuses);
	if (ps->ip[0]) {
		json_object_set_new(status, "podIP", json_string(ps->ip));
		json_object_set_new(status, "podIPs", json_pack("[{s:s}]", "ip", ps->ip));
	}
	if (ps->start_ns)
		json_object_set_new(status, "startTime", rfc3339(ps->start_ns));
	/* A sandbox or volume that cannot be made is told by Events (FailedCreatePodSandBox,
	 * FailedMount), as kubelet tells it; the pod shows ContainerCreating meanwhile. */
	return status;
}

void pods_event(struct platform_pods *p, const struct pod_state *ps, const char *container, const char *type,
		const char *reason, const char *fmt, ...)
{
	char message[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	json_t *involved = json_pack("{s:s, s:s, s:s, s:s, s:s}", "apiVersion", "v1", "kind", "Pod", "namespace",
				     ps->namespace, "name", ps->name, "uid", ps->uid);
	if (container) {
		_cleanup_free_ char *field = cc_xasprintf("spec.containers{%s}", container);
		json_object_set_new(involved, "fieldPath", json_string(field));
	}
	struct platform_event_source source = { .component = "kubelet", .host = p->cfg.node_name };
	platform_event_record(p->cfg.objects, &source, involved, type, reason, message);
	cc_info("pod %s/%s%s%s: %s: %s", ps->namespace, ps->name, container ? " container " : "",
		container ? container : "", reason, message);
}
