/* Appraisal policy evaluation (see policy.h). */
#include "attest/policy.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/json/yaml.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const operators[] = { "equals", "oneOf", "atLeast", "atMost" };

static int check_rule(const json_t *rule, size_t index, struct cc_error *err)
{
	if (!json_is_object(rule) || !json_is_string(json_object_get(rule, "claim")))
		return cc_error_set(err, EINVAL, "rules[%zu] needs a `claim`", index);
	size_t found = 0;
	const char *key;
	json_t *value;
	json_object_foreach ((json_t *)rule, key, value) {
		bool known = strcmp(key, "claim") == 0;
		for (size_t i = 0; i < CC_ARRAY_SIZE(operators); i++) {
			if (strcmp(key, operators[i]) == 0) {
				known = true;
				found++;
			}
		}
		if (!known)
			return cc_error_set(err, EINVAL, "rules[%zu]: unknown key `%s`", index, key);
	}
	if (found != 1)
		return cc_error_set(err, EINVAL, "rules[%zu] needs exactly one of equals, oneOf, atLeast, atMost",
				    index);
	json_t *one_of = json_object_get(rule, "oneOf");
	if (one_of && !json_is_array(one_of))
		return cc_error_set(err, EINVAL, "rules[%zu]: `oneOf` must be a list", index);
	json_t *bound =
	    json_object_get(rule, "atLeast") ? json_object_get(rule, "atLeast") : json_object_get(rule, "atMost");
	if (bound && !json_is_integer(bound))
		return cc_error_set(err, EINVAL, "rules[%zu]: `atLeast`/`atMost` must be an integer", index);
	return 0;
}

int attest_policy_parse(const char *data, size_t len, const char *what, json_t **ret_policy, struct cc_error *err)
{
	json_t *docs;
	int r = cc_yaml_parse_stream(data, len, what, &docs, err);
	if (r < 0)
		return r;
	json_t *policy = json_array_size(docs) == 1 ? json_incref(json_array_get(docs, 0)) : NULL;
	json_decref(docs);
	json_t *rules = json_object_get(policy, "rules");
	if (!json_is_object(policy) || !json_is_array(rules) || json_object_size(policy) != 1 ||
	    json_array_size(rules) == 0) {
		json_decref(policy);
		return cc_error_set(err, EINVAL, "%s: a policy is one mapping with a non-empty `rules` list", what);
	}
	size_t i;
	json_t *rule;
	json_array_foreach (rules, i, rule) {
		if ((r = check_rule(rule, i, err)) < 0) {
			json_decref(policy);
			return cc_error_prefix(err, "%s", what);
		}
	}
	*ret_policy = policy;
	return 0;
}

int attest_policy_load(const char *path, json_t **ret_policy, struct cc_error *err)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	int r = cc_read_file(path, ATTEST_POLICY_MAX, &data, &len, err);
	if (r < 0)
		return r;
	return attest_policy_parse(data, len, path, ret_policy, err);
}

static const json_t *claim_at(const json_t *claims, const char *path)
{
	char part[128];
	const json_t *v = claims;
	while (v && *path) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof(part))
			return NULL;
		memcpy(part, path, n);
		part[n] = '\0';
		/* A number selects an array element: containers.0.measurement. */
		v = json_is_array(v) && n > 0 && strspn(part, "0123456789") == n
			? json_array_get(v, strtoul(part, NULL, 10))
			: json_object_get(v, part);
		path += n + (path[n] == '.');
	}
	return v;
}

/* Hex claims compare without regard to case, so reference values can be pasted either way. */
static bool same_value(const json_t *a, const json_t *b)
{
	if (json_is_string(a) && json_is_string(b))
		return strcasecmp(json_string_value(a), json_string_value(b)) == 0;
	return json_equal((json_t *)a, (json_t *)b);
}

static bool evaluate_rule(const json_t *rule, const json_t *claims, char *reason, size_t size);

/* claim: "containers.*.measurement": the rule must hold for every element of the array before the
 * `*` (and an empty or missing array fails: nothing was shown to be allowed). */
