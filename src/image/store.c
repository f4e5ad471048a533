/* The image store: opening it, blobs, the index of images and names, resolving references,
 * removing images and collecting what no image uses. Loading archives lives in archive.c, layer
 * unpacking in layer.c. */
#include "image/store.h"

#include "image/store_internal.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/crypto/digest.h"
#include "lib/crypto/encode.h"
#include "lib/json/json.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int open_subdir(int root_fd, const char *name, const char *root, struct cc_error *err)
{
	if (mkdirat(root_fd, name, 0700) < 0 && errno != EEXIST)
		return cc_error_set_errno(err, errno, "create `%s/%s`", root, name);
	int fd = openat(root_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return cc_error_set_errno(err, errno, "open `%s/%s`", root, name);
	return fd;
}

int image_store_open(const char *root, const struct image_unpack_options *opts, struct image_store **ret,
		     struct cc_error *err)
{
	if (!root)
		root = IMAGE_STORE_DEFAULT_ROOT;
	int r = cc_mkdir_p(root, 0700, err);
	if (r < 0)
		return cc_error_prefix(err, "image store");
	_cleanup_close_ int blobs = -1, layers = -1;
	struct image_store *s = cc_xcalloc(1, sizeof(*s));
	s->root = cc_xstrdup(root);
	s->root_fd = s->blobs_fd = s->layers_fd = s->tmp_fd = -1;
	if (opts)
		s->opts = *opts;
	else
		image_unpack_options_default(&s->opts);
	s->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->root_fd < 0) {
		r = cc_error_set_errno(err, errno, "open image store `%s`", root);
		goto fail;
	}
	blobs = open_subdir(s->root_fd, "blobs", root, err);
	layers = open_subdir(s->root_fd, "layers", root, err);
	if (blobs < 0 || layers < 0) {
		r = -err->code;
		goto fail;
	}
	if ((s->blobs_fd = open_subdir(blobs, "sha256", root, err)) < 0 ||
	    (s->layers_fd = open_subdir(layers, "sha256", root, err)) < 0 ||
	    (s->tmp_fd = open_subdir(s->root_fd, "tmp", root, err)) < 0) {
		r = -err->code;
		goto fail;
	}
	*ret = s;
	return 0;
fail:
	image_store_free(s);
	return r;
}

