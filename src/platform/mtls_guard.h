/* The mTLS guard (docs/design/pod-mtls.md, "The namespace annotation and what "required"
 * enforces"; docs/services.md, "Mutual TLS guard"): in a namespace annotated
 * `run.cocoon.mtls: required`, other pods reach a pod only on the TCP ports it declares
 * (`run.cocoon.mtls.ports`). Two places enforce it, because traffic takes two paths:
 *
 * - Pods of the bridge reach each other over the bridge, where the host's filters never see the
 *   packets (br_netfilter is off, and the bridge family has no conntrack here). So each guarded pod
 *   gets a table `inet cocoon-mtls` in its own network namespace, where conntrack works: its input
 *   chain accepts established traffic, `lo` and the gateway (the node's probes, port-forward's host
 *   side, and Service traffic, which arrives masqueraded from the gateway), accepts new TCP from the
 *   pod subnet to the declared ports and rejects everything else from the pod subnet. Containers
 *   without NET_ADMIN cannot change it (admission refuses the others in such a namespace).
 * - A connection through a Service's virtual IP is routed by the node and reaches the pod from the
 *   gateway's address, which the pod's table accepts. So the platform's `ip` table gets a chain
 *   `mtls-forward` on the forward hook, before masquerade (postrouting) and so still seeing the
 *   client's address: new connections from the pod subnet to a guarded pod's undeclared port are
 *   rejected there.
 *
 * Both are written as nft text applied with libnftables in one transaction each. */
#pragma once

#include "platform/mtls_policy.h"

#include <jansson.h>
#include <stdbool.h>

struct cc_buf;
struct cc_error;
struct platform_pods;
struct pod_state;

#define PLATFORM_MTLS_GUARD_TABLE "cocoon-mtls"
/* The dynamic set of connections to declared ports: `ip saddr . tcp dport` in the pod's table,
 * `ip saddr . ip daddr . tcp dport` in the platform's table named TABLE-mtls-connections (its own
 * table: the Services' table is replaced whole at each change, which would empty the set). */
#define PLATFORM_MTLS_CONNECTIONS_SET "connections"
#define PLATFORM_MTLS_OBSERVE_SUFFIX  "-mtls-connections"

/* The pod's table as one transaction that replaces any earlier one (`table`, `delete table`, the
 * table): declared ports, the pod subnet (CIDR) and the gateway's address. NULL when subnet or
 * gateway are not well-formed IPv4 (nothing from outside reaches the text unchecked). */
char *platform_mtls_guard_ruleset(const struct platform_mtls_ports *ports, const char *subnet, const char *gateway);

/* The transaction that removes the pod's table (and succeeds when there is none). */
const char *platform_mtls_guard_removal(void);

/* Runs nft text inside the network namespace pinned at netns_path, from a thread of its own that
 * enters it (setns) and ends there, so no thread of cocoond ever stays in a pod's namespace. */
int platform_mtls_guard_apply(const char *netns_path, const char *text, struct cc_error *err);

/* The pod's connection set listed in nft's JSON form (platform_mtls_connections_parse()), read from
 * inside the network namespace pinned at netns_path as platform_mtls_guard_apply() writes. *ret is
 * malloc'ed. */
int platform_mtls_guard_connections(const char *netns_path, char **ret, struct cc_error *err);

/* The chain `mtls-forward` for the platform's `ip` table (appended to out as the body of a
 * `table ip T { ... }`; nothing when no pod is guarded): pods, namespaces are the stored lists, subnet
 * the pod subnet. A pod whose ports annotation does not parse declares none (fail closed). */
void platform_mtls_forward_rules(const json_t *pods, const json_t *namespaces, const char *subnet, struct cc_buf *out);

/* The platform's connection set for Service traffic, as nft text for the table `TABLE-mtls-connections`
 * (written by the service proxy with its own transaction; see PLATFORM_MTLS_OBSERVE_SUFFIX): new
 * connections from the pod subnet to a declared port of a guarded pod, counted per client, server
 * and port, before masquerade. The set is declared without deleting it, so its elements survive;
 * no guarded pod: the table is removed. */
void platform_mtls_observe_rules(const char *table, const json_t *pods, const json_t *namespaces, const char *subnet,
				 struct cc_buf *out);

/* The pod runner's step (pod_sync.c), after the sandbox is up and before any container starts: the
 * pod's table made to match its namespace's mode and its ports (applied, replaced or removed). The
 * state applied is kept in RUN/pods/UID/mtls-guard with the network namespace's inode, so a pass
 * with nothing changed enters no namespace and a restarted cocoond knows what it left. false while a
 * guarded pod cannot be guarded (its containers wait; an event says why). */
bool pods_mtls_guard(struct platform_pods *p, struct pod_state *ps, const json_t *pod);
