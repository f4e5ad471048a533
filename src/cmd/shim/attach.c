/* cocoon-shim attach: `kubectl attach` to a running container, as the exec bridge of cocoond runs it
 * (see shim.h). The container's output is read back from its CRI log, which the monitor writes as
 * it reads the container's pipes: from the end the log has at the start (attach shows what comes,
 * not what was), polled every 100 ms as `tail -f` does, following a rotation by the file's inode.
 * Each CRI line goes back to the stream it came from without its header (an F line with its newline,
 * a P chunk without). Standard input is copied to the container's stdin FIFO; its end closes our
 * write end. The end: the exit file exists (the monitor writes it after the container's last
 * output), the log is read to its end, and the container's exit code is ours. */
#include "cli.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/json/json.h"
#include "shim/shim.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FOLLOW_INTERVAL_MS 100
#define LINE_MAX_HELD      (64u * 1024) /* a CRI line is at most 16 KiB of content and its header */

struct follower {
	const char *path;
	int fd;
	char held[LINE_MAX_HELD];
	size_t held_len;
	bool out, err; /* which streams go through */
};

/* One CRI line (without its newline): TIMESTAMP STREAM TAG CONTENT. A line that is not one is
 * skipped: the log is the monitor's, so this is a torn write, not input to trust. */
static int emit(struct follower *f, const char *line, size_t len)
{
	const char *end = line + len, *stream = memchr(line, ' ', len);
	const char *tag = stream ? memchr(stream + 1, ' ', (size_t)(end - stream - 1)) : NULL;
	if (!tag || end - tag < 2)
		return 0;
	stream++;
	bool is_err = (size_t)(tag - stream) == 6 && memcmp(stream, "stderr", 6) == 0;
	bool partial = tag[1] == 'P';
	const char *content = tag + 3 <= end ? tag + 3 : end;
	if ((is_err && !f->err) || (!is_err && !f->out))
		return 0;
	int fd = is_err ? STDERR_FILENO : STDOUT_FILENO;
	if (cc_write_all(fd, content, (size_t)(end - content)) < 0 || (!partial && cc_write_all(fd, "\n", 1) < 0))
		return -1;
	return 0;
}

/* Reads what the open log holds now; -1 when our reader went away. */
static int drain(struct follower *f)
{
	for (;;) {
		ssize_t n = read(f->fd, f->held + f->held_len, sizeof(f->held) - f->held_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		f->held_len += (size_t)n;
		char *start = f->held, *nl;
		while ((nl = memchr(start, '\n', f->held_len - (size_t)(start - f->held)))) {
			if (emit(f, start, (size_t)(nl - start)) < 0)
				return -1;
			start = nl + 1;
		}
		f->held_len -= (size_t)(start - f->held);
		memmove(f->held, start, f->held_len);
		if (f->held_len == sizeof(f->held)) /* no newline in 64 KiB: not a CRI log, drop it */
			f->held_len = 0;
	}
}

/* The monitor rotated the log: the rest of the old file, then the new one from its start. */
static int follow_rotation(struct follower *f)
{
	struct stat now, open_one;
	if (stat(f->path, &now) < 0 || fstat(f->fd, &open_one) < 0 || now.st_ino == open_one.st_ino)
		return 0;
	if (drain(f) < 0)
		return -1;
	int fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	close(f->fd);
	f->fd = fd;
	f->held_len = 0;
	return 0;
}

static int exit_code(const char *exit_file)
{
	json_t *record = NULL;
	struct cc_error err = { 0 };
	if (cc_json_load_file(exit_file, 65536, &record, &err) < 0)
		return 1;
	int code = (int)json_integer_value(json_object_get(record, "exitCode"));
	json_decref(record);
	return code;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: cocoon-shim attach --log FILE --exit-file FILE [--stdin-fifo FILE] [--no-stdout]\n"
		     "                          [--no-stderr]\n\n"
		     "Follows a container cocoon-shim monitors: its output from now on to this stdout and stderr,\n"
		     "this stdin to its stdin FIFO, until it has exited (its exit code is returned).\n");
}

int shim_attach_main(int argc, char **argv)
{
	enum { OPT_LOG = 256, OPT_EXIT_FILE, OPT_STDIN_FIFO, OPT_NO_STDOUT, OPT_NO_STDERR };
	static const struct option options[] = {
		{ "log", required_argument, NULL, OPT_LOG },
		{ "exit-file", required_argument, NULL, OPT_EXIT_FILE },
		{ "stdin-fifo", required_argument, NULL, OPT_STDIN_FIFO },
		{ "no-stdout", no_argument, NULL, OPT_NO_STDOUT },
		{ "no-stderr", no_argument, NULL, OPT_NO_STDERR },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static struct follower f; /* 64 KiB of line buffer: not on the stack */
	f = (struct follower){ .fd = -1, .out = true, .err = true };
	const char *exit_file = NULL, *fifo = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case OPT_LOG: f.path = optarg; break;
		case OPT_EXIT_FILE: exit_file = optarg; break;
		case OPT_STDIN_FIFO: fifo = optarg; break;
		case OPT_NO_STDOUT: f.out = false; break;
		case OPT_NO_STDERR: f.err = false; break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: usage(stderr); return CLI_EXIT_USAGE;
		}
	}
	if (!f.path || !exit_file || optind != argc) {
		cli_error("cocoon-shim attach", "--log and --exit-file are required, and nothing else; see --help");
		return CLI_EXIT_USAGE;
	}
	if (access(exit_file, F_OK) == 0) {
		cli_error("cocoon-shim attach", "the container has exited: nothing to attach to");
		return CLI_EXIT_FAILURE;
	}
	f.fd = open(f.path, O_RDONLY | O_CLOEXEC);
	if (f.fd < 0) {
		cli_error("cocoon-shim attach", "open the container's log `%s`: %s", f.path, strerror(errno));
		return CLI_EXIT_FAILURE;
	}
	lseek(f.fd, 0, SEEK_END);
	/* Non-blocking open: a FIFO without a reader (the container gone) fails at once instead of waiting. */
	int in_fd = -1;
	if (fifo) {
		in_fd = open(fifo, O_WRONLY | O_CLOEXEC | O_NONBLOCK);
		if (in_fd < 0) {
			cli_error("cocoon-shim attach", "open the container's stdin `%s`: %s", fifo, strerror(errno));
			return CLI_EXIT_FAILURE;
		}
		fcntl(in_fd, F_SETFL, 0);
	}
	for (;;) {
		bool exited = access(exit_file, F_OK) == 0;
		if (drain(&f) < 0 || follow_rotation(&f) < 0)
			return CLI_EXIT_OK; /* the client went away */
		if (exited) {
			drain(&f);
			return exit_code(exit_file);
		}
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
		if (poll(&pfd, in_fd >= 0 ? 1 : 0, FOLLOW_INTERVAL_MS) > 0) {
			char buf[16384];
			ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n > 0 && cc_write_all(in_fd, buf, (size_t)n) == 0)
				continue;
			if (n < 0 && errno == EINTR)
				continue;
			/* stdin ended (or the container's did): the container reads end of file once every
			 * writer is gone; with --stdin-once the monitor has let go already. */
			close(in_fd);
			in_fd = -1;
		}
	}
}
