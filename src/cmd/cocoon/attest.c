/* cocoon attest verify: checks TEE evidence with the verifier of its kind and prints its claims. */
#include "attest/policy.h"
#include "attest/verifier.h"
#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/encode.h"
#include "lib/json/json.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVIDENCE_MAX (1u << 20)

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: cocoon attest verify --tee snp|tdx|tpm --evidence FILE [--vcek FILE --chain FILE]\n"
		"                            [--root FILE] [--crl FILE]... [--tcb-info FILE --qe-identity FILE\n"
		"                            --collateral-chain FILE] [--ak FILE] [--nonce HEX] [--at TIME]\n"
		"                            [--policy FILE] [--json]\n"
		"       cocoon attest agent ...   (the node attestation agent: cocoon attest agent --help)\n\n"
		"Checks that TEE evidence is authentic and prints its claims (docs/attest.md).\n"
		"  --tee snp  an AMD SEV-SNP report: its ECDSA P-384 signature by the VCEK (--vcek, DER), the\n"
		"             VCEK's chain to the ARK (--chain: AMD's ASK and ARK in PEM; the ARK is the trust\n"
		"             anchor), hwID = chip_id, and the VCEK's TCB = the reported TCB.\n"
		"  --tee tdx  an Intel TDX quote v4: the PCK certificate chain in the quote up to the Intel SGX\n"
		"             Root CA (--root, PEM), the QE report signed by the PCK key and binding the\n"
		"             attestation key, and the quote signature by that key. --crl adds revocation\n"
		"             lists (DER or PEM; repeat for the PCK and root CRLs), checked for every certificate.\n"
		"             With Intel's collateral (--tcb-info, --qe-identity and the TCB signing chain\n"
		"             --collateral-chain, checked against --root) the claims get tcb_status and\n"
		"             qe_tcb_status.\n"
		"  --tee tpm  a TPM 2.0 quote with PCR values and the measurement log (JSON, docs/attest.md):\n"
		"             signed by the attestation key (--ak: its TPM2B_PUBLIC from registration), extraData\n"
		"             = --nonce, PCR digest = the supplied PCRs, and the log replays to its PCR.\n"
		"--nonce HEX: the freshness value the evidence must carry (TPM extraData; for SNP and TDX the\n"
		"start of report_data). --at checks certificates at that time instead of now. --json prints\n"
		"the claims. --policy FILE: reference values the claims must meet (rules of claim + equals,\n"
		"oneOf, atLeast or atMost; docs/attest.md); each rule is reported, any failed rule denies.\n"
		"Exit 0 when the evidence is authentic, 1 with the reason when it is not, 2 on usage errors.\n"
		"With COCOON_AUDIT_SOCKET set, the verdict is sent to the audit pipeline.\n");
}

/* The files named on the command line, read into the verifier's input. */
struct files {
	char *evidence, *endorsement, *roots, *crls[ATTEST_CRLS_MAX], *tcb_info, *qe_identity, *collateral_chain;
};

static void files_free(struct files *f)
{
	free(f->evidence);
	free(f->endorsement);
	free(f->roots);
	free(f->tcb_info);
	free(f->qe_identity);
	free(f->collateral_chain);
	for (size_t i = 0; i < ATTEST_CRLS_MAX; i++)
		free(f->crls[i]);
}

static int read_input(const char *path, char **ret, const uint8_t **ret_data, size_t *ret_len, struct cc_error *err)
{
	if (!path)
		return 0;
	if (cc_read_file(path, EVIDENCE_MAX, ret, ret_len, err) < 0)
		return -1;
	*ret_data = (const uint8_t *)*ret;
	return 0;
}

/* Which files each kind needs, checked before anything is read. */
static bool required_present(const char *tee, const char *vcek, const char *chain, const char *root, const char *ak,
			     const char *nonce)
{
	if (strcmp(tee, "tpm") == 0 && (!ak || !nonce)) {
		cli_error("cocoon attest verify", "--tee tpm: --ak (the AK's TPM2B_PUBLIC) and --nonce are required");
		return false;
	}
	if (strcmp(tee, "snp") == 0 && (!vcek || !chain)) {
		cli_error("cocoon attest verify", "--tee snp: --vcek and --chain are required");
		return false;
	}
	if (strcmp(tee, "tdx") == 0 && !root) {
		cli_error("cocoon attest verify", "--tee tdx: --root (the Intel SGX Root CA) is required");
		return false;
	}
	return true;
}

