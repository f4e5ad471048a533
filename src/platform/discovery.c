/* Discovery documents (see discovery.h), built from the table of served resources. */
#include "platform/discovery.h"

#include "platform/resources.h"
#include "platform/status.h"

#include <stdio.h>
#include <string.h>

/* Subresources served besides the main resource. */
static const struct {
	const char *resource;
	const char *sub;
	const char *kind;
	const char *verbs;
	const char *group, *version; /* the subresource's kind is of another group (Eviction); NULL: none */
} subresources[] = {
	{ "pods", "status", "Pod", "get,patch,update" },
	{ "deployments", "status", "Deployment", "get,patch,update" },
	{ "replicasets", "status", "ReplicaSet", "get,patch,update" },
	{ "namespaces", "status", "Namespace", "get,patch,update" },
	{ "nodes", "status", "Node", "get" },
	{ "deployments", "scale", "Scale", "get,patch,update" },
	{ "replicasets", "scale", "Scale", "get,patch,update" },
	/* kubectl drain evicts through it when discovery lists it, and deletes otherwise. */
	{ "pods", "eviction", "Eviction", "create", "policy", "v1" },
};

static json_t *verbs(const char *list)
{
	json_t *out = json_array();
	char copy[128];
	snprintf(copy, sizeof(copy), "%s", list);
	for (char *save = NULL, *v = strtok_r(copy, ",", &save); v; v = strtok_r(NULL, ",", &save))
		json_array_append_new(out, json_string(v));
	return out;
}

static json_t *resource_list(const char *group, const char *version)
{
	json_t *list = json_array();
	size_t count;
	const struct platform_resource *all = platform_resources(&count);
	for (size_t i = 0; i < count; i++) {
		const struct platform_resource *r = &all[i];
		if (strcmp(r->group, group) != 0 || strcmp(r->version, version) != 0)
			continue;
		json_t *item =
		    json_pack("{s:s, s:s, s:b, s:s, s:o}", "name", r->resource, "singularName", r->singular,
			      "namespaced", r->namespaced, "kind", r->kind, "verbs", verbs(platform_resource_verbs(r)));
		if (r->short_names[0]) {
			json_t *names = json_array();
			for (size_t j = 0; j < 3 && r->short_names[j]; j++)
				json_array_append_new(names, json_string(r->short_names[j]));
			json_object_set_new(item, "shortNames", names);
		}
		if (r->categories)
			json_object_set_new(item, "categories", json_pack("[s]", r->categories));
		json_array_append_new(list, item);
		for (size_t j = 0; j < sizeof(subresources) / sizeof(subresources[0]); j++) {
			if (strcmp(subresources[j].resource, r->resource) != 0)
				continue;
			char name[96];
			snprintf(name, sizeof(name), "%s/%s", r->resource, subresources[j].sub);
			json_t *sub = json_pack("{s:s, s:s, s:b, s:s, s:o}", "name", name, "singularName", "",
						"namespaced", r->namespaced, "kind", subresources[j].kind, "verbs",
						verbs(subresources[j].verbs));
			if (subresources[j].group) {
				json_object_set_new(sub, "group", json_string(subresources[j].group));
				json_object_set_new(sub, "version", json_string(subresources[j].version));
			}
			json_array_append_new(list, sub);
		}
	}
	char gv[96];
	snprintf(gv, sizeof(gv), "%s%s%s", group, group[0] ? "/" : "", version);
	return json_pack("{s:s, s:s, s:s, s:o}", "kind", "APIResourceList", "apiVersion", "v1", "groupVersion", gv,
			 "resources", list);
}

/* Each group is served at one version: its resources' (v1, or v1alpha1 for cocoon's own). */
static json_t *group_object(const char *group)
{
	size_t count;
	const struct platform_resource *all = platform_resources(&count);
	const char *version = "v1";
	for (size_t i = 0; i < count; i++)
		if (strcmp(all[i].group, group) == 0) {
			version = all[i].version;
			break;
		}
	char gv[96];
	snprintf(gv, sizeof(gv), "%s/%s", group, version);
	return json_pack("{s:s, s:[{s:s, s:s}], s:{s:s, s:s}}", "name", group, "versions", "groupVersion", gv,
			 "version", version, "preferredVersion", "groupVersion", gv, "version", version);
}

/* Every group but the core one, in table order, once. */
static json_t *group_list(void)
{
	json_t *groups = json_array();
	size_t count;
	const struct platform_resource *all = platform_resources(&count);
	for (size_t i = 0; i < count; i++) {
		if (!all[i].group[0])
			continue;
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			seen |= strcmp(all[j].group, all[i].group) == 0;
		if (!seen)
			json_array_append_new(groups, group_object(all[i].group));
	}
	return json_pack("{s:s, s:s, s:o}", "kind", "APIGroupList", "apiVersion", "v1", "groups", groups);
}

static bool group_served(const char *group, const char *version)
{
	size_t count;
	const struct platform_resource *all = platform_resources(&count);
	for (size_t i = 0; i < count; i++)
		if (strcmp(all[i].group, group) == 0 && (!version || strcmp(all[i].version, version) == 0))
			return true;
	return false;
}

void platform_discovery(char *const *segments, size_t count, const struct cc_http_request *req,
			struct cc_http_response *resp)
{
	bool core = strcmp(segments[0], "api") == 0;
	if (core && count == 1) {
		platform_respond(resp, 200,
				 json_pack("{s:s, s:[s], s:[{s:s, s:s}]}", "kind", "APIVersions", "versions", "v1",
					   "serverAddressByClientCIDRs", "clientCIDR", "0.0.0.0/0", "serverAddress",
					   ""));
	} else if (core && count == 2 && strcmp(segments[1], "v1") == 0) {
		platform_respond(resp, 200, resource_list("", "v1"));
	} else if (!core && count == 1) {
		platform_respond(resp, 200, group_list());
	} else if (!core && count == 2 && group_served(segments[1], NULL)) {
		json_t *g = group_object(segments[1]);
		json_object_set_new(g, "kind", json_string("APIGroup"));
		json_object_set_new(g, "apiVersion", json_string("v1"));
		platform_respond(resp, 200, g);
	} else if (!core && count == 3 && group_served(segments[1], segments[2])) {
		platform_respond(resp, 200, resource_list(segments[1], segments[2]));
	} else {
		platform_status_error(resp, 404, NULL, NULL, NULL, "the server could not find the requested resource");
	}
}
