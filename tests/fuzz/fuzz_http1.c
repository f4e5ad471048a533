/* libFuzzer target: HTTP/1.1 request framing, fed in two pieces to exercise resumption. */
#include "lib/net/http1.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct http1_limits limits = { .max_header_bytes = 8192, .max_body = 65536 };
	static const struct cc_peer peer;
	struct http1_parser *p = http1_parser_new(&limits, &peer);
	size_t split = size ? data[0] % (size + 1) : 0;
	size_t offset = 0;
	struct cc_buf out = CC_BUF_INIT;
	for (int guard = 0; guard < 10000 && offset < size; guard++) {
		size_t end = offset < split ? split : size;
		size_t used = 0;
		enum http1_event ev = http1_parser_feed(p, (const char *)data + offset, end - offset, &used);
		offset += used;
		if (ev == HTTP1_ERROR)
			break;
		if (ev == HTTP1_REQUEST) {
			struct cc_http_response resp;
			cc_http_response_init(&resp);
			cc_http_response_error(&resp, 404, "%s", http1_parser_request(p)->path);
			http1_write_response(&out, &resp, false, http1_parser_keep_alive(p));
			cc_http_response_free(&resp);
			cc_buf_reset(&out);
			http1_parser_next(p);
		} else if (ev == HTTP1_NEED_MORE && used == 0 && offset < split) {
			offset = split;
		}
	}
	cc_buf_free(&out);
	http1_parser_free(p);
	return 0;
}
