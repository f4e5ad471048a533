/* cc_server under load and attack, in one process on loopback: streamed responses over HTTP/1.1 and
 * HTTP/2 (with back-pressure and client departure), body limits per route and memory budgets, an
 * unknown gRPC method's body never buffered, eviction of idle strangers at the connection limit,
 * TLS handshakes per source, and refusals reported once per kind (issues 10 and 11). Clients are
 * libcurl (HTTP/1.1 and h2c with prior knowledge) and raw sockets. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/x509.h"
#include "lib/net/response_stream.h"
#include "lib/net/server.h"
#include "net_unit.h"
#include "unit.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

/* ---- handlers ---- */

struct producer {
	struct cc_response_stream *stream;
	int messages;
	int delay_ms;
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	for (int i = 0; i < p->messages; i++) {
		usleep((useconds_t)p->delay_ms * 1000);
		char line[32];
		snprintf(line, sizeof(line), "event %d\n", i);
		assert_int_equal(cc_response_stream_write(p->stream, line, strlen(line)), 0);
	}
	cc_response_stream_finish(p->stream);
	free(p);
	return NULL;
}

/* GET /events: three events, 50 ms apart, from another thread; the handler returns at once. */
static void events(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	struct producer *p = cc_xcalloc(1, sizeof(*p));
	p->stream = cc_http_response_stream(resp, 0);
	p->messages = 3;
	p->delay_ms = 50;
	snprintf(resp->content_type, sizeof(resp->content_type), "application/json");
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, produce, p), 0);
	pthread_detach(t);
}

/* GET /flood: a stream handed to the test, which writes until the client pushes back. */
static struct cc_response_stream *_Atomic flood_stream;
static atomic_int flood_closed;

static void on_flood_close(void *arg)
{
	atomic_store(&flood_closed, 1);
}

static void flood(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	struct cc_response_stream *s = cc_http_response_stream(resp, 256u << 10);
	cc_response_stream_on_close(s, on_flood_close, NULL);
	atomic_store(&flood_stream, s);
}

/* GET /burst: 1 MiB written at once, then nothing more until the test finishes the stream. */
static struct cc_response_stream *_Atomic burst_stream;

static void burst(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	struct cc_response_stream *s = cc_http_response_stream(resp, 4u << 20);
	char *data = cc_xmalloc(1u << 20);
	memset(data, 'b', 1u << 20);
	assert_int_equal(cc_response_stream_write(s, data, 1u << 20), 0);
	free(data);
	atomic_store(&burst_stream, s);
}

static void echo_length(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	cc_buf_appendf(&resp->body, "%zu", req->body.len);
}

static const struct cc_http_route routes[] = {
	{ .method = "GET", .path = "/events", .handler = events },
	{ .method = "GET", .path = "/flood", .handler = flood },
	{ .method = "GET", .path = "/burst", .handler = burst },
	{ .method = "POST", .path = "/small", .handler = echo_length, .max_body = 16 },
	{ .method = "POST", .path = "/large", .handler = echo_length, .max_body = 4u << 20 },
	{ .method = "GET", .path = "/ok", .handler = echo_length },
};

static struct cc_server *start_plain(struct cc_server_config *cfg)
{
	cfg->listen = "127.0.0.1:0";
	cfg->routes = routes;
	cfg->route_count = CC_ARRAY_SIZE(routes);
	struct cc_server *srv;
	struct cc_error err = { 0 };
	if (cc_server_start(cfg, &srv, &err) < 0)
		fail_msg("start: %s", err.message);
	return srv;
}

/* ---- a libcurl client ---- */

struct reply {
	long status;
	struct cc_buf body;
	char grpc_status[8];
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	cc_buf_append(&r->body, data, size * n);
	return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	if (size * n > 13 && strncasecmp(data, "grpc-status: ", 13) == 0)
		snprintf(r->grpc_status, sizeof(r->grpc_status), "%.*s", (int)strcspn(data + 13, "\r\n"), data + 13);
	return size * n;
}

