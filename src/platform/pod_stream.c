/* exec and attach of the runner's pods (see pod_stream.h). */
#include "platform/pod_stream.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/net/http.h"
#include "platform/exec.h"
#include "platform/pods.h"
#include "platform/port_forward.h"
#include "platform/resources.h"
#include "platform/status.h"

#include <errno.h>
#include <string.h>

static void port_forward(struct platform_pod_streams *s, const char *namespace, const char *pod,
			 const struct cc_http_request *req, struct cc_http_response *resp)
{
	const struct platform_resource *pods = platform_resource_find("", "v1", "pods");
	char netns[4096];
	struct cc_error err = { 0 };
	int r = platform_pods_netns(s->pods, namespace, pod, netns, sizeof(netns), &err);
	if (r == -ESRCH)
		platform_status_error(resp, 404, NULL, pods, pod, "pods \"%s\" not found", pod);
	else if (r < 0)
		platform_status_error(resp, 400, "BadRequest", pods, pod, "%s", cc_error_message(&err));
	else
		platform_port_forward_serve(s->port_forward, netns, pod, req, resp);
}

void platform_pod_stream(void *ctx, const char *subresource, const char *namespace, const char *pod,
			 const struct cc_http_request *req, struct cc_http_response *resp)
{
	struct platform_pod_streams *s = ctx;
	const struct platform_resource *pods = platform_resource_find("", "v1", "pods");
	if (strcmp(subresource, "portforward") == 0) {
		port_forward(s, namespace, pod, req, resp);
		return;
	}
	bool attach = strcmp(subresource, "attach") == 0;
	_cleanup_free_ char *container = cc_http_request_query(req, "container");
	struct platform_container_ref ref;
	struct cc_error err = { 0 };
	int r = platform_pods_container(s->pods, namespace, pod, container, &ref, &err);
	if (r == -ESRCH) {
		/* As kube-apiserver: a pod that does not exist (here) is 404, a bad container 400. */
		platform_status_error(resp, 404, NULL, pods, pod, "pods \"%s\" not found", pod);
		return;
	}
	if (r < 0) {
		platform_status_error(resp, 400, "BadRequest", pods, pod, "%s", cc_error_message(&err));
		return;
	}
	if (!ref.running) {
		platform_status_error(resp, 400, "BadRequest", pods, pod,
				      "cannot %s %s a container that is not running: container %s in pod %s",
				      attach ? "attach" : "exec", attach ? "to" : "in", container ? container : "",
				      pod);
		return;
	}
	const char *runtime[] = { ref.runtime, "--root", ref.runtime_root, NULL };
	const char *follow[] = { ref.shim, "attach", "--log", ref.log_path, "--exit-file", ref.exit_file, NULL };
	struct platform_exec_target target = { .runtime = runtime,
					       .container_id = ref.id,
					       .pod = pod,
					       .attach = attach ? follow : NULL,
					       .attach_stdin_fifo = ref.stdin_fifo[0] ? ref.stdin_fifo : NULL };
	platform_exec_serve(s->exec, &target, req, resp);
}
