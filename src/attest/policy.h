/* Appraisal policy: reference values checked against the normalized claims of any evidence kind
 * (docs/attest.md). A policy is YAML or JSON:
 *
 *   rules:
 *   - {claim: policy.debug, equals: false}
 *   - {claim: measurement, oneOf: [b07af962..., 3f1a...]}
 *   - {claim: reported_tcb.snp, atLeast: 5}
 *   - {claim: vmpl, atMost: 0}
 *
 * A claim is a dotted path into the claims. Every rule is evaluated and reported; the verdict is
 * "allow" only when all hold. A claim the evidence does not carry fails its rule (fail closed). */
#pragma once

#include <jansson.h>
#include <stdbool.h>

struct cc_error;

/* Loads and checks a policy file: unknown keys, rules without a claim or with no or several
 * operators are errors. */
int attest_policy_load(const char *path, json_t **ret_policy, struct cc_error *err);
/* The same from YAML or JSON text; what names it in errors. */
int attest_policy_parse(const char *data, size_t len, const char *what, json_t **ret_policy, struct cc_error *err);

#define ATTEST_POLICY_MAX (256u * 1024)

/* Evaluates policy against claims: *ret_report is {"verdict": "allow"|"deny", "rules": [{"claim",
 * "ok", "reason"}...]}. Returns true when every rule holds. */
bool attest_policy_evaluate(const json_t *policy, const json_t *claims, json_t **ret_report);
