/* Node API endpoints available today (cocoond's /livez, /readyz and /healthz are the platform's,
 * platform/health.c, as they check the platform's parts):
 *   GET /version     build information
 *   GET /v1/whoami   the caller's identity as the server authenticated it: certificate CN and O
 *                    (user and groups, Kubernetes' x509 convention) or unix peer credentials */
#include "node/api.h"

#include "lib/base/cleanup.h"

#include <jansson.h>
#include <string.h>

/* Kubernetes' version.Info, so kubectl version and client libraries read it; cocoon's own version
 * is in gitVersion's build metadata and in component/version. */
static void version(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	cc_http_response_json(resp, 200,
			      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "major", "1",
					"minor", "30", "gitVersion", "v1.30.0+cocoon-" COCOON_VERSION, "gitCommit", "",
					"gitTreeState", "clean", "buildDate", "", "goVersion", "", "compiler", "gcc",
					"platform", "linux/amd64", "component", "cocoond", "version", COCOON_VERSION));
}

static void whoami(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	const struct cc_peer *peer = req->peer;
	json_t *out = json_object();
	json_object_set_new(out, "address", json_string(peer->address));
	if (peer->cert_verified) {
		json_t *groups = json_array();
		for (int i = 0; i < peer->group_count; i++)
			json_array_append_new(groups, json_string(peer->groups[i]));
		json_object_set_new(out, "authenticatedBy", json_string("x509"));
		json_object_set_new(out, "user", json_string(peer->common_name));
		json_object_set_new(out, "groups", groups);
		json_object_set_new(out, "subject", json_string(peer->subject));
		json_object_set_new(out, "fingerprint", json_string(peer->fingerprint));
	} else if (peer->have_credentials) {
		char user[32];
		snprintf(user, sizeof(user), "uid:%u", (unsigned)peer->uid);
		json_object_set_new(out, "authenticatedBy", json_string("unix-peer-credentials"));
		json_object_set_new(out, "user", json_string(user));
		json_object_set_new(out, "uid", json_integer(peer->uid));
		json_object_set_new(out, "gid", json_integer(peer->gid));
		json_object_set_new(out, "pid", json_integer(peer->pid));
	} else {
		json_object_set_new(out, "authenticatedBy", json_string("none"));
	}
	cc_http_response_json(resp, 200, out);
}

static const struct cc_http_route routes[] = {
	{ .method = "GET", .path = "/version", .handler = version },
	{ .method = "GET", .path = "/v1/whoami", .handler = whoami },
};

const struct cc_http_route *node_api_routes(size_t *ret_count)
{
	*ret_count = CC_ARRAY_SIZE(routes);
	return routes;
}
