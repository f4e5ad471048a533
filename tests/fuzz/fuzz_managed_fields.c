/* libFuzzer target: field management (platform/field_set.h, managed_fields.h, apply.h), what a client
 * can send: fieldsV1 in metadata.managedFields, and objects and applied configurations.
 * The input is one JSON value:
 *   - an object: read as fieldsV1; what is read must write back to a set that reads the same;
 *   - an array [live, config]: live's metadata.managedFields read as a record (and written back),
 *     config applied by one manager onto live (with and without force), an Update from live to
 *     config recorded, and the two compared and merged.
 * Besides never crashing: no input is changed, and every record the code writes reads back. */
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "platform/apply.h"
#include "platform/field_set.h"
#include "platform/managed_fields.h"
#include "platform/object_fields.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

static int count_path(const char *path, void *userdata)
{
	(void)path;
	(*(size_t *)userdata)++;
	return 0;
}

static void fields_v1(const json_t *value)
{
	struct cc_error err = { 0 };
	struct platform_field_set *set = NULL, *again = NULL;
	if (platform_field_set_from_fields_v1(value, &set, &err) < 0)
		return;
	json_t *written = platform_field_set_to_fields_v1(set);
	if (platform_field_set_from_fields_v1(written, &again, &err) < 0)
		abort();
	json_t *rewritten = platform_field_set_to_fields_v1(again);
	if (!json_equal(written, rewritten))
		abort();
	size_t paths = 0;
	platform_field_set_foreach(set, count_path, &paths);
	struct platform_field_set *both = platform_field_set_intersect(set, again);
	platform_field_set_subtract(both, set);
	if (!platform_field_set_empty(both))
		abort();
	platform_field_set_free(both);
	json_decref(written);
	json_decref(rewritten);
	platform_field_set_free(set);
	platform_field_set_free(again);
}

static void record_reads_back(const json_t *record)
{
	struct cc_error err = { 0 };
	struct platform_managed_fields m;
	if (platform_managed_fields_decode(record, &m, NULL, &err) < 0)
		abort();
	platform_managed_fields_clear(&m);
}

static void objects(const json_t *live, const json_t *config)
{
	struct cc_error err = { 0 };
	const char *kind = json_string_value(json_object_get(config, "kind"));
	json_t *causes = json_array();
	struct platform_managed_fields m;
	if (platform_managed_fields_decode(json_object_get(json_object_get(live, "metadata"), "managedFields"), &m,
					   causes, &err) == 0) {
		json_t *record = platform_managed_fields_encode(&m);
		record_reads_back(record);
		json_decref(record);
		if (json_is_object(live) && json_is_object(config)) {
			struct platform_field_manager who = { "fuzz", false, "v1", NULL };
			platform_managed_fields_update(&m, live, config, kind, &who, "2024-01-01T00:00:00Z");
			record = platform_managed_fields_encode(&m);
			record_reads_back(record);
			json_decref(record);
		}
		platform_managed_fields_clear(&m);
	}
	json_decref(causes);

	for (int force = 0; force < 2; force++) {
		struct platform_field_manager who = { "fuzz", true, "v1", force ? "status" : NULL };
		struct platform_apply_conflicts conflicts;
		json_t *obj = NULL, *record = NULL;
		int r = platform_apply(json_is_object(live) ? live : NULL, config, kind, &who, force,
				       "2024-01-01T00:00:00Z", &obj, &record, &conflicts, &err);
		if (r == 0) {
			record_reads_back(record);
			json_decref(obj);
			json_decref(record);
		} else if (r == -EBUSY) {
			json_decref(platform_apply_conflict_status(&conflicts));
			platform_apply_conflicts_clear(&conflicts);
		} else if (r != -EINVAL && r != -EBADMSG) {
			abort();
		}
	}
	struct platform_field_changes c;
	platform_object_compare(live, config, kind, &c);
	platform_field_changes_clear(&c);
	json_decref(platform_object_merge(live, config, kind));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cc_error err = { 0 };
	json_t *input;
	if (cc_json_parse((const char *)data, size, 1u << 20, "fuzz", &input, &err) < 0)
		return 0;
	json_t *copy = json_deep_copy(input);
	if (json_is_object(input))
		fields_v1(input);
	else if (json_is_array(input) && json_array_size(input) == 2)
		objects(json_array_get(input, 0), json_array_get(input, 1));
	if (!json_equal(input, copy))
		abort();
	json_decref(copy);
	json_decref(input);
	return 0;
}
