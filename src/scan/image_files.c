/* The inputs of the image reader (see image_files.h): which kind of image a path is, where its
 * config and layers are, and the layers streamed in order. An archive is read once for its index
 * (the small JSON files kept in memory) and once more up to each layer, which for the plain tars
 * `podman save` writes is a seek, not a read. */
#include "image/layer.h"
#include "image/manifest.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/digest.h"
#include "lib/json/json.h"
#include "scan/image_internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define METADATA_TOTAL_MAX (64u << 20)
#define INDEX_DEPTH_MAX    4
#define BLOCK_SIZE         (128u << 10)

void scan_image_limits_default(struct scan_image_limits *ret)
{
	*ret = (struct scan_image_limits){
		.max_entries = 1000000,
		.max_layer_size = 16ull << 30,
		.max_kept_size = 256ull << 20,
		.max_kept_total = 512ull << 20,
		.max_layers = 1000,
		.max_metadata = 4u << 20,
	};
}

/* ---- byte streams: a member of an outer archive, or a file ---- */

struct stream {
	ssize_t (*read)(void *src, void *buf, size_t len);
	void *src;
	struct cc_digest_ctx *hash; /* the digest of what passed, when it is checked */
	char *block;
	uint64_t total;
};

static la_ssize_t stream_read(struct archive *a, void *ud, const void **buf)
{
	struct stream *s = ud;
	ssize_t n = s->read(s->src, s->block, BLOCK_SIZE);
	if (n < 0) {
		archive_set_error(a, (int)-n, "read error");
		return -1;
	}
	if (s->hash && n > 0)
		cc_digest_update(s->hash, s->block, (size_t)n);
	s->total += (uint64_t)n;
	*buf = s->block;
	return n;
}

/* Walks the layer that s yields; with digest, checks the bytes' sha256 against it. */
static int walk_stream(struct scan_reading *rd, struct stream *s, const char *what, const char *digest, size_t layer,
		       struct cc_error *err)
{
	if (digest && cc_digest_begin(CC_DIGEST_SHA256, &s->hash, err) < 0)
		return -EIO;
	s->block = cc_xmalloc(BLOCK_SIZE);
	struct archive *a = image_archive_reader_new();
	int r = 0;
	if (archive_read_open(a, s, NULL, stream_read, NULL) != ARCHIVE_OK)
		r = cc_error_set(err, EINVAL, "%s: not a tar stream: %s", what, archive_error_string(a));
	if (r == 0)
		r = scan_image_walk_layer(rd, a, what, digest, layer, err);
	archive_read_free(a);
	/* Whatever follows the tar's end (padding) still counts for the digest. */
	ssize_t n = 0;
	while (r == 0 && s->hash && (n = s->read(s->src, s->block, BLOCK_SIZE)) > 0)
		cc_digest_update(s->hash, s->block, (size_t)n);
	if (r == 0 && n < 0)
		r = cc_error_set(err, EIO, "%s: read error", what);
	free(s->block);
	if (!s->hash)
		return r;
	char hex[CC_DIGEST_HEX_MAX] = "";
	if (cc_digest_end_hex(s->hash, hex, NULL) < 0 && r == 0)
		r = cc_error_set(err, EIO, "%s: cannot hash", what);
	s->hash = NULL;
	if (r == 0 && strcmp(digest + strlen("sha256:"), hex) != 0)
		r = cc_error_set(err, EINVAL, "%s: content has sha256:%s, not the %s its descriptor names", what, hex,
				 digest);
	return r;
}

/* ---- where an image's files are: an archive's members or a layout directory ---- */

struct member {
	char *name;
	char *data; /* small files only */
	size_t len;
};

struct source {
	const char *path;
	int dir_fd; /* an OCI layout directory, else -1 */
	struct member *members;
	size_t n_members;
	size_t metadata_total;
};

static void source_clear(struct source *src)
{
	for (size_t i = 0; i < src->n_members; i++) {
		free(src->members[i].name);
		free(src->members[i].data);
	}
	free(src->members);
}

