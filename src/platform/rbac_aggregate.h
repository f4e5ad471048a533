/* ClusterRole aggregation, as kube-controller-manager's clusterrole-aggregation controller does it:
 * a ClusterRole with an aggregationRule gets, as its rules, the rules of every other ClusterRole
 * whose labels one of its clusterRoleSelectors matches (admin, edit and view are made so). Run after
 * any ClusterRole changes; a change it writes brings it back until nothing changes (edit's rules
 * flow into admin). */
#pragma once

struct cc_error;
struct platform_objects;

/* 0, or -ESTALE when a write lost a race (run again). */
int platform_rbac_aggregate(struct platform_objects *objects, struct cc_error *err);
