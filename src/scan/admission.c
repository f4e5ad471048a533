/* Admission review (see admission.h). The order of a decision: read the review (a malformed one is
 * the caller's 400), find the pod template (other objects pass), look up every container image's
 * scan report (missing ones refuse unless allowed), judge the policies at the deploy stage, and
 * answer with the uid echoed, the refusal or the warnings, audit annotations and, on the mutating
 * path, the patch. A policy evaluation that fails refuses: no decision is made on facts misread. */
#include "scan/admission.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/encode.h"
#include "lib/json/json.h"
#include "scan/image_verdicts.h"
#include "scan/policy.h"
#include "scan/workload.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WARNINGS_MAX 20

struct request {
	const json_t *review, *request;
	const char *uid, *operation, *namespace, *user;
};

static int read_request(const json_t *review, struct request *ret, struct cc_error *err)
{
	const char *api = json_string_value(json_object_get(review, "apiVersion"));
	const char *kind = json_string_value(json_object_get(review, "kind"));
	if (!api || strcmp(api, "admission.k8s.io/v1") != 0 || !kind || strcmp(kind, "AdmissionReview") != 0)
		return cc_error_set(err, EINVAL,
				    "not an AdmissionReview of admission.k8s.io/v1 (apiVersion `%.60s`, kind `%.60s`)",
				    api ?: "", kind ?: "");
	const json_t *request = json_object_get(review, "request");
	if (!json_is_object(request))
		return cc_error_set(err, EINVAL, "the AdmissionReview has no request object");
	*ret = (struct request){
		.review = review,
		.request = request,
		.uid = json_string_value(json_object_get(request, "uid")),
		.operation = json_string_value(json_object_get(request, "operation")),
		.namespace = json_string_value(json_object_get(request, "namespace")),
		.user = json_string_value(json_object_get(json_object_get(request, "userInfo"), "username")),
	};
	if (!ret->uid || !*ret->uid)
		return cc_error_set(err, EINVAL, "request.uid is missing: the answer could not be matched to it");
	if (!ret->operation)
		return cc_error_set(err, EINVAL, "request.operation is missing");
	return 0;
}

static json_t *response(const struct request *rq, bool allowed)
{
	return json_pack("{s:s, s:s, s:{s:s, s:b}}", "apiVersion", "admission.k8s.io/v1", "kind", "AdmissionReview",
			 "response", "uid", rq->uid, "allowed", allowed);
}

static void deny(json_t *review, const char *message)
{
	json_t *resp = json_object_get(review, "response");
	json_object_set_new(resp, "allowed", json_false());
	json_object_set_new(
	    resp, "status",
	    json_pack("{s:I, s:s, s:s}", "code", (json_int_t)403, "reason", "Forbidden", "message", message));
}

