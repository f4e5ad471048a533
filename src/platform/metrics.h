/* cocoond's GET /metrics: Prometheus text (lib/metrics/prometheus.h) under the names kube-apiserver
 * and kubelet use for the same figures, so their dashboards and alerts read cocoond as they are:
 *
 *   apiserver_request_total{code,component,dry_run,group,resource,scope,subresource,verb,version}
 *   apiserver_request_duration_seconds{component,dry_run,group,resource,scope,subresource,verb,version}
 *                                       histogram, kube-apiserver's buckets; not for WATCH and
 *                                       CONNECT, whose handler returns as their stream starts
 *   apiserver_current_inflight_requests{request_kind}   readOnly and mutating, long-running excluded
 *   apiserver_registered_watchers{group,kind,version}   watches open now
 *   apiserver_storage_objects{resource}                 objects stored, per resource.group
 *   kubelet_running_pods, kubelet_running_containers{container_state}
 *   kubelet_pod_start_duration_seconds  histogram: from the pod's creation seen by cocoond to its
 *                                       phase Running
 *   kubelet_node_name{node}, kubernetes_build_info{...}
 *   process_cpu_seconds_total, process_open_fds, process_max_fds, process_virtual_memory_bytes,
 *   process_resident_memory_bytes, process_start_time_seconds
 *   cocoon_metrics_series_dropped_total  label combinations refused by the size limit of a family
 *
 * Requests are counted by wrapping the handlers of the server's route table (the Kubernetes API's,
 * the node API's, the health and metrics routes), the way kube-apiserver instruments its handler
 * chain: the API code itself is untouched. Counting is a lock-protected table update per request.
 *
 * Who may read /metrics: as kube-apiserver's system:monitoring role has it, cluster administrators
 * (system:masters) and the system:monitoring group (a client certificate with O=system:monitoring);
 * on the unix socket root and cocoond's own user. Anyone else gets 403. */
#pragma once

#include "lib/net/http.h"

#include <stddef.h>

struct cc_error;
struct platform_objects;
struct platform_metrics;

struct platform_metrics_config {
	struct platform_objects *objects; /* stored objects, watches, pods */
	const char *node_name;            /* this host's Node: its pods are the kubelet figures */
};

/* Observes the object store (one observer slot) for the pods' start times. */
int platform_metrics_new(const struct platform_metrics_config *cfg, struct platform_metrics **ret,
			 struct cc_error *err);
/* After the servers stopped: the instrumented routes point into it. */
void platform_metrics_free(struct platform_metrics *m);

/* GET /metrics. */
const struct cc_http_route *platform_metrics_routes(struct platform_metrics *m, size_t *ret_count);

/* Replaces each route's handler by one that counts and times the request and calls the original.
 * Once per metrics object; the routes keep pointing into m. */
void platform_metrics_instrument(struct platform_metrics *m, struct cc_http_route *routes, size_t count);

/* What a request is counted as: kube-apiserver's labels (verb after CleanVerb: GET, LIST, WATCH,
 * POST, PUT, PATCH, APPLY, DELETE, DELETECOLLECTION, CONNECT for a resource; the HTTP method for
 * other paths). Strings point into the resource table or are static, except verb and subresource. */
struct platform_request_labels {
	char verb[24];
	const char *group, *version, *resource;
	char subresource[32];
	const char *scope;   /* resource, namespace, cluster, or "" */
	const char *dry_run; /* "All" or "" */
	bool long_running;   /* WATCH, CONNECT, a followed log: not timed, not in flight */
	bool mutating;       /* for apiserver_current_inflight_requests */
};
void platform_metrics_request_labels(const struct cc_http_request *req, struct platform_request_labels *ret);

/* Counts one request (what the instrumented handlers call; exposed for tests). */
void platform_metrics_observe_request(struct platform_metrics *m, const struct platform_request_labels *labels,
				      int status, double seconds);

/* The whole exposition, as GET /metrics answers it. */
void platform_metrics_write(struct platform_metrics *m, struct cc_buf *out);
