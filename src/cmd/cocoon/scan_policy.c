/* cocoon scan policy list|lint|eval|fields: the policy engine on the command line (docs/scan.md,
 * "Policies"). The work is in src/scan/policy*.c; this file parses arguments and prints. */
#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/json/json.h"
#include "scan/policy.h"
#include "tabwriter.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROGRAM "cocoon scan policy"

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "Usage: cocoon scan policy COMMAND [OPTIONS]\n\n"
	    "Security policies: which findings, image settings and workload settings are violations, at\n"
	    "which stage (build, deploy, runtime), and what a violation does there.\n\n"
	    "Commands:\n"
	    "  list                 the policies: name, severity, stages, enforcement\n"
	    "  lint [PATH...]       check policy files or directories (all of them, every problem)\n"
	    "  eval FACTS|-         judge the policies against a facts JSON file\n"
	    "  fields               the fields criteria can name\n\n"
	    "Options of list, lint and eval:\n"
	    "  -p, --policy PATH          a policy file or a directory of *.yaml, *.yml, *.json (repeatable);\n"
	    "                             a policy named like a default one replaces it\n"
	    "  --no-default-policies      leave out the default set\n"
	    "  -f, --format FORMAT        table (default) or json\n"
	    "Options of eval:\n"
	    "  --fail-on SEVERITY         also exit 1 when a violation is at least this severe\n"
	    "                             (critical, high, medium, low)\n\n"
	    "Facts: {\"stage\": \"build\"|\"deploy\"|\"runtime\", \"image\": REPORT|null, \"images\": {REF: REPORT},\n"
	    "        \"workload\": {\"kind\", \"namespace\", \"name\", \"labels\", \"annotations\", "
	    "\"podSpec\"}|null}\n"
	    "with REPORT the JSON of `cocoon scan image --format json`.\n\n"
	    "Exit codes: 0 fine; 1 lint found problems, or eval found a violation that blocks at the facts'\n"
	    "stage (fail at build, deny at deploy and runtime) or reaches --fail-on, or the facts could not\n"
	    "be judged; 2 usage error.\n");
}

struct options {
	const char **policies;
	size_t n_policies;
	bool no_defaults;
	bool json;
	int fail_on; /* a severity_rank(), or -1 */
	int first_arg;
};

/* A policy's severity: low 0 ... critical 3, -1 for anything else. */
static int severity_rank(const char *name)
{
	static const char *const names[] = { "low", "medium", "high", "critical" };
	for (size_t i = 0; name && i < CC_ARRAY_SIZE(names); i++)
		if (strcmp(name, names[i]) == 0)
			return (int)i;
	return -1;
}

