/* Measurement of a container before its first instruction runs. */
#include "runtime/measure.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/digest.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/launch_measurement.h"
#include "lib/json/json.h"
#include "runtime/measure_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MEASUREMENT_LOG_TAIL 65536

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* An entry is only remembered once its ctime is a few seconds old (see measure_cache.h). SHA-256
 * for file contents (hardware-accelerated here), SHA-384 over the whole tree. */
#define CACHE_SETTLE_SECONDS 2

/* A symlink's target: an inode's target never changes, so a cached one is the target. */
static ssize_t link_target(int dir, const char *name, const struct stat *st, struct measure_cache *cache,
			   char target[PATH_MAX])
{
	const char *cached = st->st_size < PATH_MAX ? measure_cache_link(cache, st) : NULL;
	if (cached) {
		memcpy(target, cached, (size_t)st->st_size);
		return st->st_size;
	}
	ssize_t t = readlinkat(dir, name, target, PATH_MAX);
	if (t > 0 && t < PATH_MAX && t == st->st_size)
		measure_cache_remember_link(cache, st, target, (size_t)t);
	return t;
}

static int hash_file(int dir, const char *name, const struct stat *st, struct measure_cache *cache, char out_hex[65])
{
	uint8_t md[32];
	if (measure_cache_digest(cache, st, md)) {
		cc_hex_encode(md, sizeof(md), out_hex);
		return 0;
	}
	_cleanup_close_ int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	struct cc_digest_ctx *ctx;
	if (cc_digest_begin(CC_DIGEST_SHA256, &ctx, NULL) < 0)
		return -EIO;
	char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		cc_digest_update(ctx, buf, (size_t)n);
	if (n < 0 || cc_digest_end(ctx, md, NULL) < 0)
		return n < 0 ? -errno : -EIO;
	cc_hex_encode(md, sizeof(md), out_hex);
	measure_cache_remember_digest(cache, st, md);
	return 0;
}

/* What the tree digest is taken over, gathered and hashed in large pieces: a walk of a small tree
 * needs no digest until its end, so what digests need (libcrypto, in the runtime) can be loaded
 * meanwhile elsewhere (cc_digest_warm_up). */
struct tree_stream {
	struct cc_buf buf;
	struct cc_digest_ctx *ctx; /* begun at the first flush */
	int error;
};

#define TREE_STREAM_FLUSH (1u << 20)

static void stream_flush(struct tree_stream *s)
{
	if (s->error)
		return;
	if (!s->ctx && cc_digest_begin(CC_DIGEST_SHA384, &s->ctx, NULL) < 0) {
		s->error = -EIO;
		return;
	}
	cc_digest_update(s->ctx, s->buf.data, s->buf.len);
	cc_buf_reset(&s->buf);
}

static void stream_add(struct tree_stream *s, const void *data, size_t len)
{
	if (cc_buf_append(&s->buf, data, len) < 0)
		s->error = -ENOMEM;
	else if (s->buf.len >= TREE_STREAM_FLUSH)
		stream_flush(s);
}

static void stream_discard(struct tree_stream *s)
{
	if (s->ctx)
		cc_digest_abort(s->ctx);
	cc_buf_free(&s->buf);
}

static int stream_end(struct tree_stream *s, uint8_t md[48], struct cc_error *err)
{
	stream_flush(s);
	if (s->error) {
		stream_discard(s);
		return cc_error_set(err, -s->error, "digest of the rootfs tree failed");
	}
	cc_buf_free(&s->buf);
	return cc_digest_end(s->ctx, md, err);
}

/* Appends value in base 8 or 10, then sep. */
static void stream_add_number(struct tree_stream *s, unsigned long long value, unsigned base, char sep)
{
	char text[32];
	char *p = text + sizeof(text);
	*--p = sep;
	do {
		*--p = (char)('0' + value % base);
		value /= base;
	} while (value);
	stream_add(s, p, (size_t)(text + sizeof(text) - p));
}

/* An entry's header: "PREFIX/NAME\nMODE(octal) UID GID SIZE\n", the size 0 unless a regular file.
 * Built by hand: snprintf was a tenth of a walk. */
