/* Helpers of the policy engine's tests (test_policy*.c): one-criterion policies written in a line,
 * facts put together from a report and a workload, and checks on the violations. */
#pragma once

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "scan/policy.h"
#include "unit.h"

#include <stdarg.h>

/* A set of the policies of yaml (no default set); fails the test when they do not load. */
static inline struct scan_policy_set *unit_policies(const char *yaml)
{
	struct scan_policy_set *set = scan_policy_set_new();
	struct cc_error err = { 0 };
	if (scan_policy_load_data(set, yaml, strlen(yaml), "test.yaml", &err) < 0)
		fail_msg("policies did not load: %s\n%s", err.message, yaml);
	return set;
}

/* A policy named `t` with one section of the criteria given (YAML flow mappings, one per argument,
 * NULL-terminated) at the stages given ("build", "[deploy, runtime]"). */
static inline char *unit_policy_yaml(const char *stages, const char *criterion, ...)
{
	char *criteria = cc_xstrdup(criterion);
	va_list ap;
	va_start(ap, criterion);
	for (const char *c; (c = va_arg(ap, const char *));) {
		char *more = cc_xasprintf("%s, %s", criteria, c);
		free(criteria);
		criteria = more;
	}
	va_end(ap);
	char *yaml =
	    cc_xasprintf("apiVersion: cocoon.dev/v1\n"
			 "kind: SecurityPolicy\n"
			 "metadata: {name: t}\n"
			 "spec: {severity: high, lifecycleStages: %s, sections: [{name: s, criteria: [%s]}]}\n",
			 stages, criteria);
	free(criteria);
	return yaml;
}

static inline json_t *unit_json(const char *text)
{
	json_t *v = NULL;
	struct cc_error err = { 0 };
	if (cc_json_parse(text, strlen(text), CC_JSON_MAX_SIZE, "test facts", &v, &err) < 0)
		fail_msg("bad JSON in the test: %s\n%s", err.message, text);
	return v;
}

/* The violations of set for facts (JSON text); fails the test on an error. */
static inline json_t *unit_evaluate(const struct scan_policy_set *set, const char *facts_text)
{
	_cleanup_json_ json_t *facts = unit_json(facts_text);
	json_t *violations = NULL;
	struct cc_error err = { 0 };
	if (scan_policy_evaluate(set, facts, &violations, &err) < 0)
		fail_msg("evaluation failed: %s", err.message);
	return violations;
}

/* The messages of the one-criterion-section policy `t` for facts, or NULL when it did not match. */
static inline json_t *unit_messages(const char *stages, const char *facts, const char *criterion, ...)
{
	char *criteria = cc_xstrdup(criterion);
	va_list ap;
	va_start(ap, criterion);
	for (const char *c; (c = va_arg(ap, const char *));) {
		char *more = cc_xasprintf("%s, %s", criteria, c);
		free(criteria);
		criteria = more;
	}
	va_end(ap);
	char *yaml = unit_policy_yaml(stages, criteria, NULL);
	free(criteria);
	struct scan_policy_set *set = unit_policies(yaml);
	free(yaml);
	json_t *violations = unit_evaluate(set, facts);
	scan_policy_set_free(set);
	json_t *messages = json_array_size(violations)
			       ? json_incref(json_object_get(json_array_get(violations, 0), "messages"))
			       : NULL;
	json_decref(violations);
	return messages;
}

/* Asserts the messages are exactly those given (NULL-terminated), in order. */
static inline void unit_assert_messages(json_t *messages, ...)
{
	if (!messages)
		fail_msg("the policy did not match");
	va_list ap;
	va_start(ap, messages);
	size_t i = 0;
	for (const char *want; (want = va_arg(ap, const char *)); i++) {
		const char *got = json_string_value(json_array_get(messages, i));
		if (!got || strcmp(got, want) != 0) {
			char *all = json_dumps(messages, 0);
			fail_msg("message %zu: want `%s`, got %s", i, want, all);
		}
	}
	va_end(ap);
	if (json_array_size(messages) != i) {
		char *all = json_dumps(messages, 0);
		fail_msg("want %zu messages, got %s", i, all);
	}
	json_decref(messages);
}

static inline void unit_assert_no_match(json_t *messages)
{
	if (messages) {
		char *all = json_dumps(messages, 0);
		fail_msg("the policy matched: %s", all);
	}
}

/* A load refused with EINVAL (or code) and a message holding every word given (NULL-terminated). */
static inline void unit_assert_load_refused(const char *yaml, int code, ...)
{
	struct scan_policy_set *set = scan_policy_set_new();
	struct cc_error err = { 0 };
	int r = scan_policy_load_data(set, yaml, strlen(yaml), "bad.yaml", &err);
	if (r != -code)
		fail_msg("want %d, got %d (%s) for\n%s", -code, r, err.message, yaml);
	assert_int_equal(err.code, code);
	assert_int_equal(scan_policy_set_size(set), 0);
	va_list ap;
	va_start(ap, code);
	for (const char *word; (word = va_arg(ap, const char *));)
		if (!strstr(err.message, word))
			fail_msg("`%s` not in the message: %s", word, err.message);
	va_end(ap);
	scan_policy_set_free(set);
}
