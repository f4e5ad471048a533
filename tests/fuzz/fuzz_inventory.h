/* What every inventory fuzz target (fuzz_dpkg_status, fuzz_apk_installed, fuzz_rpm_header,
 * fuzz_rpm_sqlite, fuzz_os_release) asserts of a parse of arbitrary bytes: a refusal says why and
 * keeps no package; a success keeps only packages with a name, a version and a source, every value
 * text a report may print. */
#pragma once

#include "lib/base/error.h"
#include "scan/inventory.h"
#include "scan/inventory_parse.h"

#include <stdlib.h>
#include <string.h>

static inline void fuzz_check_value(const char *value, int required)
{
	if (!value) {
		if (required)
			abort();
		return;
	}
	if ((required && !value[0]) || scan_value_problem(value, strlen(value)))
		abort();
}

static inline void fuzz_check_parse(int r, const struct cc_error *err, const struct scan_inventory *inv,
				    enum scan_package_type type)
{
	if (r < 0) {
		if (!err->code || !err->message[0] || inv->n_packages != 0)
			abort();
		return;
	}
	if (r != 0)
		abort();
	for (size_t i = 0; i < inv->n_packages; i++) {
		const struct scan_package *p = &inv->packages[i];
		if (p->type != type)
			abort();
		fuzz_check_value(p->name, 1);
		fuzz_check_value(p->version, 1);
		fuzz_check_value(p->source_name, 1);
		fuzz_check_value(p->source_version, 1);
		fuzz_check_value(p->arch, 0);
		fuzz_check_value(p->license, 0);
		if (!p->db_path || strcmp(p->db_path, "/fuzz") != 0)
			abort();
	}
}