void image_store_free(struct image_store *s)
{
	if (!s)
		return;
	int fds[] = { s->root_fd, s->blobs_fd, s->layers_fd, s->tmp_fd };
	for (size_t i = 0; i < CC_ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(s->root);
	free(s);
}

void image_store_set_progress(struct image_store *s, image_progress_fn fn, void *ctx)
{
	s->progress = fn;
	s->progress_ctx = ctx;
}

const char *image_store_root(const struct image_store *s)
{
	return s->root;
}

void store_progress(struct image_store *s, const char *fmt, ...)
{
	if (!s->progress)
		return;
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *line = cc_xvasprintf(fmt, ap);
	va_end(ap);
	s->progress(s->progress_ctx, line);
}

const char *store_digest_hex(const char *digest)
{
	if (!digest || strncmp(digest, "sha256:", 7) != 0)
		return NULL;
	const char *hex = digest + 7;
	if (strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64)
		return NULL;
	return hex;
}

int store_lock(struct image_store *s, int *ret_fd, struct cc_error *err)
{
	int fd = openat(s->root_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return cc_error_set_errno(err, errno, "open `%s/lock`", s->root);
	if (flock(fd, LOCK_EX) < 0) {
		close(fd);
		return cc_error_set_errno(err, errno, "lock `%s/lock`", s->root);
	}
	*ret_fd = fd;
	return 0;
}

/* ---- the index ---- */

int store_index_load(struct image_store *s, json_t **ret, struct cc_error *err)
{
	_cleanup_free_ char *path = cc_xasprintf("%s/index.json", s->root);
	if (access(path, F_OK) < 0 && errno == ENOENT) {
		*ret = json_pack("{s:[]}", "images");
		return 0;
	}
	json_t *index;
	int r = cc_json_load_file(path, 64u * 1024 * 1024, &index, err);
	if (r < 0)
		return r;
	if (!json_is_array(json_object_get(index, "images"))) {
		json_decref(index);
		return cc_error_set(err, EINVAL, "`%s`: field `images` is not an array", path);
	}
	*ret = index;
	return 0;
}

int store_index_save(struct image_store *s, json_t *index, struct cc_error *err)
{
	_cleanup_free_ char *path = cc_xasprintf("%s/index.json", s->root);
	_cleanup_free_ char *text = json_dumps(index, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (!text)
		return cc_error_set(err, ENOMEM, "serialise the image index");
	return cc_write_file_atomic(path, text, strlen(text), 0600, err);
}

static bool array_has_string(json_t *array, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach (array, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

static void array_remove_string(json_t *array, const char *s)
{
	for (size_t i = 0; i < json_array_size(array);) {
		const char *v = json_string_value(json_array_get(array, i));
		if (v && strcmp(v, s) == 0)
			json_array_remove(array, i);
		else
			i++;
	}
}

void store_index_add(json_t *index, json_t *entry)
{
	json_t *images = json_object_get(index, "images");
	const char *digest = json_string_value(json_object_get(entry, "digest"));
	json_t *names = json_object_get(entry, "names");
	size_t i, j;
	json_t *img, *name;
	json_array_foreach (images, i, img) {
		json_array_foreach (names, j, name)
			array_remove_string(json_object_get(img, "names"), json_string_value(name));
	}
	json_array_foreach (images, i, img) {
		if (strcmp(json_string_value(json_object_get(img, "digest")), digest) == 0) {
			json_t *have = json_object_get(img, "names");
			json_array_foreach (names, j, name)
				if (!array_has_string(have, json_string_value(name)))
					json_array_append(have, name);
			json_t *repo_digests = json_object_get(entry, "repo_digests");
			if (json_array_size(repo_digests) && !json_is_array(json_object_get(img, "repo_digests")))
				json_object_set_new(img, "repo_digests", json_array());
			have = json_object_get(img, "repo_digests");
			json_array_foreach (repo_digests, j, name)
				if (!array_has_string(have, json_string_value(name)))
					json_array_append(have, name);
			return;
		}
	}
	json_array_append(images, entry);
}

/* ---- blobs ---- */

int store_tmp_file(struct image_store *s, char **ret_name, struct cc_error *err)
{
	static unsigned counter;
	for (int attempt = 0; attempt < 100; attempt++) {
		char *name = cc_xasprintf("blob-%d-%u", (int)getpid(), counter++);
		int fd = openat(s->tmp_fd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0) {
			*ret_name = name;
			return fd;
		}
		free(name);
		if (errno != EEXIST)
			return cc_error_set_errno(err, errno, "create a temporary file in `%s/tmp`", s->root);
	}
	return cc_error_set(err, EEXIST, "no free temporary name in `%s/tmp`", s->root);
}

int store_blob_commit(struct image_store *s, const char *tmp_name, const char *digest, struct cc_error *err)
{
	const char *hex = store_digest_hex(digest);
	if (!hex)
		return cc_error_set(err, EINVAL, "`%s` is not a sha256 digest", digest);
	struct stat st;
	if (fstatat(s->blobs_fd, hex, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		unlinkat(s->tmp_fd, tmp_name, 0); /* content-addressed: the same bytes are already there */
		return 0;
	}
	fchmodat(s->tmp_fd, tmp_name, 0444, 0);
	if (renameat(s->tmp_fd, tmp_name, s->blobs_fd, hex) < 0)
		return cc_error_set_errno(err, errno, "store blob %s", digest);
	return 0;
}

int store_blob_put_memory(struct image_store *s, const void *data, size_t len, char **ret_digest, struct cc_error *err)
{
	uint8_t md[32];
	char hex[65];
	int r = cc_digest(CC_DIGEST_SHA256, data, len, md, err);
	if (r < 0)
		return r;
	cc_hex_encode(md, sizeof(md), hex);
	_cleanup_free_ char *digest = cc_xasprintf("sha256:%s", hex);
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = store_tmp_file(s, &tmp, err);
	if (fd < 0)
		return fd;
	if (cc_write_all(fd, data, len) < 0)
		return cc_error_set_errno(err, errno, "write blob %s", digest);
	if ((r = store_blob_commit(s, tmp, digest, err)) < 0)
		return r;
	*ret_digest = CC_TAKE_PTR(digest);
	return 0;
}

int store_blob_open(struct image_store *s, const char *digest, int *ret_fd, uint64_t *ret_size, struct cc_error *err)
{
	const char *hex = store_digest_hex(digest);
	if (!hex)
		return cc_error_set(err, EINVAL, "`%s` is not a sha256 digest", digest ? digest : "(null)");
	int fd = openat(s->blobs_fd, hex, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return cc_error_set_errno(err, errno, "open blob %s", digest);
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cc_error_set(err, EINVAL, "blob %s is not a regular file", digest);
	}
	*ret_fd = fd;
	if (ret_size)
		*ret_size = (uint64_t)st.st_size;
	return 0;
}

int store_blob_read(struct image_store *s, const char *digest, size_t max, char **ret, size_t *ret_len,
		    struct cc_error *err)
{
	_cleanup_close_ int fd = -1;
	int r = store_blob_open(s, digest, &fd, NULL, err);
	if (r < 0)
		return r;
	return cc_read_fd(fd, digest, max, ret, ret_len, err);
}

bool store_blob_exists(struct image_store *s, const char *digest, uint64_t size)
{
	const char *hex = store_digest_hex(digest);
	struct stat st;
	return hex && fstatat(s->blobs_fd, hex, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
	       (uint64_t)st.st_size == size;
}

bool store_layer_exists(struct image_store *s, const char *diff_id)
{
	const char *hex = store_digest_hex(diff_id);
	struct stat st;
	return hex && fstatat(s->layers_fd, hex, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* ---- garbage collection ---- */

static void mark(json_t *set, const char *digest)
{
	const char *hex = store_digest_hex(digest);
	if (hex)
		json_object_set_new(set, hex, json_true());
}

static int sweep(int dir_fd, json_t *keep, const char *what, struct cc_error *err)
{
	int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return cc_error_set_errno(err, errno, "read the %s directory", what);
	}
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d)))
		if (de->d_name[0] != '.' && !json_object_get(keep, de->d_name))
			r = image_remove_tree_at(dir_fd, de->d_name, err);
	closedir(d);
	return r;
}

int store_gc(struct image_store *s, json_t *index, struct cc_error *err)
{
	_cleanup_json_ json_t *blobs = json_object(), *layers = json_object();
	size_t i, j;
	json_t *img, *layer;
	json_array_foreach (json_object_get(index, "images"), i, img) {
		mark(blobs, json_string_value(json_object_get(img, "digest")));
		mark(blobs, json_string_value(json_object_get(img, "id")));
		json_array_foreach (json_object_get(img, "layers"), j, layer) {
			mark(blobs, json_string_value(json_object_get(layer, "digest")));
			mark(layers, json_string_value(json_object_get(layer, "diff_id")));
		}
	}
	int r = sweep(s->blobs_fd, blobs, "blobs", err);
	if (r == 0)
		r = sweep(s->layers_fd, layers, "layers", err);
	if (r == 0)
		r = sweep(s->tmp_fd, NULL, "tmp", err); /* under the lock nobody else is writing there */
	return r;
}

/* ---- references ---- */

char *image_reference_normalize(const char *ref)
{
	if (strchr(ref, '@'))
		return cc_xstrdup(ref);
	const char *last = strrchr(ref, '/');
	if (strchr(last ? last : ref, ':'))
		return cc_xstrdup(ref);
	return cc_xasprintf("%s:latest", ref);
}

static bool name_matches(const char *have, const char *want)
{
	static const char *const prefixes[] = { "", "localhost/", "docker.io/library/", "docker.io/" };
	for (size_t i = 0; i < CC_ARRAY_SIZE(prefixes); i++) {
		size_t n = strlen(prefixes[i]);
		if (strncmp(have, prefixes[i], n) == 0 && strcmp(have + n, want) == 0)
			return true;
	}
	return false;
}

/* A pulled image also answers to the digests it was pulled by (an index's: NAME@sha256:...). */
static bool repo_digest_matches(json_t *img, const char *want)
{
	size_t i;
	json_t *v;
	json_array_foreach (json_object_get(img, "repo_digests"), i, v) {
		const char *at = json_is_string(v) ? strchr(json_string_value(v), '@') : NULL;
		if (at && strcmp(at + 1, want) == 0)
			return true;
	}
	return false;
}

static bool digest_matches(json_t *img, const char *want)
{
	const char *digest = json_string_value(json_object_get(img, "digest"));
	const char *id = json_string_value(json_object_get(img, "id"));
	if (strncmp(want, "sha256:", 7) == 0)
		return (digest && strcmp(digest, want) == 0) || (id && strcmp(id, want) == 0) ||
		       repo_digest_matches(img, want);
	size_t n = strlen(want);
	if (n < 12 || n > 64 || strspn(want, "0123456789abcdef") != n)
		return false;
	return (digest && strncmp(digest + 7, want, n) == 0) || (id && strncmp(id + 7, want, n) == 0);
}

/* Finds the image ref names: returns its index in images, or a negative errno. *ret_by_name says
 * whether the reference was a name (rm then only untags). */
static int find_image(json_t *index, const char *ref, bool *ret_by_name, struct cc_error *err)
{
	if (!ref || !*ref || strlen(ref) > 1024 || strpbrk(ref, " \t\n"))
		return cc_error_set(err, EINVAL, "`%s` is not an image reference", ref ? ref : "");
	json_t *images = json_object_get(index, "images");
	const char *at = strchr(ref, '@');
	_cleanup_free_ char *name = at ? cc_xstrndup(ref, (size_t)(at - ref)) : image_reference_normalize(ref);
	const char *digest = at ? at + 1 : NULL;
	if (digest && !store_digest_hex(digest))
		return cc_error_set(err, EINVAL, "`%s`: `%s` is not a sha256 digest", ref, digest);
	int found = -1;
	size_t i, j;
	json_t *img, *n;
	if (!digest) {
		json_array_foreach (json_object_get(index, "images"), i, img)
			json_array_foreach (json_object_get(img, "names"), j, n)
				if (name_matches(json_string_value(n), name)) {
					*ret_by_name = true;
					return (int)i;
				}
		/* Not a name: maybe a digest or an ID prefix. */
		digest = ref;
	}
	json_array_foreach (images, i, img) {
		if (!digest_matches(img, digest))
			continue;
		if (found >= 0)
			return cc_error_set(err, EEXIST, "`%s` matches more than one image; give more digits", ref);
		found = (int)i;
	}
	if (found < 0)
		return cc_error_set(err, ENOENT, "no image `%s` in the store (see `cocoon image list`)", ref);
	*ret_by_name = false;
	return found;
}

static char **string_array(json_t *array, size_t *ret_n)
{
	size_t n = json_array_size(array), i;
	char **out = cc_xcalloc(n + 1, sizeof(*out));
	size_t k = 0;
	json_t *v;
	json_array_foreach (array, i, v)
		if (json_is_string(v))
			out[k++] = cc_xstrdup(json_string_value(v));
	*ret_n = k;
	return out;
}

static void free_strings(char **a, size_t n)
{
	for (size_t i = 0; a && i < n; i++)
		free(a[i]);
	free(a);
}

void store_info_from_entry(json_t *img, struct image_info *info)
{
	const char *s;
	*info = (struct image_info){ 0 };
	info->digest = cc_xstrdup(json_string_value(json_object_get(img, "digest")));
	info->id = cc_xstrdup(json_string_value(json_object_get(img, "id")));
	info->names = string_array(json_object_get(img, "names"), &info->n_names);
	info->repo_digests = string_array(json_object_get(img, "repo_digests"), &info->n_repo_digests);
	info->n_layers = json_array_size(json_object_get(img, "layers"));
	info->size = (uint64_t)json_integer_value(json_object_get(img, "size"));
	info->created = cc_xstrdup((s = json_string_value(json_object_get(img, "created"))) ? s : "");
	info->format = cc_xstrdup((s = json_string_value(json_object_get(img, "format"))) ? s : "");
}

void image_info_clear(struct image_info *info)
{
	free(info->digest);
	free(info->id);
	free_strings(info->names, info->n_names);
	free_strings(info->repo_digests, info->n_repo_digests);
	free(info->created);
	free(info->format);
	*info = (struct image_info){ 0 };
}

void image_info_free_array(struct image_info *infos, size_t n)
{
	for (size_t i = 0; infos && i < n; i++)
		image_info_clear(&infos[i]);
	free(infos);
}

void image_load_result_clear(struct image_load_result *result)
{
	image_info_free_array(result->images, result->n_images);
	*result = (struct image_load_result){ 0 };
}

int image_store_list(struct image_store *s, struct image_info **ret, size_t *ret_n, struct cc_error *err)
{
	_cleanup_json_ json_t *index = NULL;
	int r = store_index_load(s, &index, err);
	if (r < 0)
		return r;
	json_t *images = json_object_get(index, "images");
	size_t n = json_array_size(images), i;
	struct image_info *out = cc_xcalloc(n ? n : 1, sizeof(*out));
	json_t *img;
	json_array_foreach (images, i, img)
		store_info_from_entry(img, &out[i]);
	*ret = out;
	*ret_n = n;
	return 0;
}

/* ---- resolve ---- */

static int parse_config(json_t *config_doc, struct image_config *c, struct cc_error *err)
{
	json_t *cfg = json_object_get(config_doc, "config");
	if (!cfg || json_is_null(cfg))
		return 0;
	if (!json_is_object(cfg))
		return cc_error_set(err, EINVAL, "image config: field `config` is not an object");
	c->env = string_array(json_object_get(cfg, "Env"), &c->n_env);
	c->entrypoint = string_array(json_object_get(cfg, "Entrypoint"), &c->n_entrypoint);
	c->cmd = string_array(json_object_get(cfg, "Cmd"), &c->n_cmd);
	const char *s;
	c->working_dir = cc_xstrdup((s = json_string_value(json_object_get(cfg, "WorkingDir"))) ? s : "");
	c->user = cc_xstrdup((s = json_string_value(json_object_get(cfg, "User"))) ? s : "");
	json_t *ports = json_object_get(cfg, "ExposedPorts");
	size_t n = json_object_size(ports), k = 0;
	c->exposed_ports = cc_xcalloc(n + 1, sizeof(char *));
	const char *key;
	json_t *v;
	json_object_foreach (ports, key, v)
		c->exposed_ports[k++] = cc_xstrdup(key);
	c->n_exposed_ports = k;
	json_t *labels = json_object_get(cfg, "Labels");
	c->labels = cc_xcalloc(json_object_size(labels) + 1, sizeof(char *));
	json_object_foreach (labels, key, v)
		if (json_is_string(v))
			c->labels[c->n_labels++] = cc_xasprintf("%s=%s", key, json_string_value(v));
	return 0;
}

void image_resolved_free(struct image_resolved *r)
{
	if (!r)
		return;
	image_info_clear(&r->info);
	free_strings(r->layer_dirs, r->n_layer_dirs);
	free_strings(r->diff_ids, r->n_layer_dirs);
	struct image_config *c = &r->config;
	free_strings(c->env, c->n_env);
	free_strings(c->entrypoint, c->n_entrypoint);
	free_strings(c->cmd, c->n_cmd);
	free_strings(c->exposed_ports, c->n_exposed_ports);
	free_strings(c->labels, c->n_labels);
	free(c->working_dir);
	free(c->user);
	free(r);
}

int image_store_resolve(struct image_store *s, const char *ref, struct image_resolved **ret, struct cc_error *err)
{
	_cleanup_json_ json_t *index = NULL;
	int r = store_index_load(s, &index, err);
	if (r < 0)
		return r;
	bool by_name;
	int at = find_image(index, ref, &by_name, err);
	if (at < 0)
		return at;
	json_t *img = json_array_get(json_object_get(index, "images"), (size_t)at);
	_cleanup_(image_resolved_freep) struct image_resolved *res = cc_xcalloc(1, sizeof(*res));
	store_info_from_entry(img, &res->info);
	json_t *layers = json_object_get(img, "layers");
	res->layer_dirs = cc_xcalloc(json_array_size(layers) + 1, sizeof(char *));
	res->diff_ids = cc_xcalloc(json_array_size(layers) + 1, sizeof(char *));
	size_t i;
	json_t *layer;
	json_array_foreach (layers, i, layer) {
		const char *diff_id = json_string_value(json_object_get(layer, "diff_id"));
		if (!store_layer_exists(s, diff_id))
			return cc_error_set(err, ENOENT, "image `%s`: layer %s is missing from `%s/layers`", ref,
					    diff_id ? diff_id : "(none)", s->root);
		res->diff_ids[res->n_layer_dirs] = cc_xstrdup(diff_id);
		res->layer_dirs[res->n_layer_dirs++] =
		    cc_xasprintf("%s/layers/sha256/%s", s->root, store_digest_hex(diff_id));
	}
	_cleanup_free_ char *text = NULL;
	size_t len;
	if ((r = store_blob_read(s, res->info.id, IMAGE_JSON_MAX_SIZE, &text, &len, err)) < 0)
		return cc_error_prefix(err, "image `%s`: config", ref);
	_cleanup_json_ json_t *config = NULL;
	if ((r = cc_json_parse(text, len, IMAGE_JSON_MAX_SIZE, "image config", &config, err)) < 0)
		return r;
	if ((r = parse_config(config, &res->config, err)) < 0)
		return r;
	*ret = CC_TAKE_PTR(res);
	return 0;
}

/* ---- remove ---- */

int image_store_remove(struct image_store *s, const char *ref, struct cc_error *err)
{
	_cleanup_close_ int lock = -1;
	int r = store_lock(s, &lock, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *index = NULL;
	if ((r = store_index_load(s, &index, err)) < 0)
		return r;
	bool by_name;
	int at = find_image(index, ref, &by_name, err);
	if (at < 0)
		return at;
	json_t *images = json_object_get(index, "images");
	json_t *names = json_object_get(json_array_get(images, (size_t)at), "names");
	if (by_name) {
		size_t i;
		json_t *n;
		_cleanup_free_ char *want = image_reference_normalize(ref);
		json_array_foreach (names, i, n)
			if (name_matches(json_string_value(n), want)) {
				json_array_remove(names, i);
				break;
			}
	}
	if (!by_name || json_array_size(names) == 0)
		json_array_remove(images, (size_t)at);
	if ((r = store_index_save(s, index, err)) < 0)
		return r;
	return store_gc(s, index, err);
}
