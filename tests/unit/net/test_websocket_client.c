/* The WebSocket client (lib/net/websocket_client.c) against the server's WebSocket sessions (echo,
 * subprotocol choice, large messages, the close handshake both ways, refusals with their body, mutual
 * TLS, unix sockets) and against a raw server written here that breaks the rules a client must check:
 * a wrong Sec-WebSocket-Accept, an unoffered subprotocol, a masked frame, a lost connection; and that
 * the client masks every frame with a fresh key and answers pings. */
#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/x509.h"
#include "lib/net/http.h"
#include "lib/net/server.h"
#include "lib/net/websocket.h"
#include "lib/net/websocket_client.h"
#include "lib/net/websocket_session.h"
#include "net_unit.h"
#include "unit.h"

#include <errno.h>
#include <pthread.h>

/* ---- a cc_server echoing what it gets ---- */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct cc_websocket *server_ws;
static int server_closes;
static uint16_t server_close_code;

static void echo(void *arg, const void *data, size_t len, bool text)
{
	pthread_mutex_lock(&lock);
	struct cc_websocket *ws = server_ws;
	pthread_mutex_unlock(&lock);
	if (ws)
		text ? cc_websocket_send_text(ws, data, len) : cc_websocket_send(ws, data, len);
}

static void closed(void *arg, uint16_t code)
{
	pthread_mutex_lock(&lock);
	server_closes++;
	server_close_code = code;
	pthread_mutex_unlock(&lock);
}

static void upgrade_with(const struct cc_http_request *req, struct cc_http_response *resp, const char *const *protocols)
{
	struct cc_websocket_config cfg = { .subprotocols = protocols,
					   .max_message = 2u << 20,
					   .max_pending = 4u << 20,
					   .on_message = echo,
					   .on_close = closed };
	struct cc_websocket *ws = cc_http_response_upgrade_websocket(req, resp, &cfg);
	pthread_mutex_lock(&lock);
	server_ws = ws;
	pthread_mutex_unlock(&lock);
}

static void upgrade_v4(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	static const char *const v4[] = { "v4.channel.k8s.io", NULL };
	upgrade_with(req, resp, v4);
}

static void upgrade_both(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	static const char *const both[] = { "v5.channel.k8s.io", "v4.channel.k8s.io", NULL };
	upgrade_with(req, resp, both);
}

static void hello(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	cc_buf_append_str(&resp->body, "hello");
}

static const struct cc_http_route routes[] = {
	{ .path = "/v4", .handler = upgrade_v4 },
	{ .path = "/ws", .handler = upgrade_both },
	{ .path = "/hello", .handler = hello },
};

static void reset(void)
{
	pthread_mutex_lock(&lock);
	server_ws = NULL;
	server_closes = 0;
	server_close_code = 0;
	pthread_mutex_unlock(&lock);
}

static void server_close(uint16_t code, const char *reason)
{
	pthread_mutex_lock(&lock);
	struct cc_websocket *ws = server_ws;
	server_ws = NULL;
	pthread_mutex_unlock(&lock);
	if (ws)
		cc_websocket_close(ws, code, reason);
}

static bool wait_closes(int want)
{
	for (int i = 0; i < 500; i++) {
		pthread_mutex_lock(&lock);
		int n = server_closes;
		pthread_mutex_unlock(&lock);
		if (n >= want)
			return true;
		usleep(10000);
	}
	return false;
}

static struct cc_server *start(const struct cc_server_config *extra)
{
	struct cc_server_config cfg = extra ? *extra : (struct cc_server_config){ 0 };
	if (!cfg.listen)
		cfg.listen = "127.0.0.1:0";
	cfg.routes = routes;
	cfg.route_count = CC_ARRAY_SIZE(routes);
	struct cc_server *srv;
	struct cc_error err = { 0 };
	if (cc_server_start(&cfg, &srv, &err) < 0)
		fail_msg("start: %s", err.message);
	return srv;
}

static const char *const offered[] = { "v5.channel.k8s.io", "v4.channel.k8s.io", NULL };

/* The next message, waiting up to 5 s. */
static enum cc_ws_event next(struct cc_ws_client *c, const uint8_t **data, size_t *len)
{
	enum cc_ws_event ev;
	for (int i = 0; i < 50; i++)
		if ((ev = cc_ws_client_read(c, 100, data, len)) != CC_WS_NEED_MORE)
			return ev;
	return CC_WS_NEED_MORE;
}

