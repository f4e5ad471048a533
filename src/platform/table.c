/* Tables for `kubectl get` (see table.h): the columns and cell values of kube-apiserver's printers
 * for the kinds served here; kinds without their own columns get NAME and AGE. */
#include "platform/table.h"

#include "lib/base/cleanup.h"
#include "lib/base/timeutil.h"
#include "platform/selector.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct column {
	const char *name;
	const char *type;
	const char *format;
	int priority; /* 1: only with -o wide */
};

typedef void (*cells_fn)(const json_t *obj, json_t *cells, const char *age);

static const char *str(const json_t *obj, const char *a, const char *b, const char *c)
{
	const json_t *v = json_object_get(obj, a);
	if (b)
		v = json_object_get(v, b);
	if (c)
		v = json_object_get(v, c);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static json_int_t num(const json_t *obj, const char *a, const char *b)
{
	return json_integer_value(json_object_get(json_object_get(obj, a), b));
}

void platform_human_age(const char *creation_timestamp, char *out, size_t size)
{
	int64_t created;
	if (!creation_timestamp || cc_time_parse_rfc3339(creation_timestamp, &created) < 0) {
		snprintf(out, size, "<unknown>");
		return;
	}
	int64_t s = (cc_time_now_ns() - created) / 1000000000;
	if (s < 0)
		s = 0;
	int64_t m = s / 60, h = s / 3600, d = s / 86400;
	if (s < 120)
		snprintf(out, size, "%" PRId64 "s", s);
	else if (m < 10)
		snprintf(out, size, s % 60 ? "%" PRId64 "m%" PRId64 "s" : "%" PRId64 "m", m, s % 60);
	else if (h < 3)
		snprintf(out, size, "%" PRId64 "m", m);
	else if (h < 8)
		snprintf(out, size, m % 60 ? "%" PRId64 "h%" PRId64 "m" : "%" PRId64 "h", h, m % 60);
	else if (h < 48)
		snprintf(out, size, "%" PRId64 "h", h);
	else if (d < 8)
		snprintf(out, size, h % 24 ? "%" PRId64 "d%" PRId64 "h" : "%" PRId64 "d", d, h % 24);
	else if (d < 730)
		snprintf(out, size, "%" PRId64 "d", d);
	else
		snprintf(out, size, "%" PRId64 "y", d / 365);
}

/* ---- per kind ---- */

static void name_age(const json_t *obj, json_t *cells, const char *age)
{
	json_array_append_new(cells, json_string(str(obj, "metadata", "name", NULL)));
	json_array_append_new(cells, json_string(age));
}

/* STATUS as kubectl prints it: the phase, unless a container says more (a waiting reason such as
 * CrashLoopBackOff, a terminated reason such as Completed), Init:N/M while init containers run,
 * Terminating while the pod is being deleted. */
static void pod_status_text(const json_t *obj, char *out, size_t size)
{
	const char *phase = str(obj, "status", "phase", NULL);
	const char *reason = str(obj, "status", "reason", NULL);
	snprintf(out, size, "%s", reason ? reason : phase ? phase : "Pending");
	const json_t *status = json_object_get(obj, "status");
	const json_t *inits = json_object_get(status, "initContainerStatuses");
	size_t i;
	const json_t *cs;
	json_array_foreach (inits, i, cs) {
		const json_t *state = json_object_get(cs, "state");
		const char *waiting = str(state, "waiting", "reason", NULL);
		json_int_t code = num(state, "terminated", "exitCode");
		if (json_object_get(state, "terminated") && code == 0)
			continue;
		if (waiting && strcmp(waiting, "PodInitializing") != 0)
			snprintf(out, size, "Init:%s", waiting);
		else if (json_object_get(state, "terminated"))
			snprintf(out, size, "Init:ExitCode:%d", (int)code);
		else
			snprintf(out, size, "Init:%zu/%zu", i, json_array_size(inits));
		break;
	}
	if (i == json_array_size(inits)) {
		json_array_foreach (json_object_get(status, "containerStatuses"), i, cs) {
			const json_t *state = json_object_get(cs, "state");
			const char *waiting = str(state, "waiting", "reason", NULL);
			const char *terminated = str(state, "terminated", "reason", NULL);
			if (waiting && waiting[0])
				snprintf(out, size, "%s", waiting);
			else if (terminated && terminated[0])
				snprintf(out, size, "%s", terminated);
		}
	}
	if (str(obj, "metadata", "deletionTimestamp", NULL))
		snprintf(out, size, "Terminating");
}

static void pod_cells(const json_t *obj, json_t *cells, const char *age)
{
	const json_t *statuses = json_object_get(json_object_get(obj, "status"), "containerStatuses");
	size_t total = json_array_size(json_object_get(json_object_get(obj, "spec"), "containers")), ready = 0;
	json_int_t restarts = 0;
	size_t i;
	const json_t *cs;
	json_array_foreach (statuses, i, cs) {
		ready += json_is_true(json_object_get(cs, "ready"));
		restarts += json_integer_value(json_object_get(cs, "restartCount"));
	}
	char ready_text[32];
	snprintf(ready_text, sizeof(ready_text), "%zu/%zu", ready, total);
	json_array_append_new(cells, json_string(str(obj, "metadata", "name", NULL)));
	json_array_append_new(cells, json_string(ready_text));
	char status[96];
	pod_status_text(obj, status, sizeof(status));
	json_array_append_new(cells, json_string(status));
	json_array_append_new(cells, json_integer(restarts));
	json_array_append_new(cells, json_string(age));
	const char *ip = str(obj, "status", "podIP", NULL), *node = str(obj, "spec", "nodeName", NULL);
	json_array_append_new(cells, json_string(ip ? ip : "<none>"));
	json_array_append_new(cells, json_string(node ? node : "<none>"));
}

static void deployment_cells(const json_t *obj, json_t *cells, const char *age)
{
	char ready[48];
	snprintf(ready, sizeof(ready), "%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT,
		 num(obj, "status", "readyReplicas"), num(obj, "spec", "replicas"));
	json_array_append_new(cells, json_string(str(obj, "metadata", "name", NULL)));
	json_array_append_new(cells, json_string(ready));
	json_array_append_new(cells, json_integer(num(obj, "status", "updatedReplicas")));
	json_array_append_new(cells, json_integer(num(obj, "status", "availableReplicas")));
	json_array_append_new(cells, json_string(age));
}

static void replicaset_cells(const json_t *obj, json_t *cells, const char *age)
{
	json_array_append_new(cells, json_string(str(obj, "metadata", "name", NULL)));
	json_array_append_new(cells, json_integer(num(obj, "spec", "replicas")));
	json_array_append_new(cells, json_integer(num(obj, "status", "replicas")));
	json_array_append_new(cells, json_integer(num(obj, "status", "readyReplicas")));
	json_array_append_new(cells, json_string(age));
}

static void namespace_cells(const json_t *obj, json_t *cells, const char *age)
{
	const char *phase = str(obj, "status", "phase", NULL);
	json_array_append_new(cells, json_string(str(obj, "metadata", "name", NULL)));
	json_array_append_new(cells, json_string(phase ? phase : "Active"));
	json_array_append_new(cells, json_string(age));
}

static void data_cells(const json_t *obj, json_t *cells, const char *age)
{
	size_t n =
	    json_object_size(json_object_get(obj, "data")) + json_object_size(json_object_get(obj, "binaryData"));
	json_array_append_new(cells, json_string(str(obj, "metadata", "name", NULL)));
	const char *type = str(obj, "type", NULL, NULL);
	if (type)
		json_array_append_new(cells, json_string(type));
	json_array_append_new(cells, json_integer((json_int_t)n));
	json_array_append_new(cells, json_string(age));
}

static void node_cells(const json_t *obj, json_t *cells, const char *age)
{
	const char *ready = "NotReady";
	size_t i;
	const json_t *c;
	json_array_foreach (json_object_get(json_object_get(obj, "status"), "conditions"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "type")) ?: "", "Ready") == 0 &&
		    strcmp(json_string_value(json_object_get(c, "status")) ?: "", "True") == 0)
			ready = "Ready";
	const char *version = str(obj, "status", "nodeInfo", "kubeletVersion");
	json_array_append_new(cells, json_string(str(obj, "metadata", "name", NULL)));
	json_array_append_new(cells, json_string(ready));
	json_array_append_new(cells, json_string("control-plane"));
	json_array_append_new(cells, json_string(age));
	json_array_append_new(cells, json_string(version ? version : ""));
}

