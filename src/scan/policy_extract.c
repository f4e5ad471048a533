/* Extractors of what the scanner's report says of an image (docs/scan.md, "Policies"): its
 * references, its OCI config (User, Env, ExposedPorts, created), its OS, and one finding, package,
 * malware, secret or misconfiguration. Facts come from the outside (a report file, an API request),
 * so the type of everything read is checked: a member of the wrong type is an error, never a
 * non-match (fail closed). What the report does not have (no config, no `created`) is not judged. */
#include "scan/policy_extract.h"

#include "image/reference.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading the facts ---- */

/* obj[key] when it is of type (NULL when absent or null); -EINVAL naming where when it is not. */
int policy_member(const json_t *obj, const char *key, json_type type, const char *where, const json_t **ret,
		  struct cc_error *err)
{
	static const char *const type_names[] = {
		[JSON_OBJECT] = "an object",   [JSON_ARRAY] = "an array", [JSON_STRING] = "a string",
		[JSON_INTEGER] = "an integer", [JSON_REAL] = "a number",  [JSON_TRUE] = "a boolean",
		[JSON_FALSE] = "a boolean",    [JSON_NULL] = "null"
	};
	*ret = NULL;
	const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	if (!v || json_is_null(v))
		return 0;
	bool ok = json_typeof(v) == type || (type == JSON_TRUE && json_is_boolean(v)) ||
		  (type == JSON_REAL && json_is_number(v));
	if (!ok)
		return cc_error_set(err, EINVAL, "facts: %s: `%s` is not %s", where, key, type_names[type]);
	*ret = v;
	return 0;
}

void policy_add_string(json_t *values, const char *s)
{
	json_array_append_new(values, json_string(s));
}

/* The OCI image config in the report (image.config: {"created", "config": {"User", "Env",
 * "ExposedPorts", ...}, ...}), and its `config` member, which OCI makes optional (then {}). */
int policy_image_config(const struct policy_subject *s, const json_t **ret_oci, const json_t **ret_run,
			struct cc_error *err)
{
	const json_t *image, *oci, *run;
	int r;
	if (!s->report)
		return POLICY_NOT_JUDGED;
	if ((r = policy_member(s->report, "image", JSON_OBJECT, "report", &image, err)) < 0 ||
	    (r = policy_member(image, "config", JSON_OBJECT, "report.image", &oci, err)) < 0)
		return r;
	if (!oci)
		return POLICY_NOT_JUDGED;
	if ((r = policy_member(oci, "config", JSON_OBJECT, "report.image.config", &run, err)) < 0)
		return r;
	*ret_oci = oci;
	*ret_run = run;
	return 0;
}

/* ---- image ---- */

enum ref_part { REF_REGISTRY, REF_REMOTE, REF_TAG, REF_DIGEST };

/* Docker Hub as docker and podman read a short name: `nginx` is docker.io/library/nginx. */
static int image_ref_part(const struct policy_subject *s, enum ref_part part, json_t *values)
{
	if (!s->image_refs || !s->image_refs[0])
		return POLICY_NOT_JUDGED;
	for (const char *const *ref = s->image_refs; *ref; ref++) {
		struct image_reference parsed = { 0 };
		if (image_reference_parse(*ref, &parsed, NULL) < 0)
			continue; /* not a reference (a directory scanned has none): nothing to say of it */
		const char *domain = parsed.domain ? parsed.domain : "docker.io";
		bool hub = strcmp(domain, "docker.io") == 0 || strcmp(domain, "index.docker.io") == 0;
		switch (part) {
		case REF_REGISTRY: policy_add_string(values, domain); break;
		case REF_REMOTE:
			if (hub && !strchr(parsed.repository, '/')) {
				_cleanup_free_ char *full = cc_xasprintf("library/%s", parsed.repository);
				policy_add_string(values, full);
			} else {
				policy_add_string(values, parsed.repository);
			}
			break;
		case REF_TAG:
			if (parsed.tag)
				policy_add_string(values, parsed.tag);
			break;
		case REF_DIGEST: json_array_append_new(values, json_boolean(parsed.digest != NULL)); break;
		}
		image_reference_clear(&parsed);
	}
	return 0;
}

