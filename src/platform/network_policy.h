/* NetworkPolicy (networking.k8s.io/v1) as nftables rules, written with the Services' table by the
 * service proxy. Kubernetes' semantics: a pod is isolated for ingress (egress) when some policy of its
 * namespace selects it with that policy type; it then accepts only what one of those policies' rules
 * allows (peers by pod and namespace selectors or ipBlock, ports by number, range or name), and
 * everything stays allowed for pods no policy selects. Traffic from the node itself (probes, the
 * node's Services, its name server and API) is not subject to policies, as on Kubernetes.
 *
 * Where traffic is judged: connections the node routes (through a Service's virtual IP, a node port,
 * from outside) in the `ip` table's forward hook, with connection tracking; pods on the same bridge
 * talk over the bridge, where this kernel offers no connection tracking (no nf_conntrack_bridge), so a
 * `bridge` table judges each new TCP connection there (a SYN without ACK; the rest of an allowed
 * connection passes) and every UDP or SCTP packet. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct cc_buf;

/* The chains of the policies (one per isolated pod and direction, named np-in-N / np-out-N) into
 * chains, and the rules that send a pod's traffic to them into dispatch (for a filter chain of the
 * same table). pods, namespaces and policies are the stored lists. */
void platform_network_policy_rules(const json_t *pods, const json_t *namespaces, const json_t *policies,
				   struct cc_buf *chains, struct cc_buf *dispatch);

/* A CIDR written back in its canonical form into out (digits only: no spaces or signs slip through to
 * nft), or false. Shared with the mTLS guard, whose rules name the pod subnet. */
bool platform_cidr_canonical(const char *text, char *out, size_t size);