/* kubectl get events: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE. */
static void event_cells(const json_t *obj, json_t *cells, const char *age)
{
	char seen[32], object[320];
	const char *last = str(obj, "lastTimestamp", NULL, NULL);
	platform_human_age(last ? last : str(obj, "metadata", "creationTimestamp", NULL), seen, sizeof(seen));
	(void)age;
	const char *kind = str(obj, "involvedObject", "kind", NULL);
	char lower[64] = "";
	for (size_t i = 0; kind && kind[i] && i + 1 < sizeof(lower); i++)
		lower[i] = (char)(kind[i] >= 'A' && kind[i] <= 'Z' ? kind[i] - 'A' + 'a' : kind[i]);
	snprintf(object, sizeof(object), "%s/%s", lower, str(obj, "involvedObject", "name", NULL) ?: "");
	json_array_append_new(cells, json_string(seen));
	json_array_append_new(cells, json_string(str(obj, "type", NULL, NULL) ?: ""));
	json_array_append_new(cells, json_string(str(obj, "reason", NULL, NULL) ?: ""));
	json_array_append_new(cells, json_string(object));
	json_array_append_new(cells, json_string(str(obj, "message", NULL, NULL) ?: ""));
}

/* EXTERNAL-IP as kubectl prints it: spec.externalIPs, then for a LoadBalancer its ingress addresses
 * (or <pending>), for an ExternalName the name; <none> otherwise. */
