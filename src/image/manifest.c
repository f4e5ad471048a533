/* Parsing manifests and indexes fetched from a registry (manifest.h).
 *
 * The kind comes from the document's mediaType, else from the answer's Content-Type, else from its
 * shape (an OCI document may omit mediaType). When the document and the header both name a type they
 * must agree: a document that the registry called one thing and that says it is another is refused
 * (the confusion OCI image-spec 1.0.2 closed by making mediaType a field). */
#include "image/manifest.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"

#include <errno.h>
#include <string.h>
#include <sys/utsname.h>

#define MEDIA_OCI_CONFIG    "application/vnd.oci.image.config.v1+json"
#define MEDIA_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MEDIA_DOCKER_LAYER  "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MEDIA_OCI_LAYER     "application/vnd.oci.image.layer.v1.tar"
#define MEDIA_SCHEMA1       "application/vnd.docker.distribution.manifest.v1"

static void descriptor_clear(struct image_descriptor *d)
{
	free(d->media_type);
	free(d->digest);
	free(d->os);
	free(d->architecture);
	free(d->variant);
}

void image_manifest_clear(struct image_manifest *m)
{
	descriptor_clear(&m->config);
	for (size_t i = 0; i < m->n_layers; i++)
		descriptor_clear(&m->layers[i]);
	for (size_t i = 0; i < m->n_manifests; i++)
		descriptor_clear(&m->manifests[i]);
	free(m->layers);
	free(m->manifests);
	free(m->media_type);
	*m = (struct image_manifest){ 0 };
}

static bool digest_valid(const char *s)
{
	return strncmp(s, "sha256:", 7) == 0 && strlen(s + 7) == 64 && strspn(s + 7, "0123456789abcdef") == 64;
}

static int descriptor(json_t *desc, const char *what, bool platform, struct image_descriptor *ret, struct cc_error *err)
{
	if (!json_is_object(desc))
		return cc_error_set(err, EINVAL, "%s is not a descriptor object", what);
	const char *media, *digest;
	int64_t size;
	if (cc_json_get_string(desc, "mediaType", true, &media, err) < 0 ||
	    cc_json_get_string(desc, "digest", true, &digest, err) < 0 ||
	    cc_json_get_int(desc, "size", true, &size, err) < 0) {
		err->code = EINVAL; /* a field missing or of the wrong type: the document is malformed */
		return cc_error_prefix(err, "%s", what);
	}
	if (!digest_valid(digest))
		return cc_error_set(err, strchr(digest, ':') && strncmp(digest, "sha256:", 7) ? ENOTSUP : EINVAL,
				    "%s: digest `%.80s` is not sha256: and 64 lower-case hex digits (only sha256 is "
				    "supported)",
				    what, digest);
	if (size < 0)
		return cc_error_set(err, EINVAL, "%s: size %lld is negative", what, (long long)size);
	if (json_object_get(desc, "urls"))
		return cc_error_set(err, ENOTSUP, "%s: a blob fetched from elsewhere (`urls`) is not supported", what);
	json_t *p = json_object_get(desc, "platform");
	const char *os = NULL, *arch = NULL, *variant = NULL;
	if (platform && p) {
		if (!json_is_object(p))
			return cc_error_set(err, EINVAL, "%s: `platform` is not an object", what);
		if (cc_json_get_string(p, "os", true, &os, err) < 0 ||
		    cc_json_get_string(p, "architecture", true, &arch, err) < 0 ||
		    cc_json_get_string(p, "variant", false, &variant, err) < 0) {
			err->code = EINVAL;
			return cc_error_prefix(err, "%s: platform", what);
		}
	}
	*ret = (struct image_descriptor){ .media_type = cc_xstrdup(media),
					  .digest = cc_xstrdup(digest),
					  .size = (uint64_t)size,
					  .os = os ? cc_xstrdup(os) : NULL,
					  .architecture = arch ? cc_xstrdup(arch) : NULL,
					  .variant = variant ? cc_xstrdup(variant) : NULL };
	return 0;
}

static bool layer_type_known(const char *media)
{
	static const char *const known[] = {
		MEDIA_OCI_LAYER,
		MEDIA_OCI_LAYER "+gzip",
		MEDIA_OCI_LAYER "+zstd",
		MEDIA_DOCKER_LAYER,
		/* What some tools write for an uncompressed Docker layer. */
		"application/vnd.docker.image.rootfs.diff.tar",
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(known); i++)
		if (strcmp(media, known[i]) == 0)
			return true;
	return false;
}

