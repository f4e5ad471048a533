/* process_* metrics from /proc (see process.h). /proc/PID/stat's fields are counted after the
 * command name's closing parenthesis, since the name itself may hold spaces and parentheses
 * (proc(5): field 3 is the state, 14 utime, 15 stime, 22 starttime, 23 vsize, 24 rss). */
#include "lib/metrics/process.h"

#include "lib/base/cleanup.h"
#include "lib/metrics/prometheus.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* The "btime" line of /proc/stat: the boot time in seconds since the epoch. */
static int boot_time(long long *ret)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/stat", "re");
	if (!f)
		return -errno;
	char line[256];
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "btime %lld", ret) == 1)
			return 0;
	return -ENOENT;
}

static int read_stat(struct cc_process_stats *st)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/stat", "re");
	if (!f)
		return -errno;
	char text[1024];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	const char *p = strrchr(text, ')');
	if (!p)
		return -EIO;
	unsigned long long utime, stime, start, vsize;
	long long rss;
	/* From field 3 (state) on: skip 4..13, read 14 and 15, skip 16..21, read 22, 23 and 24. */
	if (sscanf(p + 1,
		   " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu %llu %lld",
		   &utime, &stime, &start, &vsize, &rss) != 5)
		return -EIO;
	long ticks = sysconf(_SC_CLK_TCK);
	long page = sysconf(_SC_PAGESIZE);
	long long boot;
	int r = boot_time(&boot);
	if (r < 0)
		return r;
	st->cpu_seconds = (double)(utime + stime) / (double)ticks;
	st->start_time_seconds = (double)boot + (double)start / (double)ticks;
	st->virtual_bytes = vsize;
	st->resident_bytes = rss > 0 ? (uint64_t)rss * (uint64_t)page : 0;
	return 0;
}

static int count_fds(uint64_t *ret)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -errno;
	uint64_t n = 0;
	for (struct dirent *e; (e = readdir(d));)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	*ret = n > 0 ? n - 1 : 0; /* not the directory's own descriptor */
	return 0;
}

int cc_process_stats_read(struct cc_process_stats *ret)
{
	struct cc_process_stats st = { 0 };
	int r = read_stat(&st);
	if (r == 0)
		r = count_fds(&st.open_fds);
	if (r < 0)
		return r;
	struct rlimit lim;
	if (getrlimit(RLIMIT_NOFILE, &lim) == 0)
		st.max_fds = lim.rlim_cur;
	*ret = st;
	return 0;
}

void cc_prom_write_process(struct cc_buf *out)
{
	struct cc_process_stats st;
	if (cc_process_stats_read(&st) < 0)
		return;
	cc_prom_write_single(out, "process_cpu_seconds_total", CC_PROM_COUNTER,
			     "Total user and system CPU time spent in seconds.", st.cpu_seconds);
	cc_prom_write_single(out, "process_open_fds", CC_PROM_GAUGE, "Number of open file descriptors.",
			     (double)st.open_fds);
	cc_prom_write_single(out, "process_max_fds", CC_PROM_GAUGE, "Maximum number of open file descriptors.",
			     (double)st.max_fds);
	cc_prom_write_single(out, "process_virtual_memory_bytes", CC_PROM_GAUGE, "Virtual memory size in bytes.",
			     (double)st.virtual_bytes);
	cc_prom_write_single(out, "process_resident_memory_bytes", CC_PROM_GAUGE, "Resident memory size in bytes.",
			     (double)st.resident_bytes);
	cc_prom_write_single(out, "process_start_time_seconds", CC_PROM_GAUGE,
			     "Start time of the process since unix epoch in seconds.", st.start_time_seconds);
}
