/* libFuzzer target: manifests and indexes as a registry serves them (src/image/manifest.c). The
 * first byte picks the Content-Type the answer came with (none, each manifest and index type, or
 * one of no image); the rest is the document. A parsed index is asked for a few platforms, and
 * whatever is parsed must hold what the parser promises: sha256 digests, the kind's lists only. */
#include "image/manifest.h"
#include "lib/base/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const content_types[] = {
	NULL,
	IMAGE_MEDIA_OCI_MANIFEST,
	IMAGE_MEDIA_OCI_INDEX,
	IMAGE_MEDIA_DOCKER_MANIFEST,
	IMAGE_MEDIA_DOCKER_LIST,
	"application/vnd.docker.distribution.manifest.v1+prettyjws",
	"application/json; charset=utf-8",
	"",
};

static void check_descriptor(const struct image_descriptor *d)
{
	if (!d->digest || strncmp(d->digest, "sha256:", 7) != 0 || strlen(d->digest) != 71 || !d->media_type)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const char *type = content_types[data[0] % (sizeof(content_types) / sizeof(content_types[0]))];
	struct image_manifest m;
	struct cc_error err = { 0 };
	if (image_manifest_parse(data + 1, size - 1, type, &m, &err) < 0) {
		if (!err.code || !err.message[0])
			abort(); /* a refusal always says why */
		return 0;
	}
	if (m.kind == IMAGE_MANIFEST_IMAGE) {
		if (m.n_manifests || m.n_layers > IMAGE_MANIFEST_MAX_LAYERS)
			abort();
		check_descriptor(&m.config);
		for (size_t i = 0; i < m.n_layers; i++)
			check_descriptor(&m.layers[i]);
	} else {
		if (m.n_layers || m.config.digest || m.n_manifests > IMAGE_MANIFEST_MAX_MANIFESTS)
			abort();
		for (size_t i = 0; i < m.n_manifests; i++)
			check_descriptor(&m.manifests[i]);
		static const char *const platforms[][3] = { { "linux", "amd64", NULL },
							    { "linux", "arm", "v7" },
							    { "windows", "arm64", NULL } };
		for (size_t i = 0; i < 3; i++) {
			const struct image_descriptor *d = NULL;
			if (image_manifest_pick(&m, platforms[i][0], platforms[i][1], platforms[i][2], &d, &err) == 0 &&
			    (!d || strcmp(d->os, platforms[i][0]) != 0))
				abort();
		}
	}
	image_manifest_clear(&m);
	return 0;
}