static void print_denied_rules(const char *evidence, json_t *appraisal)
{
	size_t i;
	json_t *rule;
	json_array_foreach (json_object_get(appraisal, "rules"), i, rule)
		if (!json_is_true(json_object_get(rule, "ok")))
			cli_error("cocoon attest verify", "%s: policy: %s", evidence,
				  json_string_value(json_object_get(rule, "reason")));
}

struct verify_args {
	const char *tee, *evidence, *vcek, *chain, *root, *at, *policy_file, *ak, *nonce_hex;
	const char *tcb_info, *qe_identity, *collateral_chain;
	const char *crl_paths[ATTEST_CRLS_MAX];
	size_t n_crls;
	bool json;
};

/* Returns -1 to go on, or the exit code (help, usage error). */
static int parse_verify_args(int argc, char **argv, struct verify_args *a)
{
	static const struct option options[] = {
		{ "tee", required_argument, NULL, 't' },
		{ "evidence", required_argument, NULL, 'e' },
		{ "vcek", required_argument, NULL, 'v' },
		{ "chain", required_argument, NULL, 'c' },
		{ "root", required_argument, NULL, 'r' },
		{ "crl", required_argument, NULL, 'l' },
		{ "ak", required_argument, NULL, 'k' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "tcb-info", required_argument, NULL, 'T' },
		{ "qe-identity", required_argument, NULL, 'Q' },
		{ "collateral-chain", required_argument, NULL, 'C' },
		{ "at", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "policy", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 't': a->tee = optarg; break;
		case 'e': a->evidence = optarg; break;
		case 'v': a->vcek = optarg; break;
		case 'c': a->chain = optarg; break;
		case 'r': a->root = optarg; break;
		case 'l':
			if (a->n_crls == ATTEST_CRLS_MAX) {
				cli_error("cocoon attest verify", "at most %d --crl files", ATTEST_CRLS_MAX);
				return CLI_EXIT_USAGE;
			}
			a->crl_paths[a->n_crls++] = optarg;
			break;
		case 'a': a->at = optarg; break;
		case 'k': a->ak = optarg; break;
		case 'n': a->nonce_hex = optarg; break;
		case 'T': a->tcb_info = optarg; break;
		case 'Q': a->qe_identity = optarg; break;
		case 'C': a->collateral_chain = optarg; break;
		case 'j': a->json = true; break;
		case 'p': a->policy_file = optarg; break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (!attest_verifier_find(a->tee)) {
		cli_error("cocoon attest verify", "--tee must be one of: %s", attest_verifier_names());
		return CLI_EXIT_USAGE;
	}
	if (!a->evidence || optind != argc) {
		cli_error("cocoon attest verify", "--evidence FILE is required");
		return CLI_EXIT_USAGE;
	}
	if (!required_present(a->tee, a->vcek, a->chain, a->root, a->ak, a->nonce_hex))
		return CLI_EXIT_USAGE;
	bool any = a->tcb_info || a->qe_identity || a->collateral_chain;
	if (any && !(a->tcb_info && a->qe_identity && a->collateral_chain)) {
		cli_error("cocoon attest verify", "--tcb-info, --qe-identity and --collateral-chain go together");
		return CLI_EXIT_USAGE;
	}
	return -1;
}

/* The nonce and the time of appraisal; false (after saying why) on a malformed value. */
static bool parse_nonce_and_time(const struct verify_args *a, uint8_t *nonce, size_t size, struct attest_input *in)
{
	if (a->nonce_hex) {
		size_t n = strlen(a->nonce_hex) / 2;
		if (strlen(a->nonce_hex) % 2 != 0 || n == 0 || n > size || cc_hex_decode(a->nonce_hex, nonce, n) < 0) {
			cli_error("cocoon attest verify", "--nonce must be 1 to 64 bytes of hex");
			return false;
		}
		in->nonce = nonce;
		in->nonce_len = n;
	}
	if (a->at) {
		int64_t ns;
		if (cc_time_parse_rfc3339(a->at, &ns) < 0) {
			cli_error("cocoon attest verify", "--at `%s` is not an RFC 3339 time", a->at);
			return false;
		}
		in->at = (time_t)(ns / 1000000000);
	}
	return true;
}

/* Reads every file the verifier needs into files, pointing in at them. */
static int read_verify_files(const struct verify_args *a, struct files *files, struct attest_input *in,
			     struct cc_error *err)
{
	const uint8_t *roots = NULL;
	int r = read_input(a->evidence, &files->evidence, &in->evidence, &in->evidence_len, err);
	if (r == 0)
		r = read_input(a->vcek ? a->vcek : a->ak, &files->endorsement, &in->endorsement, &in->endorsement_len,
			       err);
	if (r == 0)
		r = read_input(a->chain ? a->chain : a->root, &files->roots, &roots, &in->roots_len, err);
	for (size_t i = 0; r == 0 && i < a->n_crls; i++)
		r = read_input(a->crl_paths[i], &files->crls[i], &in->crls[i].data, &in->crls[i].len, err);
	if (r == 0)
		r = read_input(a->tcb_info, &files->tcb_info, &in->tcb_info.data, &in->tcb_info.len, err);
	if (r == 0)
		r = read_input(a->qe_identity, &files->qe_identity, &in->qe_identity.data, &in->qe_identity.len, err);
	if (r == 0)
		r = read_input(a->collateral_chain, &files->collateral_chain, &in->collateral_chain.data,
			       &in->collateral_chain.len, err);
	in->roots_pem = (const char *)roots;
	return r;
}

/* Appraises the claims against the policy, records the decision, and prints the outcome. */
static int appraise(const struct verify_args *a, const struct attest_verifier *verifier, json_t *claims,
		    const json_t *policy)
{
	_cleanup_json_ json_t *appraisal = NULL;
	bool allowed = !policy || attest_policy_evaluate(policy, claims, &appraisal);
	if (!allowed)
		print_denied_rules(a->evidence, appraisal);
	/* Every verdict is a security decision: it goes to the audit pipeline. */
	cli_emit_decision("attest", "attest.verify", a->evidence, NULL, allowed,
			  allowed ? NULL : "the claims do not meet the policy");
	if (a->json) {
		if (appraisal)
			json_object_set(claims, "appraisal", appraisal);
		_cleanup_free_ char *text = json_dumps(claims, JSON_COMPACT | JSON_SORT_KEYS);
		printf("%s\n", text);
	} else if (allowed) {
		printf("%s: authentic %s%s\n", a->evidence, verifier->description, policy ? "; the policy is met" : "");
	}
	return allowed ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

static int verify(int argc, char **argv)
{
	struct verify_args a = { 0 };
	int exit_code = parse_verify_args(argc, argv, &a);
	if (exit_code >= 0)
		return exit_code;
	const struct attest_verifier *verifier = attest_verifier_find(a.tee);
	struct attest_input in = { .n_crls = a.n_crls };
	uint8_t nonce[64];
	if (!parse_nonce_and_time(&a, nonce, sizeof(nonce), &in))
		return CLI_EXIT_USAGE;
	struct cc_error err = { 0 };
	_cleanup_json_ json_t *policy = NULL;
	if (a.policy_file && attest_policy_load(a.policy_file, &policy, &err) < 0) {
		cli_error("cocoon attest verify", "%s", cc_error_message(&err));
		return CLI_EXIT_USAGE;
	}
	struct files files = { 0 };
	if (read_verify_files(&a, &files, &in, &err) < 0) {
		cli_error("cocoon attest verify", "%s", cc_error_message(&err));
		files_free(&files);
		return CLI_EXIT_USAGE;
	}
	_cleanup_json_ json_t *claims = NULL;
	int r = verifier->verify(&in, &claims, &err);
	files_free(&files);
	if (r < 0) {
		cli_emit_decision("attest", "attest.verify", a.evidence, NULL, false, cc_error_message(&err));
		cli_error("cocoon attest verify", "%s: %s", a.evidence, cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	return appraise(&a, verifier, claims, policy);
}

int cmd_attest(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return verify(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "agent") == 0)
		return cmd_attest_agent(argc - 1, argv + 1);

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	usage(stderr);
	return CLI_EXIT_USAGE;
}
