/* Re-exec from a sealed memfd (see selfexec.h). The copy is what the kernel and the dynamic linker
 * load: the bytes up to the end of the last segment, without the section headers, symbols and
 * debug information after them (three quarters of an unstripped build, copied on every create). */
#include "runtime/selfexec.h"

#include "lib/base/cleanup.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/memfd.h>
#include <stdbool.h>
#include <string.h>
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

/* How many leading bytes of the ELF file at fd its program needs: the end of its furthest segment,
 * or the whole size when the file is not a 64-bit ELF this can read. *ret_header gets the ELF header
 * with the section header table dropped, when the copy is cut short of it. */
static off_t loaded_size(int fd, off_t file_size, Elf64_Ehdr *ret_header, bool *ret_cut)
{
	*ret_cut = false;
	Elf64_Ehdr eh;
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
	    eh.e_phnum > 64)
		return file_size;
	Elf64_Phdr ph[64];
	size_t bytes = (size_t)eh.e_phnum * sizeof(Elf64_Phdr);
	if (eh.e_phoff > (uint64_t)file_size || pread(fd, ph, bytes, (off_t)eh.e_phoff) != (ssize_t)bytes)
		return file_size;
	uint64_t end = eh.e_phoff + bytes;
	for (size_t i = 0; i < eh.e_phnum; i++)
		if (ph[i].p_offset + ph[i].p_filesz > end)
			end = ph[i].p_offset + ph[i].p_filesz;
	if (end >= (uint64_t)file_size || eh.e_shoff < end)
		return file_size;
	eh.e_shoff = 0;
	eh.e_shnum = 0;
	eh.e_shstrndx = SHN_UNDEF;
	*ret_header = eh;
	*ret_cut = true;
	return (off_t)end;
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
	Elf64_Ehdr header;
	bool cut;
	off_t size = loaded_size(exe, st.st_size, &header, &cut);
	off_t offset = 0;
	while (offset < size) {
		ssize_t n = sendfile(mfd, exe, &offset, (size_t)(size - offset));
		if (n <= 0) {
			close(mfd);
			return n < 0 ? -errno : -EIO;
		}
	}
	if (cut && pwrite(mfd, &header, sizeof(header), 0) != (ssize_t)sizeof(header)) {
		close(mfd);
		return -EIO;
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
