/* libFuzzer target: label and field selectors (platform/selector.h). The input is parsed as a label
 * selector and a field selector string, and as JSON for the object form of a label selector. A label
 * selector that parses must print to a string that parses again to the same print (what the scale
 * subresource hands to clients); matching must never crash. */
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "platform/selector.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static json_t *labels;

static void label_round_trip(const struct platform_selector *sel)
{
	struct cc_error err = { 0 };
	struct platform_selector *again;
	char *text = platform_selector_format(sel);
	if (platform_selector_parse(text, &again, &err) != 0)
		abort();
	char *text2 = platform_selector_format(again);
	if (strcmp(text, text2) != 0)
		abort();
	platform_selector_matches(sel, labels);
	free(text);
	free(text2);
	platform_selector_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cc_error err = { 0 };
	if (!labels)
		labels = json_pack("{s:s,s:s,s:s,s:s}", "app", "web", "n", "7", "in", "", "example.com/x", "-1");
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';

	struct platform_selector *sel;
	if (platform_selector_parse(text, &sel, &err) == 0) {
		label_round_trip(sel);
		platform_selector_free(sel);
	}
	struct platform_field_selector *fields;
	if (platform_field_selector_parse(text, &fields, &err) == 0) {
		const char **names = platform_field_selector_fields(fields);
		platform_field_selector_matches(fields, labels);
		free(names);
		platform_field_selector_free(fields);
	}
	json_t *value;
	if (cc_json_parse(text, size, 1u << 20, "fuzz", &value, &err) == 0) {
		if (platform_selector_from_json(value, &sel, &err) == 0) {
			if (!sel->nothing)
				label_round_trip(sel);
			platform_selector_free(sel);
		}
		json_decref(value);
	}
	free(text);
	return 0;
}
