/* The RBAC authorizer (see rbac.h). The index maps a subject key ("user:NAME" or "group:NAME") to
 * the bindings that name it: {binding, role, namespace (absent for cluster bindings), rules}. A
 * decision looks at the keys of the user and its groups only, not at every binding. */
#include "platform/rbac.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/json/json.h"
#include "platform/objects.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RBAC_GROUP "rbac.authorization.k8s.io"

struct snapshot {
	int refs;              /* under the authorizer's lock */
	json_t *index;         /* subject key -> [{binding, role, namespace?, rules}] */
	json_t *cluster_roles; /* name -> rules */
	json_t *roles;         /* "namespace/name" -> rules */
};

struct platform_rbac {
	struct platform_objects *objects;
	const struct platform_resource *roles, *cluster_roles, *role_bindings, *cluster_role_bindings;
	pthread_mutex_t lock;
	atomic_bool dirty;
	struct snapshot *current;
};

static const char *meta(const json_t *obj, const char *field)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), field));
}

static json_t *list_all(struct platform_rbac *rbac, const struct platform_resource *r)
{
	struct platform_list_options o = { 0 };
	json_t *items = NULL;
	int64_t rv;
	char *next = NULL;
	struct cc_error err = { 0 };
	if (platform_objects_list(rbac->objects, r, &o, &items, &rv, &next, &err) < 0) {
		/* Fail closed: without the bindings nothing is allowed but what the others grant. */
		cc_warning("rbac: list %s: %s", r->resource, cc_error_message(&err));
		return json_array();
	}
	free(next);
	return items;
}

static void snapshot_release(struct snapshot *s)
{
	if (!s || --s->refs > 0)
		return;
	json_decref(s->index);
	json_decref(s->cluster_roles);
	json_decref(s->roles);
	free(s);
}

/* The key of a binding's subject; NULL for kinds that name nobody. */
static char *subject_key(const json_t *subject, const char *binding_namespace)
{
	const char *kind = json_string_value(json_object_get(subject, "kind")) ?: "";
	const char *name = json_string_value(json_object_get(subject, "name"));
	if (!name)
		return NULL;
	if (strcmp(kind, "User") == 0)
		return cc_xasprintf("user:%s", name);
	if (strcmp(kind, "Group") == 0)
		return cc_xasprintf("group:%s", name);
	if (strcmp(kind, "ServiceAccount") == 0) {
		const char *ns = json_string_value(json_object_get(subject, "namespace"));
		if (!ns || !ns[0])
			ns = binding_namespace;
		return ns ? cc_xasprintf("user:system:serviceaccount:%s:%s", ns, name) : NULL;
	}
	return NULL;
}

static void index_binding(struct snapshot *s, const json_t *binding, bool cluster)
{
	const json_t *ref = json_object_get(binding, "roleRef");
	const char *role_kind = json_string_value(json_object_get(ref, "kind")) ?: "";
	const char *role_name = json_string_value(json_object_get(ref, "name")) ?: "";
	const char *ns = cluster ? NULL : meta(binding, "namespace");
	json_t *rules = NULL;
	if (strcmp(role_kind, "ClusterRole") == 0)
		rules = json_object_get(s->cluster_roles, role_name);
	else if (!cluster && strcmp(role_kind, "Role") == 0) {
		_cleanup_free_ char *key = cc_xasprintf("%s/%s", ns, role_name);
		rules = json_object_get(s->roles, key);
	}
	if (!rules)
		return; /* a binding to a role that does not exist grants nothing */
	json_t *entry = json_pack("{s:s+, s:s++, s:O}", "binding", cluster ? "ClusterRoleBinding \"" : "RoleBinding \"",
				  meta(binding, "name") ?: "", "role", role_kind, " \"", role_name, "rules", rules);
	if (ns) {
		json_object_set_new(entry, "namespace", json_string(ns));
		/* kube-apiserver names a RoleBinding NAME/NAMESPACE in its reasons. */
		_cleanup_free_ char *label = cc_xasprintf("RoleBinding \"%s/%s", meta(binding, "name") ?: "", ns);
		json_object_set_new(entry, "binding", json_string(label));
	}
	size_t i;
	const json_t *subject;
	json_array_foreach (json_object_get(binding, "subjects"), i, subject) {
		_cleanup_free_ char *key = subject_key(subject, ns);
		if (!key)
			continue;
		json_t *list = json_object_get(s->index, key);
		if (!list) {
			list = json_array();
			json_object_set_new(s->index, key, list);
		}
		json_t *e = json_deep_copy(entry);
		json_object_set(e, "rules", rules); /* shared, not copied */
		_cleanup_free_ char *who =
		    cc_xasprintf("%s \"%s\"", json_string_value(json_object_get(subject, "kind")),
				 json_string_value(json_object_get(subject, "name")));
		json_object_set_new(e, "subject", json_string(who));
		json_array_append_new(list, e);
	}
	json_decref(entry);
}

