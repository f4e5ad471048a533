/* Pulling an image from an OCI registry into the local store, as `podman pull` does: the
 * reference names the registry (`registry.example:5000/ns/name:tag`, `...@sha256:HEX`); the
 * manifest (or the index, of which this machine's linux platform is chosen) is fetched and checked
 * against its digest; the config and the layers the store lacks are streamed into it and each
 * checked against its digest as it arrives; then the image goes through the same checks as a loaded
 * oci-archive (sizes, diff_ids, the unpacking rules) and is named in the index.
 *
 * Names without a registry are refused: a short name means docker.io to docker and podman, which
 * this platform does not assume it can reach. `localhost/NAME` names the node's own images
 * (`cocoon image import`, `cocoon image load`): a pull of one only finds it in the store. */
#pragma once

#include "image/store.h"

#include <stdbool.h>
#include <stdint.h>

struct cc_error;

struct image_pull_options {
	const char *ca_file; /* the registries' CA bundle; NULL: the system store */
	/* false: HTTPS without certificate verification, and plain HTTP for a registry without TLS
	 * (podman's --tls-verify=false). */
	bool tls_verify;
	const char *const *insecure_registries; /* HOST[:PORT]s treated as tls_verify false; NULL-terminated */
	const char *creds;                      /* "USER:PASSWORD", or NULL */
	const char *auth_file;                  /* NULL: the usual places (registry.h) */
	int timeout_s;                          /* the whole pull; 0: none (a stalled transfer still ends) */
	const int *cancel; /* another thread sets it non-zero to end the pull (-ECANCELED), or NULL */
};

void image_pull_options_default(struct image_pull_options *ret);

struct image_pull_result {
	struct image_info image;
	char *reference;        /* as pulled, normalised: NAME:TAG or NAME@DIGEST */
	char *index_digest;     /* the index's digest when the image was chosen from one, else NULL */
	bool local;             /* a localhost/ image found in the store: nothing fetched */
	uint64_t blobs_fetched; /* config and layers */
	uint64_t blobs_skipped; /* already in the store */
	uint64_t bytes_fetched;
	uint64_t layers_unpacked;
};
void image_pull_result_clear(struct image_pull_result *res);

/* -EINVAL for a malformed or registry-less reference, -ENOENT when the registry has no such image
 * (its answer in err), -EACCES when it refuses us, -EBADMSG for content that does not match its
 * digest (nothing is stored then), -ETIMEDOUT past timeout_s; other errors from the transport and
 * the store. */
int image_store_pull(struct image_store *store, const char *ref, const struct image_pull_options *opts,
		     struct image_pull_result *ret, struct cc_error *err);
