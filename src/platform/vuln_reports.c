/* The VulnerabilityReport controller (vuln_reports.h).
 *
 * A reconcile is whole: the reports every pod's containers call for are worked out from the pods
 * and the scanner's reports, then the stored objects are brought in line (created, updated where
 * their report or owner changed, deleted where nothing calls for them). Pods are few on one node,
 * and a whole pass cannot miss a change the way an incremental one can. Who owns what: the dirty
 * flag and stopping belong to the lock; the rest to the thread. */
#include "platform/vuln_reports.h"

#include "image/reference.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/base/thread.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/digest.h"
#include "lib/json/json.h"
#include "lib/net/http.h"
#include "platform/admit.h"
#include "platform/objects.h"
#include "scan/image_verdicts.h"
#include "scan/report.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Changes come in bursts (a Deployment's pods start together): one pass after the burst. */
#define SETTLE_MS 300
/* And now and then regardless, so a failed write is tried again. */
#define RESYNC_MS 30000

struct platform_vuln_reports {
	struct platform_objects *objects;
	struct scan_image_verdicts *verdicts;
	const struct platform_resource *reports, *pods;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool dirty, stopping;
};

static const char *meta(const json_t *obj, const char *field)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), field));
}

static const char *upper_severity(const char *severity)
{
	static const char *const names[][2] = { { "critical", "CRITICAL" }, { "high", "HIGH" },
						{ "medium", "MEDIUM" },     { "low", "LOW" },
						{ "negligible", "NONE" },   { "unknown", "UNKNOWN" } };
	for (size_t i = 0; severity && i < CC_ARRAY_SIZE(names); i++)
		if (strcmp(severity, names[i][0]) == 0)
			return names[i][1];
	return "UNKNOWN";
}

static char *primary_link(const char *id)
{
	if (strncmp(id, "CVE-", 4) == 0)
		return cc_xasprintf("https://nvd.nist.gov/vuln/detail/%s", id);
	return cc_xasprintf("https://osv.dev/vulnerability/%s", id);
}

static int by_rank(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	return scan_severity_rank(json_string_value(json_object_get(y, "severity"))) -
	       scan_severity_rank(json_string_value(json_object_get(x, "severity")));
}

static json_t *vulnerabilities(const json_t *findings, json_t *counts)
{
	size_t n = json_array_size(findings);
	json_t **sorted = cc_xcalloc(n ? n : 1, sizeof(json_t *));
	for (size_t i = 0; i < n; i++)
		sorted[i] = json_array_get(findings, i);
	qsort(sorted, n, sizeof(json_t *), by_rank); /* the worst are kept when the list is cut */
	json_t *out = json_array();
	json_int_t fixable = 0;
	for (size_t i = 0; i < n; i++) {
		const json_t *f = sorted[i];
		const char *sev = upper_severity(json_string_value(json_object_get(f, "severity")));
		char key[32];
		size_t n_sev = strlen(sev);
		for (size_t k = 0; k < n_sev; k++)
			key[k] = (char)tolower((unsigned char)sev[k]);
		snprintf(key + n_sev, sizeof(key) - n_sev, "Count"); /* "criticalCount" */
		json_object_set_new(counts, key, json_integer(json_integer_value(json_object_get(counts, key)) + 1));
		const char *fixed = json_string_value(json_object_get(f, "fixed_version"));
		fixable += fixed != NULL;
		if (i >= PLATFORM_VULN_REPORT_MAX_ITEMS)
			continue;
		const char *id = json_string_value(json_object_get(f, "id")) ?: "?";
		_cleanup_free_ char *link = primary_link(id);
		json_array_append_new(
		    out,
		    json_pack("{s:s, s:O, s:O, s:s, s:s, s:s, s:s, s:s, s:s}", "vulnerabilityID", id, "resource",
			      json_object_get(f, "package"), "installedVersion",
			      json_object_get(f, "installed_version"), "fixedVersion", fixed ? fixed : "", "severity",
			      sev, "status", json_string_value(json_object_get(f, "status")) ?: "unfixed", "title",
			      json_string_value(json_object_get(f, "title")) ?: "", "dataSource",
			      json_string_value(json_object_get(f, "data_source")) ?: "", "primaryLink", link));
	}
	free(sorted);
	json_object_set_new(counts, "fixableCount", json_integer(fixable));
	return out;
}

