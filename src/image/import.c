/* `cocoon image import`: a root filesystem tarball becomes a one-layer image (import.h).
 *
 * Nothing here writes to the store. The tarball is checked to be a tar (plain, gzip or zstd, with at
 * least one entry), its diff_id computed over the uncompressed stream, and an OCI image layout
 * (image-spec image-layout.md) is written around it in memory:
 *
 *   oci-layout                  {"imageLayoutVersion": "1.0.0"}
 *   index.json                  one manifest, annotated org.opencontainers.image.ref.name = NAME
 *   blobs/sha256/<layer>        the tarball's bytes as given (layer.md: .tar, .tar+gzip, .tar+zstd)
 *   blobs/sha256/<config>       config.md: architecture, os, config, rootfs.diff_ids, history
 *   blobs/sha256/<manifest>     manifest.md
 *
 * That archive goes through image_store_load_memory like any oci-archive, so the digests, the
 * diff_id and every rule of layer unpacking are checked by the same code as for `image load`. The
 * layer's bytes are the tarball's, so the diff_id is the one podman import gives the same tarball. */
#include "image/import.h"

#include "image/store.h"
#include "image/store_internal.h"
#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/digest.h"
#include "lib/crypto/encode.h"
#include "lib/json/json.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#define MEDIA_MANIFEST     "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_INDEX        "application/vnd.oci.image.index.v1+json"
#define MEDIA_CONFIG       "application/vnd.oci.image.config.v1+json"
#define MEDIA_LAYER        "application/vnd.oci.image.layer.v1.tar"
#define ANNOTATION_REFNAME "org.opencontainers.image.ref.name"

enum compression {
	COMPRESSION_NONE,
	COMPRESSION_GZIP,
	COMPRESSION_ZSTD,
};

static const char *const media_types[] = {
	[COMPRESSION_NONE] = MEDIA_LAYER,
	[COMPRESSION_GZIP] = MEDIA_LAYER "+gzip",
	[COMPRESSION_ZSTD] = MEDIA_LAYER "+zstd",
};

/* By the magic numbers; xz and bzip2 are no OCI layer media types, so they are refused here
 * rather than recompressed. */
static int detect_compression(const uint8_t *data, size_t len, enum compression *ret, struct cc_error *err)
{
	if (len >= 2 && data[0] == 0x1f && data[1] == 0x8b)
		*ret = COMPRESSION_GZIP;
	else if (len >= 4 && data[0] == 0x28 && data[1] == 0xb5 && data[2] == 0x2f && data[3] == 0xfd)
		*ret = COMPRESSION_ZSTD;
	else if ((len >= 6 && memcmp(data,
				     "\xfd"
				     "7zXZ\0",
				     6) == 0) ||
		 (len >= 3 && memcmp(data, "BZh", 3) == 0))
		return cc_error_set(err, ENOTSUP,
				    "the tarball is xz or bzip2 compressed: layers are plain, gzip or zstd tars "
				    "(decompress it first, or recompress it with gzip)");
	else
		*ret = COMPRESSION_NONE;
	return 0;
}

static struct archive *reader(enum compression c, bool raw)
{
	struct archive *a = archive_read_new();
	if (!a)
		abort();
	if (c == COMPRESSION_GZIP)
		archive_read_support_filter_gzip(a);
	else if (c == COMPRESSION_ZSTD)
		archive_read_support_filter_zstd(a);
	if (raw)
		archive_read_support_format_raw(a);
	else
		archive_read_support_format_tar(a);
	return a;
}

static void hex_digest(const uint8_t md[32], char out[72])
{
	char hex[65];
	cc_hex_encode(md, 32, hex);
	snprintf(out, 72, "sha256:%s", hex);
}

/* The sha256 of the uncompressed stream (layer.md: "DiffID"). */
static int diff_id(const void *data, size_t len, enum compression c, uint64_t max, char out[72], struct cc_error *err)
{
	uint8_t md[32];
	if (c == COMPRESSION_NONE) {
		int r = cc_digest(CC_DIGEST_SHA256, data, len, md, err);
		if (r < 0)
			return r;
		hex_digest(md, out);
		return 0;
	}
	struct archive *a = reader(c, true);
	struct archive_entry *e;
	int r = 0;
	if (archive_read_open_memory(a, data, len) != ARCHIVE_OK || archive_read_next_header(a, &e) != ARCHIVE_OK) {
		r = cc_error_set(err, EINVAL, "the tarball cannot be decompressed: %s", archive_error_string(a));
		archive_read_free(a);
		return r;
	}
	struct cc_digest_ctx *ctx;
	if ((r = cc_digest_begin(CC_DIGEST_SHA256, &ctx, err)) < 0) {
		archive_read_free(a);
		return r;
	}
	char buf[64 * 1024];
	uint64_t total = 0;
	for (;;) {
		la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n < 0)
			r = cc_error_set(err, EINVAL, "the tarball cannot be decompressed: %s",
					 archive_error_string(a));
		else if ((total += (uint64_t)n) > max)
			r = cc_error_set(err, EFBIG, "the tarball is over %llu bytes uncompressed",
					 (unsigned long long)max);
		if (r < 0)
			break;
		cc_digest_update(ctx, buf, (size_t)n);
	}
	archive_read_free(a);
	if (r < 0) {
		cc_digest_abort(ctx);
		return r;
	}
	if ((r = cc_digest_end(ctx, md, err)) < 0)
		return r;
	hex_digest(md, out);
	return 0;
}

