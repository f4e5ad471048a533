/* Admission of objects before they are stored (see admit.h): generic checks for every kind, then a
 * table of per-kind defaults and validations. Messages follow k8s.io/apimachinery's validation
 * (field paths such as metadata.name, spec.containers[0].image). */
#include "platform/admit.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/random.h"
#include "lib/crypto/secure.h"
#include "lib/json/json.h"
#include "lib/net/http.h"
#include "platform/finalizers.h"
#include "platform/mtls_admission.h"
#include "platform/objects.h"
#include "platform/rbac_validation.h"
#include "platform/selector.h"
#include "platform/status.h"
#include "platform/tenant_admission.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ANNOTATIONS (256u << 10) /* total bytes, as Kubernetes' TotalAnnotationSizeLimitB */

bool platform_dns_label(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
			return false;
	return true;
}

bool platform_dns_subdomain(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253)
		return false;
	char part[254];
	snprintf(part, sizeof(part), "%s", s);
	for (char *save = NULL, *p = strtok_r(part, ".", &save); p; p = strtok_r(NULL, ".", &save))
		if (!platform_dns_label(p))
			return false;
	return s[0] != '.' && s[n - 1] != '.' && !strstr(s, "..");
}

static const char *meta_str(const json_t *obj, const char *field)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), field));
}

/* ---- generic ---- */

static void check_string_map(const json_t *map, const char *field, bool labels, json_t *causes)
{
	if (!map)
		return;
	if (!json_is_object(map)) {
		platform_cause(causes, "FieldValueInvalid", field, "must be a map of strings");
		return;
	}
	const char *key;
	const json_t *value;
	size_t total = 0;
	json_object_foreach ((json_t *)map, key, value) {
		char path[320];
		snprintf(path, sizeof(path), "%s[%.256s]", field, key);
		if (!json_is_string(value)) {
			platform_cause(causes, "FieldValueInvalid", path, "must be a string");
			continue;
		}
		total += strlen(key) + json_string_length(value);
		if (labels && (json_string_length(value) > 63 || strlen(key) > 316))
			platform_cause(causes, "FieldValueInvalid", path, "must be no more than 63 characters");
	}
	if (!labels && total > MAX_ANNOTATIONS)
		platform_cause(causes, "TooLong", field, "may not be more than %u bytes", MAX_ANNOTATIONS);
}

/* kind/apiVersion as the URL says (both optional in the body, as kube-apiserver allows). */
static int check_type(const struct platform_resource *r, json_t *obj, struct cc_http_response *resp)
{
	char api_version[96];
	platform_resource_api_version(r, api_version, sizeof(api_version));
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	const char *version = json_string_value(json_object_get(obj, "apiVersion"));
	if (kind && strcmp(kind, r->kind) != 0) {
		platform_status_error(resp, 400, NULL, r, NULL,
				      "the kind in the data (%s) does not match the expected kind (%s)", kind, r->kind);
		return -EINVAL;
	}
	if (version && strcmp(version, api_version) != 0) {
		platform_status_error(resp, 400, NULL, r, NULL,
				      "the API version in the data (%s) does not match the expected API version (%s)",
				      version, api_version);
		return -EINVAL;
	}
	json_object_set_new(obj, "kind", json_string(r->kind));
	json_object_set_new(obj, "apiVersion", json_string(api_version));
	return 0;
}

/* A qualified name's name part, as label keys have it: 63 characters, alphanumeric at both ends,
 * '-', '_' and '.' inside. */
