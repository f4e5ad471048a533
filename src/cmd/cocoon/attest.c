/* cocoon attest verify: checks TEE evidence and prints its claims. SEV-SNP today; TDX and TPM
 * quotes follow (issue 4). */
#include "../cli.h"
#include "commands.h"

#include "attest/policy.h"
#include "attest/snp.h"
#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "base/timeutil.h"
#include "event/emit.h"
#include "json/json.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVIDENCE_MAX (1u << 20)

static void usage(FILE *out)
{
	fprintf(out, "Usage: cocoon attest verify --tee snp --evidence FILE --vcek FILE --chain FILE\n"
		     "                            [--at RFC3339-TIME] [--policy FILE] [--json]\n\n"
		     "Verifies an AMD SEV-SNP attestation report: its ECDSA P-384 signature by the VCEK, the\n"
		     "VCEK's chain to the ARK (--chain: AMD's ASK and ARK in PEM; the ARK is the trust anchor),\n"
		     "that the VCEK is the report's chip's (hwID = chip_id) and its TCB the reported TCB.\n"
		     "--at checks the certificates at that time instead of now. --json prints the claims.\n"
		     "--policy FILE: reference values the claims must meet (rules of claim + equals, oneOf,\n"
		     "atLeast or atMost; docs/attest.md); each rule is reported, and any failed rule denies.\n"
		     "Exit 0 when the evidence is authentic, 1 with the reason when it is not, 2 on usage errors.\n"
		     "With COCOON_AUDIT_SOCKET set, the verdict is sent to the audit pipeline.\n");
}

/* Every verdict is a security decision: it goes to the audit pipeline. */
static void emit_verdict(const char *evidence, bool authentic, const char *reason)
{
	const char *socket = getenv("COCOON_AUDIT_SOCKET");
	if (socket && cc_event_sink_open_socket(socket, NULL) < 0)
		cli_error("cocoon attest", "cannot reach the audit socket `%s`", socket);
	struct cc_event *ev;
	if (cc_event_new("attest", "attest.verify", &ev, NULL) < 0)
		return;
	cc_event_set_object(ev, evidence);
	cc_event_set_verdict(ev, authentic ? CC_VERDICT_ALLOW : CC_VERDICT_DENY,
			     authentic ? CC_SEVERITY_INFO : CC_SEVERITY_WARNING);
	if (reason)
		cc_event_set_reason(ev, "%s", reason);
	cc_event_emit(ev);
	cc_event_sink_close();
}

static int verify(int argc, char **argv)
{
	static const struct option options[] = {
		{ "tee", required_argument, NULL, 't' },
		{ "evidence", required_argument, NULL, 'e' },
		{ "vcek", required_argument, NULL, 'v' },
		{ "chain", required_argument, NULL, 'c' },
		{ "at", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "policy", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *tee = NULL, *evidence = NULL, *vcek = NULL, *chain = NULL, *at = NULL, *policy_file = NULL;
	bool json = false;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 't': tee = optarg; break;
		case 'e': evidence = optarg; break;
		case 'v': vcek = optarg; break;
		case 'c': chain = optarg; break;
		case 'a': at = optarg; break;
		case 'j': json = true; break;
		case 'p': policy_file = optarg; break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (!tee || strcmp(tee, "snp") != 0) {
		cli_error("cocoon attest verify", "--tee snp is required (tdx and tpm are not supported yet)");
		return CLI_EXIT_USAGE;
	}
	if (!evidence || !vcek || !chain || optind != argc) {
		cli_error("cocoon attest verify", "--evidence, --vcek and --chain are required");
		return CLI_EXIT_USAGE;
	}
	struct snp_verify_options opts = { 0 };
	if (at) {
		int64_t ns;
		if (cc_time_parse_rfc3339(at, &ns) < 0) {
			cli_error("cocoon attest verify", "--at `%s` is not an RFC 3339 time", at);
			return CLI_EXIT_USAGE;
		}
		opts.at = (time_t)(ns / 1000000000);
	}
	struct cc_error err = { 0 };
	_cleanup_json_ json_t *policy = NULL;
	if (policy_file && attest_policy_load(policy_file, &policy, &err) < 0) {
		cli_error("cocoon attest verify", "%s", cc_error_message(&err));
		return CLI_EXIT_USAGE;
	}
	_cleanup_free_ char *report = NULL, *vcek_der = NULL, *chain_pem = NULL;
	size_t report_len, vcek_len, chain_len;
	if (cc_read_file(evidence, EVIDENCE_MAX, &report, &report_len, &err) < 0 ||
	    cc_read_file(vcek, EVIDENCE_MAX, &vcek_der, &vcek_len, &err) < 0 ||
	    cc_read_file(chain, EVIDENCE_MAX, &chain_pem, &chain_len, &err) < 0) {
		cli_error("cocoon attest verify", "%s", cc_error_message(&err));
		return CLI_EXIT_USAGE;
	}
	opts.vcek_der = (const uint8_t *)vcek_der;
	opts.vcek_len = vcek_len;
	opts.chain_pem = chain_pem;
	opts.chain_len = chain_len;
	struct snp_report r;
	if (snp_report_verify((const uint8_t *)report, report_len, &opts, &r, &err) < 0) {
		emit_verdict(evidence, false, cc_error_message(&err));
		cli_error("cocoon attest verify", "%s: %s", evidence, cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	_cleanup_json_ json_t *claims = snp_report_claims(&r);
	_cleanup_json_ json_t *appraisal = NULL;
	bool allowed = !policy || attest_policy_evaluate(policy, claims, &appraisal);
	if (!allowed) {
		size_t i;
		json_t *rule;
		json_array_foreach (json_object_get(appraisal, "rules"), i, rule)
			if (!json_is_true(json_object_get(rule, "ok")))
				cli_error("cocoon attest verify", "%s: policy: %s", evidence,
					  json_string_value(json_object_get(rule, "reason")));
	}
	emit_verdict(evidence, allowed, allowed ? NULL : "the claims do not meet the policy");
	if (json) {
		if (appraisal)
			json_object_set(claims, "appraisal", appraisal);
		_cleanup_free_ char *text = json_dumps(claims, JSON_COMPACT | JSON_SORT_KEYS);
		printf("%s\n", text);
	} else if (allowed) {
		printf("%s: authentic SEV-SNP report (version %u, chip verified, TCB matches the VCEK)%s\n", evidence,
		       r.version, policy ? "; the policy is met" : "");
	}
	return allowed ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

int cmd_attest(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return verify(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	usage(stderr);
	return CLI_EXIT_USAGE;
}