static struct snapshot *build(struct platform_rbac *rbac)
{
	struct snapshot *s = cc_xcalloc(1, sizeof(*s));
	s->refs = 1;
	s->index = json_object();
	s->cluster_roles = json_object();
	s->roles = json_object();
	json_t *items = list_all(rbac, rbac->cluster_roles);
	size_t i;
	json_t *obj;
	json_array_foreach (items, i, obj) {
		json_t *rules = json_object_get(obj, "rules");
		json_object_set_new(s->cluster_roles, meta(obj, "name") ?: "",
				    json_is_array(rules) ? json_incref(rules) : json_array());
	}
	json_decref(items);
	items = list_all(rbac, rbac->roles);
	json_array_foreach (items, i, obj) {
		json_t *rules = json_object_get(obj, "rules");
		_cleanup_free_ char *key = cc_xasprintf("%s/%s", meta(obj, "namespace") ?: "", meta(obj, "name") ?: "");
		json_object_set_new(s->roles, key, json_is_array(rules) ? json_incref(rules) : json_array());
	}
	json_decref(items);
	items = list_all(rbac, rbac->cluster_role_bindings);
	json_array_foreach (items, i, obj)
		index_binding(s, obj, true);
	json_decref(items);
	items = list_all(rbac, rbac->role_bindings);
	json_array_foreach (items, i, obj)
		index_binding(s, obj, false);
	json_decref(items);
	return s;
}

static struct snapshot *acquire(struct platform_rbac *rbac)
{
	pthread_mutex_lock(&rbac->lock);
	if (atomic_exchange(&rbac->dirty, false) || !rbac->current) {
		struct snapshot *s = build(rbac);
		snapshot_release(rbac->current);
		rbac->current = s;
	}
	struct snapshot *s = rbac->current;
	s->refs++;
	pthread_mutex_unlock(&rbac->lock);
	return s;
}

static void release(struct platform_rbac *rbac, struct snapshot *s)
{
	pthread_mutex_lock(&rbac->lock);
	snapshot_release(s);
	pthread_mutex_unlock(&rbac->lock);
}

/* Runs under the store's lock: only note it. */
static void observe(void *ctx, const struct platform_resource *r, const char *type, const json_t *obj)
{
	struct platform_rbac *rbac = ctx;
	if (strcmp(r->group, RBAC_GROUP) == 0)
		atomic_store(&rbac->dirty, true);
}

int platform_rbac_new(struct platform_objects *objects, struct platform_rbac **ret, struct cc_error *err)
{
	struct platform_rbac *rbac = cc_xcalloc(1, sizeof(*rbac));
	rbac->objects = objects;
	rbac->roles = platform_resource_find(RBAC_GROUP, "v1", "roles");
	rbac->cluster_roles = platform_resource_find(RBAC_GROUP, "v1", "clusterroles");
	rbac->role_bindings = platform_resource_find(RBAC_GROUP, "v1", "rolebindings");
	rbac->cluster_role_bindings = platform_resource_find(RBAC_GROUP, "v1", "clusterrolebindings");
	pthread_mutex_init(&rbac->lock, NULL);
	atomic_init(&rbac->dirty, true);
	int rc = platform_objects_observe(objects, observe, rbac);
	if (rc < 0) {
		pthread_mutex_destroy(&rbac->lock);
		free(rbac);
		return cc_error_set(err, -rc, "observe the RBAC objects");
	}
	*ret = rbac;
	return 0;
}

