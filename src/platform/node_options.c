/* cocoond's Node options (see node_options.h). */
#include "platform/node_options.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/kube_object.h"
#include "platform/selector.h"
#include "scale/quantity.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Calls item(text, ctx) for each comma-separated item of list (empty items are skipped). */
static int each_item(const char *list, int (*item)(char *text, void *ctx, struct cc_error *err), void *ctx,
		     struct cc_error *err)
{
	_cleanup_free_ char *copy = cc_xstrdup(list);
	char *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		if (*t && item(t, ctx, err) < 0)
			return -EINVAL;
	}
	return 0;
}

static int reserved_item(char *text, void *ctx, struct cc_error *err)
{
	struct platform_node_options *o = ctx;
	char *eq = strchr(text, '=');
	if (!eq)
		return cc_error_set(err, EINVAL, "--system-reserved `%s`: write RESOURCE=QUANTITY, e.g. cpu=500m",
				    text);
	*eq = '\0';
	struct cc_error why = { 0 };
	if (strcmp(text, "cpu") == 0) {
		if (scale_parse_cpu(eq + 1, &o->reserved_cpu_milli, &why) < 0)
			return cc_error_set(err, EINVAL, "--system-reserved cpu: %s", cc_error_message(&why));
	} else if (strcmp(text, "memory") == 0) {
		if (scale_parse_memory(eq + 1, &o->reserved_memory, &why) < 0)
			return cc_error_set(err, EINVAL, "--system-reserved memory: %s", cc_error_message(&why));
	} else {
		return cc_error_set(err, EINVAL,
				    "--system-reserved: unknown resource `%s` (cpu and memory are reserved)", text);
	}
	return 0;
}

static int label_item(char *text, void *ctx, struct cc_error *err)
{
	struct platform_node_options *o = ctx;
	char *eq = strchr(text, '=');
	if (!eq)
		return cc_error_set(err, EINVAL, "--node-labels `%s`: write KEY=VALUE", text);
	*eq = '\0';
	struct cc_error why = { 0 };
	if (platform_label_key_check(text, &why) < 0 || platform_label_value_check(eq + 1, &why) < 0)
		return cc_error_set(err, EINVAL, "--node-labels `%s=%s`: %s", text, eq + 1, cc_error_message(&why));
	json_object_set_new(o->labels, text, json_string(eq + 1));
	return 0;
}

static int taint_item(char *text, void *ctx, struct cc_error *err)
{
	struct platform_node_options *o = ctx;
	const char *key, *value, *effect;
	switch (kube_taint_split(text, &key, &value, &effect)) {
	case KUBE_TAINT_NO_EFFECT:
		return cc_error_set(err, EINVAL, "--register-with-taints `%s`: write KEY[=VALUE]:EFFECT", text);
	case KUBE_TAINT_BAD_EFFECT:
		return cc_error_set(err, EINVAL,
				    "--register-with-taints `%s`: unknown effect `%s` (NoSchedule, PreferNoSchedule "
				    "or NoExecute)",
				    text, effect);
	case KUBE_TAINT_OK: break;
	}
	struct cc_error why = { 0 };
	if (platform_label_key_check(key, &why) < 0 || platform_label_value_check(value, &why) < 0)
		return cc_error_set(err, EINVAL, "--register-with-taints `%s`: %s", key, cc_error_message(&why));
	json_array_append_new(o->taints, json_pack("{s:s, s:s, s:s}", "key", key, "value", value, "effect", effect));
	return 0;
}

int platform_node_options_parse(const char *system_reserved, const char *labels, const char *taints,
				struct platform_node_options *ret, struct cc_error *err)
{
	*ret = (struct platform_node_options){ .labels = json_object(), .taints = json_array() };
	if ((system_reserved && each_item(system_reserved, reserved_item, ret, err) < 0) ||
	    (labels && each_item(labels, label_item, ret, err) < 0) ||
	    (taints && each_item(taints, taint_item, ret, err) < 0)) {
		platform_node_options_clear(ret);
		return -EINVAL;
	}
	return 0;
}

void platform_node_options_clear(struct platform_node_options *o)
{
	json_decref(o->labels);
	json_decref(o->taints);
	o->labels = o->taints = NULL;
}
