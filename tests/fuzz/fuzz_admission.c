/* libFuzzer target: the AdmissionReview decoder and decision (src/scan/admission.c) with the
 * default policies and no scan reports. Either a clear refusal of the body, or an AdmissionReview
 * answer that echoes the uid and says allowed or not, with a 403 status when not. */
#include "lib/base/error.h"
#include "scan/admission.h"
#include "scan/policy.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct scan_policy_set *policies;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!policies) {
		policies = scan_policy_set_new();
		if (scan_policy_load_default(policies, NULL) < 0)
			abort();
	}
	struct scan_admission_config cfg = { .policies = policies,
					     .level = SCAN_PSS_RESTRICTED,
					     .runtime_class = "cocoon",
					     .mutate_runtime_class = true,
					     .mutate_seccomp = true,
					     .mutate_capabilities = true,
					     .allow_unscanned = size && data[0] & 1 };
	struct scan_admission_outcome out;
	struct cc_error err = { 0 };
	if (scan_admission_review(&cfg, (const char *)data, size, size && data[0] & 2, &out, &err) < 0) {
		if (!err.code || !err.message[0])
			abort();
		return 0;
	}
	json_t *resp = json_object_get(out.review, "response");
	if (!json_string_value(json_object_get(resp, "uid")) || !json_is_boolean(json_object_get(resp, "allowed")) ||
	    json_is_true(json_object_get(resp, "allowed")) != out.allowed || !out.reason || !out.object)
		abort();
	if (!out.allowed && json_integer_value(json_object_get(json_object_get(resp, "status"), "code")) != 403)
		abort();
	scan_admission_outcome_clear(&out);
	return 0;
}
