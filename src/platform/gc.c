/* The garbage collector (see gc.h). */
#include "platform/gc.h"

#include "lib/base/error.h"
#include "lib/base/log.h"
#include "platform/finalizers.h"
#include "platform/objects.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *meta(const json_t *obj, const char *field)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), field));
}

static int64_t revision_of(const json_t *obj)
{
	const char *rv = meta(obj, "resourceVersion");
	return rv ? strtoll(rv, NULL, 10) : 0;
}

static bool names_owner(const json_t *ref, const char *uid)
{
	return strcmp(json_string_value(json_object_get(ref, "uid")) ?: "", uid) == 0;
}

static bool owned_by(const json_t *obj, const char *uid)
{
	size_t i;
	const json_t *ref;
	json_array_foreach (json_object_get(json_object_get(obj, "metadata"), "ownerReferences"), i, ref)
		if (names_owner(ref, uid))
			return true;
	return false;
}

/* The dependents of the owner uid among r's objects in namespace (a new array). */
static json_t *dependents_of(struct platform_objects *objects, const struct platform_resource *r, const char *namespace,
			     const char *uid)
{
	struct platform_list_options o = { .namespace = namespace };
	json_t *items = NULL, *owned = json_array();
	int64_t rv;
	char *next = NULL;
	struct cc_error err = { 0 };
	if (platform_objects_list(objects, r, &o, &items, &rv, &next, &err) < 0) {
		cc_warning("garbage collector: list %s in %s: %s", r->resource, namespace, cc_error_message(&err));
		return owned;
	}
	free(next);
	size_t i;
	json_t *obj;
	json_array_foreach (items, i, obj)
		if (owned_by(obj, uid))
			json_array_append(owned, obj);
	json_decref(items);
	return owned;
}

static int write_back(struct platform_objects *objects, const struct platform_resource *r, const json_t *old,
		      json_t *updated)
{
	json_t *stored = NULL;
	struct cc_error err = { 0 };
	int rc = platform_objects_update(objects, r, updated, revision_of(old), &stored, &err);
	json_decref(stored);
	if (rc < 0 && rc != -ESTALE && rc != -ENOENT)
		cc_warning("garbage collector: update %s %s/%s: %s", r->resource, meta(old, "namespace"),
			   meta(old, "name"), cc_error_message(&err));
	return rc == -ENOENT ? 0 : rc;
}

void platform_gc_collect(struct platform_objects *objects, const struct platform_resource *r, const char *namespace,
			 const char *uid)
{
	json_t *owned = dependents_of(objects, r, namespace, uid);
	size_t i;
	json_t *obj;
	json_array_foreach (owned, i, obj) {
		struct cc_error err = { 0 };
		platform_objects_delete(objects, r, namespace, meta(obj, "name"), 0, NULL, &err);
	}
	json_decref(owned);
}

/* Orphan: every dependent loses its references to the owner. */
static int orphan(struct platform_objects *objects, const struct platform_resource *r, const char *namespace,
		  const char *uid)
{
	json_t *owned = dependents_of(objects, r, namespace, uid);
	int rc = 0;
	size_t i;
	json_t *obj;
	json_array_foreach (owned, i, obj) {
		json_t *updated = json_deep_copy(obj);
		json_t *meta_obj = json_object_get(updated, "metadata");
		json_t *refs = json_object_get(meta_obj, "ownerReferences");
		for (size_t k = json_array_size(refs); k-- > 0;)
			if (names_owner(json_array_get(refs, k), uid))
				json_array_remove(refs, k);
		if (json_array_size(refs) == 0)
			json_object_del(meta_obj, "ownerReferences");
		rc = write_back(objects, r, obj, updated);
		json_decref(updated);
		if (rc < 0)
			break;
	}
	json_decref(owned);
	return rc;
}

/* Foreground: the dependents not yet being deleted are deleted; how many remain. */
static int remove_dependents(struct platform_objects *objects, const struct platform_resource *r, const char *namespace,
			     const char *uid, platform_gc_remove_fn remove, void *ctx, size_t *remaining)
{
	json_t *owned = dependents_of(objects, r, namespace, uid);
	*remaining = json_array_size(owned);
	int rc = 0;
	size_t i;
	json_t *obj;
	json_array_foreach (owned, i, obj) {
		if (meta(obj, "deletionTimestamp"))
			continue; /* on its way: waited for */
		rc = remove(ctx, obj);
		if (rc < 0 && rc != -ENOENT)
			break;
		rc = 0;
	}
	json_decref(owned);
	return rc;
}

static int drop_finalizer(struct platform_objects *objects, const struct platform_resource *r, const json_t *owner,
			  const char *finalizer)
{
	json_t *updated = json_deep_copy(owner);
	platform_finalizers_remove(updated, finalizer);
	int rc = write_back(objects, r, owner, updated);
	json_decref(updated);
	return rc;
}

int platform_gc_finalize(struct platform_objects *objects, const struct platform_resource *r, const json_t *owner,
			 const struct platform_resource *dependents, platform_gc_remove_fn remove, void *ctx)
{
	const char *uid = meta(owner, "uid"), *namespace = meta(owner, "namespace");
	if (!uid)
		return 0;
	if (platform_finalizers_has(owner, PLATFORM_FINALIZER_ORPHAN)) {
		int rc = orphan(objects, dependents, namespace, uid);
		return rc < 0 ? rc : drop_finalizer(objects, r, owner, PLATFORM_FINALIZER_ORPHAN);
	}
	if (platform_finalizers_has(owner, PLATFORM_FINALIZER_FOREGROUND)) {
		size_t remaining = 0;
		int rc = remove_dependents(objects, dependents, namespace, uid, remove, ctx, &remaining);
		if (rc < 0 || remaining > 0)
			return rc; /* each dependent's deletion brings the owner back here */
		return drop_finalizer(objects, r, owner, PLATFORM_FINALIZER_FOREGROUND);
	}
	return 0;
}
