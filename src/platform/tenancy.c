/* The tenants' index (see tenancy.h). A snapshot holds two maps: namespace -> tenant, and
 * subject key ("user:NAME", "group:NAME", as RBAC keys its subjects) -> {tenant: "owner"|"member"}.
 * A service account belongs to the tenant of its namespace, found through the first map. */
#include "platform/tenancy.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/json/json.h"
#include "lib/json/kube_object.h"
#include "platform/objects.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct platform_tenancy {
	struct platform_objects *objects;
	const struct platform_resource *namespaces, *tenants;
	pthread_mutex_t lock;
	atomic_bool dirty;
	/* Replaced whole by each rebuild, never changed in place: a view may hold a reference. NULL
	 * until the store could be read once. */
	json_t *namespace_tenant; /* namespace -> tenant */
	json_t *subjects;         /* subject key -> {tenant: "owner" | "member"} */
};

static char *subject_key(const json_t *subject)
{
	const char *kind = json_string_value(json_object_get(subject, "kind")) ?: "";
	const char *name = json_string_value(json_object_get(subject, "name"));
	if (!name || !name[0])
		return NULL;
	if (strcmp(kind, "User") == 0)
		return cc_xasprintf("user:%s", name);
	if (strcmp(kind, "Group") == 0)
		return cc_xasprintf("group:%s", name);
	const char *ns = json_string_value(json_object_get(subject, "namespace"));
	if (strcmp(kind, "ServiceAccount") == 0 && ns && ns[0])
		return cc_xasprintf("user:system:serviceaccount:%s:%s", ns, name);
	return NULL;
}

static void index_subjects(json_t *subjects, const char *tenant, const json_t *list, const char *role)
{
	size_t i;
	const json_t *subject;
	json_array_foreach (list, i, subject) {
		_cleanup_free_ char *key = subject_key(subject);
		if (!key)
			continue;
		json_t *entry = json_object_get(subjects, key);
		if (!entry) {
			entry = json_object();
			json_object_set_new(subjects, key, entry);
		}
		/* an owner listed as a member too stays an owner */
		if (!json_object_get(entry, tenant) || strcmp(role, "owner") == 0)
			json_object_set_new(entry, tenant, json_string(role));
	}
}

/* Under the lock. A store that cannot be read keeps the index read last (and is tried again at the
 * next question); without one the boundary refuses (platform_tenancy_allows). */
static void rebuild(struct platform_tenancy *t)
{
	struct cc_error err = { 0 };
	_cleanup_json_ json_t *namespaces = platform_objects_list_all(t->objects, t->namespaces, NULL, &err);
	_cleanup_json_ json_t *tenants =
	    namespaces ? platform_objects_list_all(t->objects, t->tenants, NULL, &err) : NULL;
	if (!namespaces || !tenants) {
		cc_warning("tenancy: the index keeps its last state: %s", cc_error_message(&err));
		atomic_store(&t->dirty, true);
		return;
	}
	json_t *namespace_tenant = json_object(), *subjects = json_object();
	size_t i;
	const json_t *obj;
	json_array_foreach (namespaces, i, obj) {
		const char *tenant = platform_tenant_label(obj);
		if (tenant && kube_meta(obj, "name"))
			json_object_set_new(namespace_tenant, kube_meta(obj, "name"), json_string(tenant));
	}
	json_array_foreach (tenants, i, obj) {
		const char *name = kube_meta(obj, "name");
		const json_t *spec = json_object_get(obj, "spec");
		if (!name)
			continue;
		index_subjects(subjects, name, json_object_get(spec, "owners"), "owner");
		index_subjects(subjects, name, json_object_get(spec, "members"), "member");
	}
	json_decref(t->namespace_tenant);
	json_decref(t->subjects);
	t->namespace_tenant = namespace_tenant;
	t->subjects = subjects;
}

static void lock_current(struct platform_tenancy *t)
{
	pthread_mutex_lock(&t->lock);
	if (atomic_exchange(&t->dirty, false))
		rebuild(t);
}

