/* Image manifests and indexes as a registry serves them (OCI image-spec manifest.md and
 * image-index.md; Docker's Image Manifest V2 Schema 2 and its manifest list, which have the same
 * shape). A manifest names a config and layers by descriptor; an index names one manifest per
 * platform. They come from the network: every field is checked, sizes and counts are bounded. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct cc_error;

#define IMAGE_MEDIA_OCI_MANIFEST    "application/vnd.oci.image.manifest.v1+json"
#define IMAGE_MEDIA_OCI_INDEX       "application/vnd.oci.image.index.v1+json"
#define IMAGE_MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define IMAGE_MEDIA_DOCKER_LIST     "application/vnd.docker.distribution.manifest.list.v2+json"
/* What a client says it takes, most wanted first (the order podman's Accept gives them). */
#define IMAGE_MANIFEST_ACCEPT                                                                                          \
	IMAGE_MEDIA_OCI_INDEX ", " IMAGE_MEDIA_DOCKER_LIST ", " IMAGE_MEDIA_OCI_MANIFEST                               \
			      ", " IMAGE_MEDIA_DOCKER_MANIFEST

#define IMAGE_MANIFEST_MAX_SIZE        (4u * 1024 * 1024)
#define IMAGE_MANIFEST_MAX_LAYERS      1000
#define IMAGE_MANIFEST_MAX_MANIFESTS   1000
#define IMAGE_MANIFEST_MAX_CONFIG_SIZE (4ull * 1024 * 1024)

enum image_manifest_kind {
	IMAGE_MANIFEST_IMAGE, /* config and layers */
	IMAGE_MANIFEST_INDEX, /* one manifest per platform */
	IMAGE_MANIFEST_KIND_MAX,
};

struct image_descriptor {
	char *media_type;
	char *digest; /* "sha256:HEX" */
	uint64_t size;
	/* In an index: the platform (os and architecture required there; variant may be NULL). */
	char *os, *architecture, *variant;
};

struct image_manifest {
	enum image_manifest_kind kind;
	char *media_type;
	struct image_descriptor config; /* an image */
	struct image_descriptor *layers;
	size_t n_layers;
	struct image_descriptor *manifests; /* an index */
	size_t n_manifests;
};

void image_manifest_clear(struct image_manifest *m);

/* Parses a manifest or index. content_type is the answer's Content-Type (may be NULL or ""); the
 * document's own mediaType, when present, must agree with it. Refused with a reason: Docker's schema
 * 1, artifacts that are no container image (a config of another type), foreign or encrypted layers,
 * digests other than sha256. */
int image_manifest_parse(const void *data, size_t len, const char *content_type, struct image_manifest *ret,
			 struct cc_error *err);

/* The entry of an index for os/architecture[/variant] (variant NULL: any, the first listed wins);
 * -ENOENT naming the platforms the index has when none fits. */
int image_manifest_pick(const struct image_manifest *index, const char *os, const char *architecture,
			const char *variant, const struct image_descriptor **ret, struct cc_error *err);

/* This machine's platform in OCI's words (uname: x86_64 -> amd64, aarch64 -> arm64, armv7l -> arm
 * with variant v7). ret_variant may be NULL. */
void image_host_platform(const char **ret_architecture, const char **ret_variant);