static bool qualified_name_part(const char *s, size_t len)
{
	if (len == 0 || len > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return false;
	return true;
}

/* Finalizers: qualified names (DOMAIN/NAME), or one of Kubernetes' own (kubernetes, orphan,
 * foregroundDeletion), as kube-apiserver's validation has them. */
static void check_finalizers(const json_t *list, json_t *causes)
{
	if (!list || json_is_null(list))
		return;
	if (!json_is_array(list)) {
		platform_cause(causes, "FieldValueInvalid", "metadata.finalizers", "must be a list of strings");
		return;
	}
	static const char *const standard[] = { "kubernetes", PLATFORM_FINALIZER_ORPHAN,
						PLATFORM_FINALIZER_FOREGROUND };
	size_t i;
	const json_t *v;
	json_array_foreach (list, i, v) {
		char field[48];
		snprintf(field, sizeof(field), "metadata.finalizers[%zu]", i);
		const char *name = json_string_value(v);
		if (!name) {
			platform_cause(causes, "FieldValueInvalid", field, "must be a string");
			continue;
		}
		const char *slash = strchr(name, '/');
		bool known = false;
		for (size_t k = 0; k < sizeof(standard) / sizeof(standard[0]); k++)
			known = known || strcmp(name, standard[k]) == 0;
		if (known)
			continue;
		if (!slash) {
			platform_cause(causes, "FieldValueInvalid", field,
				       "Invalid value: \"%.253s\": name is neither a standard finalizer name nor is it "
				       "fully qualified",
				       name);
			continue;
		}
		_cleanup_free_ char *prefix = cc_xstrndup(name, (size_t)(slash - name));
		if (!platform_dns_subdomain(prefix) || !qualified_name_part(slash + 1, strlen(slash + 1)))
			platform_cause(
			    causes, "FieldValueInvalid", field,
			    "Invalid value: \"%.253s\": a qualified name must be a DNS subdomain prefix and a "
			    "name of up to 63 alphanumeric characters, '-', '_' or '.', separated by '/'",
			    name);
	}
}

static void check_metadata(const struct platform_resource *r, json_t *meta, json_t *causes)
{
	const char *name = json_string_value(json_object_get(meta, "name"));
	if (!name || !name[0])
		platform_cause(causes, "FieldValueRequired", "metadata.name", "name or generateName is required");
	else if (strcmp(r->group, "rbac.authorization.k8s.io") == 0) {
		/* RBAC's names are path segments (system:aggregate-to-admin), as kube-apiserver checks them. */
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strpbrk(name, "/%"))
			platform_cause(
			    causes, "FieldValueInvalid", "metadata.name",
			    "Invalid value: \"%.253s\": may not be '.' or '..' and may not contain '/' or '%%'", name);
	} else if (strcmp(r->kind, "Namespace") == 0 ? !platform_dns_label(name) : !platform_dns_subdomain(name))
		platform_cause(
		    causes, "FieldValueInvalid", "metadata.name",
		    "Invalid value: \"%.253s\": a lowercase RFC 1123 %s must consist of lower case alphanumeric "
		    "characters, '-' or '.', and must start and end with an alphanumeric character",
		    name, strcmp(r->kind, "Namespace") == 0 ? "label" : "subdomain");
	check_string_map(json_object_get(meta, "labels"), "metadata.labels", true, causes);
	check_string_map(json_object_get(meta, "annotations"), "metadata.annotations", false, causes);
	check_finalizers(json_object_get(meta, "finalizers"), causes);
}

/* ---- per kind ---- */

typedef void (*kind_fn)(json_t *obj, json_t *causes);

static json_t *object_at(json_t *obj, const char *field)
{
	json_t *v = json_object_get(obj, field);
	if (!json_is_object(v)) {
		v = json_object();
		json_object_set_new(obj, field, v);
	}
	return v;
}

static void default_string(json_t *obj, const char *field, const char *value)
{
	if (!json_is_string(json_object_get(obj, field)))
		json_object_set_new(obj, field, json_string(value));
}

static void default_int(json_t *obj, const char *field, json_int_t value)
{
	if (!json_is_integer(json_object_get(obj, field)))
		json_object_set_new(obj, field, json_integer(value));
}

static void namespace_kind(json_t *obj, json_t *causes)
{
	default_string(object_at(obj, "status"), "phase", "Active");
	/* kube-apiserver labels every namespace with its name (NetworkPolicies select namespaces by it). */
	const char *name = json_string_value(json_object_get(object_at(obj, "metadata"), "name"));
	if (name)
		json_object_set_new(object_at(object_at(obj, "metadata"), "labels"), "kubernetes.io/metadata.name",
				    json_string(name));
	json_t *spec = object_at(obj, "spec");
	if (!json_object_get(spec, "finalizers"))
		json_object_set_new(spec, "finalizers", json_pack("[s]", "kubernetes"));
	platform_mtls_namespace_validate(obj, causes);
}