static int parse_image(json_t *doc, struct image_manifest *m, struct cc_error *err)
{
	int r = descriptor(json_object_get(doc, "config"), "the manifest's config", false, &m->config, err);
	if (r < 0)
		return r;
	if (strcmp(m->config.media_type, MEDIA_OCI_CONFIG) != 0 &&
	    strcmp(m->config.media_type, MEDIA_DOCKER_CONFIG) != 0)
		return cc_error_set(err, ENOTSUP,
				    "the manifest's config is `%.100s`: this is an artifact, not a container image",
				    m->config.media_type);
	if (m->config.size > IMAGE_MANIFEST_MAX_CONFIG_SIZE)
		return cc_error_set(err, EFBIG, "the image config has %llu bytes, over the limit of %llu",
				    (unsigned long long)m->config.size, IMAGE_MANIFEST_MAX_CONFIG_SIZE);
	json_t *layers = json_object_get(doc, "layers");
	if (!json_is_array(layers))
		return cc_error_set(err, EINVAL, "the manifest has no `layers` array");
	if (json_array_size(layers) > IMAGE_MANIFEST_MAX_LAYERS)
		return cc_error_set(err, EFBIG, "the manifest has %zu layers, over the limit of %d",
				    json_array_size(layers), IMAGE_MANIFEST_MAX_LAYERS);
	m->layers = cc_xcalloc(json_array_size(layers) + 1, sizeof(*m->layers));
	size_t i;
	json_t *v;
	json_array_foreach (layers, i, v) {
		char what[48];
		snprintf(what, sizeof(what), "layer %zu of the manifest", i);
		if ((r = descriptor(v, what, false, &m->layers[m->n_layers], err)) < 0)
			return r;
		const char *media = m->layers[m->n_layers++].media_type;
		if (!layer_type_known(media))
			return cc_error_set(
			    err, ENOTSUP,
			    "%s has media type `%.100s`: layers are tar, tar+gzip or tar+zstd (foreign, "
			    "non-distributable and encrypted layers are not supported)",
			    what, media);
	}
	return 0;
}

static int parse_index(json_t *doc, struct image_manifest *m, struct cc_error *err)
{
	json_t *list = json_object_get(doc, "manifests");
	if (!json_is_array(list))
		return cc_error_set(err, EINVAL, "the index has no `manifests` array");
	if (json_array_size(list) > IMAGE_MANIFEST_MAX_MANIFESTS)
		return cc_error_set(err, EFBIG, "the index lists %zu manifests, over the limit of %d",
				    json_array_size(list), IMAGE_MANIFEST_MAX_MANIFESTS);
	m->manifests = cc_xcalloc(json_array_size(list) + 1, sizeof(*m->manifests));
	size_t i;
	json_t *v;
	json_array_foreach (list, i, v) {
		char what[48];
		snprintf(what, sizeof(what), "entry %zu of the index", i);
		int r = descriptor(v, what, true, &m->manifests[m->n_manifests], err);
		if (r < 0)
			return r;
		m->n_manifests++;
	}
	return 0;
}

static bool media_is(const char *media, const char *a, const char *b)
{
	return media && (strcmp(media, a) == 0 || strcmp(media, b) == 0);
}

/* The kind a media type names, or IMAGE_MANIFEST_KIND_MAX for another type. */
static enum image_manifest_kind kind_of(const char *media)
{
	if (media_is(media, IMAGE_MEDIA_OCI_INDEX, IMAGE_MEDIA_DOCKER_LIST))
		return IMAGE_MANIFEST_INDEX;
	if (media_is(media, IMAGE_MEDIA_OCI_MANIFEST, IMAGE_MEDIA_DOCKER_MANIFEST))
		return IMAGE_MANIFEST_IMAGE;
	return IMAGE_MANIFEST_KIND_MAX;
}

/* "type/subtype; charset=utf-8" -> "type/subtype" */
static char *bare_type(const char *content_type)
{
	if (!content_type)
		return NULL;
	size_t n = strcspn(content_type, "; \t");
	return n ? cc_xstrndup(content_type, n) : NULL;
}

