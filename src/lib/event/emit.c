/* The process-wide event sink. One write(2) per event on an O_APPEND descriptor, so concurrent
 * emitters (and processes) never interleave within a line. */
#include "event/emit.h"

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t sink_lock = PTHREAD_MUTEX_INITIALIZER;
static int sink_fd = -1;

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
	pthread_mutex_unlock(&sink_lock);
}

int cc_event_emit(struct cc_event *ev)
{
	_cleanup_free_ char *line = cc_event_canonical(ev);
	size_t len = strlen(line);
	line[len] = '\n'; /* replaces the NUL; written with its length, never used as a string */
	int r = 0;
	pthread_mutex_lock(&sink_lock);
	if (sink_fd >= 0)
		r = cc_write_all(sink_fd, line, len + 1);
	else
		cc_debug("event (no sink): %.*s", (int)len, line);
	pthread_mutex_unlock(&sink_lock);
	if (r < 0)
		cc_err("could not record security event %s (%s %s): %s", ev->id, ev->component, ev->action,
		       strerror(-r));
	cc_event_free(ev);
	return r;
}
