/* cocoon image import's builder (src/image/import.c): the OCI layout it writes around a tarball
 * (digests, diff_id, media types, the name), what it refuses, and the image the store makes of it. */
#include "image/import.h"
#include "image/store.h"
#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/digest.h"
#include "lib/crypto/encode.h"
#include "lib/json/json.h"
#include "unit.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>

/* A tar of one file (or none), optionally gzip-compressed, made by libarchive. */
static void make_tar(bool gzip, bool empty, struct cc_buf *out)
{
	size_t size = 1 << 20, used = 0;
	char *buf = cc_xcalloc(1, size);
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	if (gzip) {
		archive_write_add_filter_gzip(a);
		archive_write_set_filter_option(a, "gzip", "timestamp", NULL); /* reproducible */
	}
	archive_write_set_bytes_in_last_block(a, 1);
	assert_int_equal(archive_write_open_memory(a, buf, size, &used), ARCHIVE_OK);
	if (!empty) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, "etc/hostname");
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, 5);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, "box\n\n", 5), 5);
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	*out = (struct cc_buf)CC_BUF_INIT;
	cc_buf_append(out, buf, used);
	free(buf);
}

static void sha256(const void *data, size_t len, char out[72])
{
	uint8_t md[32];
	char hex[65];
	assert_int_equal(cc_digest(CC_DIGEST_SHA256, data, len, md, NULL), 0);
	cc_hex_encode(md, 32, hex);
	snprintf(out, 72, "sha256:%s", hex);
}

/* The files of the built archive: {path: bytes as a string}. */
static json_t *archive_files(const struct cc_buf *archive)
{
	json_t *files = json_object();
	struct archive *a = archive_read_new();
	archive_read_support_format_tar(a);
	assert_int_equal(archive_read_open_memory(a, archive->data, archive->len), ARCHIVE_OK);
	struct archive_entry *e;
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		size_t n = (size_t)archive_entry_size(e);
		char *data = cc_xcalloc(1, n + 1);
		assert_int_equal(archive_read_data(a, data, n), (la_ssize_t)n);
		json_object_set_new(files, archive_entry_pathname(e), json_stringn_nocheck(data, n));
		free(data);
	}
	archive_read_free(a);
	return files;
}

static json_t *blob_json(json_t *files, const char *digest)
{
	char path[128];
	snprintf(path, sizeof(path), "blobs/sha256/%s", digest + 7);
	const char *text = json_string_value(json_object_get(files, path));
	assert_non_null(text);
	json_t *doc = NULL;
	assert_int_equal(cc_json_parse(text, strlen(text), 1 << 20, path, &doc, NULL), 0);
	return doc;
}

static void test_layout(void **state)
{
	struct cc_buf tar, archive;
	make_tar(false, false, &tar);
	const char *changes[] = { "ENV PATH=/bin", "CMD [\"/bin/sh\"]", "WORKDIR /srv" };
	struct image_import_options opts = { .name = "app", .changes = changes, .n_changes = 3, .created = 86400 };
	struct cc_error err = { 0 };
	char *diff_id = NULL;
	assert_int_equal(image_import_build(tar.data, tar.len, &opts, &archive, &diff_id, &err), 0);
	char want[72];
	sha256(tar.data, tar.len, want);
	assert_string_equal(diff_id, want); /* an uncompressed layer's diff_id is its digest */

	json_t *files = archive_files(&archive);
	assert_string_equal(json_string_value(json_object_get(files, "oci-layout")),
			    "{\"imageLayoutVersion\":\"1.0.0\"}");
	json_t *index = NULL;
	const char *index_text = json_string_value(json_object_get(files, "index.json"));
	assert_int_equal(cc_json_parse(index_text, strlen(index_text), 1 << 20, "index.json", &index, NULL), 0);
	json_t *desc = json_array_get(json_object_get(index, "manifests"), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(desc, "annotations"),
							      "org.opencontainers.image.ref.name")),
			    "localhost/app:latest");
	json_t *manifest = blob_json(files, json_string_value(json_object_get(desc, "digest")));
	json_t *layer = json_array_get(json_object_get(manifest, "layers"), 0);
	assert_string_equal(json_string_value(json_object_get(layer, "mediaType")),
			    "application/vnd.oci.image.layer.v1.tar");
	assert_string_equal(json_string_value(json_object_get(layer, "digest")), want);
	json_t *config =
	    blob_json(files, json_string_value(json_object_get(json_object_get(manifest, "config"), "digest")));
	assert_string_equal(json_string_value(json_object_get(config, "created")), "1970-01-02T00:00:00Z");
	assert_string_equal(json_string_value(json_object_get(config, "os")), "linux");
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(json_object_get(config, "rootfs"), "diff_ids"), 0)), want);
	json_t *c = json_object_get(config, "config");
	assert_string_equal(json_string_value(json_object_get(c, "WorkingDir")), "/srv");
	assert_string_equal(json_string_value(json_array_get(json_object_get(c, "Env"), 0)), "PATH=/bin");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(json_object_get(config, "history"), 0), "comment")),
	    "imported from tarball");

	/* The same tarball, changes and time: the same archive, byte for byte. */
	struct cc_buf again;
	assert_int_equal(image_import_build(tar.data, tar.len, &opts, &again, NULL, &err), 0);
	assert_int_equal(again.len, archive.len);
	assert_memory_equal(again.data, archive.data, archive.len);
	cc_buf_free(&again);
	json_decref(config);
	json_decref(manifest);
	json_decref(index);
	json_decref(files);
	free(diff_id);
	cc_buf_free(&archive);
	cc_buf_free(&tar);
}

