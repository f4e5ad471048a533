/* The planner's input from a Kubernetes API server (see scale_kube.h): the objects read in pages,
 * then scale/kube_state.h; the options the two commands share. */
#include "scale_kube.h"

#include "cmd/cli.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"
#include "scale/quantity.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* GETs every page of a collection (500 objects a page, as kubectl's chunking does). 404 is
 * *ret_missing when asked for, else a failure. */
static int list_all(struct kube *k, const char *path, bool *ret_missing, json_t **ret)
{
	json_t *items = json_array();
	_cleanup_free_ char *token = NULL;
	for (;;) {
		_cleanup_free_ char *escaped = token ? kube_query_escape(token) : NULL;
		_cleanup_free_ char *url =
		    cc_xasprintf("%s?limit=500%s%s", path, escaped ? "&continue=" : "", escaped ? escaped : "");
		long status = 0;
		json_t *page = NULL;
		if (kube_request(k, "GET", url, NULL, NULL, "application/json", &status, &page) < 0) {
			json_decref(items);
			return -1;
		}
		if (status == 404) {
			json_decref(page);
			json_decref(items);
			if (!ret_missing) {
				kube_print_status(status, NULL);
				return -1;
			}
			*ret_missing = true;
			*ret = json_array();
			return 0;
		}
		if (json_is_array(json_object_get(page, "items")))
			json_array_extend(items, json_object_get(page, "items"));
		const char *next = json_string_value(json_object_get(json_object_get(page, "metadata"), "continue"));
		free(token);
		token = next && next[0] ? cc_xstrdup(next) : NULL;
		json_decref(page);
		if (!token)
			break;
	}
	*ret = items;
	return 0;
}

int scale_state_fetch(struct kube *k, const struct scale_kube_options *o, FILE *warnings, json_t **ret)
{
	_cleanup_json_ json_t *nodes = NULL, *pods = NULL, *pdbs = NULL;
	bool no_budgets = false;
	if (list_all(k, "/api/v1/nodes", NULL, &nodes) < 0 || list_all(k, "/api/v1/pods", NULL, &pods) < 0 ||
	    list_all(k, "/apis/policy/v1/poddisruptionbudgets", &no_budgets, &pdbs) < 0)
		return -1;
	if (no_budgets)
		fprintf(warnings, "the server has no policy/v1 PodDisruptionBudgets: taken as none\n");
	*ret = scale_state_from_objects(nodes, pods, pdbs, o, cc_time_now_ns() / 1000000000, warnings);
	return 0;
}

int scale_history_load(const char *program, const char *path, struct scale_kube_options *o)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	struct cc_error err = { 0 };
	_cleanup_json_ json_t *doc = NULL;
	if (cc_read_file(path, 16u << 20, &data, &len, &err) < 0 ||
	    cc_json_parse(data, len, 16u << 20, path, &doc, &err) < 0) {
		cli_error(program, "--history: %s", cc_error_message(&err));
		return -1;
	}
	const json_t *h = json_object_get(doc, "history") ?: doc;
	if (!json_is_object(h) || (json_object_get(h, "blocks") && !json_is_array(json_object_get(h, "blocks")))) {
		cli_error(program,
			  "--history %s: expected a plan's JSON (`cocoon scale plan --format json`) or its "
			  "`history` object with a `blocks` array",
			  path);
		return -1;
	}
	json_decref(o->history);
	o->history = json_deep_copy(h);
	return 0;
}

/* ---- the options `cocoon scale state` and `cocoon scale plan --cluster` share ---- */

const struct option scale_kube_option_table[] = {
	{ "block-label", required_argument, NULL, SCALE_OPT_BLOCK_LABEL },
	{ "nodes-per-block", required_argument, NULL, SCALE_OPT_NODES_PER_BLOCK },
	{ "node-cpu", required_argument, NULL, SCALE_OPT_NODE_CPU },
	{ "node-memory", required_argument, NULL, SCALE_OPT_NODE_MEMORY },
	{ "reserve-cpu", required_argument, NULL, SCALE_OPT_RESERVE_CPU },
	{ "reserve-memory", required_argument, NULL, SCALE_OPT_RESERVE_MEMORY },
	{ "min-blocks", required_argument, NULL, SCALE_OPT_MIN_BLOCKS },
	{ "max-blocks", required_argument, NULL, SCALE_OPT_MAX_BLOCKS },
	{ "policy", required_argument, NULL, SCALE_OPT_POLICY },
	{ "history", required_argument, NULL, SCALE_OPT_HISTORY },
	{ 0 },
};

