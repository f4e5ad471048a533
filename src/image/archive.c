/* Loading image archives into the store.
 *
 * One pass over the archive (a tar, possibly compressed) copies every regular file into a
 * temporary file while hashing it, then moves it into blobs/sha256 under the digest it really has;
 * the few small JSON files that describe the archive (manifest.json, index.json, oci-layout) are
 * kept in memory instead. Nothing is taken on trust afterwards:
 *   - oci-archive (image-spec image-layout.md): a file blobs/sha256/HEX whose content does not hash
 *     to HEX refuses the archive; descriptors must name a blob of the archive with their size;
 *   - docker-archive (`docker save`, `podman save --format docker-archive`): the config's file name
 *     `HEX.json` must be its digest; layer files have no digest in their names that means anything
 *     to all writers, so they are checked through their diff_id below;
 *   - every layer, whatever the format, is decompressed once to compare the digest of its tar with
 *     the config's rootfs.diff_ids before it is unpacked; a mismatch refuses the image.
 * A docker-archive has no manifest of its own: an OCI manifest is written for it, so every image in
 * the store has a manifest digest; its ID is the config digest in both formats, as podman's. */
#include "image/store.h"
#include "image/store_internal.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/crypto/digest.h"
#include "lib/crypto/encode.h"
#include "lib/json/json.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARCHIVE_FILES  100000
#define MAX_IMAGES         1000
#define MAX_LAYERS         1000
#define MEDIA_MANIFEST     "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_INDEX        "application/vnd.oci.image.index.v1+json"
#define MEDIA_DOCKER_LIST  "application/vnd.docker.distribution.manifest.list.v2+json"
#define MEDIA_CONFIG       "application/vnd.oci.image.config.v1+json"
#define MEDIA_LAYER        "application/vnd.oci.image.layer.v1.tar"
#define ANNOTATION_REFNAME "org.opencontainers.image.ref.name"

struct staged {
	char *path, *target; /* target: for a symlink entry, the path it names */
	char *digest;
	uint64_t size;
};

struct pending {
	char *digest, *config;
	json_t *layers; /* [{digest, size, media_type}] */
	json_t *names;
};

struct load {
	struct image_store *s;
	struct cc_error *err;
	struct staged *files;
	size_t n_files;
	json_t *docker_manifest, *oci_index, *oci_layout;
	struct pending *images;
	size_t n_images;
	const char *format;
	const char *format_name; /* what the index records instead of the archive's format, or NULL */
	json_t *repo_digests;    /* NAME@DIGEST references the images also answer to, or NULL */
	struct image_load_result result;
};

static void load_clear(struct load *l)
{
	for (size_t i = 0; i < l->n_files; i++) {
		free(l->files[i].path);
		free(l->files[i].target);
		free(l->files[i].digest);
	}
	free(l->files);
	for (size_t i = 0; i < l->n_images; i++) {
		free(l->images[i].digest);
		free(l->images[i].config);
		json_decref(l->images[i].layers);
		json_decref(l->images[i].names);
	}
	free(l->images);
	json_decref(l->docker_manifest);
	json_decref(l->oci_index);
	json_decref(l->oci_layout);
	json_decref(l->repo_digests);
}

/* Lexical normalisation of an archive member's path ("./a/../b" -> "b"); these paths are only keys
 * to look files up by, never paths on disk. Returns NULL for a path that climbs above the top. */
char *image_path_normalize(const char *path)
{
	_cleanup_free_ char *copy = cc_xstrdup(path);
	char *out = cc_xcalloc(1, strlen(path) + 1);
	size_t len = 0;
	for (char *save = NULL, *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			if (len == 0) {
				free(out);
				return NULL;
			}
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
			out[len] = '\0';
			continue;
		}
		len += (size_t)sprintf(out + len, "%s%s", len ? "/" : "", c);
	}
	return out;
}

static const struct staged *lookup(struct load *l, const char *path)
{
	_cleanup_free_ char *want = image_path_normalize(path);
	for (int hops = 0; want && hops < 8; hops++) {
		const struct staged *f = NULL;
		for (size_t i = 0; i < l->n_files && !f; i++)
			if (strcmp(l->files[i].path, want) == 0)
				f = &l->files[i];
		if (!f || !f->target)
			return f;
		free(want);
		want = cc_xstrdup(f->target);
	}
	return NULL;
}

