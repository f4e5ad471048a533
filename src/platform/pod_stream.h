/* The API's pod_stream hook (api.h) over the pod runner: exec finds the container in the runner
 * and hands the request to the exec bridge (exec.h); attach is refused for now. */
#pragma once

struct cc_http_request;
struct cc_http_response;
struct platform_exec;
struct platform_pods;

struct platform_pod_streams {
	struct platform_pods *pods;
	struct platform_exec *exec;
};

void platform_pod_stream(void *ctx, const char *subresource, const char *namespace, const char *pod,
			 const struct cc_http_request *req, struct cc_http_response *resp);
