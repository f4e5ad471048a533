/* The template node of a SKU block: what one node of a block will look like once it exists, as a
 * Kubernetes core/v1 Node in protobuf form (NodeGroupTemplateNodeInfoResponse.nodeBytes). Cluster
 * Autoscaler needs it to scale a node group up from zero: with no node of the group to copy, it
 * schedules the pending pods onto this one in simulation to decide whether a new block would help.
 * Every cocoon block is empty or full, so without a template CA could never add a block.
 *
 * The node carries the SKU (capacity, allocatable = capacity - reserve, pods), the well-known
 * labels (kubernetes.io/os, kubernetes.io/arch, kubernetes.io/hostname,
 * node.kubernetes.io/instance-type when set, scale.cocoon.dev/block) and the operator's labels and
 * taints, Ready=True, and nodeInfo's operatingSystem and architecture. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct cc_error;

#define SCALE_TEMPLATE_DEFAULT_CPU_MILLI    4000               /* as `cocoon scale simulate`'s SKU */
#define SCALE_TEMPLATE_DEFAULT_MEMORY_BYTES (INT64_C(8) << 30) /* 8Gi */
#define SCALE_TEMPLATE_DEFAULT_PODS         110                /* the kubelet's default maxPods */
#define SCALE_TEMPLATE_BLOCK_LABEL          "scale.cocoon.dev/block"

struct scale_label {
	char *key;
	char *value;
};

struct scale_taint {
	char *key;
	char *value; /* "" when the taint has none */
	char *effect;
};

struct scale_template {
	int64_t cpu_milli, memory_bytes, pods;
	int64_t reserve_cpu_milli,
	    reserve_memory_bytes;   /* kept back for the system: allocatable = capacity - reserve */
	char *instance_type;        /* node.kubernetes.io/instance-type; NULL: no such label */
	char *arch;                 /* kubernetes.io/arch, from uname(2) by default */
	struct scale_label *labels; /* the operator's, in the order given; a later key wins */
	size_t label_count;
	struct scale_taint *taints;
	size_t taint_count;
};

/* The defaults above, and the architecture of the machine the provider runs on. */
void scale_template_init(struct scale_template *t);
void scale_template_clear(struct scale_template *t);
/* uname's machine name in Kubernetes' (Go's GOARCH) spelling: x86_64 -> amd64, aarch64 -> arm64. */
const char *scale_template_arch_of(const char *machine);

/* spec is KEY=VALUE; the key a qualified name, the value a label value (both as Kubernetes
 * validates them). kubernetes.io/hostname and scale.cocoon.dev/block are the provider's own. */
int scale_template_add_label(struct scale_template *t, const char *spec, struct cc_error *err);
/* spec is KEY=VALUE:EFFECT or KEY:EFFECT, effect NoSchedule, PreferNoSchedule or NoExecute (as
 * `kubectl taint` writes them). */
int scale_template_add_taint(struct scale_template *t, const char *spec, struct cc_error *err);
int scale_template_set_instance_type(struct scale_template *t, const char *type, struct cc_error *err);
/* Refuses a SKU a node could not have: no cpu, memory or pods, or a reserve that leaves none. */
int scale_template_check(const struct scale_template *t, struct cc_error *err);

/* The template node's name for block: template-BLOCK-0 (node 0 stands for every node of the
 * block; CA renames template nodes it copies anyway). */
void scale_template_node_name(const char *block, char *buf, size_t size);
/* The Node of block in protobuf form, as Go's v1.Node#Marshal() writes it (no "k8s\0" envelope);
 * *ret_bytes is the caller's to free. */
int scale_template_node(const struct scale_template *t, const char *block, uint8_t **ret_bytes, size_t *ret_len,
			struct cc_error *err);
