/* Trace CSV reading and writing, and the generator (trace.h).
 *
 * The generator wants to be reproducible everywhere, so its random numbers come from a xoshiro256**
 * state it owns (seeded by splitmix64), not from rand(): the same seed gives the same bytes on
 * every machine and no other code's calls can disturb it. Load: pods arrive as a Poisson process
 * whose rate follows the day (low at 04:00, peak at 16:00) so that, with exponential lifetimes,
 * about peak_pods run at the peak; bursts add batches of short-lived pods. */
#include "scale/trace.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum column {
	COLUMN_NAME,
	COLUMN_CPU,
	COLUMN_MEMORY,
	COLUMN_CREATED,
	COLUMN_DELETED,
	COLUMN_MAX,
};

static const char *const column_names[COLUMN_MAX] = { "name", "cpu_milli", "memory_mib", "creation_time",
						      "deletion_time" };

void scale_trace_add(struct scale_trace *t, const char *name, int64_t cpu_milli, int64_t memory, int64_t created,
		     int64_t deleted)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 1024;
		t->pods = cc_xrealloc(t->pods, t->cap * sizeof(*t->pods));
	}
	t->pods[t->n++] = (struct scale_trace_pod){ cc_xstrdup(name), cpu_milli, memory, created, deleted };
}

void scale_trace_release(struct scale_trace *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->pods[i].name);
	free(t->pods);
	memset(t, 0, sizeof(*t));
}

/* Splits line in place at commas; a field in double quotes may hold commas ("" is a quote). */
static size_t split_csv(char *line, char **fields, size_t max)
{
	size_t n = 0;
	char *p = line;
	while (n < max) {
		char *out = p;
		fields[n++] = p;
		if (*p == '"') {
			char *r = p + 1;
			for (;;) {
				if (*r == '\0')
					break;
				if (*r == '"' && r[1] == '"') {
					*out++ = '"';
					r += 2;
				} else if (*r == '"') {
					r++;
					break;
				} else {
					*out++ = *r++;
				}
			}
			p = r;
		} else {
			while (*p && *p != ',')
				p++;
			out = p;
		}
		char sep = *p;
		*out = '\0';
		if (sep != ',')
			break;
		p++;
	}
	return n;
}

/* A number of seconds, millicores or MiB: decimal, not negative unless allow_negative; rounded up. */
static int parse_number(const char *text, double scale, bool allow_negative, int64_t *ret)
{
	char *end = NULL;
	errno = 0;
	double v = strtod(text, &end);
	if (end == text || *end != '\0' || errno || !isfinite(v) || (!allow_negative && v < 0) ||
	    fabs(v * scale) > 9e15)
		return -EINVAL;
	*ret = (int64_t)ceil(v * scale);
	return 0;
}

static int read_header(char *line, int *index, const char *what, struct cc_error *err)
{
	char *fields[256];
	size_t n = split_csv(line, fields, 256);
	for (int c = 0; c < COLUMN_MAX; c++)
		index[c] = -1;
	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < COLUMN_MAX; c++)
			if (strcmp(fields[i], column_names[c]) == 0)
				index[c] = (int)i;
	for (int c = 0; c < COLUMN_MAX; c++)
		if (index[c] < 0 && c != COLUMN_DELETED)
			return cc_error_set(err, EINVAL,
					    "%s: the header has no column `%s` (it needs name, cpu_milli, memory_mib, "
					    "creation_time and deletion_time)",
					    what, column_names[c]);
	return 0;
}

