/* kube-scheduler's filters on cocoond's one node (see pod_scheduler.h). */
#include "platform/pod_scheduler.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "lib/json/kube_object.h"
#include "scale/pod_request.h"
#include "scale/quantity.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the node's side ---- */

/* What the node has left for pods: its allocatable less what bound pods ask. A malformed or absent
 * allocatable counts as none, so that nothing starts on a node that cannot say what it has (fail
 * closed); cocoond writes its own Node, so this is a corrupted store, not a user's mistake. */
struct node_room {
	int64_t cpu_milli, memory, pods;
};

static struct node_room node_allocatable(const json_t *node)
{
	const json_t *a = kube_get2(node, "status", "allocatable");
	struct node_room room = { 0 };
	struct cc_error err = { 0 };
	if (scale_json_cpu(json_object_get(a, "cpu"), "allocatable cpu", &room.cpu_milli, &err) < 0)
		room.cpu_milli = 0;
	if (scale_json_memory(json_object_get(a, "memory"), "allocatable memory", &room.memory, &err) < 0)
		room.memory = 0;
	const json_t *pods = json_object_get(a, "pods");
	room.pods = json_is_string(pods) ? strtoll(json_string_value(pods), NULL, 10) : json_integer_value(pods);
	return room;
}

static bool toleration_matches(const json_t *toleration, const json_t *taint)
{
	const char *key = json_string_value(json_object_get(toleration, "key")) ?: "";
	const char *op = json_string_value(json_object_get(toleration, "operator")) ?: "Equal";
	const char *effect = json_string_value(json_object_get(toleration, "effect")) ?: "";
	const char *taint_effect = json_string_value(json_object_get(taint, "effect")) ?: "";
	if (effect[0] && strcmp(effect, taint_effect) != 0)
		return false;
	if (!key[0]) /* an empty key with Exists tolerates everything */
		return strcmp(op, "Exists") == 0;
	if (strcmp(key, json_string_value(json_object_get(taint, "key")) ?: "") != 0)
		return false;
	if (strcmp(op, "Exists") == 0)
		return true;
	const char *value = json_string_value(json_object_get(toleration, "value")) ?: "";
	return strcmp(value, json_string_value(json_object_get(taint, "value")) ?: "") == 0;
}

/* The first NoSchedule or NoExecute taint of the node the pod does not tolerate, or NULL. */
static const json_t *untolerated_taint(const json_t *node, const json_t *pod)
{
	size_t i, j;
	const json_t *taint, *toleration;
	json_array_foreach (kube_get2(node, "spec", "taints"), i, taint) {
		const char *effect = json_string_value(json_object_get(taint, "effect")) ?: "";
		if (strcmp(effect, "NoSchedule") != 0 && strcmp(effect, "NoExecute") != 0)
			continue;
		bool tolerated = false;
		json_array_foreach (kube_get2(pod, "spec", "tolerations"), j, toleration)
			tolerated |= toleration_matches(toleration, taint);
		if (!tolerated)
			return taint;
	}
	return NULL;
}

static bool value_in(const json_t *values, const char *value)
{
	size_t i;
	const json_t *v;
	json_array_foreach (values, i, v)
		if (value && strcmp(json_string_value(v) ?: "", value) == 0)
			return true;
	return false;
}

/* One node selector requirement (In, NotIn, Exists, DoesNotExist, Gt, Lt) against a value that is
 * NULL when the label is absent. */
static bool requirement_holds(const json_t *requirement, const char *value)
{
	const char *op = json_string_value(json_object_get(requirement, "operator")) ?: "";
	const json_t *values = json_object_get(requirement, "values");
	if (strcmp(op, "In") == 0)
		return value_in(values, value);
	if (strcmp(op, "NotIn") == 0)
		return !value_in(values, value);
	if (strcmp(op, "Exists") == 0)
		return value != NULL;
	if (strcmp(op, "DoesNotExist") == 0)
		return value == NULL;
	if ((strcmp(op, "Gt") == 0 || strcmp(op, "Lt") == 0) && value && json_array_size(values) == 1) {
		char *end1, *end2;
		long long have = strtoll(value, &end1, 10);
		long long want = strtoll(json_string_value(json_array_get(values, 0)) ?: "", &end2, 10);
		if (*end1 || *end2 || !value[0])
			return false;
		return op[0] == 'G' ? have > want : have < want;
	}
	return false; /* an unknown operator selects nothing, as the API server would have refused it */
}

static bool term_matches(const json_t *term, const json_t *node)
{
	const json_t *labels = kube_get2(node, "metadata", "labels");
	size_t i;
	const json_t *r;
	json_array_foreach (json_object_get(term, "matchExpressions"), i, r) {
		const char *key = json_string_value(json_object_get(r, "key")) ?: "";
		if (!requirement_holds(r, json_string_value(json_object_get(labels, key))))
			return false;
	}
	json_array_foreach (json_object_get(term, "matchFields"), i, r) {
		const char *key = json_string_value(json_object_get(r, "key")) ?: "";
		const char *name = json_string_value(kube_get2(node, "metadata", "name"));
		if (strcmp(key, "metadata.name") != 0 || !requirement_holds(r, name))
			return false;
	}
	/* An empty term selects nothing. */
	return json_array_size(json_object_get(term, "matchExpressions")) ||
	       json_array_size(json_object_get(term, "matchFields"));
}

