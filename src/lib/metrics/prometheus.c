/* Prometheus text format 0.0.4, histograms and labelled families (see prometheus.h). A family keeps
 * its series in an array in first-seen order (the order a scrape lists them) with a small hash index
 * of chained entries beside it; both are only touched under the family's mutex, which every update
 * takes for a few comparisons and an addition. */
#include "lib/metrics/prometheus.h"

#include "lib/base/cleanup.h"

#include <assert.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the writer ---- */

static const char *type_name(enum cc_prom_type type)
{
	switch (type) {
	case CC_PROM_COUNTER: return "counter";
	case CC_PROM_GAUGE: return "gauge";
	case CC_PROM_HISTOGRAM: return "histogram";
	}
	return "untyped";
}

/* The format's escapes: \\ and \n everywhere, \" inside a label value. */
static void write_escaped(struct cc_buf *out, const char *s, bool quote)
{
	for (const char *p = s; *p; p++) {
		if (*p == '\\')
			cc_buf_append_str(out, "\\\\");
		else if (*p == '\n')
			cc_buf_append_str(out, "\\n");
		else if (*p == '"' && quote)
			cc_buf_append_str(out, "\\\"");
		else
			cc_buf_append(out, p, 1);
	}
}

void cc_prom_write_header(struct cc_buf *out, const char *name, enum cc_prom_type type, const char *help)
{
	if (help) {
		cc_buf_appendf(out, "# HELP %s ", name);
		write_escaped(out, help, false);
		cc_buf_append_str(out, "\n");
	}
	cc_buf_appendf(out, "# TYPE %s %s\n", name, type_name(type));
}

void cc_prom_write_number(struct cc_buf *out, double v)
{
	if (v != v) {
		cc_buf_append_str(out, "NaN");
	} else if (v > 1.7976931348623157e308 || v < -1.7976931348623157e308) {
		cc_buf_append_str(out, v > 0 ? "+Inf" : "-Inf");
	} else if (v > -9007199254740992.0 && v < 9007199254740992.0 && (double)(int64_t)v == v) {
		/* Counts and byte sizes: exact integers below 2^53 print without a fraction or exponent. */
		cc_buf_appendf(out, "%lld", (long long)(int64_t)v);
	} else {
		/* The shortest of 15, 16 and 17 digits that reads back as the same double, nearly what
		 * Go's strconv.FormatFloat(v, 'g', -1, 64) prints in the official clients. */
		char text[40];
		for (int digits = 15; digits <= 17; digits++) {
			snprintf(text, sizeof(text), "%.*g", digits, v);
			if (strtod(text, NULL) == v)
				break;
		}
		cc_buf_append_str(out, text);
	}
}

/* {a="x",b="y"} with an optional extra label last (a histogram's le), or nothing without labels. */
static void write_labels(struct cc_buf *out, const char *const *names, const char *const *values,
			 const char *extra_name, const char *extra_value)
{
	bool any = false;
	for (size_t i = 0; names && names[i]; i++) {
		cc_buf_appendf(out, "%s%s=\"", any ? "," : "{", names[i]);
		write_escaped(out, values[i] ? values[i] : "", true);
		cc_buf_append_str(out, "\"");
		any = true;
	}
	if (extra_name) {
		cc_buf_appendf(out, "%s%s=\"%s\"", any ? "," : "{", extra_name, extra_value);
		any = true;
	}
	if (any)
		cc_buf_append_str(out, "}");
}

void cc_prom_write_sample(struct cc_buf *out, const char *name, const char *const *names, const char *const *values,
			  double value)
{
	cc_buf_append_str(out, name);
	write_labels(out, names, values, NULL, NULL);
	cc_buf_append_str(out, " ");
	cc_prom_write_number(out, value);
	cc_buf_append_str(out, "\n");
}

void cc_prom_write_single(struct cc_buf *out, const char *name, enum cc_prom_type type, const char *help, double value)
{
	cc_prom_write_header(out, name, type, help);
	cc_prom_write_sample(out, name, NULL, NULL, value);
}

