/* metadata.managedFields entries and the bookkeeping of an Update (see managed_fields.h). What is
 * kube-apiserver's here: the manager identity (fieldmanager's BuildManagerIdentifier: Apply entries
 * without apiVersion), the fields stripped from every set (stripMeta), the reset of status by the
 * main resource and of the rest by the status subresource (the registry strategies' ResetFields),
 * the order entries are stored in, and the `[{}]` reset. */
#include "platform/managed_fields.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/base/utf8.h"
#include "lib/json/json.h"
#include "platform/field_set.h"
#include "platform/object_fields.h"
#include "platform/status.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* kube-apiserver's MaxSubresourceNameLength. */
#define SUBRESOURCE_MAX 256

static void entry_clear(struct platform_managed_entry *e)
{
	free(e->manager);
	free(e->api_version);
	free(e->subresource);
	free(e->time);
	platform_field_set_free(e->fields);
	*e = (struct platform_managed_entry){ 0 };
}

void platform_managed_fields_clear(struct platform_managed_fields *m)
{
	for (size_t i = 0; i < m->n; i++)
		entry_clear(&m->entries[i]);
	free(m->entries);
	*m = (struct platform_managed_fields){ 0 };
}

static bool same_string(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

static bool entry_is(const struct platform_managed_entry *e, const struct platform_field_manager *who)
{
	return same_string(e->manager, who->manager) && e->apply == who->apply &&
	       same_string(e->subresource, who->subresource) &&
	       (who->apply || same_string(e->api_version, who->api_version));
}

struct platform_managed_entry *platform_managed_fields_find(struct platform_managed_fields *m,
							    const struct platform_field_manager *who, bool create)
{
	for (size_t i = 0; i < m->n; i++)
		if (entry_is(&m->entries[i], who))
			return &m->entries[i];
	if (!create)
		return NULL;
	m->entries = cc_xrealloc(m->entries, (m->n + 1) * sizeof(*m->entries));
	struct platform_managed_entry *e = &m->entries[m->n++];
	*e = (struct platform_managed_entry){
		.manager = cc_xstrdup(who->manager ? who->manager : ""),
		.apply = who->apply,
		.api_version = who->api_version ? cc_xstrdup(who->api_version) : NULL,
		.subresource = who->subresource && who->subresource[0] ? cc_xstrdup(who->subresource) : NULL,
		.fields = platform_field_set_new(),
	};
	return e;
}

void platform_managed_fields_drop_empty(struct platform_managed_fields *m)
{
	size_t kept = 0;
	for (size_t i = 0; i < m->n; i++) {
		if (platform_field_set_empty(m->entries[i].fields))
			entry_clear(&m->entries[i]);
		else
			m->entries[kept++] = m->entries[i];
	}
	m->n = kept;
}

/* ---- field managers ---- */

int platform_field_manager_validate(const char *name, struct cc_error *err)
{
	size_t len = strlen(name), bad;
	if (len > PLATFORM_FIELD_MANAGER_MAX)
		return cc_error_set(err, EINVAL, "Too long: may not be longer than %d", PLATFORM_FIELD_MANAGER_MAX);
	if (!cc_utf8_valid(name, len, &bad))
		return cc_error_set(err, EINVAL, "Invalid value: not valid UTF-8 (at position %zu)", bad);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c == 0x7f)
			return cc_error_set(err, EINVAL, "Invalid value: invalid character U+%04X (at position %zu)", c,
					    i);
	}
	return 0;
}

char *platform_field_manager_from_user_agent(const char *user_agent)
{
	char out[PLATFORM_FIELD_MANAGER_MAX + 1];
	size_t n = 0;
	for (const char *p = user_agent ? user_agent : ""; *p && *p != '/' && n < PLATFORM_FIELD_MANAGER_MAX; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x20 && c != 0x7f)
			out[n++] = (char)c; /* unprintable characters are left out, as kube-apiserver does */
	}
	out[n] = '\0';
	/* A multi-byte character cut at the limit would leave invalid UTF-8: drop its bytes. */
	size_t bad;
	while (n && !cc_utf8_valid(out, n, &bad))
		out[n = bad] = '\0';
	return cc_xstrdup(out);
}