void platform_rbac_free(struct platform_rbac *rbac)
{
	if (!rbac)
		return;
	platform_objects_unobserve(rbac->objects, observe, rbac);
	snapshot_release(rbac->current);
	pthread_mutex_destroy(&rbac->lock);
	free(rbac);
}

/* Calls fn for every index entry that applies to user in namespace (cluster bindings always); stops
 * when fn returns true. */
static bool each_entry(const struct snapshot *s, const struct platform_user *user, const char *namespace,
		       bool (*fn)(const json_t *entry, void *arg), void *arg)
{
	size_t n = json_array_size(user->groups);
	for (size_t k = 0; k <= n; k++) {
		_cleanup_free_ char *key =
		    k == 0 ? cc_xasprintf("user:%s", user->name)
			   : cc_xasprintf("group:%s", json_string_value(json_array_get(user->groups, k - 1)));
		size_t i;
		const json_t *entry;
		json_array_foreach (json_object_get(s->index, key), i, entry) {
			const char *ns = json_string_value(json_object_get(entry, "namespace"));
			if (ns && (!namespace || strcmp(ns, namespace) != 0))
				continue;
			if (fn(entry, arg))
				return true;
		}
	}
	return false;
}

struct decision {
	const struct platform_access *access;
	const json_t *allowed_by;
};

static bool entry_allows(const json_t *entry, void *arg)
{
	struct decision *d = arg;
	size_t i;
	const json_t *rule;
	json_array_foreach (json_object_get(entry, "rules"), i, rule) {
		if (platform_rbac_rule_allows(rule, d->access)) {
			d->allowed_by = entry;
			return true;
		}
	}
	return false;
}

bool platform_rbac_authorize(struct platform_rbac *rbac, const struct platform_user *user,
			     const struct platform_access *access, char *reason, size_t size)
{
	struct snapshot *s = acquire(rbac);
	struct decision d = { .access = access };
	/* Non-resource URLs are granted by cluster bindings only. */
	const char *ns =
	    access->resource_request && access->namespace && access->namespace[0] ? access->namespace : NULL;
	bool allowed = each_entry(s, user, ns, entry_allows, &d);
	if (allowed)
		snprintf(reason, size, "RBAC: allowed by %s\" of %s\" to %s",
			 json_string_value(json_object_get(d.allowed_by, "binding")),
			 json_string_value(json_object_get(d.allowed_by, "role")),
			 json_string_value(json_object_get(d.allowed_by, "subject")));
	else
		snprintf(reason, size, "RBAC: no binding of the user or its groups allows it");
	release(rbac, s);
	return allowed;
}

static bool collect_rules(const json_t *entry, void *arg)
{
	json_array_extend(arg, json_object_get(entry, "rules"));
	return false;
}

json_t *platform_rbac_rules_for(struct platform_rbac *rbac, const struct platform_user *user, const char *namespace)
{
	struct snapshot *s = acquire(rbac);
	json_t *rules = json_array();
	each_entry(s, user, namespace, collect_rules, rules);
	release(rbac, s);
	return rules;
}

json_t *platform_rbac_role_rules(struct platform_rbac *rbac, const json_t *role_ref, const char *namespace)
{
	struct snapshot *s = acquire(rbac);
	const char *kind = json_string_value(json_object_get(role_ref, "kind")) ?: "";
	const char *name = json_string_value(json_object_get(role_ref, "name")) ?: "";
	json_t *rules = NULL;
	if (strcmp(kind, "ClusterRole") == 0)
		rules = json_object_get(s->cluster_roles, name);
	else if (strcmp(kind, "Role") == 0 && namespace) {
		_cleanup_free_ char *key = cc_xasprintf("%s/%s", namespace, name);
		rules = json_object_get(s->roles, key);
	}
	json_t *copy = rules ? json_deep_copy(rules) : NULL;
	release(rbac, s);
	return copy;
}
