/* The launch measurement of a container, version 2: SHA-384 over its three parts, each a short
 * string, so that whoever replays a measurement log can check the parts a record carries against the
 * measurement the TPM holds, and an appraisal policy can judge the parts that stay the same from one
 * pod to the next (the image and the profile) while the config's digest is unique to each launch.
 * The runtime computes it (runtime/measure.h); the TPM verifier checks it (attest/tpm.h). */
#pragma once

#include <jansson.h>

struct cc_error;

#define CC_LAUNCH_MEASUREMENT_V2 "cocoon.measurement/v2"
/* "sha384:" and 96 hex digits, and the NUL. */
#define CC_LAUNCH_MEASUREMENT_SIZE 104

struct cc_launch_parts {
	const char *config;  /* "sha384:HEX": the canonical config.json as the profile left it */
	const char *rootfs;  /* "image:sha256:HEX" (the image's manifest digest) or "tree:sha384:HEX" */
	const char *profile; /* the profile's name, or "none" */
};

int cc_launch_measurement(const struct cc_launch_parts *parts, char out[CC_LAUNCH_MEASUREMENT_SIZE],
			  struct cc_error *err);

/* {"config", "rootfs", "profile"} as a log record carries them. */
json_t *cc_launch_parts_json(const struct cc_launch_parts *parts);
/* The parts of a record's JSON (pointing into it); -EINVAL naming what is malformed. */
int cc_launch_parts_from_json(const json_t *obj, struct cc_launch_parts *ret, struct cc_error *err);
