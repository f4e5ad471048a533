/* Drives the server's h2 session with an in-process nghttp2 client session. */
#include "lib/net/h2.h"
#include "unit.h"

#include <nghttp2/nghttp2.h>

struct result {
	char status[8];
	char grpc_status[8];
	char grpc_message[256];
	struct cc_buf body;
	uint32_t rst_code;
	bool closed;
};

static int on_header(nghttp2_session *ng, const nghttp2_frame *frame, const uint8_t *name, size_t namelen,
		     const uint8_t *value, size_t valuelen, uint8_t flags, void *user_data)
{
	struct result *r = user_data;
	char *dest = NULL;
	size_t size = 0;
	if (namelen == 7 && memcmp(name, ":status", 7) == 0)
		dest = r->status, size = sizeof(r->status);
	else if (namelen == 11 && memcmp(name, "grpc-status", 11) == 0)
		dest = r->grpc_status, size = sizeof(r->grpc_status);
	else if (namelen == 12 && memcmp(name, "grpc-message", 12) == 0)
		dest = r->grpc_message, size = sizeof(r->grpc_message);
	if (dest)
		snprintf(dest, size, "%.*s", (int)valuelen, value);
	return 0;
}

static int on_data(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *data, size_t len, void *user_data)
{
	struct result *r = user_data;
	cc_buf_append(&r->body, data, len);
	return 0;
}

static int on_close(nghttp2_session *ng, int32_t id, uint32_t code, void *user_data)
{
	struct result *r = user_data;
	r->rst_code = code;
	r->closed = true;
	return 0;
}

static void handler(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	cc_buf_appendf(&resp->body, "hello %s %zu", req->method, req->body.len);
}

static enum cc_grpc_code echo(struct cc_grpc_call *call, const uint8_t *request, size_t len, struct cc_buf *resp,
			      void *userdata)
{
	if (len == 4 && memcmp(request, "fail", 4) == 0)
		return cc_grpc_fail(call, CC_GRPC_PERMISSION_DENIED, "denied: 100%% sure");
	cc_buf_append(resp, request, len);
	return CC_GRPC_OK;
}

static const struct cc_http_route routes[] = { { .method = NULL, .path = "/hello", .handler = handler } };
static const struct cc_grpc_method methods[] = { { .path = "/test.Echo/Echo", .handler = echo } };

static void exchange(nghttp2_session *client, struct h2_session *server)
{
	for (int round = 0; round < 50; round++) {
		const uint8_t *data;
		ssize_t n;
		bool moved = false;
		while ((n = nghttp2_session_mem_send(client, &data)) > 0) {
			assert_int_equal(h2_session_recv(server, data, (size_t)n), 0);
			moved = true;
		}
		struct cc_buf out = CC_BUF_INIT;
		assert_int_equal(h2_session_send(server, &out, 0), 0);
		if (out.len) {
			assert_int_equal(nghttp2_session_mem_recv(client, (const uint8_t *)out.data, out.len),
					 (ssize_t)out.len);
			moved = true;
		}
		cc_buf_free(&out);
		if (!moved)
			return;
	}
}

struct body_source {
	const char *data;
	size_t len, off;
};