static void roundtrip(struct cc_ws_client *c, const void *data, size_t len)
{
	struct cc_error err = { 0 };
	uint8_t channel = 1;
	assert_int_equal(cc_ws_client_send(c, CC_WS_OP_BINARY, &channel, 1, data, len, &err), 0);
	const uint8_t *got;
	size_t got_len;
	assert_int_equal(next(c, &got, &got_len), CC_WS_MESSAGE);
	assert_int_equal(got_len, len + 1);
	assert_int_equal(got[0], 1);
	assert_memory_equal(got + 1, data, len);
}

static void test_echo_and_close(void **state)
{
	reset();
	struct cc_server *srv = start(NULL);
	struct cc_ws_client_config cfg = { .host = "127.0.0.1",
					   .port = (unsigned short)cc_server_port(srv),
					   .target = "/v4?command=x",
					   .subprotocols = offered };
	struct cc_ws_client *c;
	struct cc_error err = { 0 };
	assert_int_equal(cc_ws_client_connect(&cfg, &c, NULL, &err), 0);
	/* The server speaks v4 only: the client's second choice. */
	assert_string_equal(cc_ws_client_protocol(c), "v4.channel.k8s.io");
	roundtrip(c, "hello", 5);
	/* Larger than what one read, one TLS record or one socket buffer holds. */
	size_t big = 1500 * 1000;
	char *data = cc_xmalloc(big);
	for (size_t i = 0; i < big; i++)
		data[i] = (char)(i * 7);
	roundtrip(c, data, big);
	free(data);
	assert_int_equal(cc_ws_client_send(c, CC_WS_OP_TEXT, NULL, 0, "text", 4, &err), 0);
	const uint8_t *got;
	size_t len;
	assert_int_equal(next(c, &got, &len), CC_WS_MESSAGE);
	assert_true(cc_ws_client_text(c));
	/* The client closes: the server sees 1000. */
	assert_int_equal(cc_ws_client_close(c, CC_WS_CLOSE_NORMAL, "done"), 0);
	assert_true(wait_closes(1));
	assert_int_equal(server_close_code, 1000);
	assert_true(cc_ws_client_send(c, CC_WS_OP_BINARY, NULL, 0, "x", 1, &err) == -EPIPE);
	server_close(1000, NULL);
	cc_ws_client_free(c);

	/* The server closes: the client reads CLOSED with its code and reason, and answers. */
	reset();
	cfg.target = "/ws";
	assert_int_equal(cc_ws_client_connect(&cfg, &c, NULL, &err), 0);
	assert_string_equal(cc_ws_client_protocol(c), "v5.channel.k8s.io");
	roundtrip(c, "x", 1);
	server_close(4000, "the command ended");
	assert_int_equal(next(c, &got, &len), CC_WS_CLOSED);
	assert_int_equal(cc_ws_client_close_code(c), 4000);
	assert_string_equal(cc_ws_client_close_reason(c), "the command ended");
	assert_true(wait_closes(1));
	assert_int_equal(server_close_code, 4000); /* the client's answer, echoing the code */
	/* Closed stays closed. */
	assert_int_equal(cc_ws_client_read(c, 0, &got, &len), CC_WS_CLOSED);
	cc_ws_client_free(c);
	cc_server_stop(srv);
}

static void test_refusals(void **state)
{
	reset();
	struct cc_server *srv = start(NULL);
	struct cc_ws_client_config cfg = { .host = "127.0.0.1",
					   .port = (unsigned short)cc_server_port(srv),
					   .target = "/hello",
					   .subprotocols = offered };
	struct cc_ws_client *c = NULL;
	struct cc_ws_refusal refusal;
	struct cc_error err = { 0 };
	/* A route that does not upgrade: its answer comes back as it is. */
	assert_int_equal(cc_ws_client_connect(&cfg, &c, &refusal, &err), -EPROTO);
	assert_int_equal(refusal.status, 200);
	assert_string_equal(refusal.body.data, "hello");
	assert_non_null(strstr(cc_error_message(&err), "refused the WebSocket (HTTP 200)"));
	cc_ws_refusal_clear(&refusal);
	/* No subprotocol the server speaks: its 400 and why. */
	static const char *const foo[] = { "foo.example", NULL };
	cfg.target = "/ws";
	cfg.subprotocols = foo;
	assert_int_equal(cc_ws_client_connect(&cfg, &c, &refusal, &err), -EPROTO);
	assert_int_equal(refusal.status, 400);
	assert_non_null(strstr(refusal.body.data, "v5.channel.k8s.io"));
	cc_ws_refusal_clear(&refusal);
	/* Nobody there. */
	cfg.port = 1;
	assert_true(cc_ws_client_connect(&cfg, &c, &refusal, &err) < 0);
	assert_int_equal(refusal.status, 0);
	assert_non_null(strstr(cc_error_message(&err), "connect to 127.0.0.1:1"));
	cc_server_stop(srv);
}

