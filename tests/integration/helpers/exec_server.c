/* A test server for tests/integration/exec_stream.bats: cc_server handing exec requests to the exec
 * bridge (platform/exec.h) for one fixed container of cocoon-runtime, as cocoond's pod runner does
 * once it has resolved the pod.
 *
 *   - without --api: one route, /api/v1/namespaces/NS/pods/NAME/exec (GET and POST);
 *   - with --api DIR: the platform's Kubernetes API (platform/api.h) on an object store in DIR, with
 *     the bootstrap objects, whose pod_stream hook serves every pod's exec from the fixed container:
 *     what kubectl needs (discovery, GET pod, the exec upgrade) before the pod runner exists.
 *
 * Usage: exec_server --runtime PATH --root DIR --container ID [--listen ADDR] [--api DIR]
 *                    [--tls-cert F --tls-key F [--client-ca F]]
 * Serves until SIGTERM or SIGINT; prints "ready PORT" on stdout once it listens. */
#include "lib/base/error.h"
#include "lib/base/stop.h"
#include "lib/net/server.h"
#include "lib/store/store.h"
#include "platform/access.h"
#include "platform/api.h"
#include "platform/authn.h"
#include "platform/bootstrap.h"
#include "platform/exec.h"
#include "platform/objects.h"
#include "platform/rbac.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct target {
	struct platform_exec *exec;
	const char *runtime[4];
	const char *container;
};

static void exec_route(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	struct target *t = userdata;
	struct platform_exec_target target = { .runtime = t->runtime, .container_id = t->container, .pod = "test" };
	platform_exec_serve(t->exec, &target, req, resp);
}

static void pod_stream(void *ctx, const char *subresource, const char *namespace, const char *pod,
		       const struct cc_http_request *req, struct cc_http_response *resp)
{
	exec_route(req, resp, ctx); /* attach included: the fixed container's exec stands in for it */
}

static void sessions(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	struct target *t = userdata;
	cc_buf_appendf(&resp->body, "%d\n", platform_exec_session_count(t->exec));
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "runtime", required_argument, NULL, 'r' },
		{ "root", required_argument, NULL, 'R' },
		{ "container", required_argument, NULL, 'c' },
		{ "tls-cert", required_argument, NULL, 'C' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "client-ca", required_argument, NULL, 'A' },
		{ "api", required_argument, NULL, 'a' },
		{ 0 },
	};
	struct target t = { 0 };
	struct cc_server_config cfg = { .listen = "127.0.0.1:0" };
	const char *api_dir = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'l': cfg.listen = optarg; break;
		case 'r': t.runtime[0] = optarg; break;
		case 'R': t.runtime[2] = optarg; break;
		case 'c': t.container = optarg; break;
		case 'C': cfg.tls_cert = optarg; break;
		case 'K': cfg.tls_key = optarg; break;
		case 'A': cfg.client_ca = optarg; break;
		case 'a': api_dir = optarg; break;
		default: return 2;
		}
	}
	if (!t.runtime[0] || !t.runtime[2] || !t.container) {
		fprintf(stderr, "usage: exec_server --listen ADDR --runtime PATH --root DIR --container ID\n");
		return 2;
	}
	t.runtime[1] = "--root";
	cc_stop_signals_block();
	struct cc_error err = { 0 };
	char state[] = "/tmp/exec-server-XXXXXX"; /* a test program: its sessions' directories */
	if (!mkdtemp(state) || platform_exec_new(state, &t.exec, &err) < 0) {
		fprintf(stderr, "exec_server: %s\n", cc_error_message(&err));
		return 1;
	}
	struct cc_http_route routes[16] = {
		{ .method = "GET", .path = "/sessions", .handler = sessions, .userdata = &t },
		{ .path = "/api/v1/namespaces/", .prefix = true, .handler = exec_route, .userdata = &t },
	};
	size_t count = 2;
	struct cc_store *store = NULL;
	struct platform_objects *objects = NULL;
	struct platform_api *api = NULL;
	struct platform_authn *authn = NULL;
	struct platform_rbac *rbac = NULL;
	struct platform_guard *guard = NULL;
	if (api_dir) {
		char url[512];
		snprintf(url, sizeof(url), "sqlite:%s/state.db", api_dir);
		struct platform_api_config acfg = { .node_name = "exec-test",
						    .pod_stream = pod_stream,
						    .pod_stream_ctx = &t };
		if (cc_store_open(url, &store, &err) < 0 || platform_objects_open(store, &objects, &err) < 0 ||
		    platform_bootstrap(objects, "exec-test", NULL, NULL, &err) < 0 ||
		    platform_rbac_new(objects, &rbac, &err) < 0) {
			fprintf(stderr, "exec_server: %s\n", cc_error_message(&err));
			return 1;
		}
		/* cocoond's access control: the clients' certificates are the node CA's administrators. */
		authn = platform_authn_new(false);
		guard = platform_guard_new(authn, rbac, NULL);
		acfg.objects = objects;
		acfg.guard = guard;
		acfg.authn = authn;
		platform_api_new(&acfg, &api, &err);
		size_t n;
		const struct cc_http_route *api_routes = platform_api_routes(api, &n);
		count = 1;
		for (size_t i = 0; i < n && count < 16; i++)
			routes[count++] = api_routes[i];
		platform_guard_routes(guard, &routes[1], count - 1, PLATFORM_GUARD_AUTHENTICATE);
	}
	cfg.routes = routes;
	cfg.route_count = count;
	struct cc_server *server;
	if (cc_server_start(&cfg, &server, &err) < 0) {
		fprintf(stderr, "exec_server: %s\n", cc_error_message(&err));
		return 1;
	}
	printf("ready %d\n", cc_server_port(server));
	fflush(stdout);
	int r = cc_wait_until_stopped(0, NULL, NULL);
	/* The server first: its sessions end (their commands are killed), then the bridge. */
	cc_server_stop(server);
	platform_exec_free(t.exec);
	platform_api_free(api);
	platform_guard_free(guard);
	platform_rbac_free(rbac);
	platform_authn_free(authn);
	platform_objects_close(objects);
	cc_store_close(store);
	return r < 0 ? 1 : 0;
}
