/* libFuzzer target: cocoon image import (src/image/change.c, src/image/import.c). The input up to
 * its first NUL byte is a list of --change instructions, one a line; the rest is the tarball. Each
 * instruction is applied alone, then the image is built with all of them and, when that succeeds,
 * loaded into a store, resolved and removed: an archive import builds must be one the store takes
 * apart again without a crash. Small limits keep each run fast. */
#include "image/import.h"
#include "image/store.h"
#include "lib/base/buf.h"
#include "lib/base/error.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *workdir;

static void load(const struct cc_buf *archive)
{
	struct image_unpack_options opts;
	image_unpack_options_default(&opts);
	opts.limits.max_entry_size = 1 << 20;
	opts.limits.max_layer_size = 4 << 20;
	opts.limits.max_entries = 4096;
	opts.limits.max_blob_size = 4 << 20;
	char root[512];
	snprintf(root, sizeof(root), "%s/store", workdir);
	struct cc_error err = { 0 };
	struct image_store *store;
	if (image_store_open(root, &opts, &store, &err) < 0)
		abort();
	struct image_load_result res = { 0 };
	if (image_store_load_memory(store, archive->data, archive->len, NULL, &res, &err) == 0) {
		for (size_t i = 0; i < res.n_images; i++) {
			struct image_resolved *r = NULL;
			if (image_store_resolve(store, res.images[i].digest, &r, &err) == 0)
				image_resolved_free(r);
			image_store_remove(store, res.images[i].digest, &err);
		}
		image_load_result_clear(&res);
	}
	image_store_free(store);
	int fd = open(workdir, O_RDONLY | O_DIRECTORY);
	if (fd < 0 || image_remove_tree_at(fd, "store", NULL) < 0)
		abort();
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!workdir) {
		char tmpl[] = "/tmp/fuzz-import-XXXXXX";
		if (!mkdtemp(tmpl))
			abort();
		workdir = strdup(tmpl);
	}
	const uint8_t *nul = memchr(data, 0, size);
	size_t text_len = nul ? (size_t)(nul - data) : size;
	char *text = strndup((const char *)data, text_len);
	const char *changes[64];
	size_t n = 0;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line && n < 64;
	     line = strtok_r(NULL, "\n", &save)) {
		changes[n++] = line;
		json_t *config = json_object();
		struct cc_error err = { 0 };
		image_change_apply(config, line, &err);
		json_decref(config);
	}
	if (nul) {
		struct image_import_options opts = {
			.name = "fuzz", .changes = changes, .n_changes = n, .created = 0, .max_size = 4 << 20
		};
		struct cc_buf archive = CC_BUF_INIT;
		struct cc_error err = { 0 };
		if (image_import_build(nul + 1, size - text_len - 1, &opts, &archive, NULL, &err) == 0)
			load(&archive);
		cc_buf_free(&archive);
	}
	free(text);
	return 0;
}
