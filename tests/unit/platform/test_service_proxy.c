/* The Services' nftables ruleset (platform/service_proxy.h): each port of a Service with ready
 * endpoints spread at random over them (named target ports resolved through the Endpoints), a port
 * without any rejected, headless Services and not-ready addresses left out, and the whole table
 * replaced in one transaction. */
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "platform/service_proxy.h"
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

static void test_ruleset(void **state)
{
	json_t *services = parse(
	    "[{\"metadata\":{\"namespace\":\"default\",\"name\":\"api\"},\"spec\":{\"clusterIP\":\"10.96.0.10\","
	    "\"ports\":[{\"name\":\"web\",\"port\":80,\"protocol\":\"TCP\"},{\"name\":\"dns\",\"port\":53,\"protocol\":"
	    "\"UDP\"}]}},"
	    "{\"metadata\":{\"namespace\":\"default\",\"name\":\"empty\"},\"spec\":{\"clusterIP\":\"10.96.0.11\","
	    "\"ports\":[{\"port\":443,\"protocol\":\"TCP\"}]}},"
	    "{\"metadata\":{\"namespace\":\"default\",\"name\":\"headless\"},\"spec\":{\"clusterIP\":\"None\","
	    "\"ports\":[{\"port\":80}]}}]");
	json_t *endpoints =
	    parse("[{\"metadata\":{\"namespace\":\"default\",\"name\":\"api\"},\"subsets\":[{\"addresses\":[{\"ip\":"
		  "\"10.244.0."
		  "5\"},{\"ip\":\"10.244.0.6\"}],\"notReadyAddresses\":[{\"ip\":\"10.244.0.7\"}],\"ports\":[{\"name\":"
		  "\"web\","
		  "\"port\":8080,\"protocol\":\"TCP\"},{\"name\":\"dns\",\"port\":5353,\"protocol\":\"UDP\"}]}]}]");
	char *text = platform_service_proxy_ruleset("cocoon", services, endpoints);
	assert_has(text, "table ip cocoon\ndelete table ip cocoon\ntable ip cocoon {\n");
	assert_has(text, "ip daddr 10.96.0.10 tcp dport 80 goto svc-0");
	assert_has(text, "numgen random mod 2 vmap { 0 : goto ep-0-0, 1 : goto ep-0-1 }");
	assert_has(text, "meta l4proto tcp dnat to 10.244.0.5:8080");
	assert_has(text, "meta l4proto tcp dnat to 10.244.0.6:8080");
	assert_has(text, "ip daddr 10.96.0.10 udp dport 53 goto svc-1");
	assert_has(text, "meta l4proto udp dnat to 10.244.0.5:5353");
	assert_has(text, "ip daddr 10.96.0.11 tcp dport 443 reject");
	assert_null(strstr(text, "10.244.0.7")); /* not ready */
	assert_null(strstr(text, "None"));
	assert_has(text, "masquerade");
	free(text);
	json_decref(services);
	json_decref(endpoints);
}

/* A NodePort Service with ClientIP affinity: the node port on the host's addresses, one set of
 * clients per endpoint, consulted before the random pick and refreshed by each new connection. */
static void test_node_port_and_affinity(void **state)
{
	json_t *services =
	    parse("[{\"metadata\":{\"namespace\":\"default\",\"name\":\"api\"},\"spec\":{\"clusterIP\":"
		  "\"10.96.0.10\",\"type\":\"NodePort\",\"sessionAffinity\":\"ClientIP\",\"sessionAffinityConfig\":"
		  "{\"clientIP\":{\"timeoutSeconds\":600}},\"ports\":[{\"port\":80,\"nodePort\":30080}]}}]");
	json_t *endpoints =
	    parse("[{\"metadata\":{\"namespace\":\"default\",\"name\":\"api\"},\"subsets\":[{"
		  "\"addresses\":[{\"ip\":\"10.244.0.5\"},{\"ip\":\"10.244.0.6\"}],\"ports\":[{\"port\":8080}]}]}]");
	char *text = platform_service_proxy_ruleset("cocoon", services, endpoints);
	assert_has(text, "tcp dport 30080 goto svc-0");
	assert_has(text, "fib daddr type local jump nodeports");
	assert_has(text, "set aff-0-1 {\n\t\ttype ipv4_addr; flags dynamic,timeout; timeout 600s;");
	assert_has(text, "ip saddr @aff-0-0 goto ep-0-0");
	assert_has(text, "update @aff-0-1 { ip saddr }");
	free(text);
	json_decref(services);
	json_decref(endpoints);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ruleset),
		cmocka_unit_test(test_node_port_and_affinity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
