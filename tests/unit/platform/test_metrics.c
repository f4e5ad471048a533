/* cocoond's metrics: what each kind of request is counted as (kube-apiserver's verbs, scopes and
 * subresources), requests through instrumented routes (in flight while they run, counted and timed
 * after; long-running ones counted, not timed), the store's figures and kubelet's pod gauges and
 * start times over a real SQLite object store, and who may read /metrics (RBAC's default roles). */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/net/http.h"
#include "lib/store/store.h"
#include "platform/access.h"
#include "platform/authn.h"
#include "platform/metrics.h"
#include "platform/objects.h"
#include "platform/rbac.h"
#include "platform/rbac_bootstrap.h"
#include "unit.h"

struct fixture {
	char *dir;
	struct cc_store *store;
	struct platform_objects *objects;
	struct platform_metrics *metrics;
};

static void open_fixture(struct fixture *f)
{
	struct cc_error err = { 0 };
	f->dir = unit_tmpdir();
	char url[300];
	snprintf(url, sizeof(url), "sqlite:%s/state.db", f->dir);
	assert_int_equal(cc_store_open(url, &f->store, &err), 0);
	assert_int_equal(platform_objects_open(f->store, &f->objects, &err), 0);
	struct platform_metrics_config cfg = { .objects = f->objects, .node_name = "n1" };
	assert_int_equal(platform_metrics_new(&cfg, &f->metrics, &err), 0);
}

static void close_fixture(struct fixture *f)
{
	platform_metrics_free(f->metrics);
	platform_objects_close(f->objects);
	cc_store_close(f->store);
	unit_rmdir(f->dir);
}

static void make_request(struct cc_http_request *req, const char *method, const char *target, const char *type)
{
	*req = (struct cc_http_request){ .method = cc_xstrdup(method) };
	assert_int_equal(cc_http_request_set_target(req, target, strlen(target)), 0);
	if (type)
		assert_int_equal(cc_http_request_add_header(req, "content-type", 12, type, strlen(type)), 0);
}

struct label_case {
	const char *method, *target, *type;
	const char *verb, *group, *resource, *subresource, *scope;
	bool long_running, mutating;
};