static void configmap_kind(json_t *obj, json_t *causes)
{
	check_string_map(json_object_get(obj, "data"), "data", false, causes);
}

static void secret_kind(json_t *obj, json_t *causes)
{
	default_string(obj, "type", "Opaque");
	json_t *data = json_object_get(obj, "data");
	if (data && !json_is_object(data)) {
		platform_cause(causes, "FieldValueInvalid", "data", "must be a map of base64 strings");
		return;
	}
	const char *key;
	json_t *value;
	json_object_foreach (data, key, value) {
		const char *text = json_string_value(value);
		uint8_t *bytes = NULL;
		size_t len;
		char field[300];
		snprintf(field, sizeof(field), "data[%.256s]", key);
		if (!text || cc_base64_decode(text, strlen(text), &bytes, &len) < 0)
			platform_cause(causes, "FieldValueInvalid", field, "must be a base64 string");
		if (bytes)
			cc_wipe(bytes, len);
		free(bytes);
	}
	/* stringData is write-only: merged into data, base64 encoded, and not stored (as Kubernetes). */
	json_t *string_data = json_object_get(obj, "stringData");
	if (json_is_object(string_data)) {
		json_t *merged = object_at(obj, "data");
		json_object_foreach (string_data, key, value) {
			const char *text = json_string_value(value);
			if (!text) {
				platform_cause(causes, "FieldValueInvalid", "stringData", "values must be strings");
				break;
			}
			_cleanup_free_ char *b64 = cc_base64_encode((const uint8_t *)text, strlen(text));
			json_object_set_new(merged, key, json_string(b64));
		}
		json_object_del(obj, "stringData");
	}
}

/* Probe timing and port protocols as kube-apiserver defaults them (what describe shows). */
static void container_defaults(json_t *c)
{
	static const char *const probes[] = { "livenessProbe", "readinessProbe", "startupProbe" };
	for (size_t i = 0; i < 3; i++) {
		json_t *probe = json_object_get(c, probes[i]);
		if (!json_is_object(probe))
			continue;
		default_int(probe, "timeoutSeconds", 1);
		default_int(probe, "periodSeconds", 10);
		default_int(probe, "successThreshold", 1);
		default_int(probe, "failureThreshold", 3);
		json_t *get = json_object_get(probe, "httpGet");
		if (json_is_object(get)) {
			default_string(get, "scheme", "HTTP");
			default_string(get, "path", "/");
		}
	}
	size_t i;
	json_t *port;
	json_array_foreach (json_object_get(c, "ports"), i, port)
		if (json_is_object(port))
			default_string(port, "protocol", "TCP");
}

/* Kubernetes' default pull policy: Always for `:latest` or no tag, IfNotPresent for a tag or a
 * digest. */
static bool latest_tag(const char *image)
{
	if (strchr(image, '@'))
		return false;
	const char *slash = strrchr(image, '/');
	const char *colon = strrchr(slash ? slash : image, ':');
	return !colon || strcmp(colon, ":latest") == 0;
}

/* One list of containers: names are DNS labels (they become runtime ids, log directories and
 * cgroups on the node), unique across seen (the pod's other lists too); images given. */
