/* The endpoints controller (see endpoints.h). */
#include "platform/endpoints.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "lib/json/kube_object.h"
#include "lib/net/http.h"
#include "platform/admit.h"
#include "platform/objects.h"
#include "platform/resources.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *meta(const json_t *obj, const char *field)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), field));
}

bool platform_service_selects(const json_t *selector, const json_t *labels)
{
	const char *key;
	const json_t *value;
	if (json_object_size(selector) == 0)
		return false;
	json_object_foreach ((json_t *)selector, key, value)
		if (!json_equal(json_object_get(labels, key), value))
			return false;
	return true;
}

/* A targetPort number, or a name looked up among the pod's container ports; 0 when unresolved. */
static json_int_t target_port(const json_t *service_port, const json_t *pod)
{
	const json_t *target = json_object_get(service_port, "targetPort");
	if (json_is_integer(target))
		return json_integer_value(target);
	if (!json_is_string(target))
		return json_integer_value(json_object_get(service_port, "port"));
	size_t i, j;
	const json_t *c, *p;
	json_array_foreach (json_object_get(json_object_get(pod, "spec"), "containers"), i, c)
		json_array_foreach (json_object_get(c, "ports"), j, p)
			if (strcmp(json_string_value(json_object_get(p, "name")) ?: "", json_string_value(target)) == 0)
				return json_integer_value(json_object_get(p, "containerPort"));
	return 0;
}

static json_t *pod_ports(const json_t *service, const json_t *pod)
{
	json_t *ports = json_array();
	size_t i;
	const json_t *sp;
	json_array_foreach (json_object_get(json_object_get(service, "spec"), "ports"), i, sp) {
		json_int_t port = target_port(sp, pod);
		if (port <= 0)
			continue;
		json_t *p = json_pack("{s:I, s:s}", "port", port, "protocol",
				      json_string_value(json_object_get(sp, "protocol")) ?: "TCP");
		const char *name = json_string_value(json_object_get(sp, "name"));
		if (name && name[0])
			json_object_set_new(p, "name", json_string(name));
		json_array_append_new(ports, p);
	}
	return ports;
}

static json_t *address_of(const json_t *pod)
{
	const json_t *status = json_object_get(pod, "status");
	json_t *a = json_pack("{s:s, s:{s:s, s:s, s:s, s:s}}", "ip",
			      json_string_value(json_object_get(status, "podIP")), "targetRef", "kind", "Pod",
			      "namespace", meta(pod, "namespace"), "name", meta(pod, "name"), "uid", meta(pod, "uid"));
	const char *node = json_string_value(json_object_get(json_object_get(pod, "spec"), "nodeName"));
	if (node && node[0])
		json_object_set_new(a, "nodeName", json_string(node));
	return a;
}

/* Subsets: pods grouped by their resolved ports, as the controller repacks them. */
static json_t *subsets_of(const json_t *service, const json_t *pods)
{
	json_t *subsets = json_array();
	const json_t *selector = json_object_get(json_object_get(service, "spec"), "selector");
	size_t i;
	const json_t *pod;
	json_array_foreach (pods, i, pod) {
		const char *ip = json_string_value(json_object_get(json_object_get(pod, "status"), "podIP"));
		const char *phase = json_string_value(json_object_get(json_object_get(pod, "status"), "phase")) ?: "";
		/* Pods that ended keep their address in the status, but serve nothing. */
		if (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0)
			continue;
		if (!ip || !ip[0] || meta(pod, "deletionTimestamp") ||
		    !platform_service_selects(selector, json_object_get(json_object_get(pod, "metadata"), "labels")))
			continue;
		json_t *ports = pod_ports(service, pod);
		json_t *subset = NULL;
		size_t k;
		json_t *s;
		json_array_foreach (subsets, k, s)
			if (json_equal(json_object_get(s, "ports"), ports))
				subset = s;
		if (!subset) {
			subset = json_pack("{s:[], s:[], s:O}", "addresses", "notReadyAddresses", "ports", ports);
			json_array_append_new(subsets, subset);
		}
		json_decref(ports);
		json_array_append_new(json_object_get(subset, kube_pod_ready(pod) ? "addresses" : "notReadyAddresses"),
				      address_of(pod));
	}
	size_t k;
	json_t *s;
	json_array_foreach (subsets, k, s)
		for (const char *const *f = (const char *const[]){ "addresses", "notReadyAddresses", NULL }; *f; f++)
			if (json_array_size(json_object_get(s, *f)) == 0)
				json_object_del(s, *f);
	return subsets;
}

