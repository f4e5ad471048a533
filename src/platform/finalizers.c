/* metadata.finalizers (see finalizers.h). */
#include "platform/finalizers.h"

#include "lib/base/timeutil.h"

#include <string.h>

static json_t *finalizers_of(const json_t *obj)
{
	return json_object_get(json_object_get(obj, "metadata"), "finalizers");
}

static bool listed(const json_t *list, const char *name)
{
	size_t i;
	const json_t *v;
	json_array_foreach (list, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), name) == 0)
			return true;
	return false;
}

bool platform_finalizers_pending(const json_t *obj)
{
	const json_t *list = finalizers_of(obj);
	return json_is_array(list) && json_array_size(list) > 0;
}

bool platform_finalizers_has(const json_t *obj, const char *name)
{
	return listed(finalizers_of(obj), name);
}

bool platform_finalizers_add(json_t *obj, const char *name)
{
	json_t *meta = json_object_get(obj, "metadata");
	if (!json_is_object(meta))
		return false;
	json_t *list = json_object_get(meta, "finalizers");
	if (!json_is_array(list)) {
		list = json_array();
		json_object_set_new(meta, "finalizers", list);
	}
	if (listed(list, name))
		return false;
	json_array_append_new(list, json_string(name));
	return true;
}

bool platform_finalizers_remove(json_t *obj, const char *name)
{
	json_t *list = finalizers_of(obj);
	bool removed = false;
	for (size_t i = json_array_size(list); i-- > 0;) {
		const char *v = json_string_value(json_array_get(list, i));
		if (v && strcmp(v, name) == 0) {
			json_array_remove(list, i);
			removed = true;
		}
	}
	if (json_is_array(list) && json_array_size(list) == 0)
		json_object_del(json_object_get(obj, "metadata"), "finalizers");
	return removed;
}

bool platform_finalizers_mark(json_t *obj, int64_t now_ns)
{
	json_t *meta = json_object_get(obj, "metadata");
	if (!json_is_object(meta))
		return false;
	bool changed = false;
	if (!json_object_get(meta, "deletionTimestamp")) {
		char when[CC_TIME_RFC3339_MAX];
		cc_time_format_rfc3339_seconds(now_ns, when, sizeof(when));
		json_object_set_new(meta, "deletionTimestamp", json_string(when));
		changed = true;
	}
	const json_t *grace = json_object_get(meta, "deletionGracePeriodSeconds");
	if (!json_is_integer(grace) || json_integer_value(grace) != 0) {
		json_object_set_new(meta, "deletionGracePeriodSeconds", json_integer(0));
		changed = true;
	}
	return changed;
}

bool platform_finalizers_released(const json_t *stored, const json_t *updated)
{
	const json_t *meta = json_object_get(updated, "metadata");
	const json_t *grace = json_object_get(meta, "deletionGracePeriodSeconds");
	return json_object_get(json_object_get(stored, "metadata"), "deletionTimestamp") &&
	       platform_finalizers_pending(stored) && json_object_get(meta, "deletionTimestamp") &&
	       !platform_finalizers_pending(updated) && (!grace || json_integer_value(grace) == 0);
}

json_t *platform_finalizers_added(const json_t *old, const json_t *obj)
{
	json_t *added = json_array();
	size_t i;
	const json_t *v;
	json_array_foreach (finalizers_of(obj), i, v)
		if (json_is_string(v) && !listed(finalizers_of(old), json_string_value(v)))
			json_array_append(added, (json_t *)v);
	return added;
}