/* Runs under the store's lock: only note it. */
static void observe(void *ctx, const struct platform_resource *r, const char *type, const json_t *obj)
{
	struct platform_tenancy *t = ctx;
	if (r == t->namespaces || r == t->tenants)
		atomic_store(&t->dirty, true);
}

int platform_tenancy_new(struct platform_objects *objects, struct platform_tenancy **ret, struct cc_error *err)
{
	struct platform_tenancy *t = cc_xcalloc(1, sizeof(*t));
	t->objects = objects;
	t->namespaces = platform_resource_find("", "v1", "namespaces");
	t->tenants = platform_resource_find(PLATFORM_TENANCY_GROUP, PLATFORM_TENANCY_VERSION, "tenants");
	pthread_mutex_init(&t->lock, NULL);
	atomic_init(&t->dirty, true);
	int rc = platform_objects_observe(objects, observe, t);
	if (rc < 0) {
		pthread_mutex_destroy(&t->lock);
		free(t);
		return cc_error_set(err, -rc, "observe the namespaces and tenants");
	}
	*ret = t;
	return 0;
}

void platform_tenancy_free(struct platform_tenancy *t)
{
	if (!t)
		return;
	platform_objects_unobserve(t->objects, observe, t);
	json_decref(t->namespace_tenant);
	json_decref(t->subjects);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static void add_tenants(json_t *found, const json_t *entry, bool owners_only)
{
	const char *tenant;
	const json_t *role;
	json_object_foreach ((json_t *)entry, tenant, role) {
		if (!owners_only || strcmp(json_string_value(role) ?: "", "owner") == 0)
			json_object_set_new(found, tenant, json_true());
	}
}

/* Under the lock: {tenant: true} for every tenant the user belongs to. */
static json_t *tenants_of(struct platform_tenancy *t, const struct platform_user *user, bool owners_only)
{
	json_t *found = json_object();
	if (platform_user_in_group(user, PLATFORM_TENANCY_ADMIN_GROUP) || !t->subjects)
		return found;
	_cleanup_free_ char *key = cc_xasprintf("user:%s", user->name);
	add_tenants(found, json_object_get(t->subjects, key), owners_only);
	size_t i;
	const json_t *g;
	json_array_foreach (user->groups, i, g) {
		_cleanup_free_ char *gkey = cc_xasprintf("group:%s", json_string_value(g) ?: "");
		add_tenants(found, json_object_get(t->subjects, gkey), owners_only);
	}
	/* a service account belongs to its namespace's tenant: its pods act within it */
	char ns[254];
	if (!owners_only && sscanf(user->name, "system:serviceaccount:%253[^:]:", ns) == 1) {
		const char *tenant = json_string_value(json_object_get(t->namespace_tenant, ns));
		if (tenant)
			json_object_set_new(found, tenant, json_true());
	}
	return found;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

static json_t *sorted_keys(const json_t *set)
{
	size_t n = json_object_size(set), i = 0;
	json_t **names = cc_xcalloc(n ? n : 1, sizeof(*names));
	const char *key;
	const json_t *v;
	json_object_foreach ((json_t *)set, key, v)
		names[i++] = json_string(key);
	qsort(names, n, sizeof(*names), compare_strings);
	json_t *out = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(out, names[i]);
	free(names);
	return out;
}

json_t *platform_tenancy_user_tenants(struct platform_tenancy *t, const struct platform_user *user, bool owners_only)
{
	lock_current(t);
	_cleanup_json_ json_t *found = tenants_of(t, user, owners_only);
	pthread_mutex_unlock(&t->lock);
	return sorted_keys(found);
}

bool platform_tenancy_namespace_tenant(struct platform_tenancy *t, const char *namespace, char *buf, size_t size)
{
	lock_current(t);
	const char *tenant = namespace && t->namespace_tenant
				 ? json_string_value(json_object_get(t->namespace_tenant, namespace))
				 : NULL;
	if (tenant)
		snprintf(buf, size, "%s", tenant);
	pthread_mutex_unlock(&t->lock);
	return tenant != NULL;
}

/* The tenant a request reaches: its namespace's (a namespace itself counts as in its namespace, as
 * kube-apiserver's request attributes have it), or the Tenant it names. NULL: none. */
static const char *reached_tenant(struct platform_tenancy *t, const struct platform_access *a)
{
	if (!a->resource_request)
		return NULL;
	bool tenants = strcmp(a->group ?: "", PLATFORM_TENANCY_GROUP) == 0 && strcmp(a->resource ?: "", "tenants") == 0;
	if (tenants)
		return a->name && a->name[0] ? a->name : NULL;
	const char *ns = a->namespace && a->namespace[0] ? a->namespace : NULL;
	if (!ns && strcmp(a->group ?: "", "") == 0 && strcmp(a->resource ?: "", "namespaces") == 0)
		ns = a->name && a->name[0] ? a->name : NULL;
	return ns ? json_string_value(json_object_get(t->namespace_tenant, ns)) : NULL;
}

/* Whether the access touches what a tenant may own: a namespace, what is in one, or a Tenant. */
static bool tenant_shaped(const struct platform_access *a)
{
	return a->resource_request &&
	       ((a->namespace && a->namespace[0]) || strcmp(a->resource ?: "", "namespaces") == 0 ||
		strcmp(a->resource ?: "", "tenants") == 0);
}

bool platform_tenancy_allows(struct platform_tenancy *t, const struct platform_user *user,
			     const struct platform_access *access, char *reason, size_t size)
{
	lock_current(t);
	bool allowed;
	if (!t->namespace_tenant) {
		/* never read: who belongs where is unknown, so nobody but the administrators passes */
		allowed = platform_user_in_group(user, PLATFORM_TENANCY_ADMIN_GROUP) || !tenant_shaped(access);
		if (!allowed)
			snprintf(reason, size, "tenant boundary: the tenants cannot be read from the store yet");
		pthread_mutex_unlock(&t->lock);
		return allowed;
	}
	_cleanup_json_ json_t *mine = tenants_of(t, user, false);
	const char *reached = json_object_size(mine) ? reached_tenant(t, access) : NULL;
	allowed = !reached || json_object_get(mine, reached);
	if (!allowed) {
		_cleanup_json_ json_t *names = sorted_keys(mine);
		_cleanup_free_ char *list = json_dumps(names, JSON_COMPACT);
		/* not which tenant: that would tell who owns a namespace the user may not see */
		snprintf(reason, size,
			 "tenant boundary: user \"%s\" belongs to tenant(s) %s, and the request reaches another tenant",
			 user->name, list ? list : "[]");
	}
	pthread_mutex_unlock(&t->lock);
	return allowed;
}

bool platform_tenancy_may_impersonate(struct platform_tenancy *t, const struct platform_user *user,
				      const struct platform_user *target, char *reason, size_t size)
{
	lock_current(t);
	_cleanup_json_ json_t *mine = tenants_of(t, user, false);
	_cleanup_json_ json_t *theirs = tenants_of(t, target, false);
	bool allowed = json_object_size(mine) == 0;
	if (!allowed && json_object_size(theirs) > 0) {
		allowed = true;
		const char *tenant;
		const json_t *v;
		json_object_foreach (theirs, tenant, v)
			allowed = allowed && json_object_get(mine, tenant);
	}
	if (!allowed)
		snprintf(reason, size, "tenant boundary: user \"%s\" may impersonate only users of its own tenants",
			 user->name);
	pthread_mutex_unlock(&t->lock);
	return allowed;
}

char *platform_tenancy_list_scope(struct platform_tenancy *t, const struct platform_user *user,
				  const struct platform_access *access)
{
	if (!access->resource_request || (access->name && access->name[0]) ||
	    (strcmp(access->verb, "list") != 0 && strcmp(access->verb, "watch") != 0))
		return NULL;
	bool namespaces = strcmp(access->group ?: "", "") == 0 && strcmp(access->resource ?: "", "namespaces") == 0;
	bool tenants =
	    strcmp(access->group ?: "", PLATFORM_TENANCY_GROUP) == 0 && strcmp(access->resource ?: "", "tenants") == 0;
	if (!namespaces && !tenants)
		return NULL;
	_cleanup_json_ json_t *mine = platform_tenancy_user_tenants(t, user, false);
	if (json_array_size(mine) == 0)
		return NULL;
	size_t i, len = 0;
	const json_t *name;
	json_array_foreach (mine, i, name)
		len += strlen(json_string_value(name)) + 1;
	char *scope = cc_xcalloc(1, strlen(PLATFORM_TENANT_LABEL) + len + 8);
	char *p = scope + sprintf(scope, "%s in (", PLATFORM_TENANT_LABEL);
	json_array_foreach (mine, i, name)
		p += sprintf(p, "%s%s", i ? "," : "", json_string_value(name));
	strcpy(p, ")");
	return scope;
}

int platform_tenancy_kbs_tenant(struct platform_objects *objects, const char *namespace, const char *fallback,
				char **ret, struct cc_error *err)
{
	_cleanup_json_ json_t *ns = NULL;
	int rc =
	    platform_objects_get(objects, platform_resource_find("", "v1", "namespaces"), NULL, namespace, &ns, err);
	if (rc < 0)
		return rc;
	const char *tenant = platform_tenant_label(ns);
	if (!tenant) {
		*ret = cc_xstrdup(fallback);
		return 0;
	}
	_cleanup_json_ json_t *obj = NULL;
	rc = platform_objects_get(objects,
				  platform_resource_find(PLATFORM_TENANCY_GROUP, PLATFORM_TENANCY_VERSION, "tenants"),
				  NULL, tenant, &obj, err);
	if (rc == -ENOENT)
		return cc_error_set(err, ENOENT, "namespace %s belongs to tenant %s, which does not exist", namespace,
				    tenant);
	if (rc < 0)
		return rc;
	*ret = cc_xstrdup(platform_tenant_kbs_name(obj));
	return 0;
}

struct platform_tenant_view {
	json_t *mine;             /* {tenant: true} */
	json_t *namespace_tenant; /* the index's map at the time (a reference: maps are never changed) */
};

struct platform_tenant_view *platform_tenancy_view(struct platform_tenancy *t, const struct platform_user *user)
{
	lock_current(t);
	json_t *mine = tenants_of(t, user, false);
	struct platform_tenant_view *v = NULL;
	if (json_object_size(mine) > 0) {
		v = cc_xcalloc(1, sizeof(*v));
		v->mine = mine;
		v->namespace_tenant = json_incref(t->namespace_tenant);
	} else {
		json_decref(mine);
	}
	pthread_mutex_unlock(&t->lock);
	return v;
}

bool platform_tenant_view_visible(void *view, const json_t *obj)
{
	struct platform_tenant_view *v = view;
	const char *tenant = json_string_value(json_object_get(v->namespace_tenant, kube_meta(obj, "namespace") ?: ""));
	return !tenant || json_object_get(v->mine, tenant);
}

void platform_tenant_view_free(struct platform_tenant_view *v)
{
	if (!v)
		return;
	json_decref(v->mine);
	json_decref(v->namespace_tenant);
	free(v);
}

const char *platform_tenant_label(const json_t *obj)
{
	return json_string_value(
	    json_object_get(json_object_get(json_object_get(obj, "metadata"), "labels"), PLATFORM_TENANT_LABEL));
}

const char *platform_tenant_kbs_name(const json_t *tenant)
{
	const char *kbs = json_string_value(json_object_get(json_object_get(tenant, "spec"), "kbsTenant"));
	return kbs && kbs[0] ? kbs : kube_meta(tenant, "name");
}
