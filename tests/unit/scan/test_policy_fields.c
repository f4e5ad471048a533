/* scan/policy_fields.c: the catalogue holds every field the issue names, each complete (type, entity,
 * stages that fit its entity, an extractor, phrases for messages); lookup by name; severities and
 * capabilities as compared; how each kind of item reads in a message. The extractors are tested
 * field by field in test_policy_extract.c and test_policy_extract_pod.c. */
#include "lib/base/buf.h"
#include "policy_unit.h"
#include "scan/policy_internal.h"

static void test_catalogue_is_complete(void **state)
{
	(void)state;
	static const char *const required[] = {
		"CVE",
		"Severity",
		"CVSS",
		"Fixable",
		"Fixed By",
		"Package Name",
		"Package Version",
		"Malware",
		"Secret",
		"Misconfiguration",
		"Image Tag",
		"Image Registry",
		"Image Remote",
		"Image User",
		"Image Age",
		"Environment Variable",
		"Privileged Container",
		"Add Capabilities",
		"Drop Capabilities",
		"Host Network",
		"Host PID",
		"Host IPC",
		"Volume Type",
		"Host Path",
		"Runtime Class",
		"Read-Only Root Filesystem",
		"Run As Non Root",
		"Allow Privilege Escalation",
		"Namespace",
		"Workload Label",
		"Workload Annotation",
		"Image Referenced By Digest",
		"Container Port",
		"Exposed Port",
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(required); i++)
		if (!policy_field_find(required[i]))
			fail_msg("no field `%s`", required[i]);
	for (size_t i = 0; i < policy_fields_count; i++) {
		const struct policy_field *f = &policy_fields[i];
		assert_non_null(f->extract);
		assert_non_null(f->description);
		assert_true(f->type < POLICY_TYPE_MAX);
		assert_true(f->stages != 0);
		/* Names are unique, also without case. */
		assert_ptr_equal(policy_field_find(f->name), f);
		/* A workload's fields cannot be judged at build, where there is no workload. */
		bool workload = f->entity == POLICY_ENTITY_WORKLOAD || f->entity == POLICY_ENTITY_VOLUME;
		if (workload)
			assert_false(f->stages & POLICY_STAGE_BIT(SCAN_POLICY_STAGE_BUILD));
		/* Items are described by their own description; the rest by their phrases. */
		bool item = f->entity >= POLICY_ENTITY_FINDING;
		if (item) {
			assert_null(f->phrase);
		} else {
			assert_non_null(f->phrase);
			assert_non_null(f->phrase_not);
			if (f->type != POLICY_TYPE_BOOL && !strstr(f->phrase, "%s"))
				fail_msg("`%s`: the phrase has no %%s for the value", f->name);
		}
	}
}

static void test_lookup(void **state)
{
	(void)state;
	assert_string_equal(policy_field_find("host pid")->name, "Host PID");
	assert_string_equal(policy_field_find("READ-ONLY ROOT FILESYSTEM")->name, "Read-Only Root Filesystem");
	assert_null(policy_field_find("Host"));
	assert_null(policy_field_find(""));
	assert_string_equal(policy_type_name(POLICY_TYPE_SEVERITY), "severity");
}

static void test_severities_and_capabilities(void **state)
{
	(void)state;
	assert_int_equal(policy_severity_rank("unknown"), 0);
	assert_int_equal(policy_severity_rank("negligible"), 1);
	assert_int_equal(policy_severity_rank("critical"), 5);
	assert_int_equal(policy_severity_rank("Critical"), -1);
	assert_int_equal(policy_severity_rank(NULL), -1);
	assert_string_equal(policy_severity_name(4), "high");
	assert_string_equal(policy_severity_name(9), "unknown");
	char cap[] = "cap_sys_admin", plain[] = "net_raw", caps[] = "CAP_";
	policy_capability_normalize(cap);
	policy_capability_normalize(plain);
	policy_capability_normalize(caps);
	assert_string_equal(cap, "SYS_ADMIN");
	assert_string_equal(plain, "NET_RAW");
	assert_string_equal(caps, "");
}

static void describe(enum policy_entity kind, const char *item, const char *want)
{
	_cleanup_json_ json_t *v = unit_json(item);
	_cleanup_buf_ struct cc_buf out = CC_BUF_INIT;
	policy_item_describe(&out, kind, v);
	if (!out.data || strcmp(out.data, want) != 0)
		fail_msg("got `%s`, want `%s`", out.data ? out.data : "", want);
}

static void test_item_descriptions(void **state)
{
	(void)state;
	describe(POLICY_ENTITY_FINDING,
		 "{\"id\": \"CVE-2022-1271\", \"severity\": \"high\", \"package\": \"gzip\", \"installed_version\": "
		 "\"1.10-4\","
		 " \"fixed_version\": \"1.12-1\"}",
		 "CVE-2022-1271 (high) in gzip 1.10-4, fixed in 1.12-1");
	describe(POLICY_ENTITY_FINDING,
		 "{\"id\": \"CVE-1\", \"severity\": \"critical\", \"cvss\": {\"score\": 9.81}, \"package\": \"p\","
		 " \"installed_version\": \"1\", \"fixed_version\": null}",
		 "CVE-1 (critical, CVSS 9.8) in p 1, no fix yet");
	describe(POLICY_ENTITY_FINDING, "{}", "? (unknown) in ? ?, no fix yet");
	describe(POLICY_ENTITY_PACKAGE, "{\"name\": \"curl\", \"version\": \"7.88.1-10\"}", "package curl 7.88.1-10");
	describe(POLICY_ENTITY_MALWARE, "{\"signature\": \"Eicar\", \"path\": \"/x\", \"layer\": \"sha256:1\"}",
		 "malware Eicar in /x");
	describe(POLICY_ENTITY_SECRET,
		 "{\"rule\": \"private-key\", \"title\": \"Private key\", \"path\": \"/k.pem\", \"line\": 1,"
		 " \"match\": \"-----BEGIN ****\"}",
		 "secret private-key (Private key) in /k.pem line 1");
	describe(POLICY_ENTITY_SECRET, "{\"rule\": \"r\", \"path\": \"/p\"}", "secret r in /p");
	describe(
	    POLICY_ENTITY_MISCONFIG,
	    "{\"id\": \"IMG-ROOT-USER\", \"severity\": \"medium\", \"title\": \"t\", \"message\": \"runs as root\"}",
	    "misconfiguration IMG-ROOT-USER (medium): runs as root");
	describe(POLICY_ENTITY_MISCONFIG, "{\"id\": \"X\", \"title\": \"t\"}", "misconfiguration X (unknown): t");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalogue_is_complete),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_severities_and_capabilities),
		cmocka_unit_test(test_item_descriptions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
