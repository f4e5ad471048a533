/* libFuzzer target: the policy engine (src/scan/policy*.c). The first byte chooses what the rest is:
 *   0  a policy file (YAML), loaded and, when it loads, judged against fixed facts at every stage;
 *   1  facts (JSON), judged by the default policy set;
 *   2  a policy file and facts, separated by the first NUL byte.
 * A refused load leaves the set empty and says why; an evaluation either fails with a message or
 * returns violations of the documented shape, whose blocking answer agrees with their enforcement. */
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "scan/policy.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char fixed_facts[] =
    "{\"stage\": \"deploy\", \"now\": \"2025-01-01T00:00:00Z\","
    " \"image\": {\"image\": {\"repo_tags\": [\"a/b:1\"], \"config\": {\"created\": \"2024-01-01T00:00:00Z\","
    "   \"config\": {\"User\": \"\", \"Env\": [\"A=1\", \"TOKEN=x\"], \"ExposedPorts\": {\"22/tcp\": {}}}}},"
    "  \"os\": {\"id\": \"debian\", \"version_id\": \"12\"},"
    "  \"packages\": [{\"name\": \"curl\", \"version\": \"1\"}],"
    "  \"findings\": [{\"id\": \"CVE-1\", \"package\": \"curl\", \"installed_version\": \"1\", \"fixed_version\": "
    "\"2\","
    "    \"status\": \"fixed\", \"severity\": \"high\", \"cvss\": 7.5}],"
    "  \"malware\": [{\"path\": \"/x\", \"signature\": \"S\"}], \"secrets\": [{\"path\": \"/y\", \"rule\": \"r\"}],"
    "  \"misconfigurations\": [{\"id\": \"M\", \"severity\": \"high\", \"category\": \"c\"}]},"
    " \"workload\": {\"kind\": \"Pod\", \"namespace\": \"n\", \"name\": \"p\", \"labels\": {\"a\": \"b\"},"
    "  \"annotations\": {\"c\": \"d\"}, \"podSpec\": {\"hostNetwork\": true, \"runtimeClassName\": \"cocoon\","
    "   \"volumes\": [{\"name\": \"v\", \"hostPath\": {\"path\": \"/etc\"}}],"
    "   \"containers\": [{\"name\": \"c\", \"image\": \"a/b:1\", \"env\": [{\"name\": \"K\", \"value\": \"V\"}],"
    "     \"ports\": [{\"containerPort\": 80}], \"securityContext\": {\"privileged\": true,"
    "     \"capabilities\": {\"add\": [\"SYS_ADMIN\"], \"drop\": [\"ALL\"]}}}]}}}";

static void check_violations(const json_t *violations, enum scan_policy_stage stage)
{
	if (!json_is_array(violations))
		abort();
	bool blocks = false;
	size_t i;
	json_t *v;
	json_array_foreach ((json_t *)violations, i, v) {
		const char *policy = json_string_value(json_object_get(v, "policy"));
		const char *at = json_string_value(json_object_get(v, "stage"));
		const char *e = json_string_value(json_object_get(v, "enforcement"));
		json_t *messages = json_object_get(v, "messages");
		if (!policy || !at || !e || !json_is_string(json_object_get(v, "section")) ||
		    !json_is_array(messages) || json_array_size(messages) > 51 ||
		    strcmp(at, scan_policy_stage_name(stage)) != 0)
			abort();
		blocks |= strcmp(e, stage == SCAN_POLICY_STAGE_BUILD ? "fail" : "deny") == 0;
	}
	if (blocks != scan_policy_blocks(violations, stage))
		abort();
	char *refusal = scan_policy_refusal(violations, stage);
	if ((refusal != NULL) != blocks)
		abort();
	free(refusal);
}

static void evaluate(const struct scan_policy_set *set, json_t *facts)
{
	json_t *violations = NULL;
	struct cc_error err = { 0 };
	int r = scan_policy_evaluate(set, facts, &violations, &err);
	if (r < 0) {
		if (!err.code || !err.message[0] || violations)
			abort();
		return;
	}
	enum scan_policy_stage stage;
	if (scan_policy_stage_parse(json_string_value(json_object_get(facts, "stage")), &stage) < 0)
		abort(); /* evaluated facts without a stage */
	check_violations(violations, stage);
	json_decref(violations);
}

static struct scan_policy_set *load(const char *data, size_t size)
{
	struct scan_policy_set *set = scan_policy_set_new();
	struct cc_error err = { 0 };
	if (scan_policy_load_data(set, data, size, "fuzz.yaml", &err) < 0) {
		if (!err.code || !err.message[0] || scan_policy_set_size(set) != 0)
			abort();
		scan_policy_set_free(set);
		return NULL;
	}
	json_t *list = scan_policy_set_json(set);
	if (json_array_size(list) != scan_policy_set_size(set))
		abort();
	json_decref(list);
	return set;
}

static json_t *parse_facts(const char *data, size_t size)
{
	json_t *facts = NULL;
	struct cc_error err = { 0 };
	if (cc_json_parse(data, size, CC_JSON_MAX_SIZE, "fuzz facts", &facts, &err) < 0)
		return NULL;
	return facts;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct scan_policy_set *defaults;
	if (!defaults) {
		struct cc_error err = { 0 };
		defaults = scan_policy_set_new();
		if (scan_policy_load_default(defaults, &err) < 0)
			abort();
	}
	if (size < 1)
		return 0;
	const char *rest = (const char *)data + 1;
	size_t len = size - 1;
	switch (data[0] % 3) {
	case 0: {
		struct scan_policy_set *set = load(rest, len);
		if (!set)
			return 0;
		json_t *facts = parse_facts(fixed_facts, sizeof(fixed_facts) - 1);
		for (int st = 0; st < SCAN_POLICY_STAGE_MAX; st++) {
			json_object_set_new(facts, "stage",
					    json_string(scan_policy_stage_name((enum scan_policy_stage)st)));
			evaluate(set, facts);
		}
		json_decref(facts);
		scan_policy_set_free(set);
		return 0;
	}
	case 1: {
		json_t *facts = parse_facts(rest, len);
		if (facts)
			evaluate(defaults, facts);
		json_decref(facts);
		return 0;
	}
	default: {
		const char *nul = memchr(rest, '\0', len);
		if (!nul)
			return 0;
		size_t policy_len = (size_t)(nul - rest);
		struct scan_policy_set *set = load(rest, policy_len);
		if (!set)
			return 0;
		json_t *facts = parse_facts(nul + 1, len - policy_len - 1);
		if (facts)
			evaluate(set, facts);
		json_decref(facts);
		scan_policy_set_free(set);
		return 0;
	}
	}
}