void scale_kube_options_init(struct scale_kube_options *o)
{
	*o = (struct scale_kube_options){ .block_label = "scale.cocoon.dev/block",
					  .sku = json_pack("{s:i, s:s, s:s}", "nodes_per_block", 15, "node_cpu",
							   "4000m", "node_memory", "8Gi"),
					  .min_blocks = 1,
					  .max_blocks = 1000 };
}

void scale_kube_options_clear(struct scale_kube_options *o)
{
	json_decref(o->sku);
	json_decref(o->policy);
	json_decref(o->history);
}

static int quantity_option(const char *program, const char *flag, const char *arg, bool cpu, json_t *sku,
			   const char *member)
{
	int64_t v;
	struct cc_error err = { 0 };
	if ((cpu ? scale_parse_cpu(arg, &v, &err) : scale_parse_memory(arg, &v, &err)) < 0) {
		cli_error(program, "--%s: %s", flag, cc_error_message(&err));
		return -1;
	}
	json_object_set_new(sku, member, json_string(arg));
	return 1;
}

static int json_file_option(const char *program, const char *flag, const char *path, json_t **ret)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	struct cc_error err = { 0 };
	json_t *doc = NULL;
	if (cc_read_file(path, 1u << 20, &data, &len, &err) < 0 ||
	    cc_json_parse(data, len, 1u << 20, path, &doc, &err) < 0) {
		cli_error(program, "--%s: %s", flag, cc_error_message(&err));
		return -1;
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		cli_error(program, "--%s %s: expected a JSON object", flag, path);
		return -1;
	}
	json_decref(*ret);
	*ret = doc;
	return 1;
}

int scale_kube_option(const char *program, struct kube *k, int c, const char *arg, struct scale_kube_options *o)
{
	if (kube_option(k, c, arg))
		return 1;
	int64_t n;
	switch (c) {
	case SCALE_OPT_BLOCK_LABEL: o->block_label = arg; return 1;
	case SCALE_OPT_NODES_PER_BLOCK:
		if (!cli_parse_int64(arg, 1, 1000, &n)) {
			cli_error(program, "--nodes-per-block `%s`: give a whole number from 1 to 1000", arg);
			return -1;
		}
		json_object_set_new(o->sku, "nodes_per_block", json_integer(n));
		return 1;
	case SCALE_OPT_NODE_CPU: return quantity_option(program, "node-cpu", arg, true, o->sku, "node_cpu");
	case SCALE_OPT_NODE_MEMORY: return quantity_option(program, "node-memory", arg, false, o->sku, "node_memory");
	case SCALE_OPT_RESERVE_CPU: return quantity_option(program, "reserve-cpu", arg, true, o->sku, "reserve_cpu");
	case SCALE_OPT_RESERVE_MEMORY:
		return quantity_option(program, "reserve-memory", arg, false, o->sku, "reserve_memory");
	case SCALE_OPT_MIN_BLOCKS:
	case SCALE_OPT_MAX_BLOCKS:
		if (!cli_parse_int64(arg, 0, 100000, &n)) {
			cli_error(program, "--%s `%s`: give a whole number from 0 to 100000",
				  c == SCALE_OPT_MIN_BLOCKS ? "min-blocks" : "max-blocks", arg);
			return -1;
		}
		*(c == SCALE_OPT_MIN_BLOCKS ? &o->min_blocks : &o->max_blocks) = n;
		return 1;
	case SCALE_OPT_POLICY: return json_file_option(program, "policy", arg, &o->policy);
	case SCALE_OPT_HISTORY: return scale_history_load(program, arg, o) < 0 ? -1 : 1;
	default: return 0;
	}
}

struct option *scale_kube_all_options(const struct option *verb_options)
{
	size_t n = 0, m = 0;
	while (verb_options[n].name)
		n++;
	while (scale_kube_option_table[m].name)
		m++;
	struct option *joined = cc_xcalloc(n + m + 1, sizeof(*joined));
	memcpy(joined, verb_options, n * sizeof(*joined));
	memcpy(joined + n, scale_kube_option_table, m * sizeof(*joined));
	struct option *all = kube_options(joined);
	free(joined);
	return all;
}
