#include "kbs/kbs_mtls_revoke.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "unit.h"

#include <errno.h>

static int parse(const char *text, struct kbs_mtls_revoke_request *req, struct cc_error *err)
{
	return kbs_mtls_revoke_request_parse(text, strlen(text), req, err);
}

static void test_node_body(void **state)
{
	(void)state;
	struct kbs_mtls_revoke_request req;
	struct cc_error err = { 0 };
	assert_int_equal(parse("{\"serials\": [\"0A1B\", \"ff\", \"0a1b\"]}", &req, &err), 0);
	assert_int_equal(req.n_serials, 2); /* one spelling, no repeats */
	assert_string_equal(req.serials[0], "0a1b");
	assert_string_equal(req.serials[1], "ff");
	assert_int_equal(req.reason, CC_CRL_REASON_CESSATION_OF_OPERATION);
	kbs_mtls_revoke_request_free(&req);
	assert_int_equal(parse("{\"serials\": [\"01\"], \"reason\": \"keyCompromise\"}", &req, &err), 0);
	assert_int_equal(req.reason, CC_CRL_REASON_KEY_COMPROMISE);
	kbs_mtls_revoke_request_free(&req);

	static const struct {
		const char *body, *says;
	} bad[] = {
		{ "{}", "serials must be a list" },
		{ "{\"serials\": []}", "serials must be a list" },
		{ "{\"serials\": \"01\"}", "serials must be a list" },
		{ "{\"serials\": [\"01\", 2]}", "serials[1]" },
		{ "{\"serials\": [\"xyz\"]}", "serials[0]" },
		{ "{\"serials\": [\"01\"], \"reason\": \"gone\"}", "RFC 5280" },
		{ "{\"serials\": [\"01\"], \"reason\": 5}", "RFC 5280" },
		{ "{\"serials\": [\"01\"], \"node\": \"n1\"}", "unknown field `node`" },
		{ "[\"01\"]", "JSON object" },
		{ "not json", "revocation request" },
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(bad); i++) {
		assert_int_equal(parse(bad[i].body, &req, &err), -EINVAL);
		assert_non_null(strstr(err.message, bad[i].says));
		assert_null(req.serials);
	}
	/* 256 serials and no more */
	char *many = cc_xmalloc(16 + 257 * 7);
	size_t n = (size_t)sprintf(many, "{\"serials\":[");
	for (int i = 0; i < 257; i++)
		n += (size_t)sprintf(many + n, "%s\"%04x\"", i ? "," : "", i);
	strcpy(many + n, "]}");
	assert_int_equal(parse(many, &req, &err), -EINVAL);
	strcpy(many + n - 7, "]}"); /* without the last */
	assert_int_equal(parse(many, &req, &err), 0);
	assert_int_equal(req.n_serials, KBS_MTLS_REVOKE_SERIALS_MAX);
	kbs_mtls_revoke_request_free(&req);
	free(many);
}

static void test_admin_body(void **state)
{
	(void)state;
	struct kbs_mtls_revoke_request req;
	struct cc_error err = { 0 };
	const char *by_serial = "{\"serial\": \"0A\", \"reason\": \"superseded\"}";
	assert_int_equal(kbs_mtls_admin_revoke_parse(by_serial, strlen(by_serial), &req, &err), 0);
	assert_int_equal(req.n_serials, 1);
	assert_string_equal(req.serials[0], "0a");
	assert_string_equal(req.node, "");
	assert_int_equal(req.reason, CC_CRL_REASON_SUPERSEDED);
	kbs_mtls_revoke_request_free(&req);
	const char *by_node = "{\"node\": \"n1\"}";
	assert_int_equal(kbs_mtls_admin_revoke_parse(by_node, strlen(by_node), &req, &err), 0);
	assert_string_equal(req.node, "n1");
	assert_int_equal(req.n_serials, 0);
	assert_int_equal(req.reason, CC_CRL_REASON_UNSPECIFIED);
	kbs_mtls_revoke_request_free(&req);
	static const char *const bad[] = {
		"{}",
		"{\"serial\": \"0a\", \"node\": \"n1\"}",
		"{\"node\": \"../n1\"}",
		"{\"serial\": 10}",
		"{\"node\": \"n1\", \"serials\": [\"0a\"]}",
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(bad); i++)
		assert_int_equal(kbs_mtls_admin_revoke_parse(bad[i], strlen(bad[i]), &req, &err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_node_body),
		cmocka_unit_test(test_admin_body),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