static void service_external_ips(const json_t *obj, char *out, size_t size)
{
	const json_t *spec = json_object_get(obj, "spec");
	const char *type = str(obj, "spec", "type", NULL) ?: "ClusterIP";
	size_t used = 0, i;
	const json_t *v;
	out[0] = '\0';
	json_array_foreach (json_object_get(spec, "externalIPs"), i, v)
		used += (size_t)snprintf(out + used, used < size ? size - used : 0, "%s%s", used ? "," : "",
					 json_string_value(v) ?: "");
	if (strcmp(type, "LoadBalancer") == 0) {
		json_array_foreach (
		    json_object_get(json_object_get(json_object_get(obj, "status"), "loadBalancer"), "ingress"), i, v) {
			const char *address = json_string_value(json_object_get(v, "ip"))
						  ?: json_string_value(json_object_get(v, "hostname"));
			if (address)
				used += (size_t)snprintf(out + used, used < size ? size - used : 0, "%s%s",
							 used ? "," : "", address);
		}
		if (!out[0])
			snprintf(out, size, "<pending>");
	} else if (strcmp(type, "ExternalName") == 0) {
		snprintf(out, size, "%s", str(obj, "spec", "externalName", NULL) ?: "<none>");
	}
	if (!out[0])
		snprintf(out, size, "<none>");
}

