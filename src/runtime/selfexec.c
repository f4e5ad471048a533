/* Re-exec from a sealed memfd (see selfexec.h). The copy costs one read of the binary, about a
 * millisecond for this runtime's size. */
#include "runtime/selfexec.h"

#include "lib/base/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/memfd.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

static int running_from_sealed_memfd(void)
{
	_cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	int seals = fcntl(fd, F_GET_SEALS);
	return seals >= 0 && (seals & (F_SEAL_SEAL | F_SEAL_WRITE)) == (F_SEAL_SEAL | F_SEAL_WRITE);
}

int runtime_ensure_sealed_exe(char **argv, char **envp)
{
	if (running_from_sealed_memfd())
		return 0;
	_cleanup_close_ int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (exe < 0)
		return -errno;
	struct stat st;
	if (fstat(exe, &st) < 0)
		return -errno;
	int mfd = memfd_create("cocoon-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return -errno;
	off_t offset = 0;
	while (offset < st.st_size) {
		ssize_t n = sendfile(mfd, exe, &offset, (size_t)(st.st_size - offset));
		if (n <= 0) {
			close(mfd);
			return n < 0 ? -errno : -EIO;
		}
	}
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		close(mfd);
		return -errno;
	}
	fexecve(mfd, argv, envp);
	int saved = errno;
	close(mfd);
	return -saved;
}
