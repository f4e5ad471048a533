/* Kubernetes' channel protocol over WebSocket (see k8s_channel.h). The Status documents follow
 * kubelet's remotecommand package field for field (metav1.Status marshalled by encoding/json: an
 * empty metadata object, then status, message, reason, details, code). */
#include "lib/net/k8s_channel.h"

#include "lib/base/cleanup.h"
#include "lib/base/utf8.h"
#include "lib/json/json.h"
#include "lib/net/websocket_session.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_RESIZE 4096 /* a resize message is a few dozen bytes */

const char *const cc_k8s_channel_protocols[] = { CC_K8S_CHANNEL_V5, CC_K8S_CHANNEL_V4, NULL };

void cc_k8s_channel_parse(const void *message, size_t len, bool v5, struct cc_k8s_message *ret)
{
	const uint8_t *m = message;
	*ret = (struct cc_k8s_message){ .kind = CC_K8S_IGNORED };
	if (len == 0)
		return;
	if (v5 && m[0] == CC_K8S_CLOSE) {
		if (len == 2) /* anything else is not a CLOSE the client-go writer sends: ignored */
			*ret = (struct cc_k8s_message){ .kind = CC_K8S_CLOSED, .channel = m[1] };
		return;
	}
	*ret = (struct cc_k8s_message){ .kind = CC_K8S_DATA, .channel = m[0], .data = m + 1, .len = len - 1 };
}

/* A member of obj whose name matches case-insensitively, as encoding/json matches field names. */
static json_t *member(json_t *obj, const char *name)
{
	const char *key;
	json_t *value;
	json_object_foreach (obj, key, value)
		if (strcasecmp(key, name) == 0)
			return value;
	return NULL;
}

static int parse_one(const char *text, size_t len, uint16_t *ret_width, uint16_t *ret_height)
{
	_cleanup_json_ json_t *size = NULL;
	if (cc_json_parse(text, len, MAX_RESIZE, "resize message", &size, NULL) < 0 || !json_is_object(size))
		return -EINVAL;
	json_t *w = member(size, "width"), *h = member(size, "height");
	if (!json_is_integer(w) || !json_is_integer(h))
		return -EINVAL;
	json_int_t width = json_integer_value(w), height = json_integer_value(h);
	if (width < 0 || width > UINT16_MAX || height < 0 || height > UINT16_MAX)
		return -EINVAL;
	*ret_width = (uint16_t)width;
	*ret_height = (uint16_t)height;
	return 0;
}

int cc_k8s_channel_parse_resize(const void *data, size_t len, uint16_t *ret_width, uint16_t *ret_height)
{
	/* client-go writes each size with json.Encoder (an object and a newline); kubelet decodes the
	 * channel as a stream of objects, so a message with several counts them all. */
	if (len > MAX_RESIZE)
		return -EINVAL;
	const char *text = data;
	int r = -EINVAL;
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && text[i] != '\n')
			continue;
		uint16_t w, h;
		if (i > start && parse_one(text + start, i - start, &w, &h) == 0) {
			*ret_width = w;
			*ret_height = h;
			r = 0;
		}
		start = i + 1;
	}
	return r;
}

static char *dump(json_t *status)
{
	char *text = json_dumps(status, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(status);
	return text;
}

char *cc_k8s_channel_exit_status(int exit_code)
{
	if (exit_code == 0)
		return dump(json_pack("{s:{}, s:s}", "metadata", "status", "Success"));
	char code[16], message[96];
	snprintf(code, sizeof(code), "%d", exit_code);
	snprintf(message, sizeof(message), "command terminated with non-zero exit code: exit status %d", exit_code);
	return dump(json_pack("{s:{}, s:s, s:s, s:s, s:{s:[{s:s, s:s}]}}", "metadata", "status", "Failure", "message",
			      message, "reason", "NonZeroExitCode", "details", "causes", "reason", "ExitCode",
			      "message", code));
}

char *cc_k8s_channel_error_status(const char *message)
{
	/* The message may quote a runtime's output: json_pack refuses text that is not UTF-8. */
	if (!cc_utf8_valid(message, strlen(message), NULL))
		message = "the command could not be run (its error message is not UTF-8)";
	_cleanup_free_ char *full = cc_xasprintf("Internal error occurred: %s", message);
	return dump(json_pack("{s:{}, s:s, s:s, s:s, s:{s:[{s:s}]}, s:i}", "metadata", "status", "Failure", "message",
			      full, "reason", "InternalError", "details", "causes", "message", message, "code", 500));
}

int cc_k8s_channel_send(struct cc_websocket *ws, uint8_t channel, const void *data, size_t len)
{
	struct iovec parts[2] = {
		{ .iov_base = &channel, .iov_len = 1 },
		{ .iov_base = (void *)data, .iov_len = len },
	};
	return cc_websocket_sendv(ws, parts, 2);
}