json_t *platform_vuln_report_section(const json_t *scan_report)
{
	json_t *counts = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i}", "criticalCount", 0, "highCount", 0, "mediumCount",
				   0, "lowCount", 0, "unknownCount", 0, "noneCount", 0);
	json_t *vulns = vulnerabilities(json_object_get(scan_report, "findings"), counts);
	const json_t *malware = json_object_get(scan_report, "malware");
	const json_t *secrets = json_object_get(scan_report, "secrets");
	json_object_set_new(counts, "malwareCount", json_integer((json_int_t)json_array_size(malware)));
	json_object_set_new(counts, "secretCount", json_integer((json_int_t)json_array_size(secrets)));
	json_object_set_new(
	    counts, "misconfigurationCount",
	    json_integer((json_int_t)json_array_size(json_object_get(scan_report, "misconfigurations"))));
	const json_t *os = json_object_get(scan_report, "os");
	const json_t *image = json_object_get(scan_report, "image");
	const json_t *database = json_object_get(scan_report, "database");
	json_t *malware_list = json_array();
	size_t i;
	const json_t *m;
	json_array_foreach (malware, i, m)
		json_array_append_new(malware_list, json_pack("{s:O, s:O}", "path", json_object_get(m, "path"),
							      "signature", json_object_get(m, "signature")));
	json_t *secret_list = json_array();
	json_array_foreach (secrets, i, m) /* the masked match only, as the scan reports it */
		json_array_append_new(secret_list,
				      json_pack("{s:O, s:O, s:O, s:O}", "path", json_object_get(m, "path"), "line",
						json_object_get(m, "line"), "rule", json_object_get(m, "rule"), "match",
						json_object_get(m, "match")));
	return json_pack(
	    "{s:s, s:{s:s, s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:s}, s:o, s:o, s:o, s:o, s:O}", "updateTimestamp",
	    json_string_value(json_object_get(scan_report, "scanned_at")) ?: "", "scanner", "name", "cocoon", "vendor",
	    "cocoon", "version", COCOON_VERSION, "os", "family", json_string_value(json_object_get(os, "id")) ?: "",
	    "name", json_string_value(json_object_get(os, "version_id")) ?: "", "artifact", "digest",
	    json_string_value(json_object_get(image, "digest")) ?: "", "imageID",
	    json_string_value(json_object_get(image, "id")) ?: "", "summary", counts, "vulnerabilities", vulns,
	    "malware", malware_list, "secrets", secret_list, "database", database ? (json_t *)database : json_null());
}

/* The owner a pod's report belongs to: its controller, else the pod. */
static json_t *owner_of(const json_t *pod)
{
	size_t i;
	const json_t *ref;
	json_array_foreach (json_object_get(json_object_get(pod, "metadata"), "ownerReferences"), i, ref)
		if (json_is_true(json_object_get(ref, "controller")))
			return json_pack("{s:O, s:O, s:O, s:O, s:b, s:b}", "apiVersion",
					 json_object_get(ref, "apiVersion"), "kind", json_object_get(ref, "kind"),
					 "name", json_object_get(ref, "name"), "uid", json_object_get(ref, "uid"),
					 "controller", true, "blockOwnerDeletion", false);
	return json_pack("{s:s, s:s, s:s?, s:s?, s:b, s:b}", "apiVersion", "v1", "kind", "Pod", "name",
			 meta(pod, "name"), "uid", meta(pod, "uid"), "controller", true, "blockOwnerDeletion", false);
}

