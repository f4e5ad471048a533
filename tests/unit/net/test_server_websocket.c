/* WebSocket sessions on cc_server end to end (server_websocket.c, websocket_session.c), driven by a
 * raw client written here: the opening handshake and its refusals, echo through on_message and
 * cc_websocket_send, fragments, ping, the close handshakes both ways, violations (1002, 1009),
 * back-pressure and pausing, the HTTP idle timeout not applying, the server stopping (1001), TLS
 * with kubectl's ALPN offer, and unix sockets. */
#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/x509.h"
#include "lib/net/http.h"
#include "lib/net/server.h"
#include "lib/net/websocket.h"
#include "lib/net/websocket_session.h"
#include "net_unit.h"
#include "unit.h"

#include <errno.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/un.h>
#include <time.h>

/* ---- the server side: one route that upgrades, with what it saw recorded here ---- */

struct seen {
	pthread_mutex_t lock;
	struct cc_websocket *ws;
	bool writer_closed;
	bool echo;
	size_t max_pending;
	struct cc_buf messages; /* "[payload]" per message, "T" before text ones */
	int message_count;
	int closes;
	uint16_t close_code;
	int drains;
};

static struct seen seen = { .lock = PTHREAD_MUTEX_INITIALIZER };
static const char *const protocols[] = { "v5.channel.k8s.io", "v4.channel.k8s.io", NULL };

static void on_message(void *arg, const void *data, size_t len, bool text)
{
	struct seen *s = arg;
	pthread_mutex_lock(&s->lock);
	cc_buf_appendf(&s->messages, "%s[%.*s]", text ? "T" : "", (int)len, (const char *)data);
	s->message_count++;
	struct cc_websocket *ws = s->echo && !s->writer_closed ? s->ws : NULL;
	pthread_mutex_unlock(&s->lock);
	if (ws) /* from the loop thread: sends are allowed anywhere */
		text ? cc_websocket_send_text(ws, data, len) : cc_websocket_send(ws, data, len);
}

static void on_close(void *arg, uint16_t code)
{
	struct seen *s = arg;
	pthread_mutex_lock(&s->lock);
	s->closes++;
	s->close_code = code;
	pthread_mutex_unlock(&s->lock);
}

static void on_drain(void *arg)
{
	struct seen *s = arg;
	pthread_mutex_lock(&s->lock);
	s->drains++;
	pthread_mutex_unlock(&s->lock);
}

static void upgrade(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	struct cc_websocket_config cfg = {
		.subprotocols = protocols,
		.max_message = 1000,
		.max_pending = seen.max_pending,
		.on_message = on_message,
		.on_drain = on_drain,
		.on_close = on_close,
		.arg = &seen,
	};
	struct cc_websocket *ws = cc_http_response_upgrade_websocket(req, resp, &cfg);
	if (ws) {
		pthread_mutex_lock(&seen.lock);
		seen.ws = ws;
		pthread_mutex_unlock(&seen.lock);
	}
}

static void hello(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	cc_buf_append_str(&resp->body, "hello");
}

static const struct cc_http_route routes[] = {
	{ .path = "/ws", .handler = upgrade },
	{ .path = "/hello", .handler = hello },
};

static void reset_seen(bool echo, size_t max_pending)
{
	pthread_mutex_lock(&seen.lock);
	cc_buf_free(&seen.messages);
	seen.ws = NULL;
	seen.writer_closed = false;
	seen.echo = echo;
	seen.max_pending = max_pending;
	seen.message_count = seen.closes = seen.drains = 0;
	seen.close_code = 0;
	pthread_mutex_unlock(&seen.lock);
}

/* The writer's reference is closed exactly once, whatever happened. */
static void writer_close(uint16_t code, const char *reason)
{
	pthread_mutex_lock(&seen.lock);
	struct cc_websocket *ws = seen.writer_closed ? NULL : seen.ws;
	seen.writer_closed = true;
	pthread_mutex_unlock(&seen.lock);
	if (ws)
		cc_websocket_close(ws, code, reason);
}

static struct cc_server *start_server(const struct cc_server_config *extra)
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

