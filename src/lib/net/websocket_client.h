/* The client side of RFC 6455 over one socket of its own: a unix socket, or TCP with TLS (OpenSSL,
 * verifying the server against a CA bundle and presenting a client certificate), as `cocoon exec`
 * speaks to cocoond. The opening handshake (§4.1: a random Sec-WebSocket-Key, the server's
 * Sec-WebSocket-Accept and subprotocol checked), then messages both ways: every frame sent is masked
 * with a fresh random key (§5.3); the server's frames go through the same reader as the server's
 * (websocket.h), in its client mode. Pings are answered, the close handshake is run.
 *
 * Blocking, for one thread: a caller that also waits for other descriptors polls cc_ws_client_fd
 * (after cc_ws_client_pending) and reads with a zero timeout. While a send waits for room, what the
 * server sends is read into memory meanwhile, so neither side can wait on the other forever. */
#pragma once

#include "lib/base/buf.h"
#include "lib/net/websocket.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;
struct cc_ws_client;

struct cc_ws_client_config {
	const char *unix_socket; /* connect here; else to host:port */
	const char *host;        /* the server's name or address (the Host header, TLS name checks) */
	unsigned short port;
	bool tls;                        /* TCP only */
	const char *ca_file;             /* verify the server against this bundle; NULL: the system's */
	const char *cert_file;           /* client certificate (mutual TLS), or NULL */
	const char *key_file;            /* its key (default: cert_file) */
	const char *bearer_token;        /* Authorization: Bearer ..., or NULL */
	const char *target;              /* the request target: path and query */
	const char *const *subprotocols; /* offered, preferred first; NULL-terminated, may be NULL */
	int timeout_ms;                  /* connecting and the handshake; 0: 30 s */
	size_t max_message;              /* a server message, reassembled; 0: 16 MiB */
};

/* What a server that did not upgrade answered: its status and (up to 64 KiB of) its body. */
struct cc_ws_refusal {
	long status;
	struct cc_buf body;
};
void cc_ws_refusal_clear(struct cc_ws_refusal *r);

/* Connects and runs the opening handshake. -EPROTO with refusal->status set when the server
 * answered without upgrading (its Status document is in refusal->body); other failures (connect,
 * TLS, a 101 that does not check out) name the peer and the cause in err. refusal may be NULL. */
int cc_ws_client_connect(const struct cc_ws_client_config *cfg, struct cc_ws_client **ret,
			 struct cc_ws_refusal *refusal, struct cc_error *err);
void cc_ws_client_free(struct cc_ws_client *c);

/* The subprotocol the server chose ("" when none was offered). */
const char *cc_ws_client_protocol(const struct cc_ws_client *c);
/* The socket, to poll for reading. */
int cc_ws_client_fd(const struct cc_ws_client *c);
/* Whether cc_ws_client_read has bytes to work on without waiting for the socket. */
bool cc_ws_client_pending(const struct cc_ws_client *c);

/* Sends one message of the concatenation of head and data (head may be NULL: a channel byte goes
 * there), masked (§5.3). -EPIPE once the connection is closed. */
int cc_ws_client_send(struct cc_ws_client *c, enum cc_ws_opcode opcode, const void *head, size_t head_len,
		      const void *data, size_t len, struct cc_error *err);

/* Waits up to timeout_ms (-1: no limit) for the server and returns its first event:
 *   CC_WS_MESSAGE    a whole message (data valid until the next call; cc_ws_client_text says text)
 *   CC_WS_CLOSED     the server's close frame, answered (cc_ws_client_close_code, _reason)
 *   CC_WS_ERROR      a protocol violation (closed with the code the reader gave), or the connection
 *                    lost (1006): cc_ws_client_close_reason says which
 *   CC_WS_NEED_MORE  nothing complete yet
 * Pings are answered and pongs dropped here. */
enum cc_ws_event cc_ws_client_read(struct cc_ws_client *c, int timeout_ms, const uint8_t **ret_data, size_t *ret_len);
bool cc_ws_client_text(const struct cc_ws_client *c);
uint16_t cc_ws_client_close_code(const struct cc_ws_client *c);
const char *cc_ws_client_close_reason(const struct cc_ws_client *c);

/* Starts the close handshake (once): a close frame with code and reason. */
int cc_ws_client_close(struct cc_ws_client *c, uint16_t code, const char *reason);
