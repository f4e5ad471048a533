/* cocoon describe's describers and the pieces they share (describe.c, describe_pod.c). The layout is
 * kubectl's (k8s.io/kubectl/pkg/describe/describe.go): the same fields, in the same order, through
 * the same tabwriter, so a reader used to kubectl describe finds everything where it looks. */
#pragma once

#include "kube_client.h"
#include "tabwriter.h"

#include <jansson.h>
#include <stddef.h>

/* kubectl's PrefixWriter levels: two spaces each. */
enum {
	LEVEL_0 = 0,
	LEVEL_1 = 1,
	LEVEL_2 = 2,
	LEVEL_3 = 3,
};

/* Walks a path of object fields: describe_field(obj, "status", "phase", NULL), NULL where it ends. */
json_t *describe_field(const json_t *obj, ...) __attribute__((sentinel));
/* The string at a path, or "". */
const char *describe_str(const json_t *obj, ...) __attribute__((sentinel));

/* The keys of an object in byte order (malloc'd array; the strings are the object's). */
const char **describe_sorted_keys(const json_t *obj, size_t *ret_n);
/* "Mon, 02 Jan 2006 15:04:05 +0000" (Go's time.RFC1123Z, in UTC) of an RFC 3339 time, "" for none. */
void describe_time(const char *rfc3339, char *out, size_t size);
/* apimachinery's duration.HumanDuration of the time since rfc3339: "5s", "3m20s", "2d4h". */
void describe_age(const char *rfc3339, char *out, size_t size);

/* "Labels:\tapp=web\n\ttier=front\n", sorted; "<none>" when empty. title may carry an indent. */
void describe_labels(struct tabwriter *w, const char *title, const json_t *labels);
/* "Annotations:\tkey: value", as kubectl (last-applied-configuration left out, long values cut). */
void describe_annotations(struct tabwriter *w, const char *title, const json_t *annotations);
void describe_tolerations(struct tabwriter *w, const char *title, const json_t *tolerations);
/* A label selector as its string form: "app=web,tier in (a,b)". */
char *describe_selector(const json_t *selector);
/* "ReplicaSet/web-5d4f" for the controller owner reference, or NULL. */
char *describe_controller(const json_t *obj);
/* The Events table of the object (kubectl's DescribeEvents); "Events:\t<none>" when there are none. */
void describe_events(struct tabwriter *w, const json_t *events);

/* The pod describer and the pod template of workloads (describe_pod.c). */
void describe_pod(struct tabwriter *w, const json_t *pod, const json_t *events);
void describe_pod_template(struct tabwriter *w, const json_t *template);
/* The deployment describer; replica_sets are the namespace's ReplicaSets (to find its own). */
void describe_deployment(struct tabwriter *w, const json_t *deployment, const json_t *replica_sets,
			 const json_t *events);
