/* The confidential profile (annotation run.cocoon.profile=confidential or --profile confidential):
 * tightens any config, never loosens it, and reports every change it made. */
#pragma once

#include "lib/base/buf.h"
#include "runtime/spec.h"

struct cc_error;

#define RUNTIME_PROFILE_ANNOTATION "run.cocoon.profile"

/* Applies the profile to spec. report receives one line per change ("removed capability
 * CAP_SYS_ADMIN"). Refusals (host namespaces, dangerous bind mounts) are errors. */
int runtime_profile_confidential(struct runtime_spec *spec, struct cc_buf *report, struct cc_error *err);
