/* RBAC's own admission, as kube-apiserver's RBAC storage has it: nobody grants what they do not
 * hold. A Role or ClusterRole is written only by a user who holds every permission in it (or may
 * `escalate` roles); a binding only by a user who holds the permissions of the role it names (or
 * may `bind` that role). Cluster administrators (system:masters) write any. */
#pragma once

#include "platform/resources.h"

#include <jansson.h>
#include <stdbool.h>

struct cc_http_request;
struct cc_http_response;
struct platform_guard;

/* obj is about to be written as r; false after answering 403 (or 404 for a binding to a role that
 * does not exist, when the user could not create that role). True for every other kind. */
bool platform_rbac_admit(struct platform_guard *g, const struct cc_http_request *req, const struct platform_resource *r,
			 const json_t *obj, struct cc_http_response *resp);
