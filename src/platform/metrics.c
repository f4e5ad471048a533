/* cocoond's metrics (see metrics.h). Three kinds of figures, gathered three ways:
 *   - requests: counted as they end, by the instrumented handlers, into two labelled families;
 *   - what the store holds (objects, watches, pods and their containers): read at scrape time from
 *     the object store's own counters and one list of the pods, so nothing is kept twice;
 *   - pod start times: the store's observer notes when a pod of this node is created and when it
 *     first reports phase Running, in a small table keyed by the pod's uid.
 * Names, labels and buckets are kube-apiserver's (k8s.io/apiserver/pkg/endpoints/metrics) and
 * kubelet's (pkg/kubelet/metrics) of Kubernetes 1.30. */
#include "platform/metrics.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/event/emit.h"
#include "lib/metrics/process.h"
#include "lib/metrics/prometheus.h"
#include "platform/objects.h"
#include "platform/resources.h"
#include "platform/target.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define MAX_STARTING_PODS 1024 /* pods of this node waiting for phase Running, timed */

/* kube-apiserver's requestLatencies buckets. */
static const double request_buckets[] = { 0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2,
					  3,     4,     5,    6,   8,   10,  15,  20,  30,  45,   60 };
/* kubelet's PodStartDuration buckets. */
static const double pod_start_buckets[] = { 0.5, 1,   2,   3,   4,   5,   6,   8,   10,   20,   30,   45,  60,
					    120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800, 2700, 3600 };

static const char *const request_labels[] = { "code",  "component",   "dry_run", "group",   "resource",
					      "scope", "subresource", "verb",    "version", NULL };
static const char *const duration_labels[] = { "component",   "dry_run", "group",   "resource", "scope",
					       "subresource", "verb",    "version", NULL };

struct instrumented_route {
	struct platform_metrics *metrics;
	cc_http_handler_fn handler;
	void *userdata;
};

struct starting_pod {
	char uid[64];
	int64_t seen_ns;
};

struct platform_metrics {
	struct platform_objects *objects;
	char *node_name;
	const struct platform_resource *pods;
	struct cc_prom_family *requests, *durations;
	atomic_llong inflight[2]; /* readOnly, mutating */
	pthread_mutex_t pods_lock;
	struct starting_pod starting[MAX_STARTING_PODS];
	size_t starting_count;
	struct cc_prom_histogram pod_start;
	struct instrumented_route *wrapped;
	struct cc_http_route routes[1];
};

static int64_t monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- what a request counts as ---- */

static bool is_one_of(const char *s, const char *const *set)
{
	for (size_t i = 0; set[i]; i++)
		if (strcmp(s, set[i]) == 0)
			return true;
	return false;
}

/* Subresources are labels only when Kubernetes has them, so a client cannot make up series. */
static const char *const known_subresources[] = { "status",      "scale",   "log",      "exec",
						  "attach",      "binding", "eviction", "proxy",
						  "portforward", "token",   "finalize", "ephemeralcontainers",
						  "approval",    "resize",  NULL };
static const char *const connect_subresources[] = { "exec", "attach", "portforward", "proxy", NULL };
/* Non-resource paths whose path kube-apiserver puts in the subresource label. */
static const char *const health_paths[] = { "/healthz", "/livez", "/readyz", NULL };