static void test_request_labels(void **state)
{
	static const struct label_case cases[] = {
		{ "GET", "/api/v1/namespaces/default/pods", NULL, "LIST", "", "pods", "", "namespace", false, false },
		{ "GET", "/api/v1/pods?limit=5", NULL, "LIST", "", "pods", "", "cluster", false, false },
		{ "GET", "/api/v1/namespaces/a/pods?watch=true", NULL, "WATCH", "", "pods", "", "namespace", true,
		  false },
		{ "GET", "/api/v1/namespaces/a/pods?watch=1", NULL, "WATCH", "", "pods", "", "namespace", true, false },
		{ "HEAD", "/api/v1/namespaces/a/pods/p", NULL, "GET", "", "pods", "", "resource", false, false },
		{ "GET", "/api/v1/namespaces/a/pods/p/log", NULL, "GET", "", "pods", "log", "resource", false, false },
		{ "GET", "/api/v1/namespaces/a/pods/p/log?follow=true", NULL, "GET", "", "pods", "log", "resource",
		  true, false },
		{ "POST", "/api/v1/namespaces/a/pods/p/exec?command=sh", NULL, "CONNECT", "", "pods", "exec",
		  "resource", true, true },
		{ "GET", "/api/v1/namespaces/a/pods/p/attach", NULL, "CONNECT", "", "pods", "attach", "resource", true,
		  false },
		{ "POST", "/apis/apps/v1/namespaces/a/deployments", "application/json", "POST", "apps", "deployments",
		  "", "namespace", false, true },
		{ "PATCH", "/apis/apps/v1/namespaces/a/deployments/d?fieldManager=kubectl",
		  "application/apply-patch+yaml", "APPLY", "apps", "deployments", "", "resource", false, true },
		{ "PATCH", "/apis/apps/v1/namespaces/a/deployments/d", "application/merge-patch+json", "PATCH", "apps",
		  "deployments", "", "resource", false, true },
		{ "PUT", "/apis/apps/v1/namespaces/a/deployments/d/scale", NULL, "PUT", "apps", "deployments", "scale",
		  "resource", false, true },
		{ "PUT", "/api/v1/namespaces/a/pods/p/status", NULL, "PUT", "", "pods", "status", "resource", false,
		  true },
		{ "DELETE", "/api/v1/namespaces/a/configmaps", NULL, "DELETECOLLECTION", "", "configmaps", "",
		  "namespace", false, true },
		{ "DELETE", "/api/v1/namespaces/a/configmaps/c", NULL, "DELETE", "", "configmaps", "", "resource",
		  false, true },
		{ "GET", "/api/v1/namespaces/a", NULL, "GET", "", "namespaces", "", "resource", false, false },
		{ "GET", "/api/v1/nodes", NULL, "LIST", "", "nodes", "", "cluster", false, false },
		/* Not resources: the method, the health path as subresource, nothing made up by the client. */
		{ "GET", "/readyz/etcd", NULL, "GET", "", "", "/readyz", "", false, false },
		{ "GET", "/livez?verbose", NULL, "GET", "", "", "/livez", "", false, false },
		{ "GET", "/healthzzz", NULL, "GET", "", "", "", "", false, false },
		{ "GET", "/metrics", NULL, "GET", "", "", "", "", false, false },
		{ "HEAD", "/version", NULL, "GET", "", "", "", "", false, false },
		{ "GET", "/apis/apps/v1", NULL, "GET", "", "", "", "", false, false },
		{ "GET", "/api/v1/namespaces/a/pods/p/made-up", NULL, "GET", "", "", "", "", false, false },
		{ "GET", "/api/v1/widgets", NULL, "GET", "", "", "", "", false, false },
		{ "BREW", "/coffee", NULL, "other", "", "", "", "", false, true },
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(cases); i++) {
		const struct label_case *c = &cases[i];
		struct cc_http_request req;
		make_request(&req, c->method, c->target, c->type);
		struct platform_request_labels l;
		platform_metrics_request_labels(&req, &l);
		if (strcmp(l.verb, c->verb) != 0 || strcmp(l.group, c->group) != 0 ||
		    strcmp(l.resource, c->resource) != 0 || strcmp(l.subresource, c->subresource) != 0 ||
		    strcmp(l.scope, c->scope) != 0 || l.long_running != c->long_running || l.mutating != c->mutating)
			fail_msg("%s %s: verb %s group %s resource %s subresource %s scope %s long %d mutating %d",
				 c->method, c->target, l.verb, l.group, l.resource, l.subresource, l.scope,
				 l.long_running, l.mutating);
		assert_string_equal(l.version, c->resource[0] ? "v1" : "");
		assert_string_equal(l.dry_run, "");
		cc_http_request_reset(&req);
	}
	struct cc_http_request req;
	make_request(&req, "POST", "/api/v1/namespaces/a/configmaps?dryRun=All", NULL);
	struct platform_request_labels l;
	platform_metrics_request_labels(&req, &l);
	assert_string_equal(l.dry_run, "All");
	cc_http_request_reset(&req);
}

static char *scrape(struct fixture *f)
{
	struct cc_buf b = CC_BUF_INIT;
	platform_metrics_write(f->metrics, &b);
	return cc_buf_steal(&b, NULL);
}

static void assert_line(const char *text, const char *line)
{
	_cleanup_free_ char *needle = cc_xasprintf("\n%s\n", line);
	if (!strstr(text, needle))
		fail_msg("no line `%s` in:\n%s", line, text);
}

/* The instrumented handler: what /metrics says while it runs. */
static void slow_create(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	struct fixture *f = userdata;
	_cleanup_free_ char *text = scrape(f);
	assert_line(text, "apiserver_current_inflight_requests{request_kind=\"mutating\"} 1");
	assert_line(text, "apiserver_current_inflight_requests{request_kind=\"readOnly\"} 0");
	resp->status = 201;
}

static void watch_handler(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	struct fixture *f = userdata;
	_cleanup_free_ char *text = scrape(f);
	assert_line(text, "apiserver_current_inflight_requests{request_kind=\"readOnly\"} 0"); /* long-running */
	resp->status = 200;
}

static void call(struct cc_http_route *routes, size_t count, const char *method, const char *target)
{
	struct cc_http_request req;
	make_request(&req, method, target, NULL);
	struct cc_http_response resp;
	cc_http_response_init(&resp);
	cc_http_dispatch(routes, count, &req, &resp);
	cc_http_response_free(&resp);
	cc_http_request_reset(&req);
}

