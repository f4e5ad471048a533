/* Compiled seccomp programs and their cache (see seccomp_program.h). A cache file is a header
 * (magic, flags, notify, instruction count) followed by the instructions; anything else found under
 * the name is ignored and compiled again. */
#include "runtime/seccomp_program.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/crypto/digest.h"
#include "lib/crypto/encode.h"
#include "lib/json/json.h"
#include "runtime/seccomp_filter.h"
#include "runtime/spec.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#define CACHE_MAGIC    "CCBPF1\0\0"
#define MAX_PROGRAM    4096 /* BPF_MAXINSNS */
#define CACHE_MAX_SIZE (sizeof(struct cache_header) + MAX_PROGRAM * sizeof(struct sock_filter))

struct cache_header {
	char magic[8];
	uint32_t flags;
	uint32_t notify;
	uint32_t count;
	uint32_t reserved;
};

/* What the program depends on besides the profile: a new runtime may translate a profile
 * differently, a new libseccomp or kernel may compile it differently. */
static char *cache_key(const json_t *seccomp)
{
	const struct scmp_version *v = seccomp_version();
	struct utsname u;
	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "unknown");
	_cleanup_free_ char *profile = seccomp ? cc_json_canonical(seccomp) : runtime_seccomp_confidential_source();
	_cleanup_free_ char *text = cc_xasprintf("cocoon-seccomp/1\n%s\n%u.%u.%u\n%s\n%s", COCOON_VERSION, v->major,
						 v->minor, v->micro, u.release, profile);
	uint8_t md[32];
	char hex[65];
	if (cc_digest(CC_DIGEST_SHA256, text, strlen(text), md, NULL) < 0)
		return NULL;
	cc_hex_encode(md, sizeof(md), hex);
	return cc_xstrdup(hex);
}

/* A cached program becomes a container's filter: only one that nobody but us could have written
 * (file and directory ours, not group- or world-writable) is used, judged on the descriptors read. */
static bool trusted_fd(int fd)
{
	struct stat st;
	return fd >= 0 && fstat(fd, &st) == 0 && st.st_uid == geteuid() && !(st.st_mode & (S_IWGRP | S_IWOTH));
}

static bool trusted(const char *dir)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return trusted_fd(fd);
}

static bool read_cached(const char *dir, const char *name, struct runtime_seccomp_program *ret)
{
	_cleanup_close_ int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int fd = dir_fd >= 0 ? openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
	struct stat st;
	if (!trusted_fd(dir_fd) || !trusted_fd(fd) || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < (off_t)sizeof(struct cache_header) || st.st_size > (off_t)CACHE_MAX_SIZE)
		return false;
	size_t len = (size_t)st.st_size;
	_cleanup_free_ char *data = cc_xmalloc(len);
	if (pread(fd, data, len, 0) != (ssize_t)len)
		return false;
	struct cache_header h;
	memcpy(&h, data, sizeof(h));
	if (memcmp(h.magic, CACHE_MAGIC, sizeof(h.magic)) != 0 || h.count == 0 || h.count > MAX_PROGRAM ||
	    len != sizeof(h) + h.count * sizeof(struct sock_filter))
		return false;
	ret->count = h.count;
	ret->insns = cc_xmalloc(h.count * sizeof(struct sock_filter));
	memcpy(ret->insns, data + sizeof(h), h.count * sizeof(struct sock_filter));
	ret->flags = h.flags;
	ret->notify = h.notify != 0;
	return true;
}

static void write_cached(const char *dir, const char *path, const struct runtime_seccomp_program *p)
{
	struct cache_header h = { .flags = p->flags, .notify = p->notify, .count = (uint32_t)p->count };
	memcpy(h.magic, CACHE_MAGIC, sizeof(h.magic));
	size_t len = sizeof(h) + p->count * sizeof(struct sock_filter);
	_cleanup_free_ char *data = cc_xmalloc(len);
	memcpy(data, &h, sizeof(h));
	memcpy(data + sizeof(h), p->insns, p->count * sizeof(struct sock_filter));
	if (cc_mkdir_p(dir, 0700, NULL) == 0 && trusted(dir))
		cc_replace_file(path, data, len, 0600, NULL); /* a cache: a failed write costs a compile */
}

