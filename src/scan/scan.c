/* One scan of an image (see scan.h): read, inventory, match. */
#include "scan/scan.h"

#include "image/store.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/str.h"
#include "lib/json/json.h"
#include "scan/image_config.h"
#include "scan/malware.h"
#include "scan/match.h"
#include "scan/vulndb.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define DPKG_STATUS   "var/lib/dpkg/status"
#define DPKG_STATUS_D "var/lib/dpkg/status.d/"
#define APK_INSTALLED "lib/apk/db/installed"

/* rpm keeps its database in /var/lib/rpm on older systems and /usr/lib/sysimage/rpm on newer ones. */
static const char *const rpm_sqlite[] = { "var/lib/rpm/rpmdb.sqlite", "usr/lib/sysimage/rpm/rpmdb.sqlite" };
/* rpm databases this scanner cannot read: reported, never silently passed over. */
static const char *const rpm_other[] = { "var/lib/rpm/Packages", "var/lib/rpm/Packages.db",
					 "usr/lib/sysimage/rpm/Packages", "usr/lib/sysimage/rpm/Packages.db" };

void scan_options_default(struct scan_options *ret)
{
	*ret = (struct scan_options){ .secrets = true, .config = true };
	scan_image_limits_default(&ret->limits);
}

bool scan_wants_file(const char *path)
{
	if (!strcmp(path, "etc/os-release") || !strcmp(path, "usr/lib/os-release") || !strcmp(path, DPKG_STATUS) ||
	    !strcmp(path, APK_INSTALLED))
		return true;
	/* distroless: one stanza file per package, beside its .md5sums */
	if (!strncmp(path, DPKG_STATUS_D, strlen(DPKG_STATUS_D)) && !strchr(path + strlen(DPKG_STATUS_D), '/') &&
	    !cc_str_has_suffix(path, ".md5sums"))
		return true;
	for (size_t i = 0; i < CC_ARRAY_SIZE(rpm_sqlite); i++)
		if (!strcmp(path, rpm_sqlite[i]))
			return true;
	for (size_t i = 0; i < CC_ARRAY_SIZE(rpm_other); i++)
		if (!strcmp(path, rpm_other[i]))
			return true;
	return false;
}

static void warn(struct scan_result *r, const char *what, const char *problem)
{
	_cleanup_free_ char *text = what ? cc_xasprintf("%s: %s", what, problem) : cc_xstrdup(problem);
	json_array_append_new(r->warnings, json_string(text));
}

/* os-release(5): /etc/os-release, else /usr/lib/os-release (also when the first is a symlink to
 * the second, which the final filesystem keeps as a symlink and this reader does not follow). */
static int read_os(struct scan_result *r, struct cc_error *err)
{
	const struct scan_image_kept *k = scan_image_find(&r->image, "etc/os-release");
	if (!k)
		k = scan_image_find(&r->image, "usr/lib/os-release");
	if (!k) {
		warn(r, NULL, "no os-release: the operating system is unknown and its packages cannot be matched");
		return 0;
	}
	if (scan_os_release_parse(k->data, k->len, &r->inventory.os, err) < 0)
		return cc_error_prefix(err, "/%s", k->path);
	return 0;
}

static int read_packages(struct scan_result *r, struct cc_error *err)
{
	struct scan_inventory *inv = &r->inventory;
	for (size_t i = 0; i < r->image.n_kept; i++) {
		const struct scan_image_kept *k = &r->image.kept[i];
		_cleanup_free_ char *db_path = cc_xasprintf("/%s", k->path);
		int rc = 0;
		if (!strcmp(k->path, DPKG_STATUS) || !strncmp(k->path, DPKG_STATUS_D, strlen(DPKG_STATUS_D)))
			rc = scan_dpkg_parse(k->data, k->len, db_path, inv, err);
		else if (!strcmp(k->path, APK_INSTALLED))
			rc = scan_apk_parse(k->data, k->len, db_path, inv, err);
		else if (!strcmp(k->path, rpm_sqlite[0]) || !strcmp(k->path, rpm_sqlite[1]))
			rc = scan_rpm_sqlite_parse(k->data, k->len, db_path, inv, err);
		else if (strstr(k->path, "rpm/Packages"))
			warn(r, db_path,
			     "a BerkeleyDB or ndb rpm database, which this scanner does not read: its packages are not "
			     "listed");
		if (rc < 0)
			return cc_error_prefix(err, "%s", db_path);
	}
	return 0;
}

