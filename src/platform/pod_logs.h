/* `kubectl logs`: GET .../pods/NAME/log, served from the CRI-format files cocoon-shim writes, with
 * kube-apiserver's query parameters: container, previous, follow, timestamps, tailLines,
 * sinceSeconds, limitBytes. The answer is text/plain; with follow it streams until the container
 * exits or the client goes. */
#pragma once

struct cc_http_request;
struct cc_http_response;
struct platform_pods;
struct platform_resource;

void platform_pod_log(struct platform_pods *pods, const struct platform_resource *r, const char *namespace,
		      const char *name, const struct cc_http_request *req, struct cc_http_response *resp);