/* A root filesystem is a tar with something in it: every header must read. The entries' paths and
 * types are the unpacker's to judge (layer.c), as for any layer. */
static int check_tar(const void *data, size_t len, enum compression c, struct cc_error *err)
{
	struct archive *a = reader(c, false);
	int r = 0;
	uint64_t entries = 0;
	if (archive_read_open_memory(a, data, len) != ARCHIVE_OK)
		r = cc_error_set(err, EINVAL, "not a tar archive: %s", archive_error_string(a));
	while (r == 0) {
		struct archive_entry *e;
		int ar = archive_read_next_header(a, &e);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar < ARCHIVE_WARN || archive_read_data_skip(a) < ARCHIVE_WARN)
			r = cc_error_set(err, EINVAL, "not a tar archive (plain, gzip or zstd): %s",
					 archive_error_string(a));
		entries++;
	}
	archive_read_free(a);
	if (r == 0 && entries == 0)
		r = cc_error_set(err, EINVAL, "the tar archive holds no files");
	return r;
}

static const char *host_architecture(void)
{
	static struct utsname u;
	if (uname(&u) < 0)
		return "amd64";
	if (strcmp(u.machine, "x86_64") == 0)
		return "amd64";
	if (strcmp(u.machine, "aarch64") == 0)
		return "arm64";
	return u.machine;
}

static int sha256_text(const char *text, char digest[72], struct cc_error *err)
{
	uint8_t md[32];
	int r = cc_digest(CC_DIGEST_SHA256, text, strlen(text), md, err);
	if (r == 0)
		hex_digest(md, digest);
	return r;
}

/* RFC 3339: now with nanoseconds as podman writes it, or the given second (SOURCE_DATE_EPOCH). */
static void created_text(int64_t created, char out[CC_TIME_RFC3339_MAX])
{
	if (created < 0) {
		cc_time_format_rfc3339(cc_time_now_ns(), out, CC_TIME_RFC3339_MAX);
		return;
	}
	time_t t = (time_t)created;
	struct tm tm;
	if (!gmtime_r(&t, &tm) || strftime(out, CC_TIME_RFC3339_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, CC_TIME_RFC3339_MAX, "1970-01-01T00:00:00Z");
}

/* config.md, with the --change instructions applied to its `config`. */
static int image_config(const struct image_import_options *opts, const char *layer_diff_id, char **ret,
			struct cc_error *err)
{
	if (opts->n_changes > IMAGE_CHANGE_MAX_COUNT)
		return cc_error_set(err, E2BIG, "more than %d --change instructions", IMAGE_CHANGE_MAX_COUNT);
	_cleanup_json_ json_t *config = json_object();
	for (size_t i = 0; i < opts->n_changes; i++) {
		int r = image_change_apply(config, opts->changes[i], err);
		if (r < 0)
			return r;
	}
	char created[CC_TIME_RFC3339_MAX];
	created_text(opts->created, created);
	_cleanup_free_ char *created_by = cc_xasprintf("/bin/sh -c #(nop) ADD file:%s in /", layer_diff_id + 7);
	_cleanup_json_ json_t *doc =
	    json_pack("{s:s, s:s, s:s, s:O, s:{s:s, s:[s]}, s:[{s:s, s:s, s:s}]}", "created", created, "architecture",
		      host_architecture(), "os", "linux", "config", config, "rootfs", "type", "layers", "diff_ids",
		      layer_diff_id, "history", "created", created, "created_by", created_by, "comment",
		      opts->message ? opts->message : "imported from tarball");
	if (!doc)
		return cc_error_set(err, EINVAL, "the image config cannot be written: is --message UTF-8 text?");
	*ret = cc_json_canonical(doc);
	return 0;
}

/* ---- the archive ---- */

static la_ssize_t append_cb(struct archive *a, void *ctx, const void *data, size_t len)
{
	if (cc_buf_append(ctx, data, len) < 0) {
		archive_set_error(a, ENOMEM, "the archive is too large");
		return -1;
	}
	return (la_ssize_t)len;
}

static int add_file(struct archive *a, const char *path, const void *data, size_t len, int64_t mtime,
		    struct cc_error *err)
{
	struct archive_entry *e = archive_entry_new();
	if (!e)
		abort();
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, (time_t)mtime, 0);
	int r = 0;
	if (archive_write_header(a, e) != ARCHIVE_OK)
		r = cc_error_set(err, EIO, "write `%s` of the image archive: %s", path, archive_error_string(a));
	/* archive_write_data takes at most SSIZE_MAX at once, and a layer can be gigabytes. */
	for (size_t done = 0; r == 0 && done < len;) {
		size_t chunk = len - done < (1u << 30) ? len - done : (1u << 30);
		la_ssize_t n = archive_write_data(a, (const char *)data + done, chunk);
		if (n <= 0)
			r = cc_error_set(err, EIO, "write `%s` of the image archive: %s", path,
					 archive_error_string(a));
		else
			done += (size_t)n;
	}
	archive_entry_free(e);
	return r;
}

