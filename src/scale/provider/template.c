/* The template node of a SKU block (see template.h).
 *
 * The Node is packed by protoc-c from proto/k8s_node.proto rather than by a hand-written protobuf
 * writer: the field numbers then sit in one declarative file a reviewer can hold against
 * k8s.io/api's generated.proto line by line, and the encoding (varints, lengths of nested
 * messages) is protobuf-c's, which already packs every message of the service. Maps are written
 * as their entries sorted by key, as Go's v1.Node#Marshal() writes them, so the same template
 * gives the same bytes. */
#include "scale/provider/template.h"

#include "k8s_node.pb-c.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/kube_object.h"
#include "scale/provider/driver.h"
#include "scale/quantity.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#define K8S(name) Cocoon__Scale__K8s__##name

#define HOSTNAME_LABEL "kubernetes.io/hostname"

/* ---- the SKU and its flags ---- */

const char *scale_template_arch_of(const char *machine)
{
	static const char *const map[][2] = {
		{ "x86_64", "amd64" },    { "aarch64", "arm64" }, { "arm64", "arm64" },
		{ "armv7l", "arm" },      { "i686", "386" },      { "i386", "386" },
		{ "ppc64le", "ppc64le" }, { "s390x", "s390x" },   { "riscv64", "riscv64" },
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(map); i++)
		if (strcmp(map[i][0], machine) == 0)
			return map[i][1];
	return machine; /* unknown: as the kernel says, rather than a wrong guess */
}

void scale_template_init(struct scale_template *t)
{
	*t = (struct scale_template){
		.cpu_milli = SCALE_TEMPLATE_DEFAULT_CPU_MILLI,
		.memory_bytes = SCALE_TEMPLATE_DEFAULT_MEMORY_BYTES,
		.pods = SCALE_TEMPLATE_DEFAULT_PODS,
	};
	struct utsname u;
	t->arch = cc_xstrdup(uname(&u) == 0 ? scale_template_arch_of(u.machine) : "amd64");
}

void scale_template_clear(struct scale_template *t)
{
	for (size_t i = 0; i < t->label_count; i++) {
		free(t->labels[i].key);
		free(t->labels[i].value);
	}
	for (size_t i = 0; i < t->taint_count; i++) {
		free(t->taints[i].key);
		free(t->taints[i].value);
		free(t->taints[i].effect);
	}
	free(t->labels);
	free(t->taints);
	free(t->instance_type);
	free(t->arch);
	*t = (struct scale_template){ 0 };
}

/* A label value, or a qualified name's name part (the library's rule, lib/json/kube_object.h). */
static bool label_name_ok(const char *s, size_t len)
{
	return len <= KUBE_LABEL_NAME_MAX && kube_label_name_chars_ok(s, len);
}

static bool dns_subdomain_ok(const char *s, size_t len)
{
	return len > 0 && len <= KUBE_DNS_SUBDOMAIN_MAX && kube_dns_subdomain_chars_ok(s, len);
}

static bool qualified_name_ok(const char *key)
{
	const char *slash = strchr(key, '/');
	if (!slash)
		return label_name_ok(key, strlen(key));
	return dns_subdomain_ok(key, (size_t)(slash - key)) && label_name_ok(slash + 1, strlen(slash + 1));
}

static bool label_value_ok(const char *value)
{
	return !*value || label_name_ok(value, strlen(value));
}

static int check_key(const char *what, const char *spec, const char *key, struct cc_error *err)
{
	if (qualified_name_ok(key))
		return 0;
	return cc_error_set(err, EINVAL,
			    "%s `%s`: key `%s` is not a qualified name (NAME or PREFIX/NAME; NAME at most 63 letters, "
			    "digits, '-', '_' or '.', starting and ending with a letter or digit; PREFIX a DNS "
			    "subdomain)",
			    what, spec, key);
}

static int check_value(const char *what, const char *spec, const char *value, struct cc_error *err)
{
	if (label_value_ok(value))
		return 0;
	return cc_error_set(err, EINVAL,
			    "%s `%s`: value `%s` is not a label value (at most 63 letters, digits, '-', '_' or '.', "
			    "starting and ending with a letter or digit)",
			    what, spec, value);
}

int scale_template_add_label(struct scale_template *t, const char *spec, struct cc_error *err)
{
	const char *eq = strchr(spec, '=');
	if (!eq)
		return cc_error_set(err, EINVAL, "label `%s` must be KEY=VALUE", spec);
	_cleanup_free_ char *key = cc_xstrndup(spec, (size_t)(eq - spec));
	int r = check_key("label", spec, key, err);
	if (r < 0 || (r = check_value("label", spec, eq + 1, err)) < 0)
		return r;
	if (strcmp(key, HOSTNAME_LABEL) == 0 || strcmp(key, SCALE_TEMPLATE_BLOCK_LABEL) == 0)
		return cc_error_set(err, EINVAL, "label `%s`: %s is set by the provider for each block", spec, key);
	t->labels = cc_xrealloc(t->labels, (t->label_count + 1) * sizeof(*t->labels));
	t->labels[t->label_count++] = (struct scale_label){ .key = CC_TAKE_PTR(key), .value = cc_xstrdup(eq + 1) };
	return 0;
}

