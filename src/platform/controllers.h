/* The controllers of the platform, as kube-controller-manager runs them, in process: Deployment ->
 * ReplicaSets (one per pod template, named by its hash) -> Pods, their status, and the garbage
 * collector (gc.h: background, orphan and foreground propagation). They react to the object
 * store's changes (objects.h observer) on one thread of their own. */
#pragma once

#include "platform/pod_security.h"

#include <stdbool.h>

struct cc_error;
struct platform_objects;
struct platform_controllers;
struct scan_admission_config;

/* graceful_pods: pods are deleted as the API deletes them when a node runs them (marked with a
 * deletionTimestamp; the node stops and removes them); false: removed at once. */
/* pod_security: the Pod Security level of namespaces without an enforce label (pod_security.h): pods
 * a set cannot create for it are a FailedCreate event on the set. */
/* scan_admission: the scanner's admission judges the pods a set creates too (NULL: none). */
int platform_controllers_start(struct platform_objects *objects, bool graceful_pods,
			       enum platform_pss_level pod_security, const struct scan_admission_config *scan_admission,
			       struct platform_controllers **ret, struct cc_error *err);
/* Stops the thread (a reconcile in progress finishes) and frees. */
void platform_controllers_stop(struct platform_controllers *c);