static void stream_add_header(struct tree_stream *s, const char *prefix, const char *name, const struct stat *st)
{
	stream_add(s, prefix, strlen(prefix));
	stream_add(s, "/", 1);
	stream_add(s, name, strlen(name));
	stream_add(s, "\n", 1);
	stream_add_number(s, st->st_mode, 8, ' ');
	stream_add_number(s, st->st_uid, 10, ' ');
	stream_add_number(s, st->st_gid, 10, ' ');
	stream_add_number(s, S_ISREG(st->st_mode) ? (unsigned long long)st->st_size : 0, 10, '\n');
}

/* Depth-first walk with openat from directory fds: no path is ever resolved through a symlink. */
static int walk(int dir, const char *prefix, struct tree_stream *stream, struct measure_cache *cache, int depth,
		struct cc_error *err)
{
	if (depth > 256)
		return cc_error_set(err, ELOOP, "rootfs is nested deeper than 256 levels at `%s`", prefix);
	DIR *d = cc_opendir_dup(dir);
	if (!d)
		return cc_error_set_errno(err, errno, "read rootfs directory `%s`", prefix);
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		names = cc_xrealloc(names, (n + 1) * sizeof(char *));
		names[n++] = cc_xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 1) /* qsort(NULL, 0, ...) is undefined behaviour (an empty directory) */
		qsort(names, n, sizeof(char *), compare_names);
	int r = 0;
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (r < 0 || fstatat(dir, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			free(names[i]);
			continue;
		}
		stream_add_header(stream, prefix, names[i], &st);
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t t = link_target(dir, names[i], &st, cache, target);
			if (t > 0)
				stream_add(stream, target, (size_t)t);
		} else if (S_ISREG(st.st_mode)) {
			char hex[65] = "unreadable";
			hash_file(dir, names[i], &st, cache, hex);
			stream_add(stream, hex, strlen(hex));
		} else if (S_ISDIR(st.st_mode)) {
			int sub = openat(dir, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				_cleanup_free_ char *path = cc_xasprintf("%s/%s", prefix, names[i]);
				r = walk(sub, path, stream, cache, depth + 1, err);
				close(sub);
			}
		}
		free(names[i]);
	}
	free(names);
	return r;
}

int runtime_measure_tree(const char *root, const char *cache_path, char out_hex[97], struct cc_error *err)
{
	_cleanup_close_ int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cc_error_set_errno(err, errno, "open rootfs `%s`", root);
	struct measure_cache *cache =
	    measure_cache_open(cache_path, (int64_t)(cc_time_now_ns() / 1000000000u) - CACHE_SETTLE_SECONDS);
	struct tree_stream stream = { .buf = CC_BUF_INIT };
	int r = walk(fd, "", &stream, cache, 0, err);
	if (r == 0)
		measure_cache_save(cache, cache_path);
	measure_cache_close(cache);
	uint8_t md[48];
	if (r < 0) {
		stream_discard(&stream);
		return r;
	}
	if ((r = stream_end(&stream, md, err)) < 0)
		return r;
	cc_hex_encode(md, sizeof(md), out_hex);
	return 0;
}

int runtime_measure(const struct runtime_spec *spec, const char *profile, const char *cache_path, char **ret,
		    json_t **ret_parts, struct cc_error *err)
{
	char rootfs[128];
	const char *image = runtime_spec_annotation(spec, RUNTIME_IMAGE_DIGEST_ANNOTATION);
	if (image) {
		/* It stands for the whole rootfs, and a policy matches it: exactly a digest, never cut. */
		if (strncmp(image, "sha256:", 7) != 0 || strlen(image) != 7 + 64 ||
		    strspn(image + 7, "0123456789abcdef") != 64)
			return cc_error_set(err, EINVAL,
					    "annotation %s `%.80s` is not sha256: and 64 lower-case hex digits",
					    RUNTIME_IMAGE_DIGEST_ANNOTATION, image);
		snprintf(rootfs, sizeof(rootfs), "image:%s", image);
	} else {
		char tree[97];
		int r = runtime_measure_tree(spec->root_path, cache_path, tree, err);
		if (r < 0)
			return r;
		snprintf(rootfs, sizeof(rootfs), "tree:sha384:%s", tree);
	}
	_cleanup_free_ char *config = cc_json_canonical(spec->json);
	char config_hex[97], config_digest[104];
	int r = cc_digest_hex(CC_DIGEST_SHA384, config, strlen(config), config_hex, err);
	if (r < 0)
		return r;
	snprintf(config_digest, sizeof(config_digest), "sha384:%s", config_hex);
	struct cc_launch_parts parts = { .config = config_digest,
					 .rootfs = rootfs,
					 .profile = profile ? profile : "none" };
	char measurement[CC_LAUNCH_MEASUREMENT_SIZE];
	if ((r = cc_launch_measurement(&parts, measurement, err)) < 0)
		return r;
	*ret = cc_xstrdup(measurement);
	*ret_parts = cc_launch_parts_json(&parts);
	return 0;
}

