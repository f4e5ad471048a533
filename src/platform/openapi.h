/* The OpenAPI documents kubectl fetches before it sends an object (to validate it on the client):
 * /openapi/v3 (kubectl 1.28+: an index of group-versions, then one JSON document per group-version)
 * and /openapi/v2 (kubectl 1.27: a protobuf Document). They describe the served paths but carry no
 * schemas yet, which kubectl reads as "nothing to validate on the client"; the server's admission
 * (admit.c) validates every object whatever the client did. */
#pragma once

#include "lib/net/http.h"

void platform_openapi(const struct cc_http_request *req, struct cc_http_response *resp);
