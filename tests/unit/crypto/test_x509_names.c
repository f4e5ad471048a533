#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/x509_names.h"
#include "unit.h"

#include <errno.h>

static void test_spiffe_ids_accepted(void **state)
{
	static const char *const good[] = {
		"spiffe://acme.example/ns/web/sa/default/pod/0f9e6c2a-1b7d-4c1e-9a53-0b1f0f5e2c11",
		"spiffe://td/x",
		"spiffe://my_trust-domain.0/A.b-c_d/E",
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(good); i++) {
		struct cc_error err = { 0 };
		assert_int_equal(cc_spiffe_id_check(good[i], &err), 0);
	}
}

static void test_spiffe_ids_refused(void **state)
{
	static const struct {
		const char *id;
		const char *why;
	} bad[] = {
		{ "https://td/x", "spiffe://" },
		{ "SPIFFE://td/x", "spiffe://" },
		{ "spiffe:///x", "empty trust domain" },
		{ "spiffe://td", "no path" },
		{ "spiffe://td/", "empty path segment" },
		{ "spiffe://td/a//b", "empty path segment" },
		{ "spiffe://td/a/", "trailing" },
		{ "spiffe://td/./a", "`.` or `..`" },
		{ "spiffe://td/a/..", "`.` or `..`" },
		{ "spiffe://td:8443/x", "trust domain may hold" },
		{ "spiffe://user@td/x", "trust domain may hold" },
		{ "spiffe://TD/x", "trust domain may hold" },
		{ "spiffe://td/x?q=1", "0x3f" },
		{ "spiffe://td/x#f", "0x23" },
		{ "spiffe://td/a%20b", "0x25" },
		{ "spiffe://td/a,URI:spiffe://evil/x", "0x2c" },
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(bad); i++) {
		struct cc_error err = { 0 };
		assert_int_equal(cc_spiffe_id_check(bad[i].id, &err), -EINVAL);
		if (!strstr(err.message, bad[i].why))
			fail_msg("%s: expected \"%s\" in \"%s\"", bad[i].id, bad[i].why, err.message);
	}
	struct cc_error err = { 0 };
	assert_int_equal(cc_spiffe_id_check(NULL, &err), -EINVAL);
}

static void test_spiffe_id_limits_and_control_bytes(void **state)
{
	struct cc_error err = { 0 };
	char long_td[300] = "spiffe://";
	memset(long_td + 9, 'a', 256);
	strcpy(long_td + 9 + 256, "/x");
	assert_int_equal(cc_spiffe_id_check(long_td, &err), -EINVAL);
	assert_non_null(strstr(err.message, "255"));

	char *long_id = calloc(1, 2100);
	strcpy(long_id, "spiffe://td/");
	memset(long_id + 12, 'a', 2040);
	assert_int_equal(cc_spiffe_id_check(long_id, &err), -EINVAL);
	assert_non_null(strstr(err.message, "2048"));
	free(long_id);

	/* A control byte never reaches the message. */
	assert_int_equal(cc_spiffe_id_check("spiffe://td/a\nforged log line", &err), -EINVAL);
	assert_null(strchr(err.message, '\n'));
	assert_non_null(strstr(err.message, "0x0a"));
}

static void test_trust_domains(void **state)
{
	struct cc_error err = { 0 };
	assert_int_equal(cc_spiffe_trust_domain_check("acme.example", &err), 0);
	assert_int_equal(cc_spiffe_trust_domain_check("", &err), -EINVAL);
	assert_int_equal(cc_spiffe_trust_domain_check("acme.example/x", &err), -EINVAL);
	assert_non_null(strstr(err.message, "trust domain `acme.example/x`: the trust domain may hold only"));
	assert_null(strstr(err.message, "SPIFFE ID"));
	assert_int_equal(cc_spiffe_trust_domain_check("Acme", &err), -EINVAL);
	assert_int_equal(cc_spiffe_trust_domain_check(NULL, &err), -EINVAL);
}

static void test_dns_names(void **state)
{
	static const char *const good[] = { "web.shop.svc", "web.shop.svc.cluster.local", "a", "x-1.y2", "A.B" };
	for (size_t i = 0; i < CC_ARRAY_SIZE(good); i++) {
		struct cc_error err = { 0 };
		assert_int_equal(cc_dns_name_check(good[i], &err), 0);
	}
	char label64[80];
	memset(label64, 'a', 64);
	strcpy(label64 + 64, ".svc");
	char name254[300];
	memset(name254, 'a', 254);
	name254[254] = '\0';
	for (int i = 1; i < 254; i += 2)
		name254[i] = '.';
	static const struct {
		const char *name;
		const char *why;
	} bad[] = {
		{ "", "empty" },
		{ "web.svc.", "empty label" },
		{ ".web", "empty label" },
		{ "a..b", "empty label" },
		{ "*.svc", "0x2a" },
		{ "my_svc.ns", "0x5f" },
		{ "-web.ns", "starts or ends" },
		{ "web-.ns", "starts or ends" },
		{ "web.ns,DNS:evil", "0x2c" },
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(bad); i++) {
		struct cc_error err = { 0 };
		assert_int_equal(cc_dns_name_check(bad[i].name, &err), -EINVAL);
		if (!strstr(err.message, bad[i].why))
			fail_msg("%s: expected \"%s\" in \"%s\"", bad[i].name, bad[i].why, err.message);
	}
	struct cc_error err = { 0 };
	assert_int_equal(cc_dns_name_check(label64, &err), -EINVAL);
	assert_non_null(strstr(err.message, "63"));
	assert_int_equal(cc_dns_name_check(name254, &err), -EINVAL);
	assert_non_null(strstr(err.message, "253"));
	name254[253] = '\0'; /* 253 characters, ending in a label */
	assert_int_equal(cc_dns_name_check(name254, &err), 0);
	assert_int_equal(cc_dns_name_check(NULL, &err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spiffe_ids_accepted),
		cmocka_unit_test(test_spiffe_ids_refused),
		cmocka_unit_test(test_spiffe_id_limits_and_control_bytes),
		cmocka_unit_test(test_trust_domains),
		cmocka_unit_test(test_dns_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
