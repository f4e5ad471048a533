/* The process-wide event sink. One write(2) per event on an O_APPEND descriptor, so concurrent
 * emitters (and processes) never interleave within a line.
 *
 * With the audit socket as the sink, an event counts as recorded once the forwarder answered
 * "ok <id>" (it is durable there). When the forwarder cannot say so (nothing listens, it does not
 * answer within SOCKET_TIMEOUT_S, it refuses), the event goes to the spool next to the socket,
 * synced, and an error names the event's component and action: a security decision is never made
 * with its event lost in between. The forwarder's socket input follows the spool, so the event
 * reaches the SIEM once the forwarder runs. Only an event neither can take fails cc_event_emit. */
#include "lib/event/emit.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define SOCKET_TIMEOUT_S 5

static pthread_mutex_t sink_lock = PTHREAD_MUTEX_INITIALIZER;
static int sink_fd = -1;
static char *sink_socket; /* set for a socket sink: its path, for connecting again */

static int connect_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Bounds the connect too when the forwarder's backlog is full. */
	struct timeval tv = { SOCKET_TIMEOUT_S, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno == EINPROGRESS ? ETIMEDOUT : errno;
		close(fd);
		return -e;
	}
	return fd;
}

/* Sets the socket sink (closing the previous sink) with fd, which may be -1 (not connected). */
static void set_socket_sink(const char *path, int fd)
{
	pthread_mutex_lock(&sink_lock);
	if (sink_fd >= 0)
		close(sink_fd);
	sink_fd = fd;
	free(sink_socket);
	sink_socket = cc_xstrdup(path);
	pthread_mutex_unlock(&sink_lock);
}

int cc_event_sink_open_socket(const char *path, struct cc_error *err)
{
	int fd = connect_socket(path);
	/* Even when it cannot connect now, the socket stays the sink: each event tries again and is
	 * spooled when it cannot be sent, instead of being dropped for want of a sink. */
	set_socket_sink(path, fd < 0 ? -1 : fd);
	if (fd < 0)
		return cc_error_set_errno(err, -fd, "connect to the audit socket `%s`", path);
	return 0;
}

int cc_event_sink_open_default(const char *default_path, struct cc_error *err)
{
	const char *socket_path = getenv("COCOON_AUDIT_SOCKET");
	if (socket_path && *socket_path)
		return cc_event_sink_open_socket(socket_path, err);
	return cc_event_sink_open_file(default_path, err);
}

/* Waits for "ok <id>" (the event is durable at the forwarder) or "error <reason>", which goes
 * into why. */
static int await_ack(int fd, const char *id, char *why, size_t why_size)
{
	char reply[512];
	size_t used = 0;
	while (used < sizeof(reply) - 1) {
		ssize_t n = read(fd, reply + used, 1); /* one byte at a time: never consume a later reply */
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			snprintf(why, why_size, "no answer within %d s", SOCKET_TIMEOUT_S);
			return -ETIMEDOUT;
		}
		if (n <= 0) {
			snprintf(why, why_size, "%s", n == 0 ? "the forwarder closed the connection" : strerror(errno));
			return n == 0 ? -EPIPE : -errno;
		}
		if (reply[used++] == '\n')
			break;
	}
	reply[used] = '\0';
	if (strncmp(reply, "ok ", 3) == 0 && strncmp(reply + 3, id, strlen(id)) == 0)
		return 0;
	reply[strcspn(reply, "\r\n")] = '\0';
	snprintf(why, why_size, "the forwarder answered `%s`", reply);
	return -EPROTO;
}

/* MSG_NOSIGNAL: a forwarder that went away is an error to handle, not a SIGPIPE that ends us. */
static int send_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One attempt on the connection (made if there is none); -ETIMEDOUT/-EPROTO when the forwarder
 * is there but did not take the event. Call with sink_lock held. */
static int send_to_forwarder(const char *line, size_t len, const char *id, char *why, size_t why_size)
{
	if (sink_fd < 0) {
		int fd = connect_socket(sink_socket);
		if (fd < 0) {
			snprintf(why, why_size, "cannot connect: %s", strerror(-fd));
			return fd;
		}
		sink_fd = fd;
	}
	int r = send_all(sink_fd, line, len);
	if (r < 0)
		snprintf(why, why_size, "%s", strerror(-r));
	else
		r = await_ack(sink_fd, id, why, why_size);
	if (r < 0) { /* a connection in an unknown state is not used again */
		close(sink_fd);
		sink_fd = -1;
	}
	return r;
}

