/* OCI linux.seccomp -> libseccomp filter, and the confidential profile's own allowlist. Building
 * and loading are separate so `create` can report an invalid filter before the container runs. */
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

/* Loads the filter into the calling thread (needs no_new_privs or CAP_SYS_ADMIN); returns the
 * notify fd when the filter has notify rules, else 0. */
int runtime_seccomp_load(scmp_filter_ctx ctx, bool notify, struct cc_error *err);

/* Names for `features`: actions, operators, architectures, flags. */
json_t *runtime_seccomp_features(void);
