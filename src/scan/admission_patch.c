/* The mutating half of admission (see admission.h): JSONPatch operations (RFC 6902) that only add
 * what is missing, never replace what the workload says: a pod that names another runtime class or
 * adds a capability keeps it, and the policies judge it as written. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "scan/admission.h"

#include <string.h>

static void add(json_t *ops, const char *path, json_t *value)
{
	json_array_append_new(ops, json_pack("{s:s, s:s, s:o}", "op", "add", "path", path, "value", value));
}

/* RFC 6901: a pointer from a dotted path of plain member names ("spec.template.spec"). */
static char *pointer(const char *dotted)
{
	char *p = cc_xasprintf("/%s", dotted);
	for (char *c = p; *c; c++)
		if (*c == '.')
			*c = '/';
	return p;
}

static bool has_all(const json_t *drop)
{
	size_t i;
	const json_t *d;
	json_array_foreach (drop, i, d)
		if (json_string_value(d) && !strcmp(json_string_value(d), "ALL"))
			return true;
	return false;
}

static void drop_all(json_t *ops, const char *base, const char *list, const json_t *containers)
{
	size_t i;
	const json_t *c;
	json_array_foreach (containers, i, c) {
		_cleanup_free_ char *at = cc_xasprintf("%s/%s/%zu/securityContext", base, list, i);
		const json_t *sc = json_object_get(c, "securityContext");
		const json_t *caps = json_object_get(sc, "capabilities");
		const json_t *drop = json_object_get(caps, "drop");
		if (!json_is_object(sc)) {
			add(ops, at, json_pack("{s:{s:[s]}}", "capabilities", "drop", "ALL"));
		} else if (!json_is_object(caps)) {
			_cleanup_free_ char *path = cc_xasprintf("%s/capabilities", at);
			add(ops, path, json_pack("{s:[s]}", "drop", "ALL"));
		} else if (!json_is_array(drop)) {
			_cleanup_free_ char *path = cc_xasprintf("%s/capabilities/drop", at);
			add(ops, path, json_pack("[s]", "ALL"));
		} else if (!has_all(drop)) {
			_cleanup_free_ char *path = cc_xasprintf("%s/capabilities/drop/-", at);
			add(ops, path, json_string("ALL"));
		}
	}
}

json_t *scan_admission_patch(const struct scan_admission_config *cfg, const json_t *pod_spec, const char *spec_path)
{
	json_t *ops = json_array();
	_cleanup_free_ char *base = pointer(spec_path);
	if (cfg->mutate_runtime_class && cfg->runtime_class && !json_object_get(pod_spec, "runtimeClassName")) {
		_cleanup_free_ char *path = cc_xasprintf("%s/runtimeClassName", base);
		add(ops, path, json_string(cfg->runtime_class));
	}
	if (cfg->mutate_seccomp) {
		const json_t *sc = json_object_get(pod_spec, "securityContext");
		_cleanup_free_ char *at = cc_xasprintf("%s/securityContext", base);
		if (!json_is_object(sc)) {
			add(ops, at, json_pack("{s:{s:s}}", "seccompProfile", "type", "RuntimeDefault"));
		} else if (!json_object_get(sc, "seccompProfile")) {
			_cleanup_free_ char *path = cc_xasprintf("%s/seccompProfile", at);
			add(ops, path, json_pack("{s:s}", "type", "RuntimeDefault"));
		}
	}
	if (cfg->mutate_capabilities) {
		drop_all(ops, base, "initContainers", json_object_get(pod_spec, "initContainers"));
		drop_all(ops, base, "containers", json_object_get(pod_spec, "containers"));
	}
	return ops;
}