static struct member *find_member(struct source *src, const char *name)
{
	for (size_t i = 0; i < src->n_members; i++)
		if (strcmp(src->members[i].name, name) == 0)
			return &src->members[i];
	return NULL;
}

static bool hex64(const char *s, size_t n)
{
	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

/* Names only an image archive has at its top: docker-archive's `HEX.tar`/`HEX/` layers,
 * manifest.json and repositories; oci-archive's oci-layout, index.json and blobs/. */
static bool archive_marker(const char *name)
{
	if (!strcmp(name, "manifest.json") || !strcmp(name, "repositories") || !strcmp(name, "oci-layout") ||
	    !strcmp(name, "index.json") || !strcmp(name, "blobs") || !strncmp(name, "blobs/", 6))
		return true;
	size_t n = strcspn(name, "./");
	return hex64(name, n);
}

static bool small_file_wanted(const char *name)
{
	size_t n = strlen(name);
	return !strcmp(name, "oci-layout") || !strncmp(name, "blobs/", 6) || (n > 5 && !strcmp(name + n - 5, ".json"));
}

static int read_all(ssize_t (*read)(void *, void *, size_t), void *src, uint64_t max, const char *what, char **ret,
		    size_t *ret_len, struct cc_error *err)
{
	char *buf = cc_xmalloc((size_t)max + 1);
	size_t len = 0;
	for (;;) {
		ssize_t n = read(src, buf + len, (size_t)max + 1 - len);
		if (n < 0) {
			free(buf);
			return cc_error_set(err, EIO, "read `%s`", what);
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			free(buf);
			return cc_error_set(err, EFBIG, "`%s` is over %llu bytes", what, (unsigned long long)max);
		}
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

/* The archive's index: every member's name and the small ones' contents. Returns 1 when the first
 * entry shows the file is a root filesystem tar, not an image archive (nothing more is read). */
static int index_archive(struct scan_reading *rd, struct source *src, struct cc_error *err)
{
	struct archive *a = image_archive_reader_new();
	int r = 0;
	if (archive_read_open_filename(a, src->path, BLOCK_SIZE) != ARCHIVE_OK) {
		r = cc_error_set(err, EINVAL, "`%s` is not a tar archive: %s", src->path, archive_error_string(a));
		goto out;
	}
	struct archive_entry *e;
	for (size_t count = 0;; count++) {
		int h = archive_read_next_header(a, &e);
		if (h == ARCHIVE_EOF)
			break;
		if (h < ARCHIVE_WARN) {
			r = cc_error_set(err, EINVAL, "`%s`: not a readable tar after %zu entries: %s", src->path,
					 count, archive_error_string(a));
			goto out;
		}
		_cleanup_free_ char *name = image_path_normalize(archive_entry_pathname(e) ?: "");
		if (count == 0 && (!name || !archive_marker(name))) {
			r = 1;
			goto out;
		}
		if (!name || !*name)
			continue;
		if (count > rd->opts->limits.max_entries) {
			r = cc_error_set(err, EFBIG, "`%s` has more than %llu entries", src->path,
					 (unsigned long long)rd->opts->limits.max_entries);
			goto out;
		}
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		src->members = cc_xrealloc(src->members, (src->n_members + 1) * sizeof(src->members[0]));
		struct member *m = &src->members[src->n_members++];
		*m = (struct member){ .name = CC_TAKE_PTR(name) };
		int64_t size = archive_entry_size(e);
		if (small_file_wanted(m->name) && size >= 0 && (uint64_t)size <= rd->opts->limits.max_metadata &&
		    src->metadata_total + (size_t)size <= METADATA_TOTAL_MAX) {
			if ((r = read_all(scan_image_read_archive, a, rd->opts->limits.max_metadata, m->name, &m->data,
					  &m->len, err)) < 0)
				goto out;
			src->metadata_total += m->len;
		}
	}
out:
	archive_read_free(a);
	return r;
}

static int open_blob(struct source *src, const char *name, struct cc_error *err)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	int fd = (int)syscall(SYS_openat2, src->dir_fd, name, &how, sizeof(how));
	if (fd < 0)
		return cc_error_set_errno(err, errno, "`%s/%s`", src->path, name);
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cc_error_set(err, EINVAL, "`%s/%s` is not a regular file", src->path, name);
	}
	return fd;
}

/* A small file of the image (manifest, index, config): its bytes, NUL-terminated. */
static int source_read(struct scan_reading *rd, struct source *src, const char *name, char **ret, size_t *ret_len,
		       struct cc_error *err)
{
	if (src->dir_fd >= 0) {
		_cleanup_close_ int fd = open_blob(src, name, err);
		if (fd < 0)
			return fd;
		return read_all(scan_image_read_fd, &fd, rd->opts->limits.max_metadata, name, ret, ret_len, err);
	}
	struct member *m = find_member(src, name);
	if (!m)
		return cc_error_set(err, ENOENT, "the archive has no `%s`", name);
	if (!m->data)
		return cc_error_set(err, EFBIG, "`%s` of the archive is over %llu bytes", name,
				    (unsigned long long)rd->opts->limits.max_metadata);
	*ret = cc_xstrndup(m->data, m->len);
	*ret_len = m->len;
	return 0;
}

/* The same file parsed as JSON. */
static int source_json(struct scan_reading *rd, struct source *src, const char *name, json_t **ret,
		       struct cc_error *err)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int r = source_read(rd, src, name, &data, &len, err);
	return r < 0 ? r : cc_json_parse(data, len, rd->opts->limits.max_metadata, name, ret, err);
}

