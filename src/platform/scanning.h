/* The scanner's parts of cocoond, started and stopped together: the image scanner
 * (image_scan.h), the verdicts it writes as admission reads them (scan/image_verdicts.h), the
 * VulnerabilityReport objects made from them (vuln_reports.h), and the admission configuration
 * (image_admission.h). Files: <data_dir>/scan/reports/ (one report per image),
 * <data_dir>/scan/node.json (the last host scan). */
#pragma once

#include "scan/admission.h"

#include <stdbool.h>

struct cc_error;
struct platform_daemon_config;
struct platform_image_scan;
struct platform_objects;
struct platform_vuln_reports;
struct scan_image_verdicts;
struct scan_policy_set;

struct platform_scanning {
	struct scan_image_verdicts *verdicts;
	struct platform_vuln_reports *reports;
	struct platform_image_scan *scanner;
	struct scan_policy_set *policies;
	struct scan_admission_config admission; /* used when admission_on */
	bool admission_on;
};

/* Zero-initialized s; node: this node's name. */
int platform_scanning_start(struct platform_scanning *s, const struct platform_daemon_config *cfg,
			    struct platform_objects *objects, const char *node, struct cc_error *err);
/* Stops what started; safe on a zeroed or partly started s. */
void platform_scanning_stop(struct platform_scanning *s);