static bool wait_for(int *counter, int want)
{
	for (int i = 0; i < 500; i++) {
		pthread_mutex_lock(&seen.lock);
		int v = *counter;
		pthread_mutex_unlock(&seen.lock);
		if (v >= want)
			return true;
		usleep(10000);
	}
	return false;
}

/* ---- the client side ---- */

struct client {
	int fd;
	SSL *ssl;
	SSL_CTX *ctx;
	struct cc_buf in; /* read but not yet used */
};

static void set_timeout(int fd)
{
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static void client_plain(struct client *c, int port)
{
	*c = (struct client){ .fd = connect_tcp(port) };
	set_timeout(c->fd);
}

static void client_write(struct client *c, const void *data, size_t len)
{
	if (c->ssl)
		assert_int_equal(SSL_write(c->ssl, data, (int)len), (int)len);
	else
		assert_int_equal(send(c->fd, data, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* More bytes into c->in; false at the end of the stream or after 5 s. */
static bool client_fill(struct client *c)
{
	char buf[16384];
	ssize_t n = c->ssl ? SSL_read(c->ssl, buf, sizeof(buf)) : recv(c->fd, buf, sizeof(buf), 0);
	if (n <= 0)
		return false;
	cc_buf_append(&c->in, buf, (size_t)n);
	return true;
}

static void client_free(struct client *c)
{
	if (c->ssl) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	cc_buf_free(&c->in);
	c->fd = -1;
}

/* Sends an opening handshake (extra: more header lines) and reads the response head into *head;
 * returns the status code. */
static int handshake(struct client *c, const char *method, const char *extra, struct cc_buf *head)
{
	char req[1024];
	snprintf(req, sizeof(req), "%s /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s\r\n", method,
		 extra && strstr(extra, "Upgrade:") ? "" : "Upgrade: websocket\r\nConnection: Upgrade\r\n",
		 extra ? extra : "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n");
	client_write(c, req, strlen(req));
	char *end;
	while (!(end = c->in.data ? strstr(c->in.data, "\r\n\r\n") : NULL))
		if (!client_fill(c))
			fail_msg("no response head: %s", c->in.data ? c->in.data : "(nothing)");
	size_t head_len = (size_t)(end - c->in.data) + 4;
	cc_buf_append(head, c->in.data, head_len);
	cc_buf_consume(&c->in, head_len);
	int status = 0;
	sscanf(head->data, "HTTP/1.1 %d", &status);
	return status;
}

static const char *good_key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

static void open_session(struct client *c, const char *protocol_header, const char *want_protocol)
{
	char extra[512];
	snprintf(extra, sizeof(extra), "%s%s", good_key, protocol_header ? protocol_header : "");
	struct cc_buf head = CC_BUF_INIT;
	int status = handshake(c, "GET", extra, &head);
	if (status != 101)
		fail_msg("handshake: %s%s", head.data, c->in.data ? c->in.data : "");
	assert_non_null(strstr(head.data, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
	assert_non_null(strstr(head.data, "Upgrade: websocket\r\n"));
	if (want_protocol) {
		char line[128];
		snprintf(line, sizeof(line), "Sec-WebSocket-Protocol: %s\r\n", want_protocol);
		assert_non_null(strstr(head.data, line));
	}
	cc_buf_free(&head);
}

static void send_frame(struct client *c, enum cc_ws_opcode op, bool fin, const void *payload, size_t len, bool masked)
{
	static const uint8_t mask[4] = { 1, 2, 3, 4 };
	struct cc_buf out = CC_BUF_INIT;
	assert_int_equal(cc_ws_frame_append(&out, op, fin, payload, len, masked ? mask : NULL), 0);
	client_write(c, out.data, out.len);
	cc_buf_free(&out);
}

/* Reads one frame from the server (never masked); false at the end of the stream. */
static bool read_frame(struct client *c, uint8_t *ret_op, struct cc_buf *payload)
{
	cc_buf_reset(payload);
	for (;;) {
		const uint8_t *p = (const uint8_t *)c->in.data;
		if (c->in.len >= 2) {
			assert_false(p[1] & 0x80); /* §5.1: a server never masks */
			uint64_t len = p[1] & 0x7f;
			size_t at = 2;
			if (len == 126 && c->in.len >= 4)
				len = (uint64_t)p[2] << 8 | p[3], at = 4;
			else if (len == 127 && c->in.len >= 10) {
				len = 0;
				for (int i = 0; i < 8; i++)
					len = len << 8 | p[2 + i];
				at = 10;
			} else if (len >= 126)
				at = SIZE_MAX;
			if (at != SIZE_MAX && c->in.len >= at + len) {
				*ret_op = p[0] & 0x0f;
				cc_buf_append(payload, p + at, (size_t)len);
				cc_buf_consume(&c->in, at + (size_t)len);
				return true;
			}
		}
		if (!client_fill(c))
			return false;
	}
}

static uint16_t close_code_of(const struct cc_buf *payload)
{
	assert_true(payload->len >= 2);
	return (uint16_t)((uint8_t)payload->data[0] << 8 | (uint8_t)payload->data[1]);
}

static bool at_eof(struct client *c)
{
	uint8_t op;
	struct cc_buf p = CC_BUF_INIT;
	bool more = read_frame(c, &op, &p);
	cc_buf_free(&p);
	return !more;
}

/* ---- tests ---- */

static void expect_refusal(int port, const char *method, const char *extra, int want_status, const char *want_text)
{
	struct client c;
	client_plain(&c, port);
	struct cc_buf head = CC_BUF_INIT;
	assert_int_equal(handshake(&c, method, extra, &head), want_status);
	while (client_fill(&c))
		; /* the body, then the server closes (an upgrade request does not keep the connection) */
	cc_buf_append(&head, c.in.data ? c.in.data : "", c.in.len);
	if (!strstr(head.data, want_text))
		fail_msg("want `%s` in:\n%s", want_text, head.data);
	cc_buf_free(&head);
	client_free(&c);
}

static void test_handshake_refusals(void **state)
{
	reset_seen(false, 0);
	struct cc_server *srv = start_server(NULL);
	int port = cc_server_port(srv);
	expect_refusal(port, "GET", "Sec-WebSocket-Version: 13\r\n", 400, "Sec-WebSocket-Key");
	expect_refusal(port, "GET", "Sec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n", 400,
		       "base64 of 16 bytes");
	expect_refusal(port, "GET", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n", 426,
		       "Sec-WebSocket-Version: 13\r\n");
	expect_refusal(port, "POST", NULL, 400, "is a GET request, not POST");
	expect_refusal(port, "GET", "Upgrade: websocket\r\nConnection: keep-alive\r\n", 400,
		       "Connection header must include upgrade");
	expect_refusal(port, "GET", "Upgrade: SPDY/3.1\r\nConnection: Upgrade\r\n", 400,
		       "Upgrade header must name websocket");
	expect_refusal(port, "GET",
		       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: "
		       "https://evil.example\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n",
		       403, "cross-origin WebSocket refused");
	expect_refusal(port, "GET",
		       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
		       "Sec-WebSocket-Protocol: channel.k8s.io, base64.channel.k8s.io\r\n",
		       400, "this endpoint speaks v5.channel.k8s.io, v4.channel.k8s.io");
	expect_refusal(port, "GET", good_key, 400, "no WebSocket subprotocol offered");
	pthread_mutex_lock(&seen.lock);
	assert_null(seen.ws);
	pthread_mutex_unlock(&seen.lock);
	/* HTTP/2 requests are refused by the check itself (RFC 8441 is not served). */
	struct cc_http_request h2 = { .method = "GET", .version = 20 };
	struct cc_websocket_config cfg = { .subprotocols = protocols };
	struct cc_error err = { 0 };
	assert_int_equal(cc_websocket_check_handshake(&h2, &cfg, &err), 400);
	assert_non_null(strstr(err.message, "RFC 8441"));
	cc_server_stop(srv);
}

static void test_echo_fragments_ping(void **state)
{
	reset_seen(true, 0);
	struct cc_server *srv = start_server(NULL);
	struct client c;
	client_plain(&c, cc_server_port(srv));
	/* The client's order wins: v4 is offered first. A same-origin Origin is fine. */
	open_session(&c,
		     "Origin: http://127.0.0.1\r\nSec-WebSocket-Protocol: x.example, v4.channel.k8s.io\r\n"
		     "Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n",
		     "v4.channel.k8s.io");
	pthread_mutex_lock(&seen.lock);
	assert_string_equal(cc_websocket_subprotocol(seen.ws), "v4.channel.k8s.io");
	pthread_mutex_unlock(&seen.lock);
	uint8_t op;
	struct cc_buf p = CC_BUF_INIT;
	send_frame(&c, CC_WS_OP_BINARY, true, "\x01hello", 6, true);
	assert_true(read_frame(&c, &op, &p));
	assert_int_equal(op, CC_WS_OP_BINARY);
	assert_int_equal(p.len, 6);
	assert_memory_equal(p.data, "\x01hello", 6);
	/* A fragmented text message with a ping between its fragments: the pong comes first. */
	send_frame(&c, CC_WS_OP_TEXT, false, "frag", 4, true);
	send_frame(&c, CC_WS_OP_PING, true, "beat", 4, true);
	send_frame(&c, CC_WS_OP_CONTINUATION, true, "ments", 5, true);
	assert_true(read_frame(&c, &op, &p));
	assert_int_equal(op, CC_WS_OP_PONG);
	assert_string_equal(p.data, "beat");
	assert_true(read_frame(&c, &op, &p));
	assert_int_equal(op, CC_WS_OP_TEXT);
	assert_string_equal(p.data, "fragments");
	/* A message of 65,536 bytes needs the 64-bit length; over max_message (1000) it is refused,
	 * so send 999 and check the 16-bit length path instead. */
	char big[999];
	memset(big, 'b', sizeof(big));
	send_frame(&c, CC_WS_OP_BINARY, true, big, sizeof(big), true);
	assert_true(read_frame(&c, &op, &p));
	assert_int_equal(p.len, sizeof(big));
	pthread_mutex_lock(&seen.lock);
	assert_int_equal(seen.message_count, 3);
	assert_int_equal(seen.closes, 0);
	pthread_mutex_unlock(&seen.lock);
	/* The client closes: the server answers with the same code and closes TCP. */
	struct cc_buf close = CC_BUF_INIT;
	cc_ws_close_payload(&close, 4001, "bye");
	send_frame(&c, CC_WS_OP_CLOSE, true, close.data, close.len, true);
	assert_true(read_frame(&c, &op, &p));
	assert_int_equal(op, CC_WS_OP_CLOSE);
	assert_int_equal(close_code_of(&p), 4001);
	assert_true(at_eof(&c));
	assert_true(wait_for(&seen.closes, 1));
	pthread_mutex_lock(&seen.lock);
	assert_int_equal(seen.close_code, 4001);
	struct cc_websocket *ws = seen.ws;
	pthread_mutex_unlock(&seen.lock);
	assert_true(cc_websocket_closed(ws));
	assert_int_equal(cc_websocket_send(ws, "x", 1), -EPIPE);
	writer_close(1000, NULL);
	usleep(50000);
	pthread_mutex_lock(&seen.lock);
	assert_int_equal(seen.closes, 1); /* exactly once */
	pthread_mutex_unlock(&seen.lock);
	cc_buf_free(&close);
	cc_buf_free(&p);
	client_free(&c);
	cc_server_stop(srv);
}

static void check_violation(int port, const void *frame, size_t len, uint16_t want)
{
	reset_seen(false, 0);
	struct client c;
	client_plain(&c, port);
	open_session(&c, "Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n", "v5.channel.k8s.io");
	client_write(&c, frame, len);
	uint8_t op;
	struct cc_buf p = CC_BUF_INIT;
	assert_true(read_frame(&c, &op, &p));
	assert_int_equal(op, CC_WS_OP_CLOSE);
	assert_int_equal(close_code_of(&p), want);
	assert_true(at_eof(&c));
	assert_true(wait_for(&seen.closes, 1));
	pthread_mutex_lock(&seen.lock);
	assert_int_equal(seen.close_code, want);
	assert_int_equal(seen.message_count, 0);
	pthread_mutex_unlock(&seen.lock);
	writer_close(1000, NULL);
	cc_buf_free(&p);
	client_free(&c);
}

static void test_violations(void **state)
{
	struct cc_server *srv = start_server(NULL);
	int port = cc_server_port(srv);
	/* An unmasked client frame (§5.1). */
	struct cc_buf f = CC_BUF_INIT;
	cc_ws_frame_append(&f, CC_WS_OP_BINARY, true, "\x00hi", 3, NULL);
	check_violation(port, f.data, f.len, CC_WS_CLOSE_PROTOCOL_ERROR);
	/* A message over max_message (1000), refused on its header: the payload is never sent. */
	uint8_t head[CC_WS_MAX_FRAME_HEADER];
	size_t n = cc_ws_frame_header(head, CC_WS_OP_BINARY, true, 1001, (const uint8_t *)"abcd");
	check_violation(port, head, n, CC_WS_CLOSE_TOO_BIG);
	cc_buf_free(&f);
	cc_server_stop(srv);
}

static void test_writer_closes(void **state)
{
	reset_seen(false, 0);
	struct cc_server *srv = start_server(NULL);
	struct client c;
	client_plain(&c, cc_server_port(srv));
	open_session(&c, "Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n", NULL);
	pthread_mutex_lock(&seen.lock);
	struct cc_websocket *ws = seen.ws;
	pthread_mutex_unlock(&seen.lock);
	assert_int_equal(cc_websocket_send(ws, "\x01out", 4), 0);
	writer_close(1000, "done");
	uint8_t op;
	struct cc_buf p = CC_BUF_INIT;
	assert_true(read_frame(&c, &op, &p));
	assert_int_equal(op, CC_WS_OP_BINARY);
	assert_true(read_frame(&c, &op, &p));
	assert_int_equal(op, CC_WS_OP_CLOSE);
	assert_int_equal(close_code_of(&p), 1000);
	assert_memory_equal(p.data + 2, "done", 4);
	/* Nothing is delivered once the writer closed; the client's answer ends the handshake. */
	send_frame(&c, CC_WS_OP_BINARY, true, "late", 4, true);
	send_frame(&c, CC_WS_OP_CLOSE, true, p.data, 2, true);
	assert_true(at_eof(&c));
	assert_true(wait_for(&seen.closes, 1));
	pthread_mutex_lock(&seen.lock);
	assert_int_equal(seen.close_code, 1000);
	assert_int_equal(seen.message_count, 0);
	pthread_mutex_unlock(&seen.lock);
	cc_buf_free(&p);
	client_free(&c);
	cc_server_stop(srv);
}

static void test_quiet_session_outlives_idle_timeout(void **state)
{
	reset_seen(true, 0);
	struct cc_server_config cfg = { .idle_timeout_ms = 200, .unauthenticated_idle_timeout_ms = 200 };
	struct cc_server *srv = start_server(&cfg);
	struct client c, idle;
	client_plain(&c, cc_server_port(srv));
	client_plain(&idle, cc_server_port(srv));
	client_write(&idle, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", 32);
	open_session(&c, "Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n", NULL);
	usleep(1200 * 1000);
	/* The idle HTTP/1.1 connection was closed; the quiet session still echoes. */
	while (client_fill(&idle))
		;
	assert_non_null(strstr(idle.in.data, "hello"));
	send_frame(&c, CC_WS_OP_BINARY, true, "still here", 10, true);
	uint8_t op;
	struct cc_buf p = CC_BUF_INIT;
	assert_true(read_frame(&c, &op, &p));
	assert_string_equal(p.data, "still here");
	/* The client vanishes without a close frame: on_close(1006), once. */
	client_free(&c);
	assert_true(wait_for(&seen.closes, 1));
	pthread_mutex_lock(&seen.lock);
	assert_int_equal(seen.close_code, CC_WS_CLOSE_ABNORMAL);
	pthread_mutex_unlock(&seen.lock);
	writer_close(1000, NULL);
	cc_buf_free(&p);
	client_free(&idle);
	cc_server_stop(srv);
}

static void test_server_stop(void **state)
{
	reset_seen(false, 0);
	struct cc_server *srv = start_server(NULL);
	struct client c;
	client_plain(&c, cc_server_port(srv));
	open_session(&c, "Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n", NULL);
	pthread_mutex_lock(&seen.lock);
	struct cc_websocket *ws = seen.ws;
	pthread_mutex_unlock(&seen.lock);
	assert_int_equal(cc_websocket_send(ws, "\x01queued", 7), 0);
	usleep(50000);
	cc_server_stop(srv);
	pthread_mutex_lock(&seen.lock);
	assert_int_equal(seen.closes, 1);
	assert_int_equal(seen.close_code, CC_WS_CLOSE_GOING_AWAY);
	pthread_mutex_unlock(&seen.lock);
	uint8_t op;
	struct cc_buf p = CC_BUF_INIT;
	assert_true(read_frame(&c, &op, &p));
	assert_int_equal(op, CC_WS_OP_BINARY);
	assert_true(read_frame(&c, &op, &p));
	assert_int_equal(op, CC_WS_OP_CLOSE);
	assert_int_equal(close_code_of(&p), CC_WS_CLOSE_GOING_AWAY);
	assert_true(at_eof(&c));
	/* The writer's handle outlives the server until it is closed. */
	assert_int_equal(cc_websocket_send(ws, "x", 1), -EPIPE);
	writer_close(1000, NULL);
	cc_buf_free(&p);
	client_free(&c);
}

static void test_backpressure_and_pause(void **state)
{
	reset_seen(false, 8192);
	struct cc_server *srv = start_server(NULL);
	struct client c = { .fd = socket(AF_INET, SOCK_STREAM, 0) };
	int small = 4096;
	setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)); /* before connect: a small window */
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)cc_server_port(srv)) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(connect(c.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	set_timeout(c.fd);
	open_session(&c, "Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n", NULL);
	pthread_mutex_lock(&seen.lock);
	struct cc_websocket *ws = seen.ws;
	pthread_mutex_unlock(&seen.lock);
	/* The client reads nothing: the socket, the connection's output and then the session's queue
	 * fill, and a send is refused without queueing. */
	char chunk[1024];
	memset(chunk, 'x', sizeof(chunk));
	size_t sent = 0;
	int r = 0;
	for (int i = 0; i < 100000 && r == 0; i++) {
		r = cc_websocket_send(ws, chunk, sizeof(chunk));
		if (r == 0)
			sent++;
		else if (r == -ENOBUFS && i < 10)
			r = 0, usleep(1000); /* the loop has not moved the first frames yet */
	}
	assert_int_equal(r, -ENOBUFS);
	/* Reading everything brings on_drain, and sending works again. */
	uint8_t op;
	struct cc_buf p = CC_BUF_INIT;
	for (size_t i = 0; i < sent; i++) {
		assert_true(read_frame(&c, &op, &p));
		assert_int_equal(p.len, sizeof(chunk));
	}
	assert_true(wait_for(&seen.drains, 1));
	assert_int_equal(cc_websocket_send(ws, "ok", 2), 0);
	assert_true(read_frame(&c, &op, &p));
	assert_string_equal(p.data, "ok");
	/* Paused, the session delivers nothing; resumed, everything in order. */
	cc_websocket_pause(ws, true);
	usleep(50000);
	send_frame(&c, CC_WS_OP_BINARY, true, "1", 1, true);
	send_frame(&c, CC_WS_OP_BINARY, true, "2", 1, true);
	send_frame(&c, CC_WS_OP_TEXT, true, "3", 1, true);
	usleep(200000);
	pthread_mutex_lock(&seen.lock);
	assert_int_equal(seen.message_count, 0);
	pthread_mutex_unlock(&seen.lock);
	cc_websocket_pause(ws, false);
	assert_true(wait_for(&seen.message_count, 3));
	pthread_mutex_lock(&seen.lock);
	assert_string_equal(seen.messages.data, "[1][2]T[3]");
	pthread_mutex_unlock(&seen.lock);
	writer_close(1000, NULL);
	cc_buf_free(&p);
	client_free(&c);
	cc_server_stop(srv);
}

/* More than the loop moves into a connection's output at once (256 KiB), queued in one go and then
 * nothing more: all of it arrives without a further send to wake the connection up. */
static void test_burst_without_a_next_send(void **state)
{
	reset_seen(false, 0);
	struct cc_server *srv = start_server(NULL);
	struct client c;
	client_plain(&c, cc_server_port(srv));
	open_session(&c, "Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n", NULL);
	pthread_mutex_lock(&seen.lock);
	struct cc_websocket *ws = seen.ws;
	pthread_mutex_unlock(&seen.lock);
	char chunk[1024];
	memset(chunk, 'y', sizeof(chunk));
	for (int i = 0; i < 900; i++)
		assert_int_equal(cc_websocket_send(ws, chunk, sizeof(chunk)), 0);
	uint8_t op;
	struct cc_buf p = CC_BUF_INIT;
	for (int i = 0; i < 900; i++) {
		if (!read_frame(&c, &op, &p))
			fail_msg("only %d of 900 messages arrived", i);
		assert_int_equal(p.len, sizeof(chunk));
	}
	writer_close(1000, NULL);
	cc_buf_free(&p);
	client_free(&c);
	cc_server_stop(srv);
}

/* A writer that streams as fast as the session lets it, waiting for on_drain after -ENOBUFS (as the
 * exec bridge does), against a client that reads as fast as it can: every byte arrives, whichever
 * way the loop's pumping and the socket's room interleave (a kick that finds the output full must
 * still take more once the socket empties it). */
struct streamer {
	struct cc_websocket *ws;
	int messages;
};

static void *stream_out(void *arg)
{
	struct streamer *st = arg;
	char chunk[4096];
	memset(chunk, 'z', sizeof(chunk));
	for (int i = 0; i < st->messages;) {
		pthread_mutex_lock(&seen.lock);
		int drains = seen.drains;
		pthread_mutex_unlock(&seen.lock);
		int r = cc_websocket_send(st->ws, chunk, sizeof(chunk));
		if (r == 0) {
			i++;
			continue;
		}
		assert_int_equal(r, -ENOBUFS);
		if (!wait_for(&seen.drains, drains + 1))
			fail_msg("no on_drain after -ENOBUFS at message %d", i);
	}
	return NULL;
}

static void test_streaming_writer_never_stalls(void **state)
{
	struct cc_server *srv = start_server(NULL);
	for (int round = 0; round < 3; round++) {
		reset_seen(false, 64u << 10);
		struct client c;
		client_plain(&c, cc_server_port(srv));
		open_session(&c, "Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n", NULL);
		pthread_mutex_lock(&seen.lock);
		struct streamer st = { .ws = seen.ws, .messages = 2048 }; /* 8 MiB */
		pthread_mutex_unlock(&seen.lock);
		pthread_t writer;
		assert_int_equal(pthread_create(&writer, NULL, stream_out, &st), 0);
		uint8_t op;
		struct cc_buf p = CC_BUF_INIT;
		for (int i = 0; i < st.messages; i++) {
			if (!read_frame(&c, &op, &p))
				fail_msg("round %d: stalled after %d of %d messages", round, i, st.messages);
			if (i % 16 == 0)
				usleep(
				    200); /* a reader a little slower than the writer: the socket fills now and then */
		}
		pthread_join(writer, NULL);
		writer_close(1000, NULL);
		cc_buf_free(&p);
		client_free(&c);
	}
	cc_server_stop(srv);
}

/* ---- TLS: kubectl's websocket dialer offers no ALPN (client-go's TLS config has no NextProtos);
 * a client offering http/1.1 only must get it, not h2 ---- */

static char *pki_dir;
static char server_cert[256], server_key[256];

static int setup_pki(void **state)
{
	pki_dir = unit_tmpdir();
	snprintf(server_cert, sizeof(server_cert), "%s/server.crt", pki_dir);
	snprintf(server_key, sizeof(server_key), "%s/server.key", pki_dir);
	struct cc_error err = { 0 };
	X509 *ca, *cert;
	EVP_PKEY *ca_key, *key;
	struct cc_cert_request ca_req = { .usage = CC_CERT_CA, .common_name = "unit CA", .days = 1 };
	assert_int_equal(cc_x509_issue(&ca_req, NULL, NULL, &ca, &ca_key, &err), 0);
	struct cc_cert_request req = {
		.usage = CC_CERT_SERVER, .common_name = "server", .subject_alt_names = "IP:127.0.0.1", .days = 1
	};
	assert_int_equal(cc_x509_issue(&req, ca, ca_key, &cert, &key, &err), 0);
	assert_int_equal(cc_x509_write_cert(server_cert, cert, &err), 0);
	assert_int_equal(cc_x509_write_key(server_key, key, &err), 0);
	X509_free(ca), X509_free(cert);
	EVP_PKEY_free(ca_key), EVP_PKEY_free(key);
	return 0;
}

static int teardown_pki(void **state)
{
	unit_rmdir(pki_dir);
	return 0;
}

static void client_tls(struct client *c, int port, const unsigned char *alpn, unsigned alpn_len)
{
	client_plain(c, port);
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (alpn)
		SSL_CTX_set_alpn_protos(c->ctx, alpn, alpn_len);
	c->ssl = SSL_new(c->ctx);
	SSL_set_fd(c->ssl, c->fd);
	assert_int_equal(SSL_connect(c->ssl), 1);
}

static void test_tls(void **state)
{
	reset_seen(true, 0);
	struct cc_server_config cfg = { .tls_cert = server_cert, .tls_key = server_key };
	struct cc_server *srv = start_server(&cfg);
	static const struct {
		const unsigned char *alpn;
		unsigned len;
		const char *want;
	} offers[] = {
		{ NULL, 0, "" },                                          /* kubectl (client-go + gorilla/websocket) */
		{ (const unsigned char *)"\x08http/1.1", 9, "http/1.1" }, /* a client that says so */
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(offers); i++) {
		struct client c;
		client_tls(&c, cc_server_port(srv), offers[i].alpn, offers[i].len);
		const unsigned char *proto = NULL;
		unsigned proto_len = 0;
		SSL_get0_alpn_selected(c.ssl, &proto, &proto_len);
		assert_int_equal(proto_len, strlen(offers[i].want));
		assert_memory_equal(proto ? (const char *)proto : "", offers[i].want, proto_len);
		open_session(&c, "Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n", "v5.channel.k8s.io");
		send_frame(&c, CC_WS_OP_BINARY, true, "\x01tls", 4, true);
		uint8_t op;
		struct cc_buf p = CC_BUF_INIT;
		assert_true(read_frame(&c, &op, &p));
		assert_memory_equal(p.data, "\x01tls", 4);
		writer_close(1000, NULL);
		assert_true(read_frame(&c, &op, &p));
		assert_int_equal(op, CC_WS_OP_CLOSE);
		send_frame(&c, CC_WS_OP_CLOSE, true, p.data, 2, true);
		assert_true(at_eof(&c));
		assert_true(wait_for(&seen.closes, 1));
		reset_seen(true, 0);
		cc_buf_free(&p);
		client_free(&c);
	}
	cc_server_stop(srv);
}

static void test_unix_socket(void **state)
{
	reset_seen(true, 0);
	char *dir = unit_tmpdir();
	char path[100];
	snprintf(path, sizeof(path), "%.80s/ws.sock", dir);
	struct cc_server_config cfg = { .listen = path };
	struct cc_server *srv = start_server(&cfg);
	struct client c = { .fd = socket(AF_UNIX, SOCK_STREAM, 0) };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(c.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	set_timeout(c.fd);
	open_session(&c, "Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n", NULL);
	send_frame(&c, CC_WS_OP_BINARY, true, "unix", 4, true);
	uint8_t op;
	struct cc_buf p = CC_BUF_INIT;
	assert_true(read_frame(&c, &op, &p));
	assert_string_equal(p.data, "unix");
	writer_close(1000, NULL);
	cc_buf_free(&p);
	client_free(&c);
	cc_server_stop(srv);
	unit_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_refusals),
		cmocka_unit_test(test_echo_fragments_ping),
		cmocka_unit_test(test_violations),
		cmocka_unit_test(test_writer_closes),
		cmocka_unit_test(test_quiet_session_outlives_idle_timeout),
		cmocka_unit_test(test_server_stop),
		cmocka_unit_test(test_backpressure_and_pause),
		cmocka_unit_test(test_burst_without_a_next_send),
		cmocka_unit_test(test_streaming_writer_never_stalls),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_unix_socket),
	};
	return cmocka_run_group_tests(tests, setup_pki, teardown_pki);
}
