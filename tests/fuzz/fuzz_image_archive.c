/* libFuzzer target: image archives and layers (src/image). The first byte chooses what the rest is:
 *   0: a layer tar, unpacked into a fresh directory (image_layer_unpack_memory);
 *   1: a whole image archive (docker-archive or oci-archive) loaded into a store;
 *   2: the manifest.json of a docker-archive, 3: the index.json of an oci-archive (with an
 *      oci-layout), each put into an archive around it so the loader parses it.
 * Small limits keep each run fast; every run starts from an empty directory. */
#include "image/layer.h"
#include "image/store.h"
#include "lib/base/error.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *workdir;

/* Without a fork per run (rm -rf would cost most of the time). */
static void clean(void)
{
	int fd = open(workdir, O_RDONLY | O_DIRECTORY);
	if (fd < 0 || image_remove_tree_at(fd, "layer", NULL) < 0 || image_remove_tree_at(fd, "store", NULL) < 0)
		abort();
	close(fd);
}

static void options(struct image_unpack_options *opts)
{
	image_unpack_options_default(opts);
	opts->limits.max_entry_size = 1 << 20;
	opts->limits.max_layer_size = 4 << 20;
	opts->limits.max_entries = 4096;
	opts->limits.max_blob_size = 4 << 20;
}

static void load(const void *data, size_t len)
{
	struct image_unpack_options opts;
	options(&opts);
	char root[512];
	snprintf(root, sizeof(root), "%s/store", workdir);
	struct cc_error err = { 0 };
	struct image_store *store;
	if (image_store_open(root, &opts, &store, &err) < 0)
		abort();
	struct image_load_result res = { 0 };
	if (image_store_load_memory(store, data, len, NULL, &res, &err) == 0) {
		for (size_t i = 0; i < res.n_images; i++) {
			struct image_resolved *r = NULL;
			if (image_store_resolve(store, res.images[i].digest, &r, &err) == 0)
				image_resolved_free(r);
			image_store_remove(store, res.images[i].digest, &err);
		}
		image_load_result_clear(&res);
	}
	image_store_free(store);
}

static void add(struct archive *a, const char *name, const void *data, size_t len)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_write_header(a, e);
	archive_write_data(a, data, len);
	archive_entry_free(e);
}

/* An archive holding the fuzzed JSON under name, plus a config and a layer it may refer to. */
static void wrapped(const char *name, const void *data, size_t len)
{
	size_t size = len + 64 * 1024, used = 0;
	char *buf = malloc(size);
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_open_memory(a, buf, size, &used);
	add(a, name, data, len);
	if (strcmp(name, "index.json") == 0)
		add(a, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
	static const char config[] = "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"config\":{\"Cmd\":[\"sh\"]}}";
	add(a, "config.json", config, sizeof(config) - 1);
	add(a, "blobs/sha256/44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", "{}", 2);
	archive_write_close(a);
	archive_write_free(a);
	load(buf, used);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!workdir) {
		char tmpl[] = "/tmp/fuzz-image-XXXXXX";
		if (!mkdtemp(tmpl))
			abort();
		workdir = strdup(tmpl);
	}
	if (size < 1)
		return 0;
	const uint8_t *body = data + 1;
	size_t len = size - 1;
	switch (data[0] % 4) {
	case 0: {
		char dir[512];
		snprintf(dir, sizeof(dir), "%s/layer", workdir);
		mkdir(dir, 0755);
		int fd = open(dir, O_RDONLY | O_DIRECTORY);
		if (fd < 0)
			abort();
		struct image_unpack_options opts;
		options(&opts);
		struct cc_error err = { 0 };
		image_layer_unpack_memory(body, len, fd, &opts, NULL, &err);
		close(fd);
		break;
	}
	case 1: load(body, len); break;
	case 2: wrapped("manifest.json", body, len); break;
	case 3: wrapped("index.json", body, len); break;
	}
	clean();
	return 0;
}