/* ---- histograms ---- */

void cc_prom_histogram_init(struct cc_prom_histogram *h, const double *bounds, size_t bound_count)
{
	assert(bound_count <= CC_PROM_MAX_BUCKETS);
	*h = (struct cc_prom_histogram){ .bounds = bounds, .bound_count = bound_count };
}

void cc_prom_histogram_observe(struct cc_prom_histogram *h, double value)
{
	size_t i = 0;
	/* "le": a value equal to a bound falls in that bound's bucket. */
	while (i < h->bound_count && value > h->bounds[i])
		i++;
	h->counts[i]++;
	h->sum += value;
}

void cc_prom_write_histogram(struct cc_buf *out, const char *name, const char *const *names, const char *const *values,
			     const struct cc_prom_histogram *h)
{
	_cleanup_free_ char *bucket = cc_xasprintf("%s_bucket", name);
	uint64_t cumulative = 0;
	for (size_t i = 0; i <= h->bound_count; i++) {
		cumulative += h->counts[i];
		struct cc_buf le = CC_BUF_INIT;
		if (i < h->bound_count)
			cc_prom_write_number(&le, h->bounds[i]);
		cc_buf_append_str(out, bucket);
		write_labels(out, names, values, "le", i < h->bound_count ? le.data : "+Inf");
		cc_buf_appendf(out, " %llu\n", (unsigned long long)cumulative);
		cc_buf_free(&le);
	}
	cc_buf_appendf(out, "%s_sum", name);
	write_labels(out, names, values, NULL, NULL);
	cc_buf_append_str(out, " ");
	cc_prom_write_number(out, h->sum);
	cc_buf_appendf(out, "\n%s_count", name);
	write_labels(out, names, values, NULL, NULL);
	cc_buf_appendf(out, " %llu\n", (unsigned long long)cumulative);
}

/* ---- families ---- */

#define INDEX_SIZE 256 /* hash chains; a family rarely has more than a few hundred series */
#define NO_SERIES  SIZE_MAX

struct series {
	uint64_t hash;
	char **values; /* label_count strings */
	double value;
	struct cc_prom_histogram histogram;
	size_t next; /* the next series in the same hash chain, or NO_SERIES */
};

struct cc_prom_family {
	const char *name, *help;
	enum cc_prom_type type;
	const char *const *label_names;
	size_t label_count;
	const double *bounds;
	size_t bound_count;
	size_t max_series;
	pthread_mutex_t lock;
	struct series *series;
	size_t count, capacity;
	size_t index[INDEX_SIZE];
	uint64_t dropped;
};

static bool valid_label_name(const char *s)
{
	if (!s[0] || (s[0] >= '0' && s[0] <= '9') || (s[0] == '_' && s[1] == '_')) /* __ is reserved */
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	return true;
}

struct cc_prom_family *cc_prom_family_new(const char *name, enum cc_prom_type type, const char *help,
					  const char *const *label_names, const double *bounds, size_t bound_count,
					  size_t max_series)
{
	struct cc_prom_family *f = cc_xcalloc(1, sizeof(*f));
	*f = (struct cc_prom_family){ .name = name,
				      .help = help,
				      .type = type,
				      .label_names = label_names,
				      .bounds = bounds,
				      .bound_count = bound_count,
				      .max_series = max_series ? max_series : 1000 };
	while (label_names && label_names[f->label_count]) {
		assert(valid_label_name(label_names[f->label_count]));
		f->label_count++;
	}
	assert(f->label_count <= CC_PROM_MAX_LABELS);
	assert(type != CC_PROM_HISTOGRAM || bound_count <= CC_PROM_MAX_BUCKETS);
	for (size_t i = 0; i < INDEX_SIZE; i++)
		f->index[i] = NO_SERIES;
	pthread_mutex_init(&f->lock, NULL);
	return f;
}