int scale_template_add_taint(struct scale_template *t, const char *spec, struct cc_error *err)
{
	_cleanup_free_ char *text = cc_xstrdup(spec);
	const char *key, *value, *effect;
	switch (kube_taint_split(text, &key, &value, &effect)) {
	case KUBE_TAINT_NO_EFFECT:
		return cc_error_set(err, EINVAL, "taint `%s` must be KEY=VALUE:EFFECT or KEY:EFFECT", spec);
	case KUBE_TAINT_BAD_EFFECT:
		return cc_error_set(err, EINVAL,
				    "taint `%s`: effect `%s` is not NoSchedule, PreferNoSchedule or NoExecute", spec,
				    effect);
	case KUBE_TAINT_OK: break;
	}
	int r = check_key("taint", spec, key, err);
	if (r < 0 || (r = check_value("taint", spec, value, err)) < 0)
		return r;
	t->taints = cc_xrealloc(t->taints, (t->taint_count + 1) * sizeof(*t->taints));
	t->taints[t->taint_count++] = (struct scale_taint){
		.key = cc_xstrdup(key),
		.value = cc_xstrdup(value),
		.effect = cc_xstrdup(effect),
	};
	return 0;
}

int scale_template_set_instance_type(struct scale_template *t, const char *type, struct cc_error *err)
{
	int r = check_value("instance type", type, type, err);
	if (r < 0)
		return r;
	if (!*type)
		return cc_error_set(err, EINVAL, "the instance type must not be empty");
	free(t->instance_type);
	t->instance_type = cc_xstrdup(type);
	return 0;
}

int scale_template_check(const struct scale_template *t, struct cc_error *err)
{
	if (t->cpu_milli <= 0 || t->memory_bytes <= 0 || t->pods <= 0)
		return cc_error_set(err, EINVAL,
				    "a node needs some cpu, memory and pods (--node-cpu, --node-memory, "
				    "--node-pods)");
	if (t->reserve_cpu_milli < 0 || t->reserve_cpu_milli >= t->cpu_milli) {
		char cpu[32], reserve[32];
		scale_format_cpu(t->cpu_milli, cpu, sizeof(cpu));
		scale_format_cpu(t->reserve_cpu_milli, reserve, sizeof(reserve));
		return cc_error_set(err, EINVAL, "--reserve-cpu %s leaves no allocatable cpu of the node's %s", reserve,
				    cpu);
	}
	if (t->reserve_memory_bytes < 0 || t->reserve_memory_bytes >= t->memory_bytes) {
		char memory[32], reserve[32];
		scale_format_memory(t->memory_bytes, memory, sizeof(memory));
		scale_format_memory(t->reserve_memory_bytes, reserve, sizeof(reserve));
		return cc_error_set(err, EINVAL, "--reserve-memory %s leaves no allocatable memory of the node's %s",
				    reserve, memory);
	}
	return 0;
}

void scale_template_node_name(const char *block, char *buf, size_t size)
{
	snprintf(buf, size, "template-%s-0", block);
}

/* ---- the Node ---- */

/* Sets a label of the node (keys and values side by side, the strings borrowed): a later key
 * replaces an earlier one, so --node-label kubernetes.io/arch=arm64 describes blocks of another
 * architecture than the provider's. */
static void label_put(const char **keys, const char **values, size_t *count, const char *key, const char *value)
{
	for (size_t i = 0; i < *count; i++) {
		if (strcmp(keys[i], key) == 0) {
			values[i] = value;
			return;
		}
	}
	keys[*count] = key;
	values[*count] = value;
	(*count)++;
}

static const char *label_get(const char **keys, const char **values, size_t count, const char *key)
{
	for (size_t i = 0; i < count; i++)
		if (strcmp(keys[i], key) == 0)
			return values[i];
	return NULL;
}

static int entry_cmp(const void *a, const void *b)
{
	const K8S(StringEntry) *const *x = a, *const *y = b;
	return strcmp((*x)->key, (*y)->key);
}

/* The quantities of a ResourceList, in their canonical text. */
struct resources {
	char cpu[32], memory[32], pods[32];
	K8S(Quantity) quantity[3];
	K8S(QuantityEntry) entry[3];
	K8S(QuantityEntry) * list[3];
};

static void fill_resources(struct resources *r, int64_t cpu_milli, int64_t memory_bytes, int64_t pods)
{
	/* Keys in sorted order, as Go writes a map. */
	static const char *const keys[3] = { "cpu", "memory", "pods" };
	scale_format_cpu(cpu_milli, r->cpu, sizeof(r->cpu));
	scale_format_memory(memory_bytes, r->memory, sizeof(r->memory));
	snprintf(r->pods, sizeof(r->pods), "%" PRId64, pods);
	char *texts[3] = { r->cpu, r->memory, r->pods };
	for (int i = 0; i < 3; i++) {
		r->quantity[i] = (K8S(Quantity))COCOON__SCALE__K8S__QUANTITY__INIT;
		r->quantity[i].string = texts[i];
		r->entry[i] = (K8S(QuantityEntry))COCOON__SCALE__K8S__QUANTITY_ENTRY__INIT;
		r->entry[i].key = (char *)keys[i];
		r->entry[i].value = &r->quantity[i];
		r->list[i] = &r->entry[i];
	}
}

