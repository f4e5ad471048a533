/* A test server for tests/integration/exec_stream.bats: cc_server with one route,
 * /api/v1/namespaces/NS/pods/NAME/exec (GET and POST), that hands every request to the exec bridge
 * (platform/exec.h) for one fixed container of cocoon-runtime, as cocoond's pod runner does once it
 * has resolved the pod. Plain HTTP on loopback, or TLS with --tls-cert/--tls-key.
 *
 * Usage: exec_server --listen ADDR --runtime PATH --root DIR --container ID [--tls-cert F --tls-key F]
 * Serves until SIGTERM or SIGINT; prints "ready PORT" on stdout once it listens. */
#include "lib/base/error.h"
#include "lib/base/stop.h"
#include "lib/net/server.h"
#include "platform/exec.h"

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
		{ 0 },
	};
	struct target t = { 0 };
	struct cc_server_config cfg = { .listen = "127.0.0.1:0" };
	int c;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'l': cfg.listen = optarg; break;
		case 'r': t.runtime[0] = optarg; break;
		case 'R': t.runtime[2] = optarg; break;
		case 'c': t.container = optarg; break;
		case 'C': cfg.tls_cert = optarg; break;
		case 'K': cfg.tls_key = optarg; break;
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
	if (platform_exec_new(&t.exec, &err) < 0) {
		fprintf(stderr, "exec_server: %s\n", cc_error_message(&err));
		return 1;
	}
	const struct cc_http_route routes[] = {
		{ .path = "/api/v1/namespaces/", .prefix = true, .handler = exec_route, .userdata = &t },
		{ .method = "GET", .path = "/sessions", .handler = sessions, .userdata = &t },
	};
	cfg.routes = routes;
	cfg.route_count = 2;
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
	return r < 0 ? 1 : 0;
}
