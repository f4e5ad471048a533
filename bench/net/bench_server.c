/* The server side of bench/net/run.sh: cc_server (lib/net) with the routes the benchmark needs.
 *   GET /small   "ok\n", the response nginx serves in the same run
 *   GET /events  a streamed response that never gets an event: a watch waiting, as kubectl holds
 * Plain HTTP on loopback (HTTP/1.1 and h2c), or TLS with --tls CERT KEY. Prints its port, then
 * serves until SIGTERM. */
#include "lib/base/error.h"
#include "lib/net/response_stream.h"
#include "lib/net/server.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The streams are kept (never written) until the client leaves; the server tells us then. */
static void forget(void *arg)
{
	cc_response_stream_finish(arg);
}

static void events(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	struct cc_response_stream *s = cc_http_response_stream(resp, 0);
	cc_response_stream_on_close(s, forget, s);
}

static void small(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	cc_buf_append_str(&resp->body, "ok\n");
}

int main(int argc, char **argv)
{
	const char *listen = argc > 1 ? argv[1] : "127.0.0.1:0";
	static const struct cc_http_route routes[] = {
		{ .method = "GET", .path = "/small", .handler = small },
		{ .method = "GET", .path = "/events", .handler = events },
	};
	struct cc_server_config cfg = { .listen = listen, .routes = routes, .route_count = 2 };
	if (argc > 4 && strcmp(argv[2], "--tls") == 0) {
		cfg.tls_cert = argv[3];
		cfg.tls_key = argv[4];
	}
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL); /* before the server's threads start: they inherit it */
	struct cc_error err = { 0 };
	struct cc_server *srv;
	if (cc_server_start(&cfg, &srv, &err) < 0) {
		fprintf(stderr, "bench_server: %s\n", err.message);
		return 1;
	}
	printf("%d\n", cc_server_port(srv));
	fflush(stdout);
	int sig;
	sigwait(&stop, &sig);
	cc_server_stop(srv);
	return 0;
}