static void fetch(int port, bool h2, const char *method, const char *path, const char *type, const char *body,
		  size_t len, struct reply *r)
{
	*r = (struct reply){ .body = CC_BUF_INIT };
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	CURL *c = curl_easy_init();
	struct curl_slist *headers = NULL;
	if (type) {
		char h[128];
		snprintf(h, sizeof(h), "Content-Type: %s", type);
		headers = curl_slist_append(headers, h);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, h2 ? CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE : CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	}
	CURLcode rc = curl_easy_perform(c);
	if (rc != CURLE_OK)
		fail_msg("%s %s: %s", method, url, curl_easy_strerror(rc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
}

/* True when the server closed fd within ms. */
static bool closed_within(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, ms) <= 0)
		return false;
	char b[256];
	return read(fd, b, sizeof(b)) <= 0;
}

/* ---- tests ---- */

static void test_streamed_response_http1_and_h2(void **state)
{
	struct cc_server_config cfg = { 0 };
	struct cc_server *srv = start_plain(&cfg);
	for (int h2 = 0; h2 < 2; h2++) {
		struct reply r;
		fetch(cc_server_port(srv), h2, "GET", "/events", NULL, NULL, 0, &r);
		assert_int_equal(r.status, 200);
		assert_string_equal(r.body.data, "event 0\nevent 1\nevent 2\n");
		cc_buf_free(&r.body);
	}
	/* The connection serves ordinary requests after a stream ended (HTTP/1.1 keep-alive). */
	int fd = connect_tcp(cc_server_port(srv));
	const char *two = "GET /events HTTP/1.1\r\nHost: a\r\n\r\nGET /ok HTTP/1.1\r\nHost: a\r\n\r\n";
	assert_int_equal(write(fd, two, strlen(two)), (ssize_t)strlen(two));
	struct cc_buf got = CC_BUF_INIT;
	char buf[4096];
	while (!strstr(got.data ? got.data : "", "Content-Length: 1")) {
		ssize_t n = read(fd, buf, sizeof(buf));
		assert_true(n > 0);
		cc_buf_append(&got, buf, (size_t)n);
	}
	assert_non_null(strstr(got.data, "Transfer-Encoding: chunked\r\n"));
	assert_non_null(strstr(got.data, "8\r\nevent 2\n\r\n0\r\n\r\nHTTP/1.1 200 OK"));
	cc_buf_free(&got);
	close(fd);
	cc_server_stop(srv);
}

static void test_slow_reader_pushes_back_and_departure_is_seen(void **state)
{
	struct cc_server_config cfg = { 0 };
	struct cc_server *srv = start_plain(&cfg);
	atomic_store(&flood_stream, NULL);
	atomic_store(&flood_closed, 0);
	int fd = connect_tcp(cc_server_port(srv));
	int small = 4096;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	const char *req = "GET /flood HTTP/1.1\r\nHost: a\r\n\r\n";
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	struct cc_response_stream *s;
	for (int i = 0; i < 200 && !(s = atomic_load(&flood_stream)); i++)
		usleep(10000);
	assert_non_null(s);
	/* The client reads nothing: writes are refused with ENOBUFS once what is unsent passes the
	 * bound; the server's memory for this client stays bounded. */
	char chunk[16384];
	memset(chunk, 'x', sizeof(chunk));
	size_t written = 0;
	int r = 0;
	for (int i = 0; i < 20000 && r == 0; i++) {
		r = cc_response_stream_write(s, chunk, sizeof(chunk));
		if (r == 0)
			written += sizeof(chunk);
		else if (r == -ENOBUFS && written < (64u << 20)) {
			usleep(20000); /* give the loop a chance to move bytes into the socket, then retry once */
			r = cc_response_stream_write(s, chunk, sizeof(chunk));
			if (r == 0)
				written += sizeof(chunk);
		}
	}
	assert_int_equal(r, -ENOBUFS);
	assert_true(written < (64u << 20));
	/* The client leaves: the writer hears of it (callback and EPIPE). */
	close(fd);
	for (int i = 0; i < 300 && !atomic_load(&flood_closed); i++)
		usleep(10000);
	assert_int_equal(atomic_load(&flood_closed), 1);
	assert_true(cc_response_stream_closed(s));
	assert_int_equal(cc_response_stream_write(s, "x", 1), -EPIPE);
	cc_response_stream_finish(s);
	cc_server_stop(srv);
}

