/* state, list, ps: reporting on containers. */
#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "runtime/cgroup.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_json(json_t *value)
{
	char *text = json_dumps(value, JSON_INDENT(2) | JSON_SORT_KEYS);
	printf("%s\n", text);
	free(text);
}

int rt_cmd_state(const struct runtime_globals *g, int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-') {
		if (argc == 2 && strcmp(argv[1], "--help") == 0) {
			printf("Usage: cocoon-runtime state ID\n");
			return CLI_EXIT_OK;
		}
		cli_error("cocoon-runtime", "state needs exactly one container id");
		return CLI_EXIT_USAGE;
	}
	struct runtime_state *st;
	struct cc_error err = { 0 };
	if (runtime_state_load(g->root, argv[1], &st, &err) < 0)
		return rt_fail("state", &err);
	json_t *doc = runtime_state_to_json(st);
	print_json(doc);
	json_decref(doc);
	runtime_state_free(st);
	return CLI_EXIT_OK;
}

int rt_cmd_list(const struct runtime_globals *g, int argc, char **argv)
{
	static const struct option options[] = { { "format", required_argument, NULL, 'f' },
						 { "quiet", no_argument, NULL, 'q' },
						 { "help", no_argument, NULL, 'h' },
						 { 0 } };
	bool json = false, quiet = false;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "f:qh", options, NULL)) != -1) {
		if (c == 'f')
			json = strcmp(optarg, "json") == 0;
		else if (c == 'q')
			quiet = true;
		else if (c == 'h') {
			printf("Usage: cocoon-runtime list [--format table|json] [--quiet]\n");
			return CLI_EXIT_OK;
		} else
			return CLI_EXIT_USAGE;
	}
	char **ids;
	size_t n;
	struct cc_error err = { 0 };
	if (runtime_state_list(g->root, &ids, &n, &err) < 0)
		return rt_fail("list", &err);
	json_t *all = json_array();
	if (!json && !quiet)
		printf("%-24s %-8s %-10s %-48s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
	for (size_t i = 0; i < n; i++) {
		struct runtime_state *st;
		if (runtime_state_load(g->root, ids[i], &st, NULL) == 0) {
			json_t *doc = runtime_state_to_json(st);
			if (quiet)
				printf("%s\n", st->id);
			else if (!json)
				printf("%-24s %-8lld %-10s %-48s %-30s %s\n", st->id,
				       (long long)json_integer_value(json_object_get(doc, "pid")),
				       json_string_value(json_object_get(doc, "status")), st->bundle ? st->bundle : "",
				       json_string_value(json_object_get(doc, "created")), "root");
			json_array_append_new(all, doc);
			runtime_state_free(st);
		}
		free(ids[i]);
	}
	free(ids);
	if (json)
		print_json(all);
	json_decref(all);
	return CLI_EXIT_OK;
}

int rt_cmd_ps(const struct runtime_globals *g, int argc, char **argv)
{
	static const struct option options[] = { { "format", required_argument, NULL, 'f' },
						 { "help", no_argument, NULL, 'h' },
						 { 0 } };
	bool json = false;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "f:h", options, NULL)) != -1) {
		if (c == 'f')
			json = strcmp(optarg, "json") == 0;
		else if (c == 'h') {
			printf("Usage: cocoon-runtime ps [--format table|json] ID\n");
			return CLI_EXIT_OK;
		} else
			return CLI_EXIT_USAGE;
	}
	if (optind != argc - 1) {
		cli_error("cocoon-runtime", "ps needs exactly one container id");
		return CLI_EXIT_USAGE;
	}
	struct runtime_state *st;
	struct cc_error err = { 0 };
	if (runtime_state_load(g->root, argv[optind], &st, &err) < 0)
		return rt_fail("ps", &err);
	pid_t *pids = NULL;
	size_t n = 0;
	int r = runtime_cgroup_pids(st->cgroup_paths, &pids, &n, &err);
	runtime_state_free(st);
	if (r < 0)
		return rt_fail("ps", &err);
	if (json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, json_integer(pids[i]));
		char *text = json_dumps(arr, JSON_COMPACT);
		printf("%s\n", text);
		free(text);
		json_decref(arr);
	} else {
		printf("%-8s %s\n", "PID", "CMD");
		for (size_t i = 0; i < n; i++) {
			char path[64], cmd[256] = "";
			snprintf(path, sizeof(path), "/proc/%d/comm", (int)pids[i]);
			FILE *f = fopen(path, "re");
			if (f) {
				if (fgets(cmd, sizeof(cmd), f))
					cmd[strcspn(cmd, "\n")] = '\0';
				fclose(f);
			}
			printf("%-8d %s\n", (int)pids[i], cmd);
		}
	}
	free(pids);
	return CLI_EXIT_OK;
}
