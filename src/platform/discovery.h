/* API discovery as kube-apiserver serves it (the legacy, unaggregated form, which kubectl falls back
 * to when it is answered with plain JSON): /api, /api/v1, /apis, /apis/GROUP, /apis/GROUP/VERSION. */
#pragma once

#include "lib/net/http.h"

#include <stddef.h>

/* segments: the path split at '/', e.g. {"apis", "apps", "v1"}. */
void platform_discovery(char *const *segments, size_t count, const struct cc_http_request *req,
			struct cc_http_response *resp);