/* The content scanners' results into the scan's. */
static void take_content(struct scan_result *ret, const struct scan_options *opts, struct scan_content *c)
{
	ret->malware = json_incref(c->malware_found);
	ret->secrets = json_incref(c->secrets_found);
	ret->content.malware_scanned = opts->malware != NULL;
	ret->content.secrets_scanned = opts->secrets;
	ret->content.malware_files = c->malware_files;
	ret->content.malware_too_large = c->malware_too_large;
	ret->content.malware_errors = json_array_size(c->malware_errors);
	ret->content.secret_files = c->secret_files;
	if (opts->malware)
		ret->content.malware_signatures = scan_malware_engine_signatures(opts->malware);
	size_t i;
	json_t *e;
	json_array_foreach (c->malware_errors, i, e)
		warn(ret, "malware scan", json_string_value(e));
	if (c->malware_too_large) {
		_cleanup_free_ char *text = cc_xasprintf(
		    "%llu files larger than %llu MiB not scanned (ClamAV's limit, as clamscan's --max-filesize)",
		    (unsigned long long)c->malware_too_large,
		    (unsigned long long)(scan_malware_max_file_size(opts->malware) >> 20));
		warn(ret, "malware scan", text);
	}
}

/* Where the image comes from: a path, or cocoon's image store. */
struct image_source {
	const char *path;
	const char *store_root, *manifest_digest;
	const json_t *names;
};

static int read_image(const struct image_source *src, const struct scan_image_options *io, struct scan_image *img,
		      struct cc_error *err)
{
	if (src->store_root)
		return scan_image_read_stored(src->store_root, src->manifest_digest, src->names, io, img, err);
	return scan_image_read(src->path, io, img, err);
}

/* What the image has installed, and what applies to it. */
static int inventory_and_match(struct scan_result *ret, const struct scan_options *opts, struct cc_error *err)
{
	if (opts->config)
		scan_image_config_check(&ret->image, ret->misconfigurations);
	int r = read_os(ret, err);
	if (r == 0)
		r = read_packages(ret, err);
	const struct scan_os *os = &ret->inventory.os;
	if (r == 0 && os->id)
		ret->release_key = scan_vulndb_release_key(os->id, os->version_id, os->version_codename);
	if (r == 0 && os->id && !ret->release_key && ret->inventory.n_packages)
		warn(ret, os->id,
		     "the vulnerability data knows no release of this distribution: packages listed, not matched");
	if (r == 0 && opts->vulndb && ret->release_key)
		r = scan_match(opts->vulndb, &ret->inventory, os->id, ret->release_key, ret->findings, err);
	return r;
}

static int run(const char *target, const struct image_source *src, const struct scan_options *opts,
	       struct scan_result *ret, struct cc_error *err)
{
	*ret = (struct scan_result){ .target = cc_xstrdup(target),
				     .findings = json_array(),
				     .misconfigurations = json_array(),
				     .warnings = json_array() };
	struct scan_content content;
	scan_content_init(&content);
	content.malware = opts->malware;
	content.secrets = opts->secrets;
	content.progress = opts->progress;
	content.progress_ctx = opts->progress_ctx;
	content.max_read_rate = opts->max_read_rate;
	content.secrets_world_readable_only = opts->host != NULL;
	bool visit = opts->malware || opts->secrets || opts->progress;
	struct scan_image_options io = { .limits = opts->limits,
					 .keep = scan_wants_file,
					 .visit = visit ? scan_content_visit : NULL,
					 .ctx = &content,
					 .host = opts->host != NULL,
					 .enter_dir = opts->host ? opts->host->enter_dir : NULL,
					 .enter_dir_ctx = opts->host ? opts->host->ctx : NULL };
	int r = read_image(src, &io, &ret->image, err);
	take_content(ret, opts, &content);
	scan_content_clear(&content);
	if (r == 0)
		r = inventory_and_match(ret, opts, err);
	if (r < 0)
		scan_result_clear(ret);
	return r;
}

int scan_run_image(const char *path, const struct scan_options *opts, struct scan_result *ret, struct cc_error *err)
{
	struct image_source src = { .path = path };
	return run(path, &src, opts, ret, err);
}

int scan_run_stored_image(const char *store_root, const char *ref, const struct scan_options *opts,
			  struct scan_result *ret, struct cc_error *err)
{
	_cleanup_(image_store_freep) struct image_store *store = NULL;
	_cleanup_(image_resolved_freep) struct image_resolved *image = NULL;
	const char *root = store_root ? store_root : IMAGE_STORE_DEFAULT_ROOT;
	/* opening creates a missing store: a scan must not */
	if (access(root, F_OK) != 0)
		return cc_error_set_errno(err, errno, "image store `%s`", root);
	int r = image_store_open(root, NULL, &store, err);
	if (r == 0)
		r = image_store_resolve(store, ref, &image, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *names = json_array();
	for (size_t i = 0; i < image->info.n_names; i++)
		json_array_append_new(names, json_string(image->info.names[i]));
	struct image_source src = { .store_root = image_store_root(store),
				    .manifest_digest = image->info.digest,
				    .names = names };
	return run(ref, &src, opts, ret, err);
}

void scan_result_clear(struct scan_result *r)
{
	free(r->target);
	scan_image_clear(&r->image);
	scan_inventory_free(&r->inventory);
	free(r->release_key);
	json_decref(r->findings);
	json_decref(r->malware);
	json_decref(r->secrets);
	json_decref(r->misconfigurations);
	json_decref(r->warnings);
	json_decref(r->policy_violations);
	*r = (struct scan_result){ 0 };
}
