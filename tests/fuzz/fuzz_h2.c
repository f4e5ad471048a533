/* libFuzzer target: an HTTP/2 server session (frames, HPACK, our header checks, gRPC framing)
 * after a valid client preface. */
#include "lib/net/h2.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void handler(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	cc_buf_append(&resp->body, req->body.data ? req->body.data : "", req->body.len);
}

static enum cc_grpc_code echo(struct cc_grpc_call *call, const uint8_t *request, size_t len, struct cc_buf *resp,
			      void *userdata)
{
	cc_buf_append(resp, request, len);
	return len % 2 ? cc_grpc_fail(call, CC_GRPC_INVALID_ARGUMENT, "odd \xff length") : CC_GRPC_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct cc_http_route routes[] = { { .path = "/", .prefix = true, .handler = handler } };
	static const struct cc_grpc_method methods[] = { { .path = "/f.F/F", .handler = echo } };
	static const struct cc_peer peer;
	struct h2_config cfg = { .routes = routes,
				 .route_count = 1,
				 .grpc_methods = methods,
				 .grpc_method_count = 1,
				 .max_body = 4096,
				 .max_grpc_message = 4096,
				 .max_header_bytes = 4096,
				 .peer = &peer };
	struct h2_session *s;
	if (h2_session_new(&cfg, &s) < 0)
		return 0;
	struct cc_buf out = CC_BUF_INIT;
	if (h2_session_recv(s, (const uint8_t *)H2_CLIENT_PREFACE, H2_CLIENT_PREFACE_LEN) == 0 &&
	    h2_session_recv(s, data, size) == 0)
		h2_session_send(s, &out, 0);
	cc_buf_free(&out);
	h2_session_free(s);
	return 0;
}