static void check_container_list(json_t *containers, const char *path, json_t *seen, json_t *causes)
{
	size_t i;
	json_t *c;
	json_array_foreach (containers, i, c) {
		char field[160];
		if (!json_is_object(c)) {
			snprintf(field, sizeof(field), "%s[%zu]", path, i);
			platform_cause(causes, "FieldValueInvalid", field, "a container is an object");
			continue;
		}
		const char *name = json_string_value(json_object_get(c, "name"));
		snprintf(field, sizeof(field), "%s[%zu].name", path, i);
		if (!name || !platform_dns_label(name))
			platform_cause(causes, "FieldValueRequired", field, "a DNS-1123 label is required");
		else if (json_object_get(seen, name))
			platform_cause(causes, "FieldValueDuplicate", field, "Duplicate value: \"%s\"", name);
		else
			json_object_set_new(seen, name, json_true());
		const char *image = json_string_value(json_object_get(c, "image"));
		snprintf(field, sizeof(field), "%s[%zu].image", path, i);
		if (!image || !image[0])
			platform_cause(causes, "FieldValueRequired", field, "Required value");
		default_string(c, "imagePullPolicy", image && latest_tag(image) ? "Always" : "IfNotPresent");
		default_string(c, "terminationMessagePath", "/dev/termination-log");
		default_string(c, "terminationMessagePolicy", "File");
		container_defaults(c);
	}
}

/* Volume names become directories on the node: DNS labels, unique. */
static void check_volumes(json_t *spec, const char *spec_path, json_t *causes)
{
	json_t *volumes = json_object_get(spec, "volumes"), *seen = json_object();
	size_t i;
	json_t *v;
	json_array_foreach (volumes, i, v) {
		char field[200];
		snprintf(field, sizeof(field), "%s.volumes[%zu].name", spec_path, i);
		const char *name = json_string_value(json_object_get(v, "name"));
		if (!name || !platform_dns_label(name))
			platform_cause(causes, "FieldValueInvalid", field, "a DNS-1123 label is required");
		else if (json_object_get(seen, name))
			platform_cause(causes, "FieldValueDuplicate", field, "Duplicate value: \"%s\"", name);
		else
			json_object_set_new(seen, name, json_true());
	}
	json_decref(seen);
}

static void check_containers(json_t *spec, const char *path, json_t *causes)
{
	json_t *containers = json_object_get(spec, "containers");
	if (!json_is_array(containers) || json_array_size(containers) == 0) {
		platform_cause(causes, "FieldValueRequired", path, "Required value");
		return;
	}
	/* path is "<spec>.containers": the spec's other fields are named from it. */
	char spec_path[160];
	snprintf(spec_path, sizeof(spec_path), "%.*s", (int)(strlen(path) - strlen(".containers")), path);
	json_t *seen = json_object();
	char init_path[200];
	snprintf(init_path, sizeof(init_path), "%s.initContainers", spec_path);
	if (json_object_get(spec, "initContainers") && !json_is_array(json_object_get(spec, "initContainers")))
		platform_cause(causes, "FieldValueInvalid", init_path, "a list of containers is expected");
	check_container_list(json_object_get(spec, "initContainers"), init_path, seen, causes);
	check_container_list(containers, path, seen, causes);
	json_decref(seen);
	check_volumes(spec, spec_path, causes);
}

static void pod_spec_defaults(json_t *spec)
{
	default_string(spec, "restartPolicy", "Always");
	default_string(spec, "dnsPolicy", "ClusterFirst");
	default_string(spec, "schedulerName", "default-scheduler");
	default_string(spec, "serviceAccountName", "default");
	default_int(spec, "terminationGracePeriodSeconds", 30);
	if (!json_object_get(spec, "securityContext"))
		json_object_set_new(spec, "securityContext", json_object());
}

static void pod_kind(json_t *obj, json_t *causes)
{
	json_t *spec = object_at(obj, "spec");
	check_containers(spec, "spec.containers", causes);
	pod_spec_defaults(spec);
	json_t *status = object_at(obj, "status");
	default_string(status, "phase", "Pending");
}

static bool selector_matches_labels(const json_t *match_labels, const json_t *labels)
{
	const char *key;
	const json_t *value;
	json_object_foreach ((json_t *)match_labels, key, value) {
		const json_t *have = json_object_get(labels, key);
		if (!json_is_string(have) || !json_equal(have, value))
			return false;
	}
	return true;
}

