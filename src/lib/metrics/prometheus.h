/* Prometheus' text exposition format, version 0.0.4 (what Prometheus, promtool and every scraper
 * read; https://prometheus.io/docs/instrumenting/exposition_formats/), and the few metric kinds a
 * server needs to fill it:
 *
 *   - the writer: "# HELP" and "# TYPE" lines, samples with escaped label values, and numbers as Go's
 *     client prints them (integers without a fraction, +Inf, -Inf, NaN);
 *   - a histogram with fixed upper bounds (cumulative buckets, _sum and _count are computed when it is
 *     written, so the three always agree);
 *   - a family: one metric name with a fixed list of label names and a small table of series keyed by
 *     the label values, behind one mutex, for counters, gauges and histograms whose label values are
 *     known only at run time (an HTTP request's verb, resource and code). The table has a size limit:
 *     a series past it is not created and is counted as dropped, so label values that come from
 *     clients cannot grow memory without bound.
 *
 * Thread-safe where it says so: the family's calls may come from any thread. */
#pragma once

#include "lib/base/buf.h"

#include <stddef.h>
#include <stdint.h>

/* The Content-Type of a scrape's answer. */
#define CC_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#define CC_PROM_MAX_LABELS  12 /* label names of one family */
#define CC_PROM_MAX_BUCKETS 32 /* upper bounds of one histogram, +Inf not counted */

enum cc_prom_type {
	CC_PROM_COUNTER,
	CC_PROM_GAUGE,
	CC_PROM_HISTOGRAM,
};

/* ---- the writer ---- */

/* "# HELP name help" (help escaped) and "# TYPE name type"; help may be NULL. */
void cc_prom_write_header(struct cc_buf *out, const char *name, enum cc_prom_type type, const char *help);
/* A number as Prometheus reads it: 42, 0.005, 1.5e-07, +Inf, -Inf, NaN. */
void cc_prom_write_number(struct cc_buf *out, double value);
/* name{label="value",...} value. names is NULL-terminated (or NULL: no labels); values has as many
 * entries, escaped here (\\, \" and \n). */
void cc_prom_write_sample(struct cc_buf *out, const char *name, const char *const *names, const char *const *values,
			  double value);
/* The header and one sample without labels: a process-wide gauge or counter. */
void cc_prom_write_single(struct cc_buf *out, const char *name, enum cc_prom_type type, const char *help, double value);

/* ---- histograms ---- */

struct cc_prom_histogram {
	const double *bounds; /* ascending upper bounds; the +Inf bucket is implicit */
	size_t bound_count;
	uint64_t counts[CC_PROM_MAX_BUCKETS + 1]; /* per bucket, not cumulative; the last is +Inf */
	double sum;
};

/* bounds must stay valid for the histogram's life (a static table); at most CC_PROM_MAX_BUCKETS. */
void cc_prom_histogram_init(struct cc_prom_histogram *h, const double *bounds, size_t bound_count);
/* Not thread-safe by itself: a family's histograms are observed under the family's lock. */
void cc_prom_histogram_observe(struct cc_prom_histogram *h, double value);
/* name_bucket{...,le="B"} (cumulative), name_sum and name_count, with the labels given. */
void cc_prom_write_histogram(struct cc_buf *out, const char *name, const char *const *names, const char *const *values,
			     const struct cc_prom_histogram *h);

/* ---- families ---- */

struct cc_prom_family;

/* label_names: NULL-terminated, at most CC_PROM_MAX_LABELS, each a valid label name; the strings and
 * bounds (for CC_PROM_HISTOGRAM) must outlive the family. max_series: 0 selects 1,000. */
struct cc_prom_family *cc_prom_family_new(const char *name, enum cc_prom_type type, const char *help,
					  const char *const *label_names, const double *bounds, size_t bound_count,
					  size_t max_series);
void cc_prom_family_free(struct cc_prom_family *f);
/* values: one per label name. A counter only goes up (a negative delta is ignored). */
void cc_prom_family_add(struct cc_prom_family *f, const char *const *values, double delta);
void cc_prom_family_set(struct cc_prom_family *f, const char *const *values, double value);
void cc_prom_family_observe(struct cc_prom_family *f, const char *const *values, double value);
/* Every series, with the family's header, in the order they were first seen. */
void cc_prom_family_write(struct cc_prom_family *f, struct cc_buf *out);
/* Series refused because the table was full (each refused update counts). */
uint64_t cc_prom_family_dropped(struct cc_prom_family *f);
