/* The API's pod_stream hook (api.h) over the pod runner: exec finds the container in the runner
 * and hands the request to the exec bridge (exec.h); portforward finds the pod's network namespace
 * and hands it to port_forward.h; attach is refused for now. */
#pragma once

struct cc_http_request;
struct cc_http_response;
struct platform_exec;
struct platform_pods;
struct platform_port_forward;

struct platform_pod_streams {
	struct platform_pods *pods;
	struct platform_exec *exec;
	struct platform_port_forward *port_forward;
};

void platform_pod_stream(void *ctx, const char *subresource, const char *namespace, const char *pod,
			 const struct cc_http_request *req, struct cc_http_response *resp);