/* ---- mutual TLS and unix sockets ---- */

static char *pki;
static char ca_crt[256], server_crt[256], server_key[256], client_crt[256], client_key[256], other_ca[256];

static void issue(const struct cc_cert_request *req, X509 *ca, EVP_PKEY *ca_key, const char *crt, const char *key,
		  X509 **ret, EVP_PKEY **ret_key)
{
	struct cc_error err = { 0 };
	X509 *cert;
	EVP_PKEY *k;
	assert_int_equal(cc_x509_issue(req, ca, ca_key, &cert, &k, &err), 0);
	assert_int_equal(cc_x509_write_cert(crt, cert, &err), 0);
	if (key)
		assert_int_equal(cc_x509_write_key(key, k, &err), 0);
	if (ret) {
		*ret = cert;
		*ret_key = k;
	} else {
		X509_free(cert);
		EVP_PKEY_free(k);
	}
}

static int setup_pki(void **state)
{
	pki = unit_tmpdir();
	snprintf(ca_crt, sizeof(ca_crt), "%s/ca.crt", pki);
	snprintf(server_crt, sizeof(server_crt), "%s/server.crt", pki);
	snprintf(server_key, sizeof(server_key), "%s/server.key", pki);
	snprintf(client_crt, sizeof(client_crt), "%s/client.crt", pki);
	snprintf(client_key, sizeof(client_key), "%s/client.key", pki);
	snprintf(other_ca, sizeof(other_ca), "%s/other.crt", pki);
	X509 *ca;
	EVP_PKEY *ca_key;
	issue(&(struct cc_cert_request){ .usage = CC_CERT_CA, .common_name = "unit CA", .days = 1 }, NULL, NULL, ca_crt,
	      NULL, &ca, &ca_key);
	issue(&(struct cc_cert_request){ .usage = CC_CERT_SERVER,
					 .common_name = "server",
					 .subject_alt_names = "IP:127.0.0.1,DNS:localhost",
					 .days = 1 },
	      ca, ca_key, server_crt, server_key, NULL, NULL);
	issue(&(struct cc_cert_request){ .usage = CC_CERT_CLIENT, .common_name = "admin", .days = 1 }, ca, ca_key,
	      client_crt, client_key, NULL, NULL);
	issue(&(struct cc_cert_request){ .usage = CC_CERT_CA, .common_name = "another CA", .days = 1 }, NULL, NULL,
	      other_ca, NULL, NULL, NULL);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return 0;
}

static int teardown_pki(void **state)
{
	unit_rmdir(pki);
	return 0;
}

static void test_mutual_tls(void **state)
{
	reset();
	struct cc_server_config scfg = {
		.tls_cert = server_crt, .tls_key = server_key, .client_ca = ca_crt, .require_client_cert = true
	};
	struct cc_server *srv = start(&scfg);
	struct cc_ws_client_config cfg = { .host = "127.0.0.1",
					   .port = (unsigned short)cc_server_port(srv),
					   .tls = true,
					   .ca_file = ca_crt,
					   .cert_file = client_crt,
					   .key_file = client_key,
					   .target = "/ws",
					   .subprotocols = offered };
	struct cc_ws_client *c;
	struct cc_error err = { 0 };
	assert_int_equal(cc_ws_client_connect(&cfg, &c, NULL, &err), 0);
	roundtrip(c, "over TLS", 8);
	char *data = cc_xcalloc(1, 300000);
	roundtrip(c, data, 300000);
	free(data);
	cc_ws_client_close(c, CC_WS_CLOSE_NORMAL, NULL);
	server_close(1000, NULL);
	cc_ws_client_free(c);
	/* By name as well as by address. */
	cfg.host = "localhost";
	assert_int_equal(cc_ws_client_connect(&cfg, &c, NULL, &err), 0);
	server_close(1000, NULL);
	cc_ws_client_free(c);
	/* A server the CA did not sign is refused, and says why. */
	cfg.host = "127.0.0.1";
	cfg.ca_file = other_ca;
	assert_int_equal(cc_ws_client_connect(&cfg, &c, NULL, &err), -EPROTO);
	assert_non_null(strstr(cc_error_message(&err), "the server's certificate"));
	/* Without a client certificate the server does not let us in. */
	cfg.ca_file = ca_crt;
	cfg.cert_file = cfg.key_file = NULL;
	assert_true(cc_ws_client_connect(&cfg, &c, NULL, &err) < 0);
	cc_server_stop(srv);
}