int policy_extract_image_registry(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	return image_ref_part(s, REF_REGISTRY, values);
}

int policy_extract_image_remote(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	return image_ref_part(s, REF_REMOTE, values);
}

int policy_extract_image_tag(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	return image_ref_part(s, REF_TAG, values);
}

int policy_extract_image_digest(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	return image_ref_part(s, REF_DIGEST, values);
}

/* config.User's user part ("1000:1000" is 1000); an image without one runs as root. */
int policy_extract_image_user(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	const json_t *oci, *run, *user;
	int r = policy_image_config(s, &oci, &run, err);
	if (r != 0)
		return r;
	if ((r = policy_member(run, "User", JSON_STRING, "report.image.config.config", &user, err)) < 0)
		return r;
	const char *text = user ? json_string_value(user) : "";
	size_t len = strcspn(text, ":");
	_cleanup_free_ char *name = len ? cc_xstrndup(text, len) : cc_xstrdup("root");
	policy_add_string(values, name);
	return 0;
}

/* Whole days since the config's `created`. */
int policy_extract_image_age(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	const json_t *oci, *run, *created;
	int r = policy_image_config(s, &oci, &run, err);
	if (r != 0)
		return r;
	if ((r = policy_member(oci, "created", JSON_STRING, "report.image.config", &created, err)) < 0)
		return r;
	int64_t ns;
	if (!created || cc_time_parse_rfc3339(json_string_value(created), &ns) < 0)
		return POLICY_NOT_JUDGED;
	long long secs = s->now - ns / 1000000000;
	long long days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	json_array_append_new(values, json_integer(days));
	return 0;
}

/* The port numbers of a "80/tcp" set. */
int policy_extract_exposed_port(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	const json_t *oci, *run, *ports;
	int r = policy_image_config(s, &oci, &run, err);
	if (r != 0)
		return r;
	if ((r = policy_member(run, "ExposedPorts", JSON_OBJECT, "report.image.config.config", &ports, err)) < 0)
		return r;
	const char *key;
	json_t *v;
	json_object_foreach ((json_t *)ports, key, v) {
		char *end;
		errno = 0;
		long port = strtol(key, &end, 10);
		if (end == key || errno || port < 0 || port > 65535 || (*end && *end != '/'))
			return cc_error_set(
			    err, EINVAL, "facts: report.image.config.config.ExposedPorts: `%.64s` is not PORT/PROTOCOL",
			    key);
		json_array_append_new(values, json_integer(port));
	}
	return 0;
}

int policy_extract_image_scanned(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	json_array_append_new(values, json_boolean(s->report != NULL));
	return 0;
}

/* os-release's ID and VERSION_ID: "debian:12", "alpine:3.18.4". */
int policy_extract_image_os(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	const json_t *os, *id, *version;
	int r;
	if (!s->report)
		return POLICY_NOT_JUDGED;
	if ((r = policy_member(s->report, "os", JSON_OBJECT, "report", &os, err)) < 0 ||
	    (r = policy_member(os, "id", JSON_STRING, "report.os", &id, err)) < 0 ||
	    (r = policy_member(os, "version_id", JSON_STRING, "report.os", &version, err)) < 0)
		return r;
	if (!id)
		return 0;
	_cleanup_free_ char *text = version ? cc_xasprintf("%s:%s", json_string_value(id), json_string_value(version))
					    : cc_xstrdup(json_string_value(id));
	policy_add_string(values, text);
	return 0;
}

/* ---- findings, packages, malware, secrets, misconfigurations ---- */