static void workload_kind(json_t *obj, json_t *causes)
{
	json_t *spec = object_at(obj, "spec");
	default_int(spec, "replicas", 1);
	default_int(spec, "revisionHistoryLimit", 10);
	json_t *selector = json_object_get(spec, "selector");
	json_t *template = object_at(spec, "template");
	json_t *labels = json_object_get(object_at(template, "metadata"), "labels");
	if (!json_is_object(selector))
		platform_cause(causes, "FieldValueRequired", "spec.selector", "Required value");
	else if (!selector_matches_labels(json_object_get(selector, "matchLabels"), labels))
		platform_cause(causes, "FieldValueInvalid", "spec.template.metadata.labels",
			       "Invalid value: `selector` does not match template `labels`");
	json_t *pod_spec = object_at(template, "spec");
	check_containers(pod_spec, "spec.template.spec.containers", causes);
	pod_spec_defaults(pod_spec);
	object_at(obj, "status");
}

static void deployment_kind(json_t *obj, json_t *causes)
{
	workload_kind(obj, causes);
	json_t *spec = object_at(obj, "spec");
	default_int(spec, "progressDeadlineSeconds", 600);
	json_t *strategy = object_at(spec, "strategy");
	default_string(strategy, "type", "RollingUpdate");
	if (strcmp(json_string_value(json_object_get(strategy, "type")), "RollingUpdate") == 0) {
		json_t *rolling = object_at(strategy, "rollingUpdate");
		default_string(rolling, "maxSurge", "25%");
		default_string(rolling, "maxUnavailable", "25%");
	}
}

static void service_kind(json_t *obj, json_t *causes)
{
	json_t *spec = object_at(obj, "spec");
	default_string(spec, "type", "ClusterIP");
	default_string(spec, "sessionAffinity", "None");
	json_t *ports = json_object_get(spec, "ports");
	size_t i;
	json_t *p;
	json_array_foreach (ports, i, p) {
		default_string(p, "protocol", "TCP");
		if (!json_object_get(p, "targetPort") && json_is_integer(json_object_get(p, "port")))
			json_object_set(p, "targetPort", json_object_get(p, "port"));
	}
}

static bool is_ipv4_cidr(const char *text)
{
	unsigned a, b, c, d, bits;
	char extra;
	return text && strspn(text, "0123456789./") == strlen(text) &&
	       sscanf(text, "%u.%u.%u.%u/%u%c", &a, &b, &c, &d, &bits, &extra) == 5 && a <= 255 && b <= 255 &&
	       c <= 255 && d <= 255 && bits <= 32;
}

/* A label selector of a policy must parse, as kube-apiserver's validation requires. */
static void check_selector(const json_t *selector, const char *field, json_t *causes)
{
	if (!selector)
		return;
	_cleanup_(platform_selector_freep) struct platform_selector *parsed = NULL;
	struct cc_error err = { 0 };
	if (platform_selector_from_json(selector, &parsed, &err) < 0)
		platform_cause(causes, "FieldValueInvalid", field, "%s", cc_error_message(&err));
}

/* NetworkPolicy: kube-apiserver's defaults (policyTypes from the rules given, TCP ports) and the checks
 * that keep a policy meaningful: a selector where one is required, ports in range, ipBlock CIDRs. */
static void network_policy_peers(json_t *peers, const char *where, json_t *causes)
{
	size_t i;
	json_t *peer;
	json_array_foreach (peers, i, peer) {
		json_t *block = json_object_get(peer, "ipBlock");
		char field[96];
		snprintf(field, sizeof(field), "%s[%zu]", where, i);
		if (block && (json_object_get(peer, "podSelector") || json_object_get(peer, "namespaceSelector")))
			platform_cause(causes, "FieldValueForbidden", field,
				       "may not specify both ipBlock and another peer");
		else if (!block && !json_object_get(peer, "podSelector") && !json_object_get(peer, "namespaceSelector"))
			platform_cause(causes, "FieldValueRequired", field, "must specify a peer");
		char selector_field[128];
		snprintf(selector_field, sizeof(selector_field), "%s.podSelector", field);
		check_selector(json_object_get(peer, "podSelector"), selector_field, causes);
		snprintf(selector_field, sizeof(selector_field), "%s.namespaceSelector", field);
		check_selector(json_object_get(peer, "namespaceSelector"), selector_field, causes);
		if (block && !is_ipv4_cidr(json_string_value(json_object_get(block, "cidr"))))
			platform_cause(causes, "FieldValueInvalid", field, "ipBlock.cidr must be an IPv4 CIDR");
		size_t j;
		json_t *except;
		json_array_foreach (json_object_get(block, "except"), j, except)
			if (!is_ipv4_cidr(json_string_value(except)))
				platform_cause(causes, "FieldValueInvalid", field,
					       "ipBlock.except[%zu] must be an IPv4 CIDR", j);
	}
}

