/* Seccomp filters as compiled BPF programs, cached. libseccomp turns a container engine's default
 * profile (some 430 rules over three architectures) into BPF in about 30 ms, every launch; the
 * program for the same profile is the same on the same kernel and library, so the runtime compiles it
 * once, keeps it under its state root, and the init loads it with seccomp(2) directly. The cache key
 * is a SHA-256 over the profile, the runtime's and libseccomp's versions and the kernel release. */
#pragma once

#include <jansson.h>
#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>

struct cc_error;

struct runtime_seccomp_program {
	struct sock_filter *insns; /* NULL: no filter */
	size_t count;
	unsigned flags; /* SECCOMP_FILTER_FLAG_* the profile asks for (log, spec_allow, tsync) */
	bool notify;    /* the program returns SECCOMP_RET_USER_NOTIF: load with a listener */
};

/* The program of an OCI linux.seccomp object, or of the confidential profile's filter when
 * seccomp is NULL; from cache_dir (created if missing; NULL: no cache) when compiled before. */
int runtime_seccomp_program_get(const json_t *seccomp, const char *cache_dir, struct runtime_seccomp_program *ret,
				struct cc_error *err);

/* Loads the program into the calling thread (no_new_privs or CAP_SYS_ADMIN needed). Returns the
 * notify listener fd for a notify program, else 0. */
int runtime_seccomp_program_load(const struct runtime_seccomp_program *p, struct cc_error *err);

void runtime_seccomp_program_clear(struct runtime_seccomp_program *p);

struct runtime_spec;

/* Both filters of a container: the config's (none without linux.seccomp) and, for the confidential
 * profile, the profile's; cached under state_root/seccomp-cache. */
int runtime_seccomp_programs_prepare(const struct runtime_spec *spec, bool confidential, const char *state_root,
				     struct runtime_seccomp_program *filter,
				     struct runtime_seccomp_program *confidential_filter, struct cc_error *err);
