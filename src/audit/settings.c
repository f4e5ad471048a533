/* Plugin settings from the configuration file and the command line (see settings.h). */
#include "audit/settings.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void audit_settings_init(struct audit_settings *s, const struct audit_setting *table, size_t size)
{
	*s = (struct audit_settings){ .table = table, .values = size ? cc_xcalloc(1, size) : NULL };
}

void audit_settings_free(struct audit_settings *s)
{
	free(s->values);
	s->values = NULL;
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static const struct audit_setting *find(const struct audit_settings *s, const char *section, const char *key)
{
	for (const struct audit_setting *t = s->table; t && t->key; t++)
		if (same(t->section, section) && strcmp(t->key, key) == 0)
			return t;
	return NULL;
}

static bool has_section(const struct audit_settings *s, const char *section)
{
	for (const struct audit_setting *t = s->table; t && t->key; t++)
		if (t->section && strcmp(t->section, section) == 0)
			return true;
	return false;
}

static void *field(const struct audit_settings *s, const struct audit_setting *t)
{
	return (char *)s->values + t->offset;
}

static int load_value(struct audit_settings *s, const struct audit_setting *t, const json_t *value, const char *where,
		      struct cc_error *err)
{
	switch (t->type) {
	case AUDIT_SETTING_STRING:
		if (!json_is_string(value))
			return cc_error_set(err, EINVAL, "%s: `%s` must be a string", where, t->key);
		*(const char **)field(s, t) = json_string_value(value);
		break;
	case AUDIT_SETTING_BOOL:
		if (!json_is_boolean(value))
			return cc_error_set(err, EINVAL, "%s: `%s` must be true or false", where, t->key);
		*(bool *)field(s, t) = json_is_true(value);
		break;
	case AUDIT_SETTING_SECONDS:
		if (!json_is_integer(value) || json_integer_value(value) < 1 || json_integer_value(value) > 86400)
			return cc_error_set(err, EINVAL, "%s: `%s` must be a number of seconds from 1 to 86400", where,
					    t->key);
		*(unsigned *)field(s, t) = (unsigned)json_integer_value(value);
		break;
	}
	s->given |= UINT64_C(1) << (t - s->table);
	return 0;
}

static int load_section(struct audit_settings *s, const char *section, const json_t *obj, struct cc_error *err)
{
	if (!json_is_object(obj))
		return cc_error_set(err, EINVAL, "`%s` must be a mapping", section);
	const char *key;
	json_t *value;
	json_object_foreach ((json_t *)obj, key, value) {
		const struct audit_setting *t = find(s, section, key);
		if (!t)
			return cc_error_set(err, EINVAL, "%s: unknown key `%s`", section, key);
		int r = load_value(s, t, value, section, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool reserved_key(const char *const *reserved, const char *key)
{
	for (size_t i = 0; reserved && reserved[i]; i++)
		if (strcmp(reserved[i], key) == 0)
			return true;
	return false;
}

int audit_settings_load(struct audit_settings *s, const json_t *entry, const char *const *reserved, const char *where,
			struct cc_error *err)
{
	const char *key;
	json_t *value;
	json_object_foreach ((json_t *)entry, key, value) {
		if (reserved_key(reserved, key))
			continue;
		const struct audit_setting *t = find(s, NULL, key);
		int r;
		if (t)
			r = load_value(s, t, value, where, err);
		else if (has_section(s, key))
			r = load_section(s, key, value, err);
		else
			r = cc_error_set(err, EINVAL, "%s: unknown key `%s`", where, key);
		if (r < 0)
			return r;
	}
	return 0;
}

/* True when the configuration file gave any setting of t's section. */
static bool section_given(const struct audit_settings *s, const struct audit_setting *t)
{
	for (const struct audit_setting *u = s->table; u && u->key; u++)
		if (same(u->section, t->section) && (s->given & (UINT64_C(1) << (u - s->table))))
			return true;
	return false;
}

static int parse_option(struct audit_settings *s, const struct audit_setting *t, const char *text, struct cc_error *err)
{
	switch (t->type) {
	case AUDIT_SETTING_STRING: *(const char **)field(s, t) = text; break;
	case AUDIT_SETTING_BOOL: *(bool *)field(s, t) = strcmp(text, "true") == 0; break;
	case AUDIT_SETTING_SECONDS: {
		char *end;
		unsigned long v = strtoul(text, &end, 10);
		if (end == text || *end || v < 1 || v > 86400)
			return cc_error_set(err, EINVAL, "--%s must be a number of seconds from 1 to 86400, not `%s`",
					    t->option, text);
		*(unsigned *)field(s, t) = (unsigned)v;
		break;
	}
	}
	return 0;
}

int audit_settings_apply(struct audit_settings *s, const struct audit_options *opts, uint64_t *used,
			 struct cc_error *err)
{
	for (size_t i = 0; i < opts->count; i++) {
		for (const struct audit_setting *t = s->table; t && t->key; t++) {
			if (!t->option || strcmp(t->option, opts->items[i].option) != 0)
				continue;
			*used |= UINT64_C(1) << i;
			if (section_given(s, t))
				break;
			int r = parse_option(s, t, opts->items[i].value, err);
			if (r < 0)
				return r;
			break;
		}
	}
	return 0;
}

const char *audit_settings_string(const struct audit_settings *s, const char *section, const char *key)
{
	const struct audit_setting *t = find(s, section, key);
	return t && t->type == AUDIT_SETTING_STRING ? *(const char **)field(s, t) : NULL;
}

bool audit_settings_bool(const struct audit_settings *s, const char *section, const char *key)
{
	const struct audit_setting *t = find(s, section, key);
	return t && t->type == AUDIT_SETTING_BOOL && *(bool *)field(s, t);
}