/* `<kind>-<owner>-<container>`, a DNS subdomain; a longer one is cut and made unique by a digest. */
static char *report_name(const char *kind, const char *owner, const char *container)
{
	_cleanup_free_ char *name = cc_xasprintf("%s-%s-%s", kind, owner, container);
	for (char *c = name; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	if (strlen(name) <= 253)
		return CC_TAKE_PTR(name);
	char hex[65];
	if (cc_digest_hex(CC_DIGEST_SHA256, name, strlen(name), hex, NULL) < 0)
		snprintf(hex, sizeof(hex), "0");
	return cc_xasprintf("%.230s-%.16s", name, hex);
}

/* The container's image as it runs: the digest the runner recorded, else the reference. */
static const char *image_id_of(const json_t *pod, const char *container)
{
	static const char *const lists[] = { "initContainerStatuses", "containerStatuses" };
	for (size_t l = 0; l < CC_ARRAY_SIZE(lists); l++) {
		size_t i;
		const json_t *cs;
		json_array_foreach (json_object_get(json_object_get(pod, "status"), lists[l]), i, cs) {
			const char *id = json_string_value(json_object_get(cs, "imageID"));
			if (!strcmp(json_string_value(json_object_get(cs, "name")) ?: "", container) && id && *id)
				return id;
		}
	}
	return NULL;
}

static json_t *artifact_of(const char *image)
{
	struct image_reference ref;
	if (image_reference_parse(image, &ref, NULL) < 0)
		return json_pack("{s:s}", "repository", image);
	json_t *a = json_pack("{s:s, s:s, s:s}", "server", ref.domain ? ref.domain : "docker.io", "repository",
			      ref.repository, "tag", ref.tag ? ref.tag : "");
	image_reference_clear(&ref);
	return a;
}

static json_t *report_object(const json_t *pod, const json_t *owner, const char *container, const char *image,
			     const json_t *scan_report)
{
	const char *kind = json_string_value(json_object_get(owner, "kind"));
	const char *owner_name = json_string_value(json_object_get(owner, "name"));
	_cleanup_free_ char *name = report_name(kind, owner_name, container);
	json_t *section = platform_vuln_report_section(scan_report);
	json_t *artifact = artifact_of(image);
	json_object_set_new(section, "registry",
			    json_pack("{s:s}", "server", json_string_value(json_object_get(artifact, "server")) ?: ""));
	json_object_del(artifact, "server");
	json_object_update(json_object_get(section, "artifact"), artifact);
	json_decref(artifact);
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s, s:s, s:s}, s:[O]}, s:o}", "apiVersion",
			 PLATFORM_VULN_REPORT_GROUP "/" PLATFORM_VULN_REPORT_VERSION, "kind", "VulnerabilityReport",
			 "metadata", "name", name, "namespace", meta(pod, "namespace"), "labels",
			 "scan.cocoon.dev/resource-kind", kind, "scan.cocoon.dev/resource-name", owner_name,
			 "scan.cocoon.dev/container-name", container, "ownerReferences", owner, "report", section);
}

/* name -> the VulnerabilityReport every pod's containers call for. */
static json_t *wanted_reports(struct platform_vuln_reports *v, const json_t *pods)
{
	json_t *wanted = json_object();
	static const char *const lists[] = { "initContainers", "containers" };
	size_t i;
	const json_t *pod;
	json_array_foreach (pods, i, pod) {
		if (!meta(pod, "namespace") || !meta(pod, "name"))
			continue;
		_cleanup_json_ json_t *owner = owner_of(pod);
		for (size_t l = 0; l < CC_ARRAY_SIZE(lists); l++) {
			size_t k;
			const json_t *c;
			json_array_foreach (json_object_get(json_object_get(pod, "spec"), lists[l]), k, c) {
				const char *container = json_string_value(json_object_get(c, "name"));
				const char *image = json_string_value(json_object_get(c, "image"));
				if (!container || !image)
					continue;
				const char *id = image_id_of(pod, container);
				json_t *scan = id ? scan_image_verdicts_find(v->verdicts, id) : NULL;
				if (!scan)
					scan = scan_image_verdicts_find(v->verdicts, image);
				if (!scan)
					continue; /* not scanned yet: its report comes when the scan does */
				json_t *obj = report_object(pod, owner, container, image, scan);
				json_decref(scan);
				_cleanup_free_ char *key =
				    cc_xasprintf("%s/%s", meta(pod, "namespace"), meta(obj, "name"));
				if (json_object_get(wanted, key))
					json_decref(obj); /* another replica of the same owner */
				else
					json_object_set_new(wanted, key, obj);
			}
		}
	}
	return wanted;
}

