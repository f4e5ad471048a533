/* The first objects of the platform (see bootstrap.h). The Node's capacity is read from the host:
 * CPUs online and MemTotal, as the kubelet reports them; allocatable is that less --system-reserved. */
#include "platform/bootstrap.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "lib/net/http.h"
#include "platform/admit.h"
#include "platform/objects.h"
#include "platform/rbac_bootstrap.h"
#include "platform/sa_admission.h"
#include "scale/quantity.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* Creates obj unless an object of that name exists. */
static int ensure(struct platform_objects *o, const char *resource, json_t *obj, struct cc_error *err)
{
	int rc = platform_admit_and_create(o, platform_resource_find("", "v1", resource), obj, err);
	json_decref(obj);
	return rc == -EEXIST ? 0 : rc;
}

static long long mem_total_kib(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	long long kib = 0;
	char line[256];
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %lld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

static void os_image(char *out, size_t size)
{
	snprintf(out, size, "Linux");
	FILE *f = fopen("/etc/os-release", "re");
	char line[256];
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "PRETTY_NAME=", 12) == 0) {
			char *v = line + 12;
			v[strcspn(v, "\n")] = '\0';
			if (*v == '"') {
				v++;
				v[strcspn(v, "\"")] = '\0';
			}
			snprintf(out, size, "%.*s", (int)(size - 1), v);
		}
	}
	if (f)
		fclose(f);
}

/* Capacity less the reserve, as kubelet computes allocatable; -EINVAL when the reserve takes it all. */
static int allocatable_of(long cpus, long long mem_kib, const struct platform_node_options *opts, json_t **ret,
			  struct cc_error *err)
{
	int64_t cpu = (int64_t)cpus * 1000 - opts->reserved_cpu_milli;
	int64_t memory = (int64_t)mem_kib * 1024 - opts->reserved_memory;
	if (cpu <= 0 || memory <= 0)
		return cc_error_set(
		    err, EINVAL,
		    "--system-reserved leaves nothing for pods: this host has %ld cpu and %lldKi of memory", cpus,
		    mem_kib);
	char cpu_text[32], memory_text[32];
	scale_format_cpu(cpu, cpu_text, sizeof(cpu_text));
	/* kubelet states memory in Ki: whole kibibytes, rounded down so pods never get more than there is */
	snprintf(memory_text, sizeof(memory_text), "%lldKi", (long long)(memory / 1024));
	*ret = json_pack("{s:s, s:s, s:s, s:s}", "cpu", cpu_text, "memory", memory_text, "pods", "110",
			 "ephemeral-storage", "0");
	return 0;
}

static int node_object(const char *name, const struct platform_node_options *opts, json_t **ret, struct cc_error *err)
{
	char cpus[16], memory[32], now[40], image[128];
	long n_cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long long mem_kib = mem_total_kib();
	snprintf(cpus, sizeof(cpus), "%ld", n_cpus);
	snprintf(memory, sizeof(memory), "%lldKi", mem_kib);
	json_t *allocatable = NULL;
	if (allocatable_of(n_cpus, mem_kib, opts, &allocatable, err) < 0)
		return -EINVAL;
	cc_time_format_rfc3339_seconds(cc_time_now_ns(), now, sizeof(now));
	os_image(image, sizeof(image));
	struct utsname u;
	uname(&u);
	json_t *capacity =
	    json_pack("{s:s, s:s, s:s, s:s}", "cpu", cpus, "memory", memory, "pods", "110", "ephemeral-storage", "0");
	json_t *node =
	    json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:s, s:s}}, s:{}, s:{s:o, s:o, s:[{s:s, s:s, s:s, s:s, s:s, s:s}],"
		      " s:[{s:s, s:s}, {s:s, s:s}], s:{s:s, s:s, s:s, s:s, s:s, s:s}}}",
		      "kind", "Node", "apiVersion", "v1", "metadata", "name", name, "labels", "kubernetes.io/hostname",
		      name, "kubernetes.io/os", "linux", "node-role.kubernetes.io/control-plane", "", "spec", "status",
		      "capacity", capacity, "allocatable", allocatable, "conditions", "type", "Ready", "status", "True",
		      "reason", "CocoonReady", "message", "cocoond is serving and cocoon-runtime is ready",
		      "lastHeartbeatTime", now, "lastTransitionTime", now, "addresses", "type", "InternalIP", "address",
		      "127.0.0.1", "type", "Hostname", "address", name, "nodeInfo", "kubeletVersion", "v1.30.0-cocoon",
		      "osImage", image, "kernelVersion", u.release, "operatingSystem", "linux", "architecture",
		      strcmp(u.machine, "x86_64") == 0 ? "amd64" : u.machine, "containerRuntimeVersion",
		      "cocoon-runtime://" COCOON_VERSION);
	if (json_object_size(opts->labels))
		json_object_update(json_object_get(json_object_get(node, "metadata"), "labels"), opts->labels);
	if (json_array_size(opts->taints))
		json_object_set(json_object_get(node, "spec"), "taints", opts->taints);
	*ret = node;
	return 0;
}

