/* cocoon scan image PATH: inventory, CVE findings, malware, secrets and misconfiguration of an image,
 * judged by the policies at the build stage when asked (docs/scan.md). */
#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "scan/policy.h"
#include "scan/scan.h"
#include "scan_common.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROGRAM "cocoon scan image"

static void usage(FILE *out)
{
	fprintf(out, "Usage: cocoon scan image [OPTIONS] PATH\n\n"
		     "Lists what an image has installed (dpkg, apk, rpm) and the advisories of the vulnerability\n"
		     "database that apply to it, malware (with ClamAV signatures you give), secrets left in files and\n"
		     "the image config's misconfiguration. PATH is a root filesystem directory, a tar of one, a\n"
		     "docker-archive, an oci-archive (`podman save`) or an OCI image layout directory; nothing is\n"
		     "unpacked. store:REF scans an image of cocoon's image store (`cocoon image ls`) by name,\n"
		     "digest or ID, as the platform runs it.\n\n"
		     "Options:\n"
		     "  --db PATH             the vulnerability database (default $COCOON_SCAN_DB, else\n"
		     "                        " SCAN_DEFAULT_VULNDB "; see `cocoon scan db`)\n"
		     "  --no-db               inventory only\n"
		     "  --malware-db PATH     ClamAV signatures (.hdb, .ndb, .ldb, .yar, .cvd, ...: a file or a\n"
		     "                        directory; default $COCOON_MALWARE_DB): scan every file for malware\n"
		     "  --no-secrets          do not look for secrets in files\n"
		     "  --no-config-checks    do not check the image config\n"
		     "  --policy PATH         judge the result with these policies at the build stage (a file or\n"
		     "                        a directory; repeatable); a violated policy whose build\n"
		     "                        enforcement is `fail` exits 1 (see `cocoon scan policy`)\n"
		     "  --default-policies    judge with cocoon's default policies too\n"
		     "  --store DIR           the image store of store:REF (default $COCOON_IMAGE_STORE, else\n"
		     "                        /var/lib/cocoon/images)\n"
		     "  -q, --quiet           no progress line on a terminal\n"
		     "  -f, --format FORMAT   table (default), json, sarif (SARIF 2.1.0), cyclonedx (CycloneDX 1.5\n"
		     "                        SBOM) or spdx (SPDX 2.3 SBOM); SOURCE_DATE_EPOCH fixes the last\n"
		     "                        three's time and identifiers, for reproducible output\n"
		     "  -o, --output FILE     write the report there instead of standard output\n"
		     "  --fail-on SEVERITY    exit 1 when a finding, secret or misconfiguration is at least this\n"
		     "                        severe (malware counts as critical)\n"
		     "                        (critical, high, medium, low, negligible, unknown)\n"
		     "  -h, --help            show this help\n\n"
		     "Exit codes: 0 scanned (and nothing reached --fail-on or failed a policy), 1 a finding reached\n"
		     "--fail-on, a policy failed the build or the scan failed, 2 usage error.\n");
}

#define MAX_POLICIES 32

struct image_args {
	struct scan_cli_args common;
	const char *store;
	bool config_checks, default_policies;
	const char *policies[MAX_POLICIES];
	size_t n_policies;
};

static int parse_args(int argc, char **argv, struct image_args *a)
{
	static const struct option options[] = {
		{ "db", required_argument, NULL, 'd' },      { "no-db", no_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },  { "output", required_argument, NULL, 'o' },
		{ "fail-on", required_argument, NULL, 'F' }, { "malware-db", required_argument, NULL, 'm' },
		{ "no-secrets", no_argument, NULL, 'S' },    { "no-config-checks", no_argument, NULL, 'C' },
		{ "policy", required_argument, NULL, 'p' },  { "default-policies", no_argument, NULL, 'P' },
		{ "store", required_argument, NULL, 's' },   { "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },          { 0 },
	};
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "f:o:qh", options, NULL)) != -1) {
		int taken = scan_cli_args_take(PROGRAM, &a->common, c, optarg);
		if (taken < 0)
			return CLI_EXIT_USAGE;
		if (taken)
			continue;
		switch (c) {
		case 'C': a->config_checks = false; break;
		case 'p':
			if (a->n_policies == MAX_POLICIES) {
				cli_error(PROGRAM, "at most %d --policy", MAX_POLICIES);
				return CLI_EXIT_USAGE;
			}
			a->policies[a->n_policies++] = optarg;
			break;
		case 'P': a->default_policies = true; break;
		case 's': a->store = optarg; break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (scan_cli_args_check(PROGRAM, &a->common) < 0)
		return CLI_EXIT_USAGE;
	if (optind != argc - 1) {
		cli_error(PROGRAM, "give exactly one PATH to scan; see --help");
		return CLI_EXIT_USAGE;
	}
	return -1;
}

static int scan(const struct image_args *a, const char *path, struct scan_result *ret)
{
	struct scan_options opts;
	scan_options_default(&opts);
	opts.config = a->config_checks;
	struct scan_malware_engine *malware;
	if (scan_cli_open(PROGRAM, &a->common, path, &opts, &malware) < 0)
		return -1;
	struct cc_error err = { 0 };
	int r;
	/* store:REF is an image of cocoon's image store, as the platform runs it */
	if (!strncmp(path, "store:", 6))
		r = scan_run_stored_image(a->store, path + 6, &opts, ret, &err);
	else
		r = scan_run_image(path, &opts, ret, &err);
	scan_cli_close(&opts, malware);
	if (r < 0)
		cli_error(PROGRAM, "%s", cc_error_message(&err));
	return r;
}

int cmd_scan_image(int argc, char **argv)
{
	struct image_args a = { .store = getenv("COCOON_IMAGE_STORE"), .config_checks = true };
	scan_cli_args_init(&a.common);
	int rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	const char *path = argv[optind];
	struct scan_result result;
	if (scan(&a, path, &result) < 0)
		return CLI_EXIT_FAILURE;
	bool judged = a.default_policies || a.n_policies, blocks = false;
	if (judged &&
	    scan_cli_judge_build(PROGRAM, &result, a.policies, a.n_policies, a.default_policies, &blocks) < 0) {
		scan_result_clear(&result);
		return CLI_EXIT_FAILURE;
	}
	_cleanup_free_ char *refusal =
	    blocks ? scan_policy_refusal(result.policy_violations, SCAN_POLICY_STAGE_BUILD) : NULL;
	if (blocks && !refusal)
		refusal = cc_xstrdup("a policy fails the build");
	rc = scan_cli_finish(PROGRAM, &a.common, &result, refusal);
	scan_result_clear(&result);
	return rc;
}
