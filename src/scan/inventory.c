/* The inventory itself (a growable array of packages and the operating system) and the checks its
 * parsers share (inventory_parse.h). */
#include "scan/inventory.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/utf8.h"
#include "scan/inventory_parse.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define PACKAGES_FIRST_ALLOC 16

#define STRINGIFY_(x) #x
#define STRINGIFY(x)  STRINGIFY_(x)

static char *strdup_or_null(const char *s)
{
	return s ? cc_xstrdup(s) : NULL;
}

static void package_clear(struct scan_package *p)
{
	free(p->name);
	free(p->version);
	free(p->arch);
	free(p->source_name);
	free(p->source_version);
	free(p->license);
	free(p->db_path);
	*p = (struct scan_package){ 0 };
}

const char *scan_package_type_name(enum scan_package_type type)
{
	switch (type) {
	case SCAN_PACKAGE_DEB: return "deb";
	case SCAN_PACKAGE_APK: return "apk";
	case SCAN_PACKAGE_RPM: return "rpm";
	}
	return "unknown";
}

void scan_os_clear(struct scan_os *os)
{
	free(os->id);
	free(os->version_id);
	free(os->version_codename);
	free(os->pretty_name);
	*os = (struct scan_os){ 0 };
}

void scan_inventory_truncate(struct scan_inventory *inv, size_t n)
{
	while (inv->n_packages > n)
		package_clear(&inv->packages[--inv->n_packages]);
}

void scan_inventory_free(struct scan_inventory *inv)
{
	scan_inventory_truncate(inv, 0);
	free(inv->packages);
	scan_os_clear(&inv->os);
	*inv = (struct scan_inventory){ 0 };
}

static void packages_grow(struct scan_inventory *inv)
{
	if (inv->n_packages < inv->allocated)
		return;
	size_t n = inv->allocated ? 2 * inv->allocated : PACKAGES_FIRST_ALLOC;
	if (n > SIZE_MAX / sizeof(*inv->packages)) {
		fprintf(stderr, "cocoon: inventory of %zu packages cannot grow\n", inv->n_packages);
		abort();
	}
	inv->packages = cc_xrealloc(inv->packages, n * sizeof(*inv->packages));
	inv->allocated = n;
}

void scan_inventory_add(struct scan_inventory *inv, const struct scan_package *p)
{
	packages_grow(inv);
	inv->packages[inv->n_packages++] = (struct scan_package){
		.type = p->type,
		.name = strdup_or_null(p->name),
		.version = strdup_or_null(p->version),
		.arch = strdup_or_null(p->arch),
		.source_name = strdup_or_null(p->source_name),
		.source_version = strdup_or_null(p->source_version),
		.license = strdup_or_null(p->license),
		.db_path = strdup_or_null(p->db_path),
	};
}

const char *scan_value_problem(const char *value, size_t len)
{
	if (len > SCAN_INVENTORY_VALUE_MAX)
		return "more than " STRINGIFY(SCAN_INVENTORY_VALUE_MAX) " bytes";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];
		if (c < 0x20 || c == 0x7f)
			return "a control character";
	}
	if (!cc_utf8_valid(value, len, NULL))
		return "invalid UTF-8";
	return NULL;
}

int scan_db_size_check(size_t len, size_t max, const char *what, struct cc_error *err)
{
	if (len > max)
		return cc_error_set(err, EFBIG, "%s: %zu bytes, more than the %zu allowed", what, len, max);
	return 0;
}

int scan_inventory_room(const struct scan_inventory *inv, const char *what, struct cc_error *err)
{
	if (inv->n_packages >= SCAN_INVENTORY_PACKAGES_MAX)
		return cc_error_set(err, E2BIG, "%s: more than %d packages in the inventory", what,
				    SCAN_INVENTORY_PACKAGES_MAX);
	return 0;
}
