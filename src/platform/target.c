/* API paths (see target.h). */
#include "platform/target.h"

#include "lib/base/cleanup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void platform_target_free(struct platform_target *t)
{
	for (size_t i = 0; i < t->count; i++)
		free(t->segments[i]);
	t->count = 0;
	free(t->created_name);
	t->created_name = NULL;
}

static int split(const char *path, struct platform_target *t)
{
	_cleanup_free_ char *copy = cc_xstrdup(path);
	for (char *save = NULL, *p = strtok_r(copy, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		if (t->count == sizeof(t->segments) / sizeof(t->segments[0]))
			return -ENOENT; /* deeper than any path served */
		t->segments[t->count++] = cc_xstrdup(p);
	}
	return 0;
}

int platform_target_parse(const char *path, struct platform_target *t)
{
	*t = (struct platform_target){ 0 };
	if (split(path, t) < 0)
		return -ENOENT;
	char **s = t->segments;
	size_t i;
	if (t->count >= 1 && strcmp(s[0], "api") == 0) {
		t->group = "";
		if (t->count < 3)
			return 1;
		t->version = s[1];
		i = 2;
	} else if (t->count >= 1 && strcmp(s[0], "apis") == 0) {
		if (t->count < 4)
			return 1;
		t->group = s[1];
		t->version = s[2];
		i = 3;
	} else {
		return -ENOENT;
	}
	/* namespaces/NS/RESOURCE/... unless it is the namespaces resource itself (.../namespaces/NS or
	 * its status). */
	if (strcmp(s[i], "namespaces") == 0 && t->count >= i + 3 &&
	    platform_resource_find(t->group, t->version, s[i + 2])) {
		t->namespace = s[i + 1];
		i += 2;
	}
	t->resource = platform_resource_find(t->group, t->version, s[i]);
	if (!t->resource || t->count > i + 3)
		return -ENOENT;
	if (t->count > i + 1)
		t->name = s[i + 1];
	if (t->count > i + 2)
		t->subresource = s[i + 2];
	return 0;
}

const char *platform_target_verb(const char *method, const struct platform_target *t, bool watch)
{
	bool named = t && t->name;
	if (watch)
		return "watch";
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
		return named || !t ? "get" : "list";
	if (strcmp(method, "POST") == 0)
		return "create";
	if (strcmp(method, "PUT") == 0)
		return "update";
	if (strcmp(method, "PATCH") == 0)
		return "patch";
	if (strcmp(method, "DELETE") == 0)
		return named ? "delete" : "deletecollection";
	return "unknown";
}
