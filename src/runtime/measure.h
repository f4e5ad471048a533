/* Measured launch: the launch measurement v2 (lib/crypto/launch_measurement.h) over the canonical
 * config's digest, the rootfs (the image manifest digest from the annotation run.cocoon.image.digest,
 * else a digest of the rootfs tree) and the profile, appended to the node's measurement log as a
 * hash-chained JSON line with its parts, so attestation can replay it and check them. */
#pragma once

#include "runtime/spec.h"

#include <jansson.h>

struct cc_error;

#define RUNTIME_IMAGE_DIGEST_ANNOTATION "run.cocoon.image.digest"

/* Computes the measurement; *ret is "sha384:<96 hex>", *ret_parts its parts ({config, rootfs,
 * profile}). cache_path (may be NULL) keeps per-file content digests between launches. */
int runtime_measure(const struct runtime_spec *spec, const char *profile, const char *cache_path, char **ret,
		    json_t **ret_parts, struct cc_error *err);

/* SHA-384 of a directory tree: every entry's relative path, type, mode, owner, size, and the
 * SHA-256 of its content (symlink target for links), in sorted order. Nothing is followed out of
 * the tree. */
int runtime_measure_tree(const char *root, const char *cache_path, char out_hex[97], struct cc_error *err);

/* Appends {"seq","container","measurement","time","prev"[,"parts"][,"pcr","tpm"]} to log_path
 * (created 0600), where prev is the SHA-384 of the previous line (TCG event log style), parts (may be
 * NULL) what the measurement was made of, and pcr/tpm say where the measurement is extended (pcr < 0:
 * no TPM). */
int runtime_measurement_log_append(const char *log_path, const char *id, const char *measurement, const json_t *parts,
				   int pcr, const char *tpm, struct cc_error *err);
