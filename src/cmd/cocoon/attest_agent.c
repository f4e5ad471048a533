/* cocoon attest agent: the node attestation agent (src/agent/agent.h). */
#include "agent/agent.h"
#include "agent/agent_tpm.h"
#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/tpm/tcti.h"

#include <getopt.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_STATE "/var/lib/cocoon/agent"
#define DEFAULT_LOG   "/run/cocoon-runtime/measurements.jsonl"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: cocoon attest agent ek-cert [--out FILE]\n"
		"       cocoon attest agent register --kbs URL --ca FILE --node NAME [--tenant T] [--state DIR]\n"
		"       cocoon attest agent fetch --kbs URL --ca FILE --node NAME --resource REPO/TYPE/TAG --out FILE\n"
		"                                 [--tenant T] [--state DIR] [--log FILE] [--pcr N]\n\n"
		"The node attestation agent, on the node's TPM (COCOON_TPM_TCTI, TPM2TOOLS_TCTI or /dev/tpmrm0).\n"
		"ek-cert prints the TPM's RSA EK certificate (PEM) for an administrator to enroll the node with\n"
		"the key broker (PUT /kbs/v0/admin/<tenant>/node/<name>). register creates the attestation key\n"
		"(kept in --state, default %s) and registers it by credential activation. fetch\n"
		"attests with a quote of PCR --pcr (15) and the runtime's measurement log (--log, default %s)\n"
		"and writes the released resource to --out (mode 0600), e.g. the fscrypt key of a volume.\n",
		DEFAULT_STATE, DEFAULT_LOG);
}

static int ek_cert(int argc, char **argv)
{
	const char *out = argc == 3 && strcmp(argv[1], "--out") == 0 ? argv[2] : NULL;
	if (argc != 1 && !out) {
		cli_error("cocoon attest agent", "ek-cert takes only --out FILE");
		return CLI_EXIT_USAGE;
	}
	struct cc_error err = { 0 };
	uint8_t *der = NULL;
	size_t len = 0;
	if (agent_tpm_ek_certificate(cc_tpm_tcti(), &der, &len, &err) < 0) {
		cli_error("cocoon attest agent", "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	const unsigned char *p = der;
	X509 *cert = d2i_X509(NULL, &p, (long)len);
	free(der);
	FILE *f = out ? fopen(out, "w") : stdout;
	int r = cert && f && PEM_write_X509(f, cert) == 1 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
	if (r != CLI_EXIT_OK)
		cli_error("cocoon attest agent", "the EK certificate cannot be %s", cert ? "written" : "parsed");
	if (f && out)
		fclose(f);
	X509_free(cert);
	return r;
}

int cmd_attest_agent(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "ek-cert") == 0)
		return ek_cert(argc - 1, argv + 1);
	bool fetch = strcmp(argv[1], "fetch") == 0;
	if (!fetch && strcmp(argv[1], "register") != 0) {
		cli_error("cocoon attest agent", "unknown command `%s` (ek-cert, register, fetch)", argv[1]);
		return CLI_EXIT_USAGE;
	}
	static const struct option options[] = {
		{ "kbs", required_argument, NULL, 'k' },
		{ "ca", required_argument, NULL, 'c' },
		{ "node", required_argument, NULL, 'n' },
		{ "tenant", required_argument, NULL, 't' },
		{ "state", required_argument, NULL, 's' },
		{ "log", required_argument, NULL, 'l' },
		{ "resource", required_argument, NULL, 'r' },
		{ "out", required_argument, NULL, 'o' },
		{ "pcr", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct agent_config cfg = {
		.tenant = "default",
		.state_dir = DEFAULT_STATE,
		.measurement_log = DEFAULT_LOG,
		.pcr = 15,
		.tcti = cc_tpm_tcti(),
	};
	const char *resource = NULL, *out = NULL;
	optind = 1;
	int c;
	while ((c = getopt_long(argc - 1, argv + 1, "h", options, NULL)) != -1) {
		switch (c) {
		case 'k': cfg.kbs_url = optarg; break;
		case 'c': cfg.ca_file = optarg; break;
		case 'n': cfg.node = optarg; break;
		case 't': cfg.tenant = optarg; break;
		case 's': cfg.state_dir = optarg; break;
		case 'l': cfg.measurement_log = optarg; break;
		case 'r': resource = optarg; break;
		case 'o': out = optarg; break;
		case 'p': cfg.pcr = atoi(optarg); break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (!cfg.kbs_url || !cfg.ca_file || !cfg.node || optind != argc - 1 || (fetch && (!resource || !out))) {
		cli_error("cocoon attest agent", "%s needs --kbs, --ca and --node%s", argv[1],
			  fetch ? ", --resource and --out" : "");
		return CLI_EXIT_USAGE;
	}
	struct cc_error err = { 0 };
	int r = cc_mkdir_p(cfg.state_dir, 0700, &err);
	if (r == 0)
		r = fetch ? agent_fetch(&cfg, resource, out, &err) : agent_register(&cfg, &err);
	if (r < 0) {
		cli_error("cocoon attest agent", "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	if (fetch)
		printf("%s: released after attestation, written to %s\n", resource, out);
	else
		printf("node %s registered with %s for tenant %s\n", cfg.node, cfg.kbs_url, cfg.tenant);
	return CLI_EXIT_OK;
}
