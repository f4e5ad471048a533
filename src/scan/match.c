/* Matching (see match.h). The installed version compared is the source package's: feeds name
 * source versions, and a binary rebuilt without source change ("+b1") carries the same fixes. */
#include "scan/match.h"

#include "lib/base/error.h"
#include "scan/inventory.h"
#include "scan/version.h"
#include "scan/vulndb.h"

#include <errno.h>

struct matching {
	const struct scan_package *pkg;
	enum scan_version_scheme scheme;
	json_t *findings;
	json_t *seen; /* id -> its finding for this package */
	struct cc_error *err;
};

static enum scan_version_scheme scheme_of(enum scan_package_type type)
{
	switch (type) {
	case SCAN_PACKAGE_APK: return SCAN_VERSION_APK;
	case SCAN_PACKAGE_RPM: return SCAN_VERSION_RPM;
	case SCAN_PACKAGE_DEB: break;
	}
	return SCAN_VERSION_DPKG;
}

static int compare(struct matching *m, const char *a, const char *b, const char *id, int *ret)
{
	struct cc_error verr = { 0 };
	if (scan_version_compare(m->scheme, a, b, ret, &verr) < 0)
		return cc_error_set(m->err, EINVAL, "%s: %s against %s of %s: %s", m->pkg->name, a, id, b,
				    cc_error_message(&verr));
	return 0;
}

/* One id can come more than once (two feeds, two ranges, a fix listed for two branches): the package
 * gets one finding, unfixed if any entry is open, else with the highest fixed version it lacks. */
static int merge(struct matching *m, json_t *seen, const struct scan_advisory *a)
{
	json_t *fixed = json_object_get(seen, "fixed_version");
	if (json_is_null(fixed))
		return 0;
	if (!a->fixed_version) {
		json_object_set_new(seen, "fixed_version", json_null());
		json_object_set_new(seen, "status", json_string("unfixed"));
		return 0;
	}
	int cmp = 0;
	if (compare(m, a->fixed_version, json_string_value(fixed), a->id, &cmp) < 0)
		return -EINVAL;
	if (cmp > 0)
		json_object_set_new(seen, "fixed_version", json_string(a->fixed_version));
	return 0;
}

static int found(void *ctx, const struct scan_advisory *a)
{
	struct matching *m = ctx;
	const char *installed = m->pkg->source_version ? m->pkg->source_version : m->pkg->version;
	int cmp = 0;
	if (a->introduced) {
		if (compare(m, installed, a->introduced, a->id, &cmp) < 0)
			return -EINVAL;
		if (cmp < 0)
			return 0; /* from before the flaw */
	}
	if (a->fixed_version) {
		if (compare(m, installed, a->fixed_version, a->id, &cmp) < 0)
			return -EINVAL;
		if (cmp >= 0)
			return 0; /* fixed in what is installed */
	}
	json_t *seen = json_object_get(m->seen, a->id);
	if (seen)
		return merge(m, seen, a);
	json_t *f = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s, s:s, s:s?, s:s?, s:s}", "id", a->id, "package",
			      m->pkg->name, "source_package", m->pkg->source_name ? m->pkg->source_name : m->pkg->name,
			      "installed_version", m->pkg->version, "fixed_version", a->fixed_version, "status",
			      a->fixed_version ? "fixed" : "unfixed", "severity", a->severity ? a->severity : "unknown",
			      "title", a->summary, "data_source", a->source, "package_type",
			      scan_package_type_name(m->pkg->type));
	json_object_set(m->seen, a->id, f);
	json_array_append_new(m->findings, f);
	return 0;
}

int scan_match(struct scan_vulndb *db, const struct scan_inventory *inv, const char *distro, const char *release,
	       json_t *findings, struct cc_error *err)
{
	for (size_t i = 0; i < inv->n_packages; i++) {
		const struct scan_package *p = &inv->packages[i];
		struct matching m = {
			.pkg = p, .scheme = scheme_of(p->type), .findings = findings, .seen = json_object(), .err = err
		};
		int r =
		    scan_vulndb_lookup(db, distro, release, p->source_name ? p->source_name : p->name, found, &m, err);
		json_decref(m.seen);
		if (r < 0)
			return r;
	}
	return 0;
}
