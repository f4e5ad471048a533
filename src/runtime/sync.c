/* Typed messages over a SOCK_SEQPACKET socketpair, with SCM_RIGHTS for descriptors. */
#include "runtime/sync.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int runtime_sync_send(int sock, int type, const char *text, int fd)
{
	struct runtime_sync_msg msg = { .type = type };
	if (text)
		snprintf(msg.text, sizeof(msg.text), "%s", text);
	/* Only as much as the text takes: a create sends a dozen messages, mostly without text, and
	 * the whole structure was 32 KiB to copy each time. */
	struct iovec iov = { .iov_base = &msg,
			     .iov_len = offsetof(struct runtime_sync_msg, text) + strlen(msg.text) + 1 };
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (fd >= 0) {
		mh.msg_control = control;
		mh.msg_controllen = sizeof(control);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	for (;;) {
		if (sendmsg(sock, &mh, MSG_NOSIGNAL) >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

int runtime_sync_recv(int sock, struct runtime_sync_msg *msg, int *ret_fd)
{
	struct iovec iov = { .iov_base = msg, .iov_len = sizeof(*msg) };
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)
	};
	if (ret_fd)
		*ret_fd = -1;
	/* A peer that exits with messages of ours unread makes the kernel report ECONNRESET once,
	 * before what it sent us: read on, as its last message is usually why it exited. */
	ssize_t n;
	bool reset = false;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && (errno == EINTR || (errno == ECONNRESET && !reset && (reset = true))));
	if (n < 0)
		return -errno;
	if (n == 0)
		return -EPIPE; /* the other side exited */
	size_t header = offsetof(struct runtime_sync_msg, text);
	if ((size_t)n <= header || (mh.msg_flags & MSG_TRUNC))
		return -EPROTO;
	msg->text[(size_t)n - header - 1] = '\0';
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_type == SCM_RIGHTS && ret_fd)
		memcpy(ret_fd, CMSG_DATA(c), sizeof(int));
	return 0;
}

int runtime_send_fd(const char *path, int fd, const char *text, struct cc_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return cc_error_set(err, ENAMETOOLONG, "socket path `%s` is too long", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	_cleanup_close_ int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return cc_error_set_errno(err, errno, "connect to `%s`", path);
	struct iovec iov = { .iov_base = (void *)text, .iov_len = strlen(text) };
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
		return cc_error_set_errno(err, errno, "send a descriptor to `%s`", path);
	return 0;
}

int runtime_sync_send_or_why(int sock, int type, const char *text, int fd, const char *gone, struct cc_error *err)
{
	int r = runtime_sync_send(sock, type, text, fd);
	if (r == 0)
		return 0;
	if (r != -EPIPE && r != -ECONNRESET)
		return cc_error_set_errno(err, -r, "send to the container process");
	struct runtime_sync_msg msg;
	int got = -1;
	r = runtime_sync_recv(sock, &msg, &got);
	if (got >= 0)
		close(got);
	if (r == 0 && msg.type == RUNTIME_SYNC_ERROR)
		return cc_error_set(err, EPERM, "%s", msg.text);
	return cc_error_set(err, EPIPE, "%s", gone);
}
