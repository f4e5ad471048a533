/* The three PATCH bodies kube-apiserver accepts, applied to jansson trees:
 *   application/json-patch+json             RFC 6902 JSON Patch (JSON Pointers, RFC 6901)
 *   application/merge-patch+json            RFC 7386 JSON Merge Patch
 *   application/strategic-merge-patch+json  Kubernetes' strategic merge patch (what client-side
 *                                           `kubectl apply`, `kubectl patch` and `kubectl edit` send)
 * Each function leaves its inputs untouched and hands back a new tree in *ret; on failure *ret is not
 * set and err names the operation, the path and what to do. Pure functions: no I/O, no global state. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct cc_error;

/* kube-apiserver refuses a JSON patch of more operations than this with 413 (maxJSONPatchOperations). */
#define PLATFORM_JSON_PATCH_MAX_OPERATIONS 10000
/* Bytes (as compact JSON) all `copy` operations of one patch may copy together, so a patch of a few
 * kilobytes cannot double a document into gigabytes (evanphx/json-patch's AccumulatedCopySizeLimit,
 * which kube-apiserver sets from its request size limit of 3 MiB). */
#define PLATFORM_JSON_PATCH_COPY_LIMIT (3u * 3 * 1024 * 1024)
/* Nesting deeper than this is refused by all three (the trees come from cc_json_parse, limited to
 * CC_JSON_MAX_DEPTH; a patch may add as deep a value again). */
#define PLATFORM_PATCH_MAX_DEPTH 256

/* RFC 6902. Returns 0 and the patched document in *ret, or:
 *   -EBADMSG  the patch is not an array of objects (kube-apiserver: 400 Bad Request);
 *   -E2BIG    more than PLATFORM_JSON_PATCH_MAX_OPERATIONS operations (413), or the copies exceed
 *             PLATFORM_JSON_PATCH_COPY_LIMIT;
 *   -EINVAL   an operation cannot be applied: unknown `op`, a missing member, a path that does not
 *             exist, a `test` that fails (422 Unprocessable Entity). The message names the operation's
 *             index, its op and its path.
 * The operations are all-or-nothing (RFC 6902 §5): doc is never modified. */
int platform_json_patch(const json_t *doc, const json_t *patch, json_t **ret, struct cc_error *err);

/* RFC 7386: objects merge recursively, null deletes a member, anything else replaces. A non-object
 * patch replaces the whole document. Fails only for nesting beyond PLATFORM_PATCH_MAX_DEPTH (-EINVAL). */
int platform_merge_patch(const json_t *doc, const json_t *patch, json_t **ret, struct cc_error *err);

/* How the strategic merge patch treats one list or map field: Kubernetes declares this in its Go types
 * (`patchStrategy:"merge" patchMergeKey:"name"`); here it is data, one rule per field path. */
enum platform_patch_strategy {
	/* The patch's value replaces the field whole: every list without a rule (tolerations, args,
	 * command), and a map marked so. */
	PLATFORM_PATCH_REPLACE,
	/* A list of objects is merged element by element on merge_key (containers by name); a list of
	 * scalars (merge_key NULL) is merged as a set (metadata.finalizers). */
	PLATFORM_PATCH_MERGE,
};

struct platform_patch_rule {
	/* The object's `kind` the rule applies to ("Service"), or NULL for every kind. */
	const char *kind;
	/* The field from the object's root: keys joined with '.', a list's elements written "[]":
	 * "spec.template.spec.containers[].ports". */
	const char *path;
	enum platform_patch_strategy strategy;
	/* For PLATFORM_PATCH_MERGE over objects: the member that identifies an element. */
	const char *merge_key;
	/* The field also carries Kubernetes' retainKeys strategy (volumes, Deployment.spec.strategy).
	 * Informational: the $retainKeys directive is honoured wherever a patch sends it, as
	 * kube-apiserver does. */
	bool retain_keys;
};

struct platform_patch_schema {
	const struct platform_patch_rule *rules;
	size_t n_rules;
};

/* The rules of the kinds cocoond serves: Pod (spec...), the pod template of Deployment, ReplicaSet,
 * StatefulSet, DaemonSet and Job (spec.template.spec...), Service (spec.ports by port), Node, Namespace,
 * the status conditions, and metadata (ownerReferences by uid, finalizers as a set). ConfigMap and
 * Secret need none: their data are maps, which always merge. */
const struct platform_patch_schema *platform_patch_schema_default(void);

/* The strategic merge patch as kube-apiserver applies it (k8s.io/apimachinery strategicpatch, with
 * MergeParallelList and IgnoreUnmatchedNulls): maps merge and null deletes a key; lists merge or are
 * replaced as the schema says (a NULL schema: every list is replaced); the directives `$patch:
 * replace|delete` (on a map, or as a list element), `$retainKeys`, `$deleteFromPrimitiveList/<field>`
 * and `$setElementOrder/<field>` are honoured and never stored. doc and patch must be objects. The
 * rules of a `kind` are chosen from doc's `kind` (or the patch's when doc has none).
 * Returns 0, or -EINVAL with the field path and the reason (kube-apiserver answers 400 or 422). */
int platform_strategic_merge_patch(const json_t *doc, const json_t *patch, const struct platform_patch_schema *schema,
				   json_t **ret, struct cc_error *err);
