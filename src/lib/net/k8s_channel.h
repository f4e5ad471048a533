/* Kubernetes' remote command streams over WebSocket, as kubelet and kube-apiserver speak them to
 * kubectl exec and attach (k8s.io/apimachinery wsstream, KEP-4006):
 *
 *   - subprotocol v4.channel.k8s.io: every binary message starts with a channel byte: 0 stdin
 *     (client to server), 1 stdout, 2 stderr, 3 error (the final metav1.Status as JSON, from which
 *     kubectl takes its exit code), 4 resize (client to server: {"Width":W,"Height":H});
 *   - v5.channel.k8s.io (kubectl 1.30+): the same, plus CLOSE: a message [255, channel] saying the
 *     sender is done with that channel (kubectl sends [255, 0] when its stdin ends).
 *
 * The older channel.k8s.io and the base64 variants are not spoken. No platform knowledge here: the
 * framing, the Status documents and the resize parser, so the parsers can be fuzzed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cc_websocket;

#define CC_K8S_CHANNEL_V5 "v5.channel.k8s.io"
#define CC_K8S_CHANNEL_V4 "v4.channel.k8s.io"

/* What cc_websocket_config.subprotocols takes: v5 preferred, then v4. */
extern const char *const cc_k8s_channel_protocols[];

enum {
	CC_K8S_STDIN = 0,
	CC_K8S_STDOUT = 1,
	CC_K8S_STDERR = 2,
	CC_K8S_ERROR = 3,
	CC_K8S_RESIZE = 4,
	CC_K8S_CLOSE = 255, /* v5 */
};

enum cc_k8s_message_kind {
	CC_K8S_IGNORED, /* empty, or a malformed CLOSE: dropped, as wsstream does */
	CC_K8S_DATA,    /* data on channel */
	CC_K8S_CLOSED,  /* v5: the client is done with channel */
};

struct cc_k8s_message {
	enum cc_k8s_message_kind kind;
	uint8_t channel;
	const uint8_t *data; /* into the message */
	size_t len;
};

/* Splits a client's binary message; v5 selects whether [255, channel] means CLOSE. */
void cc_k8s_channel_parse(const void *message, size_t len, bool v5, struct cc_k8s_message *ret);
/* A resize message's payload: one or more JSON objects {"Width":W,"Height":H} (field names in any
 * case, as Go decodes them); the last one counts. -EINVAL when none is valid (sizes 0..65535). */
int cc_k8s_channel_parse_resize(const void *data, size_t len, uint16_t *ret_width, uint16_t *ret_height);

/* The Status kubelet writes on channel 3 when the command ends (v4 and later): Success for 0;
 * otherwise NonZeroExitCode with the code as the ExitCode cause, which kubectl exits with. Malloc'd
 * compact JSON. */
char *cc_k8s_channel_exit_status(int exit_code);
/* The Status for a command that could not be run at all: InternalError (500); kubectl prints
 * "Internal error occurred: <message>" and exits with 1. */
char *cc_k8s_channel_error_status(const char *message);

/* Sends data on a channel as one message (the channel byte, then data); cc_websocket_sendv's result. */
int cc_k8s_channel_send(struct cc_websocket *ws, uint8_t channel, const void *data, size_t len);
