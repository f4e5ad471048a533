/* libFuzzer target: the WebSocket frame reader (lib/net/websocket.c), as the server reads a client's
 * frames and as the client (websocket_client.c) reads a server's, and, on every message it yields,
 * Kubernetes' channel parser and resize decoder (lib/net/k8s_channel.c). The first input byte picks
 * a chunk size; the rest is fed once whole and once in chunks of that size, and the two runs must
 * see the same events with the same data (the reader's state carried across reads is where framing
 * bugs hide). */
#include "lib/base/buf.h"
#include "lib/net/k8s_channel.h"
#include "lib/net/websocket.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Runs the reader over data in chunks of step bytes; the events as text in log. */
static void run(const uint8_t *data, size_t size, size_t step, bool client, struct cc_buf *log)
{
	struct cc_ws_reader *r = client ? cc_ws_reader_new_client(4096) : cc_ws_reader_new(4096);
	size_t pos = 0;
	for (;;) {
		size_t n = size - pos < step ? size - pos : step, used = 0;
		enum cc_ws_event ev = cc_ws_reader_feed(r, data + pos, n, &used);
		if (used > n)
			abort();
		pos += used;
		size_t len;
		const uint8_t *payload = cc_ws_reader_data(r, &len);
		if (ev == CC_WS_NEED_MORE) {
			if (used != n) /* all input is taken when nothing completes */
				abort();
			if (pos == size)
				break;
			continue;
		}
		cc_buf_appendf(log, "%d:%zu:", (int)ev, len);
		cc_buf_append(log, payload, len);
		if (ev == CC_WS_MESSAGE) {
			struct cc_k8s_message m;
			for (int v5 = 0; v5 < 2; v5++) {
				cc_k8s_channel_parse(payload, len, v5, &m);
				if (m.kind == CC_K8S_DATA && (m.data < payload || m.data + m.len > payload + len))
					abort();
				uint16_t w, h;
				if (m.kind == CC_K8S_DATA && m.channel == CC_K8S_RESIZE)
					cc_k8s_channel_parse_resize(m.data, m.len, &w, &h);
			}
		}
		if (ev == CC_WS_CLOSED || ev == CC_WS_ERROR) {
			cc_buf_appendf(log, "%u:%s", cc_ws_reader_close_code(r), cc_ws_reader_close_reason(r));
			if (ev == CC_WS_ERROR && cc_ws_reader_close_code(r) < 1002)
				abort();
			break;
		}
	}
	cc_ws_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t step = data[0] % 16 + 1;
	for (int client = 0; client < 2; client++) {
		struct cc_buf whole = CC_BUF_INIT, chunked = CC_BUF_INIT;
		run(data + 1, size - 1, size, client, &whole);
		run(data + 1, size - 1, step, client, &chunked);
		if (whole.len != chunked.len || (whole.len && memcmp(whole.data, chunked.data, whole.len) != 0))
			abort();
		cc_buf_free(&whole);
		cc_buf_free(&chunked);
	}
	return 0;
}