/* Streams one layer (a member of the archive, or a blob of the layout) into the walk. */
static int walk_layer_of(struct scan_reading *rd, struct source *src, const char *name, const char *digest,
			 size_t layer, struct cc_error *err)
{
	_cleanup_free_ char *what = cc_xasprintf("layer %zu (%s)", layer + 1, digest ? digest : name);
	if (src->dir_fd >= 0) {
		_cleanup_close_ int fd = open_blob(src, name, err);
		if (fd < 0)
			return fd;
		struct stream s = { .read = scan_image_read_fd, .src = &fd };
		return walk_stream(rd, &s, what, digest, layer, err);
	}
	struct archive *a = image_archive_reader_new();
	int r = -ENOENT;
	if (archive_read_open_filename(a, src->path, BLOCK_SIZE) == ARCHIVE_OK) {
		struct archive_entry *e;
		while (archive_read_next_header(a, &e) >= ARCHIVE_WARN) {
			_cleanup_free_ char *entry = image_path_normalize(archive_entry_pathname(e) ?: "");
			if (entry && strcmp(entry, name) == 0 && archive_entry_filetype(e) == AE_IFREG) {
				struct stream s = { .read = scan_image_read_archive, .src = a };
				r = walk_stream(rd, &s, what, digest, layer, err);
				break;
			}
		}
	}
	archive_read_free(a);
	if (r == -ENOENT)
		return cc_error_set(err, ENOENT, "the archive has no `%s` (%s)", name, what);
	return r;
}

static int add_layer(struct scan_reading *rd, const char *digest, uint64_t size, struct cc_error *err)
{
	if (json_array_size(rd->img->layers) >= rd->opts->limits.max_layers)
		return cc_error_set(err, EFBIG, "the image has more than %llu layers",
				    (unsigned long long)rd->opts->limits.max_layers);
	json_array_append_new(rd->img->layers, json_pack("{s:s?, s:I}", "digest", digest, "size", (json_int_t)size));
	return 0;
}

/* The image config, and the image's ID: the config's digest ("sha256:HEX"). */
static void set_config(struct scan_image *img, json_t *config, const char *digest_hex)
{
	img->id = cc_xasprintf("sha256:%s", digest_hex);
	img->config = json_incref(config);
}

/* ---- docker-archive: manifest.json names the config and the layers' files, base first ---- */