static json_t *list_all(struct platform_vuln_reports *v, const struct platform_resource *r, struct cc_error *err)
{
	struct platform_list_options opts = { 0 };
	json_t *items = NULL;
	int64_t rv;
	char *next = NULL;
	if (platform_objects_list(v->objects, r, &opts, &items, &rv, &next, err) < 0)
		return NULL;
	free(next);
	return items;
}

static bool same_report(const json_t *stored, const json_t *wanted)
{
	const json_t *a = json_object_get(stored, "metadata"), *b = json_object_get(wanted, "metadata");
	return json_equal(json_object_get(stored, "report"), json_object_get(wanted, "report")) &&
	       json_equal(json_object_get(a, "labels"), json_object_get(b, "labels")) &&
	       json_equal(json_object_get(a, "ownerReferences"), json_object_get(b, "ownerReferences"));
}

static int create_report(struct platform_vuln_reports *v, json_t *obj, struct cc_error *err)
{
	struct cc_http_response refused;
	cc_http_response_init(&refused);
	json_t *stored = NULL;
	int rc = platform_admit_create(v->reports, obj, meta(obj, "namespace"), &refused);
	if (rc < 0)
		cc_error_set(err, EINVAL, "the report %s/%s is not a valid object", meta(obj, "namespace"),
			     meta(obj, "name"));
	else
		rc = platform_objects_create(v->objects, v->reports, obj, &stored, err);
	cc_http_response_free(&refused);
	json_decref(stored);
	return rc;
}

static int update_report(struct platform_vuln_reports *v, const json_t *stored, const json_t *wanted,
			 struct cc_error *err)
{
	_cleanup_json_ json_t *obj = json_deep_copy(stored);
	json_t *m = json_object_get(obj, "metadata");
	json_object_set(m, "labels", json_object_get(json_object_get(wanted, "metadata"), "labels"));
	json_object_set(m, "ownerReferences", json_object_get(json_object_get(wanted, "metadata"), "ownerReferences"));
	json_object_set(obj, "report", json_object_get(wanted, "report"));
	json_t *written = NULL;
	int rc = platform_objects_update(v->objects, v->reports, obj, 0, &written, err);
	json_decref(written);
	return rc;
}

static int reconcile(struct platform_vuln_reports *v, struct cc_error *err)
{
	scan_image_verdicts_refresh(v->verdicts);
	_cleanup_json_ json_t *pods = list_all(v, v->pods, err);
	if (!pods)
		return -EIO;
	_cleanup_json_ json_t *stored = list_all(v, v->reports, err);
	if (!stored)
		return -EIO;
	_cleanup_json_ json_t *wanted = wanted_reports(v, pods);
	int rc = 0;
	size_t i;
	json_t *obj;
	json_array_foreach (stored, i, obj) {
		_cleanup_free_ char *key = cc_xasprintf("%s/%s", meta(obj, "namespace"), meta(obj, "name"));
		json_t *want = json_object_get(wanted, key);
		struct cc_error one = { 0 };
		int r = 0;
		if (!want)
			r = platform_objects_delete(v->objects, v->reports, meta(obj, "namespace"), meta(obj, "name"),
						    0, NULL, &one);
		else if (!same_report(obj, want))
			r = update_report(v, obj, want, &one);
		if (r < 0 && r != -ENOENT && rc == 0) {
			rc = r;
			*err = one;
		}
		json_object_del(wanted, key);
	}
	const char *key;
	json_object_foreach (wanted, key, obj) {
		struct cc_error one = { 0 };
		int r = create_report(v, obj, &one);
		if (r < 0 && r != -EEXIST && rc == 0) {
			rc = r;
			*err = one;
		}
	}
	return rc;
}

