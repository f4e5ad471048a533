/* The scanner's parts of cocoond (scanning.h). */
#include "platform/scanning.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "platform/daemon.h"
#include "platform/image_scan.h"
#include "platform/vuln_reports.h"
#include "scan/image_verdicts.h"
#include "scan/policy.h"

#include <errno.h>
#include <string.h>

/* The scanner wrote or removed reports: admission sees them at once, the objects follow. */
static void reports_changed(void *ctx)
{
	struct platform_scanning *s = ctx;
	scan_image_verdicts_reload(s->verdicts);
	platform_vuln_reports_wake(s->reports);
}

static int load_policies(struct platform_scanning *s, const char *spec, struct cc_error *err)
{
	s->policies = scan_policy_set_new();
	int r = strcmp(spec, "default") == 0 ? scan_policy_load_default(s->policies, err)
					     : scan_policy_load_path(s->policies, spec, err);
	if (r < 0)
		return r;
	s->admission = (struct scan_admission_config){
		.policies = s->policies,
		.verdicts = s->verdicts,
		.level = SCAN_PSS_RESTRICTED,
		.unscanned_hint = "cocoond scans an image when it enters the node's image store: pull or load it "
				  "(`cocoon image pull`, `cocoon image load`) and deploy once it is scanned (seconds; "
				  "the event scan/image.scanned says when); images are never admitted unjudged",
	};
	s->admission_on = true;
	return 0;
}

int platform_scanning_start(struct platform_scanning *s, const struct platform_daemon_config *cfg,
			    struct platform_objects *objects, const char *node, struct cc_error *err)
{
	_cleanup_free_ char *reports_dir = cc_xasprintf("%s/scan/reports", cfg->data_dir);
	_cleanup_free_ char *node_report = cc_xasprintf("%s/scan/node.json", cfg->data_dir);
	_cleanup_free_ char *default_db = cc_xasprintf("%s/scan/vulndb.sqlite", cfg->data_dir);
	_cleanup_free_ char *default_images = cc_xasprintf("%s/images", cfg->data_dir);
	if (cfg->no_image_scan && cfg->admission_policy && !cfg->admission_allow_unscanned)
		return cc_error_set(err, EINVAL,
				    "--admission-policy without the image scanner refuses every image: give "
				    "--admission-allow-unscanned, or leave the scanner on");
	int r = cc_mkdir_p(reports_dir, 0750, err);
	if (r == 0)
		r = scan_image_verdicts_open(reports_dir, &s->verdicts, err);
	if (r == 0 && cfg->admission_policy)
		r = load_policies(s, cfg->admission_policy, err);
	s->admission.allow_unscanned = cfg->admission_allow_unscanned;
	if (r < 0 || cfg->no_image_scan)
		return r;
	r = platform_vuln_reports_start(objects, s->verdicts, &s->reports, err);
	struct platform_image_scan_config scfg = {
		.image_root = cfg->image_root ? cfg->image_root : default_images,
		.reports_dir = reports_dir,
		.vulndb = cfg->scan_db ? cfg->scan_db : default_db,
		.malware_db = cfg->malware_db,
		.node_interval_s = cfg->node_scan_interval_s,
		.node_root = "/",
		.node_name = node,
		.node_report = node_report,
		.reports_changed = reports_changed,
		.ctx = s,
	};
	if (r == 0)
		r = platform_image_scan_start(&scfg, &s->scanner, err);
	return r;
}

void platform_scanning_stop(struct platform_scanning *s)
{
	platform_image_scan_stop(s->scanner);
	platform_vuln_reports_stop(s->reports);
	scan_image_verdicts_free(s->verdicts);
	scan_policy_set_free(s->policies);
	*s = (struct platform_scanning){ 0 };
}
