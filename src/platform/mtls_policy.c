/* The mTLS annotations read and checked (see mtls_policy.h). The ports' value is written by anyone
 * who may create a pod, and ends up in nftables rule text: only digits, commas and spaces pass, and
 * the numbers are written back by this code, never copied. */
#include "platform/mtls_policy.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "lib/json/kube_object.h"
#include "platform/objects.h"
#include "platform/resources.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int platform_mtls_mode_parse(const char *value, enum platform_mtls_mode *ret_mode, struct cc_error *err)
{
	if (value && strcmp(value, "permissive") == 0)
		*ret_mode = MTLS_PERMISSIVE;
	else if (value && strcmp(value, "required") == 0)
		*ret_mode = MTLS_REQUIRED;
	else
		return cc_error_set(err, EINVAL,
				    "annotation " PLATFORM_MTLS_ANNOTATION " is \"%.64s\": it must be \"permissive\" "
				    "or \"required\" (remove it to turn mutual TLS off)",
				    value ? value : "");
	return 0;
}

enum platform_mtls_mode platform_mtls_mode(const json_t *namespace_object)
{
	const json_t *value =
	    json_object_get(kube_get2(namespace_object, "metadata", "annotations"), PLATFORM_MTLS_ANNOTATION);
	if (!value)
		return MTLS_OFF;
	enum platform_mtls_mode mode;
	if (platform_mtls_mode_parse(json_string_value(value), &mode, NULL) < 0)
		return MTLS_REQUIRED; /* fail closed: see the header */
	return mode;
}

int platform_mtls_namespace_mode(struct platform_objects *objects, const char *namespace, enum platform_mtls_mode *ret,
				 struct cc_error *err)
{
	_cleanup_json_ json_t *ns = NULL;
	int r =
	    platform_objects_get(objects, platform_resource_find("", "v1", "namespaces"), NULL, namespace, &ns, err);
	if (r < 0 && r != -ENOENT)
		return r;
	*ret = platform_mtls_mode(ns);
	return 0;
}

const char *platform_mtls_mode_name(enum platform_mtls_mode mode)
{
	switch (mode) {
	case MTLS_PERMISSIVE: return "permissive";
	case MTLS_REQUIRED: return "required";
	case MTLS_OFF: break;
	}
	return "off";
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* One item of the list, from *p up to the next comma or the end: spaces around, then 1-5 digits
 * worth 1-65535. */
static int parse_port(const char **p, uint16_t *ret)
{
	const char *s = *p;
	while (blank(*s))
		s++;
	size_t digits = strspn(s, "0123456789");
	if (digits == 0 || digits > 5)
		return -EINVAL;
	long value = strtol(s, NULL, 10);
	s += digits;
	while (blank(*s))
		s++;
	if ((*s != ',' && *s != '\0') || value < 1 || value > 65535)
		return -EINVAL;
	*ret = (uint16_t)value;
	*p = s;
	return 0;
}

int platform_mtls_ports_parse(const char *text, struct platform_mtls_ports *ret, struct cc_error *err)
{
	struct platform_mtls_ports out = { 0 };
	const char *p = text ? text : "";
	for (;;) {
		uint16_t port;
		if (parse_port(&p, &port) < 0)
			return cc_error_set(err, EINVAL,
					    "annotation " PLATFORM_MTLS_PORTS_ANNOTATION " is \"%.128s\": it must list "
					    "TCP ports 1-65535 separated by commas, e.g. \"8443,9443\"",
					    text ? text : "");
		if (out.count == PLATFORM_MTLS_PORTS_MAX)
			return cc_error_set(err, EINVAL,
					    "annotation " PLATFORM_MTLS_PORTS_ANNOTATION " is \"%.128s\": at most %d "
					    "ports may be declared",
					    text, PLATFORM_MTLS_PORTS_MAX);
		/* Insertion keeps the list ascending, so the rules written from it do not depend on
		 * the order the pod's author chose. */
		size_t at = 0;
		while (at < out.count && out.port[at] < port)
			at++;
		if (at < out.count && out.port[at] == port)
			return cc_error_set(err, EINVAL,
					    "annotation " PLATFORM_MTLS_PORTS_ANNOTATION " is \"%.128s\": port %u is "
					    "listed twice",
					    text, (unsigned)port);
		memmove(&out.port[at + 1], &out.port[at], (out.count - at) * sizeof(out.port[0]));
		out.port[at] = port;
		out.count++;
		if (*p == '\0')
			break;
		p++; /* the comma */
	}
	*ret = out;
	return 0;
}

int platform_mtls_pod_ports(const json_t *pod, struct platform_mtls_ports *ret, struct cc_error *err)
{
	const json_t *value =
	    json_object_get(kube_get2(pod, "metadata", "annotations"), PLATFORM_MTLS_PORTS_ANNOTATION);
	if (!value) {
		*ret = (struct platform_mtls_ports){ 0 };
		return 0;
	}
	if (!json_is_string(value))
		return cc_error_set(err, EINVAL, "annotation " PLATFORM_MTLS_PORTS_ANNOTATION " must be a string");
	return platform_mtls_ports_parse(json_string_value(value), ret, err);
}

/* A capability name as pod specs write it ("NET_ADMIN"), or as some runtimes accept it
 * ("CAP_NET_ADMIN", any case): NET_ADMIN or ALL would let the container rewrite the guard. */
static bool grants_net_admin(const char *name)
{
	if (!name)
		return false;
	if (strncasecmp(name, "CAP_", 4) == 0)
		name += 4;
	return strcasecmp(name, "NET_ADMIN") == 0 || strcasecmp(name, "ALL") == 0;
}

/* The first container of a list that could change its network namespace's rules. */
static int check_containers(const json_t *containers, const char *list, struct cc_error *err)
{
	size_t i, j;
	const json_t *c, *cap;
	json_array_foreach (containers, i, c) {
		const json_t *security = json_object_get(c, "securityContext");
		const char *name = json_string_value(json_object_get(c, "name")) ?: "";
		if (json_is_true(json_object_get(security, "privileged")))
			return cc_error_set(err, EPERM,
					    "%s[%zu] (%s) is privileged, which gives it NET_ADMIN: a namespace that "
					    "requires mutual TLS guards its pods with nftables rules a privileged "
					    "container could remove",
					    list, i, name);
		json_array_foreach (kube_get2(security, "capabilities", "add"), j, cap)
			if (grants_net_admin(json_string_value(cap)))
				return cc_error_set(
				    err, EPERM,
				    "%s[%zu] (%s) adds capability %s: a namespace that requires mutual TLS "
				    "guards its pods with nftables rules NET_ADMIN could remove",
				    list, i, name, json_string_value(cap));
	}
	return 0;
}

int platform_mtls_pod_check(const json_t *pod, struct platform_mtls_ports *ret, struct cc_error *err)
{
	struct platform_mtls_ports ports;
	int r = platform_mtls_pod_ports(pod, &ports, err);
	if (r < 0)
		return r;
	const json_t *spec = json_object_get(pod, "spec");
	if (json_is_true(json_object_get(spec, "hostNetwork")))
		return cc_error_set(err, EPERM,
				    "spec.hostNetwork is true: a namespace that requires mutual TLS guards each pod in "
				    "its own network namespace, and the node's cannot be guarded");
	static const char *const lists[] = { "initContainers", "containers", "ephemeralContainers" };
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		_cleanup_free_ char *field = cc_xasprintf("spec.%s", lists[i]);
		r = check_containers(json_object_get(spec, lists[i]), field, err);
		if (r < 0)
			return r;
	}
	if (ret)
		*ret = ports;
	return 0;
}