static void test_instrumented_routes(void **state)
{
	struct fixture f;
	open_fixture(&f);
	struct cc_http_route routes[] = {
		{ .method = "POST", .path = "/api/", .prefix = true, .handler = slow_create, .userdata = &f },
		{ .method = "GET", .path = "/api/", .prefix = true, .handler = watch_handler, .userdata = &f },
	};
	platform_metrics_instrument(f.metrics, routes, 2);
	call(routes, 2, "POST", "/api/v1/namespaces/a/configmaps");
	call(routes, 2, "POST", "/api/v1/namespaces/a/configmaps");
	call(routes, 2, "GET", "/api/v1/namespaces/a/configmaps?watch=true");
	_cleanup_free_ char *text = scrape(&f);
	assert_line(text,
		    "apiserver_request_total{code=\"201\",component=\"apiserver\",dry_run=\"\",group=\"\","
		    "resource=\"configmaps\",scope=\"namespace\",subresource=\"\",verb=\"POST\",version=\"v1\"} 2");
	assert_line(text,
		    "apiserver_request_total{code=\"200\",component=\"apiserver\",dry_run=\"\",group=\"\","
		    "resource=\"configmaps\",scope=\"namespace\",subresource=\"\",verb=\"WATCH\",version=\"v1\"} 1");
	assert_line(text,
		    "apiserver_request_duration_seconds_count{component=\"apiserver\",dry_run=\"\",group=\"\","
		    "resource=\"configmaps\",scope=\"namespace\",subresource=\"\",verb=\"POST\",version=\"v1\"} 2");
	assert_line(text, "apiserver_request_duration_seconds_bucket{component=\"apiserver\",dry_run=\"\",group=\"\","
			  "resource=\"configmaps\",scope=\"namespace\",subresource=\"\",verb=\"POST\",version=\"v1\","
			  "le=\"60\"} 2");
	assert_null(strstr(text, "verb=\"WATCH\",version=\"v1\",le=")); /* a watch is not timed */
	assert_line(text, "apiserver_current_inflight_requests{request_kind=\"mutating\"} 0");
	assert_line(text, "cocoon_metrics_series_dropped_total 0");
	close_fixture(&f);
}

static json_t *pod(const char *name, const char *uid, const char *node)
{
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:s}, s:{s:s, s:[{s:s, s:s}]}}", "kind", "Pod", "apiVersion", "v1",
			 "metadata", "name", name, "namespace", "default", "uid", uid, "spec", "nodeName", node,
			 "containers", "name", "c", "image", "busybox");
}

static void store_pod(struct fixture *f, json_t *obj, bool create)
{
	struct cc_error err = { 0 };
	const struct platform_resource *pods = platform_resource_find("", "v1", "pods");
	json_t *stored = NULL;
	if (create)
		assert_int_equal(platform_objects_create(f->objects, pods, obj, &stored, &err), 0);
	else
		assert_int_equal(platform_objects_update(f->objects, pods, obj, 0, &stored, &err), 0);
	json_decref(stored);
}

static void test_pods_and_store(void **state)
{
	struct fixture f;
	open_fixture(&f);
	json_t *mine = pod("web", "uid-1", "n1"), *other = pod("db", "uid-2", "n2");
	store_pod(&f, mine, true);
	store_pod(&f, other, true);
	_cleanup_free_ char *before = scrape(&f);
	assert_line(before, "apiserver_storage_objects{resource=\"pods\"} 2");
	assert_line(before, "apiserver_storage_objects{resource=\"deployments.apps\"} 0");
	assert_null(strstr(before, "selfsubjectaccessreviews")); /* never stored */
	assert_line(before, "apiserver_registered_watchers{group=\"\",kind=\"Pod\",version=\"v1\"} 0");
	assert_line(before, "kubelet_node_name{node=\"n1\"} 1");
	assert_line(before, "kubelet_running_pods 0");
	assert_line(before, "kubelet_pod_start_duration_seconds_count 0");

	/* Running, with one container running and one exited; the other node's pod changes nothing here. */
	json_object_set_new(mine, "status",
			    json_pack("{s:s, s:[{s:s, s:{s:{}}}, {s:s, s:{s:{s:i}}}]}", "phase", "Running",
				      "containerStatuses", "name", "c", "state", "running", "name", "d", "state",
				      "terminated", "exitCode", 0));
	store_pod(&f, mine, false);
	json_object_set_new(other, "status", json_pack("{s:s}", "phase", "Running"));
	store_pod(&f, other, false);
	_cleanup_free_ char *after = scrape(&f);
	assert_line(after, "kubelet_running_pods 1");
	assert_line(after, "kubelet_running_containers{container_state=\"running\"} 1");
	assert_line(after, "kubelet_running_containers{container_state=\"exited\"} 1");
	assert_line(after, "kubelet_running_containers{container_state=\"created\"} 0");
	assert_line(after, "kubelet_pod_start_duration_seconds_count 1");
	assert_line(after, "kubelet_pod_start_duration_seconds_bucket{le=\"0.5\"} 1");
	/* Timed once: a later change of a running pod adds nothing. */
	store_pod(&f, mine, false);
	struct cc_error err = { 0 };
	assert_int_equal(platform_objects_delete(f.objects, platform_resource_find("", "v1", "pods"), "default", "db",
						 0, NULL, &err),
			 0);
	_cleanup_free_ char *last = scrape(&f);
	assert_line(last, "kubelet_pod_start_duration_seconds_count 1");
	assert_line(last, "apiserver_storage_objects{resource=\"pods\"} 1");
	json_decref(mine);
	json_decref(other);
	close_fixture(&f);
}

