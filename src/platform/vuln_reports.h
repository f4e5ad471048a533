/* The VulnerabilityReport objects (scan.cocoon.dev/v1alpha1, namespaced, in the manner of
 * trivy-operator's): one per workload and container, made from the image scanner's reports
 * (image_scan.h), so `kubectl get vulnerabilityreports -A` lists what every running image is
 * exposed to. A pod's report belongs to the pod's controller (its ReplicaSet, ...) when it has one,
 * else to the pod: NAME is `<kind>-<owner>-<container>`, the labels name the owner and the
 * container, and the object carries the owner's ownerReference. Reports are written by cocoond
 * only (the resource is read-only to clients: a verdict is not the tenant's to forge); those whose
 * pods are gone, or whose image has no report any more, are removed. One thread does the work,
 * woken by pod changes and by new scan reports. */
#pragma once

#include <jansson.h>

struct cc_error;
struct platform_objects;
struct platform_vuln_reports;
struct scan_image_verdicts;

/* The API group, version and kind. */
#define PLATFORM_VULN_REPORT_GROUP   "scan.cocoon.dev"
#define PLATFORM_VULN_REPORT_VERSION "v1alpha1"
/* At most this many vulnerabilities are listed in one object (the worst first; the summary counts
 * them all): the object stays well below the store's value limit. */
#define PLATFORM_VULN_REPORT_MAX_ITEMS 2000

/* verdicts: the scanner's reports, read on each reconcile (not taken over). */
int platform_vuln_reports_start(struct platform_objects *objects, struct scan_image_verdicts *verdicts,
				struct platform_vuln_reports **ret, struct cc_error *err);
/* The scanner wrote or removed reports: look again. */
void platform_vuln_reports_wake(struct platform_vuln_reports *v);
void platform_vuln_reports_stop(struct platform_vuln_reports *v);

/* The object's `report` section made from one scan report (for tests and `kubectl describe`). */
json_t *platform_vuln_report_section(const json_t *scan_report);