static int write_endpoints(struct platform_objects *o, const json_t *service, json_t *subsets, struct cc_error *err)
{
	const struct platform_resource *r = platform_resource_find("", "v1", "endpoints");
	const char *ns = meta(service, "namespace"), *name = meta(service, "name");
	json_t *current = NULL, *stored = NULL;
	struct cc_error ignored = { 0 };
	int rc = platform_objects_get(o, r, ns, name, &current, &ignored);
	if (rc == 0) {
		if (json_equal(json_object_get(current, "subsets"), subsets)) {
			json_decref(current);
			json_decref(subsets);
			return 0;
		}
		json_object_set_new(current, "subsets", subsets);
		rc = platform_objects_update(o, r, current, 0, &stored, err);
		json_decref(current);
		json_decref(stored);
		return rc;
	}
	json_t *ep = json_pack("{s:s, s:s, s:{s:s, s:s}, s:o}", "apiVersion", "v1", "kind", "Endpoints", "metadata",
			       "name", name, "namespace", ns, "subsets", subsets);
	const json_t *labels = json_object_get(json_object_get(service, "metadata"), "labels");
	if (json_is_object(labels))
		json_object_set(json_object_get(ep, "metadata"), "labels", (json_t *)labels);
	struct cc_http_response refused;
	cc_http_response_init(&refused);
	rc = platform_admit_create(r, ep, ns, &refused);
	if (rc == 0)
		rc = platform_objects_create(o, r, ep, &stored, err);
	cc_http_response_free(&refused);
	json_decref(stored);
	json_decref(ep);
	return rc == -EEXIST ? 0 : rc;
}

int platform_endpoints_reconcile(struct platform_objects *objects, const char *namespace, const char *service,
				 struct cc_error *err)
{
	const struct platform_resource *services = platform_resource_find("", "v1", "services");
	json_t *svc = NULL;
	struct cc_error ignored = { 0 };
	int rc = platform_objects_get(objects, services, namespace, service, &svc, &ignored);
	if (rc == -ENOENT) {
		/* The Service went: so do its Endpoints. */
		rc = platform_objects_delete(objects, platform_resource_find("", "v1", "endpoints"), namespace, service,
					     0, NULL, &ignored);
		return rc == -ENOENT ? 0 : rc;
	}
	if (rc < 0) {
		*err = ignored;
		return rc;
	}
	if (json_object_size(json_object_get(json_object_get(svc, "spec"), "selector")) == 0) {
		json_decref(svc); /* without a selector the Endpoints are the user's */
		return 0;
	}
	json_t *pods = platform_objects_list_all(objects, platform_resource_find("", "v1", "pods"), namespace, err);
	if (!pods) {
		json_decref(svc);
		return -EIO;
	}
	rc = write_endpoints(objects, svc, subsets_of(svc, pods), err);
	json_decref(pods);
	json_decref(svc);
	return rc;
}

int platform_endpoints_reconcile_namespace(struct platform_objects *objects, const char *namespace,
					   struct cc_error *err)
{
	json_t *services =
	    platform_objects_list_all(objects, platform_resource_find("", "v1", "services"), namespace, err);
	if (!services)
		return -EIO;
	int rc = 0;
	size_t i;
	const json_t *svc;
	json_array_foreach (services, i, svc) {
		int r = platform_endpoints_reconcile(objects, namespace, meta(svc, "name"), err);
		if (r < 0 && rc == 0)
			rc = r;
	}
	json_decref(services);
	return rc;
}