/* GET /metrics behind cocoond's access control (access.h): RBAC with the default roles decides. */
static int get_metrics(struct fixture *f, const struct cc_peer *peer, char **ret_body)
{
	size_t count;
	const struct cc_http_route *served = platform_metrics_routes(f->metrics, &count);
	struct cc_http_route routes[4];
	memcpy(routes, served, count * sizeof(*routes));
	struct cc_error err = { 0 };
	struct platform_rbac *rbac = NULL;
	assert_int_equal(platform_rbac_bootstrap(f->objects, &err), 0);
	assert_int_equal(platform_rbac_new(f->objects, &rbac, &err), 0);
	struct platform_authn *authn = platform_authn_new(false);
	struct platform_guard *guard = platform_guard_new(authn, rbac, NULL);
	platform_guard_routes(guard, routes, count, PLATFORM_GUARD_AUTHORIZE_PATH);
	struct cc_http_request req;
	make_request(&req, "GET", "/metrics", NULL);
	req.peer = peer;
	struct cc_http_response resp;
	cc_http_response_init(&resp);
	cc_http_dispatch(routes, count, &req, &resp);
	int status = resp.status;
	if (status == 200)
		assert_string_equal(resp.content_type, "text/plain; version=0.0.4; charset=utf-8");
	*ret_body = cc_xstrdup(resp.body.data ? resp.body.data : "");
	cc_http_response_free(&resp);
	cc_http_request_reset(&req);
	platform_guard_free(guard);
	platform_authn_free(authn);
	platform_rbac_free(rbac);
	return status;
}

static void test_who_may_read(void **state)
{
	struct fixture f;
	open_fixture(&f);
	struct cc_peer root = { .is_unix = true, .have_credentials = true, .uid = 0 };
	struct cc_peer stranger = { .is_unix = true, .have_credentials = true, .uid = 4242 };
	struct cc_peer admin = { .tls = true, .cert_verified = true, .common_name = "admin", .group_count = 1 };
	snprintf(admin.groups[0], sizeof(admin.groups[0]), "system:masters");
	struct cc_peer monitor = { .tls = true, .cert_verified = true, .common_name = "prometheus", .group_count = 1 };
	snprintf(monitor.groups[0], sizeof(monitor.groups[0]), "system:monitoring");
	struct cc_peer dev = { .tls = true, .cert_verified = true, .common_name = "dev", .group_count = 1 };
	snprintf(dev.groups[0], sizeof(dev.groups[0]), "developers");
	char *body;
	assert_int_equal(get_metrics(&f, &admin, &body), 200);
	assert_non_null(strstr(body, "# TYPE apiserver_request_total counter\n"));
	assert_non_null(strstr(body, "# TYPE process_resident_memory_bytes gauge\n"));
	free(body);
	assert_int_equal(get_metrics(&f, &monitor, &body), 200);
	free(body);
	assert_int_equal(get_metrics(&f, &root, &body), 200);
	free(body);
	assert_int_equal(get_metrics(&f, &dev, &body), 403);
	assert_non_null(strstr(body, "User \\\"dev\\\" cannot get path \\\"/metrics\\\""));
	free(body);
	assert_int_equal(get_metrics(&f, &stranger, &body), geteuid() == 4242 ? 200 : 403);
	free(body);
	close_fixture(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_labels),
		cmocka_unit_test(test_instrumented_routes),
		cmocka_unit_test(test_pods_and_store),
		cmocka_unit_test(test_who_may_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
