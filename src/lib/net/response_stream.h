/* Streamed response bodies: what a watch, a log follow or a live event feed answers with. The
 * handler turns its response into a stream and returns at once (freeing its worker); another thread
 * writes to the stream whenever it has something, and the server sends it as HTTP/1.1 chunks or
 * HTTP/2 DATA frames. No thread waits per client, and a client that reads too slowly is reported to
 * the writer (back-pressure) instead of growing the server's memory.
 *
 *     struct cc_response_stream *s = cc_http_response_stream(resp, 1 << 20);
 *     resp->status = 200; ...                    // headers go out when the handler returns
 *     registry_add(watchers, s);                 // another thread: cc_response_stream_write(s, ...)
 *
 * The handle returned is the writer's reference: it must be finished exactly once. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct cc_http_response;
struct cc_loop;
struct cc_response_stream;

/* In a handler: the body of resp will be streamed. max_pending bounds the bytes written but not yet
 * sent (0: 1 MiB). */
struct cc_response_stream *cc_http_response_stream(struct cc_http_response *resp, size_t max_pending);

/* Any thread. 0; -EPIPE once the client is gone or the server stops; -ENOBUFS when the client has
 * not taken max_pending bytes (a slow reader: finish the stream, as kube-apiserver drops slow
 * watchers). Nothing is queued on failure. */
int cc_response_stream_write(struct cc_response_stream *s, const void *data, size_t len);
/* True once the client is gone; writes fail from then on. */
bool cc_response_stream_closed(struct cc_response_stream *s);
/* Called exactly once, on the server's loop thread, when the server lets go of the stream: the
 * client went away, the server stops, or the end the writer asked for was sent. Set it before
 * handing the stream to another thread; the writer may still write or finish from inside it. */
void cc_response_stream_on_close(struct cc_response_stream *s, void (*fn)(void *arg), void *arg);
/* Ends the body and drops the writer's reference. */
void cc_response_stream_finish(struct cc_response_stream *s);

/* The server's side (lib/net only). */
typedef void (*cc_response_stream_kick_fn)(void *target);
/* The stream's response was sent; kick(target) runs on the loop whenever data or the end arrives. */
void cc_response_stream_attach(struct cc_response_stream *s, struct cc_loop *loop, cc_response_stream_kick_fn kick,
			       void *target);
/* Takes up to len pending bytes; *ret_done is true when the writer finished and nothing is left. */
size_t cc_response_stream_take(struct cc_response_stream *s, void *buf, size_t len, bool *ret_done);
/* The client is gone (or the response was never sent): marks the stream closed, calls on_close,
 * and drops the server's reference. */
void cc_response_stream_abandon(struct cc_response_stream *s);
