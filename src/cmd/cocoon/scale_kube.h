/* The planner's input (docs/scale.md "Input") from a Kubernetes API server: cocoond, or a real
 * cluster. Nodes, pods and PodDisruptionBudgets are read in pages and turned into the planner's
 * members; what the API does not hold (the SKU, limits, policy, timers) comes from the options. */
#pragma once

#include "kube_client.h"
#include "scale/kube_state.h"

#include <getopt.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

/* Reads the objects from k and builds the input; -1 after printing the failure. A server without
 * policy/v1 PodDisruptionBudgets is taken as having none (said on warnings). */
int scale_state_fetch(struct kube *k, const struct scale_kube_options *o, FILE *warnings, json_t **ret);

/* Reads a previous plan's JSON (its `history` member) or a bare `history` object from path into
 * o->history; -1 after printing the failure as program. */
int scale_history_load(const char *program, const char *path, struct scale_kube_options *o);

/* The options `cocoon scale state` and `cocoon scale plan --cluster` share (getopt values from
 * 0x300), their defaults (the SKU: 15 nodes of 4000m and 8Gi; min 1 block, since the control
 * plane lives in one; max 1000), and their --help lines. */
enum {
	SCALE_OPT_BLOCK_LABEL = 0x300,
	SCALE_OPT_NODES_PER_BLOCK,
	SCALE_OPT_NODE_CPU,
	SCALE_OPT_NODE_MEMORY,
	SCALE_OPT_RESERVE_CPU,
	SCALE_OPT_RESERVE_MEMORY,
	SCALE_OPT_MIN_BLOCKS,
	SCALE_OPT_MAX_BLOCKS,
	SCALE_OPT_POLICY,
	SCALE_OPT_HISTORY,
};
#define SCALE_KUBE_USAGE                                                                                               \
	"  --block-label KEY       the node label naming its block (default scale.cocoon.dev/block);\n"                \
	"                          a node without it is a block of its own\n"                                          \
	"  --nodes-per-block N     nodes in a block (default 15)\n"                                                    \
	"  --node-cpu Q            a new node's cpu (default 4000m)\n"                                                 \
	"  --node-memory Q         a new node's memory (default 8Gi)\n"                                                \
	"  --reserve-cpu Q, --reserve-memory Q   kept for the system on a new node (default 0)\n"                      \
	"  --min-blocks N          never fewer (default 1: the control plane's)\n"                                     \
	"  --max-blocks N          never more (default 1000)\n"                                                        \
	"  --policy FILE           the planner's `policy` object (docs/scale.md \"Input\")\n"                          \
	"  --history FILE          the previous plan's JSON: its timers and cooldowns carry on\n"
extern const struct option scale_kube_option_table[];
void scale_kube_options_init(struct scale_kube_options *o);
void scale_kube_options_clear(struct scale_kube_options *o);
/* 1 when c was one of these options or a connection option (taken into o or k), 0 when not, -1
 * after printing a bad value. */
int scale_kube_option(const char *program, struct kube *k, int c, const char *arg, struct scale_kube_options *o);
/* verb_options, then these, then the connection options (kube_options); malloc'd. */
struct option *scale_kube_all_options(const struct option *verb_options);