static int read_row(char *line, const int *index, size_t number, const char *what, struct scale_trace *t,
		    struct cc_error *err)
{
	char *fields[256];
	size_t n = split_csv(line, fields, 256);
	const char *v[COLUMN_MAX];
	for (int c = 0; c < COLUMN_MAX; c++) {
		v[c] = index[c] >= 0 && (size_t)index[c] < n ? fields[index[c]] : NULL;
		if (!v[c] && c != COLUMN_DELETED)
			return cc_error_set(err, EINVAL, "%s line %zu: no `%s` field", what, number, column_names[c]);
	}
	int64_t cpu, memory, created, deleted = -1;
	if (parse_number(v[COLUMN_CPU], 1, false, &cpu) < 0)
		return cc_error_set(err, EINVAL, "%s line %zu: cpu_milli `%s` is not a number of millicores", what,
				    number, v[COLUMN_CPU]);
	if (parse_number(v[COLUMN_MEMORY], 1048576, false, &memory) < 0)
		return cc_error_set(err, EINVAL, "%s line %zu: memory_mib `%s` is not a number of MiB", what, number,
				    v[COLUMN_MEMORY]);
	if (parse_number(v[COLUMN_CREATED], 1, false, &created) < 0)
		return cc_error_set(err, EINVAL, "%s line %zu: creation_time `%s` is not a time in seconds", what,
				    number, v[COLUMN_CREATED]);
	if (v[COLUMN_DELETED] && *v[COLUMN_DELETED] && parse_number(v[COLUMN_DELETED], 1, true, &deleted) < 0)
		return cc_error_set(err, EINVAL, "%s line %zu: deletion_time `%s` is not a time in seconds", what,
				    number, v[COLUMN_DELETED]);
	if (deleted < 0)
		deleted = -1;
	else if (deleted < created)
		return cc_error_set(err, EINVAL,
				    "%s line %zu: pod `%s` is deleted (%" PRId64 ") before it is created (%" PRId64 ")",
				    what, number, v[COLUMN_NAME], deleted, created);
	if (t->n >= SCALE_TRACE_MAX_PODS)
		return cc_error_set(err, EFBIG, "%s: more than %u pods", what, SCALE_TRACE_MAX_PODS);
	scale_trace_add(t, v[COLUMN_NAME], cpu, memory, created, deleted);
	return 0;
}

int scale_trace_read(FILE *in, const char *what, struct scale_trace *ret, struct cc_error *err)
{
	struct scale_trace t = { 0 };
	_cleanup_free_ char *line = NULL;
	size_t cap = 0, number = 0;
	int index[COLUMN_MAX];
	bool header = false;
	int r = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, in)) >= 0) {
		number++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		r = header ? read_row(line, index, number, what, &t, err) : read_header(line, index, what, err);
		if (r < 0)
			break;
		header = true;
	}
	if (r == 0 && ferror(in))
		r = cc_error_set_errno(err, errno ? errno : EIO, "%s: read", what);
	if (r == 0 && !header)
		r = cc_error_set(err, EINVAL, "%s is empty: it needs a header line and one line per pod", what);
	if (r < 0) {
		scale_trace_release(&t);
		return r;
	}
	*ret = t;
	return 0;
}

int scale_trace_write(const struct scale_trace *t, FILE *out, struct cc_error *err)
{
	fprintf(out, "name,cpu_milli,memory_mib,creation_time,deletion_time\n");
	for (size_t i = 0; i < t->n; i++) {
		const struct scale_trace_pod *p = &t->pods[i];
		fprintf(out, "%s,%" PRId64 ",%" PRId64 ",%" PRId64 ",", p->name, p->cpu_milli, p->memory / 1048576,
			p->created);
		if (p->deleted >= 0)
			fprintf(out, "%" PRId64, p->deleted);
		fputc('\n', out);
	}
	if (fflush(out) != 0 || ferror(out))
		return cc_error_set_errno(err, errno ? errno : EIO, "write the trace");
	return 0;
}

/* ---- The generator ---- */

