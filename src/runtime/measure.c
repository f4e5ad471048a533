/* Measurement of a container before its first instruction runs. */
#include "runtime/measure.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/digest.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/launch_measurement.h"
#include "lib/json/json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MEASUREMENT_LOG_TAIL 65536

int runtime_measure(const struct runtime_spec *spec, const char *profile, const char *cache_path, char **ret,
		    json_t **ret_parts, struct cc_error *err)
{
	char rootfs[128];
	const char *image = runtime_spec_annotation(spec, RUNTIME_IMAGE_DIGEST_ANNOTATION);
	if (image) {
		/* It stands for the whole rootfs, and a policy matches it: exactly a digest, never cut. */
		if (strncmp(image, "sha256:", 7) != 0 || strlen(image) != 7 + 64 ||
		    strspn(image + 7, "0123456789abcdef") != 64)
			return cc_error_set(err, EINVAL,
					    "annotation %s `%.80s` is not sha256: and 64 lower-case hex digits",
					    RUNTIME_IMAGE_DIGEST_ANNOTATION, image);
		snprintf(rootfs, sizeof(rootfs), "image:%s", image);
	} else {
		char tree[97];
		int r = runtime_measure_tree(spec->root_path, cache_path, tree, err);
		if (r < 0)
			return r;
		snprintf(rootfs, sizeof(rootfs), "tree:sha384:%s", tree);
	}
	_cleanup_free_ char *config = cc_json_canonical(spec->json);
	char config_hex[97], config_digest[104];
	int r = cc_digest_hex(CC_DIGEST_SHA384, config, strlen(config), config_hex, err);
	if (r < 0)
		return r;
	snprintf(config_digest, sizeof(config_digest), "sha384:%s", config_hex);
	struct cc_launch_parts parts = { .config = config_digest,
					 .rootfs = rootfs,
					 .profile = profile ? profile : "none" };
	char measurement[CC_LAUNCH_MEASUREMENT_SIZE];
	if ((r = cc_launch_measurement(&parts, measurement, err)) < 0)
		return r;
	*ret = cc_xstrdup(measurement);
	*ret_parts = cc_launch_parts_json(&parts);
	return 0;
}

int runtime_measurement_log_append(const char *log_path, const char *id, const char *measurement, const json_t *parts,
				   int pcr, const char *tpm, struct cc_error *err)
{
	_cleanup_close_ int fd = open(log_path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return cc_error_set_errno(err, errno, "open measurement log `%s`", log_path);
	/* Exclusive lock: concurrent creates must chain one after the other. */
	if (flock(fd, LOCK_EX) < 0)
		return cc_error_set_errno(err, errno, "lock measurement log `%s`", log_path);
	/* Only the end of the log holds the previous record: reading the whole log would make every
	 * launch slower than the last. A record is far shorter than the window. */
	struct stat st;
	if (fstat(fd, &st) < 0)
		return cc_error_set_errno(err, errno, "measurement log `%s`", log_path);
	off_t from = st.st_size > MEASUREMENT_LOG_TAIL ? st.st_size - MEASUREMENT_LOG_TAIL : 0;
	char data[MEASUREMENT_LOG_TAIL];
	ssize_t got = pread(fd, data, (size_t)(st.st_size - from), from);
	if (got < 0)
		return cc_error_set_errno(err, errno, "read measurement log `%s`", log_path);
	size_t len = (size_t)got;
	int r;
	/* The previous record is the last complete line. */
	int64_t seq = 0;
	char prev[97] =
	    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";
	if (len > 0) {
		size_t end = data[len - 1] == '\n' ? len - 1 : len;
		size_t start = end;
		while (start > 0 && data[start - 1] != '\n')
			start--;
		uint8_t md[48];
		if (cc_digest(CC_DIGEST_SHA384, data + start, end - start, md, err) < 0)
			return -EIO;
		cc_hex_encode(md, sizeof(md), prev);
		_cleanup_json_ json_t *last = NULL;
		if (cc_json_parse(data + start, end - start, 1u << 16, "measurement log", &last, NULL) == 0)
			seq = json_integer_value(json_object_get(last, "seq")) + 1;
	}
	char now[CC_TIME_RFC3339_MAX];
	cc_time_format_rfc3339(cc_time_now_ns(), now, sizeof(now));
	_cleanup_free_ char *prev_field = cc_xasprintf("sha384:%s", prev);
	json_t *record = json_pack("{s:I, s:s, s:s, s:s, s:s}", "seq", (json_int_t)seq, "container", id, "measurement",
				   measurement, "time", now, "prev", prev_field);
	if (parts)
		json_object_set(record, "parts", (json_t *)parts);
	if (pcr >= 0) {
		json_object_set_new(record, "pcr", json_integer(pcr));
		json_object_set_new(record, "tpm", json_string(tpm));
	}
	_cleanup_free_ char *line = cc_json_canonical(record);
	json_decref(record);
	_cleanup_free_ char *with_newline = cc_xasprintf("%s\n", line);
	/* Synced when a PCR extend follows: the record must be on disk before the PCR can contain it.
	 * Without a TPM there is nothing to order it against; a crash may then lose the last records
	 * (by default the log is under /run, which a reboot empties anyway). */
	if ((r = cc_write_all(fd, with_newline, strlen(with_newline))) < 0 || (pcr >= 0 && fsync(fd) < 0))
		return cc_error_set_errno(err, r < 0 ? -r : errno, "append to measurement log `%s`", log_path);
	return 0;
}