/* item[key] as a string value (none when absent). */
static int item_string(const struct policy_subject *s, enum policy_entity kind, const char *key, json_t *values,
		       struct cc_error *err)
{
	static const char *const where[POLICY_ENTITY_MAX] = {
		[POLICY_ENTITY_FINDING] = "report.findings[]",
		[POLICY_ENTITY_PACKAGE] = "report.packages[]",
		[POLICY_ENTITY_MALWARE] = "report.malware[]",
		[POLICY_ENTITY_SECRET] = "report.secrets[]",
		[POLICY_ENTITY_MISCONFIG] = "report.misconfigurations[]",
	};
	if (!s->item || s->item_kind != kind)
		return POLICY_NOT_JUDGED;
	const json_t *v;
	int r = policy_member(s->item, key, JSON_STRING, where[kind], &v, err);
	if (r < 0)
		return r;
	if (v)
		policy_add_string(values, json_string_value(v));
	return 0;
}

int policy_extract_cve(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	return item_string(s, POLICY_ENTITY_FINDING, "id", values, err);
}

int policy_extract_severity(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	return item_string(s, POLICY_ENTITY_FINDING, "severity", values, err);
}

int policy_extract_fixed_by(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	return item_string(s, POLICY_ENTITY_FINDING, "fixed_version", values, err);
}

int policy_extract_fixable(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	if (!s->item || s->item_kind != POLICY_ENTITY_FINDING)
		return POLICY_NOT_JUDGED;
	const json_t *fixed, *status;
	int r;
	if ((r = policy_member(s->item, "fixed_version", JSON_STRING, "report.findings[]", &fixed, err)) < 0 ||
	    (r = policy_member(s->item, "status", JSON_STRING, "report.findings[]", &status, err)) < 0)
		return r;
	bool fixable =
	    (fixed && json_string_value(fixed)[0]) || (status && strcmp(json_string_value(status), "fixed") == 0);
	json_array_append_new(values, json_boolean(fixable));
	return 0;
}

/* `cvss` as a number, or an object with a numeric `score`. */
int policy_extract_cvss(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	if (!s->item || s->item_kind != POLICY_ENTITY_FINDING)
		return POLICY_NOT_JUDGED;
	const json_t *cvss = json_object_get(s->item, "cvss"), *score = cvss;
	int r;
	if (json_is_object(cvss) &&
	    (r = policy_member(cvss, "score", JSON_REAL, "report.findings[].cvss", &score, err)) < 0)
		return r;
	if (!score || json_is_null(score))
		return 0;
	if (!json_is_number(score))
		return cc_error_set(err, EINVAL, "facts: report.findings[]: `cvss` is not a number");
	json_array_append_new(values, json_real(json_number_value(score)));
	return 0;
}

/* A package's name and version; beside finding fields, those of the finding's package. */
static int package_value(const struct policy_subject *s, bool version, json_t *values, struct cc_error *err)
{
	if (s->item && s->item_kind == POLICY_ENTITY_FINDING)
		return item_string(s, POLICY_ENTITY_FINDING, version ? "installed_version" : "package", values, err);
	return item_string(s, POLICY_ENTITY_PACKAGE, version ? "version" : "name", values, err);
}

int policy_extract_package_name(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	return package_value(s, false, values, err);
}

int policy_extract_package_version(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	return package_value(s, true, values, err);
}

int policy_extract_malware(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	return item_string(s, POLICY_ENTITY_MALWARE, "signature", values, err);
}

int policy_extract_secret(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	return item_string(s, POLICY_ENTITY_SECRET, "rule", values, err);
}

int policy_extract_misconfig(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	return item_string(s, POLICY_ENTITY_MISCONFIG, "id", values, err);
}

int policy_extract_misconfig_category(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	return item_string(s, POLICY_ENTITY_MISCONFIG, "category", values, err);
}

int policy_extract_misconfig_severity(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	return item_string(s, POLICY_ENTITY_MISCONFIG, "severity", values, err);
}