/* A burst larger than what the loop moves into a connection's output at once is sent whole even
 * when the writer then stays silent: the socket taking everything must not leave the rest waiting
 * for an EPOLLOUT that never comes (or for the writer's next write). */
static void test_burst_is_sent_without_a_next_write(void **state)
{
	struct cc_server_config cfg = { 0 };
	struct cc_server *srv = start_plain(&cfg);
	atomic_store(&burst_stream, NULL);
	int fd = connect_tcp(cc_server_port(srv));
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	const char *req = "GET /burst HTTP/1.1\r\nHost: a\r\n\r\n";
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	size_t bs = 0;
	char buf[65536];
	while (bs < (1u << 20)) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			fail_msg("only %zu of 1048576 bytes arrived", bs);
		for (ssize_t i = 0; i < n; i++)
			bs += buf[i] == 'b';
	}
	close(fd);
	struct cc_response_stream *s = atomic_load(&burst_stream);
	assert_non_null(s);
	cc_response_stream_finish(s);
	cc_server_stop(srv);
}

static void test_body_limits_follow_the_route_and_budget(void **state)
{
	struct cc_server_config cfg = { .unauthenticated_budget = 64u << 10 };
	struct cc_server *srv = start_plain(&cfg);
	size_t big = 200u << 10;
	char *body = cc_xmalloc(big);
	memset(body, 'b', big);
	for (int h2 = 0; h2 < 2; h2++) {
		struct reply r;
		fetch(cc_server_port(srv), h2, "POST", "/small", "text/plain", body, 17, &r);
		assert_int_equal(r.status, 413);
		cc_buf_free(&r.body);
		fetch(cc_server_port(srv), h2, "POST", "/small", "text/plain", body, 16, &r);
		assert_int_equal(r.status, 200);
		assert_string_equal(r.body.data, "16");
		cc_buf_free(&r.body);
		/* Within the route's limit but over what an unauthenticated connection may make us hold. */
		fetch(cc_server_port(srv), h2, "POST", "/large", "text/plain", body, big, &r);
		assert_int_equal(r.status, 503);
		assert_non_null(strstr(r.body.data, "budget"));
		cc_buf_free(&r.body);
		/* A body for a path nobody serves is not kept: 404, not 413. */
		fetch(cc_server_port(srv), h2, "POST", "/nowhere", "text/plain", body, 32u << 10, &r);
		assert_int_equal(r.status, 404);
		cc_buf_free(&r.body);
		/* gRPC to a server without that method: UNIMPLEMENTED, the body read and dropped, never
		 * buffered (tests/integration/hostile.bats holds 100 such streams of 4 MiB). */
		fetch(cc_server_port(srv), true, "POST", "/kbs/v0/auth", "application/grpc", body, big, &r);
		assert_string_equal(r.grpc_status, "12");
		cc_buf_free(&r.body);
	}
	free(body);
	cc_server_stop(srv);
}

