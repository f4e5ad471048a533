/* The endpoints controller (kube-controller-manager's): for each Service with a selector, an
 * Endpoints object of the same name listing the matching pods' addresses (ready ones in
 * addresses, the others in notReadyAddresses) with the Service's ports resolved against each pod
 * (a named targetPort is looked up in its containers' ports). A Service without a selector keeps
 * the Endpoints its owner writes; a deleted Service's Endpoints go. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

struct cc_error;
struct platform_objects;

/* Whether a Service's spec.selector (a label map) selects a pod's labels; an empty or missing
 * selector selects nothing (its Endpoints are the user's). */
bool platform_service_selects(const json_t *selector, const json_t *labels);

/* Brings the Endpoints of one Service in line with its pods. */
int platform_endpoints_reconcile(struct platform_objects *objects, const char *namespace, const char *service,
				 struct cc_error *err);
/* The same for every Service of a namespace (after a pod changed there). */
int platform_endpoints_reconcile_namespace(struct platform_objects *objects, const char *namespace,
					   struct cc_error *err);
