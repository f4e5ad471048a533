/* The container's stdin, when the pod spec asks for one (`stdin: true`): a FIFO at a path the
 * monitor makes (0600), whose read end the runtime hands to the container and to which `kubectl
 * attach -i` writes (through `cocoon-shim attach`). The monitor holds a write end, so the container
 * blocks on an empty stdin instead of reading its end while nobody is attached, and attachers may
 * come and go; with stdinOnce it lets go of that end when the first attacher opens the FIFO (seen
 * with inotify), so the container reads end of file when that attacher's stdin ends, as kubelet
 * gives it. */
#pragma once

#include <stdbool.h>

struct cc_error;

struct shim_stdin {
	int read_fd;  /* the container's end, until create has handed it over; -1 after */
	int hold_fd;  /* the monitor's write end; -1 once let go (stdinOnce) */
	int watch_fd; /* inotify on the FIFO while waiting for the first attacher (stdinOnce), else -1 */
	char *path;
};

/* Makes the FIFO (replacing a stale one) and opens its ends. */
int shim_stdin_open(struct shim_stdin *s, const char *path, bool once, struct cc_error *err);
/* After create: the container holds its end now. */
void shim_stdin_handed_over(struct shim_stdin *s);
/* The watch descriptor is readable: an attacher opened the FIFO; stdinOnce lets go of the hold. */
void shim_stdin_attached(struct shim_stdin *s);
/* Closes everything and removes the FIFO. */
void shim_stdin_close(struct shim_stdin *s);
