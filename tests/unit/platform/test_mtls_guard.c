/* The mTLS guard's rule text (platform/mtls_guard.h): the pod's own table (established, lo and the
 * gateway accepted, declared ports open to the pod subnet, the rest of the subnet refused) as one
 * replacing transaction, and the platform's mtls-forward chain for guarded pods of required
 * namespaces only, with values that cannot be written safely left out. */
#include "lib/base/buf.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "platform/mtls_guard.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

static json_t *parse(const char *text)
{
	struct cc_error err = { 0 };
	json_t *v;
	if (cc_json_parse(text, strlen(text), CC_JSON_MAX_SIZE, "test", &v, &err) < 0)
		fail_msg("bad test JSON: %s", err.message);
	return v;
}

static void assert_has(const char *text, const char *needle)
{
	if (!strstr(text, needle))
		fail_msg("no `%s` in:\n%s", needle, text);
}

static void test_pod_table(void **state)
{
	(void)state;
	struct platform_mtls_ports ports = { .count = 2, .port = { 8443, 9443 } };
	char *text = platform_mtls_guard_ruleset(&ports, "10.244.0.0/16", "10.244.0.1");
	assert_non_null(text);
	assert_has(text, "table inet cocoon-mtls\ndelete table inet cocoon-mtls\ntable inet cocoon-mtls {\n");
	/* The connection set (step 8): per client address and port, counted, 2 minutes. */
	assert_has(text, "\tset connections {\n\t\ttype ipv4_addr . inet_service; flags dynamic,timeout; timeout 2m; "
			 "counter;\n\t}\n");
	assert_has(text, "\t\ttype filter hook input priority 0; policy accept;\n"
			 "\t\tct state established,related accept\n"
			 "\t\tiif \"lo\" accept\n"
			 "\t\tip saddr 10.244.0.1 accept\n"
			 "\t\tip saddr 10.244.0.0/16 tcp dport { 8443, 9443 } ct state new update @connections { ip "
			 "saddr . tcp dport } accept\n"
			 "\t\tip saddr 10.244.0.0/16 meta l4proto tcp reject with tcp reset\n"
			 "\t\tip saddr 10.244.0.0/16 reject\n");
	free(text);

	/* No port declared: nothing is open to other pods. */
	struct platform_mtls_ports none = { 0 };
	text = platform_mtls_guard_ruleset(&none, "10.251.0.0/24", "10.251.0.1");
	assert_null(strstr(text, "dport"));
	assert_has(text, "ip saddr 10.251.0.0/24 meta l4proto tcp reject with tcp reset");
	free(text);

	assert_null(platform_mtls_guard_ruleset(&ports, "10.244.0.0/16; flush ruleset", "10.244.0.1"));
	assert_null(platform_mtls_guard_ruleset(&ports, "10.244.0.0/16", "10.244.0.1 accept"));
	assert_null(platform_mtls_guard_ruleset(&ports, NULL, "10.244.0.1"));
	assert_string_equal(platform_mtls_guard_removal(), "table inet cocoon-mtls\ndelete table inet cocoon-mtls\n");
}

