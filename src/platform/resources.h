/* The kinds the platform's Kubernetes API serves: one table, as kube-apiserver's discovery shows them
 * (group, version, plural resource name, kind, scope, short names, verbs). Everything the REST layer
 * and discovery need to know about a kind is here; per-kind behaviour (defaults, validation, table
 * columns) is keyed by it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct platform_resource {
	const char *group;    /* "" for the core group */
	const char *version;  /* "v1" */
	const char *resource; /* plural, lower case: "pods" */
	const char *kind;     /* "Pod" */
	const char *singular; /* "pod" */
	bool namespaced;
	const char *short_names[3]; /* NULL-terminated */
	const char *categories;     /* "all" or NULL */
	bool read_only;             /* served, not written by clients (VulnerabilityReport) */
	const char *verbs;          /* discovery's verbs when not the usual ones, comma-separated */
};

/* Every served resource, in discovery order. */
const struct platform_resource *platform_resources(size_t *ret_count);
/* The resource of group/version/plural, or NULL. */
const struct platform_resource *platform_resource_find(const char *group, const char *version, const char *resource);
/* The verbs discovery lists for r: its own, else the read-only or the usual ones. */
const char *platform_resource_verbs(const struct platform_resource *r);
/* "apps/v1" or "v1". */
void platform_resource_api_version(const struct platform_resource *r, char *buf, size_t size);
