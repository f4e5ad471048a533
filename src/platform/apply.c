/* Server-side apply and its conflicts (see apply.h). The steps are structured-merge-diff's
 * Updater.Apply: merge, record the applier's new set, prune what it gave up, compare the result with
 * the live object, and judge the other managers' fields the comparison touched. */
#include "platform/apply.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "platform/field_set.h"
#include "platform/managed_fields.h"
#include "platform/object_fields.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void platform_apply_conflicts_clear(struct platform_apply_conflicts *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->items[i].manager);
		free(c->items[i].path);
	}
	free(c->items);
	*c = (struct platform_apply_conflicts){ 0 };
}

/* A configuration's null members mean "no opinion" once decoded into Kubernetes' types: gone. */
static void drop_nulls(json_t *v)
{
	if (json_is_array(v)) {
		size_t i;
		json_t *item;
		json_array_foreach (v, i, item)
			drop_nulls(item);
		return;
	}
	if (!json_is_object(v))
		return;
	const char *key;
	json_t *member;
	void *tmp;
	json_object_foreach_safe(v, tmp, key, member)
	{
		if (json_is_null(member))
			json_object_del(v, key);
		else
			drop_nulls(member);
	}
}

/* The part of config a write through subresource may set: not the status through the object itself,
 * only the status through the status subresource (the registry strategies' reset fields). */
static json_t *applicable_part(const json_t *config, const char *subresource)
{
	json_t *part = json_deep_copy(config);
	drop_nulls(part);
	if (!subresource) {
		json_object_del(part, "status");
	} else if (strcmp(subresource, "status") == 0) {
		const json_t *meta = json_object_get(part, "metadata");
		json_t *kept = json_pack("{s:O?, s:O?, s:{s:O?, s:O?}, s:O?}", "apiVersion",
					 json_object_get(part, "apiVersion"), "kind", json_object_get(part, "kind"),
					 "metadata", "name", json_object_get(meta, "name"), "namespace",
					 json_object_get(meta, "namespace"), "status", json_object_get(part, "status"));
		json_decref(part);
		part = kept;
		drop_nulls(part);
	}
	return part;
}

struct collect {
	struct platform_apply_conflicts *out;
	const char *manager;
};

static int collect_path(const char *path, void *userdata)
{
	struct collect *c = userdata;
	struct platform_apply_conflicts *out = c->out;
	out->items = cc_xrealloc(out->items, (out->n + 1) * sizeof(*out->items));
	out->items[out->n++] = (struct platform_apply_conflict){ cc_xstrdup(c->manager), cc_xstrdup(path) };
	return 0;
}

struct suspect {
	char *name;
	struct platform_field_set *fields;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct suspect *)a)->name, ((const struct suspect *)b)->name);
}

/* The other managers' fields that changed, grouped by manager in name order as kube-apiserver prints
 * them; true when there is any. Each entry has its own identity, so no two names are equal. */
static bool find_conflicts(const struct platform_managed_fields *m, const struct platform_managed_entry *applier,
			   const struct platform_field_set *changed, struct platform_apply_conflicts *out)
{
	_cleanup_free_ struct suspect *suspects = cc_xcalloc(m->n ? m->n : 1, sizeof(*suspects));
	size_t n = 0;
	for (size_t i = 0; i < m->n; i++) {
		const struct platform_managed_entry *e = &m->entries[i];
		if (e == applier)
			continue;
		struct platform_field_set *both = platform_field_set_intersect(e->fields, changed);
		if (platform_field_set_empty(both)) {
			platform_field_set_free(both);
			continue;
		}
		struct cc_buf name = { 0 };
		platform_managed_entry_describe(e, &name);
		cc_buf_append(&name, "", 1);
		suspects[n++] = (struct suspect){ cc_buf_steal(&name, NULL), both };
	}
	qsort(suspects, n, sizeof(*suspects), by_name);
	for (size_t i = 0; i < n; i++) {
		struct collect c = { out, suspects[i].name };
		platform_field_set_foreach(suspects[i].fields, collect_path, &c);
		free(suspects[i].name);
		platform_field_set_free(suspects[i].fields);
	}
	return out->n > 0;
}

static void keep_union(const struct platform_managed_fields *m, struct platform_field_set *keep)
{
	for (size_t i = 0; i < m->n; i++)
		platform_field_set_union(keep, m->entries[i].fields);
}

