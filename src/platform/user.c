/* The authenticated user (see user.h). */
#include "platform/user.h"

#include <stdio.h>
#include <string.h>

void platform_user_init(struct platform_user *u, const char *name, const char *authenticator)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "%s", name);
	u->groups = json_array();
	u->authenticator = authenticator;
}

bool platform_user_in_group(const struct platform_user *u, const char *group)
{
	size_t i;
	const json_t *g;
	json_array_foreach (u->groups, i, g)
		if (strcmp(json_string_value(g) ?: "", group) == 0)
			return true;
	return false;
}

void platform_user_add_group(struct platform_user *u, const char *group)
{
	if (group && group[0] && !platform_user_in_group(u, group))
		json_array_append_new(u->groups, json_string(group));
}

void platform_user_clear(struct platform_user *u)
{
	json_decref(u->groups);
	json_decref(u->extra);
	u->groups = u->extra = NULL;
}
