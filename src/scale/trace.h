/* Pod traces for the simulator: reading a CSV (the shape of Alibaba's public "openb" GPU-cluster
 * trace: name,cpu_milli,memory_mib,...,creation_time,deletion_time) and generating one with daily
 * waves and bursts (docs/scale.md, "Traces"). */
#pragma once

#include <stdint.h>
#include <stdio.h>

struct cc_error;

/* Traces larger than this are refused: 10 million pods. */
#define SCALE_TRACE_MAX_PODS 10000000u

struct scale_trace_pod {
	char *name;
	int64_t cpu_milli;
	int64_t memory;  /* bytes */
	int64_t created; /* seconds */
	int64_t deleted; /* seconds; -1: never deleted */
};

struct scale_trace {
	struct scale_trace_pod *pods;
	size_t n, cap;
};

/* Reads a CSV whose header names at least name, cpu_milli, memory_mib, creation_time and
 * deletion_time, in any order (other columns are ignored). A deletion_time that is empty, absent or
 * negative means never deleted; one before the creation is an error naming the line. what names the
 * input in messages. */
int scale_trace_read(FILE *in, const char *what, struct scale_trace *ret, struct cc_error *err);
void scale_trace_add(struct scale_trace *trace, const char *name, int64_t cpu_milli, int64_t memory, int64_t created,
		     int64_t deleted);
void scale_trace_release(struct scale_trace *trace);

/* The generator's knobs; every run with the same options and seed writes the same trace. */
struct scale_trace_options {
	uint64_t seed;
	int64_t duration;      /* seconds */
	int64_t peak_pods;     /* pods running at the daily peak, roughly */
	int64_t mean_lifetime; /* seconds, exponentially distributed */
	double bursts_per_day; /* batches of short pods at random times */
	int64_t burst_pods;    /* pods in a batch */
	const char *sizes;     /* "small", "mixed" (default) or "large" */
};

int scale_trace_generate(const struct scale_trace_options *options, struct scale_trace *ret, struct cc_error *err);
/* Writes the trace as CSV with the header name,cpu_milli,memory_mib,creation_time,deletion_time. */
int scale_trace_write(const struct scale_trace *trace, FILE *out, struct cc_error *err);