static int kind_and_type(json_t *doc, const char *content_type, struct image_manifest *m, struct cc_error *err)
{
	const char *field = json_string_value(json_object_get(doc, "mediaType"));
	if (json_object_get(doc, "mediaType") && !field)
		return cc_error_set(err, EINVAL, "the manifest's `mediaType` is not a string");
	_cleanup_free_ char *header = bare_type(content_type);
	if ((field && strncmp(field, MEDIA_SCHEMA1, strlen(MEDIA_SCHEMA1)) == 0) ||
	    (header && strncmp(header, MEDIA_SCHEMA1, strlen(MEDIA_SCHEMA1)) == 0) ||
	    json_integer_value(json_object_get(doc, "schemaVersion")) == 1)
		return cc_error_set(err, ENOTSUP,
				    "the registry serves a Docker schema 1 manifest, which is deprecated and "
				    "unsigned-insecure: push the image again with a current client");
	enum image_manifest_kind from_field = kind_of(field), from_header = kind_of(header);
	if (field && from_field == IMAGE_MANIFEST_KIND_MAX)
		return cc_error_set(err, ENOTSUP, "the manifest's media type `%.100s` is no image manifest or index",
				    field);
	if (field && from_header != IMAGE_MANIFEST_KIND_MAX && strcmp(field, header) != 0)
		return cc_error_set(err, EBADMSG, "the registry sent `%.100s` as `%.100s`: the types disagree", field,
				    header);
	if (json_integer_value(json_object_get(doc, "schemaVersion")) != 2)
		return cc_error_set(err, EINVAL, "the manifest's `schemaVersion` is not 2");
	const char *media = field ? field : from_header != IMAGE_MANIFEST_KIND_MAX ? header : NULL;
	enum image_manifest_kind kind = kind_of(media);
	if (kind == IMAGE_MANIFEST_KIND_MAX) {
		/* Neither says: an OCI document by its shape (both types may omit mediaType). */
		bool manifests = json_object_get(doc, "manifests"), layers = json_object_get(doc, "layers");
		if (manifests == layers)
			return cc_error_set(err, EINVAL,
					    "the document is neither an image manifest (config, layers) nor an index "
					    "(manifests)");
		kind = manifests ? IMAGE_MANIFEST_INDEX : IMAGE_MANIFEST_IMAGE;
		media = manifests ? IMAGE_MEDIA_OCI_INDEX : IMAGE_MEDIA_OCI_MANIFEST;
	}
	m->kind = kind;
	m->media_type = cc_xstrdup(media);
	return 0;
}

int image_manifest_parse(const void *data, size_t len, const char *content_type, struct image_manifest *ret,
			 struct cc_error *err)
{
	struct cc_error ignored = { 0 };
	if (!err)
		err = &ignored;
	if (len > IMAGE_MANIFEST_MAX_SIZE)
		return cc_error_set(err, EFBIG, "the manifest has %zu bytes, over the limit of %u", len,
				    IMAGE_MANIFEST_MAX_SIZE);
	_cleanup_json_ json_t *doc = NULL;
	int r = cc_json_parse(data, len, IMAGE_MANIFEST_MAX_SIZE, "manifest", &doc, err);
	if (r < 0)
		return r;
	if (!json_is_object(doc))
		return cc_error_set(err, EINVAL, "the manifest is not a JSON object");
	struct image_manifest m = { 0 };
	r = kind_and_type(doc, content_type, &m, err);
	if (r == 0)
		r = m.kind == IMAGE_MANIFEST_INDEX ? parse_index(doc, &m, err) : parse_image(doc, &m, err);
	if (r < 0) {
		image_manifest_clear(&m);
		return r;
	}
	*ret = m;
	return 0;
}

int image_manifest_pick(const struct image_manifest *index, const char *os, const char *architecture,
			const char *variant, const struct image_descriptor **ret, struct cc_error *err)
{
	const struct image_descriptor *pick = NULL;
	for (size_t i = 0; i < index->n_manifests && !pick; i++) {
		const struct image_descriptor *d = &index->manifests[i];
		if (!d->os || !d->architecture || strcmp(d->os, os) != 0 || strcmp(d->architecture, architecture) != 0)
			continue;
		if (kind_of(d->media_type) != IMAGE_MANIFEST_IMAGE)
			continue; /* an index in an index names no platform's image directly */
		if (!variant || !d->variant || strcmp(d->variant, variant) == 0)
			pick = d;
	}
	if (pick) {
		*ret = pick;
		return 0;
	}
	char have[512] = "";
	size_t used = 0;
	for (size_t i = 0; i < index->n_manifests && used < sizeof(have) - 1; i++) {
		const struct image_descriptor *d = &index->manifests[i];
		int n = snprintf(have + used, sizeof(have) - used, "%s%.32s/%.32s%s%.16s", used ? ", " : "",
				 d->os ? d->os : "?", d->architecture ? d->architecture : "?", d->variant ? "/" : "",
				 d->variant ? d->variant : "");
		if (n < 0)
			break;
		used += (size_t)n < sizeof(have) - used ? (size_t)n : sizeof(have) - used - 1;
	}
	return cc_error_set(err, ENOENT, "the index has no image for %s/%s%s%s (it has %s)", os, architecture,
			    variant ? "/" : "", variant ? variant : "", used ? have : "no platforms");
}

void image_host_platform(const char **ret_architecture, const char **ret_variant)
{
	static __thread struct utsname u;
	const char *arch = "amd64", *variant = NULL;
	if (uname(&u) == 0) {
		if (strcmp(u.machine, "x86_64") == 0)
			arch = "amd64";
		else if (strcmp(u.machine, "aarch64") == 0)
			arch = "arm64";
		else if (strncmp(u.machine, "armv7", 5) == 0)
			arch = "arm", variant = "v7";
		else if (strcmp(u.machine, "i686") == 0 || strcmp(u.machine, "i386") == 0)
			arch = "386";
		else
			arch = u.machine; /* ppc64le, s390x, riscv64 are the same words */
	}
	*ret_architecture = arch;
	if (ret_variant)
		*ret_variant = variant;
}
