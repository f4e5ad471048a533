/* The served kinds (see resources.h). The order is discovery's: core first, then by group. */
#include "platform/resources.h"

#include <stdio.h>
#include <string.h>

static const struct platform_resource resources[] = {
	{ "", "v1", "namespaces", "Namespace", "namespace", false, { "ns" }, NULL, false },
	/* cocoond registers its Node and writes its status; the operator edits its spec and labels. */
	{ "", "v1", "nodes", "Node", "node", false, { "no" }, NULL, false, "get,list,patch,update,watch" },
	{ "", "v1", "pods", "Pod", "pod", true, { "po" }, "all", false },
	{ "", "v1", "services", "Service", "service", true, { "svc" }, "all", false },
	{ "", "v1", "endpoints", "Endpoints", "endpoints", true, { "ep" }, NULL, false },
	{ "", "v1", "configmaps", "ConfigMap", "configmap", true, { "cm" }, NULL, false },
	{ "", "v1", "secrets", "Secret", "secret", true, { NULL }, NULL, false },
	{ "", "v1", "serviceaccounts", "ServiceAccount", "serviceaccount", true, { "sa" }, NULL, false },
	{ "", "v1", "events", "Event", "event", true, { "ev" }, NULL, false },
	{ "apps", "v1", "deployments", "Deployment", "deployment", true, { "deploy" }, "all", false },
	{ "apps", "v1", "replicasets", "ReplicaSet", "replicaset", true, { "rs" }, "all", false },
	{ "rbac.authorization.k8s.io", "v1", "roles", "Role", "role", true, { NULL }, NULL, false },
	{ "rbac.authorization.k8s.io",
	  "v1",
	  "rolebindings",
	  "RoleBinding",
	  "rolebinding",
	  true,
	  { NULL },
	  NULL,
	  false },
	{ "rbac.authorization.k8s.io",
	  "v1",
	  "clusterroles",
	  "ClusterRole",
	  "clusterrole",
	  false,
	  { NULL },
	  NULL,
	  false },
	{ "rbac.authorization.k8s.io",
	  "v1",
	  "clusterrolebindings",
	  "ClusterRoleBinding",
	  "clusterrolebinding",
	  false,
	  { NULL },
	  NULL,
	  false },
	{ "networking.k8s.io",
	  "v1",
	  "networkpolicies",
	  "NetworkPolicy",
	  "networkpolicy",
	  true,
	  { "netpol" },
	  NULL,
	  false },
	{ "policy",
	  "v1",
	  "poddisruptionbudgets",
	  "PodDisruptionBudget",
	  "poddisruptionbudget",
	  true,
	  { "pdb" },
	  NULL,
	  false },
	{ "node.k8s.io", "v1", "runtimeclasses", "RuntimeClass", "runtimeclass", false, { NULL }, NULL, false },
	/* Written by cocoond's scanner (vuln_reports.h), read by everyone allowed to. */
	{ "scan.cocoon.dev",
	  "v1alpha1",
	  "vulnerabilityreports",
	  "VulnerabilityReport",
	  "vulnerabilityreport",
	  true,
	  { "vuln", "vulns" },
	  NULL,
	  true },
	/* Sets of namespaces with their own owners and key broker tenant (tenancy.h). */
	{ "tenancy.cocoon.dev", "v1alpha1", "tenants", "Tenant", "tenant", false, { "tnt" }, NULL, false },
	/* Asked, not stored: `kubectl auth can-i`. */
	{ "authorization.k8s.io",
	  "v1",
	  "selfsubjectaccessreviews",
	  "SelfSubjectAccessReview",
	  "",
	  false,
	  { NULL },
	  NULL,
	  false,
	  "create" },
	{ "authorization.k8s.io",
	  "v1",
	  "selfsubjectrulesreviews",
	  "SelfSubjectRulesReview",
	  "",
	  false,
	  { NULL },
	  NULL,
	  false,
	  "create" },
	{ "authorization.k8s.io",
	  "v1",
	  "subjectaccessreviews",
	  "SubjectAccessReview",
	  "",
	  false,
	  { NULL },
	  NULL,
	  false,
	  "create" },
	{ "authorization.k8s.io",
	  "v1",
	  "localsubjectaccessreviews",
	  "LocalSubjectAccessReview",
	  "",
	  true,
	  { NULL },
	  NULL,
	  false,
	  "create" },
	/* Asked, not stored: `kubectl auth whoami`, and token checks for other components. */
	{ "authentication.k8s.io",
	  "v1",
	  "selfsubjectreviews",
	  "SelfSubjectReview",
	  "",
	  false,
	  { NULL },
	  NULL,
	  false,
	  "create" },
	{ "authentication.k8s.io", "v1", "tokenreviews", "TokenReview", "", false, { NULL }, NULL, false, "create" },
};

const struct platform_resource *platform_resources(size_t *ret_count)
{
	*ret_count = sizeof(resources) / sizeof(resources[0]);
	return resources;
}

const struct platform_resource *platform_resource_find(const char *group, const char *version, const char *resource)
{
	for (size_t i = 0; i < sizeof(resources) / sizeof(resources[0]); i++) {
		const struct platform_resource *r = &resources[i];
		if (strcmp(r->group, group) == 0 && strcmp(r->version, version) == 0 &&
		    strcmp(r->resource, resource) == 0)
			return r;
	}
	return NULL;
}

void platform_resource_api_version(const struct platform_resource *r, char *buf, size_t size)
{
	if (r->group[0])
		snprintf(buf, size, "%s/%s", r->group, r->version);
	else
		snprintf(buf, size, "%s", r->version);
}

const char *platform_resource_verbs(const struct platform_resource *r)
{
	if (r->verbs)
		return r->verbs;
	return r->read_only ? "get,list,watch" : "create,delete,deletecollection,get,list,patch,update,watch";
}