struct rng {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s, result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Uniform in (0, 1]. */
static double rng_unit(struct rng *r)
{
	return ((double)(rng_next(r) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
}

static double rng_exponential(struct rng *r, double mean)
{
	return -log(rng_unit(r)) * mean;
}

/* The day's shape, 0.3 at 04:00 to 1.0 at 16:00. */
static double daily_load(double t)
{
	return 0.65 - 0.35 * cos(2 * M_PI * (t - 4 * 3600) / 86400.0);
}

struct size_class {
	int weight;
	int64_t cpu_milli, memory_mib;
};

static const struct size_class *sizes_of(const char *name, size_t *ret_n, struct cc_error *err)
{
	static const struct size_class small[] = { { 50, 100, 128 }, { 35, 250, 256 }, { 15, 500, 512 } };
	static const struct size_class mixed[] = {
		{ 35, 250, 512 }, { 30, 500, 1024 }, { 20, 1000, 2048 }, { 10, 2000, 3072 }, { 5, 3000, 6144 }
	};
	static const struct size_class large[] = { { 30, 1000, 2048 }, { 40, 2000, 4096 }, { 30, 3500, 7168 } };
	if (!name || strcmp(name, "mixed") == 0) {
		*ret_n = CC_ARRAY_SIZE(mixed);
		return mixed;
	}
	if (strcmp(name, "small") == 0) {
		*ret_n = CC_ARRAY_SIZE(small);
		return small;
	}
	if (strcmp(name, "large") == 0) {
		*ret_n = CC_ARRAY_SIZE(large);
		return large;
	}
	cc_error_set(err, EINVAL, "unknown pod size distribution `%s`: use small, mixed or large", name);
	return NULL;
}

static void add_pod(struct scale_trace *t, struct rng *r, const struct size_class *sizes, size_t n_sizes,
		    double created, double lifetime, int64_t duration)
{
	int pick = (int)(rng_next(r) % 100), acc = 0;
	size_t k = 0;
	for (; k + 1 < n_sizes; k++) {
		acc += sizes[k].weight;
		if (pick < acc)
			break;
	}
	char name[32];
	snprintf(name, sizeof(name), "pod-%06zu", t->n);
	int64_t c = (int64_t)created, d = (int64_t)(created + lifetime);
	if (d <= c)
		d = c + 1;
	scale_trace_add(t, name, sizes[k].cpu_milli, sizes[k].memory_mib * 1048576, c, d > duration ? -1 : d);
}

int scale_trace_generate(const struct scale_trace_options *o, struct scale_trace *ret, struct cc_error *err)
{
	if (o->duration <= 0 || o->duration > 366 * 86400)
		return cc_error_set(err, EINVAL, "the duration must be 1 s to 366 days");
	if (o->peak_pods <= 0 || o->peak_pods > 1000000)
		return cc_error_set(err, EINVAL, "the peak must be 1 to 1,000,000 pods");
	if (o->mean_lifetime <= 0)
		return cc_error_set(err, EINVAL, "the mean lifetime must be above 0 s");
	if (o->bursts_per_day < 0 || o->burst_pods < 0)
		return cc_error_set(err, EINVAL, "bursts must not be negative");
	size_t n_sizes;
	const struct size_class *sizes = sizes_of(o->sizes, &n_sizes, err);
	if (!sizes)
		return -EINVAL;
	struct rng r;
	rng_seed(&r, o->seed);
	struct scale_trace t = { 0 };
	/* Thinning (Lewis and Shedler): candidates at the peak rate, each kept with the day's share. */
	double peak_rate = (double)o->peak_pods / (double)o->mean_lifetime;
	double burst_rate = o->bursts_per_day / 86400.0;
	double next_burst = burst_rate > 0 ? rng_exponential(&r, 1 / burst_rate) : INFINITY;
	for (double now = rng_exponential(&r, 1 / peak_rate); now < (double)o->duration;
	     now += rng_exponential(&r, 1 / peak_rate)) {
		while (next_burst <= now) {
			for (int64_t k = 0; k < o->burst_pods; k++)
				add_pod(&t, &r, sizes, n_sizes, next_burst, rng_exponential(&r, 600), o->duration);
			next_burst += rng_exponential(&r, 1 / burst_rate);
		}
		if (rng_unit(&r) <= daily_load(now))
			add_pod(&t, &r, sizes, n_sizes, now, rng_exponential(&r, (double)o->mean_lifetime),
				o->duration);
		if (t.n > SCALE_TRACE_MAX_PODS) {
			scale_trace_release(&t);
			return cc_error_set(err, EFBIG, "the trace would have more than %u pods", SCALE_TRACE_MAX_PODS);
		}
	}
	*ret = t;
	return 0;
}
