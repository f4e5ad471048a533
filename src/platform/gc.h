/* The garbage collector's work, as kube-controller-manager's does it for the kinds the controllers
 * own (Deployment -> ReplicaSets -> Pods), by propagationPolicy:
 *   Background  the owner goes at once; its dependents are deleted after (platform_gc_collect);
 *   Orphan      the owner waits (finalizer `orphan`) until its dependents no longer name it;
 *   Foreground  the owner waits (finalizer `foregroundDeletion`) until its dependents are gone.
 * Runs on the controllers' thread, reading and writing through the store like any client. */
#pragma once

#include "platform/resources.h"

#include <jansson.h>

struct platform_objects;

/* How one dependent is deleted in the foreground (a Pod gracefully, a ReplicaSet after its own
 * dependents); 0 or a negative errno. */
typedef int (*platform_gc_remove_fn)(void *ctx, const json_t *dependent);

/* Background: the dependents (of resource r, in namespace) of the deleted owner with this uid go. */
void platform_gc_collect(struct platform_objects *objects, const struct platform_resource *r, const char *namespace,
			 const char *uid);

/* An owner of resource r marked for deletion (metadata.deletionTimestamp): the orphan and
 * foregroundDeletion finalizers' work on its dependents (of resource dependents), and the finalizer
 * removed when done. 0, or -ESTALE when a write lost a race (look again). */
int platform_gc_finalize(struct platform_objects *objects, const struct platform_resource *r, const json_t *owner,
			 const struct platform_resource *dependents, platform_gc_remove_fn remove, void *ctx);
