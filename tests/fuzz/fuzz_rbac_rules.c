/* libFuzzer target: RBAC rules (platform/rbac_rules.h), which anyone who may write a Role hands the
 * authorizer. The input is one JSON value [owner rules, servant rules, access]; besides never
 * crashing: rules always cover themselves, and what a rule allows, rules covering it allow too. */
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "platform/rbac_rules.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cc_error err = { 0 };
	json_t *input;
	if (cc_json_parse((const char *)data, size, 1u << 16, "fuzz", &input, &err) < 0)
		return 0;
	json_t *owner = json_array_get(input, 0), *servant = json_array_get(input, 1),
	       *access = json_array_get(input, 2);
	if (json_is_array(owner) && json_is_array(servant) && json_array_size(servant) < 16) {
		json_t *missing = NULL;
		bool covered = platform_rbac_rules_cover(owner, servant, &missing);
		if (covered != (json_array_size(missing) == 0))
			abort();
		json_decref(missing);
		if (json_array_size(owner) < 16 && !platform_rbac_rules_cover(owner, owner, NULL))
			abort();
		const char *str = json_string_value(json_object_get(access, "verb"));
		struct platform_access a = {
			.verb = str ? str : "get",
			.resource_request = json_is_true(json_object_get(access, "resource")),
			.group = json_string_value(json_object_get(access, "group")),
			.resource = json_string_value(json_object_get(access, "resourceName")),
			.subresource = json_string_value(json_object_get(access, "subresource")),
			.name = json_string_value(json_object_get(access, "name")),
			.path = json_string_value(json_object_get(access, "path")),
		};
		size_t i;
		json_t *rule;
		json_array_foreach (servant, i, rule) {
			char *text = platform_rbac_rule_text(rule);
			free(text);
			bool allowed = platform_rbac_rule_allows(rule, &a);
			if (allowed && covered) {
				bool held = false;
				for (size_t o = 0; o < json_array_size(owner) && !held; o++)
					held = platform_rbac_rule_allows(json_array_get(owner, o), &a);
				if (!held)
					abort();
			}
		}
	}
	json_decref(input);
	return 0;
}