/* The options every command takes: -1 to go on, else the code to exit with (0 after --help). */
static int parse_options(int argc, char **argv, bool with_fail_on, struct options *o)
{
	static const struct option options[] = {
		{ "policy", required_argument, NULL, 'p' }, { "no-default-policies", no_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' }, { "fail-on", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },         { 0 },
	};
	*o = (struct options){ .fail_on = -1 };
	o->policies = cc_xcalloc((size_t)argc, sizeof(o->policies[0]));
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "p:f:h", options, NULL)) != -1) {
		switch (c) {
		case 'p': o->policies[o->n_policies++] = optarg; break;
		case 'n': o->no_defaults = true; break;
		case 'f':
			if (strcmp(optarg, "json") != 0 && strcmp(optarg, "table") != 0) {
				cli_error(PROGRAM, "--format takes table or json, not `%s`", optarg);
				return CLI_EXIT_USAGE;
			}
			o->json = strcmp(optarg, "json") == 0;
			break;
		case 'F':
			if (!with_fail_on) {
				cli_error(PROGRAM, "--fail-on is an option of eval");
				return CLI_EXIT_USAGE;
			}
			if ((o->fail_on = severity_rank(optarg)) < 0) {
				cli_error(PROGRAM, "--fail-on takes critical, high, medium or low, not `%s`", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	o->first_arg = optind;
	return -1;
}

static int load_set(const struct options *o, struct scan_policy_set **ret)
{
	_cleanup_(scan_policy_set_freep) struct scan_policy_set *set = scan_policy_set_new();
	struct cc_error err = { 0 };
	if (!o->no_defaults && scan_policy_load_default(set, &err) < 0) {
		cli_error(PROGRAM, "the default policies: %s", cc_error_message(&err));
		return -1;
	}
	for (size_t i = 0; i < o->n_policies; i++)
		if (scan_policy_load_path(set, o->policies[i], &err) < 0) {
			cli_error(PROGRAM, "%s", cc_error_message(&err));
			return -1;
		}
	*ret = CC_TAKE_PTR(set);
	return 0;
}

static void print_json(const json_t *doc)
{
	json_dumpf(doc, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
}

/* "build:fail deploy:inform" */
static void enforcement_text(const json_t *policy, char *out, size_t size)
{
	size_t i, len = 0;
	json_t *stage;
	out[0] = '\0';
	json_array_foreach (json_object_get(policy, "stages"), i, stage) {
		const char *name = json_string_value(stage);
		const char *e = json_string_value(json_object_get(json_object_get(policy, "enforcement"), name));
		int n = snprintf(out + len, size - len, "%s%s:%s", i ? " " : "", name, e ? e : "inform");
		if (n < 0 || (size_t)n >= size - len)
			break;
		len += (size_t)n;
	}
}

static int cmd_list(int argc, char **argv)
{
	struct options o;
	int rc = parse_options(argc, argv, false, &o);
	_cleanup_free_ const char **policies = o.policies;
	if (rc >= 0)
		return rc;
	if (o.first_arg != argc) {
		cli_error(PROGRAM, "list takes no arguments; give policy files with --policy");
		return CLI_EXIT_USAGE;
	}
	_cleanup_(scan_policy_set_freep) struct scan_policy_set *set = NULL;
	if (load_set(&o, &set) < 0)
		return CLI_EXIT_FAILURE;
	_cleanup_json_ json_t *list = scan_policy_set_json(set);
	if (o.json) {
		print_json(list);
		return CLI_EXIT_OK;
	}
	struct tabwriter w = { CC_BUF_INIT };
	tabwriter_printf(&w, 0, "NAME\tSEVERITY\tENFORCEMENT\tDESCRIPTION\n");
	size_t i;
	json_t *p;
	json_array_foreach (list, i, p) {
		char enforcement[128];
		enforcement_text(p, enforcement, sizeof(enforcement));
		const char *description = json_string_value(json_object_get(p, "description"));
		tabwriter_printf(&w, 0, "%s%s\t%s\t%s\t%s\n", json_string_value(json_object_get(p, "name")),
				 json_is_true(json_object_get(p, "disabled")) ? " (disabled)" : "",
				 json_string_value(json_object_get(p, "severity")), enforcement,
				 description ? description : "");
	}
	tabwriter_flush(&w, stdout);
	tabwriter_free(&w);
	return CLI_EXIT_OK;
}

static void collect_problem(void *ctx, const char *problem)
{
	json_array_append_new(ctx, json_string(problem));
}

static int cmd_lint(int argc, char **argv)
{
	struct options o;
	int rc = parse_options(argc, argv, false, &o);
	_cleanup_free_ const char **policies = o.policies;
	if (rc >= 0)
		return rc;
	for (int i = o.first_arg; i < argc; i++)
		o.policies[o.n_policies++] = argv[i];
	_cleanup_json_ json_t *problems = json_array();
	for (size_t i = 0; i < o.n_policies; i++)
		scan_policy_lint_path(o.policies[i], collect_problem, problems);
	/* Each path is clean on its own; now together, and beside the default set. */
	size_t n_policies = 0;
	if (json_array_size(problems) == 0) {
		_cleanup_(scan_policy_set_freep) struct scan_policy_set *set = scan_policy_set_new();
		struct cc_error err = { 0 };
		int r = o.no_defaults ? 0 : scan_policy_load_default(set, &err);
		for (size_t i = 0; r >= 0 && i < o.n_policies; i++)
			r = scan_policy_load_path(set, o.policies[i], &err);
		if (r < 0)
			json_array_append_new(problems, json_string(cc_error_message(&err)));
		n_policies = scan_policy_set_size(set);
	}
	if (o.json) {
		_cleanup_json_ json_t *doc =
		    json_pack("{s:O, s:I}", "problems", problems, "policies", (json_int_t)n_policies);
		print_json(doc);
	} else {
		size_t i;
		json_t *p;
		json_array_foreach (problems, i, p)
			fprintf(stderr, "%s\n", json_string_value(p));
		if (json_array_size(problems) == 0)
			printf("%zu policies, no problems\n", n_policies);
		else
			fprintf(stderr, "%s: %zu problem%s\n", PROGRAM " lint", json_array_size(problems),
				json_array_size(problems) == 1 ? "" : "s");
	}
	return json_array_size(problems) ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

static int read_facts(const char *path, json_t **ret)
{
	struct cc_error err = { 0 };
	_cleanup_free_ char *data = NULL;
	size_t len;
	int r = strcmp(path, "-") == 0
		    ? cc_read_fd(STDIN_FILENO, "standard input", SCAN_POLICY_FACTS_MAX, &data, &len, &err)
		    : cc_read_file(path, SCAN_POLICY_FACTS_MAX, &data, &len, &err);
	if (r >= 0)
		r = cc_json_parse(data, len, SCAN_POLICY_FACTS_MAX, strcmp(path, "-") == 0 ? "standard input" : path,
				  ret, &err);
	if (r < 0) {
		cli_error(PROGRAM " eval", "facts: %s", cc_error_message(&err));
		return -1;
	}
	return 0;
}

/* A message for a terminal: its values come from the facts, so control characters (an escape
 * sequence in a container's name) are shown as `?`. */
static char *printable(const char *text)
{
	char *out = cc_xstrdup(text ? text : "");
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return out;
}

static void print_violations(const json_t *violations)
{
	struct tabwriter w = { CC_BUF_INIT };
	tabwriter_printf(&w, 0, "POLICY\tSEVERITY\tENFORCEMENT\tMESSAGE\n");
	size_t i, k;
	json_t *v, *m;
	json_array_foreach ((json_t *)violations, i, v)
		json_array_foreach (json_object_get(v, "messages"), k, m) {
			_cleanup_free_ char *text = printable(json_string_value(m));
			tabwriter_printf(&w, 0, "%s\t%s\t%s\t%s\n",
					 k ? "" : json_string_value(json_object_get(v, "policy")),
					 k ? "" : json_string_value(json_object_get(v, "severity")),
					 k ? "" : json_string_value(json_object_get(v, "enforcement")), text);
		}
	tabwriter_flush(&w, stdout);
	tabwriter_free(&w);
}

static int cmd_eval(int argc, char **argv)
{
	struct options o;
	int rc = parse_options(argc, argv, true, &o);
	_cleanup_free_ const char **policies = o.policies;
	if (rc >= 0)
		return rc;
	if (o.first_arg != argc - 1) {
		cli_error(PROGRAM " eval", "give one FACTS file (or - for standard input); see --help");
		return CLI_EXIT_USAGE;
	}
	const char *path = argv[o.first_arg];
	_cleanup_(scan_policy_set_freep) struct scan_policy_set *set = NULL;
	_cleanup_json_ json_t *facts = NULL, *violations = NULL;
	if (load_set(&o, &set) < 0 || read_facts(path, &facts) < 0)
		return CLI_EXIT_FAILURE;
	struct cc_error err = { 0 };
	if (scan_policy_evaluate(set, facts, &violations, &err) < 0) {
		/* Fail closed: facts that cannot be judged are a refusal. */
		cli_error(PROGRAM " eval", "%s: %s", path, cc_error_message(&err));
		cli_emit_decision("scan", "scan.policy", path, NULL, false, cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	enum scan_policy_stage stage = SCAN_POLICY_STAGE_BUILD;
	scan_policy_stage_parse(json_string_value(json_object_get(facts, "stage")), &stage);
	if (o.json)
		print_json(violations);
	else if (json_array_size(violations))
		print_violations(violations);
	bool blocks = scan_policy_blocks(violations, stage), reaches = false;
	size_t i;
	json_t *v;
	json_array_foreach (violations, i, v)
		if (o.fail_on >= 0 && severity_rank(json_string_value(json_object_get(v, "severity"))) >= o.fail_on)
			reaches = true;
	_cleanup_free_ char *refusal = scan_policy_refusal(violations, stage);
	cli_emit_decision("scan", "scan.policy", path, NULL, !blocks, refusal);
	if (!o.json)
		fprintf(stderr, "%s: %zu violation%s at %s%s\n", PROGRAM " eval", json_array_size(violations),
			json_array_size(violations) == 1 ? "" : "s", scan_policy_stage_name(stage),
			blocks ? stage == SCAN_POLICY_STAGE_BUILD ? "; the build fails" : "; denied" : "");
	if (reaches && !o.json)
		fprintf(stderr, "%s: violations at or above --fail-on\n", PROGRAM " eval");
	return blocks || reaches ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

static int cmd_fields(int argc, char **argv)
{
	struct options o;
	int rc = parse_options(argc, argv, false, &o);
	_cleanup_free_ const char **policies = o.policies;
	if (rc >= 0)
		return rc;
	if (o.first_arg != argc) {
		cli_error(PROGRAM, "fields takes no arguments");
		return CLI_EXIT_USAGE;
	}
	_cleanup_json_ json_t *fields = scan_policy_fields_json();
	if (o.json) {
		print_json(fields);
		return CLI_EXIT_OK;
	}
	struct tabwriter w = { CC_BUF_INIT };
	tabwriter_printf(&w, 0, "FIELD\tTYPE\tSTAGES\tOPERATORS\tDESCRIPTION\n");
	size_t i, k;
	json_t *f, *x;
	json_array_foreach (fields, i, f) {
		char stages[64] = "", ops[64] = "";
		json_array_foreach (json_object_get(f, "stages"), k, x)
			snprintf(stages + strlen(stages), sizeof(stages) - strlen(stages), "%s%s", k ? "," : "",
				 json_string_value(x));
		json_array_foreach (json_object_get(f, "operators"), k, x)
			snprintf(ops + strlen(ops), sizeof(ops) - strlen(ops), "%s%s", k ? "," : "",
				 json_string_value(x));
		tabwriter_printf(&w, 0, "%s\t%s\t%s\t%s\t%s\n", json_string_value(json_object_get(f, "name")),
				 json_string_value(json_object_get(f, "type")), stages, ops,
				 json_string_value(json_object_get(f, "description")));
	}
	tabwriter_flush(&w, stdout);
	tabwriter_free(&w);
	return CLI_EXIT_OK;
}

int cmd_scan_policy(int argc, char **argv)
{
	static const struct cli_subcommand commands[] = {
		{ "list", cmd_list }, { "lint", cmd_lint }, { "eval", cmd_eval }, { "fields", cmd_fields }
	};
	return cli_run_subcommand(PROGRAM, argc, argv, commands, CC_ARRAY_SIZE(commands), usage);
}
