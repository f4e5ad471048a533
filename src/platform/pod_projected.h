/* Projected and downwardAPI volumes, as kubelet writes them: each source's files in one directory
 * (secret and configMap items, downwardAPI fields, and a serviceAccountToken: a token bound to the
 * pod, for the pod's service account, renewed once 80% of its life has passed). Run again to refresh:
 * what changed is rewritten atomically, a token only when due. */
#pragma once

#include <jansson.h>

struct cc_error;
struct platform_objects;
struct platform_sa_tokens;

/* source: the volume's "projected" object. tokens NULL: a serviceAccountToken source fails. */
int pod_projected_write(struct platform_objects *objects, struct platform_sa_tokens *tokens, const json_t *pod,
			const json_t *source, const char *dir, struct cc_error *err);

/* source: a "downwardAPI" volume (or projection): items of fieldRef values. */
int pod_downward_write(const json_t *pod, const json_t *source, const char *dir, unsigned default_mode,
		       struct cc_error *err);
