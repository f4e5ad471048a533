/* Manifests and indexes from a registry (src/image/manifest.c): OCI and Docker schema 2 images and
 * lists, the type from the document or the Content-Type (and refused when they disagree), the
 * platform picked from an index, and what is not a container image. */
#include "image/manifest.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "unit.h"

#include <errno.h>

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

#define OCI_IMAGE                                                                                                      \
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","                           \
	"\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" D1 "\",\"size\":10},"   \
	"\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" D2                  \
	"\",\"size\":20},{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\",\"digest\":\"" D3              \
	"\",\"size\":30}]}"

#define DOCKER_IMAGE                                                                                                   \
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","                 \
	"\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"digest\":\"" D1                \
	"\",\"size\":10},\"layers\":[{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\","            \
	"\"digest\":\"" D2 "\",\"size\":20}]}"

#define INDEX                                                                                                          \
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.list.v2+json\","            \
	"\"manifests\":["                                                                                              \
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D1 "\",\"size\":1,"              \
	"\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v6\"}},"                                \
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D2 "\",\"size\":2,"              \
	"\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\"}},"                                \
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D3 "\",\"size\":3,"              \
	"\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}"

static struct image_manifest parse_ok(const char *text, const char *content_type)
{
	struct image_manifest m;
	struct cc_error err = { 0 };
	if (image_manifest_parse(text, strlen(text), content_type, &m, &err) < 0)
		fail_msg("%s", cc_error_message(&err));
	return m;
}

static void assert_refused(const char *text, const char *content_type, int code, const char *words)
{
	struct image_manifest m = { 0 };
	struct cc_error err = { 0 };
	int r = image_manifest_parse(text, strlen(text), content_type, &m, &err);
	if (r == 0)
		fail_msg("`%s` was taken", text);
	assert_int_equal(r, -code);
	if (!strstr(cc_error_message(&err), words))
		fail_msg("`%s` does not say `%s`", cc_error_message(&err), words);
	assert_null(m.layers);
}

static void test_images(void **state)
{
	struct image_manifest m = parse_ok(OCI_IMAGE, "application/vnd.oci.image.manifest.v1+json");
	assert_int_equal(m.kind, IMAGE_MANIFEST_IMAGE);
	assert_string_equal(m.config.digest, D1);
	assert_int_equal(m.config.size, 10);
	assert_int_equal(m.n_layers, 2);
	assert_string_equal(m.layers[1].digest, D3);
	assert_int_equal(m.layers[1].size, 30);
	image_manifest_clear(&m);
	m = parse_ok(DOCKER_IMAGE, "application/vnd.docker.distribution.manifest.v2+json; charset=utf-8");
	assert_string_equal(m.media_type, IMAGE_MEDIA_DOCKER_MANIFEST);
	assert_int_equal(m.n_layers, 1);
	image_manifest_clear(&m);
	/* No mediaType field: the header says; neither: the shape. */
	const char *bare =
	    "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
	    "\"digest\":\"" D1 "\",\"size\":1},\"layers\":[]}";
	m = parse_ok(bare, IMAGE_MEDIA_DOCKER_MANIFEST);
	assert_string_equal(m.media_type, IMAGE_MEDIA_DOCKER_MANIFEST);
	image_manifest_clear(&m);
	m = parse_ok(bare, "application/octet-stream");
	assert_string_equal(m.media_type, IMAGE_MEDIA_OCI_MANIFEST);
	image_manifest_clear(&m);
}

static void test_index(void **state)
{
	struct image_manifest m = parse_ok(INDEX, NULL);
	assert_int_equal(m.kind, IMAGE_MANIFEST_INDEX);
	assert_int_equal(m.n_manifests, 3);
	const struct image_descriptor *d;
	struct cc_error err = { 0 };
	assert_int_equal(image_manifest_pick(&m, "linux", "amd64", NULL, &d, &err), 0);
	assert_string_equal(d->digest, D3);
	assert_int_equal(image_manifest_pick(&m, "linux", "arm", "v7", &d, &err), 0);
	assert_string_equal(d->digest, D2);
	assert_int_equal(image_manifest_pick(&m, "linux", "arm", NULL, &d, &err), 0);
	assert_string_equal(d->digest, D1);
	assert_int_equal(image_manifest_pick(&m, "linux", "s390x", NULL, &d, &err), -ENOENT);
	assert_non_null(
	    strstr(err.message, "no image for linux/s390x (it has linux/arm/v6, linux/arm/v7, linux/amd64)"));
	assert_int_equal(image_manifest_pick(&m, "windows", "amd64", NULL, &d, &err), -ENOENT);
	image_manifest_clear(&m);
}

static void test_refused(void **state)
{
	/* The document and the header disagree. */
	assert_refused(OCI_IMAGE, IMAGE_MEDIA_OCI_INDEX, EBADMSG, "the types disagree");
	assert_refused("{\"schemaVersion\":1,\"name\":\"a\",\"fsLayers\":[]}", NULL, ENOTSUP, "schema 1");
	assert_refused(OCI_IMAGE, "application/vnd.docker.distribution.manifest.v1+prettyjws", ENOTSUP, "schema 1");
	assert_refused("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.artifact.manifest.v1+json\"}", NULL,
		       ENOTSUP, "no image manifest or index");
	assert_refused("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.cncf.helm.config.v1+json\","
		       "\"digest\":\"" D1 "\",\"size\":1},\"layers\":[]}",
		       NULL, ENOTSUP, "not a container image");
	assert_refused("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
		       "\"digest\":\"" D1 "\",\"size\":1},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer."
		       "v1.tar+gzip+encrypted\",\"digest\":\"" D2 "\",\"size\":1}]}",
		       NULL, ENOTSUP, "encrypted layers are not supported");
	assert_refused("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
		       "\"digest\":\"sha512:abcd\",\"size\":1},\"layers\":[]}",
		       NULL, ENOTSUP, "only sha256");
	assert_refused("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
		       "\"digest\":\"" D1 "\",\"size\":-1},\"layers\":[]}",
		       NULL, EINVAL, "negative");
	assert_refused("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
		       "\"digest\":\"" D1 "\",\"size\":99999999},\"layers\":[]}",
		       NULL, EFBIG, "over the limit");
	assert_refused("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
		       "\"digest\":\"" D1 "\",\"size\":1},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer."
		       "v1.tar\",\"digest\":\"" D2 "\",\"size\":1,\"urls\":[\"https://x\"]}]}",
		       NULL, ENOTSUP, "urls");
	assert_refused("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"" D1
		       "\",\"size\":1,\"platform\":{\"os\":\"linux\"}}]}",
		       NULL, EINVAL, "architecture");
	assert_refused("{\"schemaVersion\":2}", NULL, EINVAL, "neither an image manifest");
	assert_refused("[]", NULL, EINVAL, "not a JSON object");
	assert_refused("{\"schemaVersion\":3,\"layers\":[]}", NULL, EINVAL, "schemaVersion");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_images),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
