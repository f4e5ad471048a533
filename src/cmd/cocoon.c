/* cocoon: the command-line client. Dispatches to one file per subcommand in src/cmd/cocoon/. */
#include "cli.h"
#include "cocoon/commands.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "up", cmd_up, "start the platform (cocoond) in the background; kubectl works against it" },
	{ "down", cmd_down, "stop the platform cocoon up started" },
	{ "kubeconfig", cmd_kubeconfig, "print the platform's admin kubeconfig" },
	{ "get", cmd_get, "list or show API objects, as kubectl get does" },
	{ "apply", cmd_apply, "create or update API objects from YAML or JSON files (server-side apply)" },
	{ "delete", cmd_delete, "delete API objects by name or from files" },
	{ "describe", cmd_describe, "show objects in detail with their events, as kubectl describe does" },
	{ "exec", cmd_exec, "run a command in a pod's container, as kubectl exec does (WebSocket)" },
	{ "login", cmd_login, "sign in with an OpenID Connect provider and cache the token for kubectl" },
	{ "logs", cmd_logs, "print or follow the logs of a pod's container, as kubectl logs does" },
	{ "status", cmd_status, "ask a running cocoond who you are and whether it is healthy" },
	{ "image", cmd_image,
	  "load, import, list, inspect and remove container images (docker-archive, oci-archive, rootfs tarballs)" },
	{ "scan", cmd_scan, "scan images and hosts: packages, CVEs, malware, secrets, misconfiguration; the CVE data" },
	{ "webhook", cmd_webhook,
	  "serve Kubernetes admission (AdmissionReview v1): policies, scan verdicts, mutation" },
	{ "scale", cmd_scale, "capacity in SKU blocks: plan a decision, simulate a trace, generate traces" },
	{ "version-compare", cmd_version_compare, "compare two package versions as dpkg, rpm or apk does" },
	{ "certs", cmd_certs, "create the node PKI (CA, server and admin certificates)" },
	{ "event", cmd_event, "create or validate security events (the lib/event schema)" },
	{ "yaml2json", cmd_yaml2json, "convert YAML (multi-document) to JSON the way cocoon reads it" },
	{ "audit", cmd_audit, "verify hash-chained security logs; chain and format events (rfc5424, cef, leef, json)" },
	{ "attest", cmd_attest, "verify TEE attestation evidence (AMD SEV-SNP reports, Intel TDX quotes)" },
	{ "key", cmd_key, "versioned encryption keys: create, rotate, retire, list, encrypt, rewrap" },
	{ "kbs", cmd_kbs, "serve the key broker: secrets only for attested workloads (Trustee KBS v0)" },
	{ "kms", cmd_kms, "serve the Kubernetes KMS v2 plugin on a unix socket" },
	{ "version", cmd_version, "show the version" },
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: cocoon COMMAND [OPTIONS]\n\ncocoon is a confidential container platform. Commands:\n\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nRun 'cocoon COMMAND --help' for a command's options. Exit codes: 0 success, 1 failure,\n"
		     "2 usage error.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0)
		return cmd_version(1, (char *[]){ "version", NULL });
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(name, commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	cli_error("cocoon", "unknown command `%s`; run 'cocoon --help' for the list", name);
	return CLI_EXIT_USAGE;
}
