#include "kbs/kbs_mtls_checks.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "unit.h"

#include <errno.h>

/* 96 hex digits: a SHA-384 digest of one repeated digit */
#define D(c)   D48(c c)
#define D48(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c

static void test_request_parse(void **state)
{
	(void)state;
	struct cc_error err = { 0 };
	struct kbs_mtls_request req;
	const char *ok = "{\"csr\": \"PEM\", \"token\": \"a.b.c\", \"dnsNames\": [\"web.shop.svc\"]}";
	assert_int_equal(kbs_mtls_request_parse(ok, strlen(ok), &req, &err), 0);
	assert_string_equal(req.csr, "PEM");
	assert_string_equal(req.token, "a.b.c");
	assert_int_equal(req.n_dns_names, 1);
	assert_string_equal(req.dns_names[0], "web.shop.svc");
	kbs_mtls_request_free(&req);
	const char *none = "{\"csr\": \"PEM\", \"token\": \"t\"}";
	assert_int_equal(kbs_mtls_request_parse(none, strlen(none), &req, &err), 0);
	assert_int_equal(req.n_dns_names, 0);
	kbs_mtls_request_free(&req);

	static const char *const bad[] = {
		"[]",
		"{\"csr\": \"PEM\"}",
		"{\"csr\": 1, \"token\": \"t\"}",
		"{\"csr\": \"PEM\", \"token\": \"t\", \"key\": \"x\"}",
		"{\"csr\": \"PEM\", \"token\": \"t\", \"dnsNames\": \"a.shop.svc\"}",
		"{\"csr\": \"PEM\", \"token\": \"t\", \"dnsNames\": [1]}",
		"not json",
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(bad); i++)
		assert_int_equal(kbs_mtls_request_parse(bad[i], strlen(bad[i]), &req, &err), -EINVAL);
	assert_non_null(strstr(cc_error_message(&err), "certificate request"));
	/* more names than a certificate may carry */
	_cleanup_free_ char *many = cc_xstrdup("{\"csr\": \"P\", \"token\": \"t\", \"dnsNames\": [\"a.s.svc\"");
	for (int i = 0; i < CC_LEAF_DNS_MAX; i++) {
		char *next = cc_xasprintf("%s, \"a.s.svc\"", many);
		free(many);
		many = next;
	}
	char *closed = cc_xasprintf("%s]}", many);
	assert_int_equal(kbs_mtls_request_parse(closed, strlen(closed), &req, &err), -EINVAL);
	assert_non_null(strstr(err.message, "at most 32"));
	free(closed);
}

static json_t *runtime_with(const char *csr_json)
{
	_cleanup_free_ char *text = cc_xasprintf("{\"nonce\": \"n\", \"cocoon-csr\": %s}", csr_json);
	json_t *v = NULL;
	struct cc_error err = { 0 };
	assert_int_equal(cc_json_parse(text, strlen(text), 1 << 20, "test", &v, &err), 0);
	return v;
}

static void test_csr_list(void **state)
{
	(void)state;
	struct cc_error err = { 0 };
	_cleanup_json_ json_t *absent = json_pack("{s:s}", "nonce", "n");
	assert_int_equal(kbs_mtls_csr_list_check(absent, &err), 0);
	_cleanup_json_ json_t *ok = runtime_with("[\"" D("0") "\", \"" D("a") "\"]");
	assert_int_equal(kbs_mtls_csr_list_check(ok, &err), 0);
	uint8_t digest[CC_SPKI_DIGEST_SIZE];
	memset(digest, 0xaa, sizeof(digest));
	assert_true(kbs_mtls_csr_bound(json_object_get(ok, "cocoon-csr"), digest));
	memset(digest, 0xab, sizeof(digest));
	assert_false(kbs_mtls_csr_bound(json_object_get(ok, "cocoon-csr"), digest));

	static const char *const bad[] = {
		"[]",
		"\"" D("0") "\"",
		"[\"" D("a") "\", \"" D("0") "\"]", /* not sorted */
		"[\"" D("a") "\", \"" D("a") "\"]", /* repeated */
		"[\"" D("A") "\"]",                 /* uppercase */
		"[\"00\"]",                         /* too short */
		"[7]",
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(bad); i++) {
		_cleanup_json_ json_t *rt = runtime_with(bad[i]);
		assert_int_equal(kbs_mtls_csr_list_check(rt, &err), -EINVAL);
		assert_non_null(strstr(err.message, "cocoon-csr"));
	}
}

