/* libFuzzer target: the report converters (src/scan/report_*.c), the purls and the SPDX license
 * expressions they build, on any JSON (a report is what `cocoon scan image` wrote, or a file a
 * user hands back). The first byte picks a license expression test on the rest as plain text;
 * otherwise the input is parsed as a report and converted to all three formats. No crash, no
 * read past the data, and every document is an object that serializes. */
#include "lib/json/json.h"
#include "scan/report_formats.h"
#include "scan/spdx_license.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void license(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	char *canonical = scan_spdx_license_expression(text);
	/* the canonical form is itself canonical */
	if (canonical) {
		char *again = scan_spdx_license_expression(canonical);
		if (!again || strcmp(again, canonical) != 0)
			abort();
		free(again);
	}
	free(canonical);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size && data[0] == 'L') {
		license(data + 1, size - 1);
		return 0;
	}
	json_t *report = NULL;
	if (cc_json_parse((const char *)data, size, CC_JSON_MAX_SIZE, "fuzz", &report, NULL) < 0)
		return 0;
	struct scan_report_meta meta = { .tool_version = "fuzz", .timestamp = 1700000000, .reproducible = true };
	json_t *(*const convert[])(const json_t *, const struct scan_report_meta *) = { scan_report_cyclonedx,
											scan_report_spdx,
											scan_report_sarif };
	for (size_t i = 0; i < sizeof(convert) / sizeof(convert[0]); i++) {
		json_t *doc = convert[i](report, &meta);
		if (json_is_object(report) && !json_is_object(doc))
			abort();
		char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
		if (doc && !text)
			abort();
		free(text);
		json_decref(doc);
	}
	json_decref(report);
	return 0;
}
