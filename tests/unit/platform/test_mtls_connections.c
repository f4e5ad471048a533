/* The mTLS guard's connection sets read from nft's JSON listings (platform/mtls_connections.h):
 * a pod's `ip saddr . tcp dport` set and the platform's `ip saddr . ip daddr . tcp dport` set, with
 * and without per-element counters, elements of another shape skipped, and text that is not a set
 * listing refused. The listings are nft 1.0.6's own output. */
#include "lib/base/error.h"
#include "platform/mtls_connections.h"
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int parse(const char *text, struct platform_mtls_connection **ret, size_t *n)
{
	struct cc_error err = { 0 };
	return platform_mtls_connections_parse(text, strlen(text), ret, n, &err);
}

static void test_pod_set(void **state)
{
	(void)state;
	const char *text =
	    "{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\", \"release_name\": \"Lester Gooch #5\", "
	    "\"json_schema_version\": 1}}, {\"set\": {\"family\": \"inet\", \"name\": \"connections\", \"table\": "
	    "\"cocoon-mtls\", \"type\": [\"ipv4_addr\", \"inet_service\"], \"handle\": 2, \"size\": 65535, \"flags\": "
	    "[\"timeout\"], \"timeout\": 120, \"elem\": [{\"elem\": {\"val\": {\"concat\": [\"10.249.0.7\", 8443]}, "
	    "\"expires\": 119, \"counter\": {\"packets\": 3, \"bytes\": 180}}}, {\"elem\": {\"val\": {\"concat\": "
	    "[\"10.249.0.9\", 9443]}, \"expires\": 20, \"counter\": {\"packets\": 1, \"bytes\": 60}}}], \"stmt\": "
	    "[{\"counter\": null}]}}]}";
	struct platform_mtls_connection *c = NULL;
	size_t n = 0;
	assert_int_equal(parse(text, &c, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(c[0].client, "10.249.0.7");
	assert_string_equal(c[0].server, "");
	assert_int_equal(c[0].port, 8443);
	assert_int_equal(c[0].count, 3);
	assert_string_equal(c[1].client, "10.249.0.9");
	assert_int_equal(c[1].port, 9443);
	assert_int_equal(c[1].count, 1);
	free(c);
}

static void test_platform_set(void **state)
{
	(void)state;
	/* Three parts; an element without attributes is its value alone (no counter: -1). */
	const char *text = "{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\"}}, {\"set\": {\"family\": \"ip\", "
			   "\"name\": \"connections\", \"table\": \"cocoon-cctest9-mtls-connections\", \"type\": "
			   "[\"ipv4_addr\", \"ipv4_addr\", \"inet_service\"], \"elem\": [{\"elem\": {\"val\": "
			   "{\"concat\": [\"10.249.0.7\", \"10.249.0.5\", 8443]}, \"counter\": {\"packets\": 2, "
			   "\"bytes\": 120}}}, {\"concat\": [\"10.249.0.8\", \"10.249.0.5\", 443]}]}}]}";
	struct platform_mtls_connection *c = NULL;
	size_t n = 0;
	assert_int_equal(parse(text, &c, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(c[0].client, "10.249.0.7");
	assert_string_equal(c[0].server, "10.249.0.5");
	assert_int_equal(c[0].port, 8443);
	assert_int_equal(c[0].count, 2);
	assert_string_equal(c[1].client, "10.249.0.8");
	assert_string_equal(c[1].server, "10.249.0.5");
	assert_int_equal(c[1].port, 443);
	assert_int_equal(c[1].count, -1);
	free(c);
}

static void test_empty_and_odd_elements(void **state)
{
	(void)state;
	struct platform_mtls_connection *c = NULL;
	size_t n = 7;
	/* A set without elements has no `elem`. */
	assert_int_equal(parse("{\"nftables\": [{\"metainfo\": {}}, {\"set\": {\"name\": \"connections\"}}]}", &c, &n),
			 0);
	assert_int_equal(n, 0);
	assert_null(c);
	/* Skipped: one part, four parts, an IPv6 or malformed address, ports 0 and 65536, a string port,
	 * a negative counter (kept, as "no counter"). */
	const char *text =
	    "{\"nftables\": [{\"set\": {\"elem\": [{\"concat\": [\"10.0.0.1\"]}, {\"concat\": [\"10.0.0.1\", "
	    "\"10.0.0.2\", \"10.0.0.3\", 1]}, {\"concat\": [\"fe80::1\", 80]}, {\"concat\": [\"10.0.0.1; flush "
	    "ruleset\", 80]}, {\"concat\": [\"10.0.0.1\", 0]}, {\"concat\": [\"10.0.0.1\", 65536]}, {\"concat\": "
	    "[\"10.0.0.1\", \"80\"]}, \"10.0.0.1\", {\"elem\": {\"val\": {\"concat\": [\"10.0.0.4\", 80]}, "
	    "\"counter\": {\"packets\": -5}}}]}}]}";
	assert_int_equal(parse(text, &c, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(c[0].client, "10.0.0.4");
	assert_int_equal(c[0].port, 80);
	assert_int_equal(c[0].count, -1);
	free(c);
}

static void test_not_a_listing(void **state)
{
	(void)state;
	struct platform_mtls_connection *c = NULL;
	size_t n = 0;
	assert_int_equal(parse("", &c, &n), -EINVAL);
	assert_int_equal(parse("[]", &c, &n), -EINVAL);
	assert_int_equal(parse("{\"nftables\": {}}", &c, &n), -EINVAL);
	assert_int_equal(parse("{\"nftables\": [{\"metainfo\": {}}]}", &c, &n), -EINVAL);
	assert_int_equal(parse("{\"nftables\": [{\"set\": {\"elem\": {}}}]}", &c, &n), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pod_set),
		cmocka_unit_test(test_platform_set),
		cmocka_unit_test(test_empty_and_odd_elements),
		cmocka_unit_test(test_not_a_listing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