/* What the operator changed on the Node survives a restart, as kubelet leaves it: the spec (a
 * cordon, taints), labels and annotations; this start's own labels and taints (the flags) win. */
static void keep_operator_changes(json_t *node, const json_t *old)
{
	json_t *meta = json_object_get(node, "metadata");
	const json_t *old_meta = json_object_get(old, "metadata");
	json_t *labels = json_deep_copy(json_object_get(old_meta, "labels"));
	if (json_is_object(labels)) {
		json_object_update(labels, json_object_get(meta, "labels"));
		json_object_set_new(meta, "labels", labels);
	} else {
		json_decref(labels);
	}
	if (json_is_object(json_object_get(old_meta, "annotations")))
		json_object_set(meta, "annotations", json_object_get(old_meta, "annotations"));
	json_t *spec = json_deep_copy(json_object_get(old, "spec"));
	if (!json_is_object(spec)) {
		json_decref(spec);
		return;
	}
	json_t *taints = json_object_get(spec, "taints");
	size_t i, j;
	const json_t *mine;
	json_array_foreach (json_object_get(json_object_get(node, "spec"), "taints"), i, mine) {
		if (!json_is_array(taints)) {
			taints = json_array();
			json_object_set_new(spec, "taints", taints);
		}
		for (j = 0; j < json_array_size(taints);) {
			const json_t *t = json_array_get(taints, j);
			if (json_equal(json_object_get(t, "key"), json_object_get(mine, "key")) &&
			    json_equal(json_object_get(t, "effect"), json_object_get(mine, "effect")))
				json_array_remove(taints, j);
			else
				j++;
		}
		json_array_append(taints, (json_t *)mine);
	}
	json_object_set_new(node, "spec", spec);
}

/* The Node is written at every start: its status (capacity, heartbeat) is this start's. */
static int register_node(struct platform_objects *o, const char *name, const struct platform_node_options *opts,
			 struct cc_error *err)
{
	const struct platform_resource *r = platform_resource_find("", "v1", "nodes");
	json_t *node = NULL;
	if (node_object(name, opts, &node, err) < 0)
		return -EINVAL;
	json_t *old = NULL, *stored = NULL;
	int rc = platform_objects_get(o, r, NULL, name, &old, err);
	if (rc == 0) {
		json_t *meta = json_object_get(node, "metadata");
		json_object_set(meta, "uid", json_object_get(json_object_get(old, "metadata"), "uid"));
		json_object_set(meta, "creationTimestamp",
				json_object_get(json_object_get(old, "metadata"), "creationTimestamp"));
		keep_operator_changes(node, old);
		rc = platform_objects_update(o, r, node, 0, &stored, err);
		if (rc < 0) {
			/* A stale status (a full disk, say) is no reason not to serve: the Node is there. */
			cc_warning("node %s: status not refreshed: %s", name, cc_error_message(err));
			rc = 0;
		}
	} else if (rc == -ENOENT) {
		rc = platform_admit_and_create(o, r, node, err);
	}
	json_decref(old);
	json_decref(stored);
	json_decref(node);
	return rc;
}

int platform_bootstrap(struct platform_objects *o, const char *node_name, const struct platform_node_options *node,
		       const char *ca_pem, struct cc_error *err)
{
	static const char *const namespaces[] = { "default", "kube-system", "kube-public", "kube-node-lease" };
	for (size_t i = 0; i < sizeof(namespaces) / sizeof(namespaces[0]); i++) {
		json_t *ns =
		    json_pack("{s:s, s:s, s:{s:s, s:{s:s}}, s:{s:[s]}, s:{s:s}}", "kind", "Namespace", "apiVersion",
			      "v1", "metadata", "name", namespaces[i], "labels", "kubernetes.io/metadata.name",
			      namespaces[i], "spec", "finalizers", "kubernetes", "status", "phase", "Active");
		int rc = ensure(o, "namespaces", ns, err);
		if (rc == 0)
			rc = platform_sa_namespace_defaults(o, namespaces[i], ca_pem, err);
		if (rc < 0)
			return cc_error_prefix(err, "create namespace %s", namespaces[i]);
	}
	int rc = platform_rbac_bootstrap(o, err);
	if (rc < 0)
		return rc;
	static const struct platform_node_options none = { 0 };
	rc = register_node(o, node_name, node ? node : &none, err);
	return rc < 0 ? cc_error_prefix(err, "register node %s", node_name) : 0;
}