void platform_managed_entry_describe(const struct platform_managed_entry *e, struct cc_buf *out)
{
	cc_buf_appendf(out, "\"%s\"", e->manager);
	if (e->subresource)
		cc_buf_appendf(out, " with subresource \"%s\"", e->subresource);
	if (!e->apply)
		cc_buf_appendf(out, " using %s", e->api_version ? e->api_version : "");
}

/* ---- reading and writing the list ---- */

bool platform_managed_fields_is_reset(const json_t *list)
{
	if (!json_is_array(list) || json_array_size(list) == 0)
		return false;
	size_t i;
	json_t *entry;
	json_array_foreach (list, i, entry) {
		if (!json_is_object(entry) || json_object_size(entry) != 0)
			return false;
	}
	return true;
}

static const char *member_string(const json_t *entry, const char *name, bool *wrong_type)
{
	const json_t *v = json_object_get(entry, name);
	if (v && !json_is_string(v) && !json_is_null(v))
		*wrong_type = true;
	return json_string_value(v);
}

__attribute__((format(printf, 4, 5))) static void cause(json_t *causes, size_t i, const char *member, const char *fmt,
							...)
{
	char field[96], message[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	snprintf(field, sizeof(field), "metadata.managedFields[%zu]%s%s", i, member ? "." : "", member ? member : "");
	if (causes)
		platform_cause(causes, "FieldValueInvalid", field, "%s", message);
}

/* One entry; false after adding its problems to causes (and the first to err). */
static bool decode_entry(const json_t *entry, size_t i, struct platform_managed_entry *ret, json_t *causes,
			 struct cc_error *err)
{
	bool wrong_type = false;
	const char *manager = member_string(entry, "manager", &wrong_type);
	const char *operation = member_string(entry, "operation", &wrong_type);
	const char *api_version = member_string(entry, "apiVersion", &wrong_type);
	const char *time = member_string(entry, "time", &wrong_type);
	const char *fields_type = member_string(entry, "fieldsType", &wrong_type);
	const char *subresource = member_string(entry, "subresource", &wrong_type);
	const json_t *fields_v1 = json_object_get(entry, "fieldsV1");
	size_t before = json_array_size(causes);
	bool ok = true;
	char where[64];
	snprintf(where, sizeof(where), "metadata.managedFields[%zu]", i);
	struct cc_error why = { 0 };
	if (!json_is_object(entry) || wrong_type) {
		cause(causes, i, NULL, "%s", "an entry is an object of strings (and fieldsV1)");
		cc_error_set(err, EINVAL, "%s: an entry is an object of strings (and fieldsV1)", where);
		return false;
	}
	if (!operation || (strcmp(operation, "Apply") != 0 && strcmp(operation, "Update") != 0)) {
		cause(causes, i, "operation", "Invalid value: \"%s\": must be `Apply` or `Update`",
		      operation ? operation : "");
		ok = false;
	}
	if (fields_type && fields_type[0] && strcmp(fields_type, "FieldsV1") != 0) {
		cause(causes, i, "fieldsType", "Invalid value: \"%s\": must be `FieldsV1`", fields_type);
		ok = false;
	}
	if (platform_field_manager_validate(manager ? manager : "", &why) < 0) {
		cause(causes, i, "manager", "%s", cc_error_message(&why));
		ok = false;
	}
	if (subresource && strlen(subresource) > SUBRESOURCE_MAX) {
		cause(causes, i, "subresource", "Too long: may not be longer than %d", SUBRESOURCE_MAX);
		ok = false;
	}
	int64_t when;
	if (time && cc_time_parse_rfc3339(time, &when) < 0) {
		cause(causes, i, "time", "Invalid value: \"%s\": not an RFC 3339 time", time);
		ok = false;
	}
	struct platform_field_set *fields = NULL;
	if (fields_v1 && !json_is_null(fields_v1) && platform_field_set_from_fields_v1(fields_v1, &fields, &why) < 0) {
		cause(causes, i, "fieldsV1", "Invalid value: %s", cc_error_message(&why));
		ok = false;
	}
	if (!ok) {
		platform_field_set_free(fields);
		const json_t *first = json_array_get(causes, before);
		cc_error_set(err, EINVAL, "%s: %s", first ? json_string_value(json_object_get(first, "field")) : where,
			     first ? json_string_value(json_object_get(first, "message")) : "invalid entry");
		return false;
	}
	*ret = (struct platform_managed_entry){
		.manager = cc_xstrdup(manager ? manager : ""),
		.apply = strcmp(operation, "Apply") == 0,
		.api_version = api_version ? cc_xstrdup(api_version) : NULL,
		.subresource = subresource && subresource[0] ? cc_xstrdup(subresource) : NULL,
		.time = time ? cc_xstrdup(time) : NULL,
		.fields = fields ? fields : platform_field_set_new(),
	};
	return true;
}

int platform_managed_fields_decode(const json_t *list, struct platform_managed_fields *ret, json_t *causes,
				   struct cc_error *err)
{
	*ret = (struct platform_managed_fields){ 0 };
	if (!list || json_is_null(list))
		return 0;
	if (!json_is_array(list)) {
		if (causes)
			platform_cause(causes, "FieldValueInvalid", "metadata.managedFields", "must be a list");
		return cc_error_set(err, EINVAL, "metadata.managedFields: must be a list");
	}
	_cleanup_managed_fields_ struct platform_managed_fields m = { 0 };
	bool ok = true;
	size_t i;
	json_t *entry;
	json_array_foreach (list, i, entry) {
		struct platform_managed_entry e;
		if (!decode_entry(entry, i, &e, causes, ok ? err : NULL)) {
			ok = false;
			continue;
		}
		struct platform_field_manager who = { e.manager, e.apply, e.api_version, e.subresource };
		struct platform_managed_entry *same = platform_managed_fields_find(&m, &who, false);
		if (same) { /* two entries of one identity: one owner of both sets */
			platform_field_set_union(same->fields, e.fields);
			entry_clear(&e);
			continue;
		}
		m.entries = cc_xrealloc(m.entries, (m.n + 1) * sizeof(*m.entries));
		m.entries[m.n++] = e;
	}
	if (!ok)
		return -EINVAL;
	*ret = m;
	m = (struct platform_managed_fields){ 0 };
	return 0;
}

/* kube-apiserver's sortEncodedManagedFields. */
static int entry_order(const void *pa, const void *pb)
{
	const struct platform_managed_entry *a = *(const struct platform_managed_entry *const *)pa;
	const struct platform_managed_entry *b = *(const struct platform_managed_entry *const *)pb;
	int c;
	if (a->apply != b->apply)
		return a->apply ? -1 : 1;
	if ((c = strcmp(a->time ? a->time : "", b->time ? b->time : "")) != 0 ||
	    (c = strcmp(a->manager, b->manager)) != 0 ||
	    (c = strcmp(a->api_version ? a->api_version : "", b->api_version ? b->api_version : "")) != 0)
		return c;
	return strcmp(a->subresource ? a->subresource : "", b->subresource ? b->subresource : "");
}

json_t *platform_managed_fields_encode(const struct platform_managed_fields *m)
{
	_cleanup_free_ const struct platform_managed_entry **order = cc_xcalloc(m->n ? m->n : 1, sizeof(*order));
	for (size_t i = 0; i < m->n; i++)
		order[i] = &m->entries[i];
	qsort(order, m->n, sizeof(*order), entry_order);
	json_t *list = json_array();
	for (size_t i = 0; i < m->n; i++) {
		const struct platform_managed_entry *e = order[i];
		if (platform_field_set_empty(e->fields))
			continue;
		json_t *entry =
		    json_pack("{s:s, s:s}", "manager", e->manager, "operation", e->apply ? "Apply" : "Update");
		if (e->api_version)
			json_object_set_new(entry, "apiVersion", json_string(e->api_version));
		if (e->time)
			json_object_set_new(entry, "time", json_string(e->time));
		json_object_set_new(entry, "fieldsType", json_string("FieldsV1"));
		json_object_set_new(entry, "fieldsV1", platform_field_set_to_fields_v1(e->fields));
		if (e->subresource)
			json_object_set_new(entry, "subresource", json_string(e->subresource));
		json_array_append_new(list, entry);
	}
	return list;
}

/* ---- what no set holds ---- */

void platform_managed_fields_strip(struct platform_field_set *set, const char *subresource)
{
	static const char *const meta[] = { "f:name",
					    "f:namespace",
					    "f:creationTimestamp",
					    "f:selfLink",
					    "f:uid",
					    "f:clusterName",
					    "f:generation",
					    "f:resourceVersion",
					    "f:deletionTimestamp",
					    "f:deletionGracePeriodSeconds" };
	platform_field_set_set_member(set, false);
	struct platform_field_set *node;
	if ((node = platform_field_set_child(set, "f:apiVersion", false)))
		platform_field_set_set_member(node, false);
	if ((node = platform_field_set_child(set, "f:kind", false)))
		platform_field_set_set_member(node, false);
	struct platform_field_set *metadata = platform_field_set_child(set, "f:metadata", false);
	if (metadata) {
		platform_field_set_set_member(metadata, false);
		for (size_t i = 0; i < CC_ARRAY_SIZE(meta); i++)
			if ((node = platform_field_set_child(metadata, meta[i], false)))
				platform_field_set_set_member(node, false);
		platform_field_set_remove(metadata, "f:managedFields");
	}
	if (!subresource || !subresource[0]) {
		platform_field_set_remove(set, "f:status");
	} else if (strcmp(subresource, "status") == 0) {
		for (size_t i = platform_field_set_child_count(set); i-- > 0;) {
			const struct platform_field_set *child;
			const char *element = platform_field_set_child_at(set, i, &child);
			if (strcmp(element, "f:status") != 0) {
				_cleanup_free_ char *gone = cc_xstrdup(element);
				platform_field_set_remove(set, gone);
			}
		}
	}
	platform_field_set_compact(set);
}

/* ---- Update ---- */

/* A copy without metadata.managedFields: the record is not a field of the object it records. */
static json_t *without_record(const json_t *obj)
{
	json_t *copy = json_deep_copy(obj);
	json_object_del(json_object_get(copy, "metadata"), "managedFields");
	return copy;
}

/* What a create compares with: kube-apiserver compares a new object with its type's zero value, in
 * which metadata, spec and status are present and empty (so they are never "added" themselves). */
static json_t *zero_value(const json_t *new)
{
	json_t *zero = json_object();
	static const char *const parts[] = { "metadata", "spec", "status" };
	for (size_t i = 0; i < CC_ARRAY_SIZE(parts); i++)
		if (json_is_object(json_object_get(new, parts[i])))
			json_object_set_new(zero, parts[i], json_object());
	return zero;
}

void platform_managed_fields_update(struct platform_managed_fields *m, const json_t *old, const json_t *new,
				    const char *kind, const struct platform_field_manager *who, const char *time)
{
	_cleanup_json_ json_t *before = old ? without_record(old) : zero_value(new);
	_cleanup_json_ json_t *after = without_record(new);
	struct platform_field_changes c;
	platform_object_compare(before, after, kind, &c);
	_cleanup_(platform_field_set_freep) struct platform_field_set *changed = platform_field_set_copy(c.added);
	platform_field_set_union(changed, c.modified);
	/* An Update is never in conflict: it takes what it changed from whoever had it (structured-merge-
	 * diff's update with force), and what it removed is nobody's any more. */
	for (size_t i = 0; i < m->n; i++) {
		platform_field_set_subtract(m->entries[i].fields, changed);
		platform_field_set_subtract(m->entries[i].fields, c.removed);
	}
	platform_managed_fields_strip(changed, who->subresource);
	if (!platform_field_set_empty(changed)) {
		struct platform_managed_entry *e = platform_managed_fields_find(m, who, true);
		platform_field_set_union(e->fields, changed);
		free(e->time);
		e->time = cc_xstrdup(time);
	}
	platform_managed_fields_drop_empty(m);
	platform_field_changes_clear(&c);
}
