/* The OpenAPI v3 documents cocoond serves, one per group-version, embedded at build time
 * (scripts/embed-openapi.py over the JSON files in src/platform/openapi, which scripts/gen-openapi.mjs makes
 * from the npm package kubernetes-models). */
#pragma once

#include <stddef.h>

struct platform_openapi_document {
	const char *group_version; /* "api/v1", "apis/apps/v1" */
	const unsigned char *data; /* JSON text, not NUL-terminated */
	size_t size;
};

extern const struct platform_openapi_document platform_openapi_documents[];
extern const size_t platform_openapi_document_count;
