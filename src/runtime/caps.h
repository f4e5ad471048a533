/* Linux capabilities: bounding set, effective/permitted/inheritable (capset v3) and ambient set.
 * Raw prctl/capset calls: the operations are few and libcap would be a dependency for five calls. */
#pragma once

#include "runtime/spec.h"

struct cc_error;

/* Highest capability the running kernel knows (/proc/sys/kernel/cap_last_cap). */
int runtime_caps_kernel_last(void);

/* Drops from the bounding set every capability not in caps->bounding. Needs CAP_SETPCAP. */
int runtime_caps_drop_bounding(const struct runtime_caps *caps, struct cc_error *err);
/* Sets effective, permitted and inheritable, then the ambient set. Call after setuid. */
int runtime_caps_apply(const struct runtime_caps *caps, struct cc_error *err);

/* The capabilities runc gives a container by default (also what `spec` writes). */
extern const char *const runtime_default_caps[];