int scale_template_node(const struct scale_template *t, const char *block, uint8_t **ret_bytes, size_t *ret_len,
			struct cc_error *err)
{
	int r = scale_block_id_check(block, err);
	if (r < 0 || (r = scale_template_check(t, err)) < 0)
		return r;
	char name[96];
	scale_template_node_name(block, name, sizeof(name));

	/* Labels: six well-known at most, then the operator's. */
	size_t max_labels = 6 + t->label_count, n_labels = 0;
	_cleanup_free_ const char **keys = cc_xcalloc(max_labels, sizeof(*keys));
	_cleanup_free_ const char **values = cc_xcalloc(max_labels, sizeof(*values));
	label_put(keys, values, &n_labels, "kubernetes.io/os", "linux");
	label_put(keys, values, &n_labels, "kubernetes.io/arch", t->arch);
	if (t->instance_type)
		label_put(keys, values, &n_labels, "node.kubernetes.io/instance-type", t->instance_type);
	for (size_t i = 0; i < t->label_count; i++)
		label_put(keys, values, &n_labels, t->labels[i].key, t->labels[i].value);
	label_put(keys, values, &n_labels, HOSTNAME_LABEL, name);
	label_put(keys, values, &n_labels, SCALE_TEMPLATE_BLOCK_LABEL, block);
	_cleanup_free_ K8S(StringEntry) *label_entries = cc_xcalloc(n_labels, sizeof(*label_entries));
	_cleanup_free_ K8S(StringEntry) **label_list = cc_xcalloc(n_labels, sizeof(*label_list));
	for (size_t i = 0; i < n_labels; i++) {
		label_entries[i] = (K8S(StringEntry))COCOON__SCALE__K8S__STRING_ENTRY__INIT;
		label_entries[i].key = (char *)keys[i];
		label_entries[i].value = (char *)values[i];
		label_list[i] = &label_entries[i];
	}
	qsort(label_list, n_labels, sizeof(*label_list), entry_cmp);
	K8S(ObjectMeta) meta = COCOON__SCALE__K8S__OBJECT_META__INIT;
	meta.name = name;
	meta.n_labels = n_labels;
	meta.labels = label_list;

	size_t n_taints = t->taint_count;
	_cleanup_free_ K8S(Taint) *taints = cc_xcalloc(n_taints ? n_taints : 1, sizeof(*taints));
	_cleanup_free_ K8S(Taint) **taint_list = cc_xcalloc(n_taints ? n_taints : 1, sizeof(*taint_list));
	for (size_t i = 0; i < n_taints; i++) {
		taints[i] = (K8S(Taint))COCOON__SCALE__K8S__TAINT__INIT;
		taints[i].key = t->taints[i].key;
		taints[i].value = t->taints[i].value;
		taints[i].effect = t->taints[i].effect;
		taint_list[i] = &taints[i];
	}
	K8S(NodeSpec) spec = COCOON__SCALE__K8S__NODE_SPEC__INIT;
	spec.n_taints = n_taints;
	spec.taints = taint_list;

	struct resources capacity, allocatable;
	fill_resources(&capacity, t->cpu_milli, t->memory_bytes, t->pods);
	fill_resources(&allocatable, t->cpu_milli - t->reserve_cpu_milli, t->memory_bytes - t->reserve_memory_bytes,
		       t->pods);
	K8S(NodeCondition) ready = COCOON__SCALE__K8S__NODE_CONDITION__INIT;
	ready.type = "Ready";
	ready.status = "True";
	K8S(NodeCondition) * conditions[1] = { &ready };
	K8S(NodeSystemInfo) info = COCOON__SCALE__K8S__NODE_SYSTEM_INFO__INIT;
	/* nodeInfo says what the labels say, also when the operator set them. */
	info.operatingsystem = (char *)label_get(keys, values, n_labels, "kubernetes.io/os");
	info.architecture = (char *)label_get(keys, values, n_labels, "kubernetes.io/arch");
	K8S(NodeStatus) status = COCOON__SCALE__K8S__NODE_STATUS__INIT;
	status.n_capacity = 3;
	status.capacity = capacity.list;
	status.n_allocatable = 3;
	status.allocatable = allocatable.list;
	status.n_conditions = 1;
	status.conditions = conditions;
	status.nodeinfo = &info;

	K8S(Node) node = COCOON__SCALE__K8S__NODE__INIT;
	node.metadata = &meta;
	node.spec = &spec;
	node.status = &status;
	size_t len = cocoon__scale__k8s__node__get_packed_size(&node);
	uint8_t *bytes = cc_xmalloc(len ? len : 1);
	cocoon__scale__k8s__node__pack(&node, bytes);
	*ret_bytes = bytes;
	*ret_len = len;
	return 0;
}
