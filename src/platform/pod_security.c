/* Pod Security Standards (see pod_security.h). The checks and their messages are those of the
 * standard's "latest" policy as kube-apiserver words them, so a user reads the same refusal here. */
#include "platform/pod_security.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/event/emit.h"
#include "lib/json/json.h"
#include "platform/objects.h"
#include "platform/resources.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const level_names[] = { "privileged", "baseline", "restricted" };

int platform_pss_level_parse(const char *name, enum platform_pss_level *ret)
{
	for (size_t i = 0; i < 3; i++)
		if (name && strcmp(name, level_names[i]) == 0) {
			*ret = (enum platform_pss_level)i;
			return 0;
		}
	return -EINVAL;
}

const char *platform_pss_level_name(enum platform_pss_level level)
{
	return level_names[level];
}

void platform_pss_verdict_clear(struct platform_pss_verdict *v)
{
	free(v->refusal);
	free(v->warning);
	memset(v, 0, sizeof(*v));
}

static void add(json_t *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(json_t *out, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_array_append_new(out, json_string(text));
}

/* "container \"a\", \"b\"" or "containers \"a\", \"b\"" as kube-apiserver lists them. */
static void names_phrase(const json_t *names, char *out, size_t size)
{
	size_t used = (size_t)snprintf(out, size, "%s ", json_array_size(names) > 1 ? "containers" : "container");
	size_t i;
	const json_t *n;
	json_array_foreach (names, i, n)
		if (used < size)
			used +=
			    (size_t)snprintf(out + used, size - used, "%s\"%s\"", i ? ", " : "", json_string_value(n));
}

static const json_t *sc(const json_t *container)
{
	return json_object_get(container, "securityContext");
}

/* Each container of the pod (init and ephemeral ones included), in order. */
static void each_container(const json_t *spec, void (*fn)(const json_t *c, void *ctx), void *ctx)
{
	static const char *const lists[] = { "initContainers", "containers", "ephemeralContainers" };
	for (size_t k = 0; k < 3; k++) {
		size_t i;
		const json_t *c;
		json_array_foreach (json_object_get(spec, lists[k]), i, c)
			if (json_is_object(c))
				fn(c, ctx);
	}
}

struct collect {
	json_t *names;
	const char *what;
	json_t *extra; /* per-kind detail */
};

static void collect_privileged(const json_t *c, void *ctx)
{
	struct collect *col = ctx;
	if (json_is_true(json_object_get(sc(c), "privileged")))
		json_array_append(col->names, json_object_get(c, "name"));
}

static bool cap_is(const char *cap, const char *name)
{
	if (strncasecmp(cap, "CAP_", 4) == 0)
		cap += 4;
	return strcasecmp(cap, name) == 0;
}

static void collect_capabilities(const json_t *c, void *ctx)
{
	/* Baseline's allowed additions: the container runtime's defaults. */
	static const char *const allowed[] = { "AUDIT_WRITE", "CHOWN",  "DAC_OVERRIDE",     "FOWNER",  "FSETID",
					       "KILL",        "MKNOD",  "NET_BIND_SERVICE", "SETFCAP", "SETGID",
					       "SETPCAP",     "SETUID", "SYS_CHROOT" };
	struct collect *col = ctx;
	size_t i;
	const json_t *cap;
	json_array_foreach (json_object_get(json_object_get(sc(c), "capabilities"), "add"), i, cap) {
		const char *name = json_string_value(cap) ?: "";
		bool ok = false;
		for (size_t k = 0; k < sizeof(allowed) / sizeof(allowed[0]) && !ok; k++)
			ok = cap_is(name, allowed[k]);
		if (!ok) {
			json_array_append(col->names, json_object_get(c, "name"));
			json_array_append(col->extra, (json_t *)cap);
			return;
		}
	}
}

static void collect_host_ports(const json_t *c, void *ctx)
{
	struct collect *col = ctx;
	size_t i;
	const json_t *port;
	json_array_foreach (json_object_get(c, "ports"), i, port) {
		json_int_t host = json_integer_value(json_object_get(port, "hostPort"));
		if (host > 0) {
			json_array_append(col->names, json_object_get(c, "name"));
			json_array_append_new(col->extra, json_integer(host));
		}
	}
}

static void collect_escalation(const json_t *c, void *ctx)
{
	struct collect *col = ctx;
	if (!json_is_false(json_object_get(sc(c), "allowPrivilegeEscalation")))
		json_array_append(col->names, json_object_get(c, "name"));
}

static void collect_unrestricted_caps(const json_t *c, void *ctx)
{
	struct collect *col = ctx;
	const json_t *caps = json_object_get(sc(c), "capabilities");
	bool drops_all = false;
	size_t i;
	const json_t *cap;
	json_array_foreach (json_object_get(caps, "drop"), i, cap)
		drops_all |= cap_is(json_string_value(cap) ?: "", "ALL");
	bool adds_other = false;
	json_array_foreach (json_object_get(caps, "add"), i, cap)
		adds_other |= !cap_is(json_string_value(cap) ?: "", "NET_BIND_SERVICE");
	if (!drops_all || adds_other)
		json_array_append(col->names, json_object_get(c, "name"));
}

/* A container's field, else the pod's (runAsNonRoot, runAsUser, seccompProfile). */
struct inherit {
	const json_t *pod_sc;
	const char *field;
	json_t *names;
	bool (*bad)(const json_t *value);
	bool pod_bad;
};

static void collect_inherited(const json_t *c, void *ctx)
{
	struct inherit *in = ctx;
	const json_t *v = json_object_get(sc(c), in->field);
	if (v ? in->bad(v) : in->pod_bad)
		json_array_append(in->names, json_object_get(c, "name"));
}

static bool not_true(const json_t *v)
{
	return !json_is_true(v);
}

static bool is_root(const json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) == 0;
}