static void test_forward_rules(void **state)
{
	(void)state;
	json_t *namespaces =
	    parse("[{\"metadata\":{\"name\":\"sec\",\"annotations\":{\"run.cocoon.mtls\":\"required\"}}},"
		  "{\"metadata\":{\"name\":\"mig\",\"annotations\":{\"run.cocoon.mtls\":\"permissive\"}}},"
		  "{\"metadata\":{\"name\":\"plain\"}}]");
	json_t *pods = parse(
	    "[{\"metadata\":{\"namespace\":\"sec\",\"name\":\"a\",\"annotations\":{\"run.cocoon.mtls.ports\":\"9443,"
	    "8443\"}},"
	    "\"status\":{\"phase\":\"Running\",\"podIP\":\"10.244.0.5\"}},"
	    "{\"metadata\":{\"namespace\":\"sec\",\"name\":\"none\"},\"status\":{\"phase\":\"Running\",\"podIP\":"
	    "\"10.244.0.6\"}},"
	    "{\"metadata\":{\"namespace\":\"sec\",\"name\":\"bad\",\"annotations\":{\"run.cocoon.mtls.ports\":\"80; "
	    "accept\"}},\"status\":{\"phase\":\"Running\",\"podIP\":\"10.244.0.7\"}},"
	    "{\"metadata\":{\"namespace\":\"sec\",\"name\":\"forged\"},\"status\":{\"phase\":\"Running\",\"podIP\":"
	    "\"10.244.0.8 accept\"}},"
	    "{\"metadata\":{\"namespace\":\"sec\",\"name\":\"done\"},\"status\":{\"phase\":\"Succeeded\",\"podIP\":"
	    "\"10.244.0.9\"}},"
	    "{\"metadata\":{\"namespace\":\"mig\",\"name\":\"m\"},\"status\":{\"phase\":\"Running\",\"podIP\":"
	    "\"10.244.0.10\"}},"
	    "{\"metadata\":{\"namespace\":\"plain\",\"name\":\"p\"},\"status\":{\"phase\":\"Running\",\"podIP\":"
	    "\"10.244.0.11\"}}]");
	struct cc_buf out = CC_BUF_INIT;
	platform_mtls_forward_rules(pods, namespaces, "10.244.0.0/16", &out);
	assert_non_null(out.data);
	assert_has(out.data, "\tchain mtls-forward {\n\t\ttype filter hook forward priority -10; policy accept;\n"
			     "\t\tct state established,related accept\n");
	assert_has(out.data, "ip saddr 10.244.0.0/16 ip daddr 10.244.0.5 tcp dport != { 8443, 9443 } reject\n"
			     "\t\tip saddr 10.244.0.0/16 ip daddr 10.244.0.5 meta l4proto != tcp reject\n");
	assert_has(out.data, "ip saddr 10.244.0.0/16 ip daddr 10.244.0.6 reject\n");
	/* A malformed list declares nothing (fail closed); forged addresses and finished pods are
	 * left out, as are pods of namespaces that do not require mTLS. */
	assert_has(out.data, "ip saddr 10.244.0.0/16 ip daddr 10.244.0.7 reject\n");
	assert_null(strstr(out.data, "10.244.0.8"));
	assert_null(strstr(out.data, "10.244.0.9"));
	assert_null(strstr(out.data, "10.244.0.10"));
	assert_null(strstr(out.data, "10.244.0.11"));
	cc_buf_free(&out);

	/* Nobody guarded: no chain at all. */
	json_t *plain = parse("[{\"metadata\":{\"name\":\"sec\"}}]");
	platform_mtls_forward_rules(pods, plain, "10.244.0.0/16", &out);
	assert_int_equal(out.len, 0);
	cc_buf_free(&out);

	/* The platform's connection set: a table of its own, declared without deleting it (so its
	 * elements survive the Services' updates), its chain rewritten; guarded pods' declared ports
	 * only. */
	platform_mtls_observe_rules("cocoon-t", pods, namespaces, "10.244.0.0/16", &out);
	assert_has(out.data, "table ip cocoon-t-mtls-connections {\n\tset connections {\n\t\ttype ipv4_addr . "
			     "ipv4_addr . inet_service; flags dynamic,timeout; timeout 2m; counter;\n\t}\n"
			     "\tchain observe {\n\t\ttype filter hook forward priority 10; policy accept;\n\t}\n}\n"
			     "flush chain ip cocoon-t-mtls-connections observe\n");
	assert_has(out.data, "\t\tip saddr 10.244.0.0/16 ip daddr 10.244.0.5 tcp dport { 8443, 9443 } ct state new ct "
			     "status dnat update @connections { ip saddr . ip daddr . tcp dport }\n");
	assert_null(strstr(out.data, "delete table"));
	assert_null(strstr(out.data, "10.244.0.6")); /* nothing declared */
	assert_null(strstr(out.data, "10.244.0.7"));
	assert_null(strstr(out.data, "10.244.0.8"));
	assert_null(strstr(out.data, "10.244.0.10"));
	cc_buf_free(&out);
	platform_mtls_observe_rules("cocoon-t", pods, plain, "10.244.0.0/16", &out);
	assert_string_equal(out.data,
			    "table ip cocoon-t-mtls-connections\ndelete table ip cocoon-t-mtls-connections\n");
	cc_buf_free(&out);
	json_decref(plain);
	json_decref(pods);
	json_decref(namespaces);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pod_table),
		cmocka_unit_test(test_forward_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