static bool evaluate_each(const json_t *rule, const json_t *claims, const char *name, const char *star, char *reason,
			  size_t size)
{
	char head[256];
	size_t n = (size_t)(star - name);
	if (n == 0 || n > sizeof(head))
		return snprintf(reason, size, "claim `%s` has no array before `*`", name), false;
	memcpy(head, name, n - 1);
	head[n - 1] = '\0';
	const json_t *array = claim_at(claims, head);
	if (!json_is_array(array) || json_array_size(array) == 0) {
		snprintf(reason, size, "the evidence has no elements in `%s`", head);
		return false;
	}
	const char *rest = star[1] == '.' ? star + 2 : star + 1;
	json_t *inner = json_deep_copy(rule);
	size_t i;
	json_t *element;
	bool ok = true;
	json_array_foreach ((json_t *)array, i, element) {
		json_t *wrapper = json_pack("{s:O}", "e", element);
		_cleanup_free_ char *path = cc_xasprintf(*rest ? "e.%s" : "e", rest);
		json_object_set_new(inner, "claim", json_string(path));
		char why[400];
		ok = evaluate_rule(inner, wrapper, why, sizeof(why));
		json_decref(wrapper);
		if (!ok) {
			snprintf(reason, size, "%s[%zu]: %s", head, i, why + (strncmp(why, "e.", 2) == 0 ? 2 : 0));
			break;
		}
	}
	if (ok)
		snprintf(reason, size, "all %zu elements of %s hold", json_array_size(array), head);
	json_decref(inner);
	return ok;
}

static bool evaluate_rule(const json_t *rule, const json_t *claims, char *reason, size_t size)
{
	const char *name = json_string_value(json_object_get(rule, "claim"));
	const char *star = strstr(name, "*");
	if (star && (star == name || star[-1] == '.'))
		return evaluate_each(rule, claims, name, star, reason, size);
	const json_t *value = claim_at(claims, name);
	json_t *expected;
	if (!value) {
		snprintf(reason, size, "the evidence has no claim `%s`", name);
		return false;
	}
	_cleanup_free_ char *shown = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
	if ((expected = json_object_get(rule, "equals"))) {
		bool ok = same_value(value, expected);
		snprintf(reason, size, "%s is %s%s", name, shown, ok ? "" : ", not the required value");
		return ok;
	}
	if ((expected = json_object_get(rule, "oneOf"))) {
		size_t i;
		json_t *item;
		json_array_foreach (expected, i, item)
			if (same_value(value, item)) {
				snprintf(reason, size, "%s is allowed value %zu", name, i + 1);
				return true;
			}
		snprintf(reason, size, "%s is %s, which is not among the %zu allowed values", name, shown,
			 json_array_size(expected));
		return false;
	}
	bool at_least = json_object_get(rule, "atLeast") != NULL;
	json_int_t bound = json_integer_value(json_object_get(rule, at_least ? "atLeast" : "atMost"));
	if (!json_is_integer(value)) {
		snprintf(reason, size, "%s is %s, not a number", name, shown);
		return false;
	}
	json_int_t v = json_integer_value(value);
	bool ok = at_least ? v >= bound : v <= bound;
	snprintf(reason, size, "%s is %lld, %s %s %lld", name, (long long)v, ok ? "within" : "outside",
		 at_least ? "the minimum" : "the maximum", (long long)bound);
	return ok;
}

bool attest_policy_evaluate(const json_t *policy, const json_t *claims, json_t **ret_report)
{
	json_t *results = json_array();
	bool all = true;
	size_t i;
	json_t *rule;
	json_array_foreach (json_object_get(policy, "rules"), i, rule) {
		char reason[512];
		bool ok = evaluate_rule(rule, claims, reason, sizeof(reason));
		all = all && ok;
		json_array_append_new(results, json_pack("{s:O, s:b, s:s}", "claim", json_object_get(rule, "claim"),
							 "ok", (int)ok, "reason", reason));
	}
	*ret_report = json_pack("{s:s, s:o}", "verdict", all ? "allow" : "deny", "rules", results);
	return all;
}