/* nodeSelector (every pair a label of the node) and the required node affinity (any term). */
static bool selector_matches(const json_t *node, const json_t *pod)
{
	const json_t *labels = kube_get2(node, "metadata", "labels");
	const char *key;
	const json_t *value;
	json_object_foreach ((json_t *)kube_get2(pod, "spec", "nodeSelector"), key, value)
		if (!json_equal(json_object_get(labels, key), value))
			return false;
	const json_t *required = json_object_get(kube_get2(pod, "spec", "affinity"), "nodeAffinity");
	required = kube_get2(required, "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms");
	if (!required)
		return true;
	size_t i;
	const json_t *term;
	json_array_foreach (required, i, term)
		if (term_matches(term, node))
			return true;
	return false;
}

/* kube-scheduler's "0/1 nodes are available: ..." for the reasons found, or NULL when it fits. */
static char *verdict(const json_t *node, const json_t *pod, const struct node_room *room,
		     const struct scale_pod_request *req)
{
	char reasons[4][160];
	size_t n = 0;
	if (json_is_true(kube_get2(node, "spec", "unschedulable")))
		snprintf(reasons[n++], sizeof(reasons[0]), "1 node(s) were unschedulable");
	if (!selector_matches(node, pod))
		snprintf(reasons[n++], sizeof(reasons[0]), "1 node(s) didn't match Pod's node affinity/selector");
	const json_t *taint = untolerated_taint(node, pod);
	if (taint)
		snprintf(reasons[n++], sizeof(reasons[0]), "1 node(s) had untolerated taint {%s: %s}",
			 json_string_value(json_object_get(taint, "key")) ?: "",
			 json_string_value(json_object_get(taint, "value")) ?: "");
	if (n == 0) { /* the resources only matter on a node the filters above let through */
		if (room->pods < 1)
			snprintf(reasons[n++], sizeof(reasons[0]), "1 Too many pods");
		if (req->cpu_milli > room->cpu_milli)
			snprintf(reasons[n++], sizeof(reasons[0]), "1 Insufficient cpu");
		if (req->memory > room->memory)
			snprintf(reasons[n++], sizeof(reasons[0]), "1 Insufficient memory");
	}
	if (n == 0)
		return NULL;
	char out[800];
	int len = snprintf(out, sizeof(out), "0/1 nodes are available: ");
	for (size_t i = 0; i < n && len < (int)sizeof(out); i++)
		len += snprintf(out + len, sizeof(out) - (size_t)len, "%s%s", i ? ", " : "", reasons[i]);
	if (len < (int)sizeof(out) - 1)
		strcat(out, ".");
	return cc_xstrdup(out);
}

/* ---- the queue ---- */

struct candidate {
	const json_t *pod;
	const char *uid;
	json_int_t priority;
	const char *created, *namespace, *name;
};

static int queue_order(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;
	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	int c = strcmp(x->created, y->created); /* RFC 3339 in UTC: text order is time order */
	if (c)
		return c;
	c = strcmp(x->namespace, y->namespace);
	return c ? c : strcmp(x->name, y->name);
}

/* The node the pod is bound to, or NULL. */
static const char *bound_to(const json_t *pod)
{
	const char *node = json_string_value(kube_get2(pod, "spec", "nodeName"));
	return node && node[0] ? node : NULL;
}

json_t *pod_scheduler_decide(const json_t *node, const json_t *pods, const json_t *running)
{
	struct node_room room = node_allocatable(node);
	json_t *out = json_object();
	struct candidate *queue = cc_xcalloc(json_array_size(pods) + 1, sizeof(*queue));
	size_t n = 0, i;
	const json_t *pod;
	const char *name = kube_meta(node, "name") ?: "";
	json_array_foreach (pods, i, pod) {
		const char *uid = kube_meta(pod, "uid"), *on = bound_to(pod);
		if (!uid)
			continue;
		if (on || json_object_get(running, uid)) {
			struct scale_pod_request req;
			struct cc_error err = { 0 };
			/* A pod of another node holds that node's room, not this one's. */
			if (kube_pod_finished(pod) || (on && strcmp(on, name) != 0 && !json_object_get(running, uid)))
				continue;
			room.pods--;
			if (scale_pod_request(pod, &req, &err) == 0)
				room.cpu_milli -= req.cpu_milli, room.memory -= req.memory;
			continue;
		}
		queue[n++] = (struct candidate){ pod,
						 uid,
						 json_integer_value(kube_get2(pod, "spec", "priority")),
						 kube_meta(pod, "creationTimestamp") ?: "",
						 kube_meta(pod, "namespace") ?: "",
						 kube_meta(pod, "name") ?: "" };
	}
	qsort(queue, n, sizeof(*queue), queue_order);
	for (i = 0; i < n; i++) {
		pod = queue[i].pod;
		if (kube_meta(pod, "deletionTimestamp")) {
			json_object_set_new(out, queue[i].uid, json_null());
			continue;
		}
		struct scale_pod_request req;
		struct cc_error err = { 0 };
		if (scale_pod_request(pod, &req, &err) < 0) {
			json_object_set_new(out, queue[i].uid,
					    json_sprintf("invalid resource request: %s", cc_error_message(&err)));
			continue;
		}
		char *why = verdict(node, pod, &room, &req);
		if (why) {
			json_object_set_new(out, queue[i].uid, json_string(why));
			free(why);
			continue;
		}
		room.pods--;
		room.cpu_milli -= req.cpu_milli, room.memory -= req.memory;
		json_object_set_new(out, queue[i].uid, json_null());
	}
	free(queue);
	return out;
}