/* kubectl get services: NAME, TYPE, CLUSTER-IP, EXTERNAL-IP, PORT(S), AGE, and SELECTOR with -o wide. */
static void service_cells(const json_t *obj, json_t *cells, const char *age)
{
	const json_t *spec = json_object_get(obj, "spec");
	char ports[512] = "", selector[512] = "";
	size_t used = 0, i;
	const json_t *p;
	json_array_foreach (json_object_get(spec, "ports"), i, p) {
		json_int_t node_port = json_integer_value(json_object_get(p, "nodePort"));
		char one[64];
		if (node_port)
			snprintf(one, sizeof(one), "%s%lld:%lld/%s", i ? "," : "",
				 (long long)json_integer_value(json_object_get(p, "port")), (long long)node_port,
				 json_string_value(json_object_get(p, "protocol")) ?: "TCP");
		else
			snprintf(one, sizeof(one), "%s%lld/%s", i ? "," : "",
				 (long long)json_integer_value(json_object_get(p, "port")),
				 json_string_value(json_object_get(p, "protocol")) ?: "TCP");
		used += (size_t)snprintf(ports + used, used < sizeof(ports) ? sizeof(ports) - used : 0, "%s", one);
	}
	used = 0;
	const char *key;
	const json_t *value;
	json_object_foreach ((json_t *)json_object_get(spec, "selector"), key, value)
		used += (size_t)snprintf(selector + used, used < sizeof(selector) ? sizeof(selector) - used : 0,
					 "%s%s=%s", used ? "," : "", key, json_string_value(value) ?: "");
	json_array_append_new(cells, json_string(str(obj, "metadata", "name", NULL)));
	json_array_append_new(cells, json_string(str(obj, "spec", "type", NULL) ?: "ClusterIP"));
	json_array_append_new(cells, json_string(str(obj, "spec", "clusterIP", NULL) ?: "<none>"));
	char external[512];
	service_external_ips(obj, external, sizeof(external));
	json_array_append_new(cells, json_string(external));
	json_array_append_new(cells, json_string(ports[0] ? ports : "<none>"));
	json_array_append_new(cells, json_string(age));
	json_array_append_new(cells, json_string(selector[0] ? selector : "<none>"));
}

static const struct column name_age_columns[] = { { "Name", "string", "name", 0 }, { "Age", "string", "", 0 }, { 0 } };
static const struct column pod_columns[] = { { "Name", "string", "name", 0 }, { "Ready", "string", "", 0 },
					     { "Status", "string", "", 0 },   { "Restarts", "integer", "", 0 },
					     { "Age", "string", "", 0 },      { "IP", "string", "", 1 },
					     { "Node", "string", "", 1 },     { 0 } };
static const struct column deployment_columns[] = {
	{ "Name", "string", "name", 0 },   { "Ready", "string", "", 0 }, { "Up-to-date", "integer", "", 0 },
	{ "Available", "integer", "", 0 }, { "Age", "string", "", 0 },   { 0 }
};
static const struct column replicaset_columns[] = { { "Name", "string", "name", 0 }, { "Desired", "integer", "", 0 },
						    { "Current", "integer", "", 0 }, { "Ready", "integer", "", 0 },
						    { "Age", "string", "", 0 },      { 0 } };
static const struct column namespace_columns[] = {
	{ "Name", "string", "name", 0 }, { "Status", "string", "", 0 }, { "Age", "string", "", 0 }, { 0 }
};
static const struct column configmap_columns[] = {
	{ "Name", "string", "name", 0 }, { "Data", "integer", "", 0 }, { "Age", "string", "", 0 }, { 0 }
};
static const struct column secret_columns[] = { { "Name", "string", "name", 0 },
						{ "Type", "string", "", 0 },
						{ "Data", "integer", "", 0 },
						{ "Age", "string", "", 0 },
						{ 0 } };
static const struct column node_columns[] = { { "Name", "string", "name", 0 }, { "Status", "string", "", 0 },
					      { "Roles", "string", "", 0 },    { "Age", "string", "", 0 },
					      { "Version", "string", "", 0 },  { 0 } };

static const struct column service_columns[] = { { "Name", "string", "name", 0 },   { "Type", "string", "", 0 },
						 { "Cluster-IP", "string", "", 0 }, { "External-IP", "string", "", 0 },
						 { "Port(s)", "string", "", 0 },    { "Age", "string", "", 0 },
						 { "Selector", "string", "", 1 },   { 0 } };
/* kubectl get networkpolicies: NAME, POD-SELECTOR (the string form; <none> for {}), AGE. */
static void network_policy_cells(const json_t *obj, json_t *cells, const char *age)
{
	const json_t *selector = json_object_get(json_object_get(obj, "spec"), "podSelector");
	_cleanup_(platform_selector_freep) struct platform_selector *parsed = NULL;
	_cleanup_free_ char *text =
	    platform_selector_from_json(selector, &parsed, NULL) == 0 ? platform_selector_format(parsed) : NULL;
	json_array_append_new(cells, json_string(str(obj, "metadata", "name", NULL)));
	json_array_append_new(cells, json_string(text && *text ? text : "<none>"));
	json_array_append_new(cells, json_string(age));
}

