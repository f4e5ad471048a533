/* The default roles and bindings kube-apiserver keeps (its bootstrap policy: cluster-admin, admin,
 * edit, view, system:discovery, system:basic-user, system:public-info-viewer, system:monitoring,
 * ...), embedded from src/platform/rbac/bootstrap-policy.json. At every start the missing ones are
 * created and, where an object still carries rbac.authorization.kubernetes.io/autoupdate: "true",
 * the permissions and subjects it lacks are added back (nothing an administrator added is taken
 * away), as kube-apiserver reconciles them. */
#pragma once

struct cc_error;
struct platform_objects;

int platform_rbac_bootstrap(struct platform_objects *objects, struct cc_error *err);