/* ---- the pass over the archive ---- */

static int read_small(struct load *l, struct archive *a, const char *path, json_t **ret)
{
	if (*ret)
		return cc_error_set(l->err, EINVAL, "archive has `%s` twice", path);
	char *buf = cc_xmalloc(IMAGE_JSON_MAX_SIZE + 1);
	size_t len = 0;
	for (;;) {
		la_ssize_t n = archive_read_data(a, buf + len, IMAGE_JSON_MAX_SIZE + 1 - len);
		if (n < 0) {
			free(buf);
			return cc_error_set(l->err, EIO, "read `%s` of the archive: %s", path, archive_error_string(a));
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > IMAGE_JSON_MAX_SIZE)
			break;
	}
	int r = cc_json_parse(buf, len, IMAGE_JSON_MAX_SIZE, path, ret, l->err);
	free(buf);
	return r;
}

static int stage_file(struct load *l, struct archive *a, struct archive_entry *e, struct staged *f)
{
	uint64_t max = l->s->opts.limits.max_blob_size;
	if (archive_entry_size_is_set(e) && (uint64_t)archive_entry_size(e) > max)
		return cc_error_set(l->err, EFBIG, "`%s` of the archive has %lld bytes, over the limit of %llu",
				    f->path, (long long)archive_entry_size(e), (unsigned long long)max);
	if (archive_entry_size(e) > (1 << 20))
		store_progress(l->s, "reading %s (%.1f MB)", f->path, (double)archive_entry_size(e) / 1e6);
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = store_tmp_file(l->s, &tmp, l->err);
	if (fd < 0)
		return fd;
	struct cc_digest_ctx *ctx;
	int r = cc_digest_begin(CC_DIGEST_SHA256, &ctx, l->err);
	if (r < 0)
		return r;
	char buf[64 * 1024];
	uint64_t total = 0;
	for (;;) {
		la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n < 0)
			r = cc_error_set(l->err, EIO, "read `%s` of the archive: %s", f->path, archive_error_string(a));
		else if ((total += (uint64_t)n) > max)
			r = cc_error_set(l->err, EFBIG, "`%s` of the archive is over the limit of %llu bytes", f->path,
					 (unsigned long long)max);
		else if (cc_write_all(fd, buf, (size_t)n) < 0)
			r = cc_error_set_errno(l->err, errno, "write `%s/tmp/%s`", l->s->root, tmp);
		if (r < 0) {
			cc_digest_abort(ctx);
			unlinkat(l->s->tmp_fd, tmp, 0);
			return r;
		}
		cc_digest_update(ctx, buf, (size_t)n);
	}
	uint8_t md[32];
	char hex[65];
	if ((r = cc_digest_end(ctx, md, l->err)) < 0)
		return r;
	cc_hex_encode(md, sizeof(md), hex);
	f->digest = cc_xasprintf("sha256:%s", hex);
	f->size = total;
	return store_blob_commit(l->s, tmp, f->digest, l->err);
}

static int read_entry(struct load *l, struct archive *a, struct archive_entry *e)
{
	const char *raw = archive_entry_pathname(e);
	_cleanup_free_ char *path = raw ? image_path_normalize(raw) : NULL;
	if (!path || !*path)
		return 0; /* "./" or a path above the top: nothing any format refers to */
	mode_t type = archive_entry_filetype(e);
	if (type == AE_IFDIR)
		return 0;
	if (strcmp(path, "manifest.json") == 0)
		return read_small(l, a, path, &l->docker_manifest);
	if (strcmp(path, "index.json") == 0)
		return read_small(l, a, path, &l->oci_index);
	if (strcmp(path, "oci-layout") == 0)
		return read_small(l, a, path, &l->oci_layout);
	if (strcmp(path, "repositories") == 0)
		return 0; /* docker's legacy tag file; manifest.json says the same */
	if (l->n_files == MAX_ARCHIVE_FILES)
		return cc_error_set(l->err, EFBIG, "archive has more than %d files", MAX_ARCHIVE_FILES);
	struct staged f = { .path = CC_TAKE_PTR(path) };
	int r = 0;
	const char *link = archive_entry_hardlink(e);
	if (link || type == AE_IFLNK) {
		/* `docker save` links a layer shared by two images: keep the link as an alias. */
		if (link)
			f.target = image_path_normalize(link);
		else {
			const char *slash = strrchr(f.path, '/');
			_cleanup_free_ char *joined =
			    cc_xasprintf("%.*s/%s", slash ? (int)(slash - f.path) : 0, f.path,
					 archive_entry_symlink(e) ? archive_entry_symlink(e) : "");
			f.target = archive_entry_symlink(e) && archive_entry_symlink(e)[0] != '/'
				       ? image_path_normalize(joined)
				       : NULL;
		}
		if (!f.target) {
			free(f.path);
			return 0; /* a link that leads nowhere inside the archive is ignored */
		}
	} else if (type == AE_IFREG) {
		r = stage_file(l, a, e, &f);
	} else {
		free(f.path);
		return 0;
	}
	if (r < 0) {
		free(f.path);
		free(f.target);
		free(f.digest);
		return r;
	}
	l->files = cc_xrealloc(l->files, (l->n_files + 1) * sizeof(*l->files));
	l->files[l->n_files++] = f;
	return 0;
}

