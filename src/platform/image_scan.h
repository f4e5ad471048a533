/* cocoond's image scanner: every image in the node's image store is scanned (packages and their
 * vulnerabilities, malware with a signature database, secrets, the image config) when it arrives,
 * and again when the vulnerability database changes, on a thread of its own at low CPU and idle I/O
 * priority. Each verdict is a `cocoon scan image --format json` report written to
 * <reports_dir>/<image ID hex>.json (with the database it was judged against), which admission
 * (scan/image_verdicts.h) and the VulnerabilityReport objects (vuln_reports.h) read; the reports of
 * images that left the store go too. Detections and each scan's summary go to the audit stream
 * (scan/image.scanned, scan/malware.detected, scan/secret.detected). Optionally the host itself is
 * scanned on a schedule (`cocoon scan node` under cocoond). */
#pragma once

struct cc_error;
struct platform_image_scan;

struct platform_image_scan_config {
	const char *image_root;  /* the image store */
	const char *reports_dir; /* made when missing */
	const char *vulndb;      /* the vulnerability database's path; it may appear later */
	const char *malware_db;  /* ClamAV signatures (a file or directory), or NULL */
	/* The host scan: every this many seconds (0: never), of node_root, named node_name in events,
	 * its report written to node_report. */
	int node_interval_s;
	const char *node_root;
	const char *node_name;
	const char *node_report;
	/* Called on the scanner's thread after reports were written or removed. */
	void (*reports_changed)(void *ctx);
	void *ctx;
};

/* Loads the malware signatures (a database that cannot be loaded refuses the start: scans without
 * it would look clean) and starts the thread. */
int platform_image_scan_start(const struct platform_image_scan_config *cfg, struct platform_image_scan **ret,
			      struct cc_error *err);
/* Look at the store now (an image was pulled or loaded). */
void platform_image_scan_wake(struct platform_image_scan *s);
/* Stops the thread (a scan in progress is finished first) and frees. NULL is fine. */
void platform_image_scan_stop(struct platform_image_scan *s);
