/* /livez, /readyz and /healthz over a real SQLite object store: the answers byte for byte as
 * kube-apiserver gives them (plain ok, verbose lines, exclusions, a failing check's 500, one check
 * alone with its reason), the bootstrap check before and after the default namespace exists, and
 * the pod runner's heartbeat going stale. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/net/http.h"
#include "lib/store/store.h"
#include "platform/health.h"
#include "platform/objects.h"
#include "unit.h"

struct fixture {
	char *dir;
	struct cc_store *store;
	struct platform_objects *objects;
	struct platform_health *health;
};

static int64_t last_pass_ms;

static int64_t runner_last_pass(void *ctx)
{
	assert_ptr_equal(ctx, &last_pass_ms);
	return last_pass_ms;
}

static void open_fixture(struct fixture *f, bool runner)
{
	struct cc_error err = { 0 };
	f->dir = unit_tmpdir();
	char url[300];
	snprintf(url, sizeof(url), "sqlite:%s/state.db", f->dir);
	assert_int_equal(cc_store_open(url, &f->store, &err), 0);
	assert_int_equal(platform_objects_open(f->store, &f->objects, &err), 0);
	struct platform_health_config cfg = { .store = f->store, .objects = f->objects };
	if (runner) {
		cfg.runner_last_pass_ms = runner_last_pass;
		cfg.runner_ctx = &last_pass_ms;
		cfg.runner_stale_ms = 1000;
	}
	assert_int_equal(platform_health_new(&cfg, &f->health, &err), 0);
}

static void close_fixture(struct fixture *f)
{
	platform_health_free(f->health);
	platform_objects_close(f->objects);
	cc_store_close(f->store);
	unit_rmdir(f->dir);
}

static void bootstrap(struct fixture *f)
{
	struct cc_error err = { 0 };
	json_t *ns = json_pack("{s:s, s:s, s:{s:s}}", "kind", "Namespace", "apiVersion", "v1", "metadata", "name",
			       "default"),
	       *stored = NULL;
	assert_int_equal(
	    platform_objects_create(f->objects, platform_resource_find("", "v1", "namespaces"), ns, &stored, &err), 0);
	json_decref(ns);
	json_decref(stored);
}

/* GET target through the health routes: the status, and the body in *ret_body (static). */
static int get(struct fixture *f, const char *target, const char **ret_body)
{
	static char body[4096];
	size_t count;
	const struct cc_http_route *routes = platform_health_routes(f->health, &count);
	struct cc_http_request req = { .method = cc_xstrdup("GET") };
	assert_int_equal(cc_http_request_set_target(&req, target, strlen(target)), 0);
	const struct cc_http_route *route = cc_http_find_route(routes, count, "GET", req.path);
	assert_non_null(route);
	struct cc_http_response resp;
	cc_http_response_init(&resp);
	route->handler(&req, &resp, route->userdata);
	int status = resp.status;
	assert_string_equal(resp.content_type, "text/plain; charset=utf-8");
	snprintf(body, sizeof(body), "%s", resp.body.data ? resp.body.data : "");
	*ret_body = body;
	cc_http_response_free(&resp);
	cc_http_request_reset(&req);
	return status;
}

static void test_answers(void **state)
{
	struct fixture f;
	open_fixture(&f, false);
	const char *body;
	assert_int_equal(get(&f, "/livez", &body), 200);
	assert_string_equal(body, "ok");
	assert_int_equal(get(&f, "/livez?verbose", &body), 200);
	assert_string_equal(body, "[+]ping ok\n[+]etcd ok\nlivez check passed\n");
	/* No default namespace yet: not ready, and /healthz (which includes post-start hooks) fails too. */
	assert_int_equal(get(&f, "/readyz", &body), 500);
	assert_string_equal(body, "[+]ping ok\n[+]etcd ok\n[-]poststarthook/bootstrap-controller failed: reason "
				  "withheld\nreadyz check failed\n");
	assert_int_equal(get(&f, "/healthz", &body), 500);
	assert_non_null(strstr(body, "healthz check failed\n"));
	assert_int_equal(get(&f, "/readyz/poststarthook/bootstrap-controller", &body), 500);
	assert_non_null(strstr(body, "internal server error: the default namespace is not there yet"));
	assert_int_equal(get(&f, "/readyz?exclude=poststarthook/bootstrap-controller", &body), 200);
	assert_string_equal(body, "ok");
	assert_int_equal(
	    get(&f, "/readyz?verbose&exclude=poststarthook%2Fbootstrap-controller&exclude=x&exclude=y", &body), 200);
	assert_string_equal(body, "[+]ping ok\n[+]etcd ok\n[+]poststarthook/bootstrap-controller excluded: ok\n"
				  "warn: some health checks cannot be excluded: no matches for \"x\",\"y\"\n"
				  "readyz check passed\n");
	bootstrap(&f);
	assert_int_equal(get(&f, "/readyz?verbose", &body), 200);
	assert_string_equal(body, "[+]ping ok\n[+]etcd ok\n[+]poststarthook/bootstrap-controller ok\n"
				  "readyz check passed\n");
	assert_int_equal(get(&f, "/healthz", &body), 200);
	assert_string_equal(body, "ok");
	assert_int_equal(get(&f, "/livez/etcd", &body), 200);
	assert_string_equal(body, "ok");
	assert_int_equal(get(&f, "/readyz/ping", &body), 200);
	/* A check of another endpoint, or of none, is not found under this one. */
	assert_int_equal(get(&f, "/livez/poststarthook/bootstrap-controller", &body), 404);
	assert_string_equal(body, "404 page not found\n");
	assert_int_equal(get(&f, "/readyz/nope", &body), 404);
	assert_int_equal(get(&f, "/readyz/", &body), 404);
	close_fixture(&f);
}

static void test_runner_heartbeat(void **state)
{
	struct fixture f;
	open_fixture(&f, true);
	bootstrap(&f);
	const char *body;
	last_pass_ms = 0; /* no pass yet: counted from the start, which was a moment ago */
	assert_int_equal(get(&f, "/readyz", &body), 200);
	last_pass_ms = cc_time_monotonic_ms();
	assert_int_equal(get(&f, "/readyz?verbose", &body), 200);
	assert_string_equal(body, "[+]ping ok\n[+]etcd ok\n[+]poststarthook/bootstrap-controller ok\n[+]syncloop ok\n"
				  "readyz check passed\n");
	last_pass_ms = cc_time_monotonic_ms() - 5000; /* older than runner_stale_ms */
	assert_int_equal(get(&f, "/readyz", &body), 500);
	assert_string_equal(body, "[+]ping ok\n[+]etcd ok\n[+]poststarthook/bootstrap-controller ok\n"
				  "[-]syncloop failed: reason withheld\nreadyz check failed\n");
	assert_int_equal(get(&f, "/readyz/syncloop", &body), 500);
	assert_non_null(strstr(body, "internal server error: the pod runner's last pass over the pods ended 5 s ago"));
	/* Alive all the same: a stuck runner is not a reason to restart the API server. */
	assert_int_equal(get(&f, "/livez", &body), 200);
	assert_int_equal(get(&f, "/healthz", &body), 200);
	assert_int_equal(get(&f, "/livez/syncloop", &body), 404);
	last_pass_ms = cc_time_monotonic_ms();
	assert_int_equal(get(&f, "/readyz", &body), 200);
	close_fixture(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_runner_heartbeat),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
