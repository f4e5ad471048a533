/* The process_* metrics every Prometheus client library exports about its own process (the names
 * and meanings of client_golang's process collector), read from /proc/self at scrape time. */
#pragma once

#include "lib/base/buf.h"

#include <stdint.h>

struct cc_process_stats {
	double cpu_seconds;        /* user + system CPU time */
	double start_time_seconds; /* since the Unix epoch */
	uint64_t resident_bytes;   /* RSS */
	uint64_t virtual_bytes;    /* VSZ */
	uint64_t open_fds;         /* entries of /proc/self/fd */
	uint64_t max_fds;          /* RLIMIT_NOFILE's soft limit */
};

/* Reads the calling process's figures; a negative errno when /proc cannot be read. */
int cc_process_stats_read(struct cc_process_stats *ret);

/* process_cpu_seconds_total, process_open_fds, process_max_fds, process_virtual_memory_bytes,
 * process_resident_memory_bytes and process_start_time_seconds, with HELP and TYPE lines; nothing
 * when /proc cannot be read. */
void cc_prom_write_process(struct cc_buf *out);