static bool query_true(const struct cc_http_request *req, const char *name)
{
	_cleanup_free_ char *v = cc_http_request_query(req, name);
	return v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

/* The HTTP method as kube-apiserver's cleanVerb leaves a non-resource request's: upper case from a
 * known set, else "other". */
static const char *clean_method(const char *method)
{
	static const char *const methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", NULL };
	if (strcmp(method, "HEAD") == 0)
		return "GET";
	for (size_t i = 0; methods[i]; i++)
		if (strcmp(method, methods[i]) == 0)
			return methods[i];
	return "other";
}

static const char *resource_verb(const struct cc_http_request *req, const struct platform_target *t, bool *long_running)
{
	const char *m = req->method;
	bool read = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
	if (t->subresource && is_one_of(t->subresource, connect_subresources)) {
		*long_running = true;
		return "CONNECT";
	}
	if (read && t->name) {
		*long_running = t->subresource && strcmp(t->subresource, "log") == 0 && query_true(req, "follow");
		return "GET";
	}
	if (read) {
		*long_running = query_true(req, "watch");
		return *long_running ? "WATCH" : "LIST";
	}
	if (strcmp(m, "PATCH") == 0) {
		const char *type = cc_http_request_header(req, "content-type");
		return type && strncasecmp(type, "application/apply-patch", 23) == 0 ? "APPLY" : "PATCH";
	}
	if (strcmp(m, "DELETE") == 0)
		return t->name ? "DELETE" : "DELETECOLLECTION";
	return clean_method(m);
}

void platform_metrics_request_labels(const struct cc_http_request *req, struct platform_request_labels *ret)
{
	*ret =
	    (struct platform_request_labels){ .group = "", .version = "", .resource = "", .scope = "", .dry_run = "" };
	const char *m = req->method;
	ret->mutating = strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 && strcmp(m, "OPTIONS") != 0;
	_cleanup_free_ char *dry_run = cc_http_request_query(req, "dryRun");
	if (dry_run && strcmp(dry_run, "All") == 0)
		ret->dry_run = "All";
	struct platform_target t;
	int rc = platform_target_parse(req->path, &t);
	if (rc == 0 && (!t.subresource || is_one_of(t.subresource, known_subresources))) {
		ret->group = t.resource->group;
		ret->version = t.resource->version;
		ret->resource = t.resource->resource;
		snprintf(ret->subresource, sizeof(ret->subresource), "%s", t.subresource ? t.subresource : "");
		ret->scope = t.name ? "resource" : t.namespace ? "namespace" : "cluster";
		snprintf(ret->verb, sizeof(ret->verb), "%s", resource_verb(req, &t, &ret->long_running));
	} else {
		/* Discovery, /version, /metrics, health, and paths no resource answers (their 404s). */
		snprintf(ret->verb, sizeof(ret->verb), "%s", clean_method(m));
		for (size_t i = 0; health_paths[i]; i++) {
			size_t n = strlen(health_paths[i]);
			if (strncmp(req->path, health_paths[i], n) == 0 &&
			    (req->path[n] == '\0' || req->path[n] == '/'))
				snprintf(ret->subresource, sizeof(ret->subresource), "%s", health_paths[i]);
		}
	}
	platform_target_free(&t);
}

void platform_metrics_observe_request(struct platform_metrics *m, const struct platform_request_labels *l, int status,
				      double seconds)
{
	char code[16];
	snprintf(code, sizeof(code), "%d", status);
	const char *counted[] = { code,     "apiserver",    l->dry_run, l->group,  l->resource,
				  l->scope, l->subresource, l->verb,    l->version };
	cc_prom_family_add(m->requests, counted, 1);
	if (!l->long_running) {
		const char *timed[] = { "apiserver", l->dry_run,     l->group, l->resource,
					l->scope,    l->subresource, l->verb,  l->version };
		cc_prom_family_observe(m->durations, timed, seconds);
	}
}

/* ---- the instrumented handlers ---- */

static void instrumented(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	const struct instrumented_route *w = userdata;
	struct platform_request_labels labels;
	platform_metrics_request_labels(req, &labels);
	atomic_llong *inflight = &w->metrics->inflight[labels.mutating];
	if (!labels.long_running)
		atomic_fetch_add(inflight, 1);
	int64_t start = monotonic_ns();
	w->handler(req, resp, w->userdata);
	double seconds = (double)(monotonic_ns() - start) / 1e9;
	if (!labels.long_running)
		atomic_fetch_sub(inflight, 1);
	platform_metrics_observe_request(w->metrics, &labels, resp->status, seconds);
}

void platform_metrics_instrument(struct platform_metrics *m, struct cc_http_route *routes, size_t count)
{
	free(m->wrapped);
	m->wrapped = cc_xcalloc(count, sizeof(*m->wrapped));
	for (size_t i = 0; i < count; i++) {
		m->wrapped[i] = (struct instrumented_route){ m, routes[i].handler, routes[i].userdata };
		routes[i].handler = instrumented;
		routes[i].userdata = &m->wrapped[i];
	}
}

/* ---- pods: the store's observer for start times, a list at scrape time for the gauges ---- */

static bool on_this_node(const struct platform_metrics *m, const json_t *pod)
{
	const char *node = json_string_value(json_object_get(json_object_get(pod, "spec"), "nodeName"));
	return !node || !node[0] || strcmp(node, m->node_name) == 0;
}

static const char *phase_of(const json_t *pod)
{
	const char *phase = json_string_value(json_object_get(json_object_get(pod, "status"), "phase"));
	return phase ? phase : "";
}

static ssize_t find_starting(struct platform_metrics *m, const char *uid)
{
	for (size_t i = 0; i < m->starting_count; i++)
		if (strcmp(m->starting[i].uid, uid) == 0)
			return (ssize_t)i;
	return -1;
}

static void forget_starting(struct platform_metrics *m, size_t i)
{
	m->starting[i] = m->starting[--m->starting_count];
}

/* Under the store's lock: notes and returns. A pod is timed from the ADDED this process saw (a pod
 * adopted after a restart is not timed) to the first change that shows it Running. */
static void observe_pod(void *ctx, const struct platform_resource *r, const char *type, const json_t *pod)
{
	struct platform_metrics *m = ctx;
	const char *uid = json_string_value(json_object_get(json_object_get(pod, "metadata"), "uid"));
	if (r != m->pods || !uid || strlen(uid) >= sizeof(m->starting[0].uid) || !on_this_node(m, pod))
		return;
	int64_t now = monotonic_ns();
	pthread_mutex_lock(&m->pods_lock);
	ssize_t i = find_starting(m, uid);
	if (strcmp(type, "DELETED") == 0) {
		if (i >= 0)
			forget_starting(m, (size_t)i);
	} else if (strcmp(phase_of(pod), "Running") == 0) {
		if (i >= 0) {
			cc_prom_histogram_observe(&m->pod_start, (double)(now - m->starting[i].seen_ns) / 1e9);
			forget_starting(m, (size_t)i);
		}
	} else if (strcmp(type, "ADDED") == 0 && i < 0 && m->starting_count < MAX_STARTING_PODS) {
		struct starting_pod *s = &m->starting[m->starting_count++];
		snprintf(s->uid, sizeof(s->uid), "%s", uid);
		s->seen_ns = now;
	}
	pthread_mutex_unlock(&m->pods_lock);
}

struct container_counts {
	long long running_pods;
	long long created, running, exited;
};

/* kubelet counts containers as the runtime sees them: running, exited (a terminated one, or the
 * previous instance of one waiting to restart) and created. */
static void count_container(const json_t *status, struct container_counts *c)
{
	const json_t *state = json_object_get(status, "state");
	if (json_object_get(state, "running"))
		c->running++;
	else if (json_object_get(state, "terminated"))
		c->exited++;
	else if (json_object_get(json_object_get(status, "lastState"), "terminated"))
		c->exited++;
	else if (json_string_value(json_object_get(status, "containerID")))
		c->created++;
}

/* false when the store cannot be read: the gauges are left out rather than shown as 0. */
static bool count_pods(struct platform_metrics *m, struct container_counts *c)
{
	struct platform_list_options o = { 0 };
	json_t *items = NULL;
	int64_t rv;
	_cleanup_free_ char *next = NULL;
	struct cc_error err = { 0 };
	if (platform_objects_list(m->objects, m->pods, &o, &items, &rv, &next, &err) < 0)
		return false;
	size_t i, j;
	json_t *pod, *status;
	json_array_foreach (items, i, pod) {
		if (!on_this_node(m, pod))
			continue;
		c->running_pods += strcmp(phase_of(pod), "Running") == 0;
		const json_t *st = json_object_get(pod, "status");
		json_array_foreach (json_object_get(st, "initContainerStatuses"), j, status)
			count_container(status, c);
		json_array_foreach (json_object_get(st, "containerStatuses"), j, status)
			count_container(status, c);
	}
	json_decref(items);
	return true;
}

static void write_kubelet(struct platform_metrics *m, struct cc_buf *out)
{
	struct container_counts c = { 0 };
	bool counted = count_pods(m, &c);
	cc_prom_write_header(out, "kubelet_node_name", CC_PROM_GAUGE, "The node's name. The count is always 1.");
	cc_prom_write_sample(out, "kubelet_node_name", (const char *[]){ "node", NULL },
			     (const char *[]){ m->node_name }, 1);
	if (counted) {
		cc_prom_write_single(out, "kubelet_running_pods", CC_PROM_GAUGE,
				     "Number of pods that have a running pod sandbox", (double)c.running_pods);
		cc_prom_write_header(out, "kubelet_running_containers", CC_PROM_GAUGE,
				     "Number of containers currently running");
		static const char *const state[] = { "container_state", NULL };
		cc_prom_write_sample(out, "kubelet_running_containers", state, (const char *[]){ "created" },
				     (double)c.created);
		cc_prom_write_sample(out, "kubelet_running_containers", state, (const char *[]){ "exited" },
				     (double)c.exited);
		cc_prom_write_sample(out, "kubelet_running_containers", state, (const char *[]){ "running" },
				     (double)c.running);
	}
	cc_prom_write_header(
	    out, "kubelet_pod_start_duration_seconds", CC_PROM_HISTOGRAM,
	    "Duration in seconds from kubelet seeing a pod for the first time to the pod starting to run");
	pthread_mutex_lock(&m->pods_lock);
	cc_prom_write_histogram(out, "kubelet_pod_start_duration_seconds", NULL, NULL, &m->pod_start);
	pthread_mutex_unlock(&m->pods_lock);
}

/* ---- the store's figures ---- */

static void write_store(struct platform_metrics *m, struct cc_buf *out)
{
	size_t n;
	const struct platform_resource *resources = platform_resources(&n);
	cc_prom_write_header(out, "apiserver_storage_objects", CC_PROM_GAUGE,
			     "Number of stored objects at the time of last check split by kind.");
	for (size_t i = 0; i < n; i++) {
		const struct platform_resource *r = &resources[i];
		if (r->verbs && strcmp(r->verbs, "create") == 0)
			continue; /* asked, never stored */
		char name[160];
		snprintf(name, sizeof(name), "%s%s%s", r->resource, r->group[0] ? "." : "", r->group);
		cc_prom_write_sample(out, "apiserver_storage_objects", (const char *[]){ "resource", NULL },
				     (const char *[]){ name }, (double)platform_objects_count(m->objects, r));
	}
	cc_prom_write_header(out, "apiserver_registered_watchers", CC_PROM_GAUGE,
			     "Number of currently registered watchers for a given resources");
	for (size_t i = 0; i < n; i++) {
		const struct platform_resource *r = &resources[i];
		if (r->verbs && strcmp(r->verbs, "create") == 0)
			continue;
		cc_prom_write_sample(out, "apiserver_registered_watchers",
				     (const char *[]){ "group", "kind", "version", NULL },
				     (const char *[]){ r->group, r->kind, r->version },
				     (double)platform_objects_watch_count(m->objects, r));
	}
}

static void write_requests(struct platform_metrics *m, struct cc_buf *out)
{
	cc_prom_family_write(m->requests, out);
	cc_prom_family_write(m->durations, out);
	static const char *const kind[] = { "request_kind", NULL };
	cc_prom_write_header(out, "apiserver_current_inflight_requests", CC_PROM_GAUGE,
			     "Number of requests in flight per request kind (long-running requests excluded).");
	cc_prom_write_sample(out, "apiserver_current_inflight_requests", kind, (const char *[]){ "mutating" },
			     (double)atomic_load(&m->inflight[1]));
	cc_prom_write_sample(out, "apiserver_current_inflight_requests", kind, (const char *[]){ "readOnly" },
			     (double)atomic_load(&m->inflight[0]));
	cc_prom_write_single(out, "cocoon_metrics_series_dropped_total", CC_PROM_COUNTER,
			     "Updates refused because a metric family had as many label combinations as it keeps.",
			     (double)(cc_prom_family_dropped(m->requests) + cc_prom_family_dropped(m->durations)));
}

static void write_build_info(struct cc_buf *out)
{
	static const char *const names[] = { "build_date", "compiler", "git_commit", "git_tree_state", "git_version",
					     "go_version", "major",    "minor",      "platform",       NULL };
	static const char *const values[] = { "", "gcc", "",   "clean",      "v1.30.0+cocoon-" COCOON_VERSION,
					      "", "1",   "30", "linux/amd64" };
	cc_prom_write_header(out, "kubernetes_build_info", CC_PROM_GAUGE,
			     "A metric with a constant '1' value labeled by major, minor, git version, git commit, git "
			     "tree state, build date, Go version, and compiler from which Kubernetes was built, and "
			     "platform on which it is running.");
	cc_prom_write_sample(out, "kubernetes_build_info", names, values, 1);
}

void platform_metrics_write(struct platform_metrics *m, struct cc_buf *out)
{
	write_requests(m, out);
	write_store(m, out);
	write_kubelet(m, out);
	write_build_info(out);
	cc_prom_write_process(out);
}

/* ---- GET /metrics ---- */

static void serve_metrics(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	struct platform_metrics *m = userdata;
	/* Who may read it is RBAC's to say (get on the path /metrics: cluster administrators and
	 * system:monitoring by the default roles), before this runs (access.h). */
	resp->status = 200;
	snprintf(resp->content_type, sizeof(resp->content_type), "%s", CC_PROM_CONTENT_TYPE);
	platform_metrics_write(m, &resp->body);
}

const struct cc_http_route *platform_metrics_routes(struct platform_metrics *m, size_t *ret_count)
{
	*ret_count = sizeof(m->routes) / sizeof(m->routes[0]);
	return m->routes;
}

int platform_metrics_new(const struct platform_metrics_config *cfg, struct platform_metrics **ret, struct cc_error *err)
{
	struct platform_metrics *m = cc_xcalloc(1, sizeof(*m));
	m->objects = cfg->objects;
	m->node_name = cc_xstrdup(cfg->node_name ? cfg->node_name : "");
	m->pods = platform_resource_find("", "v1", "pods");
	m->requests =
	    cc_prom_family_new("apiserver_request_total", CC_PROM_COUNTER,
			       "Counter of apiserver requests broken out for each verb, dry run value, group, "
			       "version, resource, scope, component, and HTTP response code.",
			       request_labels, NULL, 0, 0);
	m->durations = cc_prom_family_new(
	    "apiserver_request_duration_seconds", CC_PROM_HISTOGRAM,
	    "Response latency distribution in seconds for each verb, dry run value, group, version, resource, "
	    "subresource, scope and component.",
	    duration_labels, request_buckets, CC_ARRAY_SIZE(request_buckets), 0);
	pthread_mutex_init(&m->pods_lock, NULL);
	cc_prom_histogram_init(&m->pod_start, pod_start_buckets, CC_ARRAY_SIZE(pod_start_buckets));
	m->routes[0] =
	    (struct cc_http_route){ .method = "GET", .path = "/metrics", .handler = serve_metrics, .userdata = m };
	int r = platform_objects_observe(m->objects, observe_pod, m);
	if (r < 0) {
		platform_metrics_free(m);
		return cc_error_set(err, -r,
				    "observe the object store for the pods' start times: no observer slot left");
	}
	*ret = m;
	return 0;
}

void platform_metrics_free(struct platform_metrics *m)
{
	if (!m)
		return;
	platform_objects_unobserve(m->objects, observe_pod, m);
	cc_prom_family_free(m->requests);
	cc_prom_family_free(m->durations);
	pthread_mutex_destroy(&m->pods_lock);
	free(m->wrapped);
	free(m->node_name);
	free(m);
}
