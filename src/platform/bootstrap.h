/* What a fresh platform holds before anyone asks, as a new Kubernetes cluster does: the namespaces
 * default, kube-system, kube-public and kube-node-lease, a `default` ServiceAccount in each, and the
 * Node object of this host (capacity, addresses, system info, Ready). Idempotent: run at every start;
 * the Node's status is refreshed. */
#pragma once

#include "platform/node_options.h"

struct cc_error;
struct platform_objects;

/* node: the Node's reserve, labels and taints (NULL: none); ca_pem: the cluster CA, published in each
 * namespace's kube-root-ca.crt ConfigMap (NULL: none). */
int platform_bootstrap(struct platform_objects *objects, const char *node_name,
		       const struct platform_node_options *node, const char *ca_pem, struct cc_error *err);