/* Sends to the forwarder; once more on a new connection when the old one was closed (the
 * forwarder restarted, or let our idle connection go), never twice after a timeout. */
static int emit_to_socket(const char *line, size_t len, const char *id, char *why, size_t why_size)
{
	int r = send_to_forwarder(line, len, id, why, why_size);
	if (r == -EPIPE || r == -ECONNRESET)
		r = send_to_forwarder(line, len, id, why, why_size);
	return r;
}

/* Appends the line to the spool next to the socket and syncs it. */
static int spool(const char *line, size_t len, char *path, size_t path_size)
{
	snprintf(path, path_size, "%s.spool", sink_socket);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	int r = cc_write_all(fd, line, len);
	if (r == 0 && fdatasync(fd) < 0)
		r = -errno;
	return r;
}

/* Call with sink_lock held. */
static int emit_to_socket_or_spool(const struct cc_event *ev, const char *line, size_t len)
{
	char why[600] = "", spool_path[PATH_MAX];
	int r = emit_to_socket(line, len, ev->id, why, sizeof(why));
	if (r == 0)
		return 0;
	int s = spool(line, len, spool_path, sizeof(spool_path));
	if (s == 0) {
		cc_err("the audit forwarder at %s did not take security event %s (%s %s): %s; it was spooled to %s, "
		       "which the forwarder reads when it runs",
		       sink_socket, ev->id, ev->component, ev->action, why, spool_path);
		return 0;
	}
	cc_err("security event %s (%s %s) was NOT recorded: the audit forwarder at %s did not take it (%s) and the "
	       "spool %s cannot be written (%s)",
	       ev->id, ev->component, ev->action, sink_socket, why, spool_path, strerror(-s));
	return r;
}

int cc_event_sink_open_file(const char *path, struct cc_error *err)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return cc_error_set_errno(err, errno, "open event file `%s`", path);
	pthread_mutex_lock(&sink_lock);
	if (sink_fd >= 0)
		close(sink_fd);
	sink_fd = fd;
	free(sink_socket);
	sink_socket = NULL;
	pthread_mutex_unlock(&sink_lock);
	return 0;
}

void cc_event_sink_close(void)
{
	pthread_mutex_lock(&sink_lock);
	if (sink_fd >= 0)
		close(sink_fd);
	sink_fd = -1;
	free(sink_socket);
	sink_socket = NULL;
	pthread_mutex_unlock(&sink_lock);
}

int cc_event_emit(struct cc_event *ev)
{
	_cleanup_free_ char *line = cc_event_canonical(ev);
	size_t len = strlen(line);
	line[len] = '\n'; /* replaces the NUL; written with its length, never used as a string */
	int r = 0;
	pthread_mutex_lock(&sink_lock);
	if (sink_socket) {
		r = emit_to_socket_or_spool(ev, line, len + 1);
	} else if (sink_fd >= 0) {
		r = cc_write_all(sink_fd, line, len + 1);
		if (r < 0)
			cc_err("security event %s (%s %s) was NOT recorded: %s", ev->id, ev->component, ev->action,
			       strerror(-r));
	} else {
		cc_debug("event (no sink): %.*s", (int)len, line);
	}
	pthread_mutex_unlock(&sink_lock);
	cc_event_free(ev);
	return r;
}

int cc_event_emit_decision_extra(const char *component, const char *action, const char *actor, const char *tenant,
				 const char *object, bool allowed, const char *reason, json_t *extra)
{
	struct cc_event *ev;
	int r = cc_event_new(component, action, &ev, NULL);
	if (r < 0) {
		json_decref(extra);
		return r;
	}
	if (actor)
		cc_event_set_actor(ev, actor);
	if (tenant)
		cc_event_set_tenant(ev, tenant);
	if (object)
		cc_event_set_object(ev, object);
	cc_event_set_verdict(ev, allowed ? CC_VERDICT_ALLOW : CC_VERDICT_DENY,
			     allowed ? CC_SEVERITY_INFO : CC_SEVERITY_WARNING);
	if (reason)
		cc_event_set_reason(ev, "%s", reason);
	const char *key;
	json_t *value;
	json_object_foreach (extra, key, value)
		cc_event_set_extra(ev, key, json_incref(value));
	json_decref(extra);
	return cc_event_emit(ev);
}

int cc_event_emit_decision(const char *component, const char *action, const char *actor, const char *tenant,
			   const char *object, bool allowed, const char *reason)
{
	return cc_event_emit_decision_extra(component, action, actor, tenant, object, allowed, reason, NULL);
}