static void test_idle_strangers_make_room(void **state)
{
	struct cc_server_config cfg = { .max_connections = 8 };
	struct cc_server *srv = start_plain(&cfg);
	int idle[8];
	for (int i = 0; i < 8; i++)
		idle[i] = connect_tcp(cc_server_port(srv));
	usleep(100000);
	/* A ninth client is served; the oldest idle connection made room. */
	struct reply r;
	fetch(cc_server_port(srv), false, "GET", "/ok", NULL, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	cc_buf_free(&r.body);
	assert_true(closed_within(idle[0], 2000));
	for (int i = 0; i < 8; i++)
		close(idle[i]);
	cc_server_stop(srv);
}

/* ---- TLS: handshakes per source, refusals counted ---- */

static char *pki_dir;
static char ca[256], cert[256], key[256];
static atomic_int refusals_reported;
static char last_refusal[512];

static void on_authenticate(const struct cc_peer *peer, const char *reason, void *userdata)
{
	if (reason) {
		atomic_fetch_add(&refusals_reported, 1);
		snprintf(last_refusal, sizeof(last_refusal), "%s", reason);
	}
}

static int setup(void **state)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	pki_dir = unit_tmpdir();
	snprintf(ca, sizeof(ca), "%s/ca.crt", pki_dir);
	snprintf(cert, sizeof(cert), "%s/s.crt", pki_dir);
	snprintf(key, sizeof(key), "%s/s.key", pki_dir);
	struct cc_error err = { 0 };
	X509 *ca_cert, *c;
	EVP_PKEY *ca_key, *k;
	struct cc_cert_request ca_req = { .usage = CC_CERT_CA, .common_name = "unit CA", .days = 1 };
	assert_int_equal(cc_x509_issue(&ca_req, NULL, NULL, &ca_cert, &ca_key, &err), 0);
	struct cc_cert_request s_req = {
		.usage = CC_CERT_SERVER, .common_name = "server", .subject_alt_names = "IP:127.0.0.1", .days = 1
	};
	assert_int_equal(cc_x509_issue(&s_req, ca_cert, ca_key, &c, &k, &err), 0);
	assert_int_equal(cc_x509_write_cert(ca, ca_cert, &err), 0);
	assert_int_equal(cc_x509_write_cert(cert, c, &err), 0);
	assert_int_equal(cc_x509_write_key(key, k, &err), 0);
	X509_free(ca_cert), X509_free(c);
	EVP_PKEY_free(ca_key), EVP_PKEY_free(k);
	return 0;
}

static int teardown(void **state)
{
	unit_rmdir(pki_dir);
	curl_global_cleanup();
	return 0;
}

static void test_handshakes_per_source_and_counted_refusals(void **state)
{
	struct cc_server_config cfg = {
		.listen = "127.0.0.1:0",
		.tls_cert = cert,
		.tls_key = key,
		.routes = routes,
		.route_count = CC_ARRAY_SIZE(routes),
		.max_handshakes_per_source = 4,
		.on_authenticate = on_authenticate,
	};
	struct cc_server *srv;
	struct cc_error err = { 0 };
	assert_int_equal(cc_server_start(&cfg, &srv, &err), 0);
	atomic_store(&refusals_reported, 0);
	int stalled[4];
	for (int i = 0; i < 4; i++)
		stalled[i] = connect_tcp(cc_server_port(srv)); /* connect, never send a ClientHello */
	usleep(100000);
	int fifth = connect_tcp(cc_server_port(srv));
	assert_true(closed_within(fifth, 2000));
	close(fifth);
	for (int i = 0; i < 4; i++)
		close(stalled[i]);
	usleep(100000);
	/* 50 failed handshakes in a row: reported once, then counted in one summary at the end of the
	 * window (here: at stop). */
	int before = atomic_load(&refusals_reported);
	for (int i = 0; i < 50; i++) {
		int fd = connect_tcp(cc_server_port(srv));
		assert_int_equal(write(fd, "GET / HTTP/1.1\r\n\r\n", 18), 18);
		closed_within(fd, 2000);
		close(fd);
	}
	usleep(100000);
	assert_int_equal(atomic_load(&refusals_reported) - before, 1);
	cc_server_stop(srv);
	assert_non_null(strstr(last_refusal, "49 more like it"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_streamed_response_http1_and_h2),
		cmocka_unit_test(test_slow_reader_pushes_back_and_departure_is_seen),
		cmocka_unit_test(test_burst_is_sent_without_a_next_write),
		cmocka_unit_test(test_body_limits_follow_the_route_and_budget),
		cmocka_unit_test(test_idle_strangers_make_room),
		cmocka_unit_test(test_handshakes_per_source_and_counted_refusals),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