static void test_dns_names(void **state)
{
	(void)state;
	struct cc_error err = { 0 };
	const char *mine[] = { "web.shop.svc", "web.shop.svc.cluster.local", "h.sub.shop.svc.cluster.local",
			       "WEB.Shop.SVC" };
	assert_int_equal(kbs_mtls_dns_names_check(mine, CC_ARRAY_SIZE(mine), "shop", "cluster.local", &err), 0);
	assert_int_equal(kbs_mtls_dns_names_check(NULL, 0, "shop", "cluster.local", &err), 0);
	static const char *const foreign[] = {
		"web.bank.svc",
		"shop.svc",
		"web.shop.svc.other.local",
		"evilshop.svc",
		"web.shop.svc.cluster.local.evil.com",
		"example.com",
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(foreign); i++) {
		assert_int_equal(kbs_mtls_dns_names_check(&foreign[i], 1, "shop", "cluster.local", &err), -EACCES);
		assert_non_null(strstr(err.message, "not a name of namespace `shop`"));
	}
	static const char *const malformed[] = { "*.shop.svc", "web..shop.svc", "web.shop.svc.", "-a.shop.svc" };
	for (size_t i = 0; i < CC_ARRAY_SIZE(malformed); i++)
		assert_int_equal(kbs_mtls_dns_names_check(&malformed[i], 1, "shop", "cluster.local", &err), -EINVAL);
	/* the first foreign name is named, after good ones */
	const char *mixed[] = { "web.shop.svc", "db.bank.svc" };
	assert_int_equal(kbs_mtls_dns_names_check(mixed, 2, "shop", "cluster.local", &err), -EACCES);
	assert_non_null(strstr(err.message, "dnsNames[1] `db.bank.svc`"));
}

static json_t *load(const char *text)
{
	json_t *v = NULL;
	struct cc_error err = { 0 };
	assert_int_equal(cc_json_parse(text, strlen(text), 1 << 20, "test", &v, &err), 0);
	return v;
}

static void test_pod_containers(void **state)
{
	(void)state;
	struct cc_error err = { 0 };
	_cleanup_json_ json_t *containers =
	    load("["
		 "{\"container\": \"u1-app-0\", \"measurement\": \"sha384:" D(
		     "1") "\"},"
			  "{\"container\": \"u2-app-0\", \"measurement\": \"sha384:" D(
			      "2") "\"},"
				   "{\"container\": \"u1-side-12\", \"measurement\": \"sha384:" D(
				       "3") "\"},"
					    "{\"container\": \"u10-app-0\", \"measurement\": \"sha384:" D("4") "\"}"
													       "]");
	_cleanup_json_ json_t *seqs = load("[4, 5, 6, 7]");
	struct cc_attested_container *list = NULL;
	size_t n = 0;
	assert_int_equal(kbs_mtls_pod_containers(containers, seqs, "u1", &list, &n, &err), 0);
	assert_int_equal(n, 2); /* not u10's */
	assert_string_equal(list[0].name, "u1-app-0");
	assert_int_equal(list[0].instance, 0);
	assert_int_equal(list[0].log_seq, 4);
	assert_int_equal(list[0].measurement[0], 0x11);
	assert_string_equal(list[1].name, "u1-side-12");
	assert_int_equal(list[1].instance, 12);
	assert_int_equal(list[1].log_seq, 6);
	kbs_mtls_containers_free(list, n);

	assert_int_equal(kbs_mtls_pod_containers(containers, seqs, "u3", &list, &n, &err), -ENOENT);
	assert_non_null(strstr(err.message, "no container of pod `u3`"));
	assert_int_equal(kbs_mtls_pod_containers(containers, seqs, "", &list, &n, &err), -ENOENT);
	/* a record without a seq, or a name without an instance, cannot be listed: nothing is issued */
	_cleanup_json_ json_t *no_seq = load("[4, null, 6, 7]");
	assert_int_equal(kbs_mtls_pod_containers(containers, no_seq, "u2", &list, &n, &err), -EINVAL);
	assert_non_null(strstr(err.message, "has no seq"));
	_cleanup_json_ json_t *odd = load("[{\"container\": \"u1-app-x\", \"measurement\": \"sha384:" D(
	    "1") "\"},"
		 "{\"container\": \"u2-app-+1\", \"measurement\": \"sha384:" D(
		     "1") "\"},"
			  "{\"container\": \"u3-app-1\", \"measurement\": \"sha256:" D("1") "\"}]");
	_cleanup_json_ json_t *three = load("[0, 1, 2]");
	assert_int_equal(kbs_mtls_pod_containers(odd, three, "u1", &list, &n, &err), -EINVAL);
	assert_int_equal(kbs_mtls_pod_containers(odd, three, "u2", &list, &n, &err), -EINVAL);
	assert_int_equal(kbs_mtls_pod_containers(odd, three, "u3", &list, &n, &err), -EINVAL);
	assert_non_null(strstr(err.message, "no SHA-384 measurement"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_parse),
		cmocka_unit_test(test_csr_list),
		cmocka_unit_test(test_dns_names),
		cmocka_unit_test(test_pod_containers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