static void test_gzip(void **state)
{
	struct cc_buf tar, gz, archive;
	make_tar(false, false, &tar);
	make_tar(true, false, &gz);
	struct image_import_options opts = { .name = "registry.example.com/team/app:1.0", .created = -1 };
	char *diff_id = NULL;
	struct cc_error err = { 0 };
	assert_int_equal(image_import_build(gz.data, gz.len, &opts, &archive, &diff_id, &err), 0);
	char want[72], blob[72];
	sha256(tar.data, tar.len, want);
	sha256(gz.data, gz.len, blob);
	assert_string_equal(diff_id, want); /* the digest of the uncompressed tar */
	json_t *files = archive_files(&archive);
	char path[128];
	snprintf(path, sizeof(path), "blobs/sha256/%s", blob + 7);
	assert_non_null(json_object_get(files, path)); /* the layer is the gzip as given */
	assert_non_null(
	    strstr(json_string_value(json_object_get(files, "index.json")), "\"registry.example.com/team/app:1.0\""));
	json_decref(files);
	free(diff_id);
	cc_buf_free(&archive);
	cc_buf_free(&gz);
	cc_buf_free(&tar);
}

static void assert_build_fails(const void *data, size_t len, const char *name, const char *words)
{
	struct image_import_options opts = { .name = name, .created = -1 };
	struct cc_buf archive = CC_BUF_INIT;
	struct cc_error err = { 0 };
	if (image_import_build(data, len, &opts, &archive, NULL, &err) == 0)
		fail_msg("built an image of %zu bytes named `%s`, wanted an error saying `%s`", len, name, words);
	if (!strstr(cc_error_message(&err), words))
		fail_msg("`%s` does not say `%s`", cc_error_message(&err), words);
	assert_null(archive.data);
}

static void test_refused(void **state)
{
	struct cc_buf tar, empty;
	make_tar(false, false, &tar);
	make_tar(false, true, &empty);
	assert_build_fails("hello, world\n", 13, "x", "not a tar archive");
	assert_build_fails(tar.data, 700, "x", "not a tar archive"); /* inside the file data */
	assert_build_fails(empty.data, empty.len, "x", "holds no files");
	assert_build_fails("\xfd"
			   "7zXZ\0\0\0\0",
			   10, "x", "xz or bzip2");
	assert_build_fails("\x1f\x8b\x08\0garbage", 11, "x", "not a tar archive");
	assert_build_fails(tar.data, tar.len, "Upper", "is not an image name");
	assert_build_fails(tar.data, tar.len, "app@sha256:00", "is not an image name");
	assert_build_fails(tar.data, tar.len, "app:", "is not an image name");
	assert_build_fails(tar.data, tar.len, "-", "is not an image name");
	const char *changes[] = { "RUN make" };
	struct image_import_options opts = { .name = "x", .changes = changes, .n_changes = 1, .created = -1 };
	struct cc_buf archive = CC_BUF_INIT;
	struct cc_error err = { 0 };
	assert_int_equal(image_import_build(tar.data, tar.len, &opts, &archive, NULL, &err), -EINVAL);
	assert_non_null(strstr(cc_error_message(&err), "--change `RUN make`"));
	opts.n_changes = 0;
	opts.max_size = tar.len - 1;
	assert_int_equal(image_import_build(tar.data, tar.len, &opts, &archive, NULL, &err), -EFBIG);
	cc_buf_free(&empty);
	cc_buf_free(&tar);
}

/* Into a store: the image resolves with its config; the same tarball twice is one layer. */
static void test_store(void **state)
{
	char *dir = unit_tmpdir();
	char path[512], store_dir[512];
	snprintf(path, sizeof(path), "%s/rootfs.tar", dir);
	snprintf(store_dir, sizeof(store_dir), "%s/store", dir);
	struct cc_buf tar;
	make_tar(false, false, &tar);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(tar.data, 1, tar.len, f), tar.len);
	fclose(f);
	struct image_store *store;
	struct cc_error err = { 0 };
	assert_int_equal(image_store_open(store_dir, NULL, &store, &err), 0);
	const char *changes[] = { "ENV GREETING=hello", "CMD echo hi" };
	struct image_import_options opts = { .name = "one", .changes = changes, .n_changes = 2, .created = -1 };
	struct image_load_result res = { 0 };
	assert_int_equal(image_store_import(store, path, &opts, &res, &err), 0);
	assert_int_equal(res.n_images, 1);
	assert_string_equal(res.images[0].names[0], "localhost/one:latest");
	assert_string_equal(res.images[0].format, "oci-archive");
	image_load_result_clear(&res);
	opts.name = "two:1";
	assert_int_equal(image_store_import(store, path, &opts, &res, &err), 0);
	image_load_result_clear(&res);
	struct image_resolved *one, *two;
	assert_int_equal(image_store_resolve(store, "one", &one, &err), 0);
	assert_int_equal(image_store_resolve(store, "localhost/two:1", &two, &err), 0);
	assert_int_equal(one->n_layer_dirs, 1);
	assert_string_equal(one->diff_ids[0], two->diff_ids[0]);
	assert_string_equal(one->layer_dirs[0], two->layer_dirs[0]);
	assert_string_equal(one->config.env[0], "GREETING=hello");
	assert_string_equal(one->config.cmd[2], "echo hi");
	image_resolved_free(one);
	image_resolved_free(two);
	/* A tarball that is not there, and a bad name before anything is read. */
	assert_int_equal(image_store_import(store, "/nonexistent.tar", &opts, &res, &err), -ENOENT);
	opts.name = "Bad Name";
	assert_int_equal(image_store_import(store, "/nonexistent.tar", &opts, &res, &err), -EINVAL);
	image_store_free(store);
	cc_buf_free(&tar);
	unit_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