static const struct column network_policy_columns[] = {
	{ "Name", "string", "name", 0 }, { "Pod-Selector", "string", "", 0 }, { "Age", "string", "", 0 }, { 0 }
};
/* kubectl get poddisruptionbudgets: NAME, MIN AVAILABLE, MAX UNAVAILABLE (N/A for the one not
 * set), ALLOWED DISRUPTIONS, AGE. */
static void int_or_string_cell(json_t *cells, const json_t *v)
{
	if (json_is_integer(v))
		json_array_append_new(cells, json_sprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v)));
	else
		json_array_append_new(cells, json_string(json_string_value(v) ?: "N/A"));
}

static void budget_cells(const json_t *obj, json_t *cells, const char *age)
{
	const json_t *spec = json_object_get(obj, "spec");
	json_array_append_new(cells, json_string(str(obj, "metadata", "name", NULL)));
	int_or_string_cell(cells, json_object_get(spec, "minAvailable"));
	int_or_string_cell(cells, json_object_get(spec, "maxUnavailable"));
	json_array_append_new(cells, json_integer(json_integer_value(
					 json_object_get(json_object_get(obj, "status"), "disruptionsAllowed"))));
	json_array_append_new(cells, json_string(age));
}

static const struct column budget_columns[] = { { "Name", "string", "name", 0 },
						{ "Min Available", "string", "", 0 },
						{ "Max Unavailable", "string", "", 0 },
						{ "Allowed Disruptions", "integer", "", 0 },
						{ "Age", "string", "", 0 },
						{ 0 } };
/* kubectl get vulnerabilityreports: trivy-operator's columns (REPOSITORY, TAG, SCANNER, AGE and
 * the counts by severity), with the fixable count and malware beside them. */
static void vuln_report_cells(const json_t *obj, json_t *cells, const char *age)
{
	const json_t *summary = json_object_get(json_object_get(obj, "report"), "summary");
	json_array_append_new(cells, json_string(str(obj, "metadata", "name", NULL)));
	json_array_append_new(cells, json_string(str(obj, "report", "artifact", "repository") ?: ""));
	json_array_append_new(cells, json_string(str(obj, "report", "artifact", "tag") ?: ""));
	json_array_append_new(cells, json_string(str(obj, "report", "scanner", "name") ?: ""));
	json_array_append_new(cells, json_string(age));
	static const char *const counts[] = { "criticalCount", "highCount",    "mediumCount", "lowCount",
					      "unknownCount",  "fixableCount", "malwareCount" };
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		json_array_append_new(cells, json_integer(json_integer_value(json_object_get(summary, counts[i]))));
}

static const struct column vuln_report_columns[] = { { "Name", "string", "name", 0 },
						     { "Repository", "string", "", 0 },
						     { "Tag", "string", "", 0 },
						     { "Scanner", "string", "", 0 },
						     { "Age", "string", "", 0 },
						     { "Critical", "integer", "", 0 },
						     { "High", "integer", "", 0 },
						     { "Medium", "integer", "", 0 },
						     { "Low", "integer", "", 0 },
						     { "Unknown", "integer", "", 0 },
						     { "Fixable", "integer", "", 1 },
						     { "Malware", "integer", "", 1 },
						     { 0 } };
