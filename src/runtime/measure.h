/* Measured launch: a SHA-384 over the canonical config and the rootfs (the image manifest digest
 * from the annotation run.cocoon.image.digest, else a digest of the rootfs tree), appended to the
 * node's measurement log as a hash-chained JSON line, so attestation can replay it. */
#pragma once

#include "runtime/spec.h"

struct cc_error;

#define RUNTIME_IMAGE_DIGEST_ANNOTATION "run.cocoon.image.digest"

/* Computes the measurement; *ret is "sha384:<96 hex>". cache_path (may be NULL) keeps per-file
 * content digests between launches. */
int runtime_measure(const struct runtime_spec *spec, const char *profile, const char *cache_path, char **ret,
		    struct cc_error *err);

/* SHA-384 of a directory tree: every entry's relative path, type, mode, owner, size, and the
 * SHA-256 of its content (symlink target for links), in sorted order. Nothing is followed out of
 * the tree. */
int runtime_measure_tree(const char *root, const char *cache_path, char out_hex[97], struct cc_error *err);

/* Appends {"seq","container","measurement","time","prev"[,"pcr","tpm"]} to log_path (created
 * 0600), where prev is the SHA-384 of the previous line (TCG event log style), and pcr/tpm say
 * where the measurement is extended (pcr < 0: no TPM). */
int runtime_measurement_log_append(const char *log_path, const char *id, const char *measurement, int pcr,
				   const char *tpm, struct cc_error *err);
