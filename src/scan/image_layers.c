/* Walking one layer (a tar stream) for the scanner: the visitor sees its regular files, the kept
 * files follow the layer's entries and whiteouts (see image_files.h). */
#include "image/layer.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "scan/image_internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define WHITEOUT_PREFIX ".wh."
#define OPAQUE_NAME     ".wh..wh..opq"

/* Is path at or below dir ("" is the root: everything is)? */
static bool at_or_below(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (n == 0)
		return true;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static void drop_kept(struct scan_image *img, size_t i)
{
	free(img->kept[i].path);
	free(img->kept[i].data);
	memmove(&img->kept[i], &img->kept[i + 1], (img->n_kept - i - 1) * sizeof(img->kept[0]));
	img->n_kept--;
}

/* Removes kept files of layers below `layer` that `how` says path hides. */
void scan_image_hide_lower(struct scan_reading *rd, const char *path, enum scan_hide how, size_t layer)
{
	struct scan_image *img = rd->img;
	for (size_t i = 0; i < img->n_kept;) {
		const char *k = img->kept[i].path;
		bool same = strcmp(k, path) == 0;
		bool hit = how == SCAN_HIDE_PATH ? same : at_or_below(k, path) && !(how == SCAN_HIDE_BELOW && same);
		if (hit && rd->kept_layer[i] < layer) {
			rd->kept_total -= img->kept[i].len;
			drop_kept(img, i);
			memmove(&rd->kept_layer[i], &rd->kept_layer[i + 1],
				(img->n_kept - i) * sizeof(rd->kept_layer[0]));
			continue;
		}
		i++;
	}
}

struct scan_file_reader {
	ssize_t (*read)(void *src, void *buf, size_t len);
	void *src;
	uint64_t left; /* what the entry declared; a layer cannot make us read more */
};

ssize_t scan_file_read(struct scan_file_reader *r, void *buf, size_t len)
{
	if (r->left == 0)
		return 0;
	if (len > r->left)
		len = (size_t)r->left;
	ssize_t n = r->read(r->src, buf, len);
	if (n > 0)
		r->left -= (uint64_t)n;
	return n;
}

ssize_t scan_image_read_archive(void *src, void *buf, size_t len)
{
	la_ssize_t n = archive_read_data(src, buf, len);
	return n < 0 ? -EIO : (ssize_t)n;
}

int scan_image_keep(struct scan_reading *rd, const char *path, uint64_t size, size_t layer,
		    ssize_t (*read)(void *src, void *buf, size_t len), void *src, struct cc_error *err)
{
	const struct scan_image_limits *lim = &rd->opts->limits;
	if (size > lim->max_kept_size)
		return cc_error_set(err, EFBIG, "`%s` is %llu bytes, over the %llu this scan reads", path,
				    (unsigned long long)size, (unsigned long long)lim->max_kept_size);
	if (rd->kept_total + size > lim->max_kept_total)
		return cc_error_set(err, EFBIG, "the package databases of the image exceed %llu bytes",
				    (unsigned long long)lim->max_kept_total);
	char *data = cc_xmalloc((size_t)size + 1);
	size_t len = 0;
	while (len < size) {
		ssize_t n = read(src, data + len, (size_t)size - len);
		if (n < 0) {
			free(data);
			return cc_error_set(err, EIO, "read `%s`", path);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	data[len] = '\0';
	scan_image_hide_lower(rd, path, SCAN_HIDE_TREE, layer + 1);
	struct scan_image *img = rd->img;
	img->kept = cc_xrealloc(img->kept, (img->n_kept + 1) * sizeof(img->kept[0]));
	rd->kept_layer = cc_xrealloc(rd->kept_layer, (img->n_kept + 1) * sizeof(rd->kept_layer[0]));
	img->kept[img->n_kept] = (struct scan_image_kept){ .path = cc_xstrdup(path), .data = data, .len = len };
	rd->kept_layer[img->n_kept] = layer;
	img->n_kept++;
	rd->kept_total += len;
	return 0;
}

int scan_image_visit(struct scan_reading *rd, const char *path, uint64_t size, mode_t mode, const char *layer,
		     ssize_t (*read)(void *src, void *buf, size_t len), void *src, struct cc_error *err)
{
	rd->img->files++;
	rd->img->bytes += size;
	if (!rd->opts->visit)
		return 0;
	struct scan_image_file f = { .path = path, .size = size, .mode = mode, .layer = layer };
	struct scan_file_reader r = { .read = read, .src = src, .left = size };
	return rd->opts->visit(rd->opts->ctx, &f, &r, err);
}

/* A whiteout entry: `.wh..wh..opq` in D hides D's lower contents, `.wh.NAME` hides D/NAME. */
static bool whiteout(struct scan_reading *rd, const char *path, size_t layer)
{
	const char *base = strrchr(path, '/');
	size_t dir_len = base ? (size_t)(base - path) : 0;
	base = base ? base + 1 : path;
	if (strncmp(base, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)) != 0)
		return false;
	_cleanup_free_ char *dir = cc_xstrndup(path, dir_len);
	if (strcmp(base, OPAQUE_NAME) == 0) {
		scan_image_hide_lower(rd, dir, SCAN_HIDE_BELOW, layer);
		return true;
	}
	const char *name = base + strlen(WHITEOUT_PREFIX);
	_cleanup_free_ char *hidden = dir_len ? cc_xasprintf("%s/%s", dir, name) : cc_xstrdup(name);
	scan_image_hide_lower(rd, hidden, SCAN_HIDE_TREE, layer);
	return true;
}

int scan_image_walk_layer(struct scan_reading *rd, struct archive *a, const char *what, const char *digest,
			  size_t layer, struct cc_error *err)
{
	const struct scan_image_limits *lim = &rd->opts->limits;
	uint64_t entries = 0, declared = 0;
	struct archive_entry *e;
	for (;;) {
		int r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			return cc_error_set(err, EINVAL, "%s: not a readable tar after %llu entries: %s", what,
					    (unsigned long long)entries, archive_error_string(a));
		if (++entries > lim->max_entries)
			return cc_error_set(err, EFBIG, "%s has more than %llu entries", what,
					    (unsigned long long)lim->max_entries);
		const char *name = archive_entry_pathname(e);
		if (!name)
			return cc_error_set(err, EINVAL, "%s: entry %llu has no name", what,
					    (unsigned long long)entries);
		_cleanup_free_ char *path = image_path_normalize(name);
		if (!path)
			return cc_error_set(err, EINVAL, "%s: entry `%.200s` leaves the image's root", what, name);
		if (!*path)
			continue; /* the root itself */
		if (whiteout(rd, path, layer))
			continue;
		mode_t type = archive_entry_filetype(e);
		if (type == AE_IFDIR) {
			/* A directory replaces a lower file of its name; a lower directory's contents stay. */
			scan_image_hide_lower(rd, path, SCAN_HIDE_PATH, layer);
			continue;
		}
		scan_image_hide_lower(rd, path, SCAN_HIDE_TREE, layer); /* a file replaces a lower tree */
		if (type != AE_IFREG || archive_entry_hardlink(e))
			continue; /* hard links: their content was visited under the first name */
		uint64_t size = archive_entry_size(e) > 0 ? (uint64_t)archive_entry_size(e) : 0;
		declared += size;
		if (declared > lim->max_layer_size)
			return cc_error_set(err, EFBIG, "%s holds more than %llu bytes of files", what,
					    (unsigned long long)lim->max_layer_size);
		mode_t mode = (archive_entry_perm(e) & 07777) | S_IFREG;
		if (rd->opts->keep && rd->opts->keep(path)) {
			if ((r = scan_image_keep(rd, path, size, layer, scan_image_read_archive, a, err)) < 0)
				return cc_error_prefix(err, "%s", what);
			rd->img->files++;
			rd->img->bytes += size;
			continue; /* kept files are package databases: the visitor has no use for them */
		}
		if ((r = scan_image_visit(rd, path, size, mode, digest, scan_image_read_archive, a, err)) < 0)
			return r;
	}
}
