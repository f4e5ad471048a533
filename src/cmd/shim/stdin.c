/* The container's stdin FIFO (see stdin.h). */
#include "cmd/shim/stdin.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

int shim_stdin_open(struct shim_stdin *s, const char *path, bool once, struct cc_error *err)
{
	*s = (struct shim_stdin){ .read_fd = -1, .hold_fd = -1, .watch_fd = -1, .path = cc_xstrdup(path) };
	unlink(path);
	if (mkfifo(path, 0600) < 0)
		return cc_error_set_errno(err, errno, "make the container's stdin `%s`", path);
	/* The hold first: a read end opened without a writer would see end of file. O_RDWR does not wait. */
	s->hold_fd = open(path, O_RDWR | O_CLOEXEC);
	if (s->hold_fd >= 0)
		s->read_fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (s->hold_fd < 0 || s->read_fd < 0)
		return cc_error_set_errno(err, errno, "open the container's stdin `%s`", path);
	/* The container reads as a program reads its stdin: blocking. */
	fcntl(s->read_fd, F_SETFL, 0);
	if (once) {
		s->watch_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		if (s->watch_fd < 0 || inotify_add_watch(s->watch_fd, path, IN_OPEN) < 0)
			return cc_error_set_errno(err, errno, "watch the container's stdin `%s`", path);
	}
	return 0;
}

void shim_stdin_handed_over(struct shim_stdin *s)
{
	if (s->read_fd >= 0)
		close(s->read_fd);
	s->read_fd = -1;
}

void shim_stdin_attached(struct shim_stdin *s)
{
	char buf[4096];
	while (read(s->watch_fd, buf, sizeof(buf)) > 0)
		;
	/* The opener holds its write end now: when it closes it, the container reads end of file. */
	if (s->hold_fd >= 0)
		close(s->hold_fd);
	s->hold_fd = -1;
	close(s->watch_fd);
	s->watch_fd = -1;
	cc_info("stdin: the first attacher is in; the container's stdin ends with its");
}

void shim_stdin_close(struct shim_stdin *s)
{
	if (!s->path)
		return;
	const int fds[] = { s->read_fd, s->hold_fd, s->watch_fd };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	unlink(s->path);
	free(s->path);
	*s = (struct shim_stdin){ .read_fd = -1, .hold_fd = -1, .watch_fd = -1 };
}