/* The load-time flags libseccomp would pass for the attributes the profile set. */
static unsigned load_flags(scmp_filter_ctx ctx)
{
	uint32_t tsync = 0, log = 0, ssb = 0;
	seccomp_attr_get(ctx, SCMP_FLTATR_CTL_TSYNC, &tsync);
	seccomp_attr_get(ctx, SCMP_FLTATR_CTL_LOG, &log);
	seccomp_attr_get(ctx, SCMP_FLTATR_CTL_SSB, &ssb);
	return (tsync ? SECCOMP_FILTER_FLAG_TSYNC : 0) | (log ? SECCOMP_FILTER_FLAG_LOG : 0) |
	       (ssb ? SECCOMP_FILTER_FLAG_SPEC_ALLOW : 0);
}

/* libseccomp's program for ctx, exported through a memfd. */
static int export_program(scmp_filter_ctx ctx, struct runtime_seccomp_program *ret, struct cc_error *err)
{
	_cleanup_close_ int fd = memfd_create("cocoon-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return cc_error_set_errno(err, errno, "seccomp: memfd");
	int r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return cc_error_set(err, -r, "seccomp: compile the filter: %s", strerror(-r));
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size % (off_t)sizeof(struct sock_filter) != 0 ||
	    st.st_size > (off_t)(MAX_PROGRAM * sizeof(struct sock_filter)))
		return cc_error_set(err, E2BIG, "seccomp: the compiled filter has %lld bytes (at most %d instructions)",
				    (long long)st.st_size, MAX_PROGRAM);
	ret->count = (size_t)st.st_size / sizeof(struct sock_filter);
	ret->insns = cc_xmalloc((size_t)st.st_size);
	if (pread(fd, ret->insns, (size_t)st.st_size, 0) != st.st_size) {
		runtime_seccomp_program_clear(ret);
		return cc_error_set_errno(err, EIO, "seccomp: read the compiled filter");
	}
	ret->flags = load_flags(ctx);
	return 0;
}

static int compile(const json_t *seccomp, struct runtime_seccomp_program *ret, struct cc_error *err)
{
	scmp_filter_ctx ctx;
	bool notify = false;
	int r = seccomp ? runtime_seccomp_build(seccomp, &ctx, &notify, err) : runtime_seccomp_confidential(&ctx, err);
	if (r < 0)
		return r;
	r = export_program(ctx, ret, err);
	ret->notify = notify;
	seccomp_release(ctx);
	return r;
}

int runtime_seccomp_program_get(const json_t *seccomp, const char *cache_dir, struct runtime_seccomp_program *ret,
				struct cc_error *err)
{
	*ret = (struct runtime_seccomp_program){ 0 };
	_cleanup_free_ char *key = cache_dir ? cache_key(seccomp) : NULL;
	_cleanup_free_ char *name = key ? cc_xasprintf("%s.bpf", key) : NULL;
	_cleanup_free_ char *path = key ? cc_xasprintf("%s/%s", cache_dir, name) : NULL;
	if (path && read_cached(cache_dir, name, ret))
		return 0;
	int r = compile(seccomp, ret, err);
	if (r == 0 && path)
		write_cached(cache_dir, path, ret);
	return r;
}

int runtime_seccomp_program_load(const struct runtime_seccomp_program *p, struct cc_error *err)
{
	if (!p->insns)
		return 0;
	struct sock_fprog prog = { .len = (unsigned short)p->count, .filter = p->insns };
	unsigned flags = p->flags;
	if (p->notify) /* a listener excludes TSYNC, and the init has one thread anyway */
		flags = (flags & ~(unsigned)SECCOMP_FILTER_FLAG_TSYNC) | SECCOMP_FILTER_FLAG_NEW_LISTENER;
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	if (r < 0)
		return cc_error_set_errno(err, errno, "load seccomp filter");
	return p->notify ? (int)r : 0;
}

void runtime_seccomp_program_clear(struct runtime_seccomp_program *p)
{
	free(p->insns);
	*p = (struct runtime_seccomp_program){ 0 };
}

int runtime_seccomp_programs_prepare(const struct runtime_spec *spec, bool confidential, const char *state_root,
				     struct runtime_seccomp_program *filter,
				     struct runtime_seccomp_program *confidential_filter, struct cc_error *err)
{
	_cleanup_free_ char *cache = cc_xasprintf("%s/seccomp-cache", state_root);
	int r = 0;
	if (spec->seccomp)
		r = runtime_seccomp_program_get(spec->seccomp, cache, filter, err);
	if (r == 0 && confidential)
		r = runtime_seccomp_program_get(NULL, cache, confidential_filter, err);
	return r;
}