void cc_prom_family_free(struct cc_prom_family *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->count; i++) {
		for (size_t j = 0; j < f->label_count; j++)
			free(f->series[i].values[j]);
		free(f->series[i].values);
	}
	free(f->series);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* FNV-1a over the values, each ended by a byte no label value holds in practice (0xff). */
static uint64_t hash_values(const struct cc_prom_family *f, const char *const *values)
{
	uint64_t h = 14695981039346656037ull;
	for (size_t i = 0; i < f->label_count; i++) {
		for (const unsigned char *p = (const unsigned char *)(values[i] ? values[i] : ""); *p; p++)
			h = (h ^ *p) * 1099511628211ull;
		h = (h ^ 0xff) * 1099511628211ull;
	}
	return h;
}

static bool same_values(const struct cc_prom_family *f, const struct series *s, const char *const *values)
{
	for (size_t i = 0; i < f->label_count; i++)
		if (strcmp(s->values[i], values[i] ? values[i] : "") != 0)
			return false;
	return true;
}

/* The series of these label values, made if there is room; NULL (and counted) when the table is
 * full. Lock held. */
static struct series *find_series(struct cc_prom_family *f, const char *const *values)
{
	uint64_t hash = hash_values(f, values);
	size_t *link = &f->index[hash % INDEX_SIZE];
	for (size_t i = *link; i != NO_SERIES; i = f->series[i].next)
		if (f->series[i].hash == hash && same_values(f, &f->series[i], values))
			return &f->series[i];
	if (f->count == f->max_series) {
		f->dropped++;
		return NULL;
	}
	if (f->count == f->capacity) {
		f->capacity = f->capacity ? f->capacity * 2 : 16;
		f->series = cc_xrealloc(f->series, f->capacity * sizeof(*f->series));
	}
	struct series *s = &f->series[f->count];
	*s = (struct series){ .hash = hash, .values = cc_xcalloc(f->label_count, sizeof(char *)), .next = *link };
	for (size_t i = 0; i < f->label_count; i++)
		s->values[i] = cc_xstrdup(values[i] ? values[i] : "");
	cc_prom_histogram_init(&s->histogram, f->bounds, f->type == CC_PROM_HISTOGRAM ? f->bound_count : 0);
	*link = f->count++;
	return s;
}

void cc_prom_family_add(struct cc_prom_family *f, const char *const *values, double delta)
{
	if (f->type == CC_PROM_COUNTER && !(delta >= 0))
		return;
	pthread_mutex_lock(&f->lock);
	struct series *s = find_series(f, values);
	if (s)
		s->value += delta;
	pthread_mutex_unlock(&f->lock);
}

void cc_prom_family_set(struct cc_prom_family *f, const char *const *values, double value)
{
	pthread_mutex_lock(&f->lock);
	struct series *s = find_series(f, values);
	if (s)
		s->value = value;
	pthread_mutex_unlock(&f->lock);
}

void cc_prom_family_observe(struct cc_prom_family *f, const char *const *values, double value)
{
	pthread_mutex_lock(&f->lock);
	struct series *s = find_series(f, values);
	if (s)
		cc_prom_histogram_observe(&s->histogram, value);
	pthread_mutex_unlock(&f->lock);
}

void cc_prom_family_write(struct cc_prom_family *f, struct cc_buf *out)
{
	cc_prom_write_header(out, f->name, f->type, f->help);
	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < f->count; i++) {
		const struct series *s = &f->series[i];
		const char *const *values = (const char *const *)s->values;
		if (f->type == CC_PROM_HISTOGRAM)
			cc_prom_write_histogram(out, f->name, f->label_names, values, &s->histogram);
		else
			cc_prom_write_sample(out, f->name, f->label_names, values, s->value);
	}
	pthread_mutex_unlock(&f->lock);
}

uint64_t cc_prom_family_dropped(struct cc_prom_family *f)
{
	pthread_mutex_lock(&f->lock);
	uint64_t dropped = f->dropped;
	pthread_mutex_unlock(&f->lock);
	return dropped;
}
