/* What a Kubernetes API path addresses, as kube-apiserver's installer lays paths out:
 *   /api/v1[/namespaces/NS]/RESOURCE[/NAME[/SUBRESOURCE]]
 *   /apis/GROUP/VERSION[/namespaces/NS]/RESOURCE[/NAME[/SUBRESOURCE]]
 * and the discovery paths above them. The first thing every request meets: fuzzed
 * (tests/fuzz/fuzz_platform_request.c). */
#pragma once

#include "platform/resources.h"

#include <stdbool.h>
#include <stddef.h>

struct platform_target {
	const char *group, *version;
	const struct platform_resource *resource;
	char *namespace; /* NULL: cluster-scoped, or every namespace */
	char *name;
	char *created_name; /* set by a create: the name the object got (the audit's objectRef.name) */
	char *subresource;
	char *segments[8]; /* the path split at '/'; the fields above point into them */
	size_t count;
};

/* 0 for a resource path, 1 for a discovery path (segments and count set), -ENOENT otherwise. */
int platform_target_parse(const char *path, struct platform_target *t);
void platform_target_free(struct platform_target *t);

/* Kubernetes' verb for a request: get, list, watch, create, update, patch, delete or
 * deletecollection, from the method and whether it names an object (t may be NULL: a path that is
 * no resource). */
const char *platform_target_verb(const char *method, const struct platform_target *t, bool watch);