static int read_docker_archive(struct scan_reading *rd, struct source *src, struct cc_error *err)
{
	_cleanup_json_ json_t *manifest = NULL;
	int r = source_json(rd, src, "manifest.json", &manifest, err);
	if (r < 0)
		return r;
	json_t *image = json_array_get(manifest, 0);
	const char *config_name = json_string_value(json_object_get(image, "Config"));
	json_t *layers = json_object_get(image, "Layers");
	if (!json_is_object(image) || !config_name || !json_is_array(layers))
		return cc_error_set(err, EINVAL, "manifest.json: the first image has no Config and Layers");
	_cleanup_free_ char *config_path = image_path_normalize(config_name);
	if (!config_path)
		return cc_error_set(err, EINVAL, "manifest.json: Config `%s` leaves the archive", config_name);
	_cleanup_json_ json_t *config = NULL;
	_cleanup_free_ char *config_data = NULL;
	size_t config_len = 0;
	char hex[CC_DIGEST_HEX_MAX];
	if ((r = source_read(rd, src, config_path, &config_data, &config_len, err)) < 0 ||
	    (r = cc_json_parse(config_data, config_len, rd->opts->limits.max_metadata, config_path, &config, err)) <
		0 ||
	    (r = cc_digest_hex(CC_DIGEST_SHA256, config_data, config_len, hex, err)) < 0)
		return r;
	set_config(rd->img, config, hex);
	json_t *tags = json_object_get(image, "RepoTags"), *tag;
	size_t i;
	json_array_foreach (tags, i, tag)
		if (json_is_string(tag))
			json_array_append(rd->img->repo_tags, tag);
	json_t *layer;
	json_array_foreach (layers, i, layer) {
		_cleanup_free_ char *name =
		    json_is_string(layer) ? image_path_normalize(json_string_value(layer)) : NULL;
		if (!name || !*name)
			return cc_error_set(err, EINVAL, "manifest.json: layer %zu is not a path inside the archive",
					    i + 1);
		if ((r = add_layer(rd, NULL, 0, err)) < 0 || (r = walk_layer_of(rd, src, name, NULL, i, err)) < 0)
			return r;
	}
	return 0;
}

/* ---- OCI image layout (a directory or an oci-archive): index.json -> manifest -> config, layers ---- */

static char *blob_name(const char *digest)
{
	return cc_xasprintf("blobs/sha256/%s", digest + strlen("sha256:"));
}

/* The bytes of a descriptor's blob, checked against its digest. */
static int read_blob(struct scan_reading *rd, struct source *src, const char *digest, char **ret, size_t *ret_len,
		     struct cc_error *err)
{
	_cleanup_free_ char *name = blob_name(digest);
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	char hex[CC_DIGEST_HEX_MAX];
	int r = source_read(rd, src, name, &data, &len, err);
	if (r == 0)
		r = cc_digest_hex(CC_DIGEST_SHA256, data, len, hex, err);
	if (r < 0)
		return r;
	if (strcmp(hex, digest + strlen("sha256:")) != 0)
		return cc_error_set(err, EINVAL, "blob %s has the content of sha256:%s", digest, hex);
	*ret = CC_TAKE_PTR(data);
	*ret_len = len;
	return 0;
}

static void add_ref_name(struct scan_image *img, json_t *index)
{
	json_t *m = json_array_get(json_object_get(index, "manifests"), 0);
	const char *name =
	    json_string_value(json_object_get(json_object_get(m, "annotations"), "io.containerd.image.name"));
	if (!name)
		name = json_string_value(
		    json_object_get(json_object_get(m, "annotations"), "org.opencontainers.image.ref.name"));
	if (name)
		json_array_append_new(img->repo_tags, json_string(name));
}

static int read_oci_from(struct scan_reading *rd, struct source *src, char *first, size_t len, const char *first_digest,
			 struct cc_error *err);