struct blob {
	const char *data;
	size_t len;
	const char *digest;
};

static int write_archive(const struct blob *blobs, size_t n, const char *index, int64_t mtime, struct cc_buf *out,
			 struct cc_error *err)
{
	struct archive *a = archive_write_new();
	if (!a)
		abort();
	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	int r = 0;
	if (archive_write_open2(a, out, NULL, append_cb, NULL, NULL) != ARCHIVE_OK)
		r = cc_error_set(err, EIO, "write the image archive: %s", archive_error_string(a));
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	if (r == 0)
		r = add_file(a, "oci-layout", layout, strlen(layout), mtime, err);
	if (r == 0)
		r = add_file(a, "index.json", index, strlen(index), mtime, err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		_cleanup_free_ char *path = cc_xasprintf("blobs/sha256/%s", blobs[i].digest + 7);
		r = add_file(a, path, blobs[i].data, blobs[i].len, mtime, err);
	}
	if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
		r = cc_error_set(err, EIO, "write the image archive: %s", archive_error_string(a));
	archive_write_free(a);
	return r;
}

static bool name_component(const char *s, size_t n, bool registry)
{
	if (n == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || strchr("._-", s[i]) ||
		      (registry && (isupper((unsigned char)s[i]) || s[i] == ':'))))
			return false;
	return true;
}

/* The reference grammar of the distribution spec, simplified: [REGISTRY/]PATH[:TAG], PATH of
 * lower-case components separated by `/`, a TAG of at most 128 word characters, `.` and `-`. */