static bool no_seccomp(const json_t *v)
{
	const char *type = json_string_value(json_object_get(v, "type"));
	return !type || (strcmp(type, "RuntimeDefault") != 0 && strcmp(type, "Localhost") != 0);
}

static void inherited_check(json_t *out, const json_t *spec, const char *field, bool (*bad)(const json_t *),
			    bool pod_missing_is_bad, const char *label, const char *want)
{
	const json_t *pod_sc = json_object_get(spec, "securityContext");
	const json_t *pod_v = json_object_get(pod_sc, field);
	struct inherit in = { .pod_sc = pod_sc, .field = field, .names = json_array(), .bad = bad };
	in.pod_bad = pod_v ? bad(pod_v) : pod_missing_is_bad;
	each_container(spec, collect_inherited, &in);
	if (json_array_size(in.names)) {
		char who[512];
		names_phrase(in.names, who, sizeof(who));
		add(out, "%s (pod or %s must set securityContext.%s%s)", label, who, field, want);
	}
	json_decref(in.names);
}

static void run_collect(json_t *out, const json_t *spec, void (*fn)(const json_t *, void *), const char *fmt_prefix,
			const char *must)
{
	struct collect col = { .names = json_array(), .extra = json_array() };
	each_container(spec, fn, &col);
	if (json_array_size(col.names)) {
		char who[512];
		names_phrase(col.names, who, sizeof(who));
		add(out, "%s (%s %s)", fmt_prefix, who, must);
	}
	json_decref(col.names);
	json_decref(col.extra);
}

static void baseline(const json_t *spec, json_t *out)
{
	run_collect(out, spec, collect_privileged, "privileged", "must not set securityContext.privileged=true");
	char host[128] = "";
	static const char *const hosts[] = { "hostNetwork", "hostPID", "hostIPC" };
	for (size_t i = 0; i < 3; i++)
		if (json_is_true(json_object_get(spec, hosts[i])))
			snprintf(host + strlen(host), sizeof(host) - strlen(host), "%s%s=true", host[0] ? ", " : "",
				 hosts[i]);
	if (host[0])
		add(out, "host namespaces (%s)", host);
	size_t i;
	const json_t *v;
	json_array_foreach (json_object_get(spec, "volumes"), i, v)
		if (json_object_get(v, "hostPath"))
			add(out, "hostPath volumes (volume \"%s\")",
			    json_string_value(json_object_get(v, "name")) ?: "");
	struct collect caps = { .names = json_array(), .extra = json_array() };
	each_container(spec, collect_capabilities, &caps);
	if (json_array_size(caps.names)) {
		char who[512];
		names_phrase(caps.names, who, sizeof(who));
		add(out, "non-default capabilities (%s must not include \"%s\" in securityContext.capabilities.add)",
		    who, json_string_value(json_array_get(caps.extra, 0)) ?: "");
	}
	json_decref(caps.names);
	json_decref(caps.extra);
	struct collect ports = { .names = json_array(), .extra = json_array() };
	each_container(spec, collect_host_ports, &ports);
	if (json_array_size(ports.names)) {
		char who[512];
		names_phrase(ports.names, who, sizeof(who));
		add(out, "hostPort (%s uses hostPort %" JSON_INTEGER_FORMAT ")", who,
		    json_integer_value(json_array_get(ports.extra, 0)));
	}
	json_decref(ports.names);
	json_decref(ports.extra);
	const char *pod_seccomp = json_string_value(
	    json_object_get(json_object_get(json_object_get(spec, "securityContext"), "seccompProfile"), "type"));
	if (pod_seccomp && strcmp(pod_seccomp, "Unconfined") == 0)
		add(out, "seccompProfile (pod must not set securityContext.seccompProfile.type to \"Unconfined\")");
}

