/* Scheduling on cocoond's one node: which pods not yet bound to the node may start there, by the
 * rules of kube-scheduler's default filters that apply to a single node (NodeResourcesFit for cpu,
 * memory and the pod count; NodeName; NodeUnschedulable; NodeAffinity's nodeSelector and required
 * node affinity; TaintToleration). A pod that fits nowhere stays Pending with PodScheduled False,
 * reason Unschedulable and kube-scheduler's message ("0/1 nodes are available: 1 Insufficient
 * memory."), which is what a capacity planner (`cocoon scale plan --cluster`) reads as demand for
 * another block. Pure functions of the objects: the runner supplies them and acts on the verdicts. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct cc_error;

/* Decides for every pod of pods (a list's items) that is not yet bound (no spec.nodeName) and whose
 * uid is not in running (an object whose keys are uids the runner already has): the value for its
 * uid in the returned object is null when it may start on node now, or kube-scheduler's message why
 * not. Bound pods, and those of running, that are not terminal hold their requests. Pods are taken
 * in kube-scheduler's queue order (higher spec.priority first, then older, then by name), each
 * one placed if it fits what the ones before it left; a pod that does not fit does not hold back
 * smaller ones behind it, as kube-scheduler does without preemption. Pods with a
 * deletionTimestamp are never held back: they only need to go. */
json_t *pod_scheduler_decide(const json_t *node, const json_t *pods, const json_t *running);