static ssize_t read_body(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
			 nghttp2_data_source *source, void *ud)
{
	struct body_source *src = source->ptr;
	size_t n = src->len - src->off < len ? src->len - src->off : len;
	memcpy(buf, src->data + src->off, n);
	src->off += n;
	if (src->off == src->len)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

static void run(const nghttp2_nv *nva, size_t count, const char *body, size_t body_len, struct result *r)
{
	struct cc_peer peer = { 0 };
	struct h2_config cfg = { .routes = routes,
				 .route_count = 1,
				 .grpc_methods = methods,
				 .grpc_method_count = 1,
				 .max_body = 1024,
				 .max_grpc_message = 64,
				 .max_header_bytes = 4096,
				 .peer = &peer };
	struct h2_session *server;
	assert_int_equal(h2_session_new(&cfg, &server), 0);
	nghttp2_session_callbacks *cb;
	nghttp2_session_callbacks_new(&cb);
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
	nghttp2_session *client;
	nghttp2_session_client_new(&client, cb, r);
	nghttp2_session_callbacks_del(cb);
	nghttp2_submit_settings(client, NGHTTP2_FLAG_NONE, NULL, 0);
	struct body_source src = { body, body_len, 0 };
	nghttp2_data_provider prd = { .source.ptr = &src, .read_callback = read_body };
	assert_true(nghttp2_submit_request(client, NULL, nva, count, body ? &prd : NULL, NULL) > 0);
	exchange(client, server);
	nghttp2_session_del(client);
	h2_session_free(server);
}

#define NV(n, v)                                                                                                       \
	{                                                                                                              \
		(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1, NGHTTP2_NV_FLAG_NONE                     \
	}

static void test_http_get_over_h2(void **state)
{
	nghttp2_nv nva[] = { NV(":method", "GET"), NV(":scheme", "http"), NV(":path", "/hello"),
			     NV(":authority", "x") };
	struct result r = { 0 };
	run(nva, 4, NULL, 0, &r);
	assert_string_equal(r.status, "200");
	assert_string_equal(r.body.data, "hello GET 0");
	cc_buf_free(&r.body);
}

static void test_grpc_ok_has_trailers(void **state)
{
	nghttp2_nv nva[] = { NV(":method", "POST"),
			     NV(":scheme", "http"),
			     NV(":path", "/test.Echo/Echo"),
			     NV(":authority", "/run/kms.sock"),
			     NV("content-type", "application/grpc"),
			     NV("te", "trailers") };
	struct result r = { 0 };
	run(nva, 6, "\0\0\0\0\3abc", 8, &r);
	assert_string_equal(r.status, "200");
	assert_string_equal(r.grpc_status, "0");
	assert_int_equal(r.body.len, 8);
	assert_memory_equal(r.body.data, "\0\0\0\0\3abc", 8);
	cc_buf_free(&r.body);
}

static void test_grpc_failure_is_trailers_only(void **state)
{
	nghttp2_nv nva[] = { NV(":method", "POST"), NV(":scheme", "http"), NV(":path", "/test.Echo/Echo"),
			     NV(":authority", "x"), NV("content-type", "application/grpc") };
	struct result r = { 0 };
	run(nva, 5, "\0\0\0\0\4fail", 9, &r);
	assert_string_equal(r.grpc_status, "7");
	assert_string_equal(r.grpc_message, "denied: 100%25 sure");
	assert_int_equal(r.body.len, 0);
	cc_buf_free(&r.body);
}

static void test_grpc_unknown_method_and_oversize(void **state)
{
	nghttp2_nv nva[] = { NV(":method", "POST"), NV(":scheme", "http"), NV(":path", "/test.Echo/Nope"),
			     NV(":authority", "x"), NV("content-type", "application/grpc") };
	struct result r = { 0 };
	run(nva, 5, "\0\0\0\0\0", 5, &r);
	assert_string_equal(r.grpc_status, "12");
	cc_buf_free(&r.body);
	nghttp2_nv big[] = { NV(":method", "POST"), NV(":scheme", "http"), NV(":path", "/test.Echo/Echo"),
			     NV(":authority", "x"), NV("content-type", "application/grpc") };
	char payload[200] = { 0, 0, 0, 0, 195 };
	struct result r2 = { 0 };
	run(big, 5, payload, sizeof(payload), &r2);
	assert_string_equal(r2.grpc_status, "8");
	cc_buf_free(&r2.body);
}

static void test_malformed_requests_are_reset(void **state)
{
	/* Upper-case header names and connection-specific headers are malformed in HTTP/2. nghttp2
	 * lowercases names it copies, so the upper-case one is passed without copying. */
	nghttp2_nv upper[] = { NV(":method", "GET"), NV(":scheme", "http"), NV(":path", "/hello"), NV("X-Upper", "1") };
	upper[3].flags = NGHTTP2_NV_FLAG_NO_COPY_NAME;
	struct result r = { 0 };
	run(upper, 4, NULL, 0, &r);
	assert_true(r.closed);
	assert_int_equal(r.rst_code, NGHTTP2_PROTOCOL_ERROR);
	assert_string_equal(r.status, "");
	nghttp2_nv conn[] = { NV(":method", "GET"), NV(":scheme", "http"), NV(":path", "/hello"),
			      NV("connection", "close") };
	struct result r2 = { 0 };
	run(conn, 4, NULL, 0, &r2);
	assert_int_equal(r2.rst_code, NGHTTP2_PROTOCOL_ERROR);
	nghttp2_nv no_path[] = { NV(":method", "GET"), NV(":scheme", "http") };
	struct result r3 = { 0 };
	run(no_path, 2, NULL, 0, &r3);
	assert_int_equal(r3.rst_code, NGHTTP2_PROTOCOL_ERROR);
	nghttp2_nv length[] = { NV(":method", "POST"), NV(":scheme", "http"), NV(":path", "/hello"),
				NV("content-length", "10") };
	struct result r4 = { 0 };
	run(length, 4, "abc", 3, &r4);
	assert_int_equal(r4.rst_code, NGHTTP2_PROTOCOL_ERROR);
}

static void test_http_body_limit(void **state)
{
	nghttp2_nv nva[] = { NV(":method", "POST"), NV(":scheme", "http"), NV(":path", "/hello") };
	char body[2000];
	memset(body, 'a', sizeof(body));
	struct result r = { 0 };
	run(nva, 3, body, sizeof(body), &r);
	assert_string_equal(r.status, "413");
	cc_buf_free(&r.body);
}

static void test_garbage_is_a_connection_error(void **state)
{
	struct cc_peer peer = { 0 };
	struct h2_config cfg = { .max_body = 1024, .max_grpc_message = 64, .max_header_bytes = 4096, .peer = &peer };
	struct h2_session *server;
	assert_int_equal(h2_session_new(&cfg, &server), 0);
	assert_true(h2_session_recv(server, (const uint8_t *)"GET / HTTP/1.1\r\n\r\nxxxxxxxxxxx", 29) < 0);
	h2_session_free(server);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_get_over_h2),
		cmocka_unit_test(test_grpc_ok_has_trailers),
		cmocka_unit_test(test_grpc_failure_is_trailers_only),
		cmocka_unit_test(test_grpc_unknown_method_and_oversize),
		cmocka_unit_test(test_malformed_requests_are_reset),
		cmocka_unit_test(test_http_body_limit),
		cmocka_unit_test(test_garbage_is_a_connection_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
