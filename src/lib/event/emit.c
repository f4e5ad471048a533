/* The process-wide event sink. One write(2) per event on an O_APPEND descriptor, so concurrent
 * emitters (and processes) never interleave within a line. */
#include "lib/event/emit.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static pthread_mutex_t sink_lock = PTHREAD_MUTEX_INITIALIZER;
static int sink_fd = -1;
static char *sink_socket; /* set for a socket sink: its path, for reconnecting */

static int connect_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct timeval tv = { 5, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

int cc_event_sink_open_socket(const char *path, struct cc_error *err)
{
	int fd = connect_socket(path);
	if (fd < 0)
		return cc_error_set_errno(err, -fd, "connect to the audit socket `%s`", path);
	pthread_mutex_lock(&sink_lock);
	if (sink_fd >= 0)
		close(sink_fd);
	sink_fd = fd;
	free(sink_socket);
	sink_socket = cc_xstrdup(path);
	pthread_mutex_unlock(&sink_lock);
	return 0;
}

int cc_event_sink_open_default(const char *default_path, struct cc_error *err)
{
	const char *socket_path = getenv("COCOON_AUDIT_SOCKET");
	if (socket_path && *socket_path)
		return cc_event_sink_open_socket(socket_path, err);
	return cc_event_sink_open_file(default_path, err);
}

/* Waits for "ok <id>" (the event is durable at the forwarder) or "error <reason>". */
static int await_ack(int fd, const char *id)
{
	char reply[512];
	size_t used = 0;
	while (used < sizeof(reply) - 1) {
		ssize_t n = read(fd, reply + used, 1); /* one byte at a time: never consume a later reply */
		if (n <= 0)
			return n == 0 ? -EPIPE : -errno;
		if (reply[used++] == '\n')
			break;
	}
	reply[used] = '\0';
	if (strncmp(reply, "ok ", 3) == 0 && strncmp(reply + 3, id, strlen(id)) == 0)
		return 0;
	cc_err("the audit forwarder refused event %s: %s", id, reply);
	return -EPROTO;
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
	if (sink_fd >= 0 && sink_socket) {
		/* One reconnect attempt: the forwarder may have restarted since the last event. */
		for (int attempt = 0; attempt < 2; attempt++) {
			r = cc_write_all(sink_fd, line, len + 1);
			if (r == 0)
				r = await_ack(sink_fd, ev->id);
			if (r == 0 || r == -EPROTO || attempt == 1)
				break;
			int fd = connect_socket(sink_socket);
			if (fd < 0)
				break;
			close(sink_fd);
			sink_fd = fd;
		}
	} else if (sink_fd >= 0) {
		r = cc_write_all(sink_fd, line, len + 1);
	} else {
		cc_debug("event (no sink): %.*s", (int)len, line);
	}
	pthread_mutex_unlock(&sink_lock);
	if (r < 0)
		cc_err("could not record security event %s (%s %s): %s", ev->id, ev->component, ev->action,
		       strerror(-r));
	cc_event_free(ev);
	return r;
}

int cc_event_emit_decision(const char *component, const char *action, const char *actor, const char *tenant,
			   const char *object, bool allowed, const char *reason)
{
	struct cc_event *ev;
	int r = cc_event_new(component, action, &ev, NULL);
	if (r < 0)
		return r;
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
	return cc_event_emit(ev);
}
