/* cocoon scale state: the planner's input read from a Kubernetes API server (cocoond by default, or
 * any cluster through --server and --pki): its nodes grouped into blocks by a label, its pods with
 * their requests as the scheduler counts them (pending ones are those no node took), its
 * PodDisruptionBudgets. `cocoon scale plan --cluster` plans on the same without printing it. */
#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/cleanup.h"
#include "lib/json/json.h"
#include "scale_kube.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define PROGRAM "cocoon scale state"

static void usage(FILE *out)
{
	fprintf(out, "Usage: cocoon scale state [OPTIONS]\n\n"
		     "Reads the nodes, pods and PodDisruptionBudgets of a Kubernetes API server (cocoond by\n"
		     "default) and prints them as the input of `cocoon scale plan` (docs/scale.md \"Input\"):\n"
		     "nodes grouped into blocks by a label, pods with what they ask as the scheduler counts it,\n"
		     "pending pods those no node took. Save it to plan later, or to see what the planner sees.\n"
		     "Objects the planner cannot take as they are are named on standard error.\n\n"
		     "Options:\n" SCALE_KUBE_USAGE KUBE_CONNECTION_USAGE "  -h, --help              show this help\n\n"
		     "Exit codes: 0 printed; 1 the server could not be read; 2 usage error.\n");
}

static int print_state(struct kube *k, const struct scale_kube_options *o)
{
	_cleanup_json_ json_t *state = NULL;
	if (scale_state_fetch(k, o, stderr, &state) < 0)
		return CLI_EXIT_FAILURE;
	_cleanup_free_ char *text = json_dumps(state, JSON_INDENT(2));
	printf("%s\n", text ? text : "null");
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error(PROGRAM, "write standard output: %s", strerror(errno));
		return CLI_EXIT_FAILURE;
	}
	return CLI_EXIT_OK;
}

int cmd_scale_state(int argc, char **argv)
{
	static const struct option verb_options[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	_cleanup_free_ struct option *options = scale_kube_all_options(verb_options);
	struct scale_kube_options o;
	scale_kube_options_init(&o);
	struct kube k;
	kube_init(&k, PROGRAM);
	int rc = CLI_EXIT_OK, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		int taken = scale_kube_option(PROGRAM, &k, c, optarg, &o);
		if (taken < 0) {
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		if (taken)
			continue;
		if (c == 'h') {
			usage(stdout);
			goto out;
		}
		usage(stderr);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (optind != argc) {
		cli_error(PROGRAM, "unexpected argument `%s`; see --help", argv[optind]);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	kube_connect(&k);
	rc = print_state(&k, &o);
out:
	kube_clear(&k);
	scale_kube_options_clear(&o);
	return rc;
}