/* kubectl get tenants: NAME, NAMESPACES (how many), KBS TENANT, AGE; -o wide adds OWNERS. */
static void tenant_cells(const json_t *obj, json_t *cells, const char *age)
{
	const json_t *status = json_object_get(obj, "status");
	json_array_append_new(cells, json_string(str(obj, "metadata", "name", NULL)));
	json_array_append_new(cells, json_integer(json_integer_value(json_object_get(status, "size"))));
	json_array_append_new(cells, json_string(str(obj, "status", "kbsTenant", NULL) ?: ""));
	json_array_append_new(cells, json_string(age));
	/* User/alice,Group/acme-admins */
	char owners[512] = "";
	size_t len = 0, i;
	const json_t *o;
	json_array_foreach (json_object_get(json_object_get(obj, "spec"), "owners"), i, o) {
		int n = snprintf(owners + len, sizeof(owners) - len, "%s%s/%s", i ? "," : "",
				 json_string_value(json_object_get(o, "kind")) ?: "",
				 json_string_value(json_object_get(o, "name")) ?: "");
		if (n < 0 || (size_t)n >= sizeof(owners) - len) {
			owners[len] = '\0'; /* whole entries only */
			break;
		}
		len += (size_t)n;
	}
	json_array_append_new(cells, json_string(owners));
}

static const struct column tenant_columns[] = { { "Name", "string", "name", 0 },   { "Namespaces", "integer", "", 0 },
						{ "KBS Tenant", "string", "", 0 }, { "Age", "string", "", 0 },
						{ "Owners", "string", "", 1 },     { 0 } };
static const struct column event_columns[] = { { "Last Seen", "string", "", 0 }, { "Type", "string", "", 0 },
					       { "Reason", "string", "", 0 },    { "Object", "string", "", 0 },
					       { "Message", "string", "", 0 },   { 0 } };

static const struct printer {
	const char *kind;
	const struct column *columns;
	cells_fn cells;
} printers[] = {
	{ "Pod", pod_columns, pod_cells },
	{ "Deployment", deployment_columns, deployment_cells },
	{ "ReplicaSet", replicaset_columns, replicaset_cells },
	{ "Namespace", namespace_columns, namespace_cells },
	{ "ConfigMap", configmap_columns, data_cells },
	{ "Secret", secret_columns, data_cells },
	{ "Node", node_columns, node_cells },
	{ "Event", event_columns, event_cells },
	{ "Service", service_columns, service_cells },
	{ "NetworkPolicy", network_policy_columns, network_policy_cells },
	{ "VulnerabilityReport", vuln_report_columns, vuln_report_cells },
	{ "PodDisruptionBudget", budget_columns, budget_cells },
	{ "Tenant", tenant_columns, tenant_cells },
};

static const struct printer *printer_for(const struct platform_resource *r)
{
	for (size_t i = 0; i < sizeof(printers) / sizeof(printers[0]); i++)
		if (strcmp(printers[i].kind, r->kind) == 0)
			return &printers[i];
	static const struct printer fallback = { NULL, name_age_columns, name_age };
	return &fallback;
}

json_t *platform_table(const struct platform_resource *r, const json_t *items, const char *resource_version)
{
	const struct printer *p = printer_for(r);
	json_t *columns = json_array();
	for (const struct column *c = p->columns; c->name; c++)
		json_array_append_new(columns,
				      json_pack("{s:s, s:s, s:s, s:s, s:i}", "name", c->name, "type", c->type, "format",
						c->format, "description", "", "priority", c->priority));
	json_t *rows = json_array();
	size_t i;
	const json_t *obj;
	json_array_foreach (items, i, obj) {
		char age[32];
		platform_human_age(str(obj, "metadata", "creationTimestamp", NULL), age, sizeof(age));
		json_t *cells = json_array();
		p->cells(obj, cells, age);
		json_t *meta = json_deep_copy(json_object_get(obj, "metadata"));
		json_object_del(meta, "managedFields");
		json_array_append_new(rows, json_pack("{s:o, s:{s:s, s:s, s:o}}", "cells", cells, "object", "kind",
						      "PartialObjectMetadata", "apiVersion", "meta.k8s.io/v1",
						      "metadata", meta ? meta : json_object()));
	}
	return json_pack("{s:s, s:s, s:{s:s}, s:o, s:o}", "kind", "Table", "apiVersion", "meta.k8s.io/v1", "metadata",
			 "resourceVersion", resource_version, "columnDefinitions", columns, "rows", rows);
}

bool platform_wants_table(const char *accept)
{
	return accept && strstr(accept, "as=Table") && strstr(accept, "g=meta.k8s.io");
}
