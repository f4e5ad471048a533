/* Virtual IPs of Services, as kube-apiserver's allocator hands them out: each Service without
 * `clusterIP: None` gets an address of the service CIDR (--service-cidr, 10.96.0.0/16 by default;
 * the first one kept for the `kubernetes` Service), or keeps the one it asks for when that one is in
 * range and free; the address cannot change afterwards. NodePort and LoadBalancer Services get a node
 * port of 30000-32767 for each port (the one asked for when free), kept across updates. Addresses in use are read from
 * the store at start and followed through its changes (a deleted Service frees its address). Thread-safe. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

struct cc_error;
struct cc_http_response;
struct platform_objects;
struct platform_service_ips;

#define PLATFORM_SERVICE_CIDR "10.96.0.0/16"

/* node_address: where LoadBalancer Services answer (their status.loadBalancer.ingress); NULL on a
 * platform that routes nothing (they stay pending). */
int platform_service_ips_new(struct platform_objects *objects, const char *cidr, const char *node_address,
			     struct platform_service_ips **ret, struct cc_error *err);
void platform_service_ips_free(struct platform_service_ips *s);

/* A new Service (admitted, namespace set): spec.clusterIP(s) filled, and status.loadBalancer for a
 * LoadBalancer; false after answering 422. */
bool platform_service_ips_assign(struct platform_service_ips *s, json_t *service, struct cc_http_response *resp);
/* An update: the address stays what it was (copied when the new object leaves it out), node ports
 * too, and a Service that became NodePort gets them; false after answering 422 for an attempt to
 * change the address or a node port another Service holds. */
bool platform_service_ips_keep(struct platform_service_ips *s, const json_t *old, json_t *service,
			       struct cc_http_response *resp);
