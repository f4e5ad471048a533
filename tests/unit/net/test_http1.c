#include "lib/net/http1.h"
#include "unit.h"

static const struct http1_limits limits = { .max_header_bytes = 4096, .max_body = 64 };
static const struct cc_peer peer;

/* Feeds text in pieces of `step` bytes; returns the first event that is not NEED_MORE. */
static enum http1_event feed_all(struct http1_parser *p, const char *text, size_t step, size_t *offset)
{
	size_t len = strlen(text);
	while (*offset < len) {
		size_t n = len - *offset < step ? len - *offset : step, used;
		enum http1_event ev = http1_parser_feed(p, text + *offset, n, &used);
		*offset += used;
		if (ev != HTTP1_NEED_MORE)
			return ev;
	}
	return HTTP1_NEED_MORE;
}

static void test_simple_get_in_any_split(void **state)
{
	const char *text = "GET /v1/x?y=1 HTTP/1.1\r\nHost: a\r\nX-Thing:  v  \r\n\r\n";
	for (size_t step = 1; step <= strlen(text); step++) {
		struct http1_parser *p = http1_parser_new(&limits, &peer);
		size_t off = 0;
		enum http1_event ev = feed_all(p, text, step, &off);
		if (ev == HTTP1_HEADERS)
			ev = feed_all(p, text, step, &off);
		assert_int_equal(ev, HTTP1_REQUEST);
		struct cc_http_request *req = http1_parser_request(p);
		assert_string_equal(req->method, "GET");
		assert_string_equal(req->path, "/v1/x");
		assert_string_equal(req->query, "y=1");
		assert_string_equal(cc_http_request_header(req, "x-thing"), "v");
		assert_true(http1_parser_keep_alive(p));
		http1_parser_free(p);
	}
}

static void test_pipelined_and_chunked(void **state)
{
	const char *text = "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
			   "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
			   "GET /b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
	struct http1_parser *p = http1_parser_new(&limits, &peer);
	size_t off = 0;
	assert_int_equal(feed_all(p, text, 1000, &off), HTTP1_HEADERS);
	assert_int_equal(feed_all(p, text, 1000, &off), HTTP1_REQUEST);
	struct cc_http_request *req = http1_parser_request(p);
	assert_string_equal(req->body.data, "hello world");
	http1_parser_next(p);
	assert_int_equal(feed_all(p, text, 1000, &off), HTTP1_HEADERS);
	assert_int_equal(feed_all(p, text, 1000, &off), HTTP1_REQUEST);
	assert_string_equal(http1_parser_request(p)->path, "/b");
	assert_false(http1_parser_keep_alive(p));
	http1_parser_free(p);
}

static void expect_error(const char *text, int status)
{
	struct http1_parser *p = http1_parser_new(&limits, &peer);
	size_t off = 0;
	enum http1_event ev;
	do
		ev = feed_all(p, text, 7, &off);
	while (ev == HTTP1_HEADERS);
	if (ev != HTTP1_ERROR || http1_parser_error_status(p) != status)
		fail_msg("for %.60s: event %d status %d (%s), wanted error %d", text, ev, http1_parser_error_status(p),
			 http1_parser_error_text(p), status);
	assert_true(strlen(http1_parser_error_text(p)) > 0);
	http1_parser_free(p);
}