int runtime_measurement_log_append(const char *log_path, const char *id, const char *measurement, const json_t *parts,
				   int pcr, const char *tpm, struct cc_error *err)
{
	_cleanup_close_ int fd = open(log_path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return cc_error_set_errno(err, errno, "open measurement log `%s`", log_path);
	/* Exclusive lock: concurrent creates must chain one after the other. */
	if (flock(fd, LOCK_EX) < 0)
		return cc_error_set_errno(err, errno, "lock measurement log `%s`", log_path);
	/* Only the end of the log holds the previous record: reading the whole log would make every
	 * launch slower than the last. A record is far shorter than the window. */
	struct stat st;
	if (fstat(fd, &st) < 0)
		return cc_error_set_errno(err, errno, "measurement log `%s`", log_path);
	off_t from = st.st_size > MEASUREMENT_LOG_TAIL ? st.st_size - MEASUREMENT_LOG_TAIL : 0;
	char data[MEASUREMENT_LOG_TAIL];
	ssize_t got = pread(fd, data, (size_t)(st.st_size - from), from);
	if (got < 0)
		return cc_error_set_errno(err, errno, "read measurement log `%s`", log_path);
	size_t len = (size_t)got;
	int r;
	/* The previous record is the last complete line. */
	int64_t seq = 0;
	char prev[97] =
	    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";
	if (len > 0) {
		size_t end = data[len - 1] == '\n' ? len - 1 : len;
		size_t start = end;
		while (start > 0 && data[start - 1] != '\n')
			start--;
		uint8_t md[48];
		if (cc_digest(CC_DIGEST_SHA384, data + start, end - start, md, err) < 0)
			return -EIO;
		cc_hex_encode(md, sizeof(md), prev);
		_cleanup_json_ json_t *last = NULL;
		if (cc_json_parse(data + start, end - start, 1u << 16, "measurement log", &last, NULL) == 0)
			seq = json_integer_value(json_object_get(last, "seq")) + 1;
	}
	char now[CC_TIME_RFC3339_MAX];
	cc_time_format_rfc3339(cc_time_now_ns(), now, sizeof(now));
	_cleanup_free_ char *prev_field = cc_xasprintf("sha384:%s", prev);
	json_t *record = json_pack("{s:I, s:s, s:s, s:s, s:s}", "seq", (json_int_t)seq, "container", id, "measurement",
				   measurement, "time", now, "prev", prev_field);
	if (parts)
		json_object_set(record, "parts", (json_t *)parts);
	if (pcr >= 0) {
		json_object_set_new(record, "pcr", json_integer(pcr));
		json_object_set_new(record, "tpm", json_string(tpm));
	}
	_cleanup_free_ char *line = cc_json_canonical(record);
	json_decref(record);
	_cleanup_free_ char *with_newline = cc_xasprintf("%s\n", line);
	/* Synced when a PCR extend follows: the record must be on disk before the PCR can contain it.
	 * Without a TPM there is nothing to order it against; a crash may then lose the last records
	 * (by default the log is under /run, which a reboot empties anyway). */
	if ((r = cc_write_all(fd, with_newline, strlen(with_newline))) < 0 || (pcr >= 0 && fsync(fd) < 0))
		return cc_error_set_errno(err, r < 0 ? -r : errno, "append to measurement log `%s`", log_path);
	return 0;
}