static void restricted(const json_t *spec, json_t *out)
{
	static const char *const allowed[] = { "configMap", "csi",       "downwardAPI",
					       "emptyDir",  "ephemeral", "persistentVolumeClaim",
					       "projected", "secret" };
	size_t i;
	const json_t *v;
	json_array_foreach (json_object_get(spec, "volumes"), i, v) {
		const char *key;
		const json_t *value;
		json_object_foreach ((json_t *)v, key, value) {
			if (strcmp(key, "name") == 0)
				continue;
			bool ok = false;
			for (size_t k = 0; k < sizeof(allowed) / sizeof(allowed[0]) && !ok; k++)
				ok = strcmp(key, allowed[k]) == 0;
			if (!ok)
				add(out, "restricted volume types (volume \"%s\" uses restricted volume type \"%s\")",
				    json_string_value(json_object_get(v, "name")) ?: "", key);
		}
	}
	run_collect(out, spec, collect_escalation, "allowPrivilegeEscalation != false",
		    "must set securityContext.allowPrivilegeEscalation=false");
	run_collect(out, spec, collect_unrestricted_caps, "unrestricted capabilities",
		    "must set securityContext.capabilities.drop=[\"ALL\"]");
	inherited_check(out, spec, "runAsNonRoot", not_true, true, "runAsNonRoot != true", "=true");
	inherited_check(out, spec, "runAsUser", is_root, false, "runAsUser=0", " to a non-zero value");
	inherited_check(out, spec, "seccompProfile", no_seccomp, true, "seccompProfile",
			".type to \"RuntimeDefault\" or \"Localhost\"");
}

json_t *platform_pss_violations(const json_t *pod_spec, enum platform_pss_level level)
{
	json_t *out = json_array();
	if (level >= PLATFORM_PSS_BASELINE)
		baseline(pod_spec, out);
	if (level >= PLATFORM_PSS_RESTRICTED)
		restricted(pod_spec, out);
	return out;
}

static char *joined(const json_t *violations)
{
	size_t len = 1;
	size_t i;
	const json_t *v;
	json_array_foreach (violations, i, v)
		len += strlen(json_string_value(v)) + 2;
	char *out = cc_xcalloc(1, len);
	json_array_foreach (violations, i, v) {
		if (i)
			strcat(out, ", ");
		strcat(out, json_string_value(v));
	}
	return out;
}

/* The level a namespace label names, or fallback when absent or not a level. */
static enum platform_pss_level label_level(const json_t *labels, const char *mode, enum platform_pss_level fallback)
{
	_cleanup_free_ char *key = cc_xasprintf("pod-security.kubernetes.io/%s", mode);
	enum platform_pss_level level;
	if (platform_pss_level_parse(json_string_value(json_object_get(labels, key)), &level) < 0)
		return fallback;
	return level;
}

void platform_pss_admit(struct platform_objects *objects, enum platform_pss_level default_level, const json_t *pod,
			const char *namespace, struct platform_pss_verdict *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->allowed = true;
	json_t *ns = NULL;
	struct cc_error err = { 0 };
	platform_objects_get(objects, platform_resource_find("", "v1", "namespaces"), namespace, namespace, &ns, &err);
	const json_t *labels = json_object_get(json_object_get(ns, "metadata"), "labels");
	enum platform_pss_level enforce = label_level(labels, "enforce", default_level);
	enum platform_pss_level warn = label_level(labels, "warn", PLATFORM_PSS_PRIVILEGED);
	const json_t *spec = json_object_get(pod, "spec");
	json_t *violations = platform_pss_violations(spec, enforce);
	if (json_array_size(violations)) {
		_cleanup_free_ char *list = joined(violations);
		ret->allowed = false;
		ret->refusal = cc_xasprintf("violates PodSecurity \"%s:latest\": %s", level_names[enforce], list);
		const char *name = json_string_value(json_object_get(json_object_get(pod, "metadata"), "name"));
		_cleanup_free_ char *object = cc_xasprintf("pod/%s/%s", namespace, name ? name : "(generated)");
		cc_event_emit_decision("platform", "pod.security", NULL, NULL, object, false, ret->refusal);
	}
	json_decref(violations);
	violations = platform_pss_violations(spec, warn);
	if (ret->allowed && json_array_size(violations)) {
		_cleanup_free_ char *list = joined(violations);
		ret->warning = cc_xasprintf("would violate PodSecurity \"%s:latest\": %s", level_names[warn], list);
	}
	json_decref(violations);
	json_decref(ns);
}
