/* cocoon webhook serve: the admission webhook (docs/scan.md, "Admission webhook"). */
#include "scan/webhook.h"

#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/base/stop.h"
#include "lib/event/emit.h"
#include "scan/image_verdicts.h"
#include "scan/policy.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROGRAM      "cocoon webhook serve"
#define MAX_POLICIES 32

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: cocoon webhook serve --cert FILE --key FILE [OPTIONS]\n\n"
		"Serves Kubernetes admission (AdmissionReview v1) over HTTPS: POST /validate judges a workload's\n"
		"pod template with the policies (deploy stage) and its images' scan reports, POST /mutate also\n"
		"adds runtimeClassName, the RuntimeDefault seccomp profile and dropping ALL capabilities where\n"
		"the workload does not say them; GET /healthz for probes. An image without a scan report is\n"
		"refused unless --allow-unscanned. Every decision is an audit event.\n\n"
		"Options:\n"
		"  --listen ADDR            address to listen on (default 0.0.0.0:8443)\n"
		"  --cert FILE, --key FILE  the server's certificate (its SAN names the Service) and key\n"
		"  --client-ca FILE         accept only clients with a certificate this CA signed\n"
		"  --reports DIR            `cocoon scan image --format json` reports, re-read when they change\n"
		"  --policy PATH            policies (a file or a directory; repeatable, up to %d)\n"
		"  --no-default-policies    only the --policy ones\n"
		"  --allow-unscanned        admit images without a report (with a warning)\n"
		"  --level LEVEL            Pod Security level of the misconfigurations warned about\n"
		"                           (baseline or restricted; default restricted)\n"
		"  --runtime-class NAME     what the mutation sets (default cocoon)\n"
		"  --no-mutate-runtime-class, --no-mutate-seccomp, --no-mutate-capabilities\n"
		"                           leave that part of the pod as it is\n"
		"  --event-log FILE         where decisions go (default $COCOON_EVENT_LOG, else\n"
		"                           $COCOON_AUDIT_SOCKET, else ./webhook-events.jsonl)\n"
		"  -h, --help               show this help\n",
		MAX_POLICIES);
}

struct webhook_args {
	struct scan_webhook_config cfg;
	const char *reports, *event_log;
	const char *policies[MAX_POLICIES];
	size_t n_policies;
	bool no_default;
};

static int parse(int argc, char **argv, struct webhook_args *a)
{
	static const struct option options[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "client-ca", required_argument, NULL, 'C' },
		{ "reports", required_argument, NULL, 'r' },
		{ "policy", required_argument, NULL, 'p' },
		{ "no-default-policies", no_argument, NULL, 'P' },
		{ "allow-unscanned", no_argument, NULL, 'u' },
		{ "level", required_argument, NULL, 'L' },
		{ "runtime-class", required_argument, NULL, 'R' },
		{ "no-mutate-runtime-class", no_argument, NULL, '1' },
		{ "no-mutate-seccomp", no_argument, NULL, '2' },
		{ "no-mutate-capabilities", no_argument, NULL, '3' },
		{ "event-log", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct scan_admission_config *ad = &a->cfg.admission;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'l': a->cfg.listen = optarg; break;
		case 'c': a->cfg.tls_cert = optarg; break;
		case 'k': a->cfg.tls_key = optarg; break;
		case 'C': a->cfg.client_ca = optarg; break;
		case 'r': a->reports = optarg; break;
		case 'p':
			if (a->n_policies == MAX_POLICIES) {
				cli_error(PROGRAM, "at most %d --policy", MAX_POLICIES);
				return CLI_EXIT_USAGE;
			}
			a->policies[a->n_policies++] = optarg;
			break;
		case 'P': a->no_default = true; break;
		case 'u': ad->allow_unscanned = true; break;
		case 'L':
			if (scan_pss_level_parse(optarg, &ad->level) < 0 || ad->level == SCAN_PSS_PRIVILEGED) {
				cli_error(PROGRAM, "--level takes baseline or restricted, not `%s`", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'R': ad->runtime_class = optarg; break;
		case '1': ad->mutate_runtime_class = false; break;
		case '2': ad->mutate_seccomp = false; break;
		case '3': ad->mutate_capabilities = false; break;
		case 'e': a->event_log = optarg; break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		cli_error(PROGRAM, "unexpected argument `%s`; see --help", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	if (!a->cfg.tls_cert || !a->cfg.tls_key) {
		cli_error(PROGRAM, "--cert and --key are required: the API server calls webhooks over HTTPS only");
		return CLI_EXIT_USAGE;
	}
	return -1;
}

static int load_policies(struct webhook_args *a, struct scan_policy_set *set, struct cc_error *err)
{
	if (!a->no_default && scan_policy_load_default(set, err) < 0)
		return -1;
	for (size_t i = 0; i < a->n_policies; i++)
		if (scan_policy_load_path(set, a->policies[i], err) < 0)
			return -1;
	return 0;
}

static int open_events(const char *event_log, struct cc_error *err)
{
	if (event_log && *event_log)
		return cc_event_sink_open_file(event_log, err);
	return cc_event_sink_open_default("webhook-events.jsonl", err);
}

static int serve(struct webhook_args *a)
{
	cc_stop_signals_block(); /* before the server's threads start */
	struct cc_error err = { 0 };
	_cleanup_(scan_policy_set_freep) struct scan_policy_set *set = scan_policy_set_new();
	struct scan_image_verdicts *verdicts = NULL;
	struct scan_webhook *w = NULL;
	int r = load_policies(a, set, &err);
	if (r == 0 && a->reports)
		r = scan_image_verdicts_open(a->reports, &verdicts, &err);
	if (r == 0)
		r = open_events(a->event_log, &err);
	a->cfg.admission.policies = set;
	a->cfg.admission.verdicts = verdicts;
	if (r == 0)
		r = scan_webhook_start(&a->cfg, &w, &err);
	if (r < 0) {
		cli_error(PROGRAM, "%s", cc_error_message(&err));
	} else {
		cc_info("cocoon webhook serving admission on port %d (%zu policies, %zu image reports)",
			scan_webhook_port(w), scan_policy_set_size(set),
			verdicts ? scan_image_verdicts_count(verdicts) : 0);
		printf("listening on port %d\n", scan_webhook_port(w));
		fflush(stdout);
		cc_wait_until_stopped(0, NULL, NULL);
	}
	scan_webhook_stop(w);
	scan_image_verdicts_free(verdicts);
	cc_event_sink_close();
	return r < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

int cmd_webhook(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "serve") != 0) {
		bool help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
		usage(help ? stdout : stderr);
		if (argc >= 2 && !help)
			cli_error("cocoon webhook", "unknown command `%s`: the one command is `serve`", argv[1]);
		return help ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	struct webhook_args a = { .cfg = { .listen = "0.0.0.0:8443",
					   .admission = { .level = SCAN_PSS_RESTRICTED,
							  .runtime_class = "cocoon",
							  .mutate_runtime_class = true,
							  .mutate_seccomp = true,
							  .mutate_capabilities = true } } };
	int rc = parse(argc - 1, argv + 1, &a);
	return rc >= 0 ? rc : serve(&a);
}
