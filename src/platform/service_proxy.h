/* The Services' virtual IPs on this host, as kube-proxy's nftables mode makes them: one nftables
 * table of cocoon's own (`ip cocoon`), rewritten whole and atomically (libnftables, one
 * transaction) after any change to Services or Endpoints. A connection to CLUSTER-IP:PORT is
 * spread at random over the ready endpoints of that port (DNAT) and masqueraded, so the answer comes
 * back through the host whatever bridge the pods share; a port without ready endpoints is rejected at
 * once (ICMP port unreachable) rather than left to time out. Connections already made keep their
 * endpoint (conntrack) when it goes out of the set. `cocoon down` removes the table. */
#pragma once

#include <stdbool.h>

struct cc_error;
struct platform_objects;
struct platform_service_proxy;

#define PLATFORM_SERVICE_TABLE "cocoon"

/* pod_subnet: the pods' CIDR, which the mTLS guard's rules name (mtls_guard.h). */
int platform_service_proxy_start(struct platform_objects *objects, const char *table, const char *pod_subnet,
				 struct platform_service_proxy **ret, struct cc_error *err);
/* Stops following changes; remove: the table goes too (`cocoon down`). */
void platform_service_proxy_stop(struct platform_service_proxy *p, bool remove);

/* The ruleset for these Services and Endpoints (lists of objects), as nft text: for the tests. */
char *platform_service_proxy_ruleset(const char *table, const void *services, const void *endpoints);