static void *reports_main(void *arg)
{
	struct platform_vuln_reports *v = arg;
	pthread_mutex_lock(&v->lock);
	while (!v->stopping) {
		if (!v->dirty) {
			struct timespec deadline;
			cc_time_monotonic_deadline(RESYNC_MS, &deadline);
			if (pthread_cond_timedwait(&v->cond, &v->lock, &deadline) == 0 && !v->dirty)
				continue;
		}
		if (v->stopping)
			break;
		pthread_mutex_unlock(&v->lock);
		struct timespec settle = { .tv_sec = 0, .tv_nsec = SETTLE_MS * 1000000L };
		nanosleep(&settle, NULL);
		pthread_mutex_lock(&v->lock);
		v->dirty = false;
		pthread_mutex_unlock(&v->lock);
		struct cc_error err = { 0 };
		if (reconcile(v, &err) < 0)
			cc_warning("vulnerability reports: %s", cc_error_message(&err));
		pthread_mutex_lock(&v->lock);
	}
	pthread_mutex_unlock(&v->lock);
	return NULL;
}

/* Under the store's lock: only note it. */
static void observe(void *ctx, const struct platform_resource *r, const char *type, const json_t *obj)
{
	(void)type;
	(void)obj;
	struct platform_vuln_reports *v = ctx;
	if (r == v->pods)
		platform_vuln_reports_wake(v);
}

int platform_vuln_reports_start(struct platform_objects *objects, struct scan_image_verdicts *verdicts,
				struct platform_vuln_reports **ret, struct cc_error *err)
{
	struct platform_vuln_reports *v = cc_xcalloc(1, sizeof(*v));
	v->objects = objects;
	v->verdicts = verdicts;
	v->reports =
	    platform_resource_find(PLATFORM_VULN_REPORT_GROUP, PLATFORM_VULN_REPORT_VERSION, "vulnerabilityreports");
	v->pods = platform_resource_find("", "v1", "pods");
	v->dirty = true;
	pthread_mutex_init(&v->lock, NULL);
	cc_cond_init_monotonic(&v->cond);
	int r = platform_objects_observe(objects, observe, v);
	int e = r < 0 ? 0 : cc_thread_start_worker(&v->thread, reports_main, v);
	if (r < 0 || e != 0) {
		if (r == 0)
			platform_objects_unobserve(objects, observe, v);
		pthread_mutex_destroy(&v->lock);
		pthread_cond_destroy(&v->cond);
		free(v);
		return cc_error_set(err, r < 0 ? -r : e, "the vulnerability report controller cannot start");
	}
	*ret = v;
	return 0;
}

void platform_vuln_reports_wake(struct platform_vuln_reports *v)
{
	if (!v)
		return;
	pthread_mutex_lock(&v->lock);
	v->dirty = true;
	pthread_cond_signal(&v->cond);
	pthread_mutex_unlock(&v->lock);
}

void platform_vuln_reports_stop(struct platform_vuln_reports *v)
{
	if (!v)
		return;
	platform_objects_unobserve(v->objects, observe, v);
	pthread_mutex_lock(&v->lock);
	v->stopping = true;
	pthread_cond_signal(&v->cond);
	pthread_mutex_unlock(&v->lock);
	pthread_join(v->thread, NULL);
	pthread_mutex_destroy(&v->lock);
	pthread_cond_destroy(&v->cond);
	free(v);
}