static bool valid_name(const char *name)
{
	const char *last = strrchr(name, '/');
	const char *colon = strchr(last ? last : name, ':');
	size_t path_len = colon ? (size_t)(colon - name) : strlen(name);
	if (colon) {
		size_t tag_len = strlen(colon + 1);
		if (tag_len == 0 || tag_len > 128 || colon[1] == '.' || colon[1] == '-' ||
		    strspn(colon + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != tag_len)
			return false;
	}
	if (path_len == 0 || path_len > 255)
		return false;
	for (size_t start = 0, i = 0; i <= path_len; i++) {
		if (i < path_len && name[i] != '/')
			continue;
		const char *c = name + start;
		size_t n = i - start;
		bool registry = start == 0 && i < path_len &&
				(memchr(c, '.', n) || memchr(c, ':', n) || (n == 9 && strncmp(c, "localhost", 9) == 0));
		if (!name_component(c, n, registry))
			return false;
		start = i + 1;
	}
	return true;
}

static int check_name(const char *name, struct cc_error *err)
{
	if (name && valid_name(name))
		return 0;
	return cc_error_set(
	    err, EINVAL,
	    "`%s` is not an image name: [REGISTRY/]NAME[:TAG] with lower-case letters, digits and `._-` "
	    "in NAME, and no digest",
	    name ? name : "");
}

/* As podman import names its images: a name without a registry (a first component with a `.` or a
 * `:`, or `localhost`) is under localhost/, and `:latest` is the tag when none is given. */
static char *import_name(const char *name)
{
	const char *slash = strchr(name, '/');
	bool registry = slash && (memchr(name, '.', (size_t)(slash - name)) ||
				  memchr(name, ':', (size_t)(slash - name)) || strncmp(name, "localhost/", 10) == 0);
	_cleanup_free_ char *full = registry ? cc_xstrdup(name) : cc_xasprintf("localhost/%s", name);
	return image_reference_normalize(full);
}

int image_import_build(const void *layer, size_t len, const struct image_import_options *opts, struct cc_buf *ret,
		       char **ret_diff_id, struct cc_error *err)
{
	int r = check_name(opts->name, err);
	if (r < 0)
		return r;
	uint64_t max = opts->max_size ? opts->max_size : IMAGE_IMPORT_MAX_SIZE;
	if (len > max)
		return cc_error_set(err, EFBIG, "the tarball has %zu bytes, over the limit of %llu", len,
				    (unsigned long long)max);
	enum compression c = COMPRESSION_NONE;
	char layer_diff_id[72], layer_digest[72], config_digest[72], manifest_digest[72];
	r = detect_compression(layer, len, &c, err);
	/* The store checks the uncompressed size again against its own limit when it unpacks. */
	if (r < 0 || (r = check_tar(layer, len, c, err)) < 0 ||
	    (r = diff_id(layer, len, c, IMAGE_DEFAULT_MAX_LAYER_SIZE + (64u << 20), layer_diff_id, err)) < 0)
		return r;
	uint8_t md[32];
	if ((r = cc_digest(CC_DIGEST_SHA256, layer, len, md, err)) < 0)
		return r;
	hex_digest(md, layer_digest);
	_cleanup_free_ char *config = NULL;
	if ((r = image_config(opts, layer_diff_id, &config, err)) < 0 ||
	    (r = sha256_text(config, config_digest, err)) < 0)
		return r;
	_cleanup_json_ json_t *manifest = json_pack(
	    "{s:i, s:s, s:{s:s, s:s, s:I}, s:[{s:s, s:s, s:I}]}", "schemaVersion", 2, "mediaType", MEDIA_MANIFEST,
	    "config", "mediaType", MEDIA_CONFIG, "digest", config_digest, "size", (json_int_t)strlen(config), "layers",
	    "mediaType", media_types[c], "digest", layer_digest, "size", (json_int_t)len);
	_cleanup_free_ char *manifest_text = cc_json_canonical(manifest);
	if ((r = sha256_text(manifest_text, manifest_digest, err)) < 0)
		return r;
	_cleanup_free_ char *name = import_name(opts->name);
	_cleanup_json_ json_t *index =
	    json_pack("{s:i, s:s, s:[{s:s, s:s, s:I, s:{s:s}}]}", "schemaVersion", 2, "mediaType", MEDIA_INDEX,
		      "manifests", "mediaType", MEDIA_MANIFEST, "digest", manifest_digest, "size",
		      (json_int_t)strlen(manifest_text), "annotations", ANNOTATION_REFNAME, name);
	if (!index)
		return cc_error_set(err, EINVAL, "`%s` is not an image name (UTF-8 text)", opts->name);
	_cleanup_free_ char *index_text = cc_json_canonical(index);
	const struct blob blobs[] = {
		{ layer, len, layer_digest },
		{ config, strlen(config), config_digest },
		{ manifest_text, strlen(manifest_text), manifest_digest },
	};
	_cleanup_buf_ struct cc_buf out = CC_BUF_INIT;
	int64_t mtime = opts->created >= 0 ? opts->created : (int64_t)time(NULL);
	if ((r = write_archive(blobs, CC_ARRAY_SIZE(blobs), index_text, mtime, &out, err)) < 0)
		return r;
	if (ret_diff_id)
		*ret_diff_id = cc_xstrdup(layer_diff_id);
	*ret = out;
	out = (struct cc_buf)CC_BUF_INIT;
	return 0;
}

int image_store_import(struct image_store *s, const char *path, const struct image_import_options *opts,
		       struct image_load_result *ret, struct cc_error *err)
{
	uint64_t max = opts->max_size ? opts->max_size : IMAGE_IMPORT_MAX_SIZE;
	const char *what = strcmp(path, "-") == 0 ? "standard input" : path;
	int r = check_name(opts->name, err);
	if (r < 0)
		return r;
	store_progress(s, "reading %s", what);
	_cleanup_free_ char *data = NULL;
	size_t len;
	r = cc_read_file(path, max > SIZE_MAX ? SIZE_MAX : (size_t)max, &data, &len, err);
	if (r < 0)
		return cc_error_prefix(err, "import");
	_cleanup_buf_ struct cc_buf archive = CC_BUF_INIT;
	_cleanup_free_ char *layer_diff_id = NULL;
	if ((r = image_import_build(data, len, opts, &archive, &layer_diff_id, err)) < 0)
		return cc_error_prefix(err, "import `%s`", what);
	store_progress(s, "layer %.19s... (%.1f MB) from %s", layer_diff_id, (double)len / 1e6, what);
	free(CC_TAKE_PTR(data)); /* the archive holds a copy */
	return store_load_memory(s, archive.data, archive.len, "import", what, NULL, ret, err);
}
