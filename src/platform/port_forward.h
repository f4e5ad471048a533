/* kubectl port-forward for the platform, as kubelet's streaming server serves it: the client opens,
 * for each connection it forwards, an "error" and a "data" stream (SPDY/3.1, lib/net/spdy.h) naming
 * the pod's port; the data stream is joined to a TCP connection to localhost:PORT made inside the
 * pod's network namespace, and a failure to connect is written on the error stream. kubectl 1.31+
 * tunnels the SPDY bytes through a WebSocket (subprotocol SPDY/3.1+portforward.k8s.io); older ones
 * ask for a SPDY upgrade, which is refused with 400 (kubectl 1.30 with
 * KUBECTL_PORT_FORWARD_WEBSOCKETS=true uses the tunnel). docs/design/port-forward-protocol.md has the
 * wire details.
 *
 * Every session's sockets are watched by one thread with one event loop. Flow control both ways: a
 * pod's output stops being read while the client is slow (a send refused with -ENOBUFS waits for
 * on_drain), and the client's messages stop being read while too much waits for a pod. */
#pragma once

struct cc_error;
struct cc_http_request;
struct cc_http_response;
struct platform_port_forward;

int platform_port_forward_new(struct platform_port_forward **ret, struct cc_error *err);
/* Ends every session and frees. Stop the HTTP servers first. */
void platform_port_forward_free(struct platform_port_forward *pf);

/* The portforward subresource of a running pod whose network namespace is pinned at netns (a
 * handler on a worker thread): upgrades the WebSocket and returns at once, or answers a Status
 * (400 for a SPDY upgrade or a bad handshake). pod names the pod in messages. */
void platform_port_forward_serve(struct platform_port_forward *pf, const char *netns, const char *pod,
				 const struct cc_http_request *req, struct cc_http_response *resp);