static void network_policy_ports(json_t *ports, const char *where, json_t *causes)
{
	size_t i;
	json_t *p;
	json_array_foreach (ports, i, p) {
		default_string(p, "protocol", "TCP");
		const char *protocol = json_string_value(json_object_get(p, "protocol")) ?: "";
		json_t *port = json_object_get(p, "port");
		json_int_t end = json_integer_value(json_object_get(p, "endPort"));
		char field[96];
		snprintf(field, sizeof(field), "%s[%zu]", where, i);
		if (strcmp(protocol, "TCP") != 0 && strcmp(protocol, "UDP") != 0 && strcmp(protocol, "SCTP") != 0)
			platform_cause(causes, "FieldValueNotSupported", field,
				       "Unsupported value: \"%s\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
				       protocol);
		if (json_is_integer(port) && (json_integer_value(port) < 1 || json_integer_value(port) > 65535))
			platform_cause(causes, "FieldValueInvalid", field,
				       "port must be between 1 and 65535, inclusive");
		if (end && (!json_is_integer(port) || end < json_integer_value(port) || end > 65535))
			platform_cause(causes, "FieldValueInvalid", field,
				       "endPort must be a number no smaller than port, with a numeric port");
	}
}

static void network_policy_kind(json_t *obj, json_t *causes)
{
	json_t *spec = object_at(obj, "spec");
	if (!json_object_get(spec, "podSelector") || json_is_null(json_object_get(spec, "podSelector")))
		platform_cause(causes, "FieldValueRequired", "spec.podSelector", "Required value");
	else
		check_selector(json_object_get(spec, "podSelector"), "spec.podSelector", causes);
	if (!json_object_get(spec, "policyTypes")) {
		json_t *types = json_pack("[s]", "Ingress");
		if (json_object_get(spec, "egress"))
			json_array_append_new(types, json_string("Egress"));
		json_object_set_new(spec, "policyTypes", types);
	}
	size_t i;
	json_t *t;
	json_array_foreach (json_object_get(spec, "policyTypes"), i, t) {
		const char *type = json_string_value(t) ?: "";
		if (strcmp(type, "Ingress") != 0 && strcmp(type, "Egress") != 0)
			platform_cause(causes, "FieldValueNotSupported", "spec.policyTypes",
				       "Unsupported value: \"%s\": supported values: \"Ingress\", \"Egress\"", type);
	}
	static const char *const directions[][2] = { { "ingress", "from" }, { "egress", "to" } };
	for (size_t k = 0; k < 2; k++) {
		json_t *rule;
		json_array_foreach (json_object_get(spec, directions[k][0]), i, rule) {
			char where[64];
			snprintf(where, sizeof(where), "spec.%s[%zu].%s", directions[k][0], i, directions[k][1]);
			network_policy_peers(json_object_get(rule, directions[k][1]), where, causes);
			snprintf(where, sizeof(where), "spec.%s[%zu].ports", directions[k][0], i);
			network_policy_ports(json_object_get(rule, "ports"), where, causes);
		}
	}
}

static void role_kind(json_t *obj, json_t *causes)
{
	const char *kind = json_string_value(json_object_get(obj, "kind")) ?: "";
	platform_rbac_validate_role(obj, kind, causes);
}

static void binding_kind(json_t *obj, json_t *causes)
{
	const char *kind = json_string_value(json_object_get(obj, "kind")) ?: "";
	platform_rbac_validate_binding(obj, kind, causes);
}

