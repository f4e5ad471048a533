/* The node API's HTTP routes (served over mutual TLS on TCP and over the local unix socket). */
#pragma once

#include "lib/net/http.h"

#include <stddef.h>

/* The route table; valid for the life of the process. */
const struct cc_http_route *node_api_routes(size_t *ret_count);
