/* The launch measurement, version 2 (see launch_measurement.h). */
#include "lib/crypto/launch_measurement.h"

#include "lib/base/error.h"
#include "lib/crypto/digest.h"
#include "lib/crypto/encode.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define PART_MAX 256

static bool hex_digest(const char *s, const char *prefix, size_t hex_len)
{
	size_t n = strlen(prefix);
	if (strncmp(s, prefix, n) != 0 || strlen(s + n) != hex_len)
		return false;
	return strspn(s + n, "0123456789abcdef") == hex_len;
}

static int check(const struct cc_launch_parts *p, struct cc_error *err)
{
	if (!p->config || !hex_digest(p->config, "sha384:", 96))
		return cc_error_set(err, EINVAL, "the config part must be sha384: and 96 lower-case hex digits");
	if (!p->rootfs || (!hex_digest(p->rootfs, "tree:sha384:", 96) && strncmp(p->rootfs, "image:", 6) != 0) ||
	    strlen(p->rootfs) > PART_MAX)
		return cc_error_set(err, EINVAL, "the rootfs part must be image:DIGEST or tree:sha384:HEX");
	if (!p->profile || !p->profile[0] || strlen(p->profile) > PART_MAX)
		return cc_error_set(err, EINVAL, "the profile part must be a name of 1 to %d bytes", PART_MAX);
	return 0;
}

int cc_launch_measurement(const struct cc_launch_parts *parts, char out[CC_LAUNCH_MEASUREMENT_SIZE],
			  struct cc_error *err)
{
	int r = check(parts, err);
	if (r < 0)
		return r;
	struct cc_digest_ctx *ctx;
	if ((r = cc_digest_begin(CC_DIGEST_SHA384, &ctx, err)) < 0)
		return r;
	/* Domain-separated fields, each ending in NUL, so that no two inputs share an encoding. */
	const char *fields[] = { CC_LAUNCH_MEASUREMENT_V2, parts->config, parts->rootfs, parts->profile };
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		cc_digest_update(ctx, fields[i], strlen(fields[i]) + 1);
	uint8_t md[48];
	if ((r = cc_digest_end(ctx, md, err)) < 0)
		return r;
	memcpy(out, "sha384:", 7);
	cc_hex_encode(md, sizeof(md), out + 7);
	return 0;
}

json_t *cc_launch_parts_json(const struct cc_launch_parts *parts)
{
	return json_pack("{s:s, s:s, s:s}", "config", parts->config, "rootfs", parts->rootfs, "profile",
			 parts->profile);
}

int cc_launch_parts_from_json(const json_t *obj, struct cc_launch_parts *ret, struct cc_error *err)
{
	if (!json_is_object(obj))
		return cc_error_set(err, EINVAL, "the parts must be an object");
	*ret = (struct cc_launch_parts){ .config = json_string_value(json_object_get(obj, "config")),
					 .rootfs = json_string_value(json_object_get(obj, "rootfs")),
					 .profile = json_string_value(json_object_get(obj, "profile")) };
	return check(ret, err);
}
