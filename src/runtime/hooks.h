/* OCI hooks (config.md "POSIX-platform Hooks"): each hook gets the container state on stdin and is
 * killed when its timeout passes. A failing prestart/createRuntime hook fails the create; failures
 * of poststart and poststop hooks are logged only, as the spec says. */
#pragma once

#include "runtime/spec.h"
#include "runtime/state.h"

struct cc_error;

int runtime_hooks_run(const struct runtime_spec *spec, enum runtime_hook_kind kind, const struct runtime_state *state,
		      struct cc_error *err);
/* Poststart and poststop hooks for the commands that hold only the state (start, delete): the config
 * is read again from the bundle. Their failures are logged only, so nothing is returned; a bundle
 * whose config cannot be read any more runs none. */
void runtime_hooks_run_from_bundle(const struct runtime_state *state, enum runtime_hook_kind kind);
/* Same, with the state already serialised (inside the container's init). */
int runtime_hooks_run_json(const struct runtime_spec *spec, enum runtime_hook_kind kind, const char *state_json,
			   struct cc_error *err);
