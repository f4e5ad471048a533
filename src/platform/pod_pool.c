/* The encrypted volume pool (see pod_pool.h). mkfs.ext4 and mount(8) do the work: mount finds a
 * free loop device and ties it to the image (autoclear), which a bare mount(2) cannot. */
#include "platform/pod_pool.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/process.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static int run(const char *const *argv, struct cc_error *err)
{
	struct cc_process_result res;
	int r = cc_process_run(argv, NULL, &res, err);
	if (r == 0 && res.status != 0)
		r = cc_error_set(err, EIO, "%s: %s", argv[0], cc_process_message(&res));
	cc_process_result_clear(&res);
	return r;
}

static int make_image(const char *image, unsigned size_mb, struct cc_error *err)
{
	_cleanup_free_ char *tmp = cc_xasprintf("%s.new", image);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return cc_error_set_errno(err, errno, "create `%s`", tmp);
	int r = ftruncate(fd, (off_t)size_mb << 20) < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return cc_error_set_errno(err, -r, "size `%s`", tmp);
	const char *mkfs[] = { "mkfs.ext4", "-q", "-F", "-O", "encrypt", tmp, NULL };
	r = run(mkfs, err);
	if (r == 0 && rename(tmp, image) < 0)
		r = cc_error_set_errno(err, errno, "rename `%s`", tmp);
	if (r < 0)
		unlink(tmp);
	return r;
}

int pod_pool_ensure(const char *image, const char *mount_dir, unsigned size_mb, struct cc_error *err)
{
	if (cc_is_mountpoint(mount_dir))
		return 0;
	int r = cc_mkdir_p(mount_dir, 0700, err);
	if (r == 0 && access(image, F_OK) < 0)
		r = make_image(image, size_mb, err);
	if (r < 0)
		return cc_error_prefix(err, "prepare the encrypted volume pool");
	const char *mount[] = { "mount", "-o", "loop,nosuid,nodev", image, mount_dir, NULL };
	r = run(mount, err);
	if (r < 0)
		return cc_error_prefix(err, "mount the encrypted volume pool `%s`", image);
	return 0;
}
