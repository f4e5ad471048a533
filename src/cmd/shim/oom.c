/* OOM-kill detection through the memory cgroup's counter (see oom.h). Kernel documentation:
 * admin-guide/cgroup-v2.rst (memory.events: oom_kill) and cgroup-v1/memory.rst (memory.oom_control). */
#include "cmd/shim/oom.h"

#include "lib/base/cleanup.h"
#include "lib/base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define CGROUP_ROOT "/sys/fs/cgroup"

bool shim_oom_parse_count(const char *text, uint64_t *ret_count)
{
	static const char key[] = "oom_kill ";
	for (const char *line = text; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, key, strlen(key)) != 0)
			continue;
		char *end;
		errno = 0;
		unsigned long long v = strtoull(line + strlen(key), &end, 10);
		if (errno || end == line + strlen(key) || (*end != '\n' && *end != '\0'))
			return false;
		*ret_count = v;
		return true;
	}
	return false;
}

static bool read_count(int fd, uint64_t *ret)
{
	char text[1024];
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
	if (n <= 0)
		return false;
	text[n] = '\0';
	return shim_oom_parse_count(text, ret);
}

/* The counter file for one line of /proc/PID/cgroup ("ID:CONTROLLERS:PATH"), or NULL. */
static char *counter_path(const char *line)
{
	const char *c1 = strchr(line, ':');
	const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (!c2)
		return NULL;
	const char *path = c2 + 1;
	size_t path_len = strcspn(path, "\n");
	if (c2 == c1 + 1) {
		/* cgroup v2: the unified hierarchy at /sys/fs/cgroup, or at .../unified in hybrid mode. */
		struct statfs fs;
		bool unified = statfs(CGROUP_ROOT, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
		return cc_xasprintf("%s%.*s/memory.events", unified ? CGROUP_ROOT : CGROUP_ROOT "/unified",
				    (int)path_len, path);
	}
	/* cgroup v1: the hierarchy whose controllers include memory. */
	_cleanup_free_ char *controllers = cc_xstrndup(c1 + 1, (size_t)(c2 - c1 - 1));
	for (char *save, *name = strtok_r(controllers, ",", &save); name; name = strtok_r(NULL, ",", &save))
		if (strcmp(name, "memory") == 0)
			return cc_xasprintf(CGROUP_ROOT "/memory%.*s/memory.oom_control", (int)path_len, path);
	return NULL;
}

void shim_oom_watch(struct shim_oom *oom, pid_t pid)
{
	*oom = (struct shim_oom){ .fd = -1 };
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/%d/cgroup", (int)pid);
	_cleanup_fclose_ FILE *f = fopen(proc, "re");
	if (!f) {
		cc_warning("cannot read `%s` (OOM kills will not be told apart): %s", proc, strerror(errno));
		return;
	}
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		_cleanup_free_ char *path = counter_path(line);
		if (!path)
			continue;
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		uint64_t count;
		if (fd < 0 || !read_count(fd, &count)) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		oom->fd = fd;
		oom->baseline = count;
		cc_debug("OOM kills counted in `%s` (now %" PRIu64 ")", path, count);
		return;
	}
	cc_info("no memory cgroup counter found for pid %d: OOM kills will be reported as errors", (int)pid);
}

bool shim_oom_killed(struct shim_oom *oom)
{
	uint64_t count;
	return oom->fd >= 0 && read_count(oom->fd, &count) && count > oom->baseline;
}

void shim_oom_close(struct shim_oom *oom)
{
	if (oom->fd >= 0)
		close(oom->fd);
	oom->fd = -1;
}
