/* Scope-bound cleanup in the style of systemd: a variable declared `_cleanup_free_ char *p = NULL;`
 * is freed on every return path. Each helper takes a pointer to the variable and tolerates NULL or -1. */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void cc_freep(void *p)
{
	free(*(void **)p);
}

static inline void cc_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void cc_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_free_   _cleanup_(cc_freep)
#define _cleanup_close_  _cleanup_(cc_closep)
#define _cleanup_fclose_ _cleanup_(cc_fclosep)

/* Defines func##p, the cleanup helper of a type that has its own free function (systemd's
 * DEFINE_TRIVIAL_CLEANUP_FUNC), so no caller frees such an object by hand on each path. A header says
 * `CC_DEFINE_CLEANUP_FUNC(struct runtime_state *, runtime_state_free)` after the free function, and
 * callers declare `_cleanup_(runtime_state_freep) struct runtime_state *st = NULL;`. */
#define CC_DEFINE_CLEANUP_FUNC(type, func)                                                                             \
	static inline void func##p(type *p)                                                                            \
	{                                                                                                              \
		if (*p)                                                                                                \
			func(*p);                                                                                      \
	}

/* Hands ownership out of a cleanup-scoped variable: `*ret = CC_TAKE_PTR(p);`. */
#define CC_TAKE_PTR(p)                                                                                                 \
	({                                                                                                             \
		__typeof__(p) taken_ = (p);                                                                            \
		(p) = NULL;                                                                                            \
		taken_;                                                                                                \
	})

#define CC_TAKE_FD(fd)                                                                                                 \
	({                                                                                                             \
		int taken_fd_ = (fd);                                                                                  \
		(fd) = -1;                                                                                             \
		taken_fd_;                                                                                             \
	})

#define CC_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation failure is not recoverable in any path we care about: abort with a message. */
void *cc_xmalloc(size_t size);
void *cc_xcalloc(size_t count, size_t size);
void *cc_xrealloc(void *ptr, size_t size);
char *cc_xstrdup(const char *s);
char *cc_xstrndup(const char *s, size_t n);
char *cc_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *cc_xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