static int read_archive(struct load *l, struct archive *a)
{
	int r = 0;
	for (;;) {
		struct archive_entry *e;
		int ar = archive_read_next_header(a, &e);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar < ARCHIVE_WARN) {
			r = cc_error_set(l->err, EINVAL, "read archive: %s", archive_error_string(a));
			break;
		}
		if ((r = read_entry(l, a, e)) < 0)
			break;
	}
	archive_read_free(a);
	return r;
}

/* ---- docker-archive ---- */

static const char *layer_media_type(struct load *l, const char *digest)
{
	_cleanup_close_ int fd = -1;
	struct cc_error ignored = { 0 };
	uint8_t magic[4] = { 0 };
	if (store_blob_open(l->s, digest, &fd, NULL, &ignored) < 0 || pread(fd, magic, sizeof(magic), 0) != 4)
		return MEDIA_LAYER;
	if (magic[0] == 0x1f && magic[1] == 0x8b)
		return MEDIA_LAYER "+gzip";
	if (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
		return MEDIA_LAYER "+zstd";
	return MEDIA_LAYER;
}

static void add_name(json_t *names, const char *name)
{
	_cleanup_free_ char *n = image_reference_normalize(name);
	size_t i;
	json_t *v;
	json_array_foreach (names, i, v)
		if (strcmp(json_string_value(v), n) == 0)
			return;
	json_array_append_new(names, json_string(n));
}

static struct pending *new_pending(struct load *l)
{
	l->images = cc_xrealloc(l->images, (l->n_images + 1) * sizeof(*l->images));
	struct pending *p = &l->images[l->n_images++];
	*p = (struct pending){ .layers = json_array(), .names = json_array() };
	return p;
}

static int docker_image(struct load *l, json_t *item, size_t index)
{
	char what[64];
	snprintf(what, sizeof(what), "manifest.json[%zu]", index);
	if (!json_is_object(item))
		return cc_error_set(l->err, EINVAL, "%s is not an object", what);
	const char *config_path;
	json_t *layers, *tags = json_object_get(item, "RepoTags");
	int r = cc_json_get_string(item, "Config", true, &config_path, l->err);
	if (r < 0 || (r = cc_json_get_array(item, "Layers", true, &layers, l->err)) < 0)
		return cc_error_prefix(l->err, "%s", what);
	const struct staged *config = lookup(l, config_path);
	if (!config)
		return cc_error_set(l->err, ENOENT, "%s: config `%s` is not in the archive", what, config_path);
	const char *base = strrchr(config_path, '/') ? strrchr(config_path, '/') + 1 : config_path;
	if (strlen(base) == 69 && strcmp(base + 64, ".json") == 0 && strspn(base, "0123456789abcdef") == 64 &&
	    strncmp(base, config->digest + 7, 64) != 0)
		return cc_error_set(l->err, EBADMSG, "%s: config `%s` does not match its digest (it is %s)", what,
				    config_path, config->digest);
	if (json_array_size(layers) > MAX_LAYERS)
		return cc_error_set(l->err, EFBIG, "%s has more than %d layers", what, MAX_LAYERS);
	struct pending *p = new_pending(l);
	p->config = cc_xstrdup(config->digest);
	json_t *manifest_layers = json_array();
	size_t i;
	json_t *v;
	json_array_foreach (layers, i, v) {
		const struct staged *f = json_is_string(v) ? lookup(l, json_string_value(v)) : NULL;
		if (!f) {
			json_decref(manifest_layers);
			return cc_error_set(l->err, ENOENT, "%s: layer %zu (`%s`) is not in the archive", what, i,
					    json_is_string(v) ? json_string_value(v) : "?");
		}
		json_t *desc = json_pack("{s:s, s:s, s:I}", "mediaType", layer_media_type(l, f->digest), "digest",
					 f->digest, "size", (json_int_t)f->size);
		json_array_append(manifest_layers, desc);
		json_array_append_new(p->layers, desc);
	}
	json_array_foreach (tags, i, v)
		if (json_is_string(v))
			add_name(p->names, json_string_value(v));
	_cleanup_json_ json_t *manifest =
	    json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:o}", "schemaVersion", 2, "mediaType", MEDIA_MANIFEST, "config",
		      "mediaType", MEDIA_CONFIG, "digest", config->digest, "size", (json_int_t)config->size, "layers",
		      manifest_layers);
	_cleanup_free_ char *text = cc_json_canonical(manifest);
	return store_blob_put_memory(l->s, text, strlen(text), &p->digest, l->err);
}

