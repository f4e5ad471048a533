#include "lib/net/http.h"
#include "unit.h"

#include <errno.h>

static void test_target_and_query(void **state)
{
	struct cc_http_request req = { 0 };
	const char *t = "/v1/pods/a%20b?watch=1&name=x%2By+z&flag";
	assert_int_equal(cc_http_request_set_target(&req, t, strlen(t)), 0);
	assert_string_equal(req.path, "/v1/pods/a b");
	assert_string_equal(req.query, "watch=1&name=x%2By+z&flag");
	char *v = cc_http_request_query(&req, "name");
	assert_string_equal(v, "x+y z");
	free(v);
	v = cc_http_request_query(&req, "flag");
	assert_string_equal(v, "");
	free(v);
	assert_null(cc_http_request_query(&req, "missing"));
	assert_int_equal(cc_http_request_set_target(&req, "/a%00b", 6), -EINVAL);
	assert_int_equal(cc_http_request_set_target(&req, "/a%zz", 5), -EINVAL);
	assert_int_equal(cc_http_request_set_target(&req, "http://evil/x", 13), -EINVAL);
	cc_http_request_reset(&req);
}

static void test_headers(void **state)
{
	struct cc_http_request req = { 0 };
	assert_int_equal(cc_http_request_add_header(&req, "Content-Type", 12, "  application/json ", 19), 0);
	assert_string_equal(cc_http_request_header(&req, "content-type"), "application/json");
	assert_string_equal(req.headers[0].name, "content-type");
	assert_int_equal(cc_http_request_add_header(&req, "X", 1, "a\r\nInjected: 1", 15), -EINVAL);
	cc_http_request_reset(&req);
}

static int called;
static void handler(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	called = *(int *)userdata;
	resp->status = 204;
}

static void test_dispatch(void **state)
{
	int one = 1, two = 2;
	struct cc_http_route routes[] = {
		{ .method = "GET", .path = "/a", .handler = handler, .userdata = &one },
		{ .method = "POST", .path = "/a", .handler = handler, .userdata = &two },
		{ .method = "GET", .path = "/p/", .prefix = true, .handler = handler, .userdata = &two },
	};
	struct cc_http_request req = { .method = "POST", .path = "/a" };
	struct cc_http_response resp;
	cc_http_response_init(&resp);
	cc_http_dispatch(routes, 3, &req, &resp);
	assert_int_equal(called, 2);
	req.method = "DELETE";
	cc_http_dispatch(routes, 3, &req, &resp);
	assert_int_equal(resp.status, 405);
	assert_string_equal(resp.headers[0].value, "GET, POST");
	cc_http_response_free(&resp);
	cc_http_response_init(&resp);
	req.method = "GET";
	req.path = "/p/deep/x";
	cc_http_dispatch(routes, 3, &req, &resp);
	assert_int_equal(resp.status, 204);
	req.path = "/nowhere";
	cc_http_dispatch(routes, 3, &req, &resp);
	assert_int_equal(resp.status, 404);
	assert_non_null(strstr(resp.body.data, "\"code\":404"));
	assert_string_equal(resp.content_type, "application/json");
	cc_http_response_free(&resp);
}

static void test_request_json(void **state)
{
	struct cc_http_request req = { 0 };
	struct cc_http_response resp;
	cc_http_response_init(&resp);
	cc_buf_append_str(&req.body, "{\"a\":");
	json_t *v;
	assert_true(cc_http_request_json(&req, &resp, &v) < 0);
	assert_int_equal(resp.status, 400);
	cc_http_request_add_header(&req, "content-type", 12, "text/plain", 10);
	assert_true(cc_http_request_json(&req, &resp, &v) < 0);
	assert_int_equal(resp.status, 415);
	cc_http_response_free(&resp);
	cc_http_request_reset(&req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_target_and_query),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_request_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