static int read_oci(struct scan_reading *rd, struct source *src, struct cc_error *err)
{
	_cleanup_json_ json_t *layout = NULL;
	int r = source_json(rd, src, "oci-layout", &layout, err);
	if (r < 0)
		return r;
	if (!json_is_string(json_object_get(layout, "imageLayoutVersion")))
		return cc_error_set(err, EINVAL, "oci-layout has no imageLayoutVersion");
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	_cleanup_json_ json_t *index_doc = NULL;
	if ((r = source_read(rd, src, "index.json", &data, &len, err)) < 0 ||
	    (r = cc_json_parse(data, len, rd->opts->limits.max_metadata, "index.json", &index_doc, err)) < 0)
		return r;
	add_ref_name(rd->img, index_doc); /* the annotations image_manifest_parse does not keep */
	return read_oci_from(rd, src, CC_TAKE_PTR(data), len, NULL, err);
}

/* From an index or manifest document (data, taken) down to the config and the layers. */
/* first_digest: the digest of first when it is a blob (NULL for index.json); the manifest's digest
 * becomes the image's digest. */
static int read_oci_from(struct scan_reading *rd, struct source *src, char *first, size_t len, const char *first_digest,
			 struct cc_error *err)
{
	_cleanup_free_ char *data = first;
	_cleanup_free_ char *digest = first_digest ? cc_xstrdup(first_digest) : NULL;
	struct image_manifest m = { 0 };
	int r = image_manifest_parse(data, len, NULL, &m, err);
	const char *arch, *variant;
	image_host_platform(&arch, &variant);
	for (int depth = 0; r == 0 && m.kind == IMAGE_MANIFEST_INDEX; depth++) {
		const struct image_descriptor *pick = m.n_manifests == 1 ? &m.manifests[0] : NULL;
		if (depth >= INDEX_DEPTH_MAX)
			r = cc_error_set(err, ELOOP, "index.json: indexes nested deeper than %d", INDEX_DEPTH_MAX);
		else if (!pick)
			r = image_manifest_pick(&m, "linux", arch, variant, &pick, err);
		if (r < 0)
			break;
		free(digest);
		digest = cc_xstrdup(pick->digest);
		image_manifest_clear(&m);
		free(data);
		data = NULL;
		if ((r = read_blob(rd, src, digest, &data, &len, err)) == 0)
			r = image_manifest_parse(data, len, NULL, &m, err);
	}
	if (r < 0) {
		image_manifest_clear(&m);
		return cc_error_prefix(err, "the image's manifest");
	}
	_cleanup_free_ char *config_data = NULL;
	size_t config_len = 0;
	_cleanup_json_ json_t *config = NULL;
	if ((r = read_blob(rd, src, m.config.digest, &config_data, &config_len, err)) == 0)
		r = cc_json_parse(config_data, config_len, rd->opts->limits.max_metadata, "config", &config, err);
	if (r == 0)
		set_config(rd->img, config, m.config.digest + strlen("sha256:"));
	if (r == 0)
		rd->img->digest = CC_TAKE_PTR(digest);
	for (size_t i = 0; r == 0 && i < m.n_layers; i++) {
		_cleanup_free_ char *name = blob_name(m.layers[i].digest);
		if ((r = add_layer(rd, m.layers[i].digest, m.layers[i].size, err)) == 0)
			r = walk_layer_of(rd, src, name, m.layers[i].digest, i, err);
	}
	image_manifest_clear(&m);
	return r;
}

/* ---- the entry point ---- */

static int read_file_image(struct scan_reading *rd, const char *path, struct cc_error *err)
{
	struct source src = { .path = path, .dir_fd = -1 };
	int r = index_archive(rd, &src, err);
	if (r == 1) { /* a root filesystem tar: itself the one layer */
		rd->img->format = cc_xstrdup("rootfs-tar");
		_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			r = cc_error_set_errno(err, errno, "open `%s`", path);
		else {
			struct stream s = { .read = scan_image_read_fd, .src = &fd };
			r = walk_stream(rd, &s, path, NULL, 0, err);
		}
	} else if (r == 0 && find_member(&src, "oci-layout")) {
		rd->img->format = cc_xstrdup("oci-archive");
		r = read_oci(rd, &src, err);
	} else if (r == 0 && find_member(&src, "manifest.json")) {
		rd->img->format = cc_xstrdup("docker-archive");
		r = read_docker_archive(rd, &src, err);
	} else if (r == 0) {
		r = cc_error_set(err, EINVAL,
				 "`%s` looks like an image archive but has neither manifest.json nor oci-layout", path);
	}
	source_clear(&src);
	return r;
}