static void warn(json_t *review, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(json_t *review, const char *fmt, ...)
{
	json_t *resp = json_object_get(review, "response");
	json_t *warnings = json_object_get(resp, "warnings");
	if (!warnings)
		json_object_set_new(resp, "warnings", warnings = json_array());
	if (json_array_size(warnings) >= WARNINGS_MAX)
		return;
	va_list ap;
	va_start(ap, fmt);
	char text[512];
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_array_append_new(warnings, json_string(text));
}

static void annotate(json_t *review, const char *key, const char *value)
{
	json_t *resp = json_object_get(review, "response");
	json_t *a = json_object_get(resp, "auditAnnotations");
	if (!a)
		json_object_set_new(resp, "auditAnnotations", a = json_object());
	json_object_set_new(a, key, json_string(value));
}

/* Every container image's report, by image; the images without one in missing. */
static json_t *image_reports(const struct scan_admission_config *cfg, const json_t *spec, json_t *missing)
{
	static const char *const lists[] = { "initContainers", "containers", "ephemeralContainers" };
	json_t *images = json_object();
	for (size_t l = 0; l < CC_ARRAY_SIZE(lists); l++) {
		size_t i;
		const json_t *c;
		json_array_foreach (json_object_get(spec, lists[l]), i, c) {
			const char *image = json_string_value(json_object_get(c, "image"));
			if (!image || json_object_get(images, image))
				continue;
			json_t *report = cfg->verdicts ? scan_image_verdicts_find(cfg->verdicts, image) : NULL;
			if (report)
				json_object_set_new(images, image, report);
			else
				json_array_append_new(missing, json_string(image));
		}
	}
	return images;
}

static json_t *workload_facts(const struct scan_workload *w, const char *namespace)
{
	const json_t *meta = w->pod_metadata ? w->pod_metadata : json_object_get(w->object, "metadata");
	return json_pack("{s:s, s:s?, s:s?, s:O?, s:O?, s:O}", "kind", w->kind, "namespace", namespace, "name", w->name,
			 "labels", json_object_get(meta, "labels"), "annotations", json_object_get(meta, "annotations"),
			 "podSpec", w->pod_spec);
}

static char *missing_message(const struct scan_admission_config *cfg, const json_t *missing)
{
	_cleanup_free_ char *list = json_dumps(missing, JSON_COMPACT);
	return cc_xasprintf("no scan verdict for image %s: %s", list,
			    cfg->unscanned_hint
				? cfg->unscanned_hint
				: "scan it (`cocoon scan image --format json` into the webhook's "
				  "reports) before deploying it; the webhook refuses what it cannot judge");
}

static void misconfiguration_warnings(const struct scan_admission_config *cfg, const struct scan_workload *w,
				      json_t *review)
{
	json_t *found = json_array();
	scan_workload_misconfigurations(w, cfg->level, true, found);
	size_t i;
	json_t *m;
	json_array_foreach (found, i, m)
		warn(review, "%s: %s", json_string_value(json_object_get(m, "id")),
		     json_string_value(json_object_get(m, "message")));
	char count[32];
	snprintf(count, sizeof(count), "%zu", json_array_size(found));
	annotate(review, "misconfigurations", count); /* the API server prefixes the webhook's name */
	json_decref(found);
}

/* The policies at deploy: refusal, warnings, annotations. Returns the refusal (malloc'd) or NULL. */
static char *judge(const struct scan_admission_config *cfg, const struct scan_workload *w, const char *namespace,
		   json_t *images, json_t *review)
{
	_cleanup_json_ json_t *workload = workload_facts(w, namespace);
	_cleanup_json_ json_t *facts = scan_policy_facts(SCAN_POLICY_STAGE_DEPLOY, NULL, images, workload);
	json_t *violations = NULL;
	struct cc_error err = { 0 };
	if (scan_policy_evaluate(cfg->policies, facts, &violations, &err) < 0)
		return cc_xasprintf("the policies could not be judged (%s): refused", cc_error_message(&err));
	size_t i;
	json_t *v;
	json_t *names = json_array();
	json_array_foreach (violations, i, v) {
		const char *enforcement = json_string_value(json_object_get(v, "enforcement"));
		json_array_append(names, json_object_get(v, "policy"));
		if (enforcement && !strcmp(enforcement, "warn"))
			warn(review, "policy \"%s\": %s", json_string_value(json_object_get(v, "policy")),
			     json_string_value(json_array_get(json_object_get(v, "messages"), 0)) ?: "");
	}
	_cleanup_free_ char *list = json_dumps(names, JSON_COMPACT);
	annotate(review, "policy-violations", list);
	json_decref(names);
	char *refusal = scan_policy_refusal(violations, SCAN_POLICY_STAGE_DEPLOY);
	json_decref(violations);
	return refusal;
}

static void add_patch(const struct scan_admission_config *cfg, const struct scan_workload *w, json_t *review)
{
	_cleanup_json_ json_t *ops = scan_admission_patch(cfg, w->pod_spec, w->spec_path);
	if (!json_array_size(ops))
		return;
	_cleanup_free_ char *text = json_dumps(ops, JSON_COMPACT);
	_cleanup_free_ char *b64 = cc_base64_encode((const uint8_t *)text, strlen(text));
	json_t *resp = json_object_get(review, "response");
	json_object_set_new(resp, "patchType", json_string("JSONPatch"));
	json_object_set_new(resp, "patch", json_string(b64));
}

/* Kinds whose pod template may change after creation: an UPDATE of a Pod or a Job cannot add the
 * mutation's fields (the API server refuses the change), so only their CREATE is patched. */
static bool template_mutable(const char *kind)
{
	static const char *const kinds[] = { "Deployment", "StatefulSet",           "DaemonSet",
					     "ReplicaSet", "ReplicationController", "CronJob",
					     "PodTemplate" };
	for (size_t i = 0; i < CC_ARRAY_SIZE(kinds); i++)
		if (!strcmp(kind, kinds[i]))
			return true;
	return false;
}

/* The mutating path only adds what is missing; judging is the validating path's, which sees the
 * object as patched. Windows pods take neither seccomp nor capabilities. */
static void mutate_only(const struct scan_admission_config *cfg, const struct request *rq,
			const struct scan_workload *w, struct scan_admission_outcome *out)
{
	const char *os = json_string_value(json_object_get(json_object_get(w->pod_spec, "os"), "name"));
	bool windows = os && !strcmp(os, "windows");
	bool patch = !windows && (!strcmp(rq->operation, "CREATE") || template_mutable(w->kind));
	if (patch)
		add_patch(cfg, w, out->review);
	out->allowed = true;
	out->reason = cc_xstrdup(patch ? "mutated where the workload left fields unset" : "nothing to mutate");
}

/* Reports made without a malware scan say nothing about malware: said, not taken as clean. */
static void unscanned_malware_warnings(const json_t *images, json_t *review)
{
	const char *image;
	const json_t *report;
	json_object_foreach ((json_t *)images, image, report)
		if (json_is_null(json_object_get(json_object_get(report, "scanned"), "malware")))
			warn(review,
			     "image %s was scanned without malware signatures (--malware-db): not judged for malware",
			     image);
}

static void decide(const struct scan_admission_config *cfg, const struct request *rq, const struct scan_workload *w,
		   struct scan_admission_outcome *out)
{
	const char *namespace = w->namespace ? w->namespace : rq->namespace;
	_cleanup_json_ json_t *missing = json_array();
	_cleanup_json_ json_t *images = image_reports(cfg, w->pod_spec, missing);
	char *refusal = NULL;
	if (json_array_size(missing) && !cfg->allow_unscanned)
		refusal = missing_message(cfg, missing);
	else if (json_array_size(missing))
		warn(out->review, "admitted without a scan verdict for %zu image(s): %s", json_array_size(missing),
		     json_string_value(json_array_get(missing, 0)));
	if (!refusal)
		refusal = judge(cfg, w, namespace, images, out->review);
	/* after the policies' warnings, which are the ones that matter when the list is cut */
	unscanned_malware_warnings(images, out->review);
	misconfiguration_warnings(cfg, w, out->review);
	if (refusal) {
		deny(out->review, refusal);
		out->allowed = false;
		out->reason = refusal;
		return;
	}
	out->allowed = true;
	out->reason = cc_xasprintf("admitted: %zu image(s) with a verdict", json_object_size(images));
}

int scan_admission_review(const struct scan_admission_config *cfg, const char *body, size_t len, bool mutate,
			  struct scan_admission_outcome *ret, struct cc_error *err)
{
	_cleanup_json_ json_t *review = NULL;
	int pr = cc_json_parse(body, len, SCAN_ADMISSION_MAX_BODY, "the AdmissionReview", &review, err);
	if (pr < 0)
		return pr;
	return scan_admission_review_json(cfg, review, mutate, ret, err);
}

int scan_admission_review_json(const struct scan_admission_config *cfg, const json_t *review, bool mutate,
			       struct scan_admission_outcome *ret, struct cc_error *err)
{
	struct request rq = { 0 };
	int r = read_request(review, &rq, err);
	if (r < 0)
		return r;
	struct scan_admission_outcome out = { .review = response(&rq, true), .allowed = true };
	out.user = cc_xstrdup(rq.user ? rq.user : "unknown");
	const json_t *object = json_object_get(rq.request, "object");
	struct scan_workload w;
	struct cc_error werr = { 0 };
	int has_pods = 0;
	if (strcmp(rq.operation, "CREATE") == 0 || strcmp(rq.operation, "UPDATE") == 0)
		has_pods = scan_workload_read(object, &w, &werr);
	if (has_pods < 0) {
		/* the API server sends an object of the kinds the webhook is registered for; one it
		 * cannot read is refused, not passed */
		out.reason = cc_xasprintf("request.object cannot be read: %s", cc_error_message(&werr));
		deny(out.review, out.reason);
		out.allowed = false;
		out.object = cc_xstrdup("?");
	} else if (has_pods == 0) {
		out.reason = cc_xasprintf("%s: nothing to judge", rq.operation);
		out.object =
		    cc_xstrdup(json_string_value(json_object_get(json_object_get(rq.request, "kind"), "kind")) ?: "?");
	} else {
		out.object = cc_xasprintf("%s/%s/%s", w.kind, w.namespace ?: rq.namespace ?: "", w.name ?: "");
		if (mutate)
			mutate_only(cfg, &rq, &w, &out);
		else
			decide(cfg, &rq, &w, &out);
	}
	*ret = out;
	return 0;
}

void scan_admission_outcome_clear(struct scan_admission_outcome *o)
{
	json_decref(o->review);
	free(o->object);
	free(o->user);
	free(o->reason);
	*o = (struct scan_admission_outcome){ 0 };
}