static const struct {
	const char *kind;
	kind_fn admit;
} kinds[] = {
	{ "Role", role_kind },
	{ "ClusterRole", role_kind },
	{ "RoleBinding", binding_kind },
	{ "ClusterRoleBinding", binding_kind },
	{ "Namespace", namespace_kind },
	{ "ConfigMap", configmap_kind },
	{ "Secret", secret_kind },
	{ "Pod", pod_kind },
	{ "Deployment", deployment_kind },
	{ "ReplicaSet", workload_kind },
	{ "Service", service_kind },
	{ "NetworkPolicy", network_policy_kind },
	{ "Tenant", platform_tenant_validate },
};

static void admit_kind(const struct platform_resource *r, json_t *obj, json_t *causes)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].kind, r->kind) == 0)
			kinds[i].admit(obj, causes);
}

/* ---- create and update ---- */

static int refuse_invalid(const struct platform_resource *r, const json_t *obj, json_t *causes,
			  struct cc_http_response *resp)
{
	if (json_array_size(causes) == 0) {
		json_decref(causes);
		return 0;
	}
	platform_status_invalid(resp, r, meta_str(obj, "name"), causes);
	return -EINVAL;
}

static void generate_name(json_t *meta)
{
	const char *prefix = json_string_value(json_object_get(meta, "generateName"));
	if (!prefix || json_string_value(json_object_get(meta, "name")))
		return;
	/* Five characters from Kubernetes' alphabet without vowels and look-alikes. */
	static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
	uint8_t random[5];
	cc_random_bytes(random, sizeof(random), NULL);
	char name[300];
	int n = snprintf(name, sizeof(name), "%.248s", prefix);
	for (int i = 0; i < 5; i++)
		name[n + i] = alphabet[random[i] % (sizeof(alphabet) - 1)];
	name[n + 5] = '\0';
	json_object_set_new(meta, "name", json_string(name));
}

/* A body that is an object of the URL's kind (400 otherwise). */
static int check_body(const struct platform_resource *r, json_t *obj, struct cc_http_response *resp)
{
	if (!json_is_object(obj)) {
		platform_status_error(resp, 400, NULL, r, NULL, "the request body must be a JSON object");
		return -EINVAL;
	}
	return check_type(r, obj, resp);
}

int platform_admit_create(const struct platform_resource *r, json_t *obj, const char *url_namespace,
			  struct cc_http_response *resp)
{
	if (check_body(r, obj, resp) < 0)
		return -EINVAL;
	json_t *meta = object_at(obj, "metadata");
	generate_name(meta);
	const char *ns = json_string_value(json_object_get(meta, "namespace"));
	if (r->namespaced) {
		if (ns && ns[0] && url_namespace && strcmp(ns, url_namespace) != 0) {
			platform_status_error(resp, 400, NULL, r, meta_str(obj, "name"),
					      "the namespace of the provided object does not match the namespace sent "
					      "on the request");
			return -EINVAL;
		}
		if (url_namespace)
			json_object_set_new(meta, "namespace", json_string(url_namespace));
	} else {
		json_object_del(meta, "namespace");
	}
	/* A new Pod's, Service's or Tenant's status is the platform's to write, as kube-apiserver's
	 * strategies reset it: a client's podIP or load balancer address would steer NetworkPolicies and
	 * routing, and a Tenant's namespace list is the controller's. */
	if (strcmp(r->kind, "Pod") == 0 || strcmp(r->kind, "Service") == 0 || strcmp(r->kind, "Tenant") == 0)
		json_object_del(obj, "status");
	json_t *causes = json_array();
	check_metadata(r, meta, causes);
	admit_kind(r, obj, causes);
	if (refuse_invalid(r, obj, causes, resp) < 0)
		return -EINVAL;
	/* Server-set fields: whatever the client sent is replaced. */
	char uid[37], created[40];
	cc_random_uuid(uid, NULL);
	int64_t now = cc_time_now_ns();
	cc_time_format_rfc3339_seconds(now, created, sizeof(created));
	json_object_set_new(meta, "uid", json_string(uid));
	json_object_set_new(meta, "creationTimestamp", json_string(created));
	json_object_set_new(meta, "generation", json_integer(1));
	json_object_del(meta, "resourceVersion");
	json_object_del(meta, "deletionTimestamp");
	json_object_del(meta, "deletionGracePeriodSeconds");
	json_object_del(meta, "managedFields");
	return 0;
}

