/* The cluster's name server, as CoreDNS's kubernetes plugin answers for a cluster: on the pods'
 * bridge address (port 53, UDP and TCP), the zone cluster.local from an index of the API objects that any
 * change to a Service or Endpoints marks stale (rebuilt at the next query), so an answer follows its
 * Service at once and a query reads no store:
 *   SVC.NS.svc.cluster.local            A: the Service's virtual IP; a headless Service's ready pods
 *   _PORT._PROTO.SVC.NS.svc.cluster.local  SRV: the named port (port, target SVC.NS.svc.cluster.local)
 *   HOSTNAME.SVC.NS.svc.cluster.local   A: the pod whose spec.hostname and spec.subdomain say so
 *   A-B-C-D.NS.pod.cluster.local        A: that address
 * other names of the zone NXDOMAIN (with the zone's SOA), AAAA and other types of known names an
 * empty answer; names outside the zone forwarded to the node's resolvers (/etc/resolv.conf), their
 * answers passed back as they come. Wire format: lib/net/dns.h. */
#pragma once

#include <stdint.h>

struct cc_error;
struct platform_objects;
struct platform_cluster_dns;

#define PLATFORM_CLUSTER_DOMAIN "cluster.local"

/* Serves on ip:port (the address may not exist yet: the bridge comes with the first pod). */
int platform_cluster_dns_start(struct platform_objects *objects, const char *ip, uint16_t port,
			       struct platform_cluster_dns **ret, struct cc_error *err);
void platform_cluster_dns_stop(struct platform_cluster_dns *d);