static int docker_archive(struct load *l)
{
	if (!json_is_array(l->docker_manifest))
		return cc_error_set(l->err, EINVAL, "manifest.json is not an array");
	if (json_array_size(l->docker_manifest) > MAX_IMAGES)
		return cc_error_set(l->err, EFBIG, "manifest.json lists more than %d images", MAX_IMAGES);
	size_t i;
	json_t *item;
	json_array_foreach (l->docker_manifest, i, item) {
		int r = docker_image(l, item, i);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- oci-archive ---- */

/* The blob a descriptor names: its digest well formed, the blob in the archive, the size equal. */
static const struct staged *oci_blob(struct load *l, json_t *desc, const char *what)
{
	const char *digest;
	json_int_t size = -1;
	if (!json_is_object(desc) || cc_json_get_string(desc, "digest", true, &digest, l->err) < 0) {
		cc_error_set(l->err, EINVAL, "%s: a descriptor needs a `digest`", what);
		return NULL;
	}
	const char *hex = store_digest_hex(digest);
	if (!hex) {
		cc_error_set(l->err, EINVAL, "%s: digest `%s` is not sha256:HEX", what, digest);
		return NULL;
	}
	_cleanup_free_ char *path = cc_xasprintf("blobs/sha256/%s", hex);
	const struct staged *f = lookup(l, path);
	if (!f) {
		cc_error_set(l->err, ENOENT, "%s: blob %s is not in the archive", what, digest);
		return NULL;
	}
	if (json_is_integer(json_object_get(desc, "size")))
		size = json_integer_value(json_object_get(desc, "size"));
	if (size < 0 || (uint64_t)size != f->size) {
		cc_error_set(l->err, EBADMSG, "%s: blob %s has %llu bytes, the descriptor says %lld", what, digest,
			     (unsigned long long)f->size, (long long)size);
		return NULL;
	}
	return f;
}

static int read_blob_json(struct load *l, const char *digest, const char *what, json_t **ret)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = store_blob_read(l->s, digest, IMAGE_JSON_MAX_SIZE, &text, &len, l->err);
	if (r < 0)
		return cc_error_prefix(l->err, "%s", what);
	r = cc_json_parse(text, len, IMAGE_JSON_MAX_SIZE, what, ret, l->err);
	if (r == 0 && !json_is_object(*ret)) {
		json_decref(*ret);
		return cc_error_set(l->err, EINVAL, "%s is not an object", what);
	}
	return r;
}

static const char *host_architecture(void)
{
	static struct utsname u;
	uname(&u);
	if (strcmp(u.machine, "x86_64") == 0)
		return "amd64";
	if (strcmp(u.machine, "aarch64") == 0)
		return "arm64";
	return u.machine;
}

static int oci_descriptor(struct load *l, json_t *desc, json_t *names, int depth, const char *what);

static int oci_nested_index(struct load *l, const struct staged *f, json_t *names, int depth, const char *what)
{
	if (depth > 2)
		return cc_error_set(l->err, ELOOP, "%s: image indexes nested too deeply", what);
	_cleanup_json_ json_t *index = NULL;
	int r = read_blob_json(l, f->digest, what, &index);
	if (r < 0)
		return r;
	json_t *manifests = json_object_get(index, "manifests"), *pick = NULL, *m;
	size_t i;
	/* One image per index entry: the one for this machine's architecture, else the first. */
	json_array_foreach (manifests, i, m) {
		const char *arch = json_string_value(json_object_get(json_object_get(m, "platform"), "architecture"));
		if (!pick || (arch && strcmp(arch, host_architecture()) == 0))
			pick = m;
	}
	if (!pick)
		return cc_error_set(l->err, EINVAL, "%s: image index lists no manifests", what);
	return oci_descriptor(l, pick, names, depth + 1, what);
}

static int oci_descriptor(struct load *l, json_t *desc, json_t *names, int depth, const char *what)
{
	const struct staged *f = oci_blob(l, desc, what);
	if (!f)
		return -l->err->code;
	const char *media = json_string_value(json_object_get(desc, "mediaType"));
	if (media && (strcmp(media, MEDIA_INDEX) == 0 || strcmp(media, MEDIA_DOCKER_LIST) == 0))
		return oci_nested_index(l, f, names, depth, what);
	_cleanup_json_ json_t *manifest = NULL;
	int r = read_blob_json(l, f->digest, what, &manifest);
	if (r < 0)
		return r;
	json_t *layers = json_object_get(manifest, "layers");
	if (!json_is_array(layers))
		return cc_error_set(l->err, EINVAL, "%s: manifest %s has no `layers` array", what, f->digest);
	if (json_array_size(layers) > MAX_LAYERS)
		return cc_error_set(l->err, EFBIG, "%s: manifest %s has more than %d layers", what, f->digest,
				    MAX_LAYERS);
	const struct staged *config = oci_blob(l, json_object_get(manifest, "config"), what);
	if (!config)
		return cc_error_prefix(l->err, "config of manifest %s", f->digest);
	struct pending *p = new_pending(l);
	p->digest = cc_xstrdup(f->digest);
	p->config = cc_xstrdup(config->digest);
	size_t i;
	json_t *v, *name;
	json_array_foreach (layers, i, v) {
		const struct staged *layer = oci_blob(l, v, what);
		if (!layer)
			return cc_error_prefix(l->err, "layer %zu of manifest %s", i, f->digest);
		const char *lm = json_string_value(json_object_get(v, "mediaType"));
		json_array_append_new(p->layers, json_pack("{s:s, s:s, s:I}", "mediaType", lm ? lm : MEDIA_LAYER,
							   "digest", layer->digest, "size", (json_int_t)layer->size));
	}
	json_array_foreach (names, i, name)
		add_name(p->names, json_string_value(name));
	return 0;
}

/* The names an index entry gives its image. The OCI ref.name annotation may hold a whole reference
 * (as podman and skopeo write it) or only a tag, which names nothing by itself. */
static json_t *oci_names(json_t *desc)
{
	json_t *names = json_array();
	json_t *ann = json_object_get(desc, "annotations");
	const char *full = json_string_value(json_object_get(ann, "io.containerd.image.name"));
	const char *ref = json_string_value(json_object_get(ann, ANNOTATION_REFNAME));
	if (full && *full)
		json_array_append_new(names, json_string(full));
	else if (ref && *ref && (strchr(ref, '/') || strchr(ref, ':')) && !strchr(ref, '@'))
		json_array_append_new(names, json_string(ref));
	return names;
}

static int oci_archive(struct load *l)
{
	const char *version;
	if (!json_is_object(l->oci_layout) ||
	    cc_json_get_string(l->oci_layout, "imageLayoutVersion", true, &version, l->err) < 0)
		return cc_error_set(l->err, EINVAL, "oci-layout has no `imageLayoutVersion`");
	if (!json_is_object(l->oci_index))
		return cc_error_set(l->err, EINVAL, "oci-archive has no index.json object");
	/* Every blob must be what its name says (image-layout.md: "blobs/<alg>/<encoded>"). */
	for (size_t i = 0; i < l->n_files; i++) {
		const struct staged *f = &l->files[i];
		if (strncmp(f->path, "blobs/", 6) != 0 || f->target)
			continue;
		if (strncmp(f->path, "blobs/sha256/", 13) != 0)
			return cc_error_set(l->err, ENOTSUP, "`%s`: only sha256 blobs are supported", f->path);
		if (strcmp(f->path + 13, f->digest + 7) != 0)
			return cc_error_set(l->err, EBADMSG, "blob `%s` does not match its digest (its content is %s)",
					    f->path, f->digest);
	}
	json_t *manifests;
	int r = cc_json_get_array(l->oci_index, "manifests", true, &manifests, l->err);
	if (r < 0)
		return cc_error_prefix(l->err, "index.json");
	if (json_array_size(manifests) > MAX_IMAGES)
		return cc_error_set(l->err, EFBIG, "index.json lists more than %d manifests", MAX_IMAGES);
	size_t i;
	json_t *desc;
	json_array_foreach (manifests, i, desc) {
		char what[64];
		snprintf(what, sizeof(what), "index.json manifests[%zu]", i);
		_cleanup_json_ json_t *names = oci_names(desc);
		/* The same manifest listed twice with two names is one image with both. */
		if ((r = oci_descriptor(l, desc, names, 0, what)) < 0)
			return r;
	}
	return 0;
}

/* ---- layers and the index ---- */

static int unpack_layer(struct load *l, const char *blob, const char *diff_id, size_t number, size_t count)
{
	struct image_store *s = l->s;
	_cleanup_close_ int fd = -1;
	uint64_t size;
	int r = store_blob_open(s, blob, &fd, &size, l->err);
	if (r < 0)
		return r;
	store_progress(s, "checking layer %zu/%zu %.19s... (%.1f MB)", number, count, diff_id, (double)size / 1e6);
	_cleanup_free_ char *actual = NULL;
	if ((r = image_layer_diff_id(fd, s->opts.limits.max_layer_size + (64u << 20), &actual, l->err)) < 0)
		return cc_error_prefix(l->err, "layer %s", blob);
	if (strcmp(actual, diff_id) != 0)
		return cc_error_set(l->err, EBADMSG,
				    "layer %s does not match its digest: its tar is %s, the image config says %s", blob,
				    actual, diff_id);
	store_progress(s, "unpacking layer %zu/%zu %.19s...", number, count, diff_id);
	_cleanup_free_ char *tmp = cc_xasprintf("layer-%s-%d", store_digest_hex(diff_id), (int)getpid());
	image_remove_tree_at(s->tmp_fd, tmp, NULL);
	if (mkdirat(s->tmp_fd, tmp, 0755) < 0)
		return cc_error_set_errno(l->err, errno, "create `%s/tmp/%s`", s->root, tmp);
	_cleanup_close_ int dir = openat(s->tmp_fd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct image_unpack_stats stats;
	if (dir < 0)
		r = cc_error_set_errno(l->err, errno, "open `%s/tmp/%s`", s->root, tmp);
	else if ((r = image_layer_unpack_fd(fd, dir, &s->opts, &stats, l->err)) < 0)
		cc_error_prefix(l->err, "layer %s", blob);
	else if (renameat(s->tmp_fd, tmp, s->layers_fd, store_digest_hex(diff_id)) < 0 && errno != EEXIST &&
		 errno != ENOTEMPTY)
		r = cc_error_set_errno(l->err, errno, "move layer %s into the store", diff_id);
	image_remove_tree_at(s->tmp_fd, tmp, NULL); /* only left when the rename failed */
	if (r == 0) {
		l->result.layers_unpacked++;
		l->result.devices_skipped += stats.devices_skipped;
	}
	return r;
}

static int commit_image(struct load *l, struct pending *p, json_t *index)
{
	json_t *config;
	int r = read_blob_json(l, p->config, "image config", &config);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *config_ref = config;
	json_t *diff_ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
	if (!json_is_array(diff_ids) || json_array_size(diff_ids) != json_array_size(p->layers))
		return cc_error_set(l->err, EINVAL,
				    "image config %s: rootfs.diff_ids lists %zu layers, the manifest %zu", p->config,
				    json_array_size(diff_ids), json_array_size(p->layers));
	uint64_t size = 0;
	size_t i;
	json_t *layer;
	json_t *entry_layers = json_array();
	json_array_foreach (p->layers, i, layer) {
		const char *diff_id = json_string_value(json_array_get(diff_ids, i));
		const char *blob = json_string_value(json_object_get(layer, "digest"));
		if (!store_digest_hex(diff_id)) {
			json_decref(entry_layers);
			return cc_error_set(l->err, EINVAL, "image config %s: rootfs.diff_ids[%zu] is not sha256:HEX",
					    p->config, i);
		}
		if (!store_layer_exists(l->s, diff_id) &&
		    (r = unpack_layer(l, blob, diff_id, i + 1, json_array_size(p->layers))) < 0) {
			json_decref(entry_layers);
			return r;
		}
		size += (uint64_t)json_integer_value(json_object_get(layer, "size"));
		json_array_append_new(entry_layers, json_pack("{s:s, s:s, s:O, s:O}", "digest", blob, "diff_id",
							      diff_id, "size", json_object_get(layer, "size"),
							      "media_type", json_object_get(layer, "mediaType")));
	}
	const char *created = json_string_value(json_object_get(config, "created"));
	json_t *entry = json_pack("{s:s, s:s, s:O, s:o, s:I, s:s, s:s, s:I}", "digest", p->digest, "id", p->config,
				  "names", p->names, "layers", entry_layers, "size", (json_int_t)size, "created",
				  created ? created : "", "format", l->format, "loaded", (json_int_t)time(NULL));
	if (l->repo_digests)
		json_object_set(entry, "repo_digests", l->repo_digests);
	store_index_add(index, entry);
	json_decref(entry);
	return 0;
}

static int load_images(struct load *l, const char *name)
{
	if (l->oci_layout || (l->oci_index && !l->docker_manifest)) {
		l->format = l->format_name ? l->format_name : "oci-archive";
		int r = oci_archive(l);
		if (r < 0)
			return r;
	} else if (l->docker_manifest) {
		l->format = "docker-archive";
		int r = docker_archive(l);
		if (r < 0)
			return r;
	} else {
		return cc_error_set(l->err, EINVAL,
				    "not an image archive: neither manifest.json (docker-archive) nor oci-layout and "
				    "index.json (oci-archive) found");
	}
	if (l->n_images == 0)
		return cc_error_set(l->err, ENOENT, "the %s holds no image", l->format);
	if (name) {
		if (l->n_images != 1)
			return cc_error_set(l->err, EINVAL, "the archive holds %zu images; --name tags exactly one",
					    l->n_images);
		add_name(l->images[0].names, name);
	}
	_cleanup_json_ json_t *index = NULL;
	int r = store_index_load(l->s, &index, l->err);
	for (size_t i = 0; r == 0 && i < l->n_images; i++)
		r = commit_image(l, &l->images[i], index);
	if (r == 0)
		r = store_index_save(l->s, index, l->err);
	if (r < 0)
		return r;
	l->result.images = cc_xcalloc(l->n_images, sizeof(struct image_info));
	json_t *images = json_object_get(index, "images"), *img;
	for (size_t i = 0; i < l->n_images; i++) {
		size_t j;
		json_array_foreach (images, j, img)
			if (strcmp(json_string_value(json_object_get(img, "digest")), l->images[i].digest) == 0) {
				store_info_from_entry(img, &l->result.images[l->result.n_images++]);
				break;
			}
	}
	return 0;
}

struct archive *image_archive_reader_new(void)
{
	struct archive *a = archive_read_new();
	if (!a)
		abort();
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_format_tar(a);
	return a;
}

/* The end of every load, on success and on failure: what was staged and no image uses now goes. */
static int load_finish(struct load *l, int r, const char *verb, const char *what, struct image_load_result *ret)
{
	if (r < 0)
		cc_error_prefix(l->err, "%s `%s`", verb, what);
	_cleanup_json_ json_t *index = NULL;
	struct cc_error gc_err = { 0 };
	if (store_index_load(l->s, &index, &gc_err) == 0)
		store_gc(l->s, index, &gc_err);
	if (r == 0)
		*ret = l->result;
	else
		image_load_result_clear(&l->result);
	load_clear(l);
	return r;
}

static int load(struct image_store *s, struct archive *a, const char *verb, const char *what, const char *name,
		struct image_load_result *ret, struct cc_error *err)
{
	_cleanup_close_ int lock = -1;
	int r = store_lock(s, &lock, err);
	if (r < 0) {
		archive_read_free(a);
		return r;
	}
	struct load l = { .s = s, .err = err };
	r = read_archive(&l, a);
	if (r == 0)
		r = load_images(&l, name);
	return load_finish(&l, r, verb, what, ret);
}

/* A blob of the store as if an archive had held it (its digest verified when it was written). */
static int stage_stored(struct load *l, const char *digest)
{
	_cleanup_close_ int fd = -1;
	uint64_t size;
	int r = store_blob_open(l->s, digest, &fd, &size, l->err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < l->n_files; i++)
		if (strcmp(l->files[i].digest, digest) == 0)
			return 0;
	l->files = cc_xrealloc(l->files, (l->n_files + 1) * sizeof(*l->files));
	l->files[l->n_files++] = (struct staged){ .path = cc_xasprintf("blobs/sha256/%s", store_digest_hex(digest)),
						  .digest = cc_xstrdup(digest),
						  .size = size };
	return 0;
}

/* The manifest, its config and its layers, staged from the store as an oci-archive's files. */
static int stage_manifest(struct load *l, const char *manifest_digest, const char *media_type)
{
	_cleanup_json_ json_t *manifest = NULL;
	int r = stage_stored(l, manifest_digest);
	if (r == 0)
		r = read_blob_json(l, manifest_digest, "manifest", &manifest);
	if (r < 0)
		return r;
	const char *config = json_string_value(json_object_get(json_object_get(manifest, "config"), "digest"));
	if (!store_digest_hex(config))
		return cc_error_set(l->err, EINVAL, "manifest %s: the config's digest is not sha256:HEX",
				    manifest_digest);
	if ((r = stage_stored(l, config)) < 0)
		return r;
	size_t i;
	json_t *layer;
	json_array_foreach (json_object_get(manifest, "layers"), i, layer) {
		const char *digest = json_string_value(json_object_get(layer, "digest"));
		if (!store_digest_hex(digest))
			return cc_error_set(l->err, EINVAL, "manifest %s: layer %zu's digest is not sha256:HEX",
					    manifest_digest, i);
		if ((r = stage_stored(l, digest)) < 0)
			return r;
	}
	const struct staged *m = &l->files[0];
	l->oci_layout = json_pack("{s:s}", "imageLayoutVersion", "1.0.0");
	l->oci_index = json_pack("{s:i, s:[{s:s, s:s, s:I}]}", "schemaVersion", 2, "manifests", "mediaType", media_type,
				 "digest", m->digest, "size", (json_int_t)m->size);
	return 0;
}

int store_register_locked(struct image_store *s, const char *manifest_digest, const char *media_type, const char *name,
			  json_t *repo_digests, const char *format, struct image_load_result *ret, struct cc_error *err)
{
	struct load l = { .s = s, .err = err, .format_name = format, .repo_digests = json_incref(repo_digests) };
	int r = stage_manifest(&l, manifest_digest, media_type);
	if (r == 0)
		r = load_images(&l, name);
	return load_finish(&l, r, "store", manifest_digest, ret);
}

int image_store_load(struct image_store *s, const char *archive_path, const char *name, struct image_load_result *ret,
		     struct cc_error *err)
{
	_cleanup_close_ int fd = open(archive_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cc_error_set_errno(err, errno, "open image archive `%s`", archive_path);
	struct archive *a = image_archive_reader_new();
	if (archive_read_open_fd(a, fd, 64 * 1024) != ARCHIVE_OK) {
		int r = cc_error_set(err, EINVAL, "open image archive `%s`: %s", archive_path, archive_error_string(a));
		archive_read_free(a);
		return r;
	}
	return load(s, a, "load", archive_path, name, ret, err);
}

int store_load_memory(struct image_store *s, const void *data, size_t len, const char *verb, const char *what,
		      const char *name, struct image_load_result *ret, struct cc_error *err)
{
	struct archive *a = image_archive_reader_new();
	if (archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
		int r = cc_error_set(err, EINVAL, "%s `%s`: %s", verb, what, archive_error_string(a));
		archive_read_free(a);
		return r;
	}
	return load(s, a, verb, what, name, ret, err);
}

int image_store_load_memory(struct image_store *s, const void *data, size_t len, const char *name,
			    struct image_load_result *ret, struct cc_error *err)
{
	return store_load_memory(s, data, len, "load", "(memory)", name, ret, err);
}