static void test_unix_socket(void **state)
{
	reset();
	char *dir = unit_tmpdir();
	char path[128];
	snprintf(path, sizeof(path), "%.100s/api.sock", dir);
	struct cc_server_config scfg = { .listen = path };
	struct cc_server *srv = start(&scfg);
	struct cc_ws_client_config cfg = { .unix_socket = path, .target = "/ws", .subprotocols = offered };
	struct cc_ws_client *c;
	struct cc_error err = { 0 };
	assert_int_equal(cc_ws_client_connect(&cfg, &c, NULL, &err), 0);
	roundtrip(c, "unix", 4);
	cc_ws_client_close(c, CC_WS_CLOSE_NORMAL, NULL);
	server_close(1000, NULL);
	cc_ws_client_free(c);
	cc_server_stop(srv);
	unit_rmdir(dir);
}

/* ---- a raw server that breaks the rules ---- */

enum scenario {
	WRONG_ACCEPT,
	WRONG_PROTOCOL,
	MASKED_FRAME,
	DROPPED,
	PING_AND_MASKS,
};

struct raw {
	int listen_fd;
	enum scenario scenario;
	/* What it saw of the client's frames (PING_AND_MASKS). */
	uint8_t masks[3][4];
	bool masked[3];
	uint8_t opcodes[3];
	char payloads[3][32];
};

static size_t read_some(int fd, struct cc_buf *in)
{
	char buf[4096];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	if (n > 0)
		cc_buf_append(in, buf, (size_t)n);
	return n > 0 ? (size_t)n : 0;
}

/* One client frame from in (small ones only), unmasked into payload. */
static bool client_frame(int fd, struct cc_buf *in, struct raw *r, int i)
{
	while (in->len < 6 || in->len < 6 + (size_t)(in->data[1] & 0x7f))
		if (!read_some(fd, in))
			return false;
	const uint8_t *p = (const uint8_t *)in->data;
	size_t len = p[1] & 0x7f;
	r->opcodes[i] = p[0] & 0x0f;
	r->masked[i] = p[1] & 0x80;
	memcpy(r->masks[i], p + 2, 4);
	for (size_t k = 0; k < len && k < 31; k++)
		r->payloads[i][k] = (char)(p[6 + k] ^ p[2 + (k & 3)]);
	cc_buf_consume(in, 6 + len);
	return true;
}

static void *raw_main(void *arg)
{
	struct raw *r = arg;
	int fd = accept(r->listen_fd, NULL, NULL);
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct cc_buf in = CC_BUF_INIT;
	char *end;
	while (!(end = in.data ? strstr(in.data, "\r\n\r\n") : NULL))
		if (!read_some(fd, &in))
			goto out;
	const char *key = strstr(in.data, "Sec-WebSocket-Key: ");
	char key_text[32] = "", accept_text[CC_WS_ACCEPT_LEN + 1];
	if (key)
		sscanf(key + 19, "%31[^\r]", key_text);
	cc_buf_consume(&in, (size_t)(end - in.data) + 4);
	assert_int_equal(cc_ws_accept_key(key_text, accept_text), 0);
	if (r->scenario == WRONG_ACCEPT)
		accept_text[0] = accept_text[0] == 'A' ? 'B' : 'A';
	char response[512];
	int n = snprintf(response, sizeof(response),
			 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			 "Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: %s\r\n\r\n",
			 accept_text, r->scenario == WRONG_PROTOCOL ? "v3.channel.k8s.io" : "v5.channel.k8s.io");
	send(fd, response, (size_t)n, MSG_NOSIGNAL);
	if (r->scenario == MASKED_FRAME) {
		static const uint8_t mask[4] = { 9, 9, 9, 9 };
		struct cc_buf frame = CC_BUF_INIT;
		cc_ws_frame_append(&frame, CC_WS_OP_BINARY, true, "\x01hi", 3, mask);
		send(fd, frame.data, frame.len, MSG_NOSIGNAL);
		cc_buf_free(&frame);
		client_frame(fd, &in, r, 0); /* the client's close */
	} else if (r->scenario == PING_AND_MASKS) {
		/* Data frames right behind the 101 arrive with it. */
		struct cc_buf frame = CC_BUF_INIT;
		cc_ws_frame_append(&frame, CC_WS_OP_PING, true, "are you there", 13, NULL);
		cc_ws_frame_append(&frame, CC_WS_OP_BINARY, true, "\x01out", 4, NULL);
		send(fd, frame.data, frame.len, MSG_NOSIGNAL);
		cc_buf_free(&frame);
		for (int i = 0; i < 3; i++)
			client_frame(fd, &in, r, i);
	}
out:
	cc_buf_free(&in);
	close(fd);
	return NULL;
}