int scan_image_read(const char *path, const struct scan_image_options *opts, struct scan_image *ret,
		    struct cc_error *err)
{
	*ret = (struct scan_image){ .repo_tags = json_array(), .layers = json_array() };
	struct scan_reading rd = { .opts = opts, .img = ret };
	struct stat st;
	int r;
	if (stat(path, &st) < 0) {
		r = cc_error_set_errno(err, errno, "`%s`", path);
	} else if (S_ISDIR(st.st_mode)) {
		_cleanup_close_ int dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dir < 0) {
			r = cc_error_set_errno(err, errno, "open `%s`", path);
		} else if (opts->host) {
			ret->format = cc_xstrdup("host");
			r = scan_image_walk_directory(&rd, dir, err);
		} else if (faccessat(dir, "oci-layout", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
			ret->format = cc_xstrdup("oci-layout");
			struct source src = { .path = path, .dir_fd = dir };
			r = read_oci(&rd, &src, err);
		} else {
			ret->format = cc_xstrdup("directory");
			r = scan_image_walk_directory(&rd, dir, err);
		}
	} else if (opts->host) {
		r = cc_error_set(err, ENOTDIR, "`%s` is not a directory: a host is scanned from its root directory",
				 path);
	} else if (S_ISREG(st.st_mode)) {
		r = read_file_image(&rd, path, err);
	} else {
		r = cc_error_set(err, EINVAL, "`%s` is neither a directory nor a file", path);
	}
	free(rd.kept_layer);
	if (r < 0)
		scan_image_clear(ret);
	return r;
}

int scan_image_read_stored(const char *store_root, const char *manifest_digest, const json_t *names,
			   const struct scan_image_options *opts, struct scan_image *ret, struct cc_error *err)
{
	*ret = (struct scan_image){ .format = cc_xstrdup("store"),
				    .repo_tags = names ? json_deep_copy(names) : json_array(),
				    .layers = json_array() };
	struct scan_reading rd = { .opts = opts, .img = ret };
	_cleanup_close_ int dir = open(store_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct source src = { .path = store_root, .dir_fd = dir };
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int r = dir < 0 ? cc_error_set_errno(err, errno, "image store `%s`", store_root) : 0;
	if (r == 0 && strncmp(manifest_digest, "sha256:", 7) != 0)
		r = cc_error_set(err, EINVAL, "`%s` is not a sha256 digest", manifest_digest);
	if (r == 0)
		r = read_blob(&rd, &src, manifest_digest, &data, &len, err);
	if (r == 0)
		r = read_oci_from(&rd, &src, CC_TAKE_PTR(data), len, manifest_digest, err);
	free(rd.kept_layer);
	source_clear(&src);
	if (r < 0)
		scan_image_clear(ret);
	return r;
}

void scan_image_clear(struct scan_image *img)
{
	free(img->digest);
	free(img->format);
	free(img->id);
	json_decref(img->config);
	json_decref(img->repo_tags);
	json_decref(img->layers);
	for (size_t i = 0; i < img->n_kept; i++) {
		free(img->kept[i].path);
		free(img->kept[i].data);
	}
	free(img->kept);
	*img = (struct scan_image){ 0 };
}

const struct scan_image_kept *scan_image_find(const struct scan_image *img, const char *path)
{
	for (size_t i = 0; i < img->n_kept; i++)
		if (strcmp(img->kept[i].path, path) == 0)
			return &img->kept[i];
	return NULL;
}
