/* libFuzzer target: Kubernetes manifests through the workload checks (src/scan/workload.c,
 * workload_checks.c, pod_security.c, confidential_checks.c), as `cocoon scan config` reads them:
 * the input as a YAML stream and, when it is JSON, as JSON; every object found, every level, with
 * and without the confidential policy. Besides memory errors, it aborts when a misconfiguration
 * lacks a field of its shape, when the phrases and the structured violations disagree, when a
 * second run gives another answer, or when a refusal carries no message. */
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "lib/json/yaml.h"
#include "scan/workload.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void require_string(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	if (!s || !*s)
		abort();
}

static int check_workload(const struct scan_workload *w, void *userdata)
{
	(void)userdata;
	if (!w->kind || !*w->kind || !w->pod_spec != !w->spec_path)
		abort();
	for (int level = SCAN_PSS_PRIVILEGED; level < SCAN_PSS_LEVEL_MAX; level++) {
		json_t *structured = scan_pss_check(w->pod_metadata, w->pod_spec, (enum scan_pss_level)level);
		json_t *phrases = scan_pss_pod_violations(w->pod_metadata, w->pod_spec, (enum scan_pss_level)level);
		if (json_array_size(structured) != json_array_size(phrases))
			abort();
		size_t i;
		json_t *v;
		json_array_foreach (structured, i, v) {
			require_string(v, "check");
			require_string(v, "reason");
			require_string(v, "message");
			if (!json_equal(json_object_get(v, "message"), json_array_get(phrases, i)))
				abort();
		}
		json_decref(structured);
		json_decref(phrases);
		for (int confidential = 0; confidential < 2; confidential++) {
			json_t *a = json_array(), *b = json_array();
			size_t n = scan_workload_misconfigurations(w, (enum scan_pss_level)level, confidential, a);
			scan_workload_misconfigurations(w, (enum scan_pss_level)level, confidential, b);
			if (n != json_array_size(a) || !json_equal(a, b) || (!w->pod_spec && n))
				abort();
			json_array_foreach (a, i, v) {
				require_string(v, "id");
				require_string(v, "title");
				require_string(v, "severity");
				require_string(v, "category");
				require_string(v, "kind");
				require_string(v, "field");
				require_string(v, "message");
			}
			json_decref(a);
			json_decref(b);
		}
	}
	return 0;
}

static void check_document(const json_t *doc)
{
	struct cc_error err = { 0 };
	if (scan_workload_each(doc, check_workload, NULL, &err) < 0 && (!err.code || !err.message[0]))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cc_error err = { 0 };
	json_t *docs;
	if (cc_yaml_parse_stream((const char *)data, size, "fuzz", &docs, &err) == 0) {
		size_t i;
		json_t *doc;
		json_array_foreach (docs, i, doc)
			check_document(doc);
		json_decref(docs);
	}
	json_t *doc;
	if (cc_json_parse((const char *)data, size, CC_JSON_MAX_SIZE, "fuzz", &doc, &err) == 0) {
		check_document(doc);
		json_decref(doc);
	}
	return 0;
}