static int run_raw(struct raw *r, struct cc_ws_client **ret, struct cc_error *err, pthread_t *thread)
{
	r->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(bind(r->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(r->listen_fd, 1), 0);
	socklen_t len = sizeof(sa);
	getsockname(r->listen_fd, (struct sockaddr *)&sa, &len);
	pthread_create(thread, NULL, raw_main, r);
	struct cc_ws_client_config cfg = { .host = "127.0.0.1",
					   .port = ntohs(sa.sin_port),
					   .target = "/",
					   .subprotocols = offered,
					   .timeout_ms = 5000 };
	return cc_ws_client_connect(&cfg, ret, NULL, err);
}

static void finish_raw(struct raw *r, pthread_t thread)
{
	pthread_join(thread, NULL);
	close(r->listen_fd);
}

static void test_rule_breakers(void **state)
{
	struct cc_ws_client *c = NULL;
	struct cc_error err = { 0 };
	pthread_t t;
	struct raw r = { .scenario = WRONG_ACCEPT };
	assert_int_equal(run_raw(&r, &c, &err, &t), -EPROTO);
	assert_non_null(strstr(cc_error_message(&err), "Sec-WebSocket-Accept"));
	finish_raw(&r, t);

	r = (struct raw){ .scenario = WRONG_PROTOCOL };
	assert_int_equal(run_raw(&r, &c, &err, &t), -EPROTO);
	assert_non_null(strstr(cc_error_message(&err), "`v3.channel.k8s.io`, which was not offered"));
	finish_raw(&r, t);

	/* §5.1: a masked frame from the server is a protocol error; the client closes with 1002. */
	r = (struct raw){ .scenario = MASKED_FRAME };
	assert_int_equal(run_raw(&r, &c, &err, &t), 0);
	const uint8_t *data;
	size_t len;
	assert_int_equal(next(c, &data, &len), CC_WS_ERROR);
	assert_int_equal(cc_ws_client_close_code(c), 1002);
	finish_raw(&r, t);
	assert_int_equal(r.opcodes[0], CC_WS_OP_CLOSE);
	assert_int_equal((uint8_t)r.payloads[0][0] << 8 | (uint8_t)r.payloads[0][1], 1002);
	cc_ws_client_free(c);

	/* The connection lost without a close frame: 1006. */
	r = (struct raw){ .scenario = DROPPED };
	assert_int_equal(run_raw(&r, &c, &err, &t), 0);
	finish_raw(&r, t);
	assert_int_equal(next(c, &data, &len), CC_WS_ERROR);
	assert_int_equal(cc_ws_client_close_code(c), 1006);
	assert_non_null(strstr(cc_ws_client_close_reason(c), "without a close frame"));
	cc_ws_client_free(c);

	/* A ping is answered with its payload; frames sent just behind the 101 are not lost; every
	 * client frame is masked, each with a key of its own. */
	r = (struct raw){ .scenario = PING_AND_MASKS };
	assert_int_equal(run_raw(&r, &c, &err, &t), 0);
	assert_int_equal(next(c, &data, &len), CC_WS_MESSAGE);
	assert_int_equal(len, 4);
	assert_memory_equal(data, "\x01out", 4);
	assert_int_equal(cc_ws_client_send(c, CC_WS_OP_BINARY, NULL, 0, "\x00in", 3, &err), 0);
	assert_int_equal(cc_ws_client_send(c, CC_WS_OP_BINARY, NULL, 0, "\xff\x00", 2, &err), 0);
	finish_raw(&r, t);
	assert_int_equal(r.opcodes[0], CC_WS_OP_PONG);
	assert_string_equal(r.payloads[0], "are you there");
	assert_memory_equal(r.payloads[1], "\x00in", 3);
	for (int i = 0; i < 3; i++)
		assert_true(r.masked[i]);
	assert_true(memcmp(r.masks[0], r.masks[1], 4) != 0 || memcmp(r.masks[1], r.masks[2], 4) != 0);
	cc_ws_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_and_close), cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_mutual_tls),     cmocka_unit_test(test_unix_socket),
		cmocka_unit_test(test_rule_breakers),
	};
	return cmocka_run_group_tests(tests, setup_pki, teardown_pki);
}