static void test_limits_and_malformed(void **state)
{
	expect_error("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 65\r\n\r\n", 413);
	expect_error("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n41\r\n"
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n0\r\n\r\n",
		     413);
	char big[6000];
	snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: a\r\nX: %05000d\r\n\r\n", 0);
	expect_error(big, 431);
	expect_error("BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n", 501);
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n", 400);
	expect_error("GET http://other/x HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nExpect: tea\r\n\r\n", 417);
	expect_error("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 501);
}

/* RFC 9112 leniencies that smuggling builds on (issue 11, finding 6): each is a 400. */
static void test_strict_framing(void **state)
{
	expect_error("POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\nhello", 400);
	expect_error("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400);
	expect_error("POST / HTTP/1.1\r\nHost: a\r\nX: a\r\nTransfer-Encoding: gzip,\r\n chunked\r\n\r\n0\r\n\r\n",
		     400);
	expect_error("GET / HTTP/1.1\nHost: a\n\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\n\r\n", 400);                       /* no Host */
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400); /* two */
	/* HTTP/1.0 may omit Host; a bare LF inside the body is the body's business. */
	struct http1_parser *p = http1_parser_new(&limits, &peer);
	const char *ok = "POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\na\nb";
	size_t off = 0;
	enum http1_event ev = feed_all(p, ok, 3, &off);
	if (ev == HTTP1_HEADERS)
		ev = feed_all(p, ok, 3, &off);
	assert_int_equal(ev, HTTP1_REQUEST);
	assert_string_equal(http1_parser_request(p)->body.data, "a\nb");
	http1_parser_free(p);
}

static void body_router(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
}

/* Limits follow the route: a small route refuses what a large one takes, and a body sent to a path
 * no route serves is dropped, not kept (issue 11, finding 1). */
static void test_route_limits(void **state)
{
	static const struct cc_http_route routes[] = {
		{ "POST", "/small", false, body_router, NULL, 4 },
		{ "POST", "/large", false, body_router, NULL, 0 },
	};
	struct http1_limits l = limits;
	l.routes = routes;
	l.route_count = 2;
	const char *small = "POST /small HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello";
	const char *large = "POST /large HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello";
	const char *nowhere = "POST /nowhere HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello";
	struct http1_parser *p = http1_parser_new(&l, &peer);
	size_t off = 0;
	assert_int_equal(feed_all(p, small, 100, &off), HTTP1_ERROR);
	assert_int_equal(http1_parser_error_status(p), 413);
	http1_parser_free(p);
	const char *texts[] = { large, nowhere };
	const char *bodies[] = { "hello", "" };
	for (int i = 0; i < 2; i++) {
		p = http1_parser_new(&l, &peer);
		off = 0;
		enum http1_event ev = feed_all(p, texts[i], 100, &off);
		if (ev == HTTP1_HEADERS)
			ev = feed_all(p, texts[i], 100, &off);
		assert_int_equal(ev, HTTP1_REQUEST);
		assert_string_equal(http1_parser_request(p)->body.data ? http1_parser_request(p)->body.data : "",
				    bodies[i]);
		http1_parser_free(p);
	}
}

static void test_expect_continue(void **state)
{
	const char *text = "PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nok";
	struct http1_parser *p = http1_parser_new(&limits, &peer);
	size_t off = 0;
	assert_int_equal(feed_all(p, text, 1000, &off), HTTP1_HEADERS);
	assert_true(http1_parser_expects_continue(p));
	assert_int_equal(feed_all(p, text, 1000, &off), HTTP1_REQUEST);
	assert_string_equal(http1_parser_request(p)->body.data, "ok");
	http1_parser_free(p);
}

static void test_http10_closes(void **state)
{
	const char *text = "GET / HTTP/1.0\r\n\r\n";
	struct http1_parser *p = http1_parser_new(&limits, &peer);
	size_t off = 0;
	enum http1_event ev = feed_all(p, text, 1000, &off);
	if (ev == HTTP1_HEADERS)
		ev = feed_all(p, text, 1000, &off);
	assert_int_equal(ev, HTTP1_REQUEST);
	assert_false(http1_parser_keep_alive(p));
	http1_parser_free(p);
}

static void test_write_response(void **state)
{
	struct cc_http_response resp;
	cc_http_response_init(&resp);
	cc_http_response_json(&resp, 201, json_pack("{s:i}", "a", 1));
	cc_http_response_add_header(&resp, "location", "/v1/x");
	struct cc_buf out = CC_BUF_INIT;
	http1_write_response(&out, &resp, false, true);
	assert_true(strncmp(out.data, "HTTP/1.1 201 Created\r\n", 22) == 0);
	assert_non_null(strstr(out.data, "Content-Length: 8\r\n"));
	assert_non_null(strstr(out.data, "location: /v1/x\r\n"));
	assert_non_null(strstr(out.data, "Connection: keep-alive\r\n\r\n{\"a\":1}\n"));
	cc_buf_reset(&out);
	http1_write_response(&out, &resp, true, false);
	assert_non_null(strstr(out.data, "Content-Length: 8\r\n"));
	assert_true(strstr(out.data, "\r\n\r\n")[4] == '\0');
	cc_buf_free(&out);
	cc_http_response_free(&resp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_get_in_any_split),
		cmocka_unit_test(test_strict_framing),
		cmocka_unit_test(test_route_limits),
		cmocka_unit_test(test_pipelined_and_chunked),
		cmocka_unit_test(test_limits_and_malformed),
		cmocka_unit_test(test_expect_continue),
		cmocka_unit_test(test_http10_closes),
		cmocka_unit_test(test_write_response),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
