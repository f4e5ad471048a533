/* The OpenAPI documents kubectl fetches before it sends an object (to validate it on the client and
 * for `kubectl explain`): /openapi/v3 (an index of group-versions, each with a hash, then one JSON
 * document per group-version carrying the schemas of the served kinds, as kube-apiserver publishes
 * them) and /openapi/v2 (kubectl 1.27's other source: a protobuf Document without schemas). The
 * schemas come from the embedded documents (openapi_documents.h); the server's strict field
 * validation (field_validation.c) reads the same ones. */
#pragma once

#include "lib/json/json.h"
#include "lib/net/http.h"

void platform_openapi(const struct cc_http_request *req, struct cc_http_response *resp);

/* The schema of a kind (kube-apiserver's x-kubernetes-group-version-kind) and the components.schemas
 * object its $refs resolve in; NULL when the kind has no schema. Borrowed: the documents live as long
 * as the process. */
const json_t *platform_openapi_kind_schema(const char *api_version, const char *kind, const json_t **ret_schemas);
