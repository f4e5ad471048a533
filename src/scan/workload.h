/* Workloads in Kubernetes manifests: the pod template of any object that makes pods, found where
 * each kind keeps it, and the misconfigurations of that template (Pod Security Standards and
 * cocoon's confidential policy) in one shape for the CLI (`cocoon scan config`), the admission
 * webhook and cocoond. */
#pragma once

#include "scan/pod_security.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct cc_error;

/* Lists inside lists are followed this deep (kubectl never nests them). */
#define SCAN_WORKLOAD_MAX_LIST_DEPTH 4

/* One Kubernetes object and, when it makes pods, its pod template. Pointers into the object. */
struct scan_workload {
	const json_t *object;
	const char *kind;
	const char *namespace;      /* metadata.namespace; NULL when the manifest leaves it to the context */
	const char *name;           /* metadata.name, else metadata.generateName, else NULL */
	const char *template_path;  /* where the pod template is: "" (a Pod is its own), "spec.template",
				     * "spec.jobTemplate.spec.template", "template" */
	const char *spec_path;      /* its spec: "spec", "spec.template.spec", ... */
	const json_t *pod_metadata; /* the template's metadata (a Pod's own); NULL when absent */
	const json_t *pod_spec;     /* NULL: an object of a kind that makes no pods */
};

/* Reads one object (not a List): kind, namespace, name and, for the kinds that make pods, the pod
 * template: Pod (spec), Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job
 * (spec.template.spec), CronJob (spec.jobTemplate.spec.template.spec), PodTemplate (template.spec),
 * and any other kind whose spec.template.spec has a containers list (Argo Rollouts, OpenKruise
 * CloneSets: the apps/v1 shape). Returns 1 with a pod template, 0 without, -EINVAL (err says why)
 * when object is not a Kubernetes object: not a JSON object, no kind, or a pod template that is
 * not an object. */
int scan_workload_read(const json_t *object, struct scan_workload *ret, struct cc_error *err);

/* Calls fn for every object of a manifest document: the document itself, or each item of a List
 * (kind List or any kind ending in "List" that has an items array), lists in lists up to
 * SCAN_WORKLOAD_MAX_LIST_DEPTH deep. A negative return from fn stops the walk and is returned.
 * Returns the number of objects visited, or -EINVAL naming the item (`item 3: ...`) when one is not
 * a Kubernetes object. */
typedef int (*scan_workload_fn)(const struct scan_workload *w, void *userdata);
int scan_workload_each(const json_t *document, scan_workload_fn fn, void *userdata, struct cc_error *err);

/* Appends the misconfigurations of w's pod template to out, one object each:
 *   {"id", "title", "severity", "category": "pod-security-baseline" | "pod-security-restricted" |
 *    "confidential", "kind", "namespace" (null when unset), "name", "container" (only when one
 *    container is concerned), "field" (path in the object: "spec.template.spec.containers[0].image"),
 *    "message"}
 * The Pod Security checks are those of level (none at privileged) in kube-apiserver's words;
 * confidential ones are cocoon's (confidential_checks.h) when confidential is true. Returns how
 * many were appended (0 for an object without a pod template). */
size_t scan_workload_misconfigurations(const struct scan_workload *w, enum scan_pss_level level, bool confidential,
				       json_t *out);

/* Every check the function above may report, for the documentation and the policy engine: the
 * i-th, NULL past the last (Pod Security ones first, in kube-apiserver's order). */
struct scan_workload_rule {
	const char *id; /* "PSS-BASELINE-PRIVILEGED", "CC-RUNTIME-CLASS" */
	const char *title;
	const char *severity; /* critical, high, medium, low */
	const char *category;
	const char *check; /* the PodSecurity library's check id ("privileged"); NULL for cocoon's own */
};
const struct scan_workload_rule *scan_workload_rule(size_t i);