/* An object being deleted takes no new finalizers: its deletion must not wait for work that had
 * not begun when it was asked for. */
static void refuse_new_finalizers(const json_t *old, const json_t *obj, json_t *causes)
{
	if (!json_object_get(json_object_get(old, "metadata"), "deletionTimestamp"))
		return;
	_cleanup_json_ json_t *added = platform_finalizers_added(old, obj);
	if (json_array_size(added) == 0)
		return;
	_cleanup_free_ char *names = json_dumps(added, JSON_COMPACT);
	platform_cause(causes, "FieldValueForbidden", "metadata.finalizers",
		       "Forbidden: no new finalizers can be added if the object is being deleted, found new "
		       "finalizers %s",
		       names ? names : "");
}

int platform_admit_update(const struct platform_resource *r, json_t *obj, const json_t *old, bool status_only,
			  struct cc_http_response *resp)
{
	if (check_body(r, obj, resp) < 0)
		return -EINVAL;
	const char *name = meta_str(obj, "name"), *old_name = meta_str(old, "name");
	if (!name || strcmp(name, old_name) != 0) {
		platform_status_error(resp, 400, NULL, r, old_name,
				      "the name of the object (%s) does not match the name on the URL (%s)",
				      name ? name : "", old_name);
		return -EINVAL;
	}
	json_t *meta = object_at(obj, "metadata");
	const json_t *old_meta = json_object_get(old, "metadata");
	/* Immutable and server-set metadata come from the stored object. */
	static const char *const kept[] = {
		"uid", "creationTimestamp", "namespace", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"
	};
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		json_t *v = json_object_get(old_meta, kept[i]);
		if (v)
			json_object_set(meta, kept[i], v);
		else
			json_object_del(meta, kept[i]);
	}
	if (status_only) {
		/* The status subresource changes status only; everything else stays as stored. */
		json_t *status = json_incref(json_object_get(obj, "status"));
		json_object_clear(obj);
		json_object_update(obj, (json_t *)old);
		if (status)
			json_object_set_new(obj, "status", status);
		return 0;
	}
	/* The main resource does not change status (kube-apiserver's strategies for kinds with a status). */
	json_t *old_status = json_object_get(old, "status");
	if (old_status)
		json_object_set(obj, "status", old_status);
	json_t *causes = json_array();
	check_metadata(r, meta, causes);
	refuse_new_finalizers(old, obj, causes);
	if (strcmp(r->kind, "RoleBinding") == 0 || strcmp(r->kind, "ClusterRoleBinding") == 0)
		platform_rbac_validate_update(old, obj, causes);
	admit_kind(r, obj, causes);
	if (refuse_invalid(r, obj, causes, resp) < 0)
		return -EINVAL;
	const json_t *spec = json_object_get(obj, "spec"), *old_spec = json_object_get(old, "spec");
	if ((spec || old_spec) && !json_equal(spec, old_spec)) /* json_equal(NULL, NULL) is false */
		json_object_set_new(meta, "generation",
				    json_integer(json_integer_value(json_object_get(old_meta, "generation")) + 1));
	return 0;
}

int platform_admit_and_create(struct platform_objects *objects, const struct platform_resource *r, json_t *obj,
			      struct cc_error *err)
{
	struct cc_http_response refused;
	cc_http_response_init(&refused);
	const char *ns = json_string_value(json_object_get(json_object_get(obj, "metadata"), "namespace"));
	int rc = platform_admit_create(r, obj, ns, &refused);
	if (rc < 0)
		rc = cc_error_set(err, EINVAL, "%s refused by admission: %.*s", r->kind, (int)refused.body.len,
				  refused.body.data);
	cc_http_response_free(&refused);
	json_t *stored = NULL;
	if (rc == 0)
		rc = platform_objects_create(objects, r, obj, &stored, err);
	json_decref(stored);
	return rc;
}