int platform_apply(const json_t *live, const json_t *config, const char *kind, const struct platform_field_manager *who,
		   bool force, const char *time, json_t **ret_object, json_t **ret_managed,
		   struct platform_apply_conflicts *ret_conflicts, struct cc_error *err)
{
	*ret_conflicts = (struct platform_apply_conflicts){ 0 };
	if (!json_is_object(config))
		return cc_error_set(err, EBADMSG, "the applied configuration is not an object");
	const json_t *given = json_object_get(json_object_get(config, "metadata"), "managedFields");
	if (given && !json_is_null(given))
		return cc_error_set(err, EBADMSG,
				    "metadata.managedFields must be nil: an applied configuration "
				    "cannot set the record of who owns what");
	const char *subresource = who->subresource && who->subresource[0] ? who->subresource : NULL;
	_cleanup_json_ json_t *part = applicable_part(config, subresource);
	_cleanup_(platform_field_set_freep) struct platform_field_set *set = NULL;
	int r = platform_object_fields(part, kind, &set, err);
	if (r < 0)
		return r;
	platform_managed_fields_strip(set, subresource);

	/* The stored record: a corrupt one is no reason to refuse the applier; it starts afresh. */
	_cleanup_managed_fields_ struct platform_managed_fields m = { 0 };
	const json_t *record = json_object_get(json_object_get(live, "metadata"), "managedFields");
	if (platform_managed_fields_decode(record, &m, NULL, NULL) < 0)
		m = (struct platform_managed_fields){ 0 };
	_cleanup_json_ json_t *before = live ? json_deep_copy(live) : json_object();
	json_object_del(json_object_get(before, "metadata"), "managedFields");

	struct platform_managed_entry *applier = platform_managed_fields_find(&m, who, false);
	bool new_entry = applier == NULL;
	if (!applier)
		applier = platform_managed_fields_find(&m, who, true);
	_cleanup_(platform_field_set_freep) struct platform_field_set *last = applier->fields;
	applier->fields = CC_TAKE_PTR(set);

	_cleanup_json_ json_t *merged = platform_object_merge(before, part, kind);
	if (last && !platform_field_set_empty(last)) {
		_cleanup_(platform_field_set_freep) struct platform_field_set *keep = platform_field_set_new();
		keep_union(&m, keep);
		platform_object_prune(merged, kind, last, keep);
	}

	struct platform_field_changes c;
	platform_object_compare(before, merged, kind, &c);
	_cleanup_(platform_field_set_freep) struct platform_field_set *changed = platform_field_set_copy(c.added);
	platform_field_set_union(changed, c.modified);
	if (find_conflicts(&m, applier, changed, ret_conflicts) && !force) {
		platform_field_changes_clear(&c);
		return -EBUSY;
	}
	platform_apply_conflicts_clear(ret_conflicts);
	/* Forced, the applier takes what it changed; what it removed is nobody's. */
	for (size_t i = 0; i < m.n; i++) {
		if (&m.entries[i] == applier)
			continue;
		platform_field_set_subtract(m.entries[i].fields, changed);
		platform_field_set_subtract(m.entries[i].fields, c.removed);
	}
	platform_field_changes_clear(&c);
	if (new_entry || !live || !json_equal(before, merged)) {
		free(applier->time);
		applier->time = cc_xstrdup(time);
	}
	platform_managed_fields_drop_empty(&m);
	*ret_managed = platform_managed_fields_encode(&m);
	*ret_object = CC_TAKE_PTR(merged);
	return 0;
}

json_t *platform_apply_conflict_status(const struct platform_apply_conflicts *c)
{
	_cleanup_buf_ struct cc_buf message = { 0 };
	json_t *causes = json_array();
	if (c->n == 1) {
		cc_buf_appendf(&message, "Apply failed with 1 conflict: conflict with %s: %s", c->items[0].manager,
			       c->items[0].path);
	} else {
		cc_buf_appendf(&message, "Apply failed with %zu conflicts: ", c->n);
		for (size_t i = 0; i < c->n; i++) {
			if (i == 0 || strcmp(c->items[i - 1].manager, c->items[i].manager) != 0)
				cc_buf_appendf(&message, "%sconflicts with %s:", i ? "\n" : "", c->items[i].manager);
			cc_buf_appendf(&message, "\n- %s", c->items[i].path);
		}
	}
	for (size_t i = 0; i < c->n; i++) {
		_cleanup_free_ char *text = cc_xasprintf("conflict with %s", c->items[i].manager);
		json_array_append_new(causes, json_pack("{s:s, s:s, s:s}", "reason", "FieldManagerConflict", "message",
							text, "field", c->items[i].path));
	}
	cc_buf_append(&message, "", 1);
	return json_pack("{s:s, s:s, s:{}, s:s, s:s, s:s, s:{s:o}, s:i}", "kind", "Status", "apiVersion", "v1",
			 "metadata", "status", "Failure", "message", message.data, "reason", "Conflict", "details",
			 "causes", causes, "code", 409);
}
