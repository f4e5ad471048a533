/* The disruption controller (kube-controller-manager's): the status of each PodDisruptionBudget
 * (policy/v1) from the pods it selects: expectedPods (the replicas their controllers want, a bare
 * pod counting one), currentHealthy (Ready and not being deleted), desiredHealthy (from
 * minAvailable or maxUnavailable, a count or a percentage rounded up) and disruptionsAllowed, with
 * the DisruptionAllowed condition. `cocoon scale plan --cluster` and the planner's drain rules read
 * these budgets; kubectl shows them (`kubectl get pdb`). */
#pragma once

#include <jansson.h>

struct cc_error;
struct platform_objects;

/* Recomputes the status of every PodDisruptionBudget of a namespace (after a pod or a budget
 * changed there). -ESTALE when another writer came first. */
int platform_disruption_reconcile_namespace(struct platform_objects *objects, const char *namespace,
					    struct cc_error *err);

/* The status a budget has over pods (a list's items) and replicasets (their owners, for the
 * expected count); observed (the old status, or NULL) keeps the condition's transition time. */
json_t *platform_disruption_status(const json_t *pdb, const json_t *pods, const json_t *replicasets,
				   const json_t *observed);
