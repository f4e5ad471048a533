/* OCI linux.seccomp -> libseccomp filter, and the confidential profile's own allowlist. The runtime
 * compiles them to BPF before the container exists (seccomp_program.h), so `create` reports an
 * invalid filter, and the init only loads the program. */
#pragma once

#include <jansson.h>
#include <seccomp.h>
#include <stdbool.h>

struct cc_error;

/* Builds a filter from an OCI seccomp object. Unknown syscall names are skipped (they do not exist
 * on this kernel or architecture); unknown actions, operators or architectures are errors.
 * *ret_notify is set when some rule uses SCMP_ACT_NOTIFY. */
int runtime_seccomp_build(const json_t *seccomp, scmp_filter_ctx *ret, bool *ret_notify, struct cc_error *err);

/* The confidential profile's filter: default deny (EPERM) over an allowlist at least as strict as
 * Docker's default profile, and namespace-creating clone flags refused. */
int runtime_seccomp_confidential(scmp_filter_ctx *ret, struct cc_error *err);
/* What the confidential filter is made of, as text (its allowlist and rules): a cache of compiled
 * programs keys on it, so a changed allowlist is compiled again whatever the version says. */
char *runtime_seccomp_confidential_source(void);

/* Names for `features`: actions, operators, architectures, flags. */
json_t *runtime_seccomp_features(void);
